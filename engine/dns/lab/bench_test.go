package lab_test

import (
	"fmt"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// BenchmarkCacheHit resolves a name the laptop's local DNS server has
// cached: the engine's cost of answering from the cache.
func BenchmarkCacheHit(b *testing.B) {
	l, err := lab.Build(demoWorld(b), lab.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.Resolve("laptop", "www.example.com", mdns.TypeA, resolver.Iterated); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := l.Resolve("laptop", "www.example.com", mdns.TypeA, resolver.Iterated)
		if err != nil || res.Upstream != 0 {
			b.Fatalf("cache hit sent %d queries: %v", res.Upstream, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkColdLookup resolves names never seen before through the demo
// world's hierarchy (root, TLD, authoritative), in virtual time: the cost
// is the engine's, not the simulated latency's. Each name is new: the
// wildcard *.users.example.com answers all of them.
func BenchmarkColdLookup(b *testing.B) {
	for _, mode := range []resolver.Mode{resolver.Iterated, resolver.Recursive} {
		b.Run(mode.String(), func(b *testing.B) {
			l, err := lab.Build(demoWorld(b), lab.Options{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			upstream, i := 0, 0
			for b.Loop() {
				s, _ := l.LocalServer("laptop")
				s.Resolver.Flush() // cold: nothing cached, not even the TLD servers
				i++
				res, err := l.Resolve("laptop", fmt.Sprintf("host%d.users.example.com", i), mdns.TypeA, mode)
				if err != nil || len(res.Answer) != 1 {
					b.Fatalf("lookup %d: %v %v", i, res.Answer, err)
				}
				upstream += res.Upstream
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(upstream)/float64(b.N), "upstream/lookup")
		})
	}
}
