package dnsnet_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/transport"
)

// Addresses from the documentation ranges (RFC 5737).
var (
	clientAddr  = netip.MustParseAddr("192.0.2.1")
	serverAddr  = netip.MustParseAddr("192.0.2.53")
	serverAddr2 = netip.MustParseAddr("192.0.2.54")
	otherAddr   = netip.MustParseAddr("198.51.100.66")
	serverAP    = netip.AddrPortFrom(serverAddr, 53)
)

// latency is the one-way delay of every link in the lab.
const latency = 10 * time.Millisecond

// lab is a simulated network with a client host, a server host (two
// addresses) and an off-path host, 10 ms apart, recording network events and
// DNS trace events as lines.
type lab struct {
	t      testing.TB
	clk    *clock.Virtual
	net    *transport.Network
	client *transport.Host
	server *transport.Host
	other  *transport.Host
	ids    *dns.IDs

	netEvents []transport.Event
	traces    []string
}

func newLab(t testing.TB, seed uint64, link transport.Link) *lab {
	t.Helper()
	l := &lab{t: t, clk: clock.NewVirtual(time.Time{}), ids: dns.NewIDs(seed)}
	l.net = transport.NewNetwork(l.clk, rand.New(rand.NewPCG(seed, seed)))
	l.net.DefaultLink = link
	l.net.OnEvent = func(e transport.Event) { l.netEvents = append(l.netEvents, e) }
	var err error
	if l.client, err = l.net.AddHost("client", clientAddr); err != nil {
		t.Fatal(err)
	}
	if l.server, err = l.net.AddHost("server", serverAddr, serverAddr2); err != nil {
		t.Fatal(err)
	}
	if l.other, err = l.net.AddHost("other", otherAddr); err != nil {
		t.Fatal(err)
	}
	return l
}

func newQuietLab(t testing.TB) *lab { return newLab(t, 1, transport.Link{Latency: latency}) }

// names is the lab's address-to-host-name resolver for traces.
func (l *lab) names(a netip.Addr) string {
	if h := l.net.HostAt(a); h != nil {
		return h.Name()
	}
	return ""
}

// since returns the virtual time elapsed since the epoch.
func (l *lab) since(t time.Time) time.Duration { return t.Sub(clock.Epoch) }

func (l *lab) now() time.Duration { return l.since(l.clk.Now()) }

// record returns an observer that logs trace events under a prefix.
func (l *lab) record(who string) func(dns.TraceEvent) {
	return func(e dns.TraceEvent) {
		l.traces = append(l.traces, fmt.Sprintf("%v %s %s %s>%s %q %s (%d octets)",
			l.since(e.Time), who, e.Kind, e.FromName, e.ToName, e.Question, e.Summary, len(e.Wire)))
	}
}

// serve starts a traced server for h on the server host's port 53.
func (l *lab) serve(h dns.HandlerFunc) *dnsnet.Server {
	l.t.Helper()
	s, err := dnsnet.Serve(l.server, 53, h, dnsnet.ServerOptions{
		Clock:     l.clk,
		OnMessage: l.record("server"),
		Names:     l.names,
	})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { s.Close() })
	return s
}

// newClient returns a traced client on the client host.
func (l *lab) newClient() *dnsnet.Client {
	return &dnsnet.Client{Node: l.client, Clock: l.clk, OnTrace: l.record("client"), Names: l.names}
}

// result is what an exchange's done callback got, and when.
type result struct {
	resp  *mdns.Msg
	err   error
	at    time.Duration
	calls int
}

// exchange starts an exchange whose outcome lands in the returned result.
func (l *lab) exchange(c *dnsnet.Client, to netip.AddrPort, q *mdns.Msg) *result {
	r := new(result)
	c.Exchange(to, q, func(resp *mdns.Msg, err error) {
		r.calls++
		r.resp, r.err, r.at = resp, err, l.now()
	})
	return r
}

// run plays the network until nothing is pending.
func (l *lab) run() {
	l.t.Helper()
	if n := l.clk.RunUntilIdle(100000); n == 100000 {
		l.t.Fatal("the clock never went idle")
	}
}

// query is a query for name A with an ID from the lab.
func (l *lab) query(name string) *mdns.Msg { return dns.NewQuery(l.ids, name, mdns.TypeA, false) }

// answerA answers every query with n A records, authoritatively.
func answerA(n int) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Request) {
		m := new(mdns.Msg)
		m.SetReply(r.Msg)
		m.Authoritative = true
		for i := range n {
			m.Answer = append(m.Answer, &mdns.A{
				Hdr: mdns.RR_Header{Name: r.Msg.Question[0].Name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 300},
				A:   netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).AsSlice(),
			})
		}
		if opt := r.Msg.IsEdns0(); opt != nil {
			m.SetEdns0(opt.UDPSize(), false)
		}
		if err := w.WriteMsg(m); err != nil {
			panic(err)
		}
	}
}

// rr parses a record in zone file syntax.
func rr(t testing.TB, s string) mdns.RR {
	t.Helper()
	r, err := mdns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rrStrings renders the answer sections of msgs, for diffs.
func rrStrings(msgs ...*mdns.Msg) []string {
	var out []string
	for _, m := range msgs {
		for _, r := range m.Answer {
			out = append(out, strings.ReplaceAll(r.String(), "\t", " "))
		}
	}
	return out
}

// netLines renders network events of the given kinds as "time kind from>to
// bytes" lines.
func (l *lab) netLines(kinds ...transport.EventKind) []string {
	var out []string
	for _, e := range l.netEvents {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, fmt.Sprintf("%v %v %s>%s %d", l.since(e.Time), e.Kind, e.FromHost, e.ToHost, len(e.Payload)))
			}
		}
	}
	return out
}
