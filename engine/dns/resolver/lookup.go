package resolver

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
)

// A lookup is a state machine. Its events (a response, an Exchanger error,
// a timeout) arrive as callbacks; each runs through the tree's serial queue,
// so a lookup's state is touched by one callback at a time even when the
// Exchanger answers before Exchange returns or a real clock fires timers on
// other goroutines.

// serial runs functions one at a time, in the order they were queued. A
// function queued while another runs (from inside it, or from another
// goroutine) runs after it, on the goroutine already draining the queue.
type serial struct {
	mu      sync.Mutex
	queue   []func()
	running bool
}

func (s *serial) do(f func()) {
	s.mu.Lock()
	s.queue = append(s.queue, f)
	if s.running {
		s.mu.Unlock()
		return
	}
	s.running = true
	for len(s.queue) > 0 {
		f := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		f()
		s.mu.Lock()
	}
	s.running = false
	s.mu.Unlock()
}

// tree is what a lookup shares with the lookups it starts for the addresses
// of glueless name servers: the budget, the trace and the queue.
type tree struct {
	r      *Resolver
	mode   Mode
	sw     Switches
	start  time.Time
	serial serial

	// wantTrace keeps every event in trace for Result.Trace; without it
	// events go only to Options.OnEvent, and when that is nil too none is
	// built (see tracing).
	wantTrace bool
	trace     []dns.TraceEvent
	// rec, if not nil, records the cache reads of a stub query's lookup,
	// so that ServeDNS can keep the answer in wire format (see
	// storeAnswer).
	rec       *recording
	sends     int
	referrals int
	// failed is set when a limit ends the whole tree.
	failed string
}

// outcome is how a lookup ended.
type outcome struct {
	rcode     int
	answer    []mdns.RR
	authority []mdns.RR // the SOA of a negative answer
	reason    string
	stale     bool
}

type lookup struct {
	t      *tree
	parent *lookup
	depth  int
	qname  string // the name asked now, after CNAME restarts
	qtype  uint16
	chain  []mdns.RR // CNAMEs followed so far
	links  int

	// The delegation being asked: zone (canonical), its NS names and the
	// servers with known addresses.
	zone     string
	nsNames  []string
	servers  []server
	nextSrv  int
	nextNS   int
	haveAddr map[string]bool

	// child is the name sent while minimising QNAMEs (RFC 9156 §3's
	// CHILD), "" when not minimising; minSteps counts minimised queries
	// below the current zone.
	child    string
	minSteps int

	attempt  int
	timer    clock.Timer
	finished bool
	finish   func(outcome)
}

func (t *tree) newLookup(q Question, parent *lookup) *lookup {
	l := &lookup{t: t, parent: parent, qname: mdns.Fqdn(q.Name), qtype: q.Type}
	if parent != nil {
		l.depth = parent.depth + 1
	}
	return l
}

func (t *tree) now() time.Time { return t.r.clk.Now() }

// tracing reports whether anyone will see the tree's events: the caller
// of Resolve in Result.Trace, or Options.OnEvent. When nobody will, the
// lookup builds no events at all: their summaries and wire bytes are most
// of the cost of a cache hit.
func (t *tree) tracing() bool { return t.wantTrace || t.r.opts.OnEvent != nil }

func (t *tree) emit(ev dns.TraceEvent) {
	if !t.tracing() {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = t.now()
	}
	if t.wantTrace {
		t.trace = append(t.trace, ev)
	}
	if f := t.r.opts.OnEvent; f != nil {
		f(ev)
	}
}

func (t *tree) note(question, format string, args ...any) {
	if !t.tracing() {
		return
	}
	t.emit(dns.TraceEvent{Kind: dns.TraceNote, Question: question, Summary: fmt.Sprintf(format, args...)})
}

// locked runs f on the cache under the resolver's lock, then emits the
// events f produced. out is nil when nobody will see events (see
// tracing); f and the cache methods it calls then build none.
func (t *tree) locked(f func(c *cache, now time.Time, out *[]dns.TraceEvent)) {
	now := t.now()
	if !t.tracing() {
		t.r.mu.Lock()
		f(t.r.cache, now, nil)
		t.r.mu.Unlock()
		return
	}
	var evs []dns.TraceEvent
	t.r.mu.Lock()
	f(t.r.cache, now, &evs)
	t.r.mu.Unlock()
	for _, ev := range evs {
		t.emit(ev)
	}
}

