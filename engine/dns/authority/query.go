package authority

import (
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/zone"
)

// hinfoTTL is the TTL of the HINFO synthesized for ANY queries; RFC 8482
// §4.2 leaves it to the operator.
const hinfoTTL = 3600

// query answers a standard query (RFC 1034 §4.3.2).
// Zone transfers do not come here: ServeDNS hands them to Transfer.
func (s *Server) query(req *mdns.Msg) *mdns.Msg {
	if len(req.Question) != 1 {
		// RFC 9619: a query has exactly one question; the header has no
		// way to say which question an rcode is about.
		return formErr(req)
	}
	q := req.Question[0]
	if q.Qclass != mdns.ClassINET {
		return reply(req, mdns.RcodeRefused) // no zones of that class here
	}
	resp := reply(req, mdns.RcodeSuccess)
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.bestZone(q.Name)
	switch {
	case e == nil:
		// RFC 1034 §4.3.2 step 2 finds no zone; without recursion (step
		// 4) there is nothing to give.
		resp.Rcode = mdns.RcodeRefused
	case e.zone == nil:
		resp.Rcode = mdns.RcodeServerFailure // a secondary not yet loaded
	default:
		s.resolve(resp, e.zone, q.Name, q.Qtype)
	}
	return resp
}

// resolve fills resp with the answer for name and qtype from z, following
// RFC 1034 §4.3.2 step 3 and, after a CNAME, starting again at step 1 with
// the canonical name when one of the server's zones holds it. The caller
// holds s.mu for reading.
func (s *Server) resolve(resp *mdns.Msg, z *zone.Zone, name string, qtype uint16) {
	// AA says the server is an authority for the name in the question
	// (RFC 1035 §4.1.1), and stays set after a CNAME to elsewhere.
	resp.Authoritative = true
	seen := map[string]bool{}
	for {
		// Step 3b: a cut above or at the name takes us out of the zone's
		// authoritative data; the parent answers DS at the cut itself
		// (RFC 4035 §3.1.4.1).
		if cut, ok := z.Cut(name); ok && !(qtype == mdns.TypeDS && mdns.CanonicalName(name) == cut) {
			s.referral(resp, z, cut)
			if len(resp.Answer) == 0 {
				resp.Authoritative = false
			}
			return
		}
		source := name // the node the data comes from
		if len(z.Types(name)) == 0 {
			if z.Exists(name) {
				negative(resp, z) // an empty non-terminal: NODATA (RFC 8020 §2)
				return
			}
			// Step 3c: a wildcard, never across a cut (checked above) and
			// never past an existing name (RFC 4592 §3.3.1).
			w, ok := z.Wildcard(name)
			if !ok {
				resp.Rcode = mdns.RcodeNameError
				negative(resp, z)
				return
			}
			source = w
		}
		types := z.Types(source)
		if len(types) == 0 {
			negative(resp, z) // the wildcard is an empty non-terminal
			return
		}
		if cname := z.RRset(source, mdns.TypeCNAME); len(cname) > 0 && qtype != mdns.TypeCNAME {
			// Step 3a: copy the CNAME and go back to step 1 with the
			// canonical name; to ANY, the CNAME is the answer (RFC 8482
			// §4.2 synthesizes only where there is no CNAME).
			resp.Answer = append(resp.Answer, own(cname, name)...)
			target := cname[0].(*mdns.CNAME).Target
			seen[mdns.CanonicalName(name)] = true
			if qtype == mdns.TypeANY || seen[mdns.CanonicalName(target)] || len(resp.Answer) >= MaxCNAMEChain {
				return
			}
			next := s.bestZone(target)
			if next == nil || next.zone == nil {
				return // not ours: the client follows it
			}
			z, name = next.zone, target
			continue
		}
		if qtype == mdns.TypeANY {
			s.answerANY(resp, z, source, name, types)
			return
		}
		set := z.RRset(source, qtype)
		if len(set) == 0 {
			negative(resp, z) // NODATA
			return
		}
		resp.Answer = append(resp.Answer, own(set, name)...)
		s.additional(resp, set)
		return
	}
}

