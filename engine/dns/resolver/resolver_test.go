package resolver_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// resolve runs one lookup to its end on the world's clock.
func resolve(t testing.TB, r *resolver.Resolver, name string, qtype uint16, mode resolver.Mode) resolver.Result {
	t.Helper()
	res, err := r.ResolveSync(resolver.Question{Name: name, Type: qtype}, mode)
	if err != nil {
		t.Fatalf("ResolveSync(%s): %v", name, err)
	}
	return res
}

// rrStrings returns records in presentation format, tabs as spaces.
func rrStrings(rrs []mdns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return out
}

// queries lists the lookup's upstream queries as "server: question".
func queries(res resolver.Result) []string {
	return eventsOf(res, dns.TraceQuery, func(ev dns.TraceEvent) string { return ev.ToName + " " + ev.Question })
}

// notes lists the lookup's notes as "question: summary".
func notes(res resolver.Result) []string {
	return eventsOf(res, dns.TraceNote, func(ev dns.TraceEvent) string { return ev.Question + ": " + ev.Summary })
}

func eventsOf(res resolver.Result, kind dns.TraceKind, f func(dns.TraceEvent) string) []string {
	var out []string
	for _, ev := range res.Trace {
		if ev.Kind == kind {
			out = append(out, f(ev))
		}
	}
	return out
}

// lines renders a trace as one line per event, times relative to start.
func lines(trace []dns.TraceEvent, start time.Time) []string {
	var out []string
	for _, ev := range trace {
		at := ev.Time.Sub(start)
		switch ev.Kind {
		case dns.TraceQuery, dns.TraceTimeout:
			out = append(out, fmt.Sprintf("%v %s %s -> %s %s: %s", at, ev.Kind, ev.FromName, ev.ToName, ev.Question, ev.Summary))
		case dns.TraceResponse:
			out = append(out, fmt.Sprintf("%v %s %s -> %s %s: %s", at, ev.Kind, ev.FromName, ev.ToName, ev.Question, ev.Summary))
		default:
			out = append(out, fmt.Sprintf("%v %s %s: %s", at, ev.Kind, ev.Question, ev.Summary))
		}
	}
	return out
}

func hasLine(list []string, substr string) bool {
	for _, l := range list {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

func TestColdLookup(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	start := w.clk.Now()
	res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)

	want := []string{
		"0s cache-miss www.example.com. A: not in the cache",
		"0s query local. -> a.root-servers.net. www.example.com. A: query id 27205, RD=0",
		"20ms response a.root-servers.net. -> local. www.example.com. A: NOERROR, answer 0, authority 2, additional 2: referral to com.",
		"20ms cache-insert com. NS: TTL 86400, additional: a.gtld-servers.net., b.gtld-servers.net.",
		"20ms cache-insert a.gtld-servers.net. A: TTL 86400, additional: 192.5.6.30",
		"20ms cache-insert b.gtld-servers.net. A: TTL 86400, additional: 192.33.14.30",
		"20ms query local. -> a.gtld-servers.net. www.example.com. A: query id 24263, RD=0",
		"40ms response a.gtld-servers.net. -> local. www.example.com. A: NOERROR, answer 0, authority 2, additional 2: referral to example.com.",
		"40ms cache-insert example.com. NS: TTL 86400, additional: ns1.example.com., ns2.example.com.",
		"40ms cache-insert ns1.example.com. A: TTL 86400, additional: 192.0.2.53",
		"40ms cache-insert ns2.example.com. A: TTL 86400, additional: 198.51.100.53",
		"40ms query local. -> ns1.example.com. www.example.com. A: query id 54679, RD=0",
		"60ms response ns1.example.com. -> local. www.example.com. A: NOERROR AA, answer 1, authority 2, additional 2: A 192.0.2.80",
		"60ms cache-insert www.example.com. A: TTL 300, answer-aa: 192.0.2.80",
		"60ms cache-insert example.com. NS: TTL 3600, authority-aa: ns1.example.com., ns2.example.com.",
		"60ms cache-insert ns1.example.com. A: TTL 3600, additional: 192.0.2.53",
		"60ms cache-insert ns2.example.com. A: TTL 3600, additional: 198.51.100.53",
	}
	if diff := cmp.Diff(want, lines(res.Trace, start)); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"www.example.com. 300 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if res.Rcode != mdns.RcodeSuccess || res.Upstream != 3 || res.Elapsed != 60*time.Millisecond {
		t.Errorf("rcode %d, upstream %d, elapsed %v; want NOERROR, 3, 60ms", res.Rcode, res.Upstream, res.Elapsed)
	}
	// Every message in the trace is real wire format, and each response
	// answers the query before it.
	var lastID uint16
	for _, ev := range res.Trace {
		if ev.Kind != dns.TraceQuery && ev.Kind != dns.TraceResponse {
			continue
		}
		var m mdns.Msg
		if err := m.Unpack(ev.Wire); err != nil {
			t.Fatalf("%s event: wire does not unpack: %v", ev.Kind, err)
		}
		if got := m.Question[0].Name + " " + mdns.TypeToString[m.Question[0].Qtype]; got != ev.Question {
			t.Errorf("%s event for %q carries %q", ev.Kind, ev.Question, got)
		}
		if ev.Kind == dns.TraceQuery {
			lastID = m.Id
			if m.Response || m.RecursionDesired {
				t.Errorf("iterated query has QR=%v RD=%v, want both false", m.Response, m.RecursionDesired)
			}
		} else if m.Id != lastID || !m.Response {
			t.Errorf("response ID %d QR=%v, want %d and QR", m.Id, m.Response, lastID)
		}
	}
	if got := r.Counters(); got.Sent != 3 || got.Received != 1 || got.CacheMisses != 1 {
		t.Errorf("Counters() = %+v, want 3 sent, 1 received, 1 miss", got)
	}
}

