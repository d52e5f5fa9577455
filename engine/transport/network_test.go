package transport_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/transport"
)

// Addresses from the documentation ranges (RFC 5737, RFC 3849).
var (
	addrA  = netip.MustParseAddr("192.0.2.1")
	addrB  = netip.MustParseAddr("192.0.2.2")
	addrC  = netip.MustParseAddr("198.51.100.3")
	addrB6 = netip.MustParseAddr("2001:db8::2")
	nobody = netip.MustParseAddr("203.0.113.99")
)

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

// ev is an Event in a form that reads well in a diff.
type ev struct {
	Kind     transport.EventKind
	At       time.Duration // since clock.Epoch
	ID       uint64
	From, To string
	Hosts    string // "from>to"
	Payload  string
}

func toEv(e transport.Event) ev {
	return ev{
		Kind:    e.Kind,
		At:      e.Time.Sub(clock.Epoch),
		ID:      e.ID,
		From:    e.From.String(),
		To:      e.To.String(),
		Hosts:   e.FromHost + ">" + e.ToHost,
		Payload: string(e.Payload),
	}
}

// lab is a network of hosts a (192.0.2.1), b (192.0.2.2 and 2001:db8::2) and
// c (198.51.100.3) that records its events.
type lab struct {
	clk     *clock.Virtual
	net     *transport.Network
	a, b, c *transport.Host
	events  []ev

	bListener transport.Listener // for tests that close it
}

func newLab(t testing.TB, seed uint64) *lab {
	t.Helper()
	l := &lab{clk: clock.NewVirtual(time.Time{})}
	l.net = transport.NewNetwork(l.clk, rand.New(rand.NewPCG(seed, seed)))
	l.net.OnEvent = func(e transport.Event) { l.events = append(l.events, toEv(e)) }
	var err error
	if l.a, err = l.net.AddHost("a", addrA); err != nil {
		t.Fatal(err)
	}
	if l.b, err = l.net.AddHost("b", addrB, addrB6); err != nil {
		t.Fatal(err)
	}
	if l.c, err = l.net.AddHost("c", addrC); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *lab) now() time.Duration { return l.clk.Now().Sub(clock.Epoch) }

// received is a datagram as a handler saw it.
type received struct {
	At       time.Duration
	From, To string
	Payload  string
}

