package resolver_test

import (
	"net/netip"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
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

// wireWriter is the ResponseWriter of a native server such as cmd/wirelab's:
// it keeps the reply, which the caller packs, or, when the resolver offers
// wire bytes, copies them into a buffer it reuses.
type wireWriter struct {
	msg  *mdns.Msg
	wire []byte
	buf  []byte
}

func (w *wireWriter) WriteMsg(m *mdns.Msg) error { w.msg = m; return nil }

func (w *wireWriter) WriteWire(b []byte) error {
	w.buf = append(w.buf[:0], b...)
	w.wire = w.buf
	return nil
}

// out returns the reply as it goes on the wire.
func (w *wireWriter) out() ([]byte, error) {
	if w.msg != nil {
		return w.msg.Pack()
	}
	return w.wire, nil
}

// msgWriter is a ResponseWriter without WriteWire.
type msgWriter struct{ w *wireWriter }

func (w msgWriter) WriteMsg(m *mdns.Msg) error { return w.w.WriteMsg(m) }

// BenchmarkServeDNSCacheHit measures a stub query the cache answers, as a
// native server such as cmd/wirelab's handles one:
//
//   - msg: unpack the query, ServeDNS with a writer that has only WriteMsg,
//     pack the reply;
//   - wirewriter: the same with a WireWriter, which takes the packed answer;
//   - answercached: AnswerCached on the query's bytes (falling back to
//     unpack and ServeDNS, which does not happen here).
func BenchmarkServeDNSCacheHit(b *testing.B) {
	for _, bc := range []struct {
		name    string
		q       string
		sw      resolver.Switches
		edns    bool
		onEvent bool // an OnEvent that drops the events, as a lab without OnTrace has
		n       int  // answer records
	}{
		{"www", "www.example.com", resolver.Switches{RoundRobin: true}, false, false, 1},
		{"www-edns", "www.example.com", resolver.Switches{RoundRobin: true}, true, false, 1},
		{"www-onevent", "www.example.com", resolver.Switches{RoundRobin: true}, false, true, 1},
		{"rr-roundrobin", "rr.example.com", resolver.Switches{RoundRobin: true}, false, false, 3},
		{"www-minimal", "www.example.com", resolver.Switches{MinimalResponses: true}, false, false, 1},
	} {
		for _, way := range []string{"msg", "wirewriter", "answercached"} {
			b.Run(bc.name+"/"+way, func(b *testing.B) {
				w := newWorld(b)
				opts := resolver.Options{Switches: bc.sw}
				if bc.onEvent {
					opts.OnEvent = func(dns.TraceEvent) {}
				}
				r := w.resolver(opts)
				resolve(b, r, bc.q, mdns.TypeA, resolver.Iterated)
				q := stubQuery(bc.q, mdns.TypeA, true)
				if bc.edns {
					q.SetEdns0(4096, false)
				}
				wire, err := q.Pack()
				if err != nil {
					b.Fatal(err)
				}
				from := netip.MustParseAddrPort("10.0.0.10:5353")
				to := netip.MustParseAddrPort(localAddr + ":53")
				ww := &wireWriter{}
				var rw dns.ResponseWriter = ww
				if way == "msg" {
					rw = msgWriter{ww}
				}
				var buf []byte
				for b.Loop() {
					var out []byte
					if way == "answercached" {
						var ok bool
						if out, ok = r.AnswerCached(buf[:0], wire, false); ok {
							buf = out
						}
					}
					if out == nil {
						m := new(mdns.Msg)
						if err := m.Unpack(wire); err != nil {
							b.Fatal(err)
						}
						ww.msg, ww.wire = nil, nil
						r.ServeDNS(rw, &dns.Request{Msg: m, Wire: wire, From: from, To: to})
						if out, err = ww.out(); err != nil {
							b.Fatal(err)
						}
					}
					if len(out) < 12 || out[7] != byte(bc.n) {
						b.Fatalf("reply %x", out)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			})
		}
	}
}
