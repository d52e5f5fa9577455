package resolver_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// The upstream a fuzzed lookup meets: the lab world of fakenet_test.go,
// except that example.com's name servers, and every address in
// adversaryNet, answer with messages built from the fuzzer's bytes.
var (
	adversaryNet = netip.MustParsePrefix("6.6.6.0/24")
	// adversaryZone is the zone the adversary serves. Records it sends for
	// names outside it are out of its bailiwick (RFC 2181 §6.1) and must
	// never reach the cache.
	adversaryZone = "example.com."
	ns1ExampleCom = netip.MustParseAddr("192.0.2.53")
	ns2ExampleCom = netip.MustParseAddr("198.51.100.53")
)

// fuzzNames are the owner names and targets an adversary's records use:
// the query's own name, names inside its zone, and names out of its
// bailiwick that the honest world serves or does not know.
var fuzzNames = []string{
	"", // the query name
	"example.com.", "www.example.com.", "sub.example.com.", "ns.sub.example.com.",
	"ns1.example.com.", "a.b.c.d.e.f.example.com.", "loop1.example.com.", "*.example.com.",
	"com.", ".", "www.bank.test.", "bank.test.", "ns.bank.test.", "ns.evil.com.",
	"www.example.net.", "ns1.example.net.", "a.root-servers.net.", "www.shop.com.", "ns.victim.test.",
}

var fuzzTypes = []uint16{
	mdns.TypeA, mdns.TypeNS, mdns.TypeCNAME, mdns.TypeSOA, mdns.TypeA, mdns.TypeNS,
	mdns.TypeAAAA, mdns.TypeMX, mdns.TypeDNAME, mdns.TypeTXT,
}

var fuzzTTLs = []uint32{3600, 0, 1, 300, 86400, 1 << 31, 0xffffffff, 30}

// fuzzLookups are the questions a fuzzed client asks, all of names inside
// the adversary's zone, or led there by honest CNAMEs.
var fuzzLookups = []resolver.Question{
	{Name: "www.example.com.", Type: mdns.TypeA},
	{Name: "example.com.", Type: mdns.TypeMX},
	{Name: "web.example.com.", Type: mdns.TypeA},
	{Name: "alias.example.com.", Type: mdns.TypeA},
	{Name: "nx.example.com.", Type: mdns.TypeA},
	{Name: "a.b.c.d.e.f.example.com.", Type: mdns.TypeA},
	{Name: "www.example.com.", Type: mdns.TypeAAAA},
	{Name: "example.com.", Type: mdns.TypeNS},
	{Name: "loop1.example.com.", Type: mdns.TypeA},
	{Name: "sub.example.com.", Type: mdns.TypeTXT},
}

// script hands out the fuzzer's bytes; past the end it gives zeros, which
// make the adversary silent, so every input ends.
type script struct{ b []byte }

func (s *script) next() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *script) take(n int) []byte {
	n = min(n, len(s.b))
	out := s.b[:n]
	s.b = s.b[n:]
	return out
}

// adversary answers queries with messages the script describes.
type adversary struct{ sc *script }

