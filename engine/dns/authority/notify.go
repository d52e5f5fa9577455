package authority

import (
	"slices"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/zone"
)

// notify answers a NOTIFY (RFC 1996 §3) as a secondary: the response echoes
// the question with AA set, and OnNotify then tells the network layer to
// check the primary's serial. The hint in the answer section, if any, is
// not used (RFC 1996 §3.8: it never replaces asking the primary).
func (s *Server) notify(r *dns.Request, req *mdns.Msg) (*mdns.Msg, func()) {
	if len(req.Question) != 1 {
		return formErr(req), nil
	}
	q := req.Question[0]
	if q.Qtype != mdns.TypeSOA {
		// RFC 1996 §3.11: a changed SOA is the only NOTIFY event defined.
		return reply(req, mdns.RcodeNotImplemented), nil
	}
	name := mdns.CanonicalName(q.Name)
	s.mu.RLock()
	e := s.zones[name]
	var secondary, known bool
	if e != nil && q.Qclass == mdns.ClassINET {
		secondary = e.secondary
		known = len(e.primaries) == 0 || slices.Contains(e.primaries, r.From.Addr().Unmap())
	}
	s.mu.RUnlock()
	switch {
	case !secondary:
		return reply(req, mdns.RcodeNotAuth), nil // not a zone we take transfers of
	case !known:
		return reply(req, mdns.RcodeRefused), nil // RFC 1996 §3.10: not one of its primaries
	}
	resp := reply(req, mdns.RcodeSuccess)
	resp.Authoritative = true
	if s.OnNotify == nil {
		return resp, nil
	}
	from := r.From
	return resp, func() { s.OnNotify(name, from) }
}

// NotifyMsg builds the NOTIFY a primary sends its secondaries when zone
// changed (RFC 1996 §3.7, §4.7): opcode NOTIFY, AA set, the question
// "zone IN SOA" and, when soa is not nil, a copy of it in the answer section
// as a hint. The ID comes from ids.
func NotifyMsg(ids *dns.IDs, zoneName string, soa *mdns.SOA) *mdns.Msg {
	m := new(mdns.Msg)
	m.Id = ids.Next()
	m.Opcode = mdns.OpcodeNotify
	m.Authoritative = true
	m.Question = []mdns.Question{{Name: mdns.Fqdn(zoneName), Qtype: mdns.TypeSOA, Qclass: mdns.ClassINET}}
	if soa != nil {
		m.Answer = []mdns.RR{mdns.Copy(soa)}
	}
	return m
}

// NeedsTransfer reports whether the server, as a secondary for zoneName,
// should transfer the zone from a primary whose SOA has primarySerial: it
// has no copy yet, or the primary's serial is greater in RFC 1982
// arithmetic (RFC 1996 §3.11, RFC 1034 §4.3.5). It is false for zones the
// server is not secondary for.
func (s *Server) NeedsTransfer(zoneName string, primarySerial uint32) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.zones[mdns.CanonicalName(zoneName)]
	if e == nil || !e.secondary {
		return false
	}
	return e.zone == nil || zone.SerialLess(e.zone.Serial(), primarySerial)
}