// answerANY gives one RRset for an ANY query (RFC 8482 §4.1): the one with
// the lowest type number, a stable choice; or, with SynthesizeANY, an HINFO
// (§4.2).
func (s *Server) answerANY(resp *mdns.Msg, z *zone.Zone, source, owner string, types []uint16) {
	if s.SynthesizeANY {
		resp.Answer = append(resp.Answer, &mdns.HINFO{
			Hdr: mdns.RR_Header{Name: owner, Rrtype: mdns.TypeHINFO, Class: mdns.ClassINET, Ttl: hinfoTTL},
			Cpu: "RFC8482",
		})
		return
	}
	set := z.RRset(source, types[0])
	resp.Answer = append(resp.Answer, own(set, owner)...)
	s.additional(resp, set)
}

// own gives records (copies from a zone) the owner name asked for: the
// question's spelling, or the name a wildcard stands for (RFC 4592 §3.4).
func own(set []mdns.RR, owner string) []mdns.RR {
	for _, rr := range set {
		rr.Header().Name = owner
	}
	return set
}

// negative adds the zone's SOA to the authority section of an NXDOMAIN or
// NODATA answer, with the TTL a resolver may cache the negative answer for:
// the SOA's TTL or its MINIMUM field, whichever is less (RFC 2308 §3).
func negative(resp *mdns.Msg, z *zone.Zone) {
	soa := z.SOA()
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	resp.Ns = append(resp.Ns, soa)
}

// referral adds the delegation at cut: its NS records in the authority
// section and, in the additional section, the addresses of those servers
// that the zone holds, glue included (RFC 1034 §4.3.2 step 3b). Addresses
// from other zones are not added: only the zone's own data is sent.
func (s *Server) referral(resp *mdns.Msg, z *zone.Zone, cut string) {
	ns := z.RRset(cut, mdns.TypeNS)
	resp.Ns = append(resp.Ns, ns...)
	for _, rr := range ns {
		target := rr.(*mdns.NS).Ns
		if !z.Contains(target) {
			continue
		}
		addUnique(resp, z.RRset(target, mdns.TypeA))
		addUnique(resp, z.RRset(target, mdns.TypeAAAA))
	}
}

// additional adds the addresses of the names that MX, NS and SRV records
// point to, when the server is authoritative for them (RFC 1034 §3.6,
// RFC 1035 §3.3.9, RFC 2782), so that the client need not ask again.
func (s *Server) additional(resp *mdns.Msg, set []mdns.RR) {
	if s.MinimalResponses {
		return
	}
	for _, rr := range set {
		var target string
		switch rr := rr.(type) {
		case *mdns.MX:
			target = rr.Mx
		case *mdns.NS:
			target = rr.Ns
		case *mdns.SRV:
			target = rr.Target
		default:
			continue
		}
		e := s.bestZone(target)
		if e == nil || e.zone == nil {
			continue
		}
		if _, below := e.zone.Cut(target); below {
			continue // glue, not authoritative data
		}
		addUnique(resp, e.zone.RRset(target, mdns.TypeA))
		addUnique(resp, e.zone.RRset(target, mdns.TypeAAAA))
	}
}

// addUnique appends rrs to the additional section, leaving out records the
// message holds already (RFC 2181 §5.5 would have them suppressed anyway).
func addUnique(resp *mdns.Msg, rrs []mdns.RR) {
next:
	for _, rr := range rrs {
		for _, sec := range [][]mdns.RR{resp.Answer, resp.Extra} {
			for _, have := range sec {
				if mdns.IsDuplicate(have, rr) {
					continue next
				}
			}
		}
		resp.Extra = append(resp.Extra, rr)
	}
}
