// Package authority is an authoritative DNS server over one or more zones,
// as an engine/dns Handler: a function from request message to response
// message, with no sockets of its own.
//
// Queries are answered as RFC 1034 §4.3.2 describes, for an authoritative
// server that does not recurse: answers with AA, CNAMEs followed within the
// server's own zones, referrals at zone cuts with glue, NXDOMAIN and NODATA
// with the SOA for negative caching (RFC 2308 §3), wildcards (RFC 4592),
// minimal ANY answers (RFC 8482) and EDNS0 (RFC 6891). It takes dynamic
// updates (RFC 2136) for the zones it is primary for, answers NOTIFY (RFC
// 1996) for those it is secondary for, and produces and applies zone
// transfers (AXFR, RFC 5936). The pieces that need the network (sending
// NOTIFY, asking a primary for its SOA, fetching a transfer) belong to the
// network layer, which the server calls back through OnChange and OnNotify.
//
// Policies, where the RFCs leave a choice:
//
//   - A message with QR set (a response) is never answered, so two servers
//     cannot answer each other's errors forever; miekg/dns's
//     DefaultMsgAcceptFunc drops them too. A message too short for a header
//     is dropped; one with a header that does not parse gets FORMERR (see
//     FormErr).
//   - A query with no question or several questions, or more than one OPT
//     record (RFC 6891 §6.1.1), gets FORMERR; an opcode other than QUERY,
//     NOTIFY and UPDATE (IQUERY, STATUS, ...) gets NOTIMP (RFC 1035 §4.1.1).
//   - A query for a class other than IN gets REFUSED, as BIND and NSD do
//     for a class they hold no zone of; so does a query for a name outside
//     the server's zones, since it does not recurse (RA is never set).
//   - AXFR over UDP gets FORMERR, as BIND answers (RFC 5936 §4.2 leaves
//     it undefined); IXFR over UDP gets the current SOA, which tells the
//     client to come back over TCP (RFC 1995 §2). IXFR over TCP is answered
//     with a full AXFR-style transfer, which RFC 1995 §4 allows.
//   - UPDATE for a zone the server is secondary for gets REFUSED: it does
//     not forward updates to the primary (RFC 2136 §6), as BIND without
//     allow-update-forwarding. An update that would leave the zone unfit to
//     load (an in-zone name server without glue) gets REFUSED and changes
//     nothing: such a zone could not be transferred to a secondary either.
//   - NOTIFY for a zone the server is not secondary for gets NOTAUTH; from
//     an address that is not one of the zone's primaries, REFUSED (RFC 1996
//     §3.10).
//
// wirelab is a laboratory: by default anyone may update a zone or transfer
// it. UpdatePolicy and TransferPolicy restrict that.
package authority

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/zone"
)

// Limits, each with its reason.
const (
	// MaxCNAMEChain is the number of CNAMEs the server follows within its
	// own zones for one answer. RFC 1034 §3.6.2 warns of CNAME loops and
	// chains; BIND stops at 16, and lab chains are short.
	MaxCNAMEChain = 8

	// DefaultUDPSize is the EDNS0 payload size the server advertises when
	// Server.UDPSize is 0: 1232 bytes, the DNS Flag Day 2020 value that
	// avoids IP fragmentation.
	DefaultUDPSize = 1232

	// minUDPSize is the smallest UDP answer a client can take: the RFC 1035
	// §2.3.4 limit without EDNS, and the floor for smaller EDNS sizes (RFC
	// 6891 §6.2.5).
	minUDPSize = 512

	// maxTCPSize is the largest message over TCP, whose two-byte length
	// prefix allows 65535 bytes (RFC 1035 §4.2.2, RFC 7766 §8).
	maxTCPSize = 65535

	// headerSize is the fixed DNS header (RFC 1035 §4.1.1).
	headerSize = 12

	// edns0Version is the EDNS version the server speaks (RFC 6891 §6.1.3).
	edns0Version = 0
)

