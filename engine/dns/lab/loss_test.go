package lab_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/transport"
)

// cut drops every packet between the local DNS server and the named
// servers, as a dead link would.
func cut(t *testing.T, l *lab.Lab, local string, servers ...string) {
	t.Helper()
	from := l.Server(local).Addr.Addr()
	for _, name := range servers {
		s := l.Server(name)
		if s == nil {
			t.Fatalf("no server %s", name)
		}
		for _, a := range s.Host.Addrs() {
			l.Net.SetLink(from, a, transport.Link{Latency: l.Net.LinkBetween(from, a).Latency, Loss: 1})
		}
	}
}

// TestLossyNetwork: with one of example.com's two servers unreachable the
// local server times out on it and asks the other (RFC 1034 §5.3.3); with
// both unreachable it answers SERVFAIL within its budget of queries and
// time, and the trace shows the timeouts that led there.
func TestLossyNetwork(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dead     []string
		rcode    int
		timeouts int // at least
	}{
		{"one server dead", []string{"ns1.example.com"}, mdns.RcodeSuccess, 0},
		{"both servers dead", []string{"ns1.example.com", "ns2.example.net"}, mdns.RcodeServerFailure, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := buildDemo(t, lab.Options{Seed: 7})
			cut(t, l, "dns.isp.example.net", tc.dead...)
			res, err := l.Resolve("laptop", "mail.example.com", mdns.TypeA, resolver.Iterated)
			if err != nil {
				t.Fatal(err)
			}
			if res.Rcode != tc.rcode {
				t.Fatalf("rcode %s (%s), want %s", mdns.RcodeToString[res.Rcode], res.Reason, mdns.RcodeToString[tc.rcode])
			}
			var timeouts int
			var timedOut []string
			for _, e := range res.Trace {
				if e.Kind == dns.TraceTimeout {
					timeouts++
					timedOut = append(timedOut, strings.TrimSuffix(e.ToName, "."))
				}
			}
			for _, name := range timedOut {
				if !slices.Contains(tc.dead, name) {
					t.Errorf("a timeout on %s, which is reachable", name)
				}
			}
			if timeouts < tc.timeouts {
				t.Errorf("%d timeouts in the trace, want at least %d", timeouts, tc.timeouts)
			}
			if tc.rcode == mdns.RcodeSuccess {
				want := netip.MustParseAddr("198.51.100.25")
				if len(res.Answer) != 1 || res.Answer[0].(*mdns.A).A.String() != want.String() {
					t.Errorf("answer %v, want mail.example.com A %s", res.Answer, want)
				}
				return
			}
			if res.Reason == "" {
				t.Error("SERVFAIL without a reason")
			}
			if res.Upstream > resolver.DefaultMaxUpstreamQueries {
				t.Errorf("%d upstream queries, over the limit of %d", res.Upstream, resolver.DefaultMaxUpstreamQueries)
			}
			if budget := resolver.DefaultQueryTimeout * resolver.DefaultMaxUpstreamQueries; res.Elapsed > budget {
				t.Errorf("the lookup took %v, over its budget of %v", res.Elapsed, budget)
			}
			t.Logf("SERVFAIL after %v, %d upstream queries: %s", res.Elapsed, res.Upstream, res.Reason)
		})
	}
}
