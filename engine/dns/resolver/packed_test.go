package resolver_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// wireRecorder is a WireWriter that keeps what was written and how.
type wireRecorder struct {
	wires [][]byte // one per reply; a packed reply or WriteMsg's message packed
	fast  []bool   // whether the reply came through WriteWire
}

var _ resolver.WireWriter = (*wireRecorder)(nil)

func (r *wireRecorder) WriteMsg(m *mdns.Msg) error {
	wire, err := m.Pack()
	if err != nil {
		return err
	}
	r.wires = append(r.wires, wire)
	r.fast = append(r.fast, false)
	return nil
}

func (r *wireRecorder) WriteWire(wire []byte) error {
	r.wires = append(r.wires, bytes.Clone(wire)) // the resolver reuses wire
	r.fast = append(r.fast, true)
	return nil
}

// way is how a stub's query reaches the resolver.
type way int

const (
	// slowWay: a ResponseWriter without WriteWire, so never a packed
	// answer.
	slowWay way = iota
	// wireWay: a WireWriter.
	wireWay
	// cachedWay: AnswerCached on the query's bytes, then, if it declines,
	// unpack and ServeDNS with a WireWriter, as cmd/wirelab does.
	cachedWay
)

func (w way) String() string { return [...]string{"slow", "WireWriter", "AnswerCached"}[w] }

// ask sends req to r the given way, runs the clock until the answer is
// written, and returns the reply's wire bytes and whether a packed answer
// gave it.
func ask(t testing.TB, w *world, r *resolver.Resolver, how way, req *mdns.Msg, tcp bool) (wire []byte, fast bool) {
	t.Helper()
	q, err := req.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if how == cachedWay {
		if out, ok := r.AnswerCached(nil, q, tcp); ok {
			return out, true
		}
	}
	in := new(mdns.Msg)
	if err := in.Unpack(q); err != nil {
		t.Fatal(err)
	}
	dr := &dns.Request{Msg: in, Wire: q, TCP: tcp, From: netip.MustParseAddrPort("10.0.0.10:5353"), To: netip.MustParseAddrPort(localAddr + ":53")}
	rec := &wireRecorder{}
	var rw dns.ResponseWriter = rec
	if how == slowWay {
		rw = writerFunc(rec.WriteMsg)
	}
	r.ServeDNS(rw, dr)
	for len(rec.wires) == 0 && w.clk.RunUntilIdle(1) > 0 {
	}
	if len(rec.wires) != 1 {
		t.Fatalf("%d replies, want 1", len(rec.wires))
	}
	return rec.wires[0], rec.fast[0]
}

func unpack(t testing.TB, wire []byte) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	if err := m.Unpack(wire); err != nil {
		t.Fatalf("reply does not unpack: %v", err)
	}
	return m
}

// twinStep is one step of TestPackedAnswersMatchSlowPath.
type twinStep struct {
	name string
	do   func(t *testing.T, w *world, r *resolver.Resolver) // instead of a query
	req  *mdns.Msg
	tcp  bool
	// fast says whether the fast ways answer from a packed answer.
	fast bool
}

