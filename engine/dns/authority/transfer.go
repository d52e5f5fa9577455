package authority

import (
	"errors"
	"fmt"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/zone"
)

// maxTransferMessage bounds each message of a zone transfer: a message over
// TCP has a two-byte length (RFC 1035 §4.2.2), so under 64 KiB.
const maxTransferMessage = maxTCPSize

// Transfer answers an AXFR (RFC 5936) or IXFR (RFC 1995) query with the
// sequence of messages to send, in order. A transfer is the zone's SOA,
// every record of the zone and the SOA again (RFC 5936 §2.2), split into
// messages under 64 KiB; an IXFR gets the same full transfer (RFC 1995 §4).
// The server's copy is taken once, so a transfer is consistent even if an
// UPDATE lands meanwhile.
//
// Refusals are answers, one message each: FORMERR for AXFR over UDP (RFC
// 5936 §4.2 leaves it undefined; BIND answers FORMERR) and for a malformed
// query, NOTAUTH for a zone the server does not serve or has no copy of,
// REFUSED when TransferPolicy says no. IXFR over UDP
// gets the SOA alone, which tells the client to use TCP (RFC 1995 §2).
// The error is for a request that is not a transfer query at all.
func (s *Server) Transfer(r *dns.Request) ([]*mdns.Msg, error) {
	if r == nil || r.Msg == nil {
		return nil, errors.New("authority: transfer: no request message")
	}
	req := r.Msg
	if req.Response {
		return nil, errors.New("authority: transfer: the message is a response")
	}
	one := func(m *mdns.Msg) ([]*mdns.Msg, error) { return []*mdns.Msg{s.fit(m, req, r.TCP)}, nil }
	if resp := precheck(req); resp != nil {
		return one(resp)
	}
	if len(req.Question) != 1 {
		return one(formErr(req))
	}
	q := req.Question[0]
	if req.Opcode != mdns.OpcodeQuery || q.Qtype != mdns.TypeAXFR && q.Qtype != mdns.TypeIXFR {
		return nil, fmt.Errorf("authority: transfer: %s %s is not a zone transfer query",
			mdns.OpcodeToString[req.Opcode], mdns.TypeToString[q.Qtype])
	}
	name := mdns.CanonicalName(q.Name)
	var z *zone.Zone
	s.mu.RLock()
	if e := s.zones[name]; e != nil && q.Qclass == mdns.ClassINET {
		z = e.zone
	}
	s.mu.RUnlock()
	switch {
	case z == nil:
		return one(reply(req, mdns.RcodeNotAuth))
	case q.Qtype == mdns.TypeIXFR && !r.TCP:
		resp := reply(req, mdns.RcodeSuccess)
		resp.Authoritative = true
		resp.Answer = []mdns.RR{z.SOA()}
		return one(resp)
	case !r.TCP:
		return one(reply(req, mdns.RcodeFormatError))
	case s.TransferPolicy != nil && !s.TransferPolicy(r, name):
		return one(reply(req, mdns.RcodeRefused))
	}
	return s.envelope(req, z), nil
}

// envelope packs the records of z, SOA first and last, into messages under
// maxTransferMessage bytes. Sizes are counted uncompressed, an upper bound
// on the compressed messages.
func (s *Server) envelope(req *mdns.Msg, z *zone.Zone) []*mdns.Msg {
	recs := append(z.Records(), z.SOA())
	var msgs []*mdns.Msg
	var cur *mdns.Msg
	size := 0
	for _, rr := range recs {
		l := mdns.Len(rr)
		if cur == nil || len(cur.Answer) > 0 && size+l > maxTransferMessage {
			cur = reply(req, mdns.RcodeSuccess)
			cur.Authoritative = true
			if len(msgs) > 0 {
				cur.Question = nil // RFC 5936 §2.2.1: later messages may leave it out
			}
			if countOPT(req) == 1 {
				// RFC 6891 §7: a request with OPT gets OPT in its responses.
				cur.SetEdns0(s.udpSize(), req.IsEdns0().Do())
			}
			msgs = append(msgs, cur)
			size = cur.Len()
		}
		cur.Answer = append(cur.Answer, rr)
		size += l
	}
	return msgs
}

// ApplyTransfer replaces the server's copy of zoneName, a zone it is
// secondary for, with the zone the messages of a transfer carry. It checks
// the envelope (RFC 5936 §2.2: every message NOERROR, the zone's SOA first
// and last with the same serial, no SOA between) and the zone (as
// zone.New), and refuses a copy older than the one it has (RFC 1982). The
// replacement is atomic: until it succeeds, queries are answered from the
// old copy. OnChange is called after.
func (s *Server) ApplyTransfer(zoneName string, msgs []*mdns.Msg) error {
	name := mdns.CanonicalName(zoneName)
	var rrs []mdns.RR
	for i, m := range msgs {
		if m == nil {
			return fmt.Errorf("authority: transfer of %s: message %d is missing", name, i)
		}
		if m.Rcode != mdns.RcodeSuccess {
			return fmt.Errorf("authority: transfer of %s: message %d has rcode %s", name, i, rcodeName(m.Rcode))
		}
		rrs = append(rrs, m.Answer...)
	}
	isSOA := func(rr mdns.RR) (*mdns.SOA, bool) {
		soa, ok := rr.(*mdns.SOA)
		return soa, ok && mdns.CanonicalName(soa.Hdr.Name) == name
	}
	if len(rrs) < 2 {
		return fmt.Errorf("authority: transfer of %s: %d records; a transfer begins and ends with the SOA", name, len(rrs))
	}
	first, ok := isSOA(rrs[0])
	if !ok {
		return fmt.Errorf("authority: transfer of %s: it does not begin with the zone's SOA", name)
	}
	last, ok := isSOA(rrs[len(rrs)-1])
	if !ok {
		return fmt.Errorf("authority: transfer of %s: it does not end with the zone's SOA", name)
	}
	if first.Serial != last.Serial {
		return fmt.Errorf("authority: transfer of %s: opening serial %d and closing serial %d differ", name, first.Serial, last.Serial)
	}
	for _, rr := range rrs[1 : len(rrs)-1] {
		if rr.Header().Rrtype == mdns.TypeSOA {
			return fmt.Errorf("authority: transfer of %s: an SOA inside the transfer", name)
		}
	}
	nz, err := zone.New(name, rrs[:len(rrs)-1])
	if err != nil {
		return fmt.Errorf("authority: transfer of %s: %w", name, err)
	}

	s.mu.Lock()
	e := s.zones[name]
	switch {
	case e == nil || !e.secondary:
		s.mu.Unlock()
		return fmt.Errorf("authority: transfer of %s: not a zone this server is secondary for", name)
	case e.zone != nil && zone.SerialLess(nz.Serial(), e.zone.Serial()):
		old := e.zone.Serial()
		s.mu.Unlock()
		return fmt.Errorf("authority: transfer of %s: serial %d is older than the copy's %d", name, nz.Serial(), old)
	}
	e.zone = nz
	s.mu.Unlock()

	if s.OnChange != nil {
		s.OnChange(name, nz.Serial())
	}
	return nil
}