// sink listens on h at port and records what arrives.
func (l *lab) sink(t testing.TB, h *transport.Host, port uint16) *[]received {
	t.Helper()
	var got []received
	_, err := h.ListenPacket(port, func(from, to netip.AddrPort, p []byte) {
		got = append(got, received{l.now(), from.String(), to.String(), string(p)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &got
}

func TestAddHost(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		addrs   []netip.Addr
		wantErr error // nil means any error
	}{
		{"duplicate address", "x", []netip.Addr{addrA}, transport.ErrDuplicateAddr},
		{"duplicate second address", "x", []netip.Addr{addrC.Next(), addrB6}, transport.ErrDuplicateAddr},
		{"duplicate within call", "x", []netip.Addr{nobody, nobody}, transport.ErrDuplicateAddr},
		{"mapped duplicate", "x", []netip.Addr{netip.AddrFrom16(addrA.As16())}, transport.ErrDuplicateAddr},
		{"duplicate name", "a", []netip.Addr{nobody}, nil},
		{"no address", "x", nil, nil},
		{"invalid address", "x", []netip.Addr{{}}, nil},
		{"no name", "", []netip.Addr{nobody}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 1)
			h, err := l.net.AddHost(tc.host, tc.addrs...)
			if err == nil {
				t.Fatalf("AddHost(%q, %v) = %v, want an error", tc.host, tc.addrs, h)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("AddHost error %v, want %v", err, tc.wantErr)
			}
			// A failed AddHost leaves nothing behind.
			if got := len(l.net.Hosts()); got != 3 {
				t.Errorf("%d hosts after failed AddHost, want 3", got)
			}
			if h := l.net.HostAt(nobody); h != nil {
				t.Errorf("HostAt(%v) = %v after failed AddHost", nobody, h)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	l := newLab(t, 1)
	if got := l.net.Host("b"); got != l.b {
		t.Errorf("Host(b) = %v", got)
	}
	if got := l.net.HostAt(addrB6); got != l.b {
		t.Errorf("HostAt(%v) = %v, want b", addrB6, got)
	}
	if got := l.net.Host("zz"); got != nil {
		t.Errorf("Host(zz) = %v, want nil", got)
	}
	var names []string
	for _, h := range l.net.Hosts() {
		names = append(names, h.Name())
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("Hosts (-want +got):\n%s", diff)
	}
	if got := fmt.Sprint(l.b.Addrs()); got != "[192.0.2.2 2001:db8::2]" {
		t.Errorf("Addrs = %s", got)
	}
	if l.clk != l.net.Clock() {
		t.Error("Clock() is not the clock given to NewNetwork")
	}
}

func TestLinks(t *testing.T) {
	l := newLab(t, 1)
	l.net.DefaultLink = transport.Link{Latency: 5 * time.Millisecond}
	fast := transport.Link{Latency: time.Millisecond, Loss: 0.25}
	l.net.SetLink(addrB, addrA, fast)
	tests := []struct {
		a, b netip.Addr
		want transport.Link
	}{
		{addrA, addrB, fast},
		{addrB, addrA, fast},
		{addrA, addrC, l.net.DefaultLink},
		{addrA, addrB6, l.net.DefaultLink},
	}
	for _, tc := range tests {
		if got := l.net.LinkBetween(tc.a, tc.b); got != tc.want {
			t.Errorf("LinkBetween(%v, %v) = %+v, want %+v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPacketLatency(t *testing.T) {
	tests := []struct {
		name    string
		latency time.Duration
	}{
		{"zero", 0},
		{"one nanosecond", 1},
		{"lan", 300 * time.Microsecond},
		{"transatlantic", 40 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 1)
			l.net.SetLink(addrA, addrB, transport.Link{Latency: tc.latency})
			got := l.sink(t, l.b, 53)
			l.clk.Advance(time.Second) // start away from Epoch
			if err := l.a.SendPacket(5353, ap(addrB, 53), []byte("query")); err != nil {
				t.Fatal(err)
			}
			if tc.latency > 0 {
				l.clk.Advance(tc.latency - 1)
				if len(*got) != 0 {
					t.Fatalf("delivered %v before the latency passed", *got)
				}
				l.clk.Advance(1)
			} else {
				l.clk.Advance(0)
			}
			sent, at := time.Second, time.Second+tc.latency
			want := []received{{at, "192.0.2.1:5353", "192.0.2.2:53", "query"}}
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
			wantEv := []ev{
				{transport.PacketSend, sent, 1, "192.0.2.1:5353", "192.0.2.2:53", "a>b", "query"},
				{transport.PacketDeliver, at, 1, "192.0.2.1:5353", "192.0.2.2:53", "a>b", "query"},
			}
			if diff := cmp.Diff(wantEv, l.events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPacketOutcomes(t *testing.T) {
	const lat = 10 * time.Millisecond
	tests := []struct {
		name  string
		setup func(l *lab)
		to    netip.AddrPort
		want  transport.EventKind
		hosts string
	}{
		{"delivered", func(*lab) {}, ap(addrB, 53), transport.PacketDeliver, "a>b"},
		{"no listener on port", func(*lab) {}, ap(addrB, 54), transport.PacketNoListener, "a>b"},
		{"no host", func(*lab) {}, ap(nobody, 53), transport.PacketNoHost, "a>"},
		{"certain loss", func(l *lab) {
			l.net.SetLink(addrA, addrB, transport.Link{Latency: lat, Loss: 1})
		}, ap(addrB, 53), transport.PacketLoss, "a>b"},
		{"listener closed in flight", func(l *lab) {
			l.clk.AfterFunc(lat/2, func() { l.bListener.Close() })
		}, ap(addrB, 53), transport.PacketNoListener, "a>b"},
		{"listener opened in flight", func(l *lab) {
			l.clk.AfterFunc(lat/2, func() { l.b.ListenPacket(54, func(netip.AddrPort, netip.AddrPort, []byte) {}) })
		}, ap(addrB, 54), transport.PacketDeliver, "a>b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 1)
			l.net.DefaultLink = transport.Link{Latency: lat}
			var err error
			l.bListener, err = l.b.ListenPacket(53, func(netip.AddrPort, netip.AddrPort, []byte) {})
			if err != nil {
				t.Fatal(err)
			}
			tc.setup(l)
			if err := l.a.SendPacket(1024, tc.to, []byte("x")); err != nil {
				t.Fatal(err)
			}
			l.clk.Advance(lat)
			want := []ev{
				{transport.PacketSend, 0, 1, "192.0.2.1:1024", tc.to.String(), tc.hosts, "x"},
				{tc.want, lat, 1, "192.0.2.1:1024", tc.to.String(), tc.hosts, "x"},
			}
			if diff := cmp.Diff(want, l.events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPacketErrors(t *testing.T) {
	l := newLab(t, 1)
	tests := []struct {
		name string
		send func() error
	}{
		{"port zero", func() error { return l.a.SendPacket(1, ap(addrB, 0), nil) }},
		{"invalid destination", func() error { return l.a.SendPacket(1, netip.AddrPort{}, nil) }},
		{"no address of family", func() error { return l.a.SendPacket(1, ap(addrB6, 53), nil) }},
		{"foreign source", func() error { return l.a.SendPacketFrom(ap(addrB, 1), ap(addrC, 53), nil) }},
		{"too large", func() error { return l.a.SendPacket(1, ap(addrB, 53), make([]byte, 65508)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.send(); err == nil {
				t.Error("send succeeded, want an error")
			}
		})
	}
	if len(l.events) != 0 {
		t.Errorf("failed sends made events: %v", l.events)
	}
	if err := l.a.SendPacket(1, ap(addrB, 53), make([]byte, 65507)); err != nil {
		t.Errorf("send of the largest datagram: %v", err)
	}
}

func TestListenPacketPorts(t *testing.T) {
	l := newLab(t, 1)
	noop := func(netip.AddrPort, netip.AddrPort, []byte) {}
	if _, err := l.a.ListenPacket(53, noop); err != nil {
		t.Fatal(err)
	}
	if _, err := l.a.ListenPacket(53, noop); !errors.Is(err, transport.ErrAddrInUse) {
		t.Errorf("second ListenPacket(53) error %v, want ErrAddrInUse", err)
	}
	// Streams have their own ports, as TCP and UDP do.
	if _, err := l.a.ListenStream(53, func(transport.Stream, netip.AddrPort) {}); err != nil {
		t.Errorf("ListenStream(53) beside ListenPacket(53): %v", err)
	}
	if _, err := l.a.ListenPacket(49153, noop); err != nil {
		t.Fatal(err)
	}
	var ports []uint16
	for range 3 {
		ln, err := l.a.ListenPacket(0, noop)
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Port())
	}
	// Sequential from RFC 6335's dynamic range, skipping the bound 49153.
	if diff := cmp.Diff([]uint16{49152, 49154, 49155}, ports); diff != "" {
		t.Errorf("ephemeral ports (-want +got):\n%s", diff)
	}
	ln, _ := l.a.ListenPacket(7, noop)
	ln.Close()
	ln.Close()
	if _, err := l.a.ListenPacket(7, noop); err != nil {
		t.Errorf("ListenPacket after Close: %v", err)
	}
	if _, err := l.a.ListenPacket(8, nil); err == nil {
		t.Error("ListenPacket with nil handler succeeded")
	}
}

// TestPacketLoss checks that losses follow the seed: the same seed loses
// the same datagrams, and the loss rate is roughly the link's.
func TestPacketLoss(t *testing.T) {
	run := func(seed uint64) []int {
		l := newLab(t, seed)
		l.net.SetLink(addrA, addrB, transport.Link{Latency: time.Millisecond, Loss: 0.3})
		got := l.sink(t, l.b, 53)
		for i := range 1000 {
			l.a.SendPacket(1024, ap(addrB, 53), []byte(fmt.Sprint(i)))
		}
		// Lossless traffic elsewhere must not disturb the draws.
		for range 10 {
			l.a.SendPacket(1024, ap(addrC, 53), nil)
		}
		l.clk.Advance(time.Millisecond)
		var idx []int
		for _, r := range *got {
			var i int
			fmt.Sscan(r.Payload, &i)
			idx = append(idx, i)
		}
		return idx
	}
	first, again, other := run(7), run(7), run(8)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("same seed, different deliveries (-first +again):\n%s", diff)
	}
	if cmp.Equal(first, other) {
		t.Error("seeds 7 and 8 lost the same datagrams")
	}
	if n := len(first); n < 620 || n > 780 {
		t.Errorf("%d of 1000 delivered at 30%% loss", n)
	}
}

func TestPayloadCopied(t *testing.T) {
	l := newLab(t, 1)
	var handled []byte
	l.b.ListenPacket(53, func(_, _ netip.AddrPort, p []byte) {
		handled = p
		p[0] = 'X' // the handler owns its copy
	})
	buf := []byte("abc")
	l.a.SendPacket(1, ap(addrB, 53), buf)
	buf[0] = 'Z' // the sender may reuse its buffer at once
	l.clk.Advance(0)
	if string(handled) != "Xbc" {
		t.Errorf("handler got %q, want the sent bytes", handled)
	}
	for _, e := range l.events {
		if e.Payload != "abc" {
			t.Errorf("%v event payload %q, want %q", e.Kind, e.Payload, "abc")
		}
	}
}

// TestReplyFromHandler plays a resolver chain: a asks b, b's handler asks c
// and answers a from inside c's reply. Handlers run inside Advance and send
// from there.
func TestReplyFromHandler(t *testing.T) {
	l := newLab(t, 1)
	l.net.SetLink(addrA, addrB, transport.Link{Latency: 2 * time.Millisecond})
	l.net.SetLink(addrB, addrC, transport.Link{Latency: 30 * time.Millisecond})
	// c answers every query.
	l.c.ListenPacket(53, func(from, to netip.AddrPort, p []byte) {
		l.c.SendPacketFrom(to, from, append([]byte("answer to "), p...))
	})
	// b forwards to c from an ephemeral port and relays the answer.
	var client netip.AddrPort
	up, err := l.b.ListenPacket(0, func(_, _ netip.AddrPort, p []byte) {
		l.b.SendPacket(53, client, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	l.b.ListenPacket(53, func(from, _ netip.AddrPort, p []byte) {
		client = from
		l.b.SendPacket(up.Port(), ap(addrC, 53), p)
	})
	got := l.sink(t, l.a, 5353)
	l.a.SendPacket(5353, ap(addrB, 53), []byte("q"))
	if n := l.clk.RunUntilIdle(100); n != 4 {
		t.Errorf("RunUntilIdle fired %d timers, want 4 (one per hop)", n)
	}
	want := []received{{64 * time.Millisecond, "192.0.2.2:53", "192.0.2.1:5353", "answer to q"}}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("a received (-want +got):\n%s", diff)
	}
	var kinds []string
	for _, e := range l.events {
		kinds = append(kinds, fmt.Sprintf("%v %v %s", e.At, e.Kind, e.Hosts))
	}
	wantKinds := []string{
		"0s PacketSend a>b",
		"2ms PacketDeliver a>b",
		"2ms PacketSend b>c",
		"32ms PacketDeliver b>c",
		"32ms PacketSend c>b",
		"62ms PacketDeliver c>b",
		"62ms PacketSend b>a",
		"64ms PacketDeliver b>a",
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestObserverReenters checks that an observer may send, and that the events
// it causes come after the one it is handling.
func TestObserverReenters(t *testing.T) {
	l := newLab(t, 1)
	var seen []string
	l.net.OnEvent = func(e transport.Event) {
		seen = append(seen, fmt.Sprintf("%v #%d", e.Kind, e.ID))
		if e.Kind == transport.PacketSend && e.ID == 1 {
			l.a.SendPacket(1, ap(addrB, 53), []byte("echo"))
			seen = append(seen, "observer sent")
		}
	}
	l.a.SendPacket(1, ap(addrB, 53), []byte("first"))
	l.clk.Advance(0)
	want := []string{
		"PacketSend #1", "observer sent", "PacketSend #2",
		"PacketNoListener #1", "PacketNoListener #2",
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

func TestSendPacketFromChoosesAddress(t *testing.T) {
	l := newLab(t, 1)
	// b answers from whichever address it was asked on.
	l.b.ListenPacket(53, func(from, to netip.AddrPort, p []byte) {
		l.b.SendPacketFrom(to, from, p)
	})
	l.b.SendPacket(9, ap(addrB6, 53), []byte("self"))
	l.clk.RunUntilIdle(10)
	var got []string
	for _, e := range l.events {
		got = append(got, fmt.Sprintf("%v %s->%s", e.Kind, e.From, e.To))
	}
	want := []string{
		"PacketSend [2001:db8::2]:9->[2001:db8::2]:53",
		"PacketDeliver [2001:db8::2]:9->[2001:db8::2]:53",
		"PacketSend [2001:db8::2]:53->[2001:db8::2]:9",
		"PacketNoListener [2001:db8::2]:53->[2001:db8::2]:9",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// scenario drives a mixed exchange with loss, replies and a stream, and
// returns the events.
func scenario(t *testing.T, seed uint64) []ev {
	l := newLab(t, seed)
	l.net.DefaultLink = transport.Link{Latency: 3 * time.Millisecond, Loss: 0.2}
	l.net.SetLink(addrA, addrC, transport.Link{Latency: 7 * time.Millisecond, Loss: 0.5})
	for _, h := range []*transport.Host{l.b, l.c} {
		h.ListenPacket(53, func(from, to netip.AddrPort, p []byte) {
			h.SendPacketFrom(to, from, append(p, '!'))
		})
	}
	l.c.ListenStream(53, func(s transport.Stream, _ netip.AddrPort) {
		s.Write([]byte("zone"))
		s.Close()
	})
	l.sink(t, l.a, 5353)
	for i := range 20 {
		dst := []netip.Addr{addrB, addrC}[i%2]
		l.a.SendPacket(5353, ap(dst, 53), []byte(fmt.Sprint(i)))
		l.clk.Advance(time.Millisecond)
	}
	s, err := l.a.DialStream(ap(addrC, 53))
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("AXFR"))
	l.clk.RunUntilIdle(1000)
	s.Close()
	l.clk.RunUntilIdle(1000)
	return l.events
}

func TestDeterminism(t *testing.T) {
	first, again := scenario(t, 42), scenario(t, 42)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("same seed, different events (-first +again):\n%s", diff)
	}
	if len(first) < 40 {
		t.Errorf("scenario made only %d events", len(first))
	}
	if cmp.Equal(first, scenario(t, 43)) {
		t.Error("seeds 42 and 43 gave identical events despite loss")
	}
}

func TestEventString(t *testing.T) {
	e := transport.Event{
		Kind: transport.PacketDeliver, Time: clock.Epoch.Add(1500 * time.Microsecond), ID: 3,
		From: ap(addrA, 1024), To: ap(nobody, 53), FromHost: "a", Payload: []byte("abc"),
	}
	want := "09:00:00.001500 PacketDeliver #3 a 192.0.2.1:1024 -> - 203.0.113.99:53 (3 bytes)"
	if got := e.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := transport.EventKind(200).String(); got != "EventKind(200)" {
		t.Errorf("unknown kind String() = %q", got)
	}
}

// BenchmarkNetworkPackets sends one datagram per op over a lossy link and
// advances the clock to deliver it.
func BenchmarkNetworkPackets(b *testing.B) {
	l := newLab(b, 1)
	l.net.OnEvent = nil
	l.net.DefaultLink = transport.Link{Latency: time.Millisecond, Loss: 0.01}
	delivered := 0
	l.b.ListenPacket(53, func(netip.AddrPort, netip.AddrPort, []byte) { delivered++ })
	payload := make([]byte, 64)
	for b.Loop() {
		l.a.SendPacket(1024, ap(addrB, 53), payload)
		l.clk.Advance(time.Millisecond)
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "packets/s")
}

func BenchmarkStreamThroughNetwork(b *testing.B) {
	l := newLab(b, 1)
	l.net.OnEvent = nil
	var server transport.Stream
	l.b.ListenStream(53, func(s transport.Stream, _ netip.AddrPort) { server = s })
	c, err := l.a.DialStream(ap(addrB, 53))
	if err != nil {
		b.Fatal(err)
	}
	l.clk.Advance(0)
	chunk := make([]byte, 4096)
	buf := make([]byte, len(chunk))
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		c.Write(chunk)
		l.clk.Advance(0)
		if _, err := io.ReadFull(server, buf); err != nil {
			b.Fatal(err)
		}
	}
}