// staleWindow is how long past expiry the cache keeps entries.
func (t *tree) staleWindow() time.Duration {
	if t.sw.ServeStale {
		return t.r.opts.MaxStale
	}
	return 0
}

// fresh returns the live entry for k. An expired entry kept for serve-stale
// counts as missing.
func (t *tree) fresh(c *cache, k key, now time.Time, out *[]dns.TraceEvent) *entry {
	e, stale := c.get(k, now, t.staleWindow(), out)
	if t.rec != nil {
		t.rec.read(k, e, stale)
	}
	if stale {
		return nil
	}
	return e
}

// records returns copies of e's records with TTL ttl, noting where they
// came from when recording.
func (t *tree) records(e *entry, ttl uint32) []mdns.RR {
	rrs := e.records(ttl)
	if t.rec != nil {
		t.rec.copied(e, rrs)
	}
	return rrs
}

// hit counts a cache hit and reports it.
func (t *tree) hit(e *entry, ttl uint32, now time.Time, out *[]dns.TraceEvent) {
	t.r.counters.CacheHits++
	if t.rec != nil {
		t.rec.hits = append(t.rec.hits, e)
	}
	if out != nil {
		*out = append(*out, dns.TraceEvent{Kind: dns.TraceCacheHit, Time: now, Question: e.question(), Summary: describe(e, ttl)})
	}
}

func (l *lookup) question() string { return qstring(l.qname, l.qtype) }

// step is RFC 1034 §5.3.3 step 1 (the cache) and step 2 (the closest
// servers), then sends the first query. A CNAME restart comes back here.
func (l *lookup) step() {
	if l.finished {
		return
	}
	if l.t.failed != "" {
		l.fail(l.t.failed)
		return
	}
	for {
		o, follow, hit := l.fromCache()
		if !hit {
			break
		}
		if follow == nil {
			l.done(o)
			return
		}
		if !l.follow(follow) {
			return
		}
	}
	l.delegate()
	l.next()
}

// fromCache looks (qname, qtype) up. It returns the outcome of a hit, or a
// CNAME to follow, or hit == false.
func (l *lookup) fromCache() (o outcome, follow *mdns.CNAME, hit bool) {
	t := l.t
	name := lower(l.qname)
	t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
		// RFC 2181 §5.4.1: additional-rank data is never an answer.
		if e := t.fresh(c, key{name, l.qtype}, now, out); e != nil && (e.neg != positive || e.rank >= RankAnswer) {
			ttl := e.remaining(now)
			t.hit(e, ttl, now, out)
			hit = true
			if e.neg == positive {
				o = outcome{rcode: mdns.RcodeSuccess, answer: append(slices.Clone(l.chain), t.records(e, ttl)...)}
			} else {
				o = outcome{rcode: mdns.RcodeSuccess, answer: slices.Clone(l.chain), authority: t.records(e, ttl)}
			}
			return
		}
		if l.qtype != mdns.TypeCNAME {
			if e := t.fresh(c, key{name, mdns.TypeCNAME}, now, out); e != nil && e.neg == positive && e.rank >= RankAnswer {
				ttl := e.remaining(now)
				t.hit(e, ttl, now, out)
				hit = true
				follow = t.records(e, ttl)[0].(*mdns.CNAME)
				return
			}
		}
		// RFC 8020: an NXDOMAIN for the name or any ancestor means
		// nothing exists here.
		for n := name; ; n = parentName(n) {
			if e := t.fresh(c, key{n, typeNXDomain}, now, out); e != nil {
				ttl := e.remaining(now)
				t.hit(e, ttl, now, out)
				hit = true
				o = outcome{rcode: mdns.RcodeNameError, answer: slices.Clone(l.chain), authority: t.records(e, ttl)}
				return
			}
			if n == "." {
				break
			}
		}
		t.r.counters.CacheMisses++
		summary := "not in the cache"
		if e, stale := c.get(key{name, l.qtype}, now, t.staleWindow(), out); e != nil && stale {
			summary = "expired; kept for serve-stale while the lookup refreshes it"
		}
		if out != nil {
			*out = append(*out, dns.TraceEvent{Kind: dns.TraceCacheMiss, Time: now, Question: l.question(), Summary: summary})
		}
	})
	return o, follow, hit
}

