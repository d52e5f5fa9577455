package dnsnet_test

import (
	"testing"

	"github.com/wirelab/wirelab/engine/dns/dnsnet"
)

// benchExchanges runs b.N exchanges one after another over the simulated
// network, each played to the end on the virtual clock, and reports
// exchanges per second of real time.
func benchExchanges(b *testing.B, setup func(*dnsnet.Client)) {
	l := newQuietLab(b)
	l.serve(answerA(1))
	c := &dnsnet.Client{Node: l.client, Clock: l.clk}
	setup(c)
	q := l.query("bench.example")
	b.ReportAllocs()
	for b.Loop() {
		r := l.exchange(c, serverAP, q)
		l.clk.RunUntilIdle(1000)
		if r.err != nil || r.calls != 1 {
			b.Fatalf("exchange: %v after %d calls", r.err, r.calls)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
}

func BenchmarkExchangeUDP(b *testing.B) { benchExchanges(b, func(*dnsnet.Client) {}) }

func BenchmarkExchangeTCP(b *testing.B) { benchExchanges(b, func(c *dnsnet.Client) { c.TCP = true }) }
