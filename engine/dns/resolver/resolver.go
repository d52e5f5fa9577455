// Package resolver is wirelab's local DNS server: the resolver a host's stub
// asks (RD=1), which finds the answer by itself and keeps a cache.
//
// It resolves in two modes. In Iterated mode it follows the algorithm of RFC
// 1034 §5.3.3: it asks a root server, follows the referral to a TLD server,
// then to the authoritative server, each query with RD=0. In Recursive mode,
// as the lecture draws it, it hands the query with RD=1 to a root server; a
// root server wrapped with [Recursing] asks the TLD server, which asks the
// authoritative server, and the answer travels back down the chain.
//
// The cache holds positive answers, negative answers (RFC 2308), and
// delegations (the NS RRsets of zone cuts and their addresses), ranked by
// credibility (RFC 2181 §5.4.1). Records outside the bailiwick of the server
// that sent them are dropped (RFC 2181 §6.1). Options switch on QNAME
// minimisation (RFC 9156), serve-stale (RFC 8767), minimal responses and
// RRset rotation. A stub's question the cache has answered once is answered
// again from the reply kept in wire format, its TTLs and ID patched, until
// the cache changes (see [WireWriter] and [Resolver.AnswerCached]).
//
// The package does no I/O. It reaches other servers only through a
// [dns.Exchanger], reads time only from a [clock.Clock] and takes message IDs
// from a seeded [dns.IDs], so a lookup is an asynchronous state machine driven
// by Exchanger callbacks and clock timers, and the same world gives the same
// trace, byte for byte.
package resolver

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
)

// Limits. The defaults are Unbound's, so a lab shows what a deployed
// resolver would do; each can be changed in [Options].
const (
	// DefaultMaxCNAMERestarts is how many CNAME links one lookup follows
	// (Unbound's max-query-restarts, 11). RFC 1034 §3.6.2 asks resolvers
	// to stop CNAME loops; the limit does so.
	DefaultMaxCNAMERestarts = 11
	// DefaultMaxUpstreamQueries is how many queries one lookup may send,
	// counting those for glueless name server addresses (Unbound's
	// MAX_SENT_COUNT, 32). It bounds the NXNS attack, where a referral
	// names many name servers without glue.
	DefaultMaxUpstreamQueries = 32
	// DefaultMaxReferrals is how many referrals one lookup follows
	// (Unbound's MAX_REFERRAL_COUNT, 130). Sideways referrals (to other
	// servers for the same zone) are followed, so a referral loop ends here
	// or at the upstream query limit, whichever comes first.
	DefaultMaxReferrals = 130
	// DefaultMaxDependencyDepth is how deep lookups for the addresses of
	// glueless name servers may nest (Unbound's target-fetch-policy stops
	// fetching at depth 4).
	DefaultMaxDependencyDepth = 4
	// DefaultMaxCacheEntries is the cache's size in entries (RRsets and
	// negative answers). Unbound sizes its cache in bytes (rrset-cache-size
	// 4 MB, about ten thousand small RRsets); counting entries is easier to
	// show in a table.
	DefaultMaxCacheEntries = 10000
	// DefaultQueryTimeout is how long one upstream attempt may take before
	// the lookup tries another server of the NS set (Unbound starts from an
	// RTT estimate of 376 ms and backs off; a fixed value is easier to see).
	DefaultQueryTimeout = 800 * time.Millisecond
	// DefaultMaxTTL caps every TTL the cache keeps (Unbound's
	// cache-max-ttl, 86400 s; RFC 8767 §4 suggests a cap of days).
	DefaultMaxTTL = 86400 * time.Second
	// DefaultMaxNegativeTTL caps the TTL of negative answers (Unbound's
	// cache-max-negative-ttl, 3600 s; RFC 2308 §5 suggests one to three
	// hours).
	DefaultMaxNegativeTTL = 3600 * time.Second
	// DefaultMaxStale is how long past expiry serve-stale keeps data. RFC
	// 8767 §5 suggests a maximum stale timer of one to three days.
	DefaultMaxStale = 24 * time.Hour
	// StaleAnswerTTL is the TTL of a stale record in an answer, the value
	// RFC 8767 §4 recommends (30 s).
	StaleAnswerTTL = 30
	// DefaultUDPSize is the EDNS payload size the resolver advertises and
	// answers within (RFC 6891 §6.2.5; 1232 since DNS Flag Day 2020).
	DefaultUDPSize = 1232

	// dnsPort is where name servers listen (RFC 1035 §4.2).
	dnsPort = 53
	// maxMinimiseCount and minimiseOneLabel are RFC 9156 §2.3's
	// MAX_MINIMISE_COUNT (10) and MINIMISE_ONE_LAB (4).
	maxMinimiseCount = 10
	minimiseOneLabel = 4
)

