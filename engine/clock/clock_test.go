package clock_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
)

// firing records a timer's name and the clock reading inside its callback.
type firing struct {
	Name string
	At   time.Duration // since clock.Epoch
}

// recorder schedules named timers on a Virtual clock and logs their firings.
type recorder struct {
	v   *clock.Virtual
	log []firing
}

func newRecorder() *recorder { return &recorder{v: clock.NewVirtual(time.Time{})} }

func (r *recorder) since() time.Duration { return r.v.Now().Sub(clock.Epoch) }

func (r *recorder) after(name string, d time.Duration) clock.Timer {
	return r.v.AfterFunc(d, func() { r.log = append(r.log, firing{name, r.since()}) })
}

func TestNewVirtualStart(t *testing.T) {
	if got := clock.NewVirtual(time.Time{}).Now(); !got.Equal(clock.Epoch) {
		t.Errorf("NewVirtual(zero).Now() = %v, want Epoch %v", got, clock.Epoch)
	}
	start := time.Date(2000, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := clock.NewVirtual(start).Now(); !got.Equal(start) {
		t.Errorf("NewVirtual(start).Now() = %v, want %v", got, start)
	}
}

func TestVirtualOrder(t *testing.T) {
	type sched struct {
		name string
		d    time.Duration
	}
	tests := []struct {
		name    string
		timers  []sched
		advance time.Duration
		want    []firing
		pending int
	}{
		{
			name:    "deadline order",
			timers:  []sched{{"c", 3 * time.Second}, {"a", time.Second}, {"b", 2 * time.Second}},
			advance: 5 * time.Second,
			want:    []firing{{"a", time.Second}, {"b", 2 * time.Second}, {"c", 3 * time.Second}},
		},
		{
			name:    "ties in schedule order",
			timers:  []sched{{"x", time.Second}, {"y", time.Second}, {"early", 0}, {"z", time.Second}},
			advance: time.Second,
			want:    []firing{{"early", 0}, {"x", time.Second}, {"y", time.Second}, {"z", time.Second}},
		},
		{
			name:    "deadline at window end fires, after it waits",
			timers:  []sched{{"edge", time.Second}, {"late", time.Second + 1}},
			advance: time.Second,
			want:    []firing{{"edge", time.Second}},
			pending: 1,
		},
		{
			name:    "zero and negative durations fire on Advance(0)",
			timers:  []sched{{"zero", 0}, {"negative", -time.Second}, {"later", time.Nanosecond}},
			advance: 0,
			want:    []firing{{"zero", 0}, {"negative", 0}},
			pending: 1,
		},
		{
			name:    "nothing scheduled",
			advance: time.Hour,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder()
			for _, s := range tc.timers {
				r.after(s.name, s.d)
			}
			r.v.Advance(tc.advance)
			if diff := cmp.Diff(tc.want, r.log); diff != "" {
				t.Errorf("firings (-want +got):\n%s", diff)
			}
			if got := r.since(); got != tc.advance {
				t.Errorf("after Advance(%v) clock reads +%v", tc.advance, got)
			}
			if got := r.v.Pending(); got != tc.pending {
				t.Errorf("Pending() = %d, want %d", got, tc.pending)
			}
		})
	}
}

// TestVirtualAdvanceInSteps checks that stepping the clock fires each timer in
// the step that covers its deadline, never earlier.
func TestVirtualAdvanceInSteps(t *testing.T) {
	r := newRecorder()
	r.after("1500ms", 1500*time.Millisecond)
	r.after("3s", 3*time.Second)
	var perStep [][]string
	for range 3 {
		r.log = nil
		r.v.Advance(time.Second)
		var names []string
		for _, f := range r.log {
			names = append(names, f.Name)
		}
		perStep = append(perStep, names)
	}
	want := [][]string{nil, {"1500ms"}, {"3s"}}
	if diff := cmp.Diff(want, perStep); diff != "" {
		t.Errorf("firings per 1s step (-want +got):\n%s", diff)
	}
}

