package resolver

import (
	"fmt"
	"strings"

	mdns "github.com/miekg/dns"
)

// scrubbed is what a response contributes after the bailiwick and
// relevance checks: only these records are used or cached.
type scrubbed struct {
	cnames  []mdns.RR // the CNAME chain from the asked name, in order
	final   []mdns.RR // records of the asked type at the chain's end
	endName string    // canonical name at the chain's end
	ns      []mdns.RR // one NS RRset from the authority section
	nsOwner string    // its canonical owner
	soa     *mdns.SOA // the SOA from the authority section
	addrs   []mdns.RR // A and AAAA records for the servers and targets named
	dropped []string  // one note per record left out
}

// scrub keeps the records of m that a server for zone may speak for and
// that belong to the answer to (name, qtype). RFC 2181 §6.1: a server is
// believed only about names at or below the zone it was asked as a server
// for ("in bailiwick"); anything else, such as an A record for
// www.bank.test from example.com's server, could be a poisoning attempt
// and is dropped. Within the bailiwick, RFC 2181 §5.4.1 and Unbound's
// scrubber also drop what the question did not lead to: answer records
// off the CNAME chain, NS records for zones above or beside the name, and
// addresses nobody named.
func scrub(m *mdns.Msg, zone, name string, qtype uint16) scrubbed {
	var sc scrubbed
	drop := func(rr mdns.RR, why string) {
		sc.dropped = append(sc.dropped, fmt.Sprintf("dropped %s %s: %s", rr.Header().Name, typeString(rr.Header().Rrtype), why))
	}
	outside := fmt.Sprintf("outside the bailiwick of %s (RFC 2181 §6.1)", zone)

	// Answer: follow the chain from name.
	used := make([]bool, len(m.Answer))
	cur := lower(name)
	seen := map[string]bool{cur: true}
	for {
		for i, rr := range m.Answer {
			h := rr.Header()
			if used[i] || lower(h.Name) != cur || !under(zone, cur) {
				continue
			}
			if h.Rrtype == qtype || (qtype == mdns.TypeANY && h.Rrtype != mdns.TypeCNAME) {
				sc.final = append(sc.final, rr)
				used[i] = true
			}
		}
		if len(sc.final) > 0 || qtype == mdns.TypeCNAME {
			break
		}
		var next string
		for i, rr := range m.Answer {
			if c, ok := rr.(*mdns.CNAME); ok && !used[i] && lower(c.Hdr.Name) == cur && under(zone, cur) {
				sc.cnames = append(sc.cnames, rr)
				used[i] = true
				next = lower(c.Target)
				break
			}
		}
		if next == "" {
			break
		}
		cur = next
		if seen[next] {
			break // a CNAME loop: the restart limit will end it
		}
		seen[next] = true
	}
	sc.endName = cur
	for i, rr := range m.Answer {
		switch {
		case used[i]:
		case !under(zone, lower(rr.Header().Name)):
			drop(rr, outside)
		default:
			drop(rr, "not on the answer's CNAME chain from "+name)
		}
	}

	// Authority: one NS RRset for a zone at or above the chain's end, or
	// the SOA of such a zone.
	for _, rr := range m.Ns {
		owner := lower(rr.Header().Name)
		switch {
		case !under(zone, owner):
			drop(rr, outside)
		case !under(owner, sc.endName):
			drop(rr, "not a zone containing "+sc.endName)
		default:
			switch rr := rr.(type) {
			case *mdns.NS:
				if sc.nsOwner != "" && sc.nsOwner != owner {
					drop(rr, "a second NS RRset")
					continue
				}
				sc.nsOwner = owner
				sc.ns = append(sc.ns, rr)
			case *mdns.SOA:
				if sc.soa == nil {
					sc.soa = rr
				}
			default:
				drop(rr, "not used by this resolver")
			}
		}
	}

	// Additional: addresses of the name servers and of targets in the
	// answer (MX exchanges, SRV targets, NS hosts).
	wanted := map[string]bool{}
	for _, rr := range append(append([]mdns.RR{}, sc.final...), sc.ns...) {
		if t := target(rr); t != "" {
			wanted[lower(t)] = true
		}
	}
	for _, rr := range m.Extra {
		h := rr.Header()
		owner := lower(h.Name)
		switch {
		case h.Rrtype == mdns.TypeOPT:
		case h.Rrtype != mdns.TypeA && h.Rrtype != mdns.TypeAAAA:
			drop(rr, "not used by this resolver")
		case !under(zone, owner):
			drop(rr, outside)
		case !wanted[owner]:
			drop(rr, "no record in the response names it")
		default:
			sc.addrs = append(sc.addrs, rr)
		}
	}
	return sc
}

