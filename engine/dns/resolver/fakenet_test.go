package resolver_test

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// This file is an in-test internet: authoritative servers built from
// master-file text, reached through an Exchanger that routes queries by
// destination address and delivers each message one link latency later on a
// virtual clock. Servers can be made silent, lame or malicious.

const (
	// latency is the one-way delay of every message.
	latency = 10 * time.Millisecond
	// exchangeTimeout is when the fake Exchanger gives up on a silent
	// server, as the real one (engine/dns/dnsnet) does; later than the
	// resolver's own attempt timeout.
	exchangeTimeout = 2 * time.Second
)

var errExchangeTimeout = errors.New("fakenet: timeout")

// host is a server of the fake internet.
type host struct {
	name    string
	addr    netip.Addr
	handler dns.Handler
	auth    *authServer
	// silent drops every query; mangle, if set, rewrites each response.
	silent bool
	mangle func(q, resp *mdns.Msg)
	// received counts the queries that reached the host.
	received int
}

// fakeNet is the internet: hosts by address and a virtual clock.
type fakeNet struct {
	t     testing.TB
	clk   *clock.Virtual
	hosts map[netip.Addr]*host
	// log lists every query delivered: "from -> to: question RD=x".
	log []string
}

func newFakeNet(t testing.TB) *fakeNet {
	return &fakeNet{t: t, clk: clock.NewVirtual(time.Time{}), hosts: map[netip.Addr]*host{}}
}

// add puts a host with an authoritative server for the zones on the net.
func (n *fakeNet) add(name, addr string, zones ...*zoneData) *host {
	h := &host{name: name, addr: netip.MustParseAddr(addr), auth: &authServer{zones: zones}}
	h.handler = h.auth
	n.hosts[h.addr] = h
	return h
}

func (n *fakeNet) host(name string) *host {
	for _, h := range n.hosts {
		if h.name == name {
			return h
		}
	}
	n.t.Fatalf("no host %q", name)
	return nil
}

// from returns an Exchanger whose queries leave from addr.
func (n *fakeNet) from(name, addr string) dns.Exchanger {
	return &exchanger{n: n, name: name, addr: netip.AddrPortFrom(netip.MustParseAddr(addr), 40000)}
}

type exchanger struct {
	n    *fakeNet
	name string
	addr netip.AddrPort
}

func (e *exchanger) Exchange(to netip.AddrPort, q *mdns.Msg, done func(*mdns.Msg, error)) {
	n := e.n
	wire, err := q.Pack()
	if err != nil {
		n.t.Errorf("query does not pack: %v", err)
		done(nil, err)
		return
	}
	answered := false
	timeout := n.clk.AfterFunc(exchangeTimeout, func() {
		if !answered {
			answered = true
			done(nil, errExchangeTimeout)
		}
	})
	h := n.hosts[to.Addr()]
	n.clk.AfterFunc(latency, func() {
		if h == nil || h.silent {
			return
		}
		h.received++
		in := new(mdns.Msg)
		if err := in.Unpack(wire); err != nil {
			n.t.Errorf("query to %s does not unpack: %v", h.name, err)
			return
		}
		n.log = append(n.log, fmt.Sprintf("%s -> %s: %s %s RD=%d", e.name, h.name, in.Question[0].Name, mdns.TypeToString[in.Question[0].Qtype], b2i(in.RecursionDesired)))
		req := &dns.Request{Msg: in, Wire: wire, From: e.addr, To: netip.AddrPortFrom(h.addr, 53)}
		h.handler.ServeDNS(writerFunc(func(resp *mdns.Msg) error {
			if h.mangle != nil {
				h.mangle(in, resp)
			}
			out, err := resp.Pack()
			if err != nil {
				n.t.Errorf("response from %s does not pack: %v", h.name, err)
				return err
			}
			n.clk.AfterFunc(latency, func() {
				if answered {
					return
				}
				answered = true
				timeout.Stop()
				back := new(mdns.Msg)
				if err := back.Unpack(out); err != nil {
					n.t.Errorf("response from %s does not unpack: %v", h.name, err)
					return
				}
				done(back, nil)
			})
			return nil
		}), req)
	})
}

type writerFunc func(*mdns.Msg) error

