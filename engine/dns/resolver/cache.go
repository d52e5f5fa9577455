package resolver

import (
	"container/list"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
)

// Rank is the credibility of cached data, after RFC 2181 §5.4.1: data of a
// lower rank never replaces live data of a higher rank, so glue from a
// referral cannot overwrite what the zone's own server said.
type Rank uint8

// The ranks a resolver can give, lowest first. (RFC 2181's top ranks, zone
// files and zone transfers, belong to authoritative servers.)
const (
	// RankAdditional: the additional section of any answer, or the
	// authority section of a non-authoritative one (referral NS RRsets and
	// their glue). RFC 2181 §5.4.1 says such data must never be returned as
	// an answer, only used to find servers.
	RankAdditional Rank = iota + 1
	// RankAnswer: the answer section of a non-authoritative answer, such
	// as one relayed by a recursive server.
	RankAnswer
	// RankAuthAuthority: the authority section of an authoritative answer.
	RankAuthAuthority
	// RankAuthAnswer: the answer section of an authoritative answer.
	RankAuthAnswer
)

func (r Rank) String() string {
	switch r {
	case RankAdditional:
		return "additional"
	case RankAnswer:
		return "answer"
	case RankAuthAuthority:
		return "authority-aa"
	case RankAuthAnswer:
		return "answer-aa"
	}
	return fmt.Sprintf("Rank(%d)", uint8(r))
}

// CacheEntry is one row of the cache table.
type CacheEntry struct {
	Name string
	// Type is the RRset's type ("A", "NS"); empty for an NXDOMAIN entry,
	// which covers every type of the name (RFC 2308 §5).
	Type string
	// TTL is the remaining time to live in seconds; 0 for stale entries.
	TTL uint32
	// Stale marks an expired entry kept for serve-stale (RFC 8767).
	Stale bool
	// Records are the RRs in presentation format, with the remaining TTL;
	// for a negative entry, the SOA that came with it.
	Records []string
	// Negative is "NXDOMAIN" or "NODATA" for negative entries, else empty.
	Negative string
	Rank     Rank
}

// typeNXDomain is the cache key type of NXDOMAIN entries: the name does not
// exist, whatever the type (RFC 2308 §5). 0 is not a real RR type.
const typeNXDomain uint16 = 0

type negKind uint8

const (
	positive negKind = iota
	negNXDomain
	negNoData
)

func (n negKind) String() string {
	switch n {
	case negNXDomain:
		return "NXDOMAIN"
	case negNoData:
		return "NODATA"
	}
	return ""
}

type key struct {
	name  string // canonical
	qtype uint16 // typeNXDomain for NXDOMAIN entries
}

type entry struct {
	k       key
	rrs     []mdns.RR // the RRset, or the SOA of a negative entry; TTLs as stored
	ttl     uint32
	expires time.Time
	rank    Rank
	neg     negKind
	rot     int // RoundRobin's offset for the next answer
	el      *list.Element
	// dead marks an entry removed from the cache: packed answers built
	// from it no longer hold.
	dead bool
	// q and text are the question and the records as cache events show
	// them, made on first use (under the resolver's lock) and kept: the
	// records do not change while the entry lives.
	q, text string
}

// question returns the entry's key as events show it ("name TYPE").
func (e *entry) question() string {
	if e.q == "" {
		e.q = qstring(e.k.name, e.k.qtype)
	}
	return e.q
}

// rdataText returns the entry's records as describe lists them: " data1,
// data2".
func (e *entry) rdataText() string {
	if e.text == "" && len(e.rrs) > 0 {
		var b strings.Builder
		for i, rr := range e.rrs {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(" ")
			b.WriteString(rdata(rr))
		}
		e.text = b.String()
	}
	return e.text
}

// remaining returns the whole seconds left before expiry, 0 if none.
func (e *entry) remaining(now time.Time) uint32 {
	d := e.expires.Sub(now)
	if d <= 0 {
		return 0
	}
	return uint32(d / time.Second)
}

// records returns copies of the entry's RRs with TTL set to ttl.
func (e *entry) records(ttl uint32) []mdns.RR {
	out := make([]mdns.RR, len(e.rrs))
	for i, rr := range e.rrs {
		c := mdns.Copy(rr)
		c.Header().Ttl = ttl
		out[i] = c
	}
	return out
}

// cache is the resolver's cache: RRsets and negative answers keyed by name
// and type, in least-recently-used order for eviction. It is not safe for
// concurrent use; the Resolver's mutex guards it. Methods that notice
// something worth showing append trace events to out.
type cache struct {
	max int
	m   map[key]*entry
	lru *list.List // front: most recently used
	// inserts counts the entries put in m.
	inserts uint64
	// answers are the packed answers to stub queries (see packed.go), by
	// canonical name, one per type: at most max in all, made on first use.
	// answerLRU orders them like lru.
	answers   map[string][]*packed
	answerLRU *list.List
}

func newCache(max int) *cache {
	return &cache{max: max, m: make(map[key]*entry), lru: list.New()}
}