// follow adds CNAME links to the chain and moves the lookup to the last
// target, unless that passes the restart limit.
func (l *lookup) follow(cnames ...*mdns.CNAME) bool {
	for _, c := range cnames {
		l.links++
		if l.links > l.t.r.opts.MaxCNAMERestarts {
			l.limit(fmt.Sprintf("CNAME restart limit reached: more than %d CNAMEs from %s (MaxCNAMERestarts)", l.t.r.opts.MaxCNAMERestarts, l.chainStart()))
			return false
		}
		l.chain = append(l.chain, c)
		l.qname = c.Target
	}
	return true
}

func (l *lookup) chainStart() string {
	if len(l.chain) > 0 {
		return l.chain[0].Header().Name
	}
	return l.qname
}

// delegate finds the closest servers for qname: the deepest cached NS
// RRset with usable addresses, else the root hints (RFC 1034 §5.3.3 step 2).
// In Recursive mode the local server always asks the root, as the lecture
// draws it.
func (l *lookup) delegate() {
	t := l.t
	l.zone, l.nsNames, l.servers = ".", nil, nil
	l.nextSrv, l.nextNS = 0, 0
	l.haveAddr = map[string]bool{}
	found := false
	if t.mode == Iterated {
		t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
			for n := lower(l.qname); ; n = parentName(n) {
				if e := t.fresh(c, key{n, mdns.TypeNS}, now, out); e != nil && e.neg == positive {
					names := nsTargets(e.rrs)
					servers := l.addresses(c, now, out, names, nil)
					if len(servers) > 0 || !allUnder(n, names) {
						l.zone, l.nsNames, l.servers = n, names, servers
						found = true
						if out != nil {
							*out = append(*out, dns.TraceEvent{
								Kind: dns.TraceCacheHit, Time: now, Question: qstring(n, mdns.TypeNS),
								Summary: fmt.Sprintf("delegation: %d name servers, %d addresses known", len(names), len(servers)),
							})
						}
						return
					}
				}
				if n == "." {
					return
				}
			}
		})
	}
	if !found {
		for _, h := range t.r.hints {
			l.nsNames = append(l.nsNames, h.name)
			l.servers = append(l.servers, h)
			l.haveAddr[lower(h.name)] = true
		}
	}
	l.startMinimising()
}

// addresses lists servers for names: addresses from glue first, then from
// the cache (any rank: glue is there to find servers).
func (l *lookup) addresses(c *cache, now time.Time, out *[]dns.TraceEvent, names []string, glue []mdns.RR) []server {
	var servers []server
	for _, n := range names {
		ln := lower(n)
		var rrs []mdns.RR
		for _, rr := range glue {
			if lower(rr.Header().Name) == ln {
				rrs = append(rrs, rr)
			}
		}
		if len(rrs) == 0 {
			for _, qt := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
				if e := l.t.fresh(c, key{ln, qt}, now, out); e != nil && e.neg == positive {
					rrs = append(rrs, e.rrs...)
				}
			}
		}
		for _, rr := range rrs {
			if a, ok := addrOf(rr); ok {
				servers = append(servers, server{name: n, addr: a})
				l.haveAddr[ln] = true
			}
		}
	}
	return servers
}

func nsTargets(rrs []mdns.RR) []string {
	var names []string
	for _, rr := range rrs {
		if ns, ok := rr.(*mdns.NS); ok {
			names = append(names, ns.Ns)
		}
	}
	return names
}

// allUnder reports whether every name is at or below zone: servers whose
// addresses can only be found by asking themselves.
func allUnder(zone string, names []string) bool {
	for _, n := range names {
		if !under(zone, lower(n)) {
			return false
		}
	}
	return true
}

// startMinimising sets CHILD to one label below the zone (RFC 9156 §3
// steps 2 and 4).
func (l *lookup) startMinimising() {
	l.child, l.minSteps = "", 0
	if l.t.sw.QNAMEMinimisation && l.t.mode == Iterated {
		l.child = l.grow(l.zone)
	}
}

// grow returns from with the next label or labels of qname added: one at
// a time for the first minimiseOneLabel queries, then spread over the
// rest of maxMinimiseCount (RFC 9156 §2.3).
func (l *lookup) grow(from string) string {
	idx := mdns.Split(l.qname)
	total, have := len(idx), mdns.CountLabel(from)
	left := total - have
	if left <= 0 {
		return l.qname
	}
	l.minSteps++
	n := 1
	if l.minSteps > minimiseOneLabel {
		if iters := maxMinimiseCount - l.minSteps + 1; iters > 1 {
			n = max(left/iters, 1)
		} else {
			n = left
		}
	}
	return l.qname[idx[total-min(have+n, total)]:]
}

