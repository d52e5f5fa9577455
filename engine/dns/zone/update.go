package zone

import (
	"fmt"

	"github.com/miekg/dns"
)

// The changes below are those of RFC 2136 §3.4.2, which keep a zone
// loadable: the apex keeps its SOA and at least one NS record, and no CNAME
// ever shares a name with other data. Each reports whether the zone
// changed. None touches the serial: the caller increments it once per
// update that changed something (RFC 2136 §3.6), with IncrementSerial.

// Add adds a copy of rr to its RRset (RFC 2136 §3.4.2.2). rr itself is never
// kept or changed: miekg's update helpers hand the same records to several
// messages. The rules:
//
//   - a record with the same RDATA as one in the RRset replaces it (its TTL
//     may differ); a CNAME or SOA replaces the zone's one outright;
//   - an SOA is ignored unless its serial is greater (RFC 1982) than the
//     zone's, and anywhere but the apex;
//   - a CNAME is ignored at a name with other data, and other data at a name
//     with a CNAME;
//   - the whole RRset takes the new record's TTL (RFC 2181 §5.2).
//
// It is an error for rr to be outside the zone or of a class other than IN.
func (z *Zone) Add(rr dns.RR) (changed bool, err error) {
	h := rr.Header()
	name := canon(h.Name)
	if h.Class != dns.ClassINET {
		return false, fmt.Errorf("zone: add %s: class %s is not IN", h.Name, dns.ClassToString[h.Class])
	}
	if !dns.IsSubDomain(z.origin, name) {
		return false, fmt.Errorf("zone: add %s: outside the zone %s", h.Name, z.origin)
	}
	if !hasRDATA(rr) {
		return false, fmt.Errorf("zone: add %s: no RDATA", h.Name)
	}
	if z.clashesWithCNAME(rr) {
		return false, nil
	}
	if h.Rrtype == dns.TypeSOA {
		cur := z.rrset(name, dns.TypeSOA)
		if len(cur) == 0 || !SerialLess(cur[0].(*dns.SOA).Serial, rr.(*dns.SOA).Serial) {
			return false, nil
		}
	}
	rr = copyRR(rr)
	ttl := rr.Header().Ttl
	nd := z.nodes[name]
	if nd != nil {
		set := nd.rrsets[h.Rrtype]
		for i, old := range set {
			if h.Rrtype == dns.TypeCNAME || h.Rrtype == dns.TypeSOA || dns.IsDuplicate(old, rr) {
				if dns.IsDuplicate(old, rr) && old.Header().Ttl == ttl {
					return false, nil // already there, as it is
				}
				set[i] = rr
				setTTL(set, ttl)
				return true, nil
			}
		}
	}
	z.insert(rr)
	setTTL(z.nodes[name].rrsets[h.Rrtype], ttl)
	return true, nil
}

// clashesWithCNAME reports whether RFC 2136 §3.4.2.2 ignores rr: a CNAME
// for a name with other data, or other data for a name with a CNAME. (A
// CNAME for a name with a CNAME replaces it.)
func (z *Zone) clashesWithCNAME(rr dns.RR) bool {
	h := rr.Header()
	nd := z.nodes[canon(h.Name)]
	if nd == nil {
		return false
	}
	if h.Rrtype == dns.TypeCNAME {
		for t := range nd.rrsets {
			if !cnameCompatible(t) {
				return true
			}
		}
		return false
	}
	return !cnameCompatible(h.Rrtype) && len(nd.rrsets[dns.TypeCNAME]) > 0
}

// setTTL gives every record of an RRset the same TTL.
func setTTL(set []dns.RR, ttl uint32) {
	for _, rr := range set {
		rr.Header().Ttl = ttl
	}
}

// DeleteRRset deletes the RRset at name with type t (RFC 2136 §3.4.2.3). The
// apex SOA and NS RRsets are never deleted.
func (z *Zone) DeleteRRset(name string, t uint16) bool {
	if canon(name) == z.origin && (t == dns.TypeSOA || t == dns.TypeNS) {
		return false
	}
	return z.removeSet(name, t)
}

// DeleteName deletes every RRset at name (RFC 2136 §3.4.2.3), except the SOA
// and NS RRsets at the apex.
func (z *Zone) DeleteName(name string) bool {
	name = canon(name)
	nd := z.nodes[name]
	if nd == nil {
		return false
	}
	changed := false
	for t := range nd.rrsets {
		if name == z.origin && (t == dns.TypeSOA || t == dns.TypeNS) {
			continue
		}
		delete(nd.rrsets, t)
		changed = true
	}
	z.pruneNode(name)
	return changed
}

// DeleteRR deletes the record with rr's owner, type and RDATA (RFC 2136
// §3.4.2.4); rr's class and TTL are not compared, as an update carries class
// NONE and TTL 0. An SOA is never deleted, nor the last NS record at the
// apex.
func (z *Zone) DeleteRR(rr dns.RR) bool {
	h := rr.Header()
	name := canon(h.Name)
	nd := z.nodes[name]
	if h.Rrtype == dns.TypeSOA || nd == nil {
		return false
	}
	probe := copyRR(rr)
	probe.Header().Class = dns.ClassINET
	set := nd.rrsets[h.Rrtype]
	for i, old := range set {
		if !dns.IsDuplicate(old, probe) {
			continue
		}
		if name == z.origin && h.Rrtype == dns.TypeNS && len(set) == 1 {
			return false
		}
		set = append(set[:i:i], set[i+1:]...)
		if len(set) == 0 {
			delete(nd.rrsets, h.Rrtype)
			z.pruneNode(name)
		} else {
			nd.rrsets[h.Rrtype] = set
		}
		return true
	}
	return false
}