// get returns the entry for k if it is live, or, when stale > 0, expired for
// less than stale (reporting isStale). An entry past both is removed: RFC
// 1035 §3.2.1 says data must not be used beyond its TTL.
func (c *cache) get(k key, now time.Time, stale time.Duration, out *[]dns.TraceEvent) (e *entry, isStale bool) {
	e = c.m[k]
	if e == nil {
		return nil, false
	}
	if now.Before(e.expires) {
		c.lru.MoveToFront(e.el)
		return e, false
	}
	if stale > 0 && now.Before(e.expires.Add(stale)) {
		return e, true
	}
	c.remove(e)
	if out != nil {
		*out = append(*out, dns.TraceEvent{
			Kind: dns.TraceExpire, Time: now, Question: e.question(),
			Summary: fmt.Sprintf("expired %s ago", now.Sub(e.expires).Round(time.Second)),
		})
	}
	return nil, false
}

// live returns the entry for k only if it has not expired.
func (c *cache) live(k key, now time.Time, out *[]dns.TraceEvent) *entry {
	e, _ := c.get(k, now, 0, out)
	return e
}

// put stores e unless a live entry of higher rank holds the key (RFC 2181
// §5.4.1), evicting the least recently used entry when the cache is full.
// It reports whether e was stored. Methods that take out append events to
// it unless it is nil.
func (c *cache) put(e *entry, now time.Time, out *[]dns.TraceEvent) bool {
	if old := c.m[e.k]; old != nil {
		if now.Before(old.expires) && old.rank > e.rank {
			if out != nil {
				*out = append(*out, dns.TraceEvent{
					Kind: dns.TraceNote, Time: now, Question: e.question(),
					Summary: fmt.Sprintf("not cached: the cache holds %s data, which ranks above %s (RFC 2181 §5.4.1)", old.rank, e.rank),
				})
			}
			return false
		}
		e.rot = old.rot
		c.remove(old)
	}
	if e.neg == positive {
		// The name exists after all: an older NXDOMAIN no longer holds.
		if nx := c.m[key{e.k.name, typeNXDomain}]; nx != nil {
			c.remove(nx)
		}
	}
	for len(c.m) >= c.max && c.lru.Len() > 0 {
		victim := c.lru.Back().Value.(*entry)
		c.remove(victim)
		if out != nil {
			*out = append(*out, dns.TraceEvent{
				Kind: dns.TraceExpire, Time: now, Question: victim.question(),
				Summary: fmt.Sprintf("evicted: the cache is full (%d entries)", c.max),
			})
		}
	}
	e.el = c.lru.PushFront(e)
	c.m[e.k] = e
	c.inserts++
	if out != nil {
		*out = append(*out, dns.TraceEvent{
			Kind: dns.TraceCacheAdd, Time: now, Question: e.question(),
			Summary: describe(e, e.ttl),
		})
	}
	return true
}

func (c *cache) remove(e *entry) {
	delete(c.m, e.k)
	c.lru.Remove(e.el)
	e.dead = true
}

// list returns the table of entries, dropping those that have expired (and,
// with serve-stale, outlived maxStale).
func (c *cache) list(now time.Time, serveStale bool, maxStale time.Duration, out *[]dns.TraceEvent) []CacheEntry {
	var stale time.Duration
	if serveStale {
		stale = maxStale
	}
	keys := make([]key, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := canonicalCompare(a.name, b.name); c != 0 {
			return c
		}
		return int(a.qtype) - int(b.qtype)
	})
	var rows []CacheEntry
	for _, k := range keys {
		e, isStale := c.get(k, now, stale, out)
		if e == nil {
			continue
		}
		ttl := e.remaining(now)
		row := CacheEntry{Name: k.name, TTL: ttl, Stale: isStale, Negative: e.neg.String(), Rank: e.rank}
		if e.neg != negNXDomain {
			row.Type = typeString(k.qtype)
		}
		for _, rr := range e.records(ttl) {
			row.Records = append(row.Records, rr.String())
		}
		rows = append(rows, row)
	}
	return rows
}

// describe is an entry's one-line summary for cache events: "NXDOMAIN,
// TTL 300", or "TTL 300, answer-aa: 192.0.2.1, 192.0.2.2". A cache hit
// makes one, so it costs one allocation: the records' text is the entry's.
func describe(e *entry, ttl uint32) string {
	var num [10]byte // the digits of a uint32
	n := strconv.AppendUint(num[:0], uint64(ttl), 10)
	var b strings.Builder
	if e.neg != positive {
		neg := e.neg.String()
		b.Grow(len(neg) + len(", TTL ") + len(n))
		b.WriteString(neg)
		b.WriteString(", TTL ")
		b.Write(n)
		return b.String()
	}
	rank, text := e.rank.String(), e.rdataText()
	b.Grow(len("TTL ") + len(n) + len(", ") + len(rank) + len(":") + len(text))
	b.WriteString("TTL ")
	b.Write(n)
	b.WriteString(", ")
	b.WriteString(rank)
	b.WriteString(":")
	b.WriteString(text)
	return b.String()
}

// rdata returns the presentation form of an RR's data, without the header.
func rdata(rr mdns.RR) string {
	s := rr.String()
	h := rr.Header().String()
	if strings.HasPrefix(s, h) {
		return s[len(h):]
	}
	return s
}

// canonicalCompare orders names as RFC 4034 §6.1 does: by labels from the
// right, so a zone's names sit together below it.
func canonicalCompare(a, b string) int {
	la, lb := mdns.SplitDomainName(a), mdns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 || j >= 0; i, j = i-1, j-1 {
		switch {
		case i < 0:
			return -1
		case j < 0:
			return 1
		}
		if c := strings.Compare(strings.ToLower(la[i]), strings.ToLower(lb[j])); c != 0 {
			return c
		}
	}
	return 0
}
