// Package clock gives the engine its sense of time.
//
// Engine code never calls time.Now or time.Sleep: it asks a Clock. Native
// servers use [Real]; tests, the conformance runner and the browser playground
// use a [Virtual] clock that only moves when its owner advances it, so a run is
// repeatable to the byte.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock tells the time and schedules callbacks.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (Real) or from Advance (Virtual)
	// once d has passed, unless the returned Timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc callback.
type Timer interface {
	// Stop prevents the callback from running. It reports whether it did so,
	// false meaning the callback has already run or was stopped before.
	Stop() bool
	// Reset reschedules the callback to run d from now, whether or not it has
	// already run, and reports whether it was pending.
	Reset(d time.Duration) bool
}

// Wait blocks until d has passed on c or done is closed, and reports whether
// the full duration passed. It is how engine drivers pause (for example to slow
// down failed logins) without calling time.Sleep.
func Wait(c Clock, d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	ch := make(chan struct{})
	t := c.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-done:
		t.Stop()
		return false
	}
}

// Virtual is a clock that moves only when Advance or Set is called. Timers
// fire synchronously inside those calls, in deadline order (ties in the order
// they were scheduled), with Now reporting each timer's deadline while it runs.
// A Virtual clock is safe for concurrent use.
type Virtual struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers timerHeap
	// firing serialises Advance calls so timers fire in order even when two
	// goroutines advance at once.
	firing sync.Mutex
}

var _ Clock = (*Virtual)(nil)

// Epoch is the default start of virtual time: a fixed instant, so transcripts
// and traces made on different days are identical.
var Epoch = time.Date(2026, time.January, 1, 9, 0, 0, 0, time.UTC)

// NewVirtual returns a virtual clock reading start (Epoch if start is zero).
func NewVirtual(start time.Time) *Virtual {
	if start.IsZero() {
		start = Epoch
	}
	return &Virtual{now: start}
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// AfterFunc schedules f to run when the clock has advanced by d. A timer with
// d <= 0 fires at the next Advance (even Advance(0)).
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := &virtualTimer{clock: v, f: f}
	v.schedule(t, d)
	return t
}

func (v *Virtual) schedule(t *virtualTimer, d time.Duration) {
	if d < 0 {
		d = 0
	}
	v.seq++
	t.when = v.now.Add(d)
	t.seq = v.seq
	heap.Push(&v.timers, t)
}

// Pending returns the number of timers that have not fired or been stopped.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timers)
}

// Next returns the deadline of the earliest pending timer.
func (v *Virtual) Next() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.timers) == 0 {
		return time.Time{}, false
	}
	return v.timers[0].when, true
}

// Advance moves the clock forward by d, firing every timer that falls due on
// the way, including timers that those callbacks schedule within the window.
func (v *Virtual) Advance(d time.Duration) {
	v.mu.Lock()
	target := v.now.Add(d)
	v.mu.Unlock()
	v.Set(target)
}

// Set moves the clock to t (never backwards), firing timers that fall due.
func (v *Virtual) Set(t time.Time) {
	v.firing.Lock()
	defer v.firing.Unlock()
	for {
		v.mu.Lock()
		if len(v.timers) == 0 || v.timers[0].when.After(t) {
			if t.After(v.now) {
				v.now = t
			}
			v.mu.Unlock()
			return
		}
		next := heap.Pop(&v.timers).(*virtualTimer)
		next.index = -1
		if next.when.After(v.now) {
			v.now = next.when
		}
		f := next.f
		v.mu.Unlock()
		f()
	}
}

// RunUntilIdle fires timers in order until none is pending or limit timers
// have fired, and returns how many fired. It is how a driver plays a whole
// simulated exchange to its end.
func (v *Virtual) RunUntilIdle(limit int) int {
	n := 0
	for n < limit {
		when, ok := v.Next()
		if !ok {
			break
		}
		v.Set(when)
		n++
	}
	return n
}

type virtualTimer struct {
	clock *Virtual
	f     func()
	when  time.Time
	seq   uint64
	index int // position in the heap, -1 when not scheduled
}

func (t *virtualTimer) Stop() bool {
	v := t.clock
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&v.timers, t.index)
	t.index = -1
	return true
}

func (t *virtualTimer) Reset(d time.Duration) bool {
	v := t.clock
	v.mu.Lock()
	defer v.mu.Unlock()
	pending := t.index >= 0
	if pending {
		heap.Remove(&v.timers, t.index)
	}
	v.schedule(t, d)
	return pending
}

type timerHeap []*virtualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}
