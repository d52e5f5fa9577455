package rpl

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wirelab/wirelab/engine/dns/resolver"
)

func TestSettings(t *testing.T) {
	stub := "stub-zone:\n\tname: \".\"\n\tstub-addr: 193.0.14.129\n"
	k := []resolver.Hint{{Name: "stub-1.", Addr: netip.MustParseAddr("193.0.14.129")}}
	// unbound is the resolver configured as Unbound's defaults want.
	unbound := func(f func(o *resolver.Options)) resolver.Options {
		o := resolver.Options{RootHints: k}
		o.QNAMEMinimisation, o.MinimalResponses, o.ScrubPromiscuous = true, true, true
		if f != nil {
			f(&o)
		}
		return o
	}
	tests := []struct {
		name, config string
		want         resolver.Options
		noIPv6       bool
		used         []string
		ignored      []string
		unknown      []string
	}{
		{
			name: "Unbound's defaults", config: "server:\n" + stub,
			want: unbound(nil),
			used: []string{"line 3: stub-zone: name: .", "line 4: stub-zone: stub-addr: 193.0.14.129"},
		},
		{
			name: "switches and limits",
			config: "server:\n\tqname-minimisation: \"no\"\n\tminimal-responses: no\n\titer-scrub-promiscuous: no\n\tserve-expired: yes\n" +
				"\tcache-max-ttl: 10\n\tcache-min-ttl: 5\n\tcache-max-negative-ttl: 20\n\tcache-min-negative-ttl: 2\n\tserve-expired-ttl: 60\n\tdo-ip6: no\n" + stub,
			want: unbound(func(o *resolver.Options) {
				o.QNAMEMinimisation, o.MinimalResponses, o.ScrubPromiscuous, o.ServeStale = false, false, false, true
				o.MaxTTL, o.MinTTL, o.MaxNegativeTTL, o.MinNegativeTTL, o.MaxStale = 10*time.Second, 5*time.Second, 20*time.Second, 2*time.Second, time.Minute
			}),
			noIPv6: true,
			used: []string{
				"line 2: server: qname-minimisation: no", "line 3: server: minimal-responses: no", "line 4: server: iter-scrub-promiscuous: no",
				"line 5: server: serve-expired: yes", "line 6: server: cache-max-ttl: 10", "line 7: server: cache-min-ttl: 5",
				"line 8: server: cache-max-negative-ttl: 20", "line 9: server: cache-min-negative-ttl: 2", "line 10: server: serve-expired-ttl: 60",
				"line 11: server: do-ip6: no", "line 13: stub-zone: name: .", "line 14: stub-zone: stub-addr: 193.0.14.129",
			},
		},
		{
			name:   "a forwarder for the root, on one line",
			config: "forward-zone: name: \".\" forward-addr: 216.0.0.1",
			want: unbound(func(o *resolver.Options) {
				o.RootHints = []resolver.Hint{{Name: "forward-1.", Addr: netip.MustParseAddr("216.0.0.1")}}
				o.Mode = resolver.Recursive
			}),
			used: []string{"line 1: forward-zone: name: .", "line 1: forward-zone: forward-addr: 216.0.0.1"},
		},
		{
			name:   "inert lines",
			config: "server:\n\ttarget-fetch-policy: \"0 0 0 0 0\"\n\taccess-control: 127.0.0.1 allow_snoop\n\tharden-glue: yes\n\tmodule-config: \"validator iterator\"\n" + stub,
			want:   unbound(nil),
			used:   []string{"line 7: stub-zone: name: .", "line 8: stub-zone: stub-addr: 193.0.14.129"},
			ignored: []string{
				"line 2: server: target-fetch-policy: 0 0 0 0 0 (no effect on answers)",
				"line 3: server: access-control: 127.0.0.1 allow_snoop (the client is allowed)",
				"line 4: server: harden-glue: yes (the resolver behaves so)",
				"line 5: server: module-config: validator iterator (no trust anchor, so the validator has nothing to do)",
			},
		},
		{
			name: "lines not understood",
			config: "server:\n\tprefetch: yes\n\tharden-referral-path: yes\n\tcache-max-ttl: 0\n\taccess-control: 127.0.0.1 refuse\n" +
				"stub-zone:\n\tname: example.com\n\tstub-addr: 1.2.3.4\n" + "remote-control:\n\tcontrol-enable: yes\n",
			want: unbound(func(o *resolver.Options) { o.RootHints = nil }),
			unknown: []string{
				"line 2: server: prefetch: yes (not understood)",
				"line 3: server: harden-referral-path: yes (the resolver has no such switch)",
				"line 4: server: cache-max-ttl: 0 (zero has another meaning in the resolver)",
				"line 5: server: access-control: 127.0.0.1 refuse (access control other than allow)",
				"line 10: remote-control: control-enable: yes (clause remote-control: not understood)",
				"line 6: stub-zone: name: example.com. (the resolver has no stub-zone below the root)",
				"line 20: no stub-zone or forward-zone for the root: the replay has no root servers to start from",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("cfg.rpl", []byte(tc.config+"\nCONFIG_END\n"+padTo(tc.config, 20)+"SCENARIO_BEGIN t\nSCENARIO_END\n"))
			if err != nil {
				t.Fatal(err)
			}
			st := s.Settings()
			if diff := cmp.Diff(tc.want, st.Resolver, cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}), cmpopts.IgnoreFields(resolver.Options{}, "OnEvent")); diff != "" {
				t.Errorf("resolver options (-want +got):\n%s", diff)
			}
			if st.NoIPv6 != tc.noIPv6 {
				t.Errorf("NoIPv6 = %v, want %v", st.NoIPv6, tc.noIPv6)
			}
			notes := func(ns []Note) []string {
				var out []string
				for _, n := range ns {
					out = append(out, n.String())
				}
				return out
			}
			if diff := cmp.Diff(tc.used, notes(st.Used)); diff != "" {
				t.Errorf("used (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ignored, notes(st.Ignored)); diff != "" {
				t.Errorf("ignored (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.unknown, notes(st.NotUnderstood)); diff != "" {
				t.Errorf("not understood (-want +got):\n%s", diff)
			}
		})
	}
}

// padTo returns the blank lines that put SCENARIO_BEGIN at line n after
// config and its CONFIG_END.
func padTo(config string, n int) string {
	lines := 1 // CONFIG_END
	for _, c := range config + "\n" {
		if c == '\n' {
			lines++
		}
	}
	out := ""
	for lines < n-1 {
		out += "\n"
		lines++
	}
	return out
}
