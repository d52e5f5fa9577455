package authority

import (
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/zone"
)

// update processes a dynamic update (RFC 2136 §3). The sections of an
// UPDATE are named differently but sit where a query's do: Zone in
// Question, Prerequisite in Answer, Update in Ns (RFC 2136 §2).
//
// The response echoes the zone section and nothing else, as BIND and Knot
// do; RFC 2136 §3.8 asks for all sections or none, and the zone section
// tells a learner which zone the answer is about.
func (s *Server) update(r *dns.Request, req *mdns.Msg) (*mdns.Msg, func()) {
	// §3.1.1: exactly one zone, of type SOA.
	if len(req.Question) != 1 || req.Question[0].Qtype != mdns.TypeSOA {
		return formErr(req), nil
	}
	zq := req.Question[0]
	zname := mdns.CanonicalName(zq.Name)
	resp := reply(req, mdns.RcodeSuccess)

	// §3.7: an update is atomic and serialized with other updates and with
	// queries. It is made on a clone, which replaces the zone only when the
	// whole update succeeded.
	s.mu.Lock()
	e := s.zones[zname]
	var changed *zone.Zone
	switch {
	case e == nil || zq.Qclass != mdns.ClassINET:
		resp.Rcode = mdns.RcodeNotAuth // §3.1.1: not one of our zones
	case e.secondary:
		resp.Rcode = mdns.RcodeRefused // no forwarding to the primary (§6)
	default:
		resp.Rcode, changed = s.applyUpdate(r, e.zone, zname, req)
		if changed != nil {
			e.zone = changed
		}
	}
	s.mu.Unlock()

	if changed == nil || s.OnChange == nil {
		return resp, nil
	}
	serial := changed.Serial()
	return resp, func() { s.OnChange(zname, serial) }
}

// applyUpdate checks the prerequisites and the permission, and applies the
// update to a clone of z. It returns the rcode and, when the zone changed,
// the new zone with its serial incremented.
func (s *Server) applyUpdate(r *dns.Request, z *zone.Zone, zname string, req *mdns.Msg) (int, *zone.Zone) {
	if rc := prerequisites(z, zname, req.Answer); rc != mdns.RcodeSuccess {
		return rc, nil
	}
	// §3.3: the permission check comes after the prerequisites and before
	// any change, so a refusal needs no undo.
	if s.UpdatePolicy != nil && !s.UpdatePolicy(r, zname) {
		return mdns.RcodeRefused, nil
	}
	if rc := prescan(zname, req.Ns); rc != mdns.RcodeSuccess {
		return rc, nil
	}
	nz := z.Clone()
	changed := false
	for _, rr := range req.Ns { // §3.4.2, in order
		h := rr.Header()
		var c bool
		switch {
		case h.Class == mdns.ClassINET:
			var err error
			if c, err = nz.Add(rr); err != nil {
				return mdns.RcodeServerFailure, nil // §3.4.2.1; the prescan rules it out
			}
		case h.Class == mdns.ClassANY && h.Rrtype == mdns.TypeANY:
			c = nz.DeleteName(h.Name)
		case h.Class == mdns.ClassANY:
			c = nz.DeleteRRset(h.Name, h.Rrtype)
		case h.Class == mdns.ClassNONE:
			c = nz.DeleteRR(rr)
		}
		changed = changed || c
	}
	if !changed {
		return mdns.RcodeSuccess, nil
	}
	// §3.6: the serial moves once per update that changed the zone, unless
	// the update set a new one itself.
	if nz.Serial() == z.Serial() {
		nz.IncrementSerial()
	}
	if err := nz.Check(); err != nil {
		// The change would leave a name server without glue: the zone
		// would not load, nor would a secondary take it. Refuse it whole
		// (§3.7).
		return mdns.RcodeRefused, nil
	}
	return mdns.RcodeSuccess, nz
}

