package transport

import (
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
)

// Reading streams without blocking the clock
//
// On a simulated network nothing moves until the virtual clock is advanced:
// a datagram arrives as a clock callback, but a stream segment only lands in
// a buffer, and a Stream offers no callback for it. A goroutine blocked in
// Read would wake up while the clock goroutine has already moved on, so a
// reply's send time, and the order of events, would depend on the Go
// scheduler; clock.Virtual.RunUntilIdle could also return before the reader
// had run.
//
// Watch therefore reads simulated streams from the clock goroutine itself,
// with a reactor: one per clock.Virtual, shared by every watched stream on
// that clock (an internal table holds it while it watches streams). The
// reactor is an ordinary timer that, each time it fires, reads what
// Buffered says has arrived on each watched stream, in the order the
// streams were registered, and then re-arms itself for the instant of the
// clock's next pending timer. When other timers are still due at the current
// instant it re-arms for that same instant, so it runs after them: it is the
// last callback at every instant while streams are open, and sees every
// segment the moment it lands, as an event loop checks its sockets after
// each event. A reply to a request that arrives at 30 ms is therefore sent
// at exactly 30 ms, and two runs give the same event sequence.
//
// The reactor cannot foresee a segment written from outside any clock
// callback while it sleeps until a later instant; it never sleeps longer
// than ReactorMaxSleep of virtual time while it watches streams, so such
// bytes are read late but deterministically. A writer that may write from
// outside a clock callback calls Poke after writing to wake it at once.

const (
	// ReactorMaxSleep bounds how long the reactor sleeps while it watches
	// streams. It only matters for bytes written from outside any clock
	// callback without a Poke, which the reactor cannot see coming.
	ReactorMaxSleep = 100 * time.Millisecond

	// maxSameInstantRounds stops the reactor from chasing the current
	// instant forever should another component re-arm itself there the same
	// way; after that many rounds without reading anything it moves on by
	// the smallest step the clock has.
	maxSameInstantRounds = 1 << 12

	// readChunk is the read size of the goroutine readers used with clocks
	// other than clock.Virtual.
	readChunk = 16 << 10
)

// Watcher reads one stream for [Watch] and hands its bytes to onData, then
// the way it ended to onEnd. Neither is called after Stop.
type Watcher struct {
	s       Stream
	feed    func([]byte)
	end     func(error)
	r       *reactor // nil for a goroutine reader
	stopped atomic.Bool
}

// reactor reads the simulated streams of one virtual clock.
type reactor struct {
	clk *clock.Virtual

	mu      sync.Mutex
	watches []*Watcher // in registration order, so reads happen in a fixed order
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

// Watch starts reading s and returns at once. With a [clock.Virtual] the
// clock's reactor reads s from the goroutine that advances the clock, at
// the virtual instant bytes land, in a fixed order across streams, so a run
// on a simulated network is deterministic (see the comment at the top of
// watch.go); with any other clock a goroutine reads s with blocking reads,
// and the callbacks may then run concurrently with other streams'.
//
// onData gets each batch of bytes and may keep them; onEnd gets io.EOF or
// the error that ended the stream, once. The callbacks may write to s,
// close it, or watch other streams. The stream is left open when it ends or
// the watch stops: its owner closes it.
func Watch(clk clock.Clock, s Stream, onData func([]byte), onEnd func(error)) *Watcher {
	w := &Watcher{s: s, feed: onData, end: onEnd}
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

// Stop ends the watch: no callback runs after it returns, except one
// already running on another goroutine. The stream is left open.
func (w *Watcher) Stop() {
	if w.stopped.Swap(true) || w.r == nil {
		return
	}
	w.detach()
}

// Poke tells the reactor that the watcher's owner wrote to a stream,
// possibly from outside a clock callback: it runs at the current instant
// and chases the new segment from there. It does nothing for goroutine
// readers.
func (w *Watcher) Poke() {
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
	d := ReactorMaxSleep
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
func (w *Watcher) poll() bool {
	progressed := false
	for !w.stopped.Load() {
		n, ready := Buffered(w.s)
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

// detach removes w from its reactor.
func (w *Watcher) detach() {
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
func (w *Watcher) pump() {
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
