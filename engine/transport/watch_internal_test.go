package transport

import (
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
)

// An echo over a simulated stream is read at the instants the segments
// land, and once the streams are closed the clock's reactor leaves the
// table, so the table holds no clock longer than its connections.
func TestWatchEchoAndLeaveTable(t *testing.T) {
	clk := clock.NewVirtual(time.Time{})
	n := NewNetwork(clk, rand.New(rand.NewPCG(1, 1)))
	n.DefaultLink = Link{Latency: 5 * time.Millisecond}
	a, _ := n.AddHost("a", netip.MustParseAddr("192.0.2.1"))
	b, _ := n.AddHost("b", netip.MustParseAddr("192.0.2.2"))
	start := clk.Now()
	var log []string
	stamp := func(what string) { log = append(log, clk.Now().Sub(start).String()+" "+what) }
	_, err := b.ListenStream(7, func(s Stream, _ netip.AddrPort) {
		var w *Watcher
		w = Watch(clk, s, func(p []byte) {
			stamp("server got " + string(p))
			s.Write(p)
		}, func(err error) {
			stamp("server end " + err.Error())
			w.Stop()
			s.Close()
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.DialStream(netip.MustParseAddrPort("192.0.2.2:7"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("ping"))
	Watch(clk, c, func(p []byte) {
		stamp("client got " + string(p))
		c.Close()
	}, func(err error) { stamp("client end " + err.Error()) })
	inTable := func() bool {
		reactors.mu.Lock()
		defer reactors.mu.Unlock()
		return reactors.m[clk] != nil
	}
	if !inTable() {
		t.Fatal("no reactor while a stream is open")
	}
	clk.RunUntilIdle(1000)
	want := []string{
		"5ms server got ping",
		"10ms client got ping",
		"10ms client end " + io.ErrClosedPipe.Error(),
		"15ms server end " + io.EOF.Error(),
	}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if inTable() {
		t.Error("reactor still in the table after every stream closed")
	}
	if p := clk.Pending(); p != 0 {
		t.Errorf("%d timers pending", p)
	}
}

// A stopped watch calls nothing more, and Poke wakes the reactor for bytes
// written from outside a clock callback.
func TestWatchStopAndPoke(t *testing.T) {
	clk := clock.NewVirtual(time.Time{})
	x, y := Pipe()
	var got []string
	w := Watch(clk, y, func(p []byte) { got = append(got, string(p)) }, func(error) { got = append(got, "end") })
	x.Write([]byte("one"))
	w.Poke()
	clk.RunUntilIdle(10)
	w.Stop()
	x.Write([]byte("two"))
	x.Close()
	clk.Advance(time.Second)
	if diff := cmp.Diff([]string{"one"}, got); diff != "" {
		t.Errorf("callbacks (-want +got):\n%s", diff)
	}
}