// Server is an authoritative server. The zero value serves no zones and is
// ready to use; add zones with AddPrimary and AddSecondary. Its methods are
// safe for concurrent use. Set the fields before the first request.
type Server struct {
	// UDPSize is the EDNS0 UDP payload size the server advertises in its
	// OPT record (RFC 6891 §6.2.3); 0 means DefaultUDPSize.
	UDPSize uint16

	// MinimalResponses leaves out the additional-section addresses of MX,
	// NS and SRV targets, as BIND's minimal-responses does. Referrals keep
	// their glue, without which the child's servers cannot be reached (RFC
	// 1034 §4.3.2 step 3b).
	MinimalResponses bool

	// SynthesizeANY answers ANY queries with the synthesized HINFO
	// "RFC8482" "" (RFC 8482 §4.2) instead of one of the name's RRsets
	// (§4.1), unless the name has a CNAME.
	SynthesizeANY bool

	// UpdatePolicy decides whether the UPDATE r may change zone (RFC 2136
	// §3.3); a refused update gets REFUSED. nil allows anyone: wirelab is a
	// lab, and learners send updates from anywhere. It runs after the
	// prerequisites are checked, with the server locked, so it must not call
	// the server's methods.
	UpdatePolicy func(r *dns.Request, zone string) bool

	// TransferPolicy decides whether r may transfer zone (RFC 5936 §5); a
	// refused transfer gets REFUSED. nil allows anyone.
	TransferPolicy func(r *dns.Request, zone string) bool

	// OnChange, if not nil, is called after a zone changed, by an UPDATE or
	// by an applied transfer, with the zone's name and new serial, so that
	// the network layer can send NOTIFY to the secondaries (RFC 1996 §4.2:
	// a secondary notifies after a transfer too). It runs after the
	// response is written, without the server's lock held.
	OnChange func(zone string, serial uint32)

	// OnNotify, if not nil, is called after the server answered a NOTIFY
	// for a zone it is secondary for, with the zone's name and the sender.
	// The network layer then asks that primary for its SOA and, if
	// NeedsTransfer says so, transfers the zone (RFC 1996 §3.11). It runs
	// without the server's lock held.
	OnNotify func(zone string, from netip.AddrPort)

	mu    sync.RWMutex
	zones map[string]*entry // canonical zone name -> zone

	statsMu sync.Mutex
	stats   Stats
}

// entry is one zone the server serves.
type entry struct {
	name string
	// zone is the published copy. It is never changed: an UPDATE or a
	// transfer replaces it (copy on write), so readers may keep using the
	// copy they took. nil for a secondary that has no copy yet.
	zone      *zone.Zone
	secondary bool
	primaries []netip.Addr // for a secondary; empty accepts NOTIFY from anyone
}

var _ dns.Handler = (*Server)(nil)

// AddPrimary serves a copy of z as its primary: the server accepts UPDATE
// for it and is the source of its transfers.
func (s *Server) AddPrimary(z *zone.Zone) error {
	return s.add(&entry{name: z.Origin(), zone: z.Clone()})
}

// AddSecondary serves zone name as a secondary. Until ApplyTransfer gives
// it a copy, queries for the zone get SERVFAIL (a secondary that has never
// loaded its zone cannot answer for it). primaries are the addresses NOTIFY
// is accepted from (RFC 1996 §3.10); none accepts it from anyone.
func (s *Server) AddSecondary(name string, primaries ...netip.Addr) error {
	unmapped := make([]netip.Addr, len(primaries))
	for i, a := range primaries {
		unmapped[i] = a.Unmap()
	}
	return s.add(&entry{name: mdns.CanonicalName(name), secondary: true, primaries: unmapped})
}

func (s *Server) add(e *entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.zones == nil {
		s.zones = map[string]*entry{}
	}
	if _, dup := s.zones[e.name]; dup {
		return fmt.Errorf("authority: zone %s is served already", e.name)
	}
	s.zones[e.name] = e
	return nil
}

// Zone returns a copy of the zone the server serves as name, or nil if it
// does not serve it or, as a secondary, has no copy yet.
func (s *Server) Zone(name string) *zone.Zone {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.zones[mdns.CanonicalName(name)]; e != nil && e.zone != nil {
		return e.zone.Clone()
	}
	return nil
}

// Zones returns the names of the zones the server serves, in canonical
// order.
func (s *Server) Zones() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.zones))
	for name := range s.zones {
		names = append(names, name)
	}
	slices.SortFunc(names, zone.CompareNames)
	return names
}

// Serial returns the serial of the server's copy of zone name, and whether
// it has one.
func (s *Server) Serial(name string) (uint32, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.zones[mdns.CanonicalName(name)]; e != nil && e.zone != nil {
		return e.zone.Serial(), true
	}
	return 0, false
}

// bestZone returns the zone that is the nearest ancestor of name (RFC 1034
// §4.3.2 step 2), or nil. The caller holds s.mu.
func (s *Server) bestZone(name string) *entry {
	name = mdns.CanonicalName(name)
	for {
		if e := s.zones[name]; e != nil {
			return e
		}
		if name == "." {
			return nil
		}
		i, end := mdns.NextLabel(name, 0)
		if end {
			name = "."
		} else {
			name = name[i:]
		}
	}
}

