// Package zone holds DNS zones: the RFC 1035 §5 master files that describe
// them, the checks a zone must pass to be served, the lookups an
// authoritative server makes (RFC 1034 §4.3.2, with RFC 4592 wildcards and
// RFC 8020 empty non-terminals) and the changes a dynamic update makes
// (RFC 2136 §3.4.2).
//
// Records are github.com/miekg/dns RRs. Those are pointers, and miekg's
// update helpers (Msg.Insert, Msg.Remove, Msg.Used) rewrite the class and TTL
// of the records they are given, so a Zone never keeps a record it did not
// copy, and never hands out one of its own: every lookup returns copies.
//
// A Zone is not safe for concurrent modification. A server that answers
// while it updates changes a Clone and then publishes it (copy on write).
package zone

import (
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Zone is the data of one zone: its records indexed by owner name and type
// (RRsets), from the apex down to and including the delegation points (zone
// cuts) and the glue below them.
type Zone struct {
	origin string           // canonical: lower case, fully qualified
	file   string           // where the zone came from, for errors
	nodes  map[string]*node // canonical owner name -> its RRsets
	// below counts, for each name from an owner up to the apex, the owners
	// at or below it. A name with a count exists (RFC 8020 §2, RFC 4592
	// §2.2.2): with data of its own, or as an empty non-terminal.
	below map[string]int
}

// node is the data at one owner name.
type node struct {
	rrsets map[uint16][]dns.RR // type -> RRset, in the order added
}

// empty returns a zone with no records.
func empty(origin, file string) *Zone {
	return &Zone{
		origin: dns.CanonicalName(origin),
		file:   file,
		nodes:  map[string]*node{},
		below:  map[string]int{},
	}
}

// canon returns name in the form the zone indexes by.
func canon(name string) string { return dns.CanonicalName(name) }

// parent returns the name one label up from a canonical name, or "" for the
// root.
func parent(name string) string {
	if name == "." {
		return ""
	}
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

// Origin returns the zone's apex name, fully qualified and in lower case.
func (z *Zone) Origin() string { return z.origin }

// Contains reports whether name is at or below the apex. Names below a
// delegation point are contained too: they are glue or occluded data.
func (z *Zone) Contains(name string) bool { return dns.IsSubDomain(z.origin, canon(name)) }

// SOA returns a copy of the zone's SOA record, or nil if it has none.
func (z *Zone) SOA() *dns.SOA {
	set := z.rrset(z.origin, dns.TypeSOA)
	if len(set) == 0 {
		return nil
	}
	return dns.Copy(set[0]).(*dns.SOA)
}

// Serial returns the serial number in the zone's SOA record (RFC 1035
// §3.3.13), or 0 if it has none.
func (z *Zone) Serial() uint32 {
	set := z.rrset(z.origin, dns.TypeSOA)
	if len(set) == 0 {
		return 0
	}
	return set[0].(*dns.SOA).Serial
}

// Len returns the number of records in the zone.
func (z *Zone) Len() int {
	n := 0
	for _, nd := range z.nodes {
		for _, set := range nd.rrsets {
			n += len(set)
		}
	}
	return n
}

// rrset returns the zone's own records of one RRset; callers must not let
// them escape.
func (z *Zone) rrset(name string, t uint16) []dns.RR {
	nd := z.nodes[canon(name)]
	if nd == nil {
		return nil
	}
	return nd.rrsets[t]
}

// RRset returns copies of the records at name with type t, in the order they
// were added, or nil.
func (z *Zone) RRset(name string, t uint16) []dns.RR {
	return copyAll(z.rrset(name, t))
}

// Types returns the types of the RRsets at name, in ascending order. It is
// empty for a name without data, including an empty non-terminal.
func (z *Zone) Types(name string) []uint16 {
	nd := z.nodes[canon(name)]
	if nd == nil {
		return nil
	}
	types := make([]uint16, 0, len(nd.rrsets))
	for t := range nd.rrsets {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// Exists reports whether name exists in the zone: it owns records, or it has
// descendants that do and so is an empty non-terminal. RFC 8020 §2: a name
// with children is not NXDOMAIN; RFC 4592 §2.2.2: an empty non-terminal
// exists and blocks wildcard synthesis.
func (z *Zone) Exists(name string) bool { return z.below[canon(name)] > 0 }

// ClosestEncloser returns the closest encloser of name (RFC 4592 §3.3.1):
// the longest existing name in the zone that is name or one of its
// ancestors. It returns "" if name is not in the zone.
func (z *Zone) ClosestEncloser(name string) string {
	name = canon(name)
	if !dns.IsSubDomain(z.origin, name) {
		return ""
	}
	for n := name; n != ""; n = parent(n) {
		if z.Exists(n) || n == z.origin {
			return n
		}
	}
	return ""
}

// Wildcard returns the source of synthesis for name (RFC 4592 §3.3.1): the
// wildcard "*." + closest encloser, when name does not exist and that
// wildcard does. The source may be an empty non-terminal, which yields a
// NODATA answer. Wildcard does not look at zone cuts: a server first checks
// Cut, because synthesis never crosses one (RFC 4592 §2.2.1).
func (z *Zone) Wildcard(name string) (source string, ok bool) {
	if !z.Contains(name) || z.Exists(name) {
		return "", false
	}
	source = "*." + z.ClosestEncloser(name)
	if source == "*.." {
		source = "*."
	}
	return source, z.Exists(source)
}

// Cut returns the delegation point that name is at or below, if any: a name
// strictly below the apex that owns NS records (a zone cut, RFC 1034 §4.2.1).
// When there are several on the way down, it returns the one nearest the
// apex, the one RFC 1034 §4.3.2 step 3b meets first: records below it,
// deeper NS records included, are glue or occluded data, not the zone's.
func (z *Zone) Cut(name string) (cut string, ok bool) {
	name = canon(name)
	if !dns.IsSubDomain(z.origin, name) {
		return "", false
	}
	for n := name; n != z.origin && n != ""; n = parent(n) {
		if nd := z.nodes[n]; nd != nil && len(nd.rrsets[dns.TypeNS]) > 0 {
			cut, ok = n, true // keep walking up: a higher cut wins
		}
	}
	return cut, ok
}

// Cuts returns the zone's delegation points in canonical order.
func (z *Zone) Cuts() []string {
	var cuts []string
	for name, nd := range z.nodes {
		if name == z.origin || len(nd.rrsets[dns.TypeNS]) == 0 {
			continue
		}
		if c, _ := z.Cut(name); c == name {
			cuts = append(cuts, name)
		}
	}
	slices.SortFunc(cuts, CompareNames)
	return cuts
}

// Clone returns a deep copy of the zone: every record is copied with
// dns.Copy, so changing the clone leaves z as it was.
func (z *Zone) Clone() *Zone {
	c := empty(z.origin, z.file)
	for name, nd := range z.nodes {
		cn := &node{rrsets: make(map[uint16][]dns.RR, len(nd.rrsets))}
		for t, set := range nd.rrsets {
			cn.rrsets[t] = copyAll(set)
		}
		c.nodes[name] = cn
	}
	for name, n := range z.below {
		c.below[name] = n
	}
	return c
}

// Records returns copies of all the zone's records: the SOA first, as a zone
// transfer (RFC 5936 §2.2) and a master file (RFC 1035 §5.2) begin with it,
// then the rest in canonical order (RFC 4034 §6): by owner name, then type,
// then RDATA.
func (z *Zone) Records() []dns.RR {
	out := make([]dns.RR, 0, z.Len())
	if soa := z.SOA(); soa != nil {
		out = append(out, soa)
	}
	for _, name := range z.sortedNames() {
		for _, t := range z.Types(name) {
			if name == z.origin && t == dns.TypeSOA {
				continue
			}
			set := copyAll(z.nodes[name].rrsets[t])
			slices.SortFunc(set, compareRdata)
			out = append(out, set...)
		}
	}
	return out
}

// String returns the zone as a master file (RFC 1035 §5) that Parse reads
// back: one record a line, absolute names, SOA first.
func (z *Zone) String() string {
	var b strings.Builder
	b.WriteString("$ORIGIN " + z.origin + "\n")
	for _, rr := range z.Records() {
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// insert adds rr, which the zone now owns, to its RRset without any of the
// update rules. A duplicate (same owner, class, type and RDATA, RFC 2181
// §5) is dropped, and the RRset keeps the TTL of its first record (RFC 2181
// §5.2: the TTLs of an RRset are equal), as BIND does when loading.
func (z *Zone) insert(rr dns.RR) {
	h := rr.Header()
	name := canon(h.Name)
	nd := z.nodes[name]
	if nd == nil {
		nd = &node{rrsets: map[uint16][]dns.RR{}}
		z.nodes[name] = nd
		for n := name; n != ""; n = parent(n) {
			z.below[n]++
			if n == z.origin {
				break
			}
		}
	}
	set := nd.rrsets[h.Rrtype]
	for _, old := range set {
		if dns.IsDuplicate(old, rr) {
			return
		}
	}
	if len(set) > 0 {
		h.Ttl = set[0].Header().Ttl
	}
	nd.rrsets[h.Rrtype] = append(set, rr)
}

// removeSet deletes one RRset, and the node when it is left empty.
func (z *Zone) removeSet(name string, t uint16) bool {
	name = canon(name)
	nd := z.nodes[name]
	if nd == nil || len(nd.rrsets[t]) == 0 {
		return false
	}
	delete(nd.rrsets, t)
	z.pruneNode(name)
	return true
}

// pruneNode drops the node at name if it has no RRsets left.
func (z *Zone) pruneNode(name string) {
	nd := z.nodes[name]
	if nd == nil || len(nd.rrsets) > 0 {
		return
	}
	delete(z.nodes, name)
	for n := name; n != ""; n = parent(n) {
		if z.below[n]--; z.below[n] == 0 {
			delete(z.below, n)
		}
		if n == z.origin {
			break
		}
	}
}

// copyAll returns copies of rrs.
func copyAll(rrs []dns.RR) []dns.RR {
	if rrs == nil {
		return nil
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = copyRR(rr)
	}
	return out
}

// copyRR copies one record. miekg's Copy returns nil for a bare
// *dns.RR_Header (what a record without RDATA may unpack to), which is
// copied by value here instead.
func copyRR(rr dns.RR) dns.RR {
	if h, ok := rr.(*dns.RR_Header); ok {
		c := *h
		return &c
	}
	if rr == nil {
		return nil
	}
	return dns.Copy(rr)
}