// respond returns the adversary's answer to q, or nil for silence, and how
// long it takes to arrive.
func (a *adversary) respond(q *mdns.Msg) (*mdns.Msg, time.Duration) {
	op := a.sc.next()
	delay := latency
	if op&0x80 != 0 {
		// Late: after the resolver's attempt timeout, or just before it.
		delay = resolver.DefaultQueryTimeout + time.Duration(int8(a.sc.next()))*time.Millisecond
	}
	switch op & 0x7 {
	case 0:
		return nil, 0
	case 1:
		// Raw bytes, as a network would carry them: whatever unpacks.
		m := new(mdns.Msg)
		if m.Unpack(a.sc.take(int(a.sc.next()))) != nil {
			return nil, 0
		}
		if op&0x40 == 0 {
			a.match(q, m)
		}
		return m, delay
	}
	m := new(mdns.Msg)
	flags := a.sc.next()
	m.Authoritative = flags&1 != 0
	m.Truncated = flags&0x2 == 0x2 && flags&0x4 == 0
	m.Rcode = []int{mdns.RcodeSuccess, mdns.RcodeSuccess, mdns.RcodeNameError, mdns.RcodeServerFailure, mdns.RcodeRefused, mdns.RcodeNotImplemented, mdns.RcodeFormatError, mdns.RcodeSuccess}[flags>>5]
	qname := q.Question[0].Name
	name := func(b byte) string {
		if n := fuzzNames[int(b)%len(fuzzNames)]; n != "" {
			return n
		}
		return qname
	}
	for range int(a.sc.next() % 9) {
		sel, owner, typ, ttl, target := a.sc.next(), a.sc.next(), a.sc.next(), a.sc.next(), a.sc.next()
		hdr := mdns.RR_Header{Name: name(owner), Class: mdns.ClassINET, Ttl: fuzzTTLs[int(ttl)%len(fuzzTTLs)]}
		var rr mdns.RR
		switch hdr.Rrtype = fuzzTypes[int(typ)%len(fuzzTypes)]; hdr.Rrtype {
		case mdns.TypeA:
			rr = &mdns.A{Hdr: hdr, A: netip.AddrFrom4([4]byte{6, 6, 6, target}).AsSlice()}
		case mdns.TypeAAAA:
			rr = &mdns.AAAA{Hdr: hdr, AAAA: netip.MustParseAddr(fmt.Sprintf("2001:db8:666::%x", target)).AsSlice()}
		case mdns.TypeNS:
			rr = &mdns.NS{Hdr: hdr, Ns: name(target)}
		case mdns.TypeCNAME:
			rr = &mdns.CNAME{Hdr: hdr, Target: name(target)}
		case mdns.TypeDNAME:
			rr = &mdns.DNAME{Hdr: hdr, Target: name(target)}
		case mdns.TypeMX:
			rr = &mdns.MX{Hdr: hdr, Preference: uint16(target), Mx: name(target)}
		case mdns.TypeTXT:
			rr = &mdns.TXT{Hdr: hdr, Txt: []string{"evil"}}
		case mdns.TypeSOA:
			rr = &mdns.SOA{Hdr: hdr, Ns: name(target), Mbox: "hostmaster.evil.", Serial: uint32(target), Refresh: 7200, Retry: 3600, Expire: 1209600, Minttl: hdr.Ttl}
		}
		switch sel % 3 {
		case 0:
			m.Answer = append(m.Answer, rr)
		case 1:
			m.Ns = append(m.Ns, rr)
		default:
			m.Extra = append(m.Extra, rr)
		}
	}
	if flags&0x8 == 0 {
		a.match(q, m)
	} else {
		m.Id = q.Id ^ uint16(flags) // a spoofer who got the ID wrong
		m.Response = true
		m.Question = q.Question
	}
	if flags&0x10 != 0 && len(m.Question) == 1 {
		// 0x20 bits, as a server that echoes the name's case would.
		m.Question[0].Name = strings.ToUpper(m.Question[0].Name)
	}
	// What goes over the wire is what unpacks: a message that cannot be
	// packed is never received.
	wire, err := m.Pack()
	if err != nil {
		return nil, 0
	}
	back := new(mdns.Msg)
	if back.Unpack(wire) != nil {
		return nil, 0
	}
	return back, delay
}

// match makes m a response to q, as an attacker on the path could.
func (a *adversary) match(q, m *mdns.Msg) {
	m.Id = q.Id
	m.Response = true
	m.Question = []mdns.Question{q.Question[0]}
}

// fuzzExchanger sends queries to the honest world, except those to the
// adversary, and counts every query.
type fuzzExchanger struct {
	w      *world
	honest dns.Exchanger
	adv    *adversary
	// ns2Honest leaves ns2.example.com honest, so that the resolver can
	// fall back to a good server of the zone.
	ns2Honest bool
	sent      int
}

func (e *fuzzExchanger) Exchange(to netip.AddrPort, q *mdns.Msg, done func(*mdns.Msg, error)) {
	e.sent++
	a := to.Addr()
	if !(a == ns1ExampleCom || (a == ns2ExampleCom && !e.ns2Honest) || adversaryNet.Contains(a)) {
		e.honest.Exchange(to, q, done)
		return
	}
	resp, delay := e.adv.respond(q)
	answered := false
	e.w.clk.AfterFunc(exchangeTimeout, func() {
		if !answered {
			answered = true
			done(nil, errExchangeTimeout)
		}
	})
	if resp != nil {
		e.w.clk.AfterFunc(delay, func() {
			if !answered {
				answered = true
				done(resp, nil)
			}
		})
	}
}

// honestRecords returns the honest world's records as "owner TYPE rdata"
// keys, TTLs left out.
func honestRecords(t testing.TB) map[string]bool {
	out := map[string]bool{}
	for origin, text := range map[string]string{
		".": rootZone, "com.": comZone, "net.": netZone, "test.": testZone,
		"example.com.": exampleComZone, "example.net.": exampleNetZone, "glueless.com.": gluelessZone,
		"shop.com.": shopZone, "bank.test.": bankZone, "victim.test.": victimZone,
	} {
		z := parseZone(t, origin, text)
		for _, rrs := range z.names {
			for _, rr := range rrs {
				out[rrKey(rr)] = true
			}
		}
		out[rrKey(z.negativeSOA())] = true
	}
	// What the world's hostile servers say about their own zones (see
	// newWorld): the referral loop between loop.com's servers.
	for _, s := range []string{"loop.com. 3600 IN NS ns-a.loop.com.", "loop.com. 3600 IN NS ns-b.loop.com.", "ns-b.loop.com. 3600 IN A 192.0.2.112"} {
		out[rrKey(mustRR(t, s))] = true
	}
	return out
}