// ServeDNS answers r and writes the answer to w: once, except for a zone
// transfer over TCP, which is a sequence of messages (RFC 5936 §2.2) and
// is written one WriteMsg call per message. Requests the server does not
// answer (see the package documentation) are not written at all.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Request) {
	req := r.Msg
	if req == nil {
		var m mdns.Msg
		if err := m.Unpack(r.Wire); err != nil {
			s.answerUnparsable(w, r.Wire)
			return
		}
		req = &m
		r = &dns.Request{Msg: req, Wire: r.Wire, From: r.From, To: r.To, TCP: r.TCP}
	}
	if req.Response {
		s.count(-1, -1)
		return
	}
	var resps []*mdns.Msg
	var after func()
	if q := req.Question; req.Opcode == mdns.OpcodeQuery && len(q) == 1 && (q[0].Qtype == mdns.TypeAXFR || q[0].Qtype == mdns.TypeIXFR) {
		resps, _ = s.Transfer(r)
	} else {
		var resp *mdns.Msg
		resp, after = s.respond(r, req)
		resps = []*mdns.Msg{s.fit(resp, req, r.TCP)}
	}
	for i, resp := range resps {
		if i == 0 {
			s.count(req.Opcode, resp.Rcode)
		}
		_ = w.WriteMsg(resp) // a lost answer is the client's timeout
	}
	if after != nil {
		after()
	}
}

// answerUnparsable answers bytes that are not a DNS message: FORMERR when
// there is a header to answer, nothing otherwise.
func (s *Server) answerUnparsable(w dns.ResponseWriter, wire []byte) {
	b := FormErr(wire)
	var m mdns.Msg
	if b == nil || m.Unpack(b) != nil {
		s.count(-1, -1)
		return
	}
	s.count(m.Opcode, m.Rcode)
	_ = w.WriteMsg(&m)
}

// respond builds the answer to a request other than a zone transfer, and
// what to do once it is written.
func (s *Server) respond(r *dns.Request, req *mdns.Msg) (*mdns.Msg, func()) {
	if resp := precheck(req); resp != nil {
		return resp, nil
	}
	switch req.Opcode {
	case mdns.OpcodeNotify:
		return s.notify(r, req)
	case mdns.OpcodeUpdate:
		return s.update(r, req)
	}
	return s.query(req), nil
}

// precheck returns the answer to a request the server turns down before
// looking at what it asks, or nil.
func precheck(req *mdns.Msg) *mdns.Msg {
	switch req.Opcode {
	case mdns.OpcodeQuery, mdns.OpcodeNotify, mdns.OpcodeUpdate:
	default:
		// RFC 1035 §4.1.1: NOTIMP, "the name server does not support the
		// requested kind of query" (IQUERY, obsoleted by RFC 3425, STATUS).
		return reply(req, mdns.RcodeNotImplemented)
	}
	if opts := countOPT(req); opts > 1 {
		return formErr(req) // RFC 6891 §6.1.1
	} else if opts == 1 && req.IsEdns0().Version() > edns0Version {
		// RFC 6891 §6.1.3: BADVERS, with our version in our OPT.
		return reply(req, mdns.RcodeBadVers)
	}
	return nil
}

// reply starts the response to req with rcode: ID, opcode, RD and CD
// copied, the first question echoed, RA clear (the server does not recurse).
func reply(req *mdns.Msg, rcode int) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Rcode = rcode
	m.Compress = true
	return m
}

// formErr answers a message the server cannot make sense of, without
// echoing its question section.
func formErr(req *mdns.Msg) *mdns.Msg {
	m := reply(req, mdns.RcodeFormatError)
	m.Question = nil
	return m
}

// countOPT counts the OPT records of a message.
func countOPT(m *mdns.Msg) int {
	n := 0
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == mdns.TypeOPT {
			n++
		}
	}
	return n
}

// fit finishes a response: it adds the server's OPT when the request had
// one (RFC 6891 §7), and makes the message fit what the client can take:
// over UDP the client's EDNS size, at least 512 bytes (RFC 6891 §6.2.5), or
// 512 bytes without EDNS (RFC 1035 §4.2.1). A message that does not fit is
// sent with TC set and empty sections, telling the client to ask again over
// TCP (RFC 7766 §5). Over TCP nothing is truncated.
func (s *Server) fit(resp, req *mdns.Msg, tcp bool) *mdns.Msg {
	limit := minUDPSize
	if countOPT(req) == 1 {
		opt := req.IsEdns0()
		limit = max(limit, int(opt.UDPSize()))
		if resp.IsEdns0() == nil {
			resp.SetEdns0(s.udpSize(), opt.Do()) // RFC 3225 §3: DO is copied
		}
	}
	if tcp {
		limit = maxTCPSize
	}
	wire, err := resp.Pack()
	if err != nil {
		// Errors that reach the wire are protocol values: a response the
		// server cannot pack is its own failure.
		fail := reply(req, mdns.RcodeServerFailure)
		if opt := resp.IsEdns0(); opt != nil {
			fail.Extra = []mdns.RR{opt}
		}
		return fail
	}
	if len(wire) > limit {
		resp.Truncated = true
		resp.Answer, resp.Ns = nil, nil
		resp.Extra = slices.DeleteFunc(resp.Extra, func(rr mdns.RR) bool { return rr.Header().Rrtype != mdns.TypeOPT })
	}
	return resp
}

// udpSize returns the EDNS0 payload size the server advertises.
func (s *Server) udpSize() uint16 {
	if s.UDPSize == 0 {
		return DefaultUDPSize
	}
	return s.UDPSize
}
