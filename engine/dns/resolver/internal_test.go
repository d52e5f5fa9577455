package resolver

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
)

func testEntry(t *testing.T, rank Rank, ttl uint32, now time.Time, records ...string) *entry {
	t.Helper()
	var rrs []mdns.RR
	for _, s := range records {
		rr, err := mdns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	h := rrs[0].Header()
	return &entry{k: key{lower(h.Name), h.Rrtype}, rrs: rrs, ttl: ttl, expires: now.Add(time.Duration(ttl) * time.Second), rank: rank}
}

// TestCacheRanking: RFC 2181 §5.4.1. Lower-ranked data never replaces live
// higher-ranked data; equal or higher rank does, and so does anything once
// the old data has expired.
func TestCacheRanking(t *testing.T) {
	now := clock.Epoch
	steps := []struct {
		at     time.Duration
		rank   Rank
		addr   string
		stored bool
	}{
		{0, RankAdditional, "192.0.2.1", true},     // glue from a referral
		{1, RankAuthAnswer, "192.0.2.2", true},     // the zone's own answer
		{2, RankAdditional, "192.0.2.3", false},    // glue again: kept out
		{3, RankAuthAuthority, "192.0.2.4", false}, // still lower
		{4, RankAuthAnswer, "192.0.2.5", true},     // equal: replaces
		{400, RankAdditional, "192.0.2.6", true},   // the answer has expired
	}
	c := newCache(10)
	var got []bool
	for _, s := range steps {
		at := now.Add(s.at * time.Second)
		var out []dns.TraceEvent
		got = append(got, c.put(testEntry(t, s.rank, 300, at, "ns1.example.com. 300 IN A "+s.addr), at, &out))
	}
	var want []bool
	for _, s := range steps {
		want = append(want, s.stored)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	var out []dns.TraceEvent
	e := c.live(key{"ns1.example.com.", mdns.TypeA}, now.Add(400*time.Second), &out)
	if e == nil || e.rrs[0].(*mdns.A).A.String() != "192.0.2.6" {
		t.Errorf("final entry %v", e)
	}
}

func TestCacheLRUEviction(t *testing.T) {
	now := clock.Epoch
	c := newCache(2)
	var out []dns.TraceEvent
	c.put(testEntry(t, RankAnswer, 300, now, "a.example. 300 IN A 192.0.2.1"), now, &out)
	c.put(testEntry(t, RankAnswer, 300, now, "b.example. 300 IN A 192.0.2.2"), now, &out)
	c.live(key{"a.example.", mdns.TypeA}, now, &out) // a is now the most recently used
	out = nil
	c.put(testEntry(t, RankAnswer, 300, now, "c.example. 300 IN A 192.0.2.3"), now, &out)
	var names []string
	for _, e := range c.list(now, false, 0, &out) {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"a.example.", "c.example."}, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if len(out) != 2 || out[0].Kind != dns.TraceExpire || out[0].Question != "b.example. A" || !strings.HasPrefix(out[0].Summary, "evicted") {
		t.Errorf("events %+v, want b.example evicted, then the insert", out)
	}
}

func TestCacheExpiryAndStale(t *testing.T) {
	now := clock.Epoch
	c := newCache(10)
	var out []dns.TraceEvent
	c.put(testEntry(t, RankAnswer, 60, now, "a.example. 60 IN A 192.0.2.1"), now, &out)
	k := key{"a.example.", mdns.TypeA}
	if e, stale := c.get(k, now.Add(59*time.Second), time.Hour, &out); e == nil || stale || e.remaining(now.Add(59*time.Second)) != 1 {
		t.Errorf("at 59 s: %v stale=%v", e, stale)
	}
	if e, stale := c.get(k, now.Add(61*time.Second), time.Hour, &out); e == nil || !stale {
		t.Errorf("at 61 s with a stale window: %v stale=%v, want the entry, stale", e, stale)
	}
	out = nil
	if e := c.live(k, now.Add(61*time.Second), &out); e != nil {
		t.Errorf("live at 61 s: %v, want nil", e)
	}
	if len(out) != 1 || out[0].Kind != dns.TraceExpire {
		t.Errorf("events %+v, want one expiry", out)
	}
}

func TestCachePositiveEndsNXDOMAIN(t *testing.T) {
	now := clock.Epoch
	c := newCache(10)
	var out []dns.TraceEvent
	nx := testEntry(t, RankAuthAuthority, 300, now, "example. 300 IN SOA ns.example. h.example. 1 2 3 4 300")
	nx.k, nx.neg = key{"a.example.", typeNXDomain}, negNXDomain
	c.put(nx, now, &out)
	c.put(testEntry(t, RankAuthAnswer, 300, now, "a.example. 300 IN A 192.0.2.1"), now, &out)
	if e := c.live(key{"a.example.", typeNXDomain}, now, &out); e != nil {
		t.Errorf("NXDOMAIN entry survived a positive answer for the name")
	}
}

// TestGrow checks the label schedule of RFC 9156 §2.3: for 18 labels, with
// MAX_MINIMISE_COUNT 10 and MINIMISE_ONE_LAB 4, "1,1,1,1,2,2,2,2,3,3".
func TestGrow(t *testing.T) {
	labels := make([]string, 18)
	for i := range labels {
		labels[i] = string(rune('a' + i))
	}
	l := &lookup{qname: strings.Join(labels, ".") + "."}
	var steps []int
	for from := "."; !strings.EqualFold(from, l.qname); {
		next := l.grow(from)
		steps = append(steps, mdns.CountLabel(next)-mdns.CountLabel(from))
		from = next
	}
	if diff := cmp.Diff([]int{1, 1, 1, 1, 2, 2, 2, 2, 3, 3}, steps); diff != "" {
		t.Errorf("labels added per query (-want +got):\n%s", diff)
	}
}

func TestCanonicalOrder(t *testing.T) {
	names := []string{"www.example.com.", "b.", "example.com.", "a.example.com.", "com.", "Z.a.example.com.", "net."}
	slices.SortFunc(names, canonicalCompare)
	want := []string{"b.", "com.", "example.com.", "a.example.com.", "Z.a.example.com.", "www.example.com.", "net."}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestSerial: a function queued from inside another runs after it, not
// inside it, so a state machine step never sees another half done.
func TestSerial(t *testing.T) {
	var s serial
	var log []string
	s.do(func() {
		log = append(log, "a start")
		s.do(func() { log = append(log, "b") })
		log = append(log, "a end")
	})
	if diff := cmp.Diff([]string{"a start", "a end", "b"}, log); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestScrubReferral(t *testing.T) {
	m := new(mdns.Msg)
	for _, s := range []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns.example.net.", "net. 3600 IN NS evil.example.com."} {
		rr, _ := mdns.NewRR(s)
		m.Ns = append(m.Ns, rr)
	}
	for _, s := range []string{"ns1.example.com. 3600 IN A 192.0.2.53", "ns.example.net. 3600 IN A 192.0.2.66", "www.example.com. 3600 IN A 192.0.2.99"} {
		rr, _ := mdns.NewRR(s)
		m.Extra = append(m.Extra, rr)
	}
	sc := scrub(m, "com.", "www.example.com.", mdns.TypeA)
	if sc.nsOwner != "example.com." || len(sc.ns) != 2 || len(sc.addrs) != 1 {
		t.Errorf("kept NS %v and addresses %v", sc.ns, sc.addrs)
	}
	want := []string{
		"dropped net. NS: outside the bailiwick of com. (RFC 2181 §6.1)",
		"dropped ns.example.net. A: outside the bailiwick of com. (RFC 2181 §6.1)",
		"dropped www.example.com. A: no record in the response names it",
	}
	if diff := cmp.Diff(want, sc.dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
}