// queryName returns the name and type to send: CHILD with QTYPE A while
// minimising (RFC 9156 §2.1), else the question itself.
func (l *lookup) queryName() (string, uint16, bool) {
	if l.child == "" || strings.EqualFold(l.child, l.qname) {
		return l.qname, l.qtype, false
	}
	return l.child, mdns.TypeA, true
}

// next sends the query to the next server of the set, or looks up the
// address of a glueless name server, or gives up (RFC 1034 §5.3.3 step 3).
func (l *lookup) next() {
	t := l.t
	if l.finished {
		return
	}
	if t.failed != "" {
		l.fail(t.failed)
		return
	}
	if l.nextSrv < len(l.servers) {
		s := l.servers[l.nextSrv]
		l.nextSrv++
		l.send(s)
		return
	}
	for l.nextNS < len(l.nsNames) {
		name := l.nsNames[l.nextNS]
		l.nextNS++
		ln := lower(name)
		if l.haveAddr[ln] {
			continue
		}
		if l.depth+1 > t.r.opts.MaxDependencyDepth {
			t.note(qstring(name, mdns.TypeA), "not looking up the address of %s: lookups nested %d deep (MaxDependencyDepth)", name, t.r.opts.MaxDependencyDepth)
			continue
		}
		if l.resolving(ln) {
			t.note(qstring(name, mdns.TypeA), "not looking up the address of %s: that lookup is waiting for this one (dependency cycle)", name)
			continue
		}
		t.note(qstring(name, mdns.TypeA), "no address for %s, a name server of %s (glueless delegation): looking it up", name, l.zone)
		sub := t.newLookup(Question{Name: name, Type: mdns.TypeA}, l)
		sub.finish = func(o outcome) { l.gotAddresses(name, o) }
		sub.step()
		return
	}
	l.fail(fmt.Sprintf("no server for %s answered", l.zone))
}

// resolving reports whether this lookup or one waiting for it is looking up
// name.
func (l *lookup) resolving(name string) bool {
	for p := l; p != nil; p = p.parent {
		if lower(p.qname) == name {
			return true
		}
	}
	return false
}

func (l *lookup) gotAddresses(name string, o outcome) {
	if o.rcode == mdns.RcodeSuccess {
		for _, rr := range o.answer {
			if a, ok := addrOf(rr); ok {
				l.servers = append(l.servers, server{name: name, addr: a})
				l.haveAddr[lower(name)] = true
			}
		}
	}
	l.next()
}