// nxnsReferral matches what ns.evil.com says of any name below evil.com:
// forty glueless name servers in victim.test (see newWorld).
var nxnsReferral = regexp.MustCompile(`^(.*\.)?evil\.com\. NS ns[0-9]+\.victim\.test\.$`)

func rrKey(rr mdns.RR) string {
	h := rr.Header()
	return mdns.CanonicalName(h.Name) + " " + mdns.TypeToString[h.Rrtype] + " " + strings.ToLower(strings.TrimPrefix(rr.String(), h.String()))
}

// checkBailiwick fails if a record outside the adversary's zone is not
// honest data: the adversary put it there.
func checkBailiwick(t *testing.T, honest map[string]bool, where string, rr mdns.RR) {
	t.Helper()
	if mdns.IsSubDomain(adversaryZone, mdns.CanonicalName(rr.Header().Name)) {
		return
	}
	if k := rrKey(rr); !honest[k] && !nxnsReferral.MatchString(k) {
		t.Fatalf("%s holds %q, out of %s's bailiwick and not the honest world's", where, rr, adversaryZone)
	}
}

// FuzzUpstream runs lookups against a world whose example.com servers
// answer with messages the fuzzer builds: referrals up, sideways and to
// themselves, CNAME and DNAME chains, records for other zones, wrong IDs,
// truncation, late answers, silence, raw bytes. Whatever they send:
//
//   - every lookup ends, exactly once, and nothing runs after it (no loop);
//   - it sends at most MaxUpstreamQueries queries, the number Result reports;
//   - it takes at most one QueryTimeout per query sent, on the virtual clock;
//   - it ends with NOERROR, NXDOMAIN or SERVFAIL;
//   - the cache and the answers hold nothing out of the adversary's
//     bailiwick (RFC 2181 §6.1) that the honest servers did not say.
func FuzzUpstream(f *testing.F) {
	// Honest-looking answers, poison, loops, each as the seed's first
	// queries would meet them.
	rec := func(sel, owner, typ, ttl, target byte) []byte { return []byte{sel, owner, typ, ttl, target} }
	answer := func(rrs ...[]byte) []byte {
		out := []byte{2, 1, byte(len(rrs))}
		for _, r := range rrs {
			out = append(out, r...)
		}
		return out
	}
	f.Add(uint8(0), uint8(0), answer(rec(0, 0, 0, 0, 80)))
	f.Add(uint8(3), uint8(1), answer(rec(0, 0, 0, 0, 80), rec(0, 11, 0, 4, 6), rec(1, 12, 1, 4, 14), rec(2, 14, 0, 4, 6)))
	f.Add(uint8(0), uint8(0), append(answer(rec(1, 3, 1, 0, 4), rec(2, 4, 0, 0, 1)), answer(rec(1, 3, 1, 0, 4), rec(2, 4, 0, 0, 1))...))
	f.Add(uint8(8), uint8(0), answer(rec(0, 7, 2, 0, 7)))
	f.Add(uint8(0), uint8(0), answer(rec(1, 9, 1, 0, 14), rec(2, 14, 0, 0, 66)))
	f.Add(uint8(1), uint8(0), answer(rec(0, 0, 2, 0, 15), rec(0, 15, 0, 0, 7)))
	f.Add(uint8(4), uint8(2), []byte{2, 0x41, 1, 1, 1, 3, 0, 2})
	f.Add(uint8(0), uint8(0), []byte{0x82, 20, 1, 0, 0x8a, 1, 1, 0, 0, 0, 0, 0x06, 1, 1})
	f.Add(uint8(2), uint8(0), []byte{1, 12, 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0})

	honest := honestRecords(f)
	f.Fuzz(func(t *testing.T, lookups, sw uint8, in []byte) {
		w := newWorld(t)
		ex := &fuzzExchanger{w: w, honest: w.from("local.", localAddr), adv: &adversary{sc: &script{in}}, ns2Honest: sw&0x40 != 0}
		opts := resolver.Options{
			RootHints: rootHints, Name: "local.", IDs: dns.NewIDs(42),
			Addr: netip.AddrPortFrom(netip.MustParseAddr(localAddr), 53),
			Switches: resolver.Switches{
				QNAMEMinimisation: sw&1 != 0, ServeStale: sw&2 != 0, EDNS: sw&4 != 0,
				MinimalResponses: sw&8 != 0, RoundRobin: sw&0x10 != 0,
			},
		}
		if sw&0x20 != 0 {
			// Tight limits, so that each is reached.
			opts.MaxUpstreamQueries, opts.MaxReferrals, opts.MaxCNAMERestarts, opts.MaxDependencyDepth = 6, 3, 2, 1
		}
		r, err := resolver.New(ex, w.clk, opts)
		if err != nil {
			t.Fatal(err)
		}
		maxSent := opts.MaxUpstreamQueries
		if maxSent == 0 {
			maxSent = resolver.DefaultMaxUpstreamQueries
		}
		for i := range 1 + int(lookups%3) {
			q := fuzzLookups[int(lookups/3+uint8(i)*7)%len(fuzzLookups)]
			before, start := ex.sent, w.clk.Now()
			var results []resolver.Result
			r.Resolve(q, resolver.Iterated, func(res resolver.Result) { results = append(results, res) })
			// Run the clock to the end of everything the lookup set
			// going; a loop would keep timers coming.
			for steps := 0; w.clk.RunUntilIdle(1) == 1; steps++ {
				if steps > 100_000 {
					t.Fatalf("%s: timers still firing after %d steps", q, steps)
				}
			}
			if len(results) != 1 {
				t.Fatalf("%s: lookup ended %d times", q, len(results))
			}
			res, sent := results[0], ex.sent-before
			if sent > maxSent || res.Upstream != sent {
				t.Fatalf("%s: %d queries sent, Result says %d, limit %d", q, sent, res.Upstream, maxSent)
			}
			if limit := time.Duration(sent) * resolver.DefaultQueryTimeout; res.Elapsed > limit || res.Elapsed < 0 {
				t.Fatalf("%s: took %v for %d queries, more than %v", q, res.Elapsed, sent, limit)
			}
			if elapsed := w.clk.Now().Sub(start); elapsed < res.Elapsed {
				t.Fatalf("%s: Result says %v, the clock moved %v", q, res.Elapsed, elapsed)
			}
			switch res.Rcode {
			case mdns.RcodeSuccess, mdns.RcodeNameError, mdns.RcodeServerFailure:
			default:
				t.Fatalf("%s: rcode %s", q, mdns.RcodeToString[res.Rcode])
			}
			for _, sec := range [][]mdns.RR{res.Answer, res.Authority, res.Additional} {
				for _, rr := range sec {
					checkBailiwick(t, honest, "the answer to "+q.String(), rr)
				}
			}
			for _, e := range r.Cache() {
				for _, text := range e.Records {
					rr, err := mdns.NewRR(text)
					if err != nil {
						t.Fatalf("cache entry %q does not parse: %v", text, err)
					}
					checkBailiwick(t, honest, "the cache", rr)
				}
			}
			checkStubReplies(t, w, r, honest, q, sw)
			w.clk.Advance(time.Duration(in0(in, i)) * 20 * time.Second)
		}
	})
}

