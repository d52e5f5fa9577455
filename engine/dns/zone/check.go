package zone

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/miekg/dns"
)

// build makes a zone of rrs, which it takes over, and checks it. lines gives
// the line each record came from, when there is a file.
func build(origin, file string, rrs []dns.RR, lines map[dns.RR]int) (*Zone, error) {
	z := empty(origin, file)
	var errs []*Error
	fail := func(rr dns.RR, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: lines[rr], Msg: fmt.Sprintf(format, args...)})
	}
	for _, rr := range rrs {
		if rr == nil {
			errs = append(errs, &Error{File: file, Msg: "a nil record"})
			continue
		}
		h := rr.Header()
		name := canon(h.Name)
		switch {
		case !hasRDATA(rr):
			fail(rr, "%s has no RDATA", h.Name)
		case h.Class != dns.ClassINET:
			fail(rr, "%s has class %s; wirelab zones are class IN", h.Name, dns.ClassToString[h.Class])
		case !dns.IsSubDomain(z.origin, name):
			fail(rr, "%s is outside the zone %s", h.Name, z.origin)
		case h.Rrtype == dns.TypeSOA && name != z.origin:
			fail(rr, "SOA record at %s, not at the apex %s (RFC 1035 §5.2)", h.Name, z.origin)
		case h.Rrtype == dns.TypeSOA && len(z.rrset(name, dns.TypeSOA)) > 0:
			fail(rr, "second SOA record; a zone has exactly one (RFC 1035 §5.2)")
		default:
			if msg := z.cnameConflict(rr); msg != "" {
				fail(rr, "%s", msg)
				continue
			}
			z.insert(rr)
		}
	}
	errs = append(errs, z.checkStructure(lines)...)
	if len(errs) > 0 {
		return nil, join(errs)
	}
	return z, nil
}

// hasRDATA reports whether rr carries RDATA. A master-file record whose
// RDATA is missing ("www IN A", the form RFC 2136 §2.5 uses to delete)
// comes out of miekg's parser as its type's zero value, as it does off the
// wire: a record no server can answer with and String cannot print back.
func hasRDATA(rr dns.RR) bool {
	switch rr := rr.(type) {
	case *dns.RR_Header, *dns.ANY:
		return false
	case *dns.RFC3597:
		return rr.Rdata != ""
	}
	h := rr.Header()
	newRR, ok := dns.TypeToRR[h.Rrtype]
	if !ok {
		return true
	}
	empty := newRR()
	*empty.Header() = *h
	return empty.String() != rr.String()
}

// Check runs the checks that need the whole zone: one SOA and NS records at
// the apex, and glue for every name server inside the zone. (The checks on
// single records hold by construction after New, Parse and the update
// methods.) A server runs it after an UPDATE, so that a change that would
// leave the zone unfit to load is refused.
func (z *Zone) Check() error {
	errs := z.checkStructure(nil)
	if len(errs) == 0 {
		return nil
	}
	return join(errs)
}

// join orders errs by line and joins them.
func join(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if len(errs) == 1 {
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// cnameCompatible reports whether type t may share an owner with a CNAME:
// only the DNSSEC records that sign and chain it (RFC 2181 §10.1, RFC 4035
// §2.5).
func cnameCompatible(t uint16) bool {
	return t == dns.TypeRRSIG || t == dns.TypeNSEC || t == dns.TypeCNAME
}

// cnameConflict explains why rr may not join the data at its name, or
// returns "". A name with a CNAME has no other data and only one CNAME
// (RFC 1034 §3.6.2, RFC 2181 §10.1).
func (z *Zone) cnameConflict(rr dns.RR) string {
	h := rr.Header()
	nd := z.nodes[canon(h.Name)]
	if nd == nil {
		return ""
	}
	if h.Rrtype == dns.TypeCNAME {
		if set := nd.rrsets[dns.TypeCNAME]; len(set) > 0 && !dns.IsDuplicate(set[0], rr) {
			return fmt.Sprintf("second CNAME at %s; a name has at most one (RFC 2181 §10.1)", h.Name)
		}
		for t := range nd.rrsets {
			if !cnameCompatible(t) {
				return fmt.Sprintf("CNAME and other data at %s (RFC 1034 §3.6.2, RFC 2181 §10.1)", h.Name)
			}
		}
		return ""
	}
	if !cnameCompatible(h.Rrtype) && len(nd.rrsets[dns.TypeCNAME]) > 0 {
		return fmt.Sprintf("CNAME and other data at %s (RFC 1034 §3.6.2, RFC 2181 §10.1)", h.Name)
	}
	return ""
}

// checkStructure checks the apex and the glue.
func (z *Zone) checkStructure(lines map[dns.RR]int) []*Error {
	var errs []*Error
	if len(z.rrset(z.origin, dns.TypeSOA)) == 0 {
		errs = append(errs, &Error{File: z.file, Msg: fmt.Sprintf("no SOA record at the apex %s (RFC 1035 §5.2)", z.origin)})
	}
	if len(z.rrset(z.origin, dns.TypeNS)) == 0 {
		errs = append(errs, &Error{File: z.file, Msg: fmt.Sprintf("no NS records at the apex %s (RFC 1034 §4.2.1)", z.origin)})
	}
	// RFC 1034 §4.2.1: a name server whose name is inside the zone it
	// serves, or inside the zone below the cut, can only be found through
	// the address records this zone holds for it: the glue.
	for _, name := range z.sortedNames() {
		if name != z.origin {
			if cut, _ := z.Cut(name); cut != name {
				continue // not a cut, or occluded below a higher one
			}
		}
		for _, rr := range z.nodes[name].rrsets[dns.TypeNS] {
			target := canon(rr.(*dns.NS).Ns)
			if !dns.IsSubDomain(z.origin, target) {
				continue
			}
			if len(z.rrset(target, dns.TypeA)) == 0 && len(z.rrset(target, dns.TypeAAAA)) == 0 {
				errs = append(errs, &Error{File: z.file, Line: lines[rr], Msg: fmt.Sprintf(
					"no glue: name server %s of %s is inside the zone but has no A or AAAA record (RFC 1034 §4.2.1)",
					rr.(*dns.NS).Ns, rr.Header().Name)})
			}
		}
	}
	return errs
}
