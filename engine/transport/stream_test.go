package transport_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/transport"
)

// accepted collects the streams a listener accepts, with their arrival time.
type accepted struct {
	s      transport.Stream
	remote netip.AddrPort
	at     time.Duration
}

func (l *lab) listenStream(t testing.TB, h *transport.Host, port uint16) (*[]accepted, transport.Listener) {
	t.Helper()
	var got []accepted
	ln, err := h.ListenStream(port, func(s transport.Stream, remote netip.AddrPort) {
		got = append(got, accepted{s, remote, l.now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &got, ln
}

// readBuffered reads what has arrived without blocking.
func readBuffered(t testing.TB, s transport.Stream) (string, error) {
	t.Helper()
	n, ready := transport.Buffered(s)
	if !ready {
		return "", nil
	}
	buf := make([]byte, n)
	if n == 0 { // a Read returns the end at once
		_, err := s.Read(buf)
		return "", err
	}
	_, err := io.ReadFull(s, buf)
	return string(buf), err
}

func mustWrite(t testing.TB, s transport.Stream, p string) {
	t.Helper()
	if n, err := s.Write([]byte(p)); n != len(p) || err != nil {
		t.Fatalf("Write(%q) = %d, %v", p, n, err)
	}
}

// TestStreamExchange walks one connection through dial, data both ways and
// close, checking what each end can read at each virtual instant.
func TestStreamExchange(t *testing.T) {
	const lat = 20 * time.Millisecond
	l := newLab(t, 1)
	l.net.SetLink(addrA, addrB, transport.Link{Latency: lat, Loss: 1}) // streams ignore loss
	acc, _ := l.listenStream(t, l.b, 53)

	c, err := l.a.DialStream(ap(addrB, 53))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, "one") // before the connection is even accepted
	l.clk.Advance(5 * time.Millisecond)
	mustWrite(t, c, "two")
	l.clk.Advance(lat - 5*time.Millisecond - 1)
	if len(*acc) != 0 {
		t.Fatal("accepted before the latency passed")
	}
	l.clk.Advance(1) // t=20ms
	if len(*acc) != 1 {
		t.Fatalf("accepted %d connections at 20ms, want 1", len(*acc))
	}
	srv := (*acc)[0]
	if srv.remote != ap(addrA, 49152) {
		t.Errorf("remote = %v, want 192.0.2.1:49152", srv.remote)
	}
	if got, _ := readBuffered(t, srv.s); got != "one" {
		t.Errorf("server read %q at 20ms, want %q", got, "one")
	}
	l.clk.Advance(5 * time.Millisecond) // t=25ms
	if got, _ := readBuffered(t, srv.s); got != "two" {
		t.Errorf("server read %q at 25ms, want %q", got, "two")
	}
	mustWrite(t, srv.s, "reply")
	l.clk.Advance(5 * time.Millisecond) // t=30ms
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	l.clk.Advance(15*time.Millisecond - 1)
	if n, ready := transport.Buffered(srv.s); n != 0 || ready {
		t.Errorf("server Buffered = %d, %v before the close arrived", n, ready)
	}
	l.clk.Advance(1) // t=45ms: reply reaches the closed client
	l.clk.Advance(5 * time.Millisecond)
	if got, err := readBuffered(t, srv.s); got != "" || err != io.EOF {
		t.Errorf("server read %q, %v at 50ms, want EOF", got, err)
	}
	if _, err := srv.s.Write([]byte("late")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("server Write after peer close = %v, want ErrClosedPipe", err)
	}
	srv.s.Close()
	l.clk.RunUntilIdle(10)

	const (
		cli = "192.0.2.1:49152"
		dns = "192.0.2.2:53"
	)
	want := []ev{
		{transport.StreamDial, 0, 1, cli, dns, "a>b", ""},
		{transport.StreamSend, 0, 1, cli, dns, "a>b", "one"},
		{transport.StreamSend, 5 * time.Millisecond, 1, cli, dns, "a>b", "two"},
		{transport.StreamAccept, 20 * time.Millisecond, 1, cli, dns, "a>b", ""},
		{transport.StreamDeliver, 20 * time.Millisecond, 1, cli, dns, "a>b", "one"},
		{transport.StreamDeliver, 25 * time.Millisecond, 1, cli, dns, "a>b", "two"},
		{transport.StreamSend, 25 * time.Millisecond, 1, dns, cli, "b>a", "reply"},
		{transport.StreamClose, 30 * time.Millisecond, 1, cli, dns, "a>b", ""},
		{transport.StreamDrop, 45 * time.Millisecond, 1, dns, cli, "b>a", "reply"},
		{transport.StreamClose, 50 * time.Millisecond, 1, dns, cli, "b>a", ""},
	}
	if diff := cmp.Diff(want, l.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStreamClosedErrors(t *testing.T) {
	l := newLab(t, 1)
	acc, _ := l.listenStream(t, l.b, 53)
	c, err := l.a.DialStream(ap(addrB, 53))
	if err != nil {
		t.Fatal(err)
	}
	l.clk.Advance(0)
	srv := (*acc)[0].s
	mustWrite(t, srv, "pending")
	l.clk.Advance(0)
	c.Close()
	tests := []struct {
		name string
		op   func() (int, error)
		want error
	}{
		{"read on closed end", func() (int, error) { return c.Read(make([]byte, 8)) }, io.ErrClosedPipe},
		{"write on closed end", func() (int, error) { return c.Write([]byte("x")) }, io.ErrClosedPipe},
		{"empty write on closed end", func() (int, error) { return c.Write(nil) }, io.ErrClosedPipe},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n, err := tc.op(); n != 0 || !errors.Is(err, tc.want) {
				t.Errorf("got %d, %v; want 0, %v", n, err, tc.want)
			}
		})
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestStreamDialErrors(t *testing.T) {
	const lat = 10 * time.Millisecond
	tests := []struct {
		name    string
		to      netip.AddrPort
		closeLn bool // close the listener while the dial is in flight
		dialErr error
		readErr error
		events  []ev
	}{
		{
			name:    "no listener",
			to:      ap(addrB, 54),
			dialErr: transport.ErrRefused,
			events:  []ev{{transport.StreamRefuse, 0, 1, "192.0.2.1:0", "192.0.2.2:54", "a>b", ""}},
		},
		{
			name:    "no host",
			to:      ap(nobody, 53),
			dialErr: transport.ErrNoHost,
			events:  []ev{{transport.StreamRefuse, 0, 1, "192.0.2.1:0", "203.0.113.99:53", "a>", ""}},
		},
		{
			name:    "listener closed in flight",
			to:      ap(addrB, 53),
			closeLn: true,
			readErr: transport.ErrRefused,
			events: []ev{
				{transport.StreamDial, 0, 1, "192.0.2.1:49152", "192.0.2.2:53", "a>b", ""},
				{transport.StreamSend, 0, 1, "192.0.2.1:49152", "192.0.2.2:53", "a>b", "hello"},
				{transport.StreamRefuse, lat, 1, "192.0.2.1:49152", "192.0.2.2:53", "a>b", ""},
				{transport.StreamDrop, lat, 1, "192.0.2.1:49152", "192.0.2.2:53", "a>b", "hello"},
				{transport.StreamClose, lat, 1, "192.0.2.1:49152", "192.0.2.2:53", "a>b", ""},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 1)
			l.net.DefaultLink = transport.Link{Latency: lat}
			acc, ln := l.listenStream(t, l.b, 53)
			s, err := l.a.DialStream(tc.to)
			if !errors.Is(err, tc.dialErr) {
				t.Fatalf("DialStream error %v, want %v", err, tc.dialErr)
			}
			if err == nil {
				mustWrite(t, s, "hello")
				if tc.closeLn {
					ln.Close()
				}
				l.clk.Advance(lat)
				if got, err := readBuffered(t, s); got != "" || !errors.Is(err, tc.readErr) {
					t.Errorf("read %q, %v; want %v", got, err, tc.readErr)
				}
				if _, err := s.Write([]byte("x")); !errors.Is(err, tc.readErr) {
					t.Errorf("Write error %v, want %v", err, tc.readErr)
				}
				s.Close()
				l.clk.RunUntilIdle(10)
			}
			if len(*acc) != 0 {
				t.Errorf("listener accepted %d connections", len(*acc))
			}
			if diff := cmp.Diff(tc.events, l.events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreamOrderAcrossLinkChange checks that segments never overtake each
// other, even when the link gets faster while they are in flight.
func TestStreamOrderAcrossLinkChange(t *testing.T) {
	l := newLab(t, 1)
	l.net.SetLink(addrA, addrB, transport.Link{Latency: 50 * time.Millisecond})
	acc, _ := l.listenStream(t, l.b, 53)
	c, _ := l.a.DialStream(ap(addrB, 53))
	mustWrite(t, c, "slow")
	l.net.SetLink(addrA, addrB, transport.Link{Latency: time.Millisecond})
	mustWrite(t, c, "fast")
	c.Close()
	l.clk.Advance(time.Millisecond)
	if len(*acc) != 0 {
		t.Fatal("accepted before the slow SYN arrived")
	}
	l.clk.Advance(49 * time.Millisecond)
	got, err := io.ReadAll((*acc)[0].s)
	if string(got) != "slowfast" || err != nil {
		t.Errorf("read %q, %v; want %q, nil", got, err, "slowfast")
	}
	for _, e := range l.events {
		if e.Kind == transport.StreamDeliver && e.At != 50*time.Millisecond {
			t.Errorf("%q delivered at %v, want 50ms", e.Payload, e.At)
		}
	}
}

// TestStreamBlockingReader reads on a goroutine, as a server session does,
// while the test advances the clock: Read wakes only when bytes arrive.
func TestStreamBlockingReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLab(t, 1)
		l.net.DefaultLink = transport.Link{Latency: time.Millisecond}
		got := make(chan string)
		l.b.ListenStream(53, func(s transport.Stream, _ netip.AddrPort) {
			go func() {
				b, err := io.ReadAll(s)
				if err != nil {
					t.Error(err)
				}
				got <- string(b)
			}()
		})
		c, _ := l.a.DialStream(ap(addrB, 53))
		mustWrite(t, c, "part1,")
		l.clk.Advance(time.Millisecond)
		mustWrite(t, c, "part2")
		c.Close()
		synctest.Wait() // the reader has part1 and blocks for more
		select {
		case s := <-got:
			t.Fatalf("reader finished early with %q", s)
		default:
		}
		l.clk.Advance(time.Millisecond)
		if s := <-got; s != "part1,part2" {
			t.Errorf("reader got %q", s)
		}
	})
}

// TestStreamConcurrent writes from goroutines on both ends while the main
// goroutine advances the clock; run with -race.
func TestStreamConcurrent(t *testing.T) {
	l := newLab(t, 1)
	l.net.OnEvent = nil
	l.net.DefaultLink = transport.Link{Latency: time.Millisecond}
	type result struct {
		got []byte
		err error
	}
	results := make(chan result, 2)
	writersDone := make(chan struct{}, 2)
	// Each end writes its data, closes, and reads the other end's data.
	serve := func(s transport.Stream, data []byte) {
		go func() {
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 777)
				if _, err := s.Write(rest[:n]); err != nil {
					results <- result{err: err}
					break
				}
				rest = rest[n:]
			}
			writersDone <- struct{}{}
		}()
		go func() {
			got, err := readAtLeast(s, len(data))
			results <- result{got, err}
		}()
	}
	ab, ba := randomBytes(5, 100_000), randomBytes(6, 100_000)
	l.b.ListenStream(53, func(s transport.Stream, _ netip.AddrPort) { serve(s, ba) })
	c, err := l.a.DialStream(ap(addrB, 53))
	if err != nil {
		t.Fatal(err)
	}
	l.clk.Advance(time.Millisecond) // accept
	serve(c, ab)
	for done := 0; done < 2; {
		select {
		case <-writersDone:
			done++
		default:
			l.clk.Advance(time.Millisecond)
			runtime.Gosched() // js/wasm has one thread and no preemption
		}
	}
	l.clk.RunUntilIdle(1 << 20)
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !bytes.Equal(r.got, ab) && !bytes.Equal(r.got, ba) {
			t.Errorf("an end read %d bytes that match neither stream", len(r.got))
		}
	}
}

func TestListenStreamErrors(t *testing.T) {
	l := newLab(t, 1)
	accept := func(transport.Stream, netip.AddrPort) {}
	if _, err := l.b.ListenStream(53, accept); err != nil {
		t.Fatal(err)
	}
	if _, err := l.b.ListenStream(53, accept); !errors.Is(err, transport.ErrAddrInUse) {
		t.Errorf("second ListenStream(53) error %v, want ErrAddrInUse", err)
	}
	if _, err := l.b.ListenStream(54, nil); err == nil {
		t.Error("ListenStream with nil accept succeeded")
	}
	if _, err := l.a.DialStream(ap(addrB6, 53)); err == nil {
		t.Error("DialStream from an IPv4-only host to IPv6 succeeded")
	}
	if _, err := l.a.DialStream(ap(addrB, 0)); err == nil {
		t.Error("DialStream to port 0 succeeded")
	}
}
