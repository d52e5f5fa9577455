package resolver

import (
	"slices"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
)

// result turns a top-level lookup's outcome into the answer the local
// server gives: stale data if the lookup failed and serve-stale is on,
// rotated RRsets, and the authority and additional sections unless
// responses are minimal.
func (t *tree) result(q Question, o outcome) Result {
	if o.rcode == mdns.RcodeServerFailure && t.sw.ServeStale {
		if s, ok := t.staleOutcome(q); ok {
			t.note(q.String(), "serving stale data with TTL %d (RFC 8767): the lookup failed: %s", StaleAnswerTTL, o.reason)
			o = s
		}
	}
	res := Result{Question: q, Mode: t.mode, Rcode: o.rcode, Reason: o.reason, Stale: o.stale}
	if o.rcode != mdns.RcodeServerFailure {
		res.Answer, res.Authority = o.answer, o.authority
		if t.rec != nil {
			// The order before round robin: the packed answer's.
			t.rec.answer = slices.Clone(o.answer)
		}
		t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
			if t.sw.RoundRobin && !o.stale {
				rotate(c, res.Answer)
			}
			if o.rcode == mdns.RcodeSuccess && len(o.authority) == 0 && len(o.answer) > 0 && !t.sw.MinimalResponses {
				res.Authority, res.Additional = t.extraSections(c, now, out, res.Answer)
			}
		})
	}
	res.Trace = t.trace
	res.Upstream = t.sends
	res.Elapsed = t.now().Sub(t.start)
	return res
}

// rotate turns each RRset of several records in answer by the offset its
// cache entry keeps, and advances that offset: round robin, so successive
// clients get the addresses in turn.
func rotate(c *cache, answer []mdns.RR) {
	if len(answer) < 2 {
		return
	}
	for _, g := range groupRRsets(answer) {
		if len(g) < 2 {
			continue
		}
		e := c.m[rrKey(g[0])]
		if e == nil || e.neg != positive {
			continue
		}
		off := e.rot % len(g)
		e.rot++
		rotated := append(slices.Clone(g[off:]), g[:off]...)
		// Write the new order back to the positions g's records hold in
		// answer.
		i := 0
		for j, rr := range answer {
			if i < len(g) && rr == g[i] {
				answer[j] = rotated[i]
				i++
			}
		}
	}
}

// rrKey is the cache key of rr's RRset.
func rrKey(rr mdns.RR) key {
	h := rr.Header()
	return key{lower(h.Name), h.Rrtype}
}

// extraSections returns the NS RRset of the zone holding the answer and the
// addresses of the hosts the answer and that RRset name (RFC 1035 §4.1:
// "additional records ... which may be helpful").
func (t *tree) extraSections(c *cache, now time.Time, out *[]dns.TraceEvent, answer []mdns.RR) (authority, additional []mdns.RR) {
	owner := lower(answer[len(answer)-1].Header().Name)
	for n := owner; ; n = parentName(n) {
		if e := t.fresh(c, key{n, mdns.TypeNS}, now, out); e != nil && e.neg == positive {
			authority = t.records(e, e.remaining(now))
			break
		}
		if n == "." {
			break
		}
	}
	var seen []string // few: a slice beats a map
	for _, sec := range [2][]mdns.RR{answer, authority} {
		for _, rr := range sec {
			name := target(rr)
			if name == "" {
				continue
			}
			name = lower(name)
			if slices.Contains(seen, name) {
				continue
			}
			seen = append(seen, name)
			for _, qt := range [2]uint16{mdns.TypeA, mdns.TypeAAAA} {
				if e := t.fresh(c, key{name, qt}, now, out); e != nil && e.neg == positive {
					additional = append(additional, t.records(e, e.remaining(now))...)
				}
			}
		}
	}
	return authority, additional
}

// staleOutcome answers q from the cache, expired data included (RFC 8767
// §4), following CNAMEs. ok is false unless some expired data was used:
// with only live data the lookup would not have failed.
func (t *tree) staleOutcome(q Question) (o outcome, ok bool) {
	usedStale := false
	t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
		win := t.r.opts.MaxStale
		ttl := func(e *entry, stale bool) uint32 {
			usedStale = usedStale || stale
			if stale {
				return StaleAnswerTTL
			}
			return e.remaining(now)
		}
		var chain []mdns.RR
		name := lower(q.Name)
		for range t.r.opts.MaxCNAMERestarts + 1 {
			if e, st := c.get(key{name, q.Type}, now, win, out); e != nil && (e.neg != positive || e.rank >= RankAnswer) {
				o, ok = outcome{rcode: mdns.RcodeSuccess, answer: chain, stale: true}, true
				if e.neg == positive {
					o.answer = append(o.answer, e.records(ttl(e, st))...)
				} else {
					o.authority = e.records(ttl(e, st))
				}
				return
			}
			if e, st := c.get(key{name, typeNXDomain}, now, win, out); e != nil {
				o, ok = outcome{rcode: mdns.RcodeNameError, answer: chain, authority: e.records(ttl(e, st)), stale: true}, true
				return
			}
			if q.Type == mdns.TypeCNAME {
				return
			}
			e, st := c.get(key{name, mdns.TypeCNAME}, now, win, out)
			if e == nil || e.neg != positive || e.rank < RankAnswer {
				return
			}
			rr := e.records(ttl(e, st))[0]
			chain = append(chain, rr)
			name = lower(rr.(*mdns.CNAME).Target)
		}
	})
	return o, ok && usedStale
}