// The errors callers can test for.
var (
	// ErrStalled reports that ResolveSync ran the virtual clock until no
	// timer was left and the lookup had not finished.
	ErrStalled = errors.New("resolver: lookup did not finish: the clock ran out of timers")
	// ErrNoRootHints reports a resolver built without root servers to start
	// from.
	ErrNoRootHints = errors.New("resolver: no root hints")
)

// Mode says how the local server finds answers.
type Mode uint8

const (
	// Iterated: the local server asks root, TLD and authoritative servers
	// itself, with RD=0 (RFC 1034 §5.3.3).
	Iterated Mode = iota + 1
	// Recursive: the local server sends the query with RD=1 to a root
	// server, and each server asks the next (see [Recursing]).
	Recursive
)

func (m Mode) String() string {
	switch m {
	case Iterated:
		return "iterated"
	case Recursive:
		return "recursive"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Question is what a lookup asks: a name and a type, class IN.
type Question struct {
	Name string
	Type uint16
}

// String returns "name TYPE", the form trace events use.
func (q Question) String() string { return qstring(q.Name, q.Type) }

// Hint names a root server and its address: the "SBELT" of RFC 1034
// §5.3.2, the servers the resolver starts from when its cache knows nothing
// closer.
type Hint struct {
	Name string
	Addr netip.Addr
}

// Switches are the behaviours a lab turns on and off. The zero value is
// all off: full responses, full QNAMEs, no stale data, records in the
// order they were received, no EDNS.
type Switches struct {
	// MinimalResponses leaves the authority and additional sections out of
	// positive answers (Unbound's minimal-responses). Negative answers keep
	// the SOA, which RFC 2308 §3 asks for.
	MinimalResponses bool
	// QNAMEMinimisation sends each server only one label more than the zone
	// it serves, with QTYPE A, until the server for the full name is found
	// (RFC 9156). Iterated mode only.
	QNAMEMinimisation bool
	// ServeStale answers from expired data when the upstream servers fail,
	// with TTL StaleAnswerTTL (RFC 8767).
	ServeStale bool
	// RoundRobin rotates RRsets of several records by one place each time
	// they are answered, spreading clients over the addresses.
	RoundRobin bool
	// EDNS adds an OPT record (RFC 6891) with DefaultUDPSize to upstream
	// queries; without it messages follow RFC 1035's 512-octet UDP limit.
	EDNS bool
	// ScrubPromiscuous drops, from responses that carry the answer (or
	// a CNAME chain towards it), the NS RRset of the authority section and
	// the addresses of those name servers, instead of caching them
	// (Unbound's iter-scrub-promiscuous). A server answering for a name
	// then cannot replace the delegation of its zone, even within its
	// bailiwick; only a referral changes it.
	ScrubPromiscuous bool
}

// Options configures a Resolver. Zero numbers mean the defaults above.
type Options struct {
	// RootHints are the root servers to start from. Required.
	RootHints []Hint
	// IDs gives upstream query IDs. Nil means dns.NewIDs(1).
	IDs *dns.IDs
	// Mode is how ServeDNS resolves stub queries. Zero means Iterated.
	Mode Mode
	// Addr and Name are the local server's address and host name, the
	// sender in trace events.
	Addr netip.AddrPort
	Name string

	Switches

	// The limits; each zero means the Default constant of the same name.
	// A lookup that reaches MaxCNAMERestarts, MaxUpstreamQueries or
	// MaxReferrals ends with SERVFAIL and a trace note naming the limit.
	MaxCNAMERestarts   int
	MaxUpstreamQueries int
	MaxReferrals       int
	MaxDependencyDepth int
	MaxCacheEntries    int
	// QueryTimeout bounds each upstream attempt.
	QueryTimeout time.Duration
	// MaxTTL and MaxNegativeTTL cap the TTLs of cached data; MaxStale is
	// how long past expiry serve-stale keeps it.
	MaxTTL         time.Duration
	MaxNegativeTTL time.Duration
	MaxStale       time.Duration
	// MinTTL raises shorter TTLs of positive data (Unbound's
	// cache-min-ttl). Zero leaves them as they are.
	MinTTL time.Duration
	// MinNegativeTTL raises shorter TTLs of negative answers (Unbound's
	// cache-min-negative-ttl), after MaxNegativeTTL has capped them. Zero
	// leaves them as RFC 2308 §5 computes them.
	MinNegativeTTL time.Duration

	// OnEvent, if non-nil, sees every trace event as it happens, including
	// cache expiries noticed outside lookups. It runs on the goroutine that
	// advances the clock or calls Resolver methods, never under the
	// resolver's lock, so it may call the resolver.
	OnEvent func(dns.TraceEvent)
}

// Counters count a server's queries.
type Counters struct {
	// Received is the number of queries the server was asked: stub queries
	// and Resolve calls for a Resolver, incoming queries for a Recurser.
	Received uint64
	// Sent is the number of queries it sent to other servers.
	Sent uint64
	// CacheHits and CacheMisses count lookups (and CNAME restarts) that
	// the cache answered or could not answer.
	CacheHits, CacheMisses uint64
}

// Result is the outcome of a lookup: the answer the local server gives.
type Result struct {
	Question Question
	Mode     Mode
	// Rcode is the response code: RcodeSuccess (with or without data),
	// RcodeNameError, or RcodeServerFailure when the lookup failed.
	Rcode int
	// The response's sections. TTLs are what remains in the cache. With
	// MinimalResponses, a positive answer has no authority or additional
	// records; a negative one carries the SOA in the authority section.
	Answer, Authority, Additional []mdns.RR
	// Trace lists each step: queries and responses with their wire bytes,
	// timeouts, cache events and notes.
	Trace []dns.TraceEvent
	// Upstream is the number of queries sent to other servers.
	Upstream int
	// Reason says why a lookup failed (the limit it hit, the servers that
	// did not answer), empty otherwise.
	Reason string
	// Stale reports an answer served from expired data (RFC 8767).
	Stale bool
	// Elapsed is the virtual time the lookup took.
	Elapsed time.Duration
}

// Resolver is the local DNS server. It is safe for concurrent use, though a
// lab drives it from the one goroutine that advances the virtual clock.
type Resolver struct {
	ex    dns.Exchanger
	clk   clock.Clock
	ids   *dns.IDs
	opts  Options
	hints []server

	mu       sync.Mutex
	sw       Switches
	cache    *cache
	counters Counters
}

var _ dns.Handler = (*Resolver)(nil)

// New returns a resolver that reaches other servers through ex and tells
// time by clk.
func New(ex dns.Exchanger, clk clock.Clock, opts Options) (*Resolver, error) {
	if ex == nil || clk == nil {
		return nil, errors.New("resolver: New needs an Exchanger and a Clock")
	}
	if len(opts.RootHints) == 0 {
		return nil, ErrNoRootHints
	}
	r := &Resolver{ex: ex, clk: clk, opts: opts, sw: opts.Switches}
	for _, h := range opts.RootHints {
		if !h.Addr.IsValid() {
			return nil, fmt.Errorf("resolver: root hint %q has no valid address", h.Name)
		}
		r.hints = append(r.hints, server{name: mdns.Fqdn(h.Name), addr: netip.AddrPortFrom(h.Addr.Unmap(), dnsPort)})
	}
	o := &r.opts
	if o.IDs == nil {
		o.IDs = dns.NewIDs(1)
	}
	r.ids = o.IDs
	if o.Mode == 0 {
		o.Mode = Iterated
	}
	setDefault(&o.MaxCNAMERestarts, DefaultMaxCNAMERestarts)
	setDefault(&o.MaxUpstreamQueries, DefaultMaxUpstreamQueries)
	setDefault(&o.MaxReferrals, DefaultMaxReferrals)
	setDefault(&o.MaxDependencyDepth, DefaultMaxDependencyDepth)
	setDefault(&o.MaxCacheEntries, DefaultMaxCacheEntries)
	setDefault(&o.QueryTimeout, DefaultQueryTimeout)
	setDefault(&o.MaxTTL, DefaultMaxTTL)
	setDefault(&o.MaxNegativeTTL, DefaultMaxNegativeTTL)
	setDefault(&o.MaxStale, DefaultMaxStale)
	r.cache = newCache(o.MaxCacheEntries)
	return r, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// SetSwitches changes the switches from the next lookup on, keeping the
// cache.
func (r *Resolver) SetSwitches(s Switches) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sw = s
	r.cache.dropAnswers() // MinimalResponses changes what an answer holds
}

// Switches returns the switches in force.
func (r *Resolver) Switches() Switches {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sw
}

// Counters returns the resolver's query counters.
func (r *Resolver) Counters() Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counters
}

// Resolve starts a lookup and returns at once. done is called once with the
// result, from the goroutine that delivers Exchanger callbacks or advances
// the clock, or before Resolve returns when the cache answers. The result's
// Trace lists every event of the lookup.
func (r *Resolver) Resolve(q Question, mode Mode, done func(Result)) {
	r.resolve(q, mode, true, nil, done)
}

// resolve is Resolve. With wantTrace false the result has no Trace and,
// unless Options.OnEvent is set, the lookup builds no events. rec, if not
// nil, records the lookup's cache reads for a packed answer.
func (r *Resolver) resolve(q Question, mode Mode, wantTrace bool, rec *recording, done func(Result)) {
	if mode == 0 {
		mode = r.opts.Mode
	}
	q.Name = mdns.Fqdn(q.Name)
	r.mu.Lock()
	r.counters.Received++
	sw := r.sw
	r.mu.Unlock()
	t := &tree{r: r, mode: mode, sw: sw, start: r.clk.Now(), wantTrace: wantTrace, rec: rec}
	l := t.newLookup(q, nil)
	l.finish = func(o outcome) { done(t.result(q, o)) }
	t.serial.do(l.step)
}

// ResolveSync runs a lookup to its end. With a virtual clock it advances
// the clock timer by timer until the lookup finishes (ErrStalled if the
// timers run out first); with any other clock it waits for the callbacks.
// It is the convenience tests and the CLI use.
func (r *Resolver) ResolveSync(q Question, mode Mode) (Result, error) {
	var (
		res      Result
		finished atomic.Bool
		ch       = make(chan struct{})
	)
	r.Resolve(q, mode, func(x Result) {
		res = x
		finished.Store(true)
		close(ch)
	})
	v, ok := r.clk.(*clock.Virtual)
	if !ok {
		<-ch
		return res, nil
	}
	for !finished.Load() {
		if v.RunUntilIdle(1) == 0 {
			return Result{}, ErrStalled
		}
	}
	<-ch
	return res, nil
}

// Cache lists the cache for the playground's table, in DNS canonical name
// order (RFC 4034 §6.1) and then by type. Entries found expired are removed
// first, with TraceExpire events to OnEvent.
func (r *Resolver) Cache() []CacheEntry {
	now := r.clk.Now()
	var evs []dns.TraceEvent
	r.mu.Lock()
	list := r.cache.list(now, r.sw.ServeStale, r.opts.MaxStale, &evs)
	r.mu.Unlock()
	r.emitAll(evs)
	return list
}

// Flush empties the cache.
func (r *Resolver) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = newCache(r.opts.MaxCacheEntries)
}