// dropPromiscuous leaves out of an answer (a response with records of the
// asked type or a CNAME chain) the NS RRset of its authority section and
// the addresses only those name servers wanted: see
// Switches.ScrubPromiscuous. Referrals and negative answers keep theirs.
func (sc *scrubbed) dropPromiscuous() {
	if len(sc.final) == 0 && len(sc.cnames) == 0 {
		return
	}
	const why = "NS RRset or name server address in an answer, not a referral (ScrubPromiscuous)"
	for _, rr := range sc.ns {
		sc.dropped = append(sc.dropped, fmt.Sprintf("dropped %s %s: %s", rr.Header().Name, typeString(rr.Header().Rrtype), why))
	}
	sc.ns, sc.nsOwner = nil, ""
	wanted := map[string]bool{}
	for _, rr := range sc.final {
		if t := target(rr); t != "" {
			wanted[lower(t)] = true
		}
	}
	kept := sc.addrs[:0:0]
	for _, rr := range sc.addrs {
		if wanted[lower(rr.Header().Name)] {
			kept = append(kept, rr)
			continue
		}
		sc.dropped = append(sc.dropped, fmt.Sprintf("dropped %s %s: %s", rr.Header().Name, typeString(rr.Header().Rrtype), why))
	}
	sc.addrs = kept
}

// target returns the host name an RR points to, for additional-section
// processing (RFC 1035 §3.3: NS, MX; RFC 2782: SRV).
func target(rr mdns.RR) string {
	switch rr := rr.(type) {
	case *mdns.NS:
		return rr.Ns
	case *mdns.MX:
		return rr.Mx
	case *mdns.SRV:
		return rr.Target
	}
	return ""
}

// mismatch says why resp cannot be the answer to the query with id and
// question (name, qtype), or "" if it can. RFC 5452 §9.1: a resolver
// accepts a response only if its ID and question match the query.
func mismatch(resp *mdns.Msg, id uint16, name string, qtype uint16) string {
	switch {
	case resp == nil:
		return "empty response"
	case !resp.Response:
		return "QR=0: not a response"
	case resp.Id != id:
		return fmt.Sprintf("ID %d, the query had %d", resp.Id, id)
	case len(resp.Question) != 1:
		return fmt.Sprintf("%d questions, want 1", len(resp.Question))
	}
	q := resp.Question[0]
	if !strings.EqualFold(q.Name, name) || q.Qtype != qtype || q.Qclass != mdns.ClassINET {
		return fmt.Sprintf("question %s, the query asked %s", qstring(q.Name, q.Qtype), qstring(name, qtype))
	}
	return ""
}

// summarize is the one-line account of a response for its trace event.
func summarize(m *mdns.Msg) string {
	var b strings.Builder
	b.WriteString(rcodeString(m.Rcode))
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Authoritative, "AA"}, {m.Truncated, "TC"}, {m.RecursionDesired, "RD"}, {m.RecursionAvailable, "RA"}} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	extra := len(m.Extra)
	if m.IsEdns0() != nil {
		extra--
	}
	fmt.Fprintf(&b, ", answer %d, authority %d, additional %d", len(m.Answer), len(m.Ns), extra)
	switch {
	case len(m.Answer) > 0:
		last := m.Answer[len(m.Answer)-1]
		fmt.Fprintf(&b, ": %s %s", typeString(last.Header().Rrtype), rdata(last))
	case m.Rcode == mdns.RcodeSuccess && !m.Authoritative && hasType(m.Ns, mdns.TypeNS):
		for _, rr := range m.Ns {
			if rr.Header().Rrtype == mdns.TypeNS {
				fmt.Fprintf(&b, ": referral to %s", rr.Header().Name)
				break
			}
		}
	case m.Rcode == mdns.RcodeSuccess && hasType(m.Ns, mdns.TypeSOA):
		b.WriteString(": no data")
	}
	return b.String()
}

func hasType(rrs []mdns.RR, t uint16) bool {
	for _, rr := range rrs {
		if rr.Header().Rrtype == t {
			return true
		}
	}
	return false
}

func rcodeString(rc int) string {
	if s, ok := mdns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}