// TestPackedAnswersMatchSlowPath runs the same queries and cache changes on
// three identical worlds, one answering every query the slow way and two
// the fast ways, and checks after each step that the replies are the same
// bytes and the resolvers the same: counters, cache table (TTLs and LRU
// order, through evictions) and the events OnEvent saw.
func TestPackedAnswersMatchSlowPath(t *testing.T) {
	q := func(name string, qtype uint16, rd bool) *mdns.Msg { return stubQuery(name, qtype, rd) }
	edns := func(m *mdns.Msg, size uint16) *mdns.Msg { m.SetEdns0(size, false); return m }
	advance := func(d time.Duration) func(*testing.T, *world, *resolver.Resolver) {
		return func(t *testing.T, w *world, r *resolver.Resolver) { w.clk.Advance(d) }
	}
	steps := []twinStep{
		{name: "cold", req: q("www.example.com", mdns.TypeA, true)},
		{name: "warm: the first answer from the cache is packed", req: q("www.example.com", mdns.TypeA, true)},
		{name: "packed", req: q("www.example.com", mdns.TypeA, true), fast: true},
		{name: "case as asked, EDNS", req: edns(q("WwW.ExAmPlE.cOm", mdns.TypeA, true), 4096), fast: true},
		{name: "EDNS smaller than 512", req: edns(q("www.example.com", mdns.TypeA, true), 100), fast: true},
		{name: "later", do: advance(10 * time.Second)},
		{name: "RD=0, TTLs down 10 s", req: q("www.example.com", mdns.TypeA, false), fast: true},
		{name: "CD copied", req: func() *mdns.Msg { m := q("www.example.com", mdns.TypeA, true); m.CheckingDisabled = true; return m }(), fast: true},
		{name: "TCP", req: q("www.example.com", mdns.TypeA, true), tcp: true, fast: true},
		{name: "round robin cold", req: q("rr.example.com", mdns.TypeA, true)},
		{name: "round robin 2", req: q("rr.example.com", mdns.TypeA, true)},
		{name: "round robin 3", req: q("rr.example.com", mdns.TypeA, true), fast: true},
		{name: "round robin 4", req: q("rr.example.com", mdns.TypeA, true), fast: true},
		{name: "round robin by Resolve", do: func(t *testing.T, w *world, r *resolver.Resolver) {
			resolve(t, r, "rr.example.com", mdns.TypeA, resolver.Iterated)
		}},
		{name: "round robin 5", req: q("rr.example.com", mdns.TypeA, true), fast: true},
		{name: "CNAME to another TLD, cold", req: q("web.example.com", mdns.TypeA, true)},
		{name: "CNAME to another TLD, warm", req: q("web.example.com", mdns.TypeA, true)},
		{name: "CNAME to another TLD, packed", req: q("web.example.com", mdns.TypeA, true), fast: true},
		{name: "NXDOMAIN cold", req: q("nx.example.com", mdns.TypeA, true)},
		{name: "NXDOMAIN warm", req: q("nx.example.com", mdns.TypeA, true)},
		{name: "NXDOMAIN packed", req: q("nx.example.com", mdns.TypeA, true), fast: true},
		{name: "NXDOMAIN below (RFC 8020), first", req: q("deeper.nx.example.com", mdns.TypeAAAA, true)},
		{name: "NXDOMAIN below, packed", req: q("deeper.nx.example.com", mdns.TypeAAAA, true), fast: true},
		{name: "NODATA cold", req: q("www.example.com", mdns.TypeAAAA, true)},
		{name: "NODATA warm", req: q("www.example.com", mdns.TypeAAAA, true)},
		{name: "NODATA packed", req: q("www.example.com", mdns.TypeAAAA, true), fast: true},
		{name: "MX with additional addresses, cold", req: q("example.com", mdns.TypeMX, true)},
		{name: "MX warm", req: q("example.com", mdns.TypeMX, true)},
		{name: "MX packed", req: q("example.com", mdns.TypeMX, true), fast: true},
		{name: "a cold lookup replaces example.com NS", req: q("mail.example.com", mdns.TypeA, true)},
		{name: "www again: its NS RRset was replaced", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www packed again", req: q("www.example.com", mdns.TypeA, true), fast: true},
		{name: "ns1 gets an AAAA record", do: func(t *testing.T, w *world, r *resolver.Resolver) {
			w.exampleCom.set(t, "ns1.example.com. 3600 IN AAAA 2001:db8::53")
		}},
		{name: "cache ns1's AAAA", req: q("ns1.example.com", mdns.TypeAAAA, true)},
		{name: "www: a key that was empty is not", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www with ns1's AAAA, packed", req: q("www.example.com", mdns.TypeA, true), fast: true},
		{name: "large, UDP: truncated", req: q("big.example.com", mdns.TypeA, true)},
		{name: "large, UDP again: still truncated, the slow way", req: q("big.example.com", mdns.TypeA, true)},
		{name: "large, EDNS: compressed to fit, the slow way", req: edns(q("big.example.com", mdns.TypeA, true), 4096)},
		{name: "large, TCP: packed", req: q("big.example.com", mdns.TypeA, true), tcp: true, fast: true},
		{name: "www expires", do: advance(300 * time.Second)},
		{name: "www after expiry", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www after expiry, warm", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www after expiry, packed", req: q("www.example.com", mdns.TypeA, true), fast: true},
		{name: "cache table", do: func(t *testing.T, w *world, r *resolver.Resolver) { r.Cache() }},
		{name: "flush", do: func(t *testing.T, w *world, r *resolver.Resolver) { r.Flush() }},
		{name: "www after flush", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www after flush, warm", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www after flush, packed", req: q("www.example.com", mdns.TypeA, true), fast: true},
		{name: "minimal responses", do: func(t *testing.T, w *world, r *resolver.Resolver) {
			r.SetSwitches(resolver.Switches{RoundRobin: true, MinimalResponses: true})
		}},
		{name: "www minimal", req: q("www.example.com", mdns.TypeA, true)},
		{name: "www minimal, packed", req: q("www.example.com", mdns.TypeA, true), fast: true},
		{name: "NOTIFY", req: func() *mdns.Msg { m := q("example.com", mdns.TypeSOA, false); m.Opcode = mdns.OpcodeNotify; return m }()},
		{name: "EDNS version 1", req: func() *mdns.Msg {
			m := edns(q("www.example.com", mdns.TypeA, true), 4096)
			m.IsEdns0().SetVersion(1)
			return m
		}()},
	}
	for _, maxEntries := range []int{0, 9} {
		t.Run(fmt.Sprintf("MaxCacheEntries=%d", maxEntries), func(t *testing.T) {
			opts := resolver.Options{Switches: resolver.Switches{RoundRobin: true}, MaxCacheEntries: maxEntries}
			// With a small cache, evictions send some queries the slow
			// way.
			runTwins(t, opts, bigRRset, steps, maxEntries == 0)
		})
	}
}

// bigRRset gives big.example.com forty addresses, more than 512 octets.
func bigRRset(t testing.TB, w *world) {
	var big []string
	for i := range 40 {
		big = append(big, fmt.Sprintf("big.example.com. 300 IN A 192.0.2.%d", 100+i))
	}
	w.exampleCom.set(t, big...)
}

// runTwins runs steps on three identical worlds made by setup, one answering
// every query the slow way and two the fast ways, and checks after each step
// that the replies are the same bytes and the resolvers the same: counters
// and the events OnEvent saw, and at the end the cache table. With
// checkFast, it checks which steps had packed answers too.
func runTwins(t *testing.T, opts resolver.Options, setup func(testing.TB, *world), steps []twinStep, checkFast bool) {
	t.Helper()
	type twin struct {
		how    way
		w      *world
		r      *resolver.Resolver
		events []string
	}
	var twins []*twin
	for _, how := range []way{slowWay, wireWay, cachedWay} {
		tw := &twin{how: how, w: newWorld(t)}
		if setup != nil {
			setup(t, tw.w)
		}
		o := opts
		o.OnEvent = func(ev dns.TraceEvent) {
			tw.events = append(tw.events, fmt.Sprintf("%v %s %s: %s", ev.Time.Sub(tw.w.clk.Now()), ev.Kind, ev.Question, ev.Summary))
		}
		tw.r = tw.w.resolver(o)
		twins = append(twins, tw)
	}
	slow := twins[0]
	for _, s := range steps {
		var want []byte
		for _, tw := range twins {
			if s.do != nil {
				s.do(t, tw.w, tw.r)
				continue
			}
			got, fast := ask(t, tw.w, tw.r, tw.how, s.req.Copy(), s.tcp)
			if tw.how == slowWay {
				want = got
				continue
			}
			if checkFast && fast != s.fast {
				t.Errorf("%s: %v: packed answer %v, want %v", s.name, tw.how, fast, s.fast)
			}
			if diff := cmp.Diff(unpack(t, want), unpack(t, got)); diff != "" {
				t.Errorf("%s: %v: reply (-slow +fast):\n%s", s.name, tw.how, diff)
			} else if !bytes.Equal(want, got) {
				t.Errorf("%s: %v: reply bytes differ:\nslow %x\nfast %x", s.name, tw.how, want, got)
			}
		}
		for _, tw := range twins[1:] {
			if diff := cmp.Diff(slow.r.Counters(), tw.r.Counters()); diff != "" {
				t.Errorf("after %s: %v: counters (-slow +fast):\n%s", s.name, tw.how, diff)
			}
			if diff := cmp.Diff(slow.events, tw.events); diff != "" {
				t.Errorf("after %s: %v: events (-slow +fast):\n%s", s.name, tw.how, diff)
			}
		}
	}
	// The cache table last: listing it removes expired entries, so it is
	// compared once, at the end.
	for _, tw := range twins[1:] {
		if diff := cmp.Diff(slow.r.Cache(), tw.r.Cache()); diff != "" {
			t.Errorf("%v: cache (-slow +fast):\n%s", tw.how, diff)
		}
	}
}

// TestPackedAnswersKeepLRUOrder: a packed answer moves the entries it was
// made from to the front of the LRU list, as the slow path's reads do, so
// a full cache evicts the same entries either way.
func TestPackedAnswersKeepLRUOrder(t *testing.T) {
	q := func(name string) *mdns.Msg { return stubQuery(name, mdns.TypeA, true) }
	steps := []twinStep{
		// Seven entries: com's NS RRset and servers, example.com's,
		// and www.
		{name: "www, cold", req: q("www.example.com")},
		// rr, and example.com's RRsets again: www is now last but the
		// TLD's.
		{name: "rr, cold", req: q("rr.example.com")},
		{name: "www, from the cache", req: q("www.example.com")},
		{name: "rr, from the cache: rr before www", req: q("rr.example.com")},
		{name: "www, packed: www before rr", req: q("www.example.com"), fast: true},
		// Five new names: the ninth entry fills the cache, then com's
		// three entries go, then rr, the least recently used.
		{name: "a1", req: q("a1.example.com")},
		{name: "a2", req: q("a2.example.com")},
		{name: "a3", req: q("a3.example.com")},
		{name: "a4", req: q("a4.example.com")},
		{name: "a5", req: q("a5.example.com")},
		{name: "www is still cached", req: q("www.example.com"), fast: true},
	}
	setup := func(t testing.TB, w *world) {
		for i := range 5 {
			w.exampleCom.set(t, fmt.Sprintf("a%d.example.com. 300 IN A 192.0.2.%d", i+1, 201+i))
		}
	}
	opts := resolver.Options{Switches: resolver.Switches{MinimalResponses: true}, MaxCacheEntries: 9}
	runTwins(t, opts, setup, steps, true)
}

// TestPackedAnswer checks what a stub sees from packed answers, one
// behaviour at a time, for both fast ways.
func TestPackedAnswer(t *testing.T) {
	for _, how := range []way{wireWay, cachedWay} {
		t.Run(how.String(), func(t *testing.T) {
			t.Run("TTLs count down", func(t *testing.T) {
				w := newWorld(t)
				r := w.resolver(resolver.Options{})
				var got []string
				for _, d := range []time.Duration{0, 0, 100 * time.Second, 99 * time.Second} {
					w.clk.Advance(d)
					wire, _ := ask(t, w, r, how, stubQuery("www.example.com", mdns.TypeA, true), false)
					m := unpack(t, wire)
					got = append(got, rrStrings(append(append(m.Answer, m.Ns...), m.Extra...))...)
				}
				var want []string
				for _, ttl := range []int{0, 0, 100, 199} {
					want = append(want,
						fmt.Sprintf("www.example.com. %d IN A 192.0.2.80", 300-ttl),
						fmt.Sprintf("example.com. %d IN NS ns1.example.com.", 3600-ttl),
						fmt.Sprintf("example.com. %d IN NS ns2.example.com.", 3600-ttl),
						fmt.Sprintf("ns1.example.com. %d IN A 192.0.2.53", 3600-ttl),
						fmt.Sprintf("ns2.example.com. %d IN A 198.51.100.53", 3600-ttl))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("records of four answers (-want +got):\n%s", diff)
				}
			})

			t.Run("ID, flags and question as asked", func(t *testing.T) {
				w := newWorld(t)
				r := w.resolver(resolver.Options{})
				for range 2 { // cold, then packed from the cache
					ask(t, w, r, how, stubQuery("www.example.com", mdns.TypeA, true), false)
				}
				var got []reply
				for i, name := range []string{"WWW.EXAMPLE.COM", "wWw.ExAmPlE.cOm"} {
					req := stubQuery(name, mdns.TypeA, i == 0)
					req.Id = uint16(1000 + i)
					req.CheckingDisabled = i == 1
					req.AuthenticatedData = true // not copied to the reply
					wire, fast := ask(t, w, r, how, req, false)
					if !fast {
						t.Errorf("%s: not a packed answer", name)
					}
					m := unpack(t, wire)
					if m.CheckingDisabled != req.CheckingDisabled || m.AuthenticatedData {
						t.Errorf("%s: CD=%v AD=%v, want CD=%v AD=false", name, m.CheckingDisabled, m.AuthenticatedData, req.CheckingDisabled)
					}
					got = append(got, summarizeReply(m))
				}
				wwwA := []string{"www.example.com. 300 IN A 192.0.2.80"}
				ns := []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."}
				glue := []string{"ns1.example.com. 3600 IN A 192.0.2.53", "ns2.example.com. 3600 IN A 198.51.100.53"}
				want := []reply{
					{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 1000, Question: "WWW.EXAMPLE.COM. A", Answer: wwwA, Authority: ns, Addition: glue},
					{Rcode: "NOERROR", QR: true, RA: true, ID: 1001, Question: "wWw.ExAmPlE.cOm. A", Answer: wwwA, Authority: ns, Addition: glue},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("replies (-want +got):\n%s", diff)
				}
			})

			t.Run("expiry, flush and new data end a packed answer", func(t *testing.T) {
				w := newWorld(t)
				r := w.resolver(resolver.Options{})
				www := func() (string, bool) {
					wire, fast := ask(t, w, r, how, stubQuery("www.example.com", mdns.TypeA, true), false)
					m := unpack(t, wire)
					return strings.Join(rrStrings(m.Answer), ", "), fast
				}
				type result struct {
					Answer string
					Fast   bool
					Sent   uint64
				}
				var got []result
				step := func(f func()) {
					if f != nil {
						f()
					}
					a, fast := www()
					got = append(got, result{a, fast, r.Counters().Sent})
				}
				step(nil)                                         // cold: three queries
				step(nil)                                         // from the cache, packed
				step(nil)                                         // the packed answer
				step(func() { w.clk.Advance(299 * time.Second) }) // packed, TTL 1
				step(func() { w.clk.Advance(time.Second) })       // expired: asks ns1 again
				step(nil)
				step(nil)
				step(func() { r.Flush() }) // flushed: from the root
				step(nil)
				step(func() { w.exampleCom.set(t, "www.example.com. 300 IN A 192.0.2.99") }) // the zone changed, the cache did not
				// A NODATA entry for www NS, 20 ms later: a key the
				// answer found empty (looking for the zone's NS RRset)
				// now holds something.
				step(func() { resolve(t, r, "www.example.com", mdns.TypeNS, resolver.Iterated) })
				step(nil)
				step(func() {
					w.clk.Advance(300 * time.Second)
					resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated) // new data for the key
				})
				step(nil)
				a80 := func(ttl int) string { return fmt.Sprintf("www.example.com. %d IN A 192.0.2.80", ttl) }
				want := []result{
					{a80(300), false, 3},
					{a80(300), false, 3},
					{a80(300), true, 3},
					{a80(1), true, 3},
					{a80(300), false, 4},
					{a80(300), false, 4},
					{a80(300), true, 4},
					{a80(300), false, 7},
					{a80(300), false, 7},
					{a80(300), true, 7},
					{a80(299), false, 8},
					{a80(299), true, 8},
					{"www.example.com. 300 IN A 192.0.2.99", false, 9},
					{"www.example.com. 300 IN A 192.0.2.99", true, 9},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("answers (-want +got):\n%s", diff)
				}
			})

			t.Run("round robin turns", func(t *testing.T) {
				for _, on := range []bool{true, false} {
					w := newWorld(t)
					r := w.resolver(resolver.Options{Switches: resolver.Switches{RoundRobin: on}})
					var got [][]string
					var fast []bool
					for range 5 {
						wire, f := ask(t, w, r, how, stubQuery("rr.example.com", mdns.TypeA, true), false)
						var addrs []string
						for _, rr := range unpack(t, wire).Answer {
							addrs = append(addrs, rr.(*mdns.A).A.String())
						}
						got, fast = append(got, addrs), append(fast, f)
					}
					a, b, c := "192.0.2.1", "192.0.2.2", "192.0.2.3"
					want := [][]string{{a, b, c}, {b, c, a}, {c, a, b}, {a, b, c}, {b, c, a}}
					if !on {
						want = [][]string{{a, b, c}, {a, b, c}, {a, b, c}, {a, b, c}, {a, b, c}}
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("RoundRobin %v: answers (-want +got):\n%s", on, diff)
					}
					if diff := cmp.Diff([]bool{false, false, true, true, true}, fast); diff != "" {
						t.Errorf("RoundRobin %v: packed (-want +got):\n%s", on, diff)
					}
				}
			})

			t.Run("OPT and TC as the slow way", func(t *testing.T) {
				tests := []struct {
					name      string
					req       *mdns.Msg
					tcp, fast bool
					opt       uint16 // the reply's OPT payload size, 0 for none
					tc        bool
				}{
					{name: "no OPT", req: stubQuery("big.example.com", mdns.TypeA, true), tcp: true, fast: true},
					{name: "OPT echoed with 1232", req: withEDNS(stubQuery("big.example.com", mdns.TypeA, true), 4096), tcp: true, fast: true, opt: resolver.DefaultUDPSize},
					{name: "UDP without OPT: TC=1", req: stubQuery("big.example.com", mdns.TypeA, true), tc: true},
					{name: "UDP with OPT: compressed to fit", req: withEDNS(stubQuery("big.example.com", mdns.TypeA, true), 4096), opt: resolver.DefaultUDPSize},
					{name: "UDP with a small OPT: TC=1", req: withEDNS(stubQuery("big.example.com", mdns.TypeA, true), 600), opt: resolver.DefaultUDPSize, tc: true},
					{name: "UDP, small answer, OPT", req: withEDNS(stubQuery("www.example.com", mdns.TypeA, true), 4096), fast: true, opt: resolver.DefaultUDPSize},
					{name: "UDP, small answer", req: stubQuery("www.example.com", mdns.TypeA, true), fast: true},
				}
				// slow answers the same queries without packed answers.
				var worlds [2]*world
				var rs [2]*resolver.Resolver
				for i := range worlds {
					w := newWorld(t)
					var big []string
					for i := range 40 {
						big = append(big, fmt.Sprintf("big.example.com. 300 IN A 192.0.2.%d", 100+i))
					}
					w.exampleCom.set(t, big...)
					worlds[i], rs[i] = w, w.resolver(resolver.Options{Switches: resolver.Switches{MinimalResponses: true}})
				}
				for _, name := range []string{"big.example.com", "www.example.com"} {
					for range 2 { // cold, then packed from the cache
						ask(t, worlds[0], rs[0], slowWay, stubQuery(name, mdns.TypeA, true), true)
						ask(t, worlds[1], rs[1], how, stubQuery(name, mdns.TypeA, true), true)
					}
				}
				for _, tc := range tests {
					want, _ := ask(t, worlds[0], rs[0], slowWay, tc.req.Copy(), tc.tcp)
					wire, fast := ask(t, worlds[1], rs[1], how, tc.req, tc.tcp)
					if !bytes.Equal(want, wire) {
						t.Errorf("%s: reply differs from the slow way's:\nslow %x\nfast %x", tc.name, want, wire)
					}
					m := unpack(t, wire)
					var opt uint16
					if o := m.IsEdns0(); o != nil {
						opt = o.UDPSize()
					}
					if fast != tc.fast || opt != tc.opt || m.Truncated != tc.tc {
						t.Errorf("%s: packed %v, OPT %d, TC=%v; want %v, %d, %v", tc.name, fast, opt, m.Truncated, tc.fast, tc.opt, tc.tc)
					}
				}
			})
		})
	}
}

func withEDNS(m *mdns.Msg, size uint16) *mdns.Msg {
	m.SetEdns0(size, false)
	return m
}

// TestAnswerCachedDeclines lists queries AnswerCached leaves to ServeDNS,
// with a packed answer for www.example.com A at hand.
func TestAnswerCachedDeclines(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	for range 2 { // cold, then packed from the cache
		ask(t, w, r, wireWay, stubQuery("www.example.com", mdns.TypeA, true), false)
	}
	pack := func(m *mdns.Msg) []byte {
		wire, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return wire
	}
	www := func(f func(m *mdns.Msg)) []byte {
		m := stubQuery("www.example.com", mdns.TypeA, true)
		f(m)
		return pack(m)
	}
	ok := www(func(*mdns.Msg) {})
	tests := []struct {
		name  string
		query []byte
		want  bool
	}{
		{"a plain query", ok, true},
		{"upper case", www(func(m *mdns.Msg) { m.Question[0].Name = "WWW.Example.COM." }), true},
		{"an OPT record with a cookie", www(func(m *mdns.Msg) {
			m.SetEdns0(1232, true)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_COOKIE{Code: mdns.EDNS0COOKIE, Cookie: "0102030405060708"})
		}), true},
		{"not cached", pack(stubQuery("mail.example.com", mdns.TypeA, true)), false},
		{"another type", pack(stubQuery("www.example.com", mdns.TypeMX, true)), false},
		{"a response", www(func(m *mdns.Msg) { m.Response = true }), false},
		{"NOTIFY", www(func(m *mdns.Msg) { m.Opcode = mdns.OpcodeNotify }), false},
		{"two questions", www(func(m *mdns.Msg) { m.Question = append(m.Question, m.Question[0]) }), false},
		{"class CH", www(func(m *mdns.Msg) { m.Question[0].Qclass = mdns.ClassCHAOS }), false},
		{"an answer record", www(func(m *mdns.Msg) { m.Answer = []mdns.RR{mustRR(t, "www.example.com. 1 IN A 192.0.2.1")} }), false},
		{"EDNS version 1", www(func(m *mdns.Msg) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) }), false},
		{"an EDNS option it does not know", www(func(m *mdns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_NSID{Code: mdns.EDNS0NSID})
		}), false},
		{"an escaped character", pack(stubQuery(`www\.x.example.com`, mdns.TypeA, true)), false},
		{"a compressed name", append(ok[:12:12], 0xC0, 12, 0, 1, 0, 1), false},
		{"cut short", ok[:len(ok)-1], false},
		{"trailing bytes", append(append([]byte(nil), ok...), 0), false},
		{"no question", ok[:12], false},
	}
	for _, tc := range tests {
		before := r.Counters()
		reply, got := r.AnswerCached(nil, tc.query, false)
		if got != tc.want {
			t.Errorf("%s: ok %v, want %v", tc.name, got, tc.want)
		}
		if !got && (len(reply) != 0 || r.Counters() != before) {
			t.Errorf("%s: declined, yet wrote %x or counted %+v", tc.name, reply, r.Counters())
		}
	}
}

// TestPackedAnswersConcurrent answers from packed answers on several
// goroutines while others change the cache, its switches and the clock.
// Run with -race.
func TestPackedAnswersConcurrent(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{Switches: resolver.Switches{RoundRobin: true}, OnEvent: func(dns.TraceEvent) {}})
	names := []string{"www.example.com", "rr.example.com", "web.example.com", "nx.example.com"}
	var queries [][]byte
	for _, name := range names {
		ask(t, w, r, wireWay, stubQuery(name, mdns.TypeA, true), false)
		wire, _ := stubQuery(name, mdns.TypeA, true).Pack()
		queries = append(queries, wire)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			buf := make([]byte, 0, 512)
			for i := range 500 {
				q := queries[(g+i)%len(queries)]
				if out, ok := r.AnswerCached(buf[:0], q, false); ok {
					buf = out
					continue
				}
				m := new(mdns.Msg)
				if err := m.Unpack(q); err != nil {
					t.Error(err)
					return
				}
				r.ServeDNS(&wireRecorder{}, &dns.Request{Msg: m, Wire: q})
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			r.SetSwitches(resolver.Switches{RoundRobin: i%2 == 0})
			r.Cache()
		}
	})
	wg.Wait()
}