func TestWarmLookup(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	w.clk.Advance(100 * time.Second)
	res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	if res.Upstream != 0 || res.Elapsed != 0 {
		t.Errorf("warm lookup sent %d queries and took %v, want none and 0", res.Upstream, res.Elapsed)
	}
	// The TTL counts down on the clock: 300 s less the 100 s waited.
	if diff := cmp.Diff([]string{"www.example.com. 200 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	want := []string{"0s cache-hit www.example.com. A: TTL 200, answer-aa: 192.0.2.80"}
	if diff := cmp.Diff(want, lines(res.Trace, w.clk.Now())); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if got := r.Counters(); got.CacheHits != 1 || got.Sent != 3 {
		t.Errorf("Counters() = %+v, want 1 hit, 3 sent", got)
	}
}

// TestDelegationCache checks that cached NS RRsets let later lookups skip
// the servers above them: a sibling in the same TLD starts at the TLD, and
// a CNAME restart into a known TLD does not go back to the root.
func TestDelegationCache(t *testing.T) {
	tests := []struct {
		name   string
		first  string // looked up first, to warm the cache
		lookup string
		want   []string // queries of the second lookup
		answer []string
	}{
		{
			name:   "sibling in the same TLD skips the root",
			first:  "www.example.com",
			lookup: "www.shop.com",
			want:   []string{"a.gtld-servers.net. www.shop.com. A", "ns.shop.com. www.shop.com. A"},
			answer: []string{"www.shop.com. 3600 IN A 203.0.113.180"},
		},
		{
			name:   "another name in a known zone goes straight to its server",
			first:  "www.example.com",
			lookup: "mail.example.com",
			want:   []string{"ns1.example.com. mail.example.com. A"},
			answer: []string{"mail.example.com. 3600 IN A 192.0.2.25"},
		},
		{
			name:   "CNAME into another zone of a known TLD",
			first:  "www.example.com",
			lookup: "alias.example.com",
			want:   []string{"ns1.example.com. alias.example.com. A", "a.gtld-servers.net. www.shop.com. A", "ns.shop.com. www.shop.com. A"},
			answer: []string{"alias.example.com. 3600 IN CNAME www.shop.com.", "www.shop.com. 3600 IN A 203.0.113.180"},
		},
		{
			name:   "CNAME into an unknown TLD goes to the root",
			lookup: "web.example.com",
			want: []string{
				"a.root-servers.net. web.example.com. A", "a.gtld-servers.net. web.example.com. A", "ns1.example.com. web.example.com. A",
				"a.root-servers.net. www.example.net. A", "a.gtld-servers.net. www.example.net. A", "ns1.example.net. www.example.net. A",
			},
			answer: []string{"web.example.com. 3600 IN CNAME www.example.net.", "www.example.net. 3600 IN A 203.0.113.80"},
		},
		{
			name:   "glueless delegation: the name server's address is looked up first",
			first:  "www.example.com",
			lookup: "www.glueless.com",
			want: []string{
				"a.gtld-servers.net. www.glueless.com. A",
				"a.root-servers.net. ns1.example.net. A", // net's delegation is not cached yet
				"a.gtld-servers.net. ns1.example.net. A",
				"ns1.example.net. ns1.example.net. A",
				"ns1.example.net. www.glueless.com. A",
			},
			answer: []string{"www.glueless.com. 3600 IN A 203.0.113.81"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{})
			if tc.first != "" {
				resolve(t, r, tc.first, mdns.TypeA, resolver.Iterated)
			}
			res := resolve(t, r, tc.lookup, mdns.TypeA, resolver.Iterated)
			if diff := cmp.Diff(tc.want, queries(res)); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.answer, rrStrings(res.Answer)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMXWithAdditionalAddresses(t *testing.T) {
	tests := []struct {
		name                 string
		minimal              bool
		authority, additonal []string
	}{
		{
			name:      "full responses",
			authority: []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."},
			additonal: []string{"mail.example.com. 3600 IN A 192.0.2.25", "ns1.example.com. 3600 IN A 192.0.2.53", "ns2.example.com. 3600 IN A 198.51.100.53"},
		},
		{name: "minimal responses", minimal: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{Switches: resolver.Switches{MinimalResponses: tc.minimal}})
			res := resolve(t, r, "example.com", mdns.TypeMX, resolver.Iterated)
			if diff := cmp.Diff([]string{"example.com. 3600 IN MX 10 mail.example.com."}, rrStrings(res.Answer)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.authority, rrStrings(res.Authority)); diff != "" {
				t.Errorf("authority (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.additonal, rrStrings(res.Additional)); diff != "" {
				t.Errorf("additional (-want +got):\n%s", diff)
			}
			// The additional address came with the MX answer: the mail
			// host needs no lookup of its own, and as additional data
			// it is not an answer (RFC 2181 §5.4.1), so asking for it
			// goes to the server.
			res = resolve(t, r, "mail.example.com", mdns.TypeA, resolver.Iterated)
			if diff := cmp.Diff([]string{"ns1.example.com. mail.example.com. A"}, queries(res)); diff != "" {
				t.Errorf("queries for the mail host (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNegativeCaching(t *testing.T) {
	type step struct {
		advance  time.Duration
		name     string
		qtype    uint16
		rcode    int
		upstream int
		soa      []string
	}
	soa := func(ttl int) []string {
		return []string{fmt.Sprintf("example.com. %d IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300", ttl)}
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "NXDOMAIN covers every type, and names below (RFC 8020), until it expires",
			steps: []step{
				{name: "nx.example.com", qtype: mdns.TypeA, rcode: mdns.RcodeNameError, upstream: 3, soa: soa(300)},
				{advance: 100 * time.Second, name: "nx.example.com", qtype: mdns.TypeAAAA, rcode: mdns.RcodeNameError, soa: soa(200)},
				{name: "deeper.nx.example.com", qtype: mdns.TypeA, rcode: mdns.RcodeNameError, soa: soa(200)},
				{advance: 200 * time.Second, name: "nx.example.com", qtype: mdns.TypeA, rcode: mdns.RcodeNameError, upstream: 1, soa: soa(300)},
			},
		},
		{
			name: "NODATA is per type",
			steps: []step{
				{name: "www.example.com", qtype: mdns.TypeAAAA, rcode: mdns.RcodeSuccess, upstream: 3, soa: soa(300)},
				{advance: time.Second, name: "www.example.com", qtype: mdns.TypeAAAA, rcode: mdns.RcodeSuccess, soa: soa(299)},
				{name: "www.example.com", qtype: mdns.TypeTXT, rcode: mdns.RcodeSuccess, upstream: 1, soa: soa(300)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{})
			for i, s := range tc.steps {
				w.clk.Advance(s.advance)
				res := resolve(t, r, s.name, s.qtype, resolver.Iterated)
				if res.Rcode != s.rcode || res.Upstream != s.upstream || len(res.Answer) != 0 {
					t.Errorf("step %d: %s: rcode %s, %d upstream, answer %v; want %s, %d, none",
						i, s.name, mdns.RcodeToString[res.Rcode], res.Upstream, res.Answer, mdns.RcodeToString[s.rcode], s.upstream)
				}
				if diff := cmp.Diff(s.soa, rrStrings(res.Authority)); diff != "" {
					t.Errorf("step %d: authority (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestTTLExpiry(t *testing.T) {
	w := newWorld(t)
	var events []dns.TraceEvent
	r := w.resolver(resolver.Options{OnEvent: func(ev dns.TraceEvent) { events = append(events, ev) }})
	resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	w.clk.Advance(299 * time.Second)
	res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	if diff := cmp.Diff([]string{"www.example.com. 1 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("just before expiry (-want +got):\n%s", diff)
	}
	w.clk.Advance(time.Second)
	start := w.clk.Now()
	res = resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	want := []string{
		"0s cache-expire www.example.com. A: expired 0s ago",
		"0s cache-miss www.example.com. A: not in the cache",
		"0s cache-hit example.com. NS: delegation: 2 name servers, 2 addresses known",
		"0s query local. -> ns1.example.com. www.example.com. A: query id 56540, RD=0",
	}
	if diff := cmp.Diff(want, lines(res.Trace, start)[:4]); diff != "" {
		t.Errorf("trace after expiry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"www.example.com. 300 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("answer after expiry (-want +got):\n%s", diff)
	}
	// OnEvent saw everything the three traces hold.
	if got, want := len(events), 17+1+len(res.Trace); got != want {
		t.Errorf("OnEvent saw %d events, want %d", got, want)
	}
}

func TestRoundRobin(t *testing.T) {
	tests := []struct {
		name string
		on   bool
		want [][]string
	}{
		{
			name: "on: each answer rotates by one",
			on:   true,
			want: [][]string{{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, {"192.0.2.2", "192.0.2.3", "192.0.2.1"}, {"192.0.2.3", "192.0.2.1", "192.0.2.2"}, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}},
		},
		{
			name: "off: the order received",
			want: [][]string{{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{Switches: resolver.Switches{RoundRobin: tc.on}})
			var got [][]string
			for range tc.want {
				res := resolve(t, r, "rr.example.com", mdns.TypeA, resolver.Iterated)
				var addrs []string
				for _, rr := range res.Answer {
					addrs = append(addrs, rr.(*mdns.A).A.String())
				}
				got = append(got, addrs)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLameServer makes ns1.example.com misbehave in different ways; each
// time the resolver moves on to ns2.example.com and gets the answer.
func TestLameServer(t *testing.T) {
	tests := []struct {
		name   string
		break1 func(t testing.TB, h *host)
		want   string // a line of the trace that shows the failure
	}{
		{
			name:   "silent",
			break1: func(t testing.TB, h *host) { h.silent = true },
			want:   "800ms timeout local. -> ns1.example.com. www.example.com. A: no response within 800ms; trying another server",
		},
		{
			name:   "REFUSED",
			break1: func(t testing.TB, h *host) { h.mangle = func(q, m *mdns.Msg) { m.Rcode = mdns.RcodeRefused } },
			want:   "note www.example.com. A: ns1.example.com. answered REFUSED: lame for example.com.; trying another server",
		},
		{
			name:   "SERVFAIL",
			break1: func(t testing.TB, h *host) { h.mangle = func(q, m *mdns.Msg) { m.Rcode = mdns.RcodeServerFailure } },
			want:   "answered SERVFAIL: lame for example.com.",
		},
		{
			name: "referral to a zone that does not hold the name",
			break1: func(t testing.TB, h *host) {
				h.mangle = func(q, m *mdns.Msg) {
					m.Answer, m.Authoritative = nil, false
					m.Ns = []mdns.RR{mustRR(t, "other.com. 3600 IN NS ns.other.com.")}
					m.Extra = []mdns.RR{mustRR(t, "ns.other.com. 3600 IN A 192.0.2.99")}
				}
			},
			want: "gave no usable answer or referral: lame for example.com.",
		},
		{
			name: "upward referral to the root",
			break1: func(t testing.TB, h *host) {
				h.mangle = func(q, m *mdns.Msg) {
					m.Answer, m.Authoritative = nil, false
					m.Ns = []mdns.RR{mustRR(t, ". 3600 IN NS a.root-servers.net.")}
					m.Extra = nil
				}
			},
			want: "note www.example.com. A: dropped . NS: outside the bailiwick of example.com. (RFC 2181 §6.1) (from ns1.example.com.)",
		},
		{
			name:   "wrong ID",
			break1: func(t testing.TB, h *host) { h.mangle = func(q, m *mdns.Msg) { m.Id++ } },
			want:   "ignored a response from ns1.example.com.: ID",
		},
		{
			name: "wrong question",
			break1: func(t testing.TB, h *host) {
				h.mangle = func(q, m *mdns.Msg) { m.Question[0].Name = "mail.example.com." }
			},
			want: "ignored a response from ns1.example.com.: question mail.example.com. A, the query asked www.example.com. A",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{})
			resolve(t, r, "mail.example.com", mdns.TypeA, resolver.Iterated) // learn example.com's servers
			tc.break1(t, w.host("ns1.example.com."))
			start := w.clk.Now()
			res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
			if diff := cmp.Diff([]string{"www.example.com. 300 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"ns1.example.com. www.example.com. A", "ns2.example.com. www.example.com. A"}, queries(res)); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if l := lines(res.Trace, start); !hasLine(l, tc.want) {
				t.Errorf("trace lacks %q:\n%s", tc.want, strings.Join(l, "\n"))
			}
		})
	}
}

func TestAllServersSilent(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	w.host("a.root-servers.net.").silent = true
	w.host("b.root-servers.net.").silent = true
	res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	if res.Rcode != mdns.RcodeServerFailure || res.Reason != "no server for . answered" || res.Elapsed != 1600*time.Millisecond {
		t.Errorf("got %s %q after %v, want SERVFAIL %q after 1.6s", mdns.RcodeToString[res.Rcode], res.Reason, res.Elapsed, "no server for . answered")
	}
}

// TestLimits checks that each limit ends a lookup with SERVFAIL and names
// itself in the trace.
func TestLimits(t *testing.T) {
	tests := []struct {
		name     string
		opts     resolver.Options
		lookup   string
		reason   string
		upstream int
	}{
		{
			name:     "CNAME loop",
			lookup:   "loop1.example.com",
			reason:   "CNAME restart limit reached: more than 11 CNAMEs from loop1.example.com. (MaxCNAMERestarts)",
			upstream: 3,
		},
		{
			name:     "referral loop, MaxReferrals",
			opts:     resolver.Options{MaxReferrals: 6},
			lookup:   "www.loop.com",
			reason:   "referral limit reached: more than 6 referrals (MaxReferrals)",
			upstream: 7, // root, com, then ns-a, ns-b, ns-a, ns-b, ns-a
		},
		{
			name:     "referral loop with the default limits: the query limit comes first",
			lookup:   "www.loop.com",
			reason:   "upstream query limit reached: 32 queries sent (MaxUpstreamQueries)",
			upstream: 32,
		},
		{
			name:     "NXNS: a referral to forty glueless name servers",
			lookup:   "www.evil.com",
			reason:   "upstream query limit reached: 32 queries sent (MaxUpstreamQueries)",
			upstream: 32,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(tc.opts)
			res := resolve(t, r, tc.lookup, mdns.TypeA, resolver.Iterated)
			if res.Rcode != mdns.RcodeServerFailure || res.Reason != tc.reason || res.Upstream != tc.upstream {
				t.Errorf("got %s, %q, %d upstream; want SERVFAIL, %q, %d", mdns.RcodeToString[res.Rcode], res.Reason, res.Upstream, tc.reason, tc.upstream)
			}
			if len(res.Answer)+len(res.Authority)+len(res.Additional) != 0 {
				t.Errorf("SERVFAIL carries records: %v %v %v", res.Answer, res.Authority, res.Additional)
			}
			if n := notes(res); !hasLine(n, "lookup stopped: "+tc.reason) {
				t.Errorf("notes lack the limit:\n%s", strings.Join(n, "\n"))
			}
		})
	}
	t.Run("NXNS victim load is bounded", func(t *testing.T) {
		w := newWorld(t)
		r := w.resolver(resolver.Options{})
		resolve(t, r, "www.evil.com", mdns.TypeA, resolver.Iterated)
		if got := w.host("ns.victim.test.").received; got == 0 || got > resolver.DefaultMaxUpstreamQueries {
			t.Errorf("victim received %d queries, want 1..%d", got, resolver.DefaultMaxUpstreamQueries)
		}
	})
}

// TestPoisoning has example.com's servers add records for names they do
// not serve; the resolver drops them, says so, and caches none of them.
func TestPoisoning(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	poison := func(q, m *mdns.Msg) {
		m.Answer = append(m.Answer, mustRR(t, "www.bank.test. 86400 IN A 6.6.6.6"))
		m.Ns = append(m.Ns, mustRR(t, "bank.test. 86400 IN NS ns.evil.example.com."))
		m.Extra = append(m.Extra, mustRR(t, "ns.evil.example.com. 86400 IN A 6.6.6.6"), mustRR(t, "ns.bank.test. 86400 IN A 6.6.6.6"))
	}
	w.host("ns1.example.com.").mangle = poison
	w.host("ns2.example.com.").mangle = poison
	res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	if diff := cmp.Diff([]string{"www.example.com. 300 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	want := []string{
		"www.example.com. A: dropped www.bank.test. A: outside the bailiwick of example.com. (RFC 2181 §6.1) (from ns1.example.com.)",
		"www.example.com. A: dropped bank.test. NS: outside the bailiwick of example.com. (RFC 2181 §6.1) (from ns1.example.com.)",
		"www.example.com. A: dropped ns.evil.example.com. A: no record in the response names it (from ns1.example.com.)",
		"www.example.com. A: dropped ns.bank.test. A: outside the bailiwick of example.com. (RFC 2181 §6.1) (from ns1.example.com.)",
	}
	if diff := cmp.Diff(want, notes(res)); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	for _, e := range r.Cache() {
		if strings.Contains(e.Name, "bank.test") || strings.Contains(e.Name, "evil") {
			t.Errorf("cache holds poisoned entry %+v", e)
		}
	}
	res = resolve(t, r, "www.bank.test", mdns.TypeA, resolver.Iterated)
	if diff := cmp.Diff([]string{"www.bank.test. 3600 IN A 192.0.2.200"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("www.bank.test (-want +got):\n%s", diff)
	}
}

// TestStaleUntilTTL: the cache keeps answering with the old address after
// the zone changes, until the TTL runs out (RFC 1034 §3.6: the TTL is how
// long the data may be cached).
func TestStaleUntilTTL(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	addr := func() string {
		t.Helper()
		res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
		if len(res.Answer) != 1 {
			t.Fatalf("answer %v", res.Answer)
		}
		return res.Answer[0].(*mdns.A).A.String()
	}
	var got []string
	got = append(got, addr())
	w.exampleCom.set(t, "www.example.com. 300 IN A 192.0.2.99")
	got = append(got, addr())
	w.clk.Advance(299 * time.Second)
	got = append(got, addr())
	w.clk.Advance(time.Second)
	got = append(got, addr())
	if diff := cmp.Diff([]string{"192.0.2.80", "192.0.2.80", "192.0.2.80", "192.0.2.99"}, got); diff != "" {
		t.Errorf("addresses at 0, 0, 299 and 300 s (-want +got):\n%s", diff)
	}
}

func TestServeStale(t *testing.T) {
	tests := []struct {
		name       string
		serveStale bool
		rcode      int
		answer     []string
	}{
		{name: "on: the expired answer with TTL 30", serveStale: true, rcode: mdns.RcodeSuccess, answer: []string{"www.example.com. 30 IN A 192.0.2.80"}},
		{name: "off: SERVFAIL", rcode: mdns.RcodeServerFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{Switches: resolver.Switches{ServeStale: tc.serveStale}})
			resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
			for _, h := range w.hosts {
				h.silent = true
			}
			w.clk.Advance(time.Hour)
			res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
			if res.Rcode != tc.rcode || res.Stale != tc.serveStale {
				t.Errorf("rcode %s stale %v, want %s %v", mdns.RcodeToString[res.Rcode], res.Stale, mdns.RcodeToString[tc.rcode], tc.serveStale)
			}
			if diff := cmp.Diff(tc.answer, rrStrings(res.Answer)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			// example.com's NS RRset (3600 s) has expired too, so the
			// lookup went back to com's servers, which are silent.
			if diff := cmp.Diff([]string{"a.gtld-servers.net. www.example.com. A", "b.gtld-servers.net. www.example.com. A"}, queries(res)); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if got := hasLine(notes(res), "serving stale data with TTL 30 (RFC 8767)"); got != tc.serveStale {
				t.Errorf("stale note present = %v, want %v:\n%s", got, tc.serveStale, strings.Join(notes(res), "\n"))
			}
		})
	}
}

func TestQNAMEMinimisation(t *testing.T) {
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		warm   string
		want   []string
		rcode  int
		answer int
	}{
		{
			name:  "cold: one label more at each server",
			qname: "www.example.com", qtype: mdns.TypeA,
			want:  []string{"a.root-servers.net. com. A", "a.gtld-servers.net. example.com. A", "ns1.example.com. www.example.com. A"},
			rcode: mdns.RcodeSuccess, answer: 1,
		},
		{
			name:  "the type is hidden until the last server",
			qname: "www.example.com", qtype: mdns.TypeMX,
			want:  []string{"a.root-servers.net. com. A", "a.gtld-servers.net. example.com. A", "ns1.example.com. www.example.com. MX"},
			rcode: mdns.RcodeSuccess,
		},
		{
			name:  "a name below an empty non-terminal: no zone cut at dept",
			qname: "host.dept.example.com", qtype: mdns.TypeA,
			want: []string{
				"a.root-servers.net. com. A", "a.gtld-servers.net. example.com. A",
				"ns1.example.com. dept.example.com. A", "ns1.example.com. host.dept.example.com. A",
			},
			rcode: mdns.RcodeSuccess, answer: 1,
		},
		{
			name:  "NXDOMAIN for a minimised name ends the lookup (RFC 8020)",
			qname: "a.b.nx.example.com", qtype: mdns.TypeA,
			warm:  "www.example.com",
			want:  []string{"ns1.example.com. nx.example.com. A"},
			rcode: mdns.RcodeNameError,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(resolver.Options{Switches: resolver.Switches{QNAMEMinimisation: true}})
			if tc.warm != "" {
				resolve(t, r, tc.warm, mdns.TypeA, resolver.Iterated)
			}
			res := resolve(t, r, tc.qname, tc.qtype, resolver.Iterated)
			if diff := cmp.Diff(tc.want, queries(res)); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if res.Rcode != tc.rcode || len(res.Answer) != tc.answer {
				t.Errorf("rcode %s with %d answers, want %s with %d", mdns.RcodeToString[res.Rcode], len(res.Answer), mdns.RcodeToString[tc.rcode], tc.answer)
			}
		})
	}
}

// TestRecursiveMode compares the load on each server in the two modes: in
// recursive mode the root and TLD servers each send a query as well as
// receive one, and the local server sends only one.
func TestRecursiveMode(t *testing.T) {
	type load struct{ Received, Sent uint64 }
	run := func(mode resolver.Mode) (map[string]load, resolver.Result, []string) {
		w := newWorld(t)
		rec := w.recursing()
		r := w.resolver(resolver.Options{})
		res := resolve(t, r, "www.example.com", mdns.TypeA, mode)
		got := map[string]load{"local.": {r.Counters().Received, r.Counters().Sent}}
		for name, rc := range rec {
			if c := rc.Counters(); c.Received+c.Sent > 0 {
				got[name] = load{c.Received, c.Sent}
			}
		}
		return got, res, w.log
	}

	iter, res, _ := run(resolver.Iterated)
	wantIter := map[string]load{
		"local.":              {1, 3},
		"a.root-servers.net.": {1, 0},
		"a.gtld-servers.net.": {1, 0},
		"ns1.example.com.":    {1, 0},
	}
	if diff := cmp.Diff(wantIter, iter); diff != "" {
		t.Errorf("iterated load (-want +got):\n%s", diff)
	}
	if res.Rcode != mdns.RcodeSuccess || len(res.Answer) != 1 {
		t.Errorf("iterated: %v", res.Answer)
	}

	rec, res, log := run(resolver.Recursive)
	wantRec := map[string]load{
		"local.":              {1, 1},
		"a.root-servers.net.": {1, 1},
		"a.gtld-servers.net.": {1, 1},
		"ns1.example.com.":    {1, 0},
	}
	if diff := cmp.Diff(wantRec, rec); diff != "" {
		t.Errorf("recursive load (-want +got):\n%s", diff)
	}
	wantLog := []string{
		"local. -> a.root-servers.net.: www.example.com. A RD=1",
		"a.root-servers.net. -> a.gtld-servers.net.: www.example.com. A RD=1",
		"a.gtld-servers.net. -> ns1.example.com.: www.example.com. A RD=1",
	}
	if diff := cmp.Diff(wantLog, log); diff != "" {
		t.Errorf("who asked whom (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"www.example.com. 300 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
		t.Errorf("recursive answer (-want +got):\n%s", diff)
	}
	// A CNAME into another TLD: the local server restarts at the root,
	// and the chain runs again.
	w := newWorld(t)
	recs := w.recursing()
	r := w.resolver(resolver.Options{})
	if res := resolve(t, r, "web.example.com", mdns.TypeA, resolver.Recursive); len(res.Answer) != 2 || res.Upstream != 2 {
		t.Errorf("web.example.com: answer %v after %d queries, want CNAME and A after 2", res.Answer, res.Upstream)
	}
	got := map[string]load{}
	for name, rc := range recs {
		if c := rc.Counters(); c.Received+c.Sent > 0 {
			got[name] = load{c.Received, c.Sent}
		}
	}
	wantCNAME := map[string]load{
		"a.root-servers.net.": {2, 2},
		"a.gtld-servers.net.": {2, 2},
		"ns1.example.com.":    {1, 0},
		"ns1.example.net.":    {1, 0},
	}
	if diff := cmp.Diff(wantCNAME, got); diff != "" {
		t.Errorf("recursive load for a CNAME (-want +got):\n%s", diff)
	}

	// The answer travels back down the chain: it reaches the local
	// server after three round trips, relayed, not authoritative.
	if res.Elapsed != 60*time.Millisecond {
		t.Errorf("recursive lookup took %v, want 60ms", res.Elapsed)
	}
	last := res.Trace[len(res.Trace)-1]
	for _, ev := range res.Trace {
		if ev.Kind == dns.TraceResponse {
			last = ev
		}
	}
	if want := "NOERROR RD RA, answer 1, authority 2, additional 2: A 192.0.2.80"; last.Summary != want {
		t.Errorf("root's response %q, want %q", last.Summary, want)
	}
}

// TestCredibility checks RFC 2181 §5.4.1's ranking: data from a server's
// answer section outranks glue and additional data, which never replace it.
func TestCredibility(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	rank := func(name, typ string) resolver.Rank {
		for _, e := range r.Cache() {
			if e.Name == name && e.Type == typ {
				return e.Rank
			}
		}
		return 0
	}
	resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	got := []resolver.Rank{rank("example.com.", "NS"), rank("ns1.example.com.", "A")}
	resolve(t, r, "ns1.example.com", mdns.TypeA, resolver.Iterated)
	got = append(got, rank("ns1.example.com.", "A"))
	res := resolve(t, r, "mail.example.com", mdns.TypeA, resolver.Iterated) // its additional section has ns1's address
	got = append(got, rank("ns1.example.com.", "A"))
	want := []resolver.Rank{resolver.RankAuthAuthority, resolver.RankAdditional, resolver.RankAuthAnswer, resolver.RankAuthAnswer}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
	if n := notes(res); !hasLine(n, "ns1.example.com. A: not cached: the cache holds answer-aa data, which ranks above additional (RFC 2181 §5.4.1)") {
		t.Errorf("notes lack the rank decision:\n%s", strings.Join(n, "\n"))
	}
}

func TestCacheTable(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	resolve(t, r, "nx.example.com", mdns.TypeA, resolver.Iterated)
	w.clk.Advance(10 * time.Second)
	want := []resolver.CacheEntry{
		{Name: "com.", Type: "NS", TTL: 86389, Records: []string{"com.\t86389\tIN\tNS\ta.gtld-servers.net.", "com.\t86389\tIN\tNS\tb.gtld-servers.net."}, Rank: resolver.RankAdditional},
		{Name: "example.com.", Type: "NS", TTL: 3589, Records: []string{"example.com.\t3589\tIN\tNS\tns1.example.com.", "example.com.\t3589\tIN\tNS\tns2.example.com."}, Rank: resolver.RankAuthAuthority},
		{Name: "ns1.example.com.", Type: "A", TTL: 3589, Records: []string{"ns1.example.com.\t3589\tIN\tA\t192.0.2.53"}, Rank: resolver.RankAdditional},
		{Name: "ns2.example.com.", Type: "A", TTL: 3589, Records: []string{"ns2.example.com.\t3589\tIN\tA\t198.51.100.53"}, Rank: resolver.RankAdditional},
		{Name: "nx.example.com.", TTL: 290, Records: []string{"example.com.\t290\tIN\tSOA\tns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"}, Negative: "NXDOMAIN", Rank: resolver.RankAuthAuthority},
		{Name: "www.example.com.", Type: "A", TTL: 289, Records: []string{"www.example.com.\t289\tIN\tA\t192.0.2.80"}, Rank: resolver.RankAuthAnswer},
		{Name: "a.gtld-servers.net.", Type: "A", TTL: 86389, Records: []string{"a.gtld-servers.net.\t86389\tIN\tA\t192.5.6.30"}, Rank: resolver.RankAdditional},
		{Name: "b.gtld-servers.net.", Type: "A", TTL: 86389, Records: []string{"b.gtld-servers.net.\t86389\tIN\tA\t192.33.14.30"}, Rank: resolver.RankAdditional},
	}
	if diff := cmp.Diff(want, r.Cache()); diff != "" {
		t.Errorf("Cache() (-want +got):\n%s", diff)
	}
	r.Flush()
	if got := r.Cache(); len(got) != 0 {
		t.Errorf("after Flush, Cache() = %v", got)
	}
}

func TestCacheSizeLimit(t *testing.T) {
	w := newWorld(t)
	var evicted []string
	r := w.resolver(resolver.Options{MaxCacheEntries: 4, OnEvent: func(ev dns.TraceEvent) {
		if ev.Kind == dns.TraceExpire && strings.HasPrefix(ev.Summary, "evicted") {
			evicted = append(evicted, ev.Question)
		}
	}})
	resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	if got := len(r.Cache()); got != 4 {
		t.Errorf("cache holds %d entries, want 4", got)
	}
	// The least recently used go first: the root's referral. The
	// authoritative answer replaces the RRsets com's referral gave.
	want := []string{"com. NS", "a.gtld-servers.net. A", "b.gtld-servers.net. A"}
	if diff := cmp.Diff(want, evicted); diff != "" {
		t.Errorf("evicted (-want +got):\n%s", diff)
	}
}

func TestTTLBounds(t *testing.T) {
	tests := []struct {
		name   string
		opts   resolver.Options
		lookup string
		want   []string // answer, or authority for a negative answer
		// coldOnly checks only the first lookup, not the cached one.
		coldOnly bool
	}{
		{name: "MaxTTL caps", opts: resolver.Options{MaxTTL: time.Minute}, lookup: "www.example.com", want: []string{"www.example.com. 60 IN A 192.0.2.80"}},
		{name: "MinTTL raises", opts: resolver.Options{MinTTL: time.Hour}, lookup: "www.example.com", want: []string{"www.example.com. 3600 IN A 192.0.2.80"}},
		{
			name: "MaxTTL caps every record of a CNAME chain", opts: resolver.Options{MaxTTL: time.Minute}, lookup: "web.example.com",
			want:     []string{"web.example.com. 60 IN CNAME www.example.net.", "www.example.net. 60 IN A 203.0.113.80"},
			coldOnly: true, // warm, the CNAME is a lookup older than the A
		},
		{
			name: "MaxNegativeTTL caps the SOA's", opts: resolver.Options{MaxNegativeTTL: 100 * time.Second}, lookup: "nx.example.com",
			want: []string{"example.com. 100 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"},
		},
		{
			name: "MinNegativeTTL raises the SOA's", opts: resolver.Options{MinNegativeTTL: time.Hour}, lookup: "nx.example.com",
			want: []string{"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"},
		},
		{
			name: "MinNegativeTTL leaves positive data alone", opts: resolver.Options{MinNegativeTTL: time.Hour}, lookup: "www.example.com",
			want: []string{"www.example.com. 300 IN A 192.0.2.80"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.resolver(tc.opts)
			for i := range 2 { // cold, then from the cache
				if i == 1 && tc.coldOnly {
					break
				}
				res := resolve(t, r, tc.lookup, mdns.TypeA, resolver.Iterated)
				got := append(rrStrings(res.Answer), rrStrings(res.Authority)...)
				if len(res.Answer) > 0 {
					got = rrStrings(res.Answer)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestDeterminism runs the same lookups on two fresh worlds: the traces,
// wire bytes and times included, are identical.
func TestDeterminism(t *testing.T) {
	run := func() []dns.TraceEvent {
		w := newWorld(t)
		r := w.resolver(resolver.Options{Switches: resolver.Switches{RoundRobin: true, QNAMEMinimisation: true, EDNS: true}})
		w.host("ns1.example.com.").silent = true
		var all []dns.TraceEvent
		for _, name := range []string{"www.example.com", "web.example.com", "rr.example.com", "rr.example.com", "nx.example.com", "www.glueless.com", "www.evil.com"} {
			res := resolve(t, r, name, mdns.TypeA, resolver.Iterated)
			all = append(all, res.Trace...)
			w.clk.Advance(time.Second)
		}
		return all
	}
	a, b := run(), run()
	if len(a) < 50 {
		t.Fatalf("only %d events", len(a))
	}
	if diff := cmp.Diff(a, b, cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("second run differs (-first +second):\n%s", diff)
	}
}

func TestNew(t *testing.T) {
	ex := newFakeNet(t).from("x", "10.0.0.1")
	clk := clock.NewVirtual(time.Time{})
	if _, err := resolver.New(ex, clk, resolver.Options{}); err != resolver.ErrNoRootHints {
		t.Errorf("New without hints: %v, want ErrNoRootHints", err)
	}
	if _, err := resolver.New(ex, clk, resolver.Options{RootHints: []resolver.Hint{{Name: "a."}}}); err == nil {
		t.Error("New with a hint without address succeeded")
	}
	if _, err := resolver.New(nil, clk, resolver.Options{RootHints: rootHints}); err == nil {
		t.Error("New without Exchanger succeeded")
	}
}

func TestNeverAnsweringExchanger(t *testing.T) {
	clk := clock.NewVirtual(time.Time{})
	// An Exchanger that never answers and a resolver whose timer is the
	// only thing pending: the timers run out only if the resolver loses
	// track; it must instead fail every server and finish.
	r, err := resolver.New(exchangerFunc(func(netip.AddrPort, *mdns.Msg, func(*mdns.Msg, error)) {}), clk, resolver.Options{RootHints: rootHints})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ResolveSync(resolver.Question{Name: "www.example.com", Type: mdns.TypeA}, 0)
	if err != nil || res.Rcode != mdns.RcodeServerFailure || res.Mode != resolver.Iterated {
		t.Errorf("ResolveSync = %s %v, %v; want SERVFAIL iterated, nil", mdns.RcodeToString[res.Rcode], res.Mode, err)
	}
}

type exchangerFunc func(netip.AddrPort, *mdns.Msg, func(*mdns.Msg, error))

func (f exchangerFunc) Exchange(to netip.AddrPort, q *mdns.Msg, done func(*mdns.Msg, error)) {
	f(to, q, done)
}

// TestSynchronousExchanger checks an Exchanger that answers before
// Exchange returns, as an in-process one may.
func TestSynchronousExchanger(t *testing.T) {
	w := newWorld(t)
	sync := exchangerFunc(func(to netip.AddrPort, q *mdns.Msg, done func(*mdns.Msg, error)) {
		h := w.hosts[to.Addr()]
		h.handler.ServeDNS(writerFunc(func(m *mdns.Msg) error { done(m, nil); return nil }), &dns.Request{Msg: q})
	})
	r, err := resolver.New(sync, w.clk, resolver.Options{RootHints: rootHints})
	if err != nil {
		t.Fatal(err)
	}
	var got []resolver.Result
	r.Resolve(resolver.Question{Name: "web.example.com", Type: mdns.TypeA}, resolver.Iterated, func(res resolver.Result) { got = append(got, res) })
	if len(got) != 1 || len(got[0].Answer) != 2 || got[0].Upstream != 6 {
		t.Fatalf("results %+v, want one with 2 answers after 6 queries", got)
	}
	if w.clk.Pending() != 0 {
		t.Errorf("%d timers left pending", w.clk.Pending())
	}
}

func TestSetSwitches(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	r.SetSwitches(resolver.Switches{MinimalResponses: true})
	if !r.Switches().MinimalResponses {
		t.Error("Switches() does not report the change")
	}
	res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
	if res.Upstream != 0 || len(res.Authority) != 0 {
		t.Errorf("after SetSwitches: %d upstream, authority %v; want the cache kept and a minimal answer", res.Upstream, res.Authority)
	}
}

// TestRealClockGoroutines runs lookups on the wall clock with an Exchanger
// that answers from other goroutines, several lookups at once: the shape
// of a native server. Run with -race.
func TestRealClockGoroutines(t *testing.T) {
	w := newWorld(t)
	ex := exchangerFunc(func(to netip.AddrPort, q *mdns.Msg, done func(*mdns.Msg, error)) {
		h := w.hosts[to.Addr()]
		go h.auth.ServeDNS(writerFunc(func(m *mdns.Msg) error { go done(m.Copy(), nil); return nil }), &dns.Request{Msg: q.Copy()})
	})
	r, err := resolver.New(ex, clock.Real{}, resolver.Options{RootHints: rootHints, QueryTimeout: 10 * time.Second, Switches: resolver.Switches{RoundRobin: true}})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"www.example.com", "web.example.com", "rr.example.com", "www.shop.com", "nx.example.com", "mail.example.com"}
	errs := make(chan string, 2*len(names))
	for range 2 {
		for _, name := range names {
			go func() {
				res, err := r.ResolveSync(resolver.Question{Name: name, Type: mdns.TypeA}, resolver.Iterated)
				switch {
				case err != nil:
					errs <- err.Error()
				case name == "nx.example.com" && res.Rcode != mdns.RcodeNameError,
					name != "nx.example.com" && len(res.Answer) == 0:
					errs <- fmt.Sprintf("%s: %s %v", name, mdns.RcodeToString[res.Rcode], res.Answer)
				default:
					errs <- ""
				}
			}()
		}
	}
	for range 2 * len(names) {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestScrubPromiscuous: an answer from example.com's servers that also
// names another NS set for example.com replaces the delegation unless
// ScrubPromiscuous drops it; a referral still sets the delegation.
func TestScrubPromiscuous(t *testing.T) {
	tests := []struct {
		name      string
		sw        resolver.Switches
		wantNS    []string
		wantEvilA bool
	}{
		{"off: the answer's NS set is cached", resolver.Switches{}, []string{"example.com. NS ns.attacker.example.com."}, true},
		{"on: the referral's NS set stays", resolver.Switches{ScrubPromiscuous: true}, []string{"example.com. NS ns1.example.com.", "example.com. NS ns2.example.com."}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			for _, name := range []string{"ns1.example.com.", "ns2.example.com."} {
				w.host(name).mangle = func(q, m *mdns.Msg) {
					if len(m.Answer) == 0 {
						return
					}
					m.Ns = []mdns.RR{mustRR(t, "example.com. 3600 IN NS ns.attacker.example.com.")}
					m.Extra = []mdns.RR{mustRR(t, "ns.attacker.example.com. 3600 IN A 192.0.2.66")}
				}
			}
			r := w.resolver(resolver.Options{Switches: tc.sw})
			res := resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
			if diff := cmp.Diff([]string{"www.example.com. 300 IN A 192.0.2.80"}, rrStrings(res.Answer)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			var gotNS []string
			evilA := false
			for _, e := range r.Cache() {
				if e.Name == "example.com." && e.Type == "NS" {
					for _, rec := range e.Records {
						f := strings.Fields(rec)
						gotNS = append(gotNS, f[0]+" NS "+f[len(f)-1])
					}
				}
				if e.Name == "ns.attacker.example.com." {
					evilA = true
				}
			}
			if diff := cmp.Diff(tc.wantNS, gotNS); diff != "" {
				t.Errorf("cached example.com NS (-want +got):\n%s", diff)
			}
			if evilA != tc.wantEvilA {
				t.Errorf("ns.attacker.example.com cached = %v, want %v", evilA, tc.wantEvilA)
			}
		})
	}
}