func (r *Resolver) emitAll(evs []dns.TraceEvent) {
	if r.opts.OnEvent == nil {
		return
	}
	for _, ev := range evs {
		r.opts.OnEvent(ev)
	}
}

// server is a name server to ask: its name (for traces) and address.
type server struct {
	name string
	addr netip.AddrPort
}

// qstring formats a question as trace events show it.
func qstring(name string, qtype uint16) string {
	if qtype == typeNXDomain {
		return name + " (all types)"
	}
	return name + " " + typeString(qtype)
}

func typeString(t uint16) string {
	if s, ok := mdns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}

// lower returns the canonical (lower-case, fully qualified) form of a name,
// the cache's key.
func lower(name string) string {
	return strings.ToLower(mdns.Fqdn(name))
}

// under reports whether child is at or below parent; both canonical.
func under(parent, child string) bool {
	return parent == "." || child == parent || strings.HasSuffix(child, "."+parent)
}

// parentName returns name less its first label ("." for a TLD).
func parentName(name string) string {
	if name == "." {
		return "."
	}
	if i := strings.IndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return "."
}

// addrOf returns the name server address an A or AAAA record gives.
func addrOf(rr mdns.RR) (netip.AddrPort, bool) {
	var a netip.Addr
	var ok bool
	switch rr := rr.(type) {
	case *mdns.A:
		a, ok = netip.AddrFromSlice(rr.A.To4())
	case *mdns.AAAA:
		a, ok = netip.AddrFromSlice(rr.AAAA.To16())
	}
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), dnsPort), true
}
