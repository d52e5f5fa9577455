package dnsnet_test

import (
	"fmt"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/transport"
)

// busyScenario runs many exchanges at once on a lossy network: UDP answers,
// truncated answers retried over TCP, TCP-only queries, a zone transfer and
// a forgery, and returns every network event and trace line.
func busyScenario(t *testing.T, seed uint64) []string {
	l := newLab(t, seed, transport.Link{Latency: latency, Loss: 0.2})
	l.net.SetLink(clientAddr, otherAddr, transport.Link{Latency: 3 * time.Millisecond})
	zone := [][]string{append([]string{soa}, hosts(1, 40)...), append(hosts(40, 80), soa)}
	axfr := axfrServer(t, l, zone, 0, 0)
	l.serve(func(w dns.ResponseWriter, r *dns.Request) {
		switch q := r.Msg.Question[0]; {
		case q.Qtype == mdns.TypeAXFR:
			axfr(w, r)
		case q.Name == "big.example.":
			answerA(120)(w, r)
		default:
			// Answer after a delay that depends on the name, so answers
			// interleave.
			l.clk.AfterFunc(time.Duration(len(q.Name))*time.Millisecond, func() { answerA(2)(w, r) })
		}
	})
	c := l.newClient()
	tcpc := l.newClient()
	tcpc.TCP = true
	var outcomes []string
	record := func(name string) func(*mdns.Msg, error) {
		return func(m *mdns.Msg, err error) {
			n := -1
			if m != nil {
				n = len(m.Answer)
			}
			outcomes = append(outcomes, fmt.Sprintf("%v %s %d %v", l.now(), name, n, err))
		}
	}
	for i := range 12 {
		name := fmt.Sprintf("h%d.example", i)
		c.Exchange(serverAP, l.query(name), record(name))
		if i%3 == 0 {
			c.Exchange(serverAP, l.query("big.example"), record("big"))
			tcpc.Exchange(serverAP, l.query(name), record("tcp "+name))
		}
		l.clk.Advance(time.Millisecond)
	}
	dnsnet.Transfer(l.client, l.clk, serverAP, "example.org", l.ids, func(msgs []*mdns.Msg, err error) {
		outcomes = append(outcomes, fmt.Sprintf("%v axfr %d %v", l.now(), len(msgs), err))
	})
	forged, _ := l.query("h11.example").Pack()
	l.other.SendPacket(53, netip.AddrPortFrom(clientAddr, 49152), forged)
	l.run()

	var out []string
	for _, e := range l.netEvents {
		out = append(out, e.String())
	}
	out = append(out, l.traces...)
	return append(out, outcomes...)
}

// The same seed gives the same run, event for event: TCP reads happen on the
// clock's goroutine, at fixed points, never when the Go scheduler decides.
func TestDeterminism(t *testing.T) {
	a := busyScenario(t, 42)
	b := busyScenario(t, 42)
	if len(a) < 100 {
		t.Fatalf("only %d events; the scenario did not run", len(a))
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("second run differs (-first +second):\n%s", diff)
	}
	if c := busyScenario(t, 43); cmp.Equal(a, c) {
		t.Errorf("another seed gave the same run; are losses drawn at all?")
	}
}

// pipeNode is a Node whose streams are in-memory pipes and which has no
// datagrams: the shape of an adapter over real sockets, for testing the
// goroutine readers used with clocks other than clock.Virtual.
type pipeNode struct {
	accept transport.AcceptFunc
}

type nopListener struct{}

func (nopListener) Port() uint16 { return 53 }
func (nopListener) Close() error { return nil }

func (n *pipeNode) ListenPacket(uint16, transport.PacketHandler) (transport.Listener, error) {
	return nopListener{}, nil
}

func (n *pipeNode) SendPacket(uint16, netip.AddrPort, []byte) error { return nil }

func (n *pipeNode) ListenStream(_ uint16, accept transport.AcceptFunc) (transport.Listener, error) {
	n.accept = accept
	return nopListener{}, nil
}

func (n *pipeNode) DialStream(netip.AddrPort) (transport.Stream, error) {
	a, b := transport.Pipe()
	n.accept(b, netip.AddrPortFrom(clientAddr, 40000))
	return a, nil
}

// With the real clock, streams are read by goroutines. synctest's bubble
// gives the test a fake clock to run the timeout on.
func TestGoroutineReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node := &pipeNode{}
		srv, err := dnsnet.Serve(node, 53, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Request) {
			if r.Msg.Question[0].Name == "silent.example." {
				return
			}
			answerA(3)(w, r)
		}), dnsnet.ServerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		c := &dnsnet.Client{Node: node, Clock: clock.Real{}, TCP: true}
		type outcome struct {
			answers int
			err     error
			after   time.Duration
		}
		ask := func(name string) outcome {
			start := time.Now()
			ch := make(chan outcome, 1)
			c.Exchange(serverAP, dns.NewQuery(dns.NewIDs(1), name, mdns.TypeA, false), func(m *mdns.Msg, err error) {
				o := outcome{err: err, after: time.Since(start)}
				if m != nil {
					o.answers = len(m.Answer)
				}
				ch <- o
			})
			return <-ch
		}
		if got := ask("www.example"); got.err != nil || got.answers != 3 || got.after != 0 {
			t.Errorf("answer: %+v", got)
		}
		if got := ask("silent.example"); got.err != dnsnet.ErrTimeout || got.after != dnsnet.DefaultTimeout {
			t.Errorf("silent server: %+v", got)
		}
		synctest.Wait()
	})
}