func TestVirtualCallbackSchedules(t *testing.T) {
	tests := []struct {
		name    string
		inner   time.Duration // scheduled by the callback of a timer at +1s
		advance time.Duration
		want    []firing
		pending int
	}{
		{
			name:    "inside window fires",
			inner:   time.Second,
			advance: 3 * time.Second,
			want:    []firing{{"outer", time.Second}, {"inner", 2 * time.Second}},
		},
		{
			name:    "zero duration fires at the same instant",
			inner:   0,
			advance: time.Second,
			want:    []firing{{"outer", time.Second}, {"inner", time.Second}},
		},
		{
			name:    "beyond window waits",
			inner:   5 * time.Second,
			advance: 3 * time.Second,
			want:    []firing{{"outer", time.Second}},
			pending: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder()
			r.v.AfterFunc(time.Second, func() {
				r.log = append(r.log, firing{"outer", r.since()})
				r.after("inner", tc.inner)
			})
			r.v.Advance(tc.advance)
			if diff := cmp.Diff(tc.want, r.log); diff != "" {
				t.Errorf("firings (-want +got):\n%s", diff)
			}
			if got := r.v.Pending(); got != tc.pending {
				t.Errorf("Pending() = %d, want %d", got, tc.pending)
			}
		})
	}
}

