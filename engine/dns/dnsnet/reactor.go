package dnsnet

import (
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/transport"
)

const (
	// reactorMaxSleep bounds how long the reactor sleeps while it watches
	// streams. It only matters for bytes written by code outside dnsnet from
	// outside any clock callback, which the reactor cannot see coming; see
	// the package documentation.
	reactorMaxSleep = 100 * time.Millisecond

	// maxSameInstantRounds stops the reactor from chasing the current
	// instant forever should another component re-arm itself there the same
	// way; after that many rounds without reading anything it moves on by
	// the smallest step the clock has.
	maxSameInstantRounds = 1 << 12

	// readChunk is the read size of the goroutine readers used with clocks
	// other than clock.Virtual.
	readChunk = 16 << 10
)

// A watch reads one stream and hands its bytes to feed, then the way it
// ended to end. Neither is called after stop.
type watch struct {
	s       transport.Stream
	feed    func([]byte)
	end     func(error)
	r       *reactor // nil for a goroutine reader
	stopped atomic.Bool
}

// reactor reads the simulated streams of one virtual clock. See the package
// documentation for why it exists and how it keeps runs deterministic.
type reactor struct {
	clk *clock.Virtual

	mu      sync.Mutex
	watches []*watch // in registration order, so reads happen in a fixed order
	timer   clock.Timer
	pending bool      // timer is scheduled
	due     time.Time // when it is scheduled for
	rounds  int       // consecutive rounds at one instant that read nothing
}

// reactors holds the reactor of each virtual clock that has streams to
// watch. An entry goes away when its reactor runs out of streams, so the
// table holds no clock longer than its connections.
var reactors = struct {
	mu sync.Mutex
	m  map[*clock.Virtual]*reactor
}{m: make(map[*clock.Virtual]*reactor)}

// watchStream starts reading s: with the clock's reactor if clk is virtual,
// else with a goroutine. feed gets each batch of bytes (it may keep them),
// end gets io.EOF or the error that ended the stream.
func watchStream(clk clock.Clock, s transport.Stream, feed func([]byte), end func(error)) *watch {
	w := &watch{s: s, feed: feed, end: end}
	v, ok := clk.(*clock.Virtual)
	if !ok {
		go w.pump()
		return w
	}
	reactors.mu.Lock()
	defer reactors.mu.Unlock()
	r := reactors.m[v]
	if r == nil {
		r = &reactor{clk: v}
		reactors.m[v] = r
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	w.r = r
	r.watches = append(r.watches, w)
	r.armLocked(0)
	return w
}

// stop ends the watch. The stream is left open: its owner closes it.
func (w *watch) stop() {
	if w.stopped.Swap(true) || w.r == nil {
		return
	}
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.watches, w); i >= 0 {
		r.watches = slices.Delete(r.watches, i, i+1)
	}
}

// poke tells the reactor that dnsnet wrote to a stream, possibly from
// outside a clock callback: it runs at the current instant and chases the
// new segment from there.
func (w *watch) poke() {
	if w.r == nil || w.stopped.Load() {
		return
	}
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	w.r.armLocked(0)
}

// armLocked makes sure the reactor runs within d, keeping an earlier
// schedule.
func (r *reactor) armLocked(d time.Duration) {
	due := r.clk.Now().Add(d)
	if r.pending && !r.due.After(due) {
		return
	}
	if r.timer == nil {
		r.timer = r.clk.AfterFunc(d, r.fire)
	} else {
		r.timer.Reset(d)
	}
	r.pending, r.due = true, due
}

// fire reads every watched stream, then re-arms for the next instant
// anything happens on the clock, or for this one if timers are still due.
func (r *reactor) fire() {
	r.mu.Lock()
	r.pending = false
	ws := slices.Clone(r.watches)
	r.mu.Unlock()

	progressed := false
	for _, w := range ws {
		if w.poll() {
			progressed = true
		}
	}

	reactors.mu.Lock() // lock order: the table, then the reactor
	defer reactors.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.watches) == 0 {
		if r.pending {
			r.timer.Stop()
			r.pending = false
		}
		if reactors.m[r.clk] == r {
			delete(reactors.m, r.clk)
		}
		return
	}
	now := r.clk.Now()
	d := reactorMaxSleep
	if next, ok := r.clk.Next(); ok && next.Sub(now) < d {
		d = max(next.Sub(now), 0)
	}
	switch {
	case d > 0 || progressed:
		r.rounds = 0
	default:
		r.rounds++
		if r.rounds > maxSameInstantRounds {
			r.rounds = 0
			d = time.Nanosecond
		}
	}
	r.armLocked(d)
}

// poll reads what has arrived on w's stream without blocking and reports
// whether there was anything (bytes or the end of the stream).
func (w *watch) poll() bool {
	progressed := false
	for !w.stopped.Load() {
		n, ready := transport.Buffered(w.s)
		if !ready {
			return progressed
		}
		progressed = true
		if n == 0 {
			// Ready with nothing buffered: the read returns the end at once.
			_, err := w.s.Read(make([]byte, 1))
			if err == nil {
				err = io.EOF
			}
			if !w.stopped.Swap(true) {
				w.detach()
				w.end(err)
			}
			return true
		}
		buf := make([]byte, n)
		got := 0
		for got < n {
			k, err := w.s.Read(buf[got:])
			got += k
			if err != nil {
				break
			}
		}
		if got > 0 && !w.stopped.Load() {
			w.feed(buf[:got])
		}
	}
	return progressed
}

// detach removes a watch that stopped by itself from its reactor.
func (w *watch) detach() {
	r := w.r
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.watches, w); i >= 0 {
		r.watches = slices.Delete(r.watches, i, i+1)
	}
}

// pump is the goroutine reader for clocks other than clock.Virtual.
func (w *watch) pump() {
	for {
		buf := make([]byte, readChunk)
		n, err := w.s.Read(buf)
		if w.stopped.Load() {
			return
		}
		if n > 0 {
			w.feed(buf[:n])
		}
		if err != nil {
			if !w.stopped.Swap(true) {
				w.end(err)
			}
			return
		}
	}
}