func (f writerFunc) WriteMsg(m *mdns.Msg) error { return f(m) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// zoneData is one zone parsed from master-file text.
type zoneData struct {
	origin string
	soa    *mdns.SOA
	names  map[string][]mdns.RR // by canonical owner
}

func parseZone(t testing.TB, origin, text string) *zoneData {
	t.Helper()
	z := &zoneData{origin: mdns.CanonicalName(origin), names: map[string][]mdns.RR{}}
	zp := mdns.NewZoneParser(strings.NewReader(text), z.origin, "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		name := mdns.CanonicalName(rr.Header().Name)
		z.names[name] = append(z.names[name], rr)
		if soa, ok := rr.(*mdns.SOA); ok && name == z.origin {
			z.soa = soa
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone %s: %v", origin, err)
	}
	if z.soa == nil {
		t.Fatalf("zone %s has no SOA", origin)
	}
	return z
}

// set replaces the records of one name and type, as an operator editing
// the zone would.
func (z *zoneData) set(t testing.TB, records ...string) {
	t.Helper()
	for i, s := range records {
		rr, err := mdns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		name := mdns.CanonicalName(rr.Header().Name)
		if i == 0 {
			z.names[name] = slices.DeleteFunc(z.names[name], func(x mdns.RR) bool { return x.Header().Rrtype == rr.Header().Rrtype })
		}
		z.names[name] = append(z.names[name], rr)
	}
}

func (z *zoneData) rrs(name string, qtype uint16) []mdns.RR {
	var out []mdns.RR
	for _, rr := range z.names[name] {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	return out
}

// authServer is a minimal authoritative server (RFC 1034 §4.3.2):
// referrals with glue at zone cuts, AA answers, CNAMEs followed inside the
// zone, NXDOMAIN and NODATA with the SOA.
type authServer struct {
	zones []*zoneData
}

func (a *authServer) ServeDNS(w dns.ResponseWriter, req *dns.Request) {
	q := req.Msg.Question[0]
	qname := mdns.CanonicalName(q.Name)
	m := new(mdns.Msg)
	m.SetReply(req.Msg)
	var z *zoneData
	for _, c := range a.zones {
		if mdns.IsSubDomain(c.origin, qname) && (z == nil || len(c.origin) > len(z.origin)) {
			z = c
		}
	}
	if z == nil {
		m.Rcode = mdns.RcodeRefused
		_ = w.WriteMsg(m)
		return
	}
	// A zone cut between the apex and the name: refer (step 3b).
	labels := mdns.Split(qname)
	for i := len(labels) - 1; i >= 0; i-- {
		cut := qname[labels[i]:]
		if cut == z.origin || !mdns.IsSubDomain(z.origin, cut) || len(cut) <= len(z.origin) {
			continue
		}
		if ns := z.rrs(cut, mdns.TypeNS); len(ns) > 0 {
			m.Ns = ns
			m.Extra = z.addresses(ns)
			_ = w.WriteMsg(m)
			return
		}
	}
	m.Authoritative = true
	name := qname
	for range 8 {
		rrs := z.names[name]
		if len(rrs) == 0 {
			if !z.hasBelow(name) {
				m.Rcode = mdns.RcodeNameError
			}
			m.Ns = []mdns.RR{z.negativeSOA()}
			break
		}
		if match := z.rrs(name, q.Qtype); len(match) > 0 {
			m.Answer = append(m.Answer, match...)
			apexNS := z.rrs(z.origin, mdns.TypeNS)
			m.Ns = apexNS
			m.Extra = z.addresses(append(slices.Clone(match), apexNS...))
			break
		}
		if c := z.rrs(name, mdns.TypeCNAME); len(c) > 0 {
			m.Answer = append(m.Answer, c...)
			name = mdns.CanonicalName(c[0].(*mdns.CNAME).Target)
			if !mdns.IsSubDomain(z.origin, name) || slices.ContainsFunc(m.Answer[:len(m.Answer)-1], func(rr mdns.RR) bool { return mdns.CanonicalName(rr.Header().Name) == name }) {
				break
			}
			continue
		}
		m.Ns = []mdns.RR{z.negativeSOA()}
		break
	}
	_ = w.WriteMsg(m)
}

// negativeSOA is the SOA of a negative answer, with the TTL RFC 2308 §3
// asks for.
func (z *zoneData) negativeSOA() mdns.RR {
	soa := mdns.Copy(z.soa).(*mdns.SOA)
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	return soa
}

func (z *zoneData) hasBelow(name string) bool {
	for n := range z.names {
		if n != name && mdns.IsSubDomain(name, n) {
			return true
		}
	}
	return false
}

// addresses returns the A records the zone holds for the hosts rrs name.
func (z *zoneData) addresses(rrs []mdns.RR) []mdns.RR {
	var out []mdns.RR
	for _, rr := range rrs {
		var target string
		switch rr := rr.(type) {
		case *mdns.NS:
			target = rr.Ns
		case *mdns.MX:
			target = rr.Mx
		}
		if target != "" {
			out = append(out, z.rrs(mdns.CanonicalName(target), mdns.TypeA)...)
		}
	}
	return out
}

// The lab world: a root, the com, net and test TLDs, and their zones.
const (
	rootZone = `
$TTL 518400
.                   86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026010100 1800 900 604800 86400
.                   IN NS a.root-servers.net.
.                   IN NS b.root-servers.net.
a.root-servers.net. IN A  198.41.0.4
b.root-servers.net. IN A  199.9.14.201
com.                172800 IN NS a.gtld-servers.net.
com.                172800 IN NS b.gtld-servers.net.
net.                172800 IN NS a.gtld-servers.net.
net.                172800 IN NS b.gtld-servers.net.
a.gtld-servers.net. 172800 IN A  192.5.6.30
b.gtld-servers.net. 172800 IN A  192.33.14.30
test.               172800 IN NS ns.nic.test.
ns.nic.test.        172800 IN A  192.0.2.10
`
	comZone = `
$TTL 172800
com.                900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
com.                IN NS a.gtld-servers.net.
com.                IN NS b.gtld-servers.net.
example.com.        IN NS ns1.example.com.
example.com.        IN NS ns2.example.com.
ns1.example.com.    IN A  192.0.2.53
ns2.example.com.    IN A  198.51.100.53
shop.com.           IN NS ns.shop.com.
ns.shop.com.        IN A  203.0.113.153
glueless.com.       IN NS ns1.example.net.
evil.com.           IN NS ns.evil.com.
ns.evil.com.        IN A  203.0.113.66
loop.com.           IN NS ns-a.loop.com.
ns-a.loop.com.      IN A  192.0.2.111
`
	netZone = `
$TTL 172800
net.                900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
net.                IN NS a.gtld-servers.net.
net.                IN NS b.gtld-servers.net.
a.gtld-servers.net. IN A  192.5.6.30
b.gtld-servers.net. IN A  192.33.14.30
example.net.        IN NS ns1.example.net.
ns1.example.net.    IN A  203.0.113.53
`
	testZone = `
$TTL 172800
test.               900 IN SOA ns.nic.test. hostmaster.nic.test. 1 1800 900 604800 3600
test.               IN NS ns.nic.test.
ns.nic.test.        IN A  192.0.2.10
bank.test.          IN NS ns.bank.test.
ns.bank.test.       IN A  192.0.2.100
victim.test.        IN NS ns.victim.test.
ns.victim.test.     IN A  192.0.2.77
`
	exampleComZone = `
$ORIGIN example.com.
$TTL 3600
@         IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@         IN NS  ns1
@         IN NS  ns2
@         IN MX  10 mail
ns1       IN A   192.0.2.53
ns2       IN A   198.51.100.53
mail      IN A   192.0.2.25
www   300 IN A   192.0.2.80
web       IN CNAME www.example.net.
alias     IN CNAME www.shop.com.
rr    300 IN A   192.0.2.1
rr    300 IN A   192.0.2.2
rr    300 IN A   192.0.2.3
loop1     IN CNAME loop2
loop2     IN CNAME loop1
host.dept IN A   192.0.2.81
`
	exampleNetZone = `
$ORIGIN example.net.
$TTL 3600
@         IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@         IN NS  ns1
ns1       IN A   203.0.113.53
www       IN A   203.0.113.80
`
	gluelessZone = `
$ORIGIN glueless.com.
$TTL 3600
@         IN SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
@         IN NS  ns1.example.net.
www       IN A   203.0.113.81
`
	shopZone = `
$ORIGIN shop.com.
$TTL 3600
@         IN SOA ns hostmaster 1 7200 3600 1209600 300
@         IN NS  ns
ns        IN A   203.0.113.153
www       IN A   203.0.113.180
`
	bankZone = `
$ORIGIN bank.test.
$TTL 3600
@         IN SOA ns hostmaster 1 7200 3600 1209600 300
@         IN NS  ns
ns        IN A   192.0.2.100
www       IN A   192.0.2.200
`
	victimZone = `
$ORIGIN victim.test.
$TTL 3600
@         IN SOA ns hostmaster 1 7200 3600 1209600 300
@         IN NS  ns
ns        IN A   192.0.2.77
`
)

// world is the fake internet with the lab's servers on it.
type world struct {
	*fakeNet
	exampleCom *zoneData
}

// rootHints are the resolver's root hints for the world.
var rootHints = []resolver.Hint{
	{Name: "a.root-servers.net.", Addr: netip.MustParseAddr("198.41.0.4")},
	{Name: "b.root-servers.net.", Addr: netip.MustParseAddr("199.9.14.201")},
}

func newWorld(t testing.TB) *world {
	n := newFakeNet(t)
	w := &world{fakeNet: n, exampleCom: parseZone(t, "example.com.", exampleComZone)}
	root := parseZone(t, ".", rootZone)
	com, net := parseZone(t, "com.", comZone), parseZone(t, "net.", netZone)
	n.add("a.root-servers.net.", "198.41.0.4", root)
	n.add("b.root-servers.net.", "199.9.14.201", root)
	n.add("a.gtld-servers.net.", "192.5.6.30", com, net)
	n.add("b.gtld-servers.net.", "192.33.14.30", com, net)
	n.add("ns.nic.test.", "192.0.2.10", parseZone(t, "test.", testZone))
	n.add("ns1.example.com.", "192.0.2.53", w.exampleCom)
	n.add("ns2.example.com.", "198.51.100.53", w.exampleCom)
	n.add("ns1.example.net.", "203.0.113.53", parseZone(t, "example.net.", exampleNetZone), parseZone(t, "glueless.com.", gluelessZone))
	n.add("ns.shop.com.", "203.0.113.153", parseZone(t, "shop.com.", shopZone))
	n.add("ns.bank.test.", "192.0.2.100", parseZone(t, "bank.test.", bankZone))
	n.add("ns.victim.test.", "192.0.2.77", parseZone(t, "victim.test.", victimZone))

	// ns.evil.com answers every query with a referral to forty name
	// servers without glue, all in victim.test: the NXNS attack.
	evil := n.add("ns.evil.com.", "203.0.113.66")
	evil.handler = dns.HandlerFunc(func(rw dns.ResponseWriter, req *dns.Request) {
		m := new(mdns.Msg)
		m.SetReply(req.Msg)
		for i := range 40 {
			m.Ns = append(m.Ns, mustRR(t, fmt.Sprintf("%s 3600 IN NS ns%d.victim.test.", req.Msg.Question[0].Name, i)))
		}
		_ = rw.WriteMsg(m)
	})
	// ns-a.loop.com and ns-b.loop.com each say the other serves
	// loop.com: a referral loop.
	loopA := n.add("ns-a.loop.com.", "192.0.2.111")
	loopB := n.add("ns-b.loop.com.", "192.0.2.112")
	loopA.handler = referTo(t, "loop.com.", "ns-b.loop.com.", "192.0.2.112")
	loopB.handler = referTo(t, "loop.com.", "ns-a.loop.com.", "192.0.2.111")
	return w
}

func referTo(t testing.TB, zone, ns, addr string) dns.Handler {
	return dns.HandlerFunc(func(rw dns.ResponseWriter, req *dns.Request) {
		m := new(mdns.Msg)
		m.SetReply(req.Msg)
		m.Ns = []mdns.RR{mustRR(t, zone+" 3600 IN NS "+ns)}
		m.Extra = []mdns.RR{mustRR(t, ns+" 3600 IN A "+addr)}
		_ = rw.WriteMsg(m)
	})
}

func mustRR(t testing.TB, s string) mdns.RR {
	t.Helper()
	rr, err := mdns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// localAddr is the local DNS server's address.
const localAddr = "10.0.0.53"

// resolver returns a local DNS server on the world with opts (root hints,
// name and address filled in).
func (w *world) resolver(opts resolver.Options) *resolver.Resolver {
	w.t.Helper()
	if opts.RootHints == nil {
		opts.RootHints = rootHints
	}
	opts.Name = "local."
	opts.Addr = netip.AddrPortFrom(netip.MustParseAddr(localAddr), 53)
	if opts.IDs == nil {
		opts.IDs = dns.NewIDs(42)
	}
	r, err := resolver.New(w.from("local.", localAddr), w.clk, opts)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// recursing wraps every server of the world in resolver.Recursing, as
// the lecture's recursive hierarchy, and returns the wrappers by name.
func (w *world) recursing() map[string]*resolver.Recurser {
	out := map[string]*resolver.Recurser{}
	hosts := slices.Collect(maps.Values(w.hosts))
	slices.SortFunc(hosts, func(a, b *host) int { return strings.Compare(a.name, b.name) })
	for i, h := range hosts {
		rc := resolver.Recursing(h.handler, w.from(h.name, h.addr.String()), resolver.RecursingOptions{
			Clock: w.clk, IDs: dns.NewIDs(uint64(100 + i)), Name: h.name, Addr: netip.AddrPortFrom(h.addr, 53),
		})
		h.handler = rc
		out[h.name] = rc
	}
	return out
}
