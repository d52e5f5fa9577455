package resolver_test

import (
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// BenchmarkCacheHit measures lookups the cache answers: no upstream
// query, and the callback runs before Resolve returns.
func BenchmarkCacheHit(b *testing.B) {
	w := newWorld(b)
	r := w.resolver(resolver.Options{Switches: resolver.Switches{RoundRobin: true}})
	resolve(b, r, "rr.example.com", mdns.TypeA, resolver.Iterated)
	q := resolver.Question{Name: "rr.example.com.", Type: mdns.TypeA}
	var res resolver.Result
	for b.Loop() {
		r.Resolve(q, resolver.Iterated, func(x resolver.Result) { res = x })
		if res.Upstream != 0 || len(res.Answer) != 3 {
			b.Fatalf("not a cache hit: %+v", res)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkColdLookup measures a lookup from an empty cache on the fake
// internet: root, TLD and authoritative server, in virtual time.
func BenchmarkColdLookup(b *testing.B) {
	for _, bc := range []struct {
		name string
		sw   resolver.Switches
		q    string
	}{
		{"www", resolver.Switches{}, "www.example.com"},
		{"cname-to-other-tld", resolver.Switches{}, "web.example.com"},
		{"qname-minimisation", resolver.Switches{QNAMEMinimisation: true}, "host.dept.example.com"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := newWorld(b)
			r := w.resolver(resolver.Options{Switches: bc.sw})
			upstream := 0
			start := w.clk.Now()
			for b.Loop() {
				r.Flush()
				res := resolve(b, r, bc.q, mdns.TypeA, resolver.Iterated)
				if res.Rcode != mdns.RcodeSuccess {
					b.Fatalf("rcode %d", res.Rcode)
				}
				upstream += res.Upstream
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(upstream)/float64(b.N), "upstream/lookup")
			b.ReportMetric(float64(w.clk.Now().Sub(start).Milliseconds())/float64(b.N), "virtual-ms/lookup")
		})
	}
}
