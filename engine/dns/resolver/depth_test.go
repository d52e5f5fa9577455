package resolver_test

import (
	"fmt"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// TestDependencyDepthLimit: ns.evil.com refers every name it is asked to a
// name server without glue one level deeper (www.evil.com to ns.d1.evil.com,
// ns.d1.evil.com to ns.d2.evil.com, ...), so that each address lookup
// needs another one. MaxDependencyDepth stops the nesting: the lookup
// fails with a note saying so, after a bounded number of queries, at the
// edge and past it.
func TestDependencyDepthLimit(t *testing.T) {
	for _, depth := range []int{1, 2, resolver.DefaultMaxDependencyDepth} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			w := newWorld(t)
			asked := map[string]bool{}
			w.host("ns.evil.com.").handler = dns.HandlerFunc(func(rw dns.ResponseWriter, req *dns.Request) {
				q := req.Msg.Question[0].Name
				asked[q] = true
				level := 0
				if _, err := fmt.Sscanf(q, "ns.d%d.", &level); err != nil {
					level = 0
				}
				m := new(mdns.Msg)
				m.SetReply(req.Msg)
				m.Ns = []mdns.RR{mustRR(t, fmt.Sprintf("%s 3600 IN NS ns.d%d.evil.com.", q, level+1))}
				_ = rw.WriteMsg(m)
			})
			opts := resolver.Options{}
			if depth != resolver.DefaultMaxDependencyDepth {
				opts.MaxDependencyDepth = depth
			}
			r := w.resolver(opts)
			res := resolve(t, r, "www.evil.com", mdns.TypeA, resolver.Iterated)
			if res.Rcode != mdns.RcodeServerFailure {
				t.Errorf("rcode %s, want SERVFAIL", mdns.RcodeToString[res.Rcode])
			}
			if n := notes(res); !hasLine(n, fmt.Sprintf("lookups nested %d deep (MaxDependencyDepth)", depth)) {
				t.Errorf("notes lack the depth limit:\n%s", strings.Join(n, "\n"))
			}
			// The deepest name server asked about is the limit's level:
			// ns.d<depth>.evil.com was looked up, ns.d<depth+1> was not.
			if !asked[fmt.Sprintf("ns.d%d.evil.com.", depth)] || asked[fmt.Sprintf("ns.d%d.evil.com.", depth+1)] {
				t.Errorf("names asked about: %v; want down to ns.d%d.evil.com. and no deeper", asked, depth)
			}
			if res.Upstream > resolver.DefaultMaxUpstreamQueries {
				t.Errorf("%d upstream queries", res.Upstream)
			}
		})
	}
}
