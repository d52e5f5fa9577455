package lab_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/world"
)

func demoWorld(tb testing.TB) *world.World {
	tb.Helper()
	return world.Demo()
}

func buildDemo(t *testing.T, opts lab.Options) *lab.Lab {
	t.Helper()
	l, err := lab.Build(demoWorld(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// rrs renders records without TTLs, for comparisons that do not care how
// long they have been cached.
func rrs(list []mdns.RR) []string {
	var out []string
	for _, rr := range list {
		h := rr.Header()
		out = append(out, mdns.TypeToString[h.Rrtype]+"\t"+strings.TrimPrefix(rr.String(), h.String())+" @"+h.Name)
	}
	return out
}

// askedServers lists, in order, the servers a lookup's trace shows queries
// going to.
func askedServers(trace []dns.TraceEvent) []string {
	var out []string
	for _, e := range trace {
		if e.Kind == dns.TraceQuery {
			out = append(out, strings.TrimSuffix(e.ToName, "."))
		}
	}
	return out
}

func TestDemoWorldBuildsAndTransfers(t *testing.T) {
	l := buildDemo(t, lab.Options{Seed: 1})
	for _, tc := range []struct{ server, zone string }{
		{"ns2.example.net", "example.com."},
		{"ns2.example.org", "example.org."},
		{"b.gtld-servers.net", "com."},
		{"g.dns.kr", "kr."},
	} {
		s := l.Server(tc.server)
		info, ok := s.Transfers[tc.zone]
		if !ok || info.Err != nil || info.Serial == 0 {
			t.Errorf("%s transfer of %s: %+v", tc.server, tc.zone, info)
		}
	}
}

func TestResolveIteratedWalksTheHierarchy(t *testing.T) {
	l := buildDemo(t, lab.Options{Seed: 1})
	res, err := l.Resolve("laptop", "www.example.com", mdns.TypeA, resolver.Iterated)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CNAME\tweb.example.com. @www.example.com.",
		"A\t198.51.100.81 @web.example.com.",
		"A\t198.51.100.82 @web.example.com.",
		"A\t198.51.100.83 @web.example.com.",
	}
	if diff := cmp.Diff(want, rrs(res.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	asked := askedServers(res.Trace)
	if len(asked) != 3 || !strings.HasSuffix(asked[0], "root-servers.net") || !strings.HasSuffix(asked[1], "gtld-servers.net") ||
		(asked[2] != "ns1.example.com" && asked[2] != "ns2.example.net") {
		t.Errorf("servers asked = %v, want a root server, a gtld server, an example.com server", asked)
	}
	// The same name again comes from the cache.
	again, err := l.Resolve("laptop", "www.example.com", mdns.TypeA, resolver.Iterated)
	if err != nil {
		t.Fatal(err)
	}
	if again.Upstream != 0 {
		t.Errorf("warm lookup sent %d upstream queries", again.Upstream)
	}
	// The phone shares the laptop's local DNS server, the university's
	// lab-pc does not.
	phone, _ := l.Resolve("phone", "mail.example.com", mdns.TypeA, resolver.Iterated)
	if got := askedServers(phone.Trace); len(got) != 1 {
		t.Errorf("a sibling name in a known zone asked %v, want only the example.com server", got)
	}
	pc, _ := l.Resolve("lab-pc", "www.example.com", mdns.TypeA, resolver.Iterated)
	if got := askedServers(pc.Trace); len(got) != 3 {
		t.Errorf("the university's cold server asked %v, want root, TLD and authoritative", got)
	}
}

func TestRecursiveModeLoadsTheRoot(t *testing.T) {
	l := buildDemo(t, lab.Options{Seed: 1})
	res, err := l.Resolve("laptop", "www.example.org", mdns.TypeA, resolver.Recursive)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A\t198.51.100.28 @www.example.org."}, rrs(res.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	var rootSent uint64
	for _, s := range l.Servers() {
		if s.Recurser != nil && strings.HasSuffix(s.Spec.Name, "root-servers.net.") {
			rootSent += s.Recurser.Counters().Sent
		}
	}
	if rootSent == 0 {
		t.Error("in recursive mode no root server sent a query of its own")
	}
}

// An UPDATE reaches the primary, NOTIFY brings the secondary up to date by
// AXFR, and the local server keeps its cached answer until the TTL ends.
func TestUpdateNotifyAndStaleCache(t *testing.T) {
	l := buildDemo(t, lab.Options{Seed: 1})
	before, err := l.Resolve("laptop", "news.example.com", mdns.TypeA, resolver.Iterated)
	if err != nil || len(before.Answer) != 1 {
		t.Fatalf("news.example.com: %v %v", before.Answer, err)
	}
	resp, err := l.Update("laptop", "example.com", func(m *mdns.Msg) {
		old, _ := mdns.NewRR("news.example.com. 30 IN A 198.51.100.90")
		nu, _ := mdns.NewRR("news.example.com. 30 IN A 198.51.100.91")
		m.Remove([]mdns.RR{old})
		m.Insert([]mdns.RR{nu})
	})
	if err != nil || resp.Rcode != mdns.RcodeSuccess {
		t.Fatalf("UPDATE: %v %v", resp, err)
	}
	primarySerial, _ := l.Server("ns1.example.com").Authority.Serial("example.com.")
	secondarySerial, _ := l.Server("ns2.example.net").Authority.Serial("example.com.")
	if primarySerial != secondarySerial || primarySerial != 2026010102 {
		t.Errorf("serials after UPDATE: primary %d, secondary %d; want both 2026010102", primarySerial, secondarySerial)
	}
	stale, _ := l.Resolve("laptop", "news.example.com", mdns.TypeA, resolver.Iterated)
	if diff := cmp.Diff([]string{"A\t198.51.100.90 @news.example.com."}, rrs(stale.Answer)); diff != "" {
		t.Errorf("cached answer before the TTL ends (-want +got):\n%s", diff)
	}
	l.Clock.Advance(31 * time.Second)
	fresh, _ := l.Resolve("laptop", "news.example.com", mdns.TypeA, resolver.Iterated)
	if diff := cmp.Diff([]string{"A\t198.51.100.91 @news.example.com."}, rrs(fresh.Answer)); diff != "" {
		t.Errorf("answer after the TTL (-want +got):\n%s", diff)
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func() []string {
		var events []string
		l := buildDemo(t, lab.Options{Seed: 7, OnTrace: func(e dns.TraceEvent) {
			events = append(events, e.Time.Format(time.StampMicro)+" "+string(e.Kind)+" "+e.FromName+">"+e.ToName+" "+e.Question+" "+e.Summary)
		}})
		if _, err := l.Resolve("laptop", "ftp.example.com", mdns.TypeA, resolver.Iterated); err != nil {
			t.Fatal(err)
		}
		return events
	}
	first, second := run(), run()
	if len(first) < 10 {
		t.Fatalf("only %d trace events", len(first))
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

func TestNames(t *testing.T) {
	l := buildDemo(t, lab.Options{})
	if got := l.Name(netip.MustParseAddr("198.41.0.4")); got != "a.root-servers.net" {
		t.Errorf("Name(198.41.0.4) = %q", got)
	}
	if _, err := l.LocalServer("nobody"); err == nil {
		t.Error("LocalServer(nobody) succeeded")
	}
}