// checkStubReplies asks the question again as a stub would, with RD=0 so
// that the cache alone answers, the slow way, through a WireWriter, and
// through AnswerCached: whatever the adversary left in the cache, the
// three replies are the same bytes, and hold nothing out of bailiwick.
// (With RoundRobin each reply rotates the RRsets, so only the bailiwick
// is checked.)
func checkStubReplies(t *testing.T, w *world, r *resolver.Resolver, honest map[string]bool, q resolver.Question, sw uint8) {
	t.Helper()
	req := new(mdns.Msg)
	req.SetQuestion(q.Name, q.Type)
	req.Id = 0x5151
	req.RecursionDesired = false
	if sw&0x80 != 0 {
		req.SetEdns0(1232, false)
	}
	ways := []way{slowWay, wireWay, cachedWay, cachedWay}
	var wires [][]byte
	for _, how := range ways {
		wire, _ := ask(t, w, r, how, req, false)
		wires = append(wires, wire)
		m := unpack(t, wire)
		if !m.Response || m.Id != req.Id {
			t.Fatalf("%s: stub reply %v", q, &m.MsgHdr)
		}
		for _, sec := range [][]mdns.RR{m.Answer, m.Ns, m.Extra} {
			for _, rr := range sec {
				if rr.Header().Rrtype != mdns.TypeOPT {
					checkBailiwick(t, honest, "the stub reply to "+q.String(), rr)
				}
			}
		}
	}
	if sw&0x10 != 0 {
		return
	}
	for i, wire := range wires[1:] {
		if !bytes.Equal(wire, wires[0]) {
			t.Fatalf("%s: the %s way replies\n%v\nthe slow way\n%v", q, ways[i+1], unpack(t, wire), unpack(t, wires[0]))
		}
	}
}

// in0 returns in[i], or 0, to space lookups in time.
func in0(in []byte, i int) byte {
	if i < len(in) {
		return in[i]
	}
	return 0
}