// send queries server s, with a timer for the attempt.
func (l *lookup) send(s server) {
	t, r := l.t, l.t.r
	if t.sends >= r.opts.MaxUpstreamQueries {
		l.limit(fmt.Sprintf("upstream query limit reached: %d queries sent (MaxUpstreamQueries)", r.opts.MaxUpstreamQueries))
		return
	}
	name, qtype, minimised := l.queryName()
	q := dns.NewQuery(r.ids, name, qtype, t.mode == Recursive)
	if t.sw.EDNS {
		q.SetEdns0(DefaultUDPSize, false)
	}
	wire, err := q.Pack()
	if err != nil {
		l.fail(fmt.Sprintf("cannot pack the query for %s: %v", qstring(name, qtype), err))
		return
	}
	t.sends++
	r.mu.Lock()
	r.counters.Sent++
	r.mu.Unlock()
	if t.tracing() {
		summary := fmt.Sprintf("query id %d, RD=%d", q.Id, b2i(q.RecursionDesired))
		if minimised {
			summary += fmt.Sprintf(", QNAME minimised (RFC 9156) from %s", l.question())
		}
		t.emit(dns.TraceEvent{
			Kind: dns.TraceQuery, From: r.opts.Addr, FromName: r.opts.Name, To: s.addr, ToName: s.name,
			Question: qstring(name, qtype), Summary: summary, Wire: wire,
		})
	}
	l.attempt++
	attempt, id := l.attempt, q.Id
	l.timer = r.clk.AfterFunc(r.opts.QueryTimeout, func() {
		t.serial.do(func() { l.timedOut(attempt, s, name, qtype) })
	})
	r.ex.Exchange(s.addr, q, func(resp *mdns.Msg, err error) {
		t.serial.do(func() { l.received(attempt, s, id, name, qtype, minimised, resp, err) })
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (l *lookup) timedOut(attempt int, s server, name string, qtype uint16) {
	if l.finished || attempt != l.attempt {
		return
	}
	l.attempt++
	r := l.t.r
	if l.t.tracing() {
		l.t.emit(dns.TraceEvent{
			Kind: dns.TraceTimeout, From: r.opts.Addr, FromName: r.opts.Name, To: s.addr, ToName: s.name,
			Question: qstring(name, qtype), Summary: fmt.Sprintf("no response within %v; trying another server", r.opts.QueryTimeout),
		})
	}
	l.next()
}

func (l *lookup) received(attempt int, s server, id uint16, name string, qtype uint16, minimised bool, resp *mdns.Msg, err error) {
	if l.finished || attempt != l.attempt {
		return
	}
	t, r := l.t, l.t.r
	if err != nil {
		l.stopTimer()
		if t.tracing() {
			t.emit(dns.TraceEvent{
				Kind: dns.TraceTimeout, From: r.opts.Addr, FromName: r.opts.Name, To: s.addr, ToName: s.name,
				Question: qstring(name, qtype), Summary: fmt.Sprintf("%v; trying another server", err),
			})
		}
		l.next()
		return
	}
	if why := mismatch(resp, id, name, qtype); why != "" {
		// Keep waiting: the real answer may still come, or the timer
		// moves on.
		t.note(qstring(name, qtype), "ignored a response from %s: %s", s.name, why)
		return
	}
	l.stopTimer()
	if t.tracing() {
		wire, _ := resp.Pack()
		t.emit(dns.TraceEvent{
			Kind: dns.TraceResponse, From: s.addr, FromName: s.name, To: r.opts.Addr, ToName: r.opts.Name,
			Question: qstring(name, qtype), Summary: summarize(resp), Wire: wire,
		})
	}
	l.handle(s, name, qtype, minimised, resp)
}

func (l *lookup) stopTimer() {
	l.attempt++
	if l.timer != nil {
		l.timer.Stop()
	}
}

// handle acts on a valid response (RFC 1034 §5.3.3 step 4).
func (l *lookup) handle(s server, name string, qtype uint16, minimised bool, resp *mdns.Msg) {
	t := l.t
	rc := resp.Rcode
	switch {
	case resp.Truncated:
		t.note(qstring(name, qtype), "%s sent a truncated response (TC=1); trying another server", s.name)
		l.next()
		return
	case rc != mdns.RcodeSuccess && rc != mdns.RcodeNameError:
		// Step 4d: a server failure or a refusal makes the server lame
		// for this zone; ask another.
		t.note(qstring(name, qtype), "%s answered %s: lame for %s; trying another server", s.name, rcodeString(rc), l.zone)
		l.next()
		return
	}
	sc := scrub(resp, l.zone, name, qtype)
	if t.sw.ScrubPromiscuous {
		sc.dropPromiscuous()
	}
	if t.tracing() {
		for _, d := range sc.dropped {
			t.note(qstring(name, qtype), "%s (from %s)", d, s.name)
		}
	}
	aa := resp.Authoritative
	referral := len(sc.final) == 0 && len(sc.cnames) == 0 && rc == mdns.RcodeSuccess &&
		len(sc.ns) > 0 && sc.soa == nil && (!aa || sc.nsOwner != l.zone)
	l.store(sc, aa, referral)

	if minimised {
		switch {
		case referral:
			l.descend(sc)
		case rc == mdns.RcodeNameError && len(sc.cnames) == 0:
			// RFC 9156 §3 step 6d with RFC 8020: nothing exists at or
			// below the name, so neither does the full QNAME.
			l.storeNegative(negNXDomain, sc.endName, typeNXDomain, sc.soa, aa)
			l.done(outcome{rcode: mdns.RcodeNameError, answer: l.chain, authority: soaRecords(sc.soa, l.negTTL(sc.soa))})
		default:
			// Step 6c: no zone cut here; one more label, same servers.
			if rc == mdns.RcodeSuccess && len(sc.final) == 0 && len(sc.cnames) == 0 {
				l.storeNegative(negNoData, sc.endName, qtype, sc.soa, aa)
			}
			l.child = l.grow(name)
			l.nextSrv = max(slices.Index(l.servers, s), 0)
			l.next()
		}
		return
	}

	switch {
	case len(sc.final) > 0:
		if !l.follow(cnames(l.capped(sc.cnames))...) {
			return
		}
		l.done(outcome{rcode: mdns.RcodeSuccess, answer: append(slices.Clone(l.chain), l.capped(sc.final)...)})
	case len(sc.cnames) > 0:
		if !l.follow(cnames(l.capped(sc.cnames))...) {
			return
		}
		switch {
		case sc.soa != nil && rc == mdns.RcodeNameError:
			l.storeNegative(negNXDomain, sc.endName, typeNXDomain, sc.soa, aa)
			l.done(outcome{rcode: mdns.RcodeNameError, answer: l.chain, authority: soaRecords(sc.soa, l.negTTL(sc.soa))})
		case sc.soa != nil:
			l.storeNegative(negNoData, sc.endName, qtype, sc.soa, aa)
			l.done(outcome{rcode: mdns.RcodeSuccess, answer: l.chain, authority: soaRecords(sc.soa, l.negTTL(sc.soa))})
		default:
			// The target lies outside this server's data: start
			// again from the cache with the new name (step 4c).
			l.step()
		}
	case rc == mdns.RcodeNameError:
		l.storeNegative(negNXDomain, sc.endName, typeNXDomain, sc.soa, aa)
		l.done(outcome{rcode: mdns.RcodeNameError, answer: l.chain, authority: soaRecords(sc.soa, l.negTTL(sc.soa))})
	case referral:
		l.descend(sc)
	case len(sc.ns) == 0 && sc.soa == nil && len(resp.Ns)+len(resp.Answer) > 0:
		// Everything was dropped: a wrong referral (to a zone that does
		// not contain the name, or above this server's zone) or answers
		// for names it does not serve. The server is lame.
		t.note(qstring(name, qtype), "%s gave no usable answer or referral: lame for %s; trying another server", s.name, l.zone)
		l.next()
	default:
		// NODATA (RFC 2308 §2.2).
		l.storeNegative(negNoData, sc.endName, qtype, sc.soa, aa)
		l.done(outcome{rcode: mdns.RcodeSuccess, answer: l.chain, authority: soaRecords(sc.soa, l.negTTL(sc.soa))})
	}
}

func cnames(rrs []mdns.RR) []*mdns.CNAME {
	out := make([]*mdns.CNAME, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, rr.(*mdns.CNAME))
	}
	return out
}

// descend follows a referral: the NS RRset names the servers of a zone
// closer to the answer (step 4b: "cache the delegation information, and go
// to step 2").
func (l *lookup) descend(sc scrubbed) {
	t := l.t
	t.referrals++
	if t.referrals > t.r.opts.MaxReferrals {
		l.limit(fmt.Sprintf("referral limit reached: more than %d referrals (MaxReferrals)", t.r.opts.MaxReferrals))
		return
	}
	l.zone = sc.nsOwner
	l.nsNames = nsTargets(sc.ns)
	l.nextSrv, l.nextNS = 0, 0
	l.haveAddr = map[string]bool{}
	t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
		l.servers = l.addresses(c, now, out, l.nsNames, sc.addrs)
	})
	l.startMinimising()
	l.next()
}