func TestVirtualStopReset(t *testing.T) {
	// Each op acts on one timer "t" first scheduled at +10s; Advance steps
	// are relative. want lists the clock readings at which t fired.
	type op struct {
		kind string // "stop", "reset", "advance"
		d    time.Duration
		ret  bool // want return value of Stop/Reset
	}
	tests := []struct {
		name string
		ops  []op
		want []time.Duration
	}{
		{
			name: "stop pending",
			ops:  []op{{kind: "stop", ret: true}, {kind: "advance", d: time.Minute}},
		},
		{
			name: "stop twice",
			ops:  []op{{kind: "stop", ret: true}, {kind: "stop", ret: false}},
		},
		{
			name: "stop after firing",
			ops:  []op{{kind: "advance", d: 10 * time.Second}, {kind: "stop", ret: false}},
			want: []time.Duration{10 * time.Second},
		},
		{
			name: "reset pending counts from now",
			ops: []op{
				{kind: "advance", d: 4 * time.Second},
				{kind: "reset", d: 10 * time.Second, ret: true},
				{kind: "advance", d: 9 * time.Second},
				{kind: "advance", d: time.Second},
			},
			want: []time.Duration{14 * time.Second},
		},
		{
			name: "reset to earlier",
			ops:  []op{{kind: "reset", d: time.Second, ret: true}, {kind: "advance", d: time.Minute}},
			want: []time.Duration{time.Second},
		},
		{
			name: "reset after firing runs again",
			ops: []op{
				{kind: "advance", d: 10 * time.Second},
				{kind: "reset", d: 5 * time.Second, ret: false},
				{kind: "advance", d: time.Minute},
			},
			want: []time.Duration{10 * time.Second, 15 * time.Second},
		},
		{
			name: "reset after stop",
			ops: []op{
				{kind: "stop", ret: true},
				{kind: "reset", d: 2 * time.Second, ret: false},
				{kind: "advance", d: time.Minute},
			},
			want: []time.Duration{2 * time.Second},
		},
		{
			name: "stop after reset",
			ops: []op{
				{kind: "reset", d: time.Second, ret: true},
				{kind: "stop", ret: true},
				{kind: "advance", d: time.Minute},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder()
			var got []time.Duration
			tm := r.v.AfterFunc(10*time.Second, func() { got = append(got, r.since()) })
			for i, o := range tc.ops {
				switch o.kind {
				case "advance":
					r.v.Advance(o.d)
				case "stop":
					if ret := tm.Stop(); ret != o.ret {
						t.Errorf("op %d: Stop() = %v, want %v", i, ret, o.ret)
					}
				case "reset":
					if ret := tm.Reset(o.d); ret != o.ret {
						t.Errorf("op %d: Reset(%v) = %v, want %v", i, o.d, ret, o.ret)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("firings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVirtualStopFromCallback checks that a callback can cancel a timer due
// at the same instant, as a session does when a reply beats its timeout.
func TestVirtualStopFromCallback(t *testing.T) {
	r := newRecorder()
	var victim clock.Timer
	r.v.AfterFunc(time.Second, func() {
		r.log = append(r.log, firing{"killer", r.since()})
		if !victim.Stop() {
			t.Error("Stop of a due but unfired timer = false, want true")
		}
	})
	victim = r.after("victim", time.Second)
	r.v.Advance(time.Second)
	want := []firing{{"killer", time.Second}}
	if diff := cmp.Diff(want, r.log); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
}

func TestVirtualSetAndNext(t *testing.T) {
	r := newRecorder()
	if _, ok := r.v.Next(); ok {
		t.Error("Next() on an idle clock reports a timer")
	}
	r.after("a", 2*time.Second)
	r.after("b", time.Second)
	if got, ok := r.v.Next(); !ok || !got.Equal(clock.Epoch.Add(time.Second)) {
		t.Errorf("Next() = %v, %v; want Epoch+1s, true", got, ok)
	}
	r.v.Set(clock.Epoch.Add(1500 * time.Millisecond))
	if got := r.since(); got != 1500*time.Millisecond {
		t.Errorf("after Set clock reads +%v, want +1.5s", got)
	}
	// Set never moves backwards.
	r.v.Set(clock.Epoch)
	if got := r.since(); got != 1500*time.Millisecond {
		t.Errorf("after Set to the past clock reads +%v, want +1.5s", got)
	}
	want := []firing{{"b", time.Second}}
	if diff := cmp.Diff(want, r.log); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
}

func TestVirtualRunUntilIdle(t *testing.T) {
	tests := []struct {
		name      string
		chain     int // a timer every second that schedules the next, this many in all
		limit     int
		wantFired int
		wantAt    time.Duration
		wantLeft  int
	}{
		{name: "idle", chain: 0, limit: 10, wantFired: 0, wantAt: 0},
		{name: "runs chain to its end", chain: 5, limit: 100, wantFired: 5, wantAt: 5 * time.Second},
		{name: "limit stops early", chain: 5, limit: 3, wantFired: 3, wantAt: 3 * time.Second, wantLeft: 1},
		{name: "limit equal to work", chain: 4, limit: 4, wantFired: 4, wantAt: 4 * time.Second},
		{name: "zero limit", chain: 2, limit: 0, wantFired: 0, wantAt: 0, wantLeft: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := clock.NewVirtual(time.Time{})
			left := tc.chain
			var tick func()
			tick = func() {
				left--
				if left > 0 {
					v.AfterFunc(time.Second, tick)
				}
			}
			if tc.chain > 0 {
				v.AfterFunc(time.Second, tick)
			}
			if got := v.RunUntilIdle(tc.limit); got != tc.wantFired {
				t.Errorf("RunUntilIdle(%d) = %d, want %d", tc.limit, got, tc.wantFired)
			}
			if got := v.Now().Sub(clock.Epoch); got != tc.wantAt {
				t.Errorf("clock reads +%v, want +%v", got, tc.wantAt)
			}
			if got := v.Pending(); got != tc.wantLeft {
				t.Errorf("Pending() = %d, want %d", got, tc.wantLeft)
			}
		})
	}
}

// TestVirtualRunUntilIdleEndless shows the limit is what stops a timer that
// always reschedules itself (a keepalive, say).
func TestVirtualRunUntilIdleEndless(t *testing.T) {
	v := clock.NewVirtual(time.Time{})
	var tick func()
	tick = func() { v.AfterFunc(time.Minute, tick) }
	v.AfterFunc(time.Minute, tick)
	if got := v.RunUntilIdle(1000); got != 1000 {
		t.Errorf("RunUntilIdle(1000) = %d, want 1000", got)
	}
	if got, want := v.Now().Sub(clock.Epoch), 1000*time.Minute; got != want {
		t.Errorf("clock reads +%v, want +%v", got, want)
	}
}

func TestWaitVirtual(t *testing.T) {
	tests := []struct {
		name      string
		d         time.Duration
		cancel    bool // close done instead of advancing the clock
		want      bool
		wantTimer bool // Wait leaves a timer pending while it blocks
	}{
		{name: "full duration", d: time.Second, want: true, wantTimer: true},
		{name: "cancelled", d: time.Hour, cancel: true, want: false, wantTimer: true},
		{name: "zero returns at once", d: 0, want: true},
		{name: "negative returns at once", d: -time.Second, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v := clock.NewVirtual(time.Time{})
				done := make(chan struct{})
				result := make(chan bool)
				go func() { result <- clock.Wait(v, tc.d, done) }()
				// Every goroutine in the bubble is now blocked: Wait on its
				// timer or on result.
				synctest.Wait()
				if got := v.Pending() == 1; got != tc.wantTimer {
					t.Fatalf("timer pending while waiting = %v, want %v", got, tc.wantTimer)
				}
				if tc.wantTimer {
					if tc.cancel {
						close(done)
					} else {
						v.Advance(tc.d - 1)
						synctest.Wait()
						select {
						case <-result:
							t.Fatal("Wait returned before the duration passed")
						default:
						}
						v.Advance(1)
					}
				}
				if got := <-result; got != tc.want {
					t.Errorf("Wait = %v, want %v", got, tc.want)
				}
				if got := v.Pending(); got != 0 {
					t.Errorf("Pending() after Wait = %d, want 0 (timer stopped or fired)", got)
				}
			})
		})
	}
}

func TestWaitReal(t *testing.T) {
	tests := []struct {
		name   string
		d      time.Duration
		cancel time.Duration // close done after this long; 0 means never
		want   bool
		took   time.Duration
	}{
		{name: "full duration", d: time.Hour, want: true, took: time.Hour},
		{name: "cancelled", d: time.Hour, cancel: time.Minute, want: false, took: time.Minute},
		{name: "zero", d: 0, want: true, took: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Inside the bubble time is fake, so an hour passes instantly.
			synctest.Test(t, func(t *testing.T) {
				var c clock.Clock = clock.Real{}
				done := make(chan struct{})
				if tc.cancel > 0 {
					c.AfterFunc(tc.cancel, func() { close(done) })
				}
				start := c.Now()
				if got := clock.Wait(c, tc.d, done); got != tc.want {
					t.Errorf("Wait = %v, want %v", got, tc.want)
				}
				if got := c.Now().Sub(start); got != tc.took {
					t.Errorf("Wait took %v, want %v", got, tc.took)
				}
			})
		})
	}
}

// TestVirtualConcurrent drives one clock from several goroutines; run with
// -race. Each goroutine schedules a timer and advances past it, so every
// timer fires exactly once.
func TestVirtualConcurrent(t *testing.T) {
	v := clock.NewVirtual(time.Time{})
	const workers, each = 4, 50
	fired := make(chan string, workers*each)
	finished := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { finished <- struct{}{} }()
			for i := range each {
				name := fmt.Sprintf("%d/%d", w, i)
				v.AfterFunc(time.Millisecond, func() { fired <- name })
				v.Advance(time.Millisecond)
			}
		}()
	}
	for range workers {
		<-finished
	}
	v.RunUntilIdle(workers * each)
	close(fired)
	seen := map[string]bool{}
	for name := range fired {
		if seen[name] {
			t.Errorf("timer %s fired twice", name)
		}
		seen[name] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d timers fired, want %d", len(seen), workers*each)
	}
	if v.Pending() != 0 {
		t.Errorf("Pending() = %d, want 0", v.Pending())
	}
}