// prerequisites checks the prerequisite section (RFC 2136 §3.2.5).
func prerequisites(z *zone.Zone, zname string, prereqs []mdns.RR) int {
	type key struct {
		name string
		t    uint16
	}
	var order []key
	sets := map[key][]mdns.RR{}
	for _, rr := range prereqs {
		h := rr.Header()
		if h.Ttl != 0 {
			return mdns.RcodeFormatError
		}
		if !mdns.IsSubDomain(zname, mdns.CanonicalName(h.Name)) {
			return mdns.RcodeNotZone
		}
		switch h.Class {
		case mdns.ClassANY:
			if hasRdata(rr) {
				return mdns.RcodeFormatError
			}
			if h.Rrtype == mdns.TypeANY {
				// §2.4.4 name is in use: an empty non-terminal is not.
				if len(z.Types(h.Name)) == 0 {
					return mdns.RcodeNameError
				}
			} else if len(z.RRset(h.Name, h.Rrtype)) == 0 {
				return mdns.RcodeNXRrset // §2.4.1 RRset exists
			}
		case mdns.ClassNONE:
			if hasRdata(rr) {
				return mdns.RcodeFormatError
			}
			if h.Rrtype == mdns.TypeANY {
				if len(z.Types(h.Name)) > 0 {
					return mdns.RcodeYXDomain // §2.4.5 name is not in use
				}
			} else if len(z.RRset(h.Name, h.Rrtype)) > 0 {
				return mdns.RcodeYXRrset // §2.4.3 RRset does not exist
			}
		case mdns.ClassINET:
			k := key{mdns.CanonicalName(h.Name), h.Rrtype}
			if _, ok := sets[k]; !ok {
				order = append(order, k)
			}
			sets[k] = append(sets[k], rr)
		default:
			return mdns.RcodeFormatError
		}
	}
	// §2.4.2 RRset exists (value dependent): the same members, no more, no
	// less.
	for _, k := range order {
		if !sameSet(sets[k], z.RRset(k.name, k.t)) {
			return mdns.RcodeNXRrset
		}
	}
	return mdns.RcodeSuccess
}

// sameSet reports whether two lists hold the same records, by owner, type
// and RDATA, ignoring TTLs and repeats.
func sameSet(a, b []mdns.RR) bool {
	return covers(a, b) && covers(b, a)
}

// covers reports whether every record of a has a duplicate in b.
func covers(a, b []mdns.RR) bool {
next:
	for _, x := range a {
		for _, y := range b {
			if mdns.IsDuplicate(x, y) {
				continue next
			}
		}
		return false
	}
	return true
}

// prescan checks the update section before anything changes (RFC 2136
// §3.4.1.3).
func prescan(zname string, updates []mdns.RR) int {
	for _, rr := range updates {
		h := rr.Header()
		if !mdns.IsSubDomain(zname, mdns.CanonicalName(h.Name)) {
			return mdns.RcodeNotZone
		}
		switch h.Class {
		case mdns.ClassINET:
			// An addition needs data: a record without RDATA, or one that
			// does not pack, would break every answer that carries it.
			if isMeta(h.Rrtype) || !hasRdata(rr) || !packs(rr) {
				return mdns.RcodeFormatError
			}
		case mdns.ClassANY:
			if h.Ttl != 0 || hasRdata(rr) || isMeta(h.Rrtype) && h.Rrtype != mdns.TypeANY {
				return mdns.RcodeFormatError
			}
		case mdns.ClassNONE:
			if h.Ttl != 0 || isMeta(h.Rrtype) {
				return mdns.RcodeFormatError
			}
		default:
			return mdns.RcodeFormatError
		}
	}
	return mdns.RcodeSuccess
}

// isMeta reports whether t is a query or meta type, which names no data
// (RFC 2136 §3.4.1.2, RFC 6895 §3.1).
func isMeta(t uint16) bool {
	switch t {
	case mdns.TypeANY, mdns.TypeAXFR, mdns.TypeIXFR, mdns.TypeMAILA, mdns.TypeMAILB,
		mdns.TypeOPT, mdns.TypeTSIG, mdns.TypeTKEY:
		return true
	}
	return false
}

// hasRdata reports whether rr carries RDATA. The meta-records of RFC 2136
// §2.4 and §2.5 have none; off the wire they unpack to their type's zero
// value, built in code they are *dns.ANY.
func hasRdata(rr mdns.RR) bool {
	switch rr := rr.(type) {
	case *mdns.RR_Header, *mdns.ANY:
		return false
	case *mdns.RFC3597:
		return rr.Rdata != ""
	}
	h := rr.Header()
	newRR, ok := mdns.TypeToRR[h.Rrtype]
	if !ok {
		return true
	}
	empty := newRR()
	*empty.Header() = *h
	return empty.String() != rr.String()
}

// packs reports whether rr can be put on the wire. It leaves rr alone: the
// request's records are the client's.
func packs(rr mdns.RR) bool {
	c := mdns.Copy(rr)
	if c == nil {
		return false
	}
	buf := make([]byte, mdns.Len(c)+1)
	_, err := mdns.PackRR(c, buf, 0, nil, false)
	return err == nil
}