// store caches the records scrub kept, each RRset with its rank.
func (l *lookup) store(sc scrubbed, aa, referral bool) {
	answerRank, authRank := RankAnswer, RankAdditional
	if aa {
		answerRank = RankAuthAnswer
		if !referral {
			authRank = RankAuthAuthority
		}
	}
	type set struct {
		rrs  []mdns.RR
		rank Rank
	}
	var sets []set
	for _, rr := range sc.cnames {
		sets = append(sets, set{[]mdns.RR{rr}, answerRank})
	}
	for _, g := range groupRRsets(sc.final) {
		sets = append(sets, set{g, answerRank})
	}
	if len(sc.ns) > 0 {
		sets = append(sets, set{sc.ns, authRank})
	}
	for _, g := range groupRRsets(sc.addrs) {
		sets = append(sets, set{g, RankAdditional})
	}
	if len(sets) == 0 {
		return
	}
	l.t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
		for _, s := range sets {
			ttl := l.ttl(s.rrs)
			if ttl == 0 {
				continue // TTL 0: use once, never cache (RFC 1035 §3.2.1)
			}
			h := s.rrs[0].Header()
			e := &entry{k: key{lower(h.Name), h.Rrtype}, ttl: ttl, expires: now.Add(time.Duration(ttl) * time.Second), rank: s.rank}
			e.rrs = withTTL(s.rrs, ttl)
			c.put(e, now, out)
		}
	})
}

// storeNegative caches a negative answer for its SOA's negative TTL (RFC
// 2308 §5). Without an SOA it is not cached.
func (l *lookup) storeNegative(kind negKind, name string, qtype uint16, soa *mdns.SOA, aa bool) {
	ttl := l.negTTL(soa)
	if soa == nil || ttl == 0 {
		return
	}
	rank := RankAnswer
	if aa {
		rank = RankAuthAuthority
	}
	l.t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
		e := &entry{k: key{lower(name), qtype}, ttl: ttl, expires: now.Add(time.Duration(ttl) * time.Second), rank: rank, neg: kind}
		e.rrs = withTTL([]mdns.RR{soa}, ttl)
		c.put(e, now, out)
	})
}

// negTTL is RFC 2308 §5's negative TTL: the smaller of the SOA's TTL and
// its MINIMUM field, capped by MaxNegativeTTL and raised to MinNegativeTTL.
func (l *lookup) negTTL(soa *mdns.SOA) uint32 {
	if soa == nil {
		return 0
	}
	ttl := min(soa.Hdr.Ttl, soa.Minttl, seconds(l.t.r.opts.MaxNegativeTTL))
	return max(ttl, seconds(l.t.r.opts.MinNegativeTTL))
}

// ttl is the TTL the cache gives an RRset: the smallest of its records'
// (RFC 2181 §5.2), capped by MaxTTL and raised to MinTTL.
func (l *lookup) ttl(rrs []mdns.RR) uint32 {
	ttl := rrs[0].Header().Ttl
	for _, rr := range rrs[1:] {
		ttl = min(ttl, rr.Header().Ttl)
	}
	ttl = min(ttl, seconds(l.t.r.opts.MaxTTL))
	return max(ttl, seconds(l.t.r.opts.MinTTL))
}

// capped returns copies of records with the TTL the cache gave them, so a
// cold answer shows the same TTL a warm one would.
func (l *lookup) capped(rrs []mdns.RR) []mdns.RR {
	var out []mdns.RR
	for _, g := range groupRRsets(rrs) {
		out = append(out, withTTL(g, l.ttl(g))...)
	}
	return out
}

func seconds(d time.Duration) uint32 {
	return uint32(min(d/time.Second, 1<<31-1))
}

func withTTL(rrs []mdns.RR, ttl uint32) []mdns.RR {
	out := make([]mdns.RR, len(rrs))
	for i, rr := range rrs {
		c := mdns.Copy(rr)
		c.Header().Ttl = ttl
		out[i] = c
	}
	return out
}

func soaRecords(soa *mdns.SOA, ttl uint32) []mdns.RR {
	if soa == nil {
		return nil
	}
	return withTTL([]mdns.RR{soa}, ttl)
}

// groupRRsets splits records into RRsets (same owner and type), in order of
// first appearance.
func groupRRsets(rrs []mdns.RR) [][]mdns.RR {
	var (
		groups [][]mdns.RR
		keys   []key // few RRsets per message: a slice beats a map
	)
	for _, rr := range rrs {
		k := rrKey(rr)
		i := slices.Index(keys, k)
		if i < 0 {
			i = len(groups)
			keys = append(keys, k)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], rr)
	}
	return groups
}

func (l *lookup) done(o outcome) {
	if l.finished {
		return
	}
	l.finished = true
	if l.timer != nil {
		l.timer.Stop()
	}
	l.finish(o)
}

// fail ends the lookup with SERVFAIL.
func (l *lookup) fail(reason string) {
	if l.t.failed == "" {
		l.t.note(l.question(), "lookup failed: %s", reason)
	}
	l.done(outcome{rcode: mdns.RcodeServerFailure, reason: reason})
}

// limit ends the whole lookup tree: a limit protects the resolver and the
// servers it would ask, so the lookups waiting for this one stop too.
func (l *lookup) limit(reason string) {
	l.t.note(l.question(), "lookup stopped: %s", reason)
	l.t.failed = reason
	l.done(outcome{rcode: mdns.RcodeServerFailure, reason: reason})
}
