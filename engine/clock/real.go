package clock

import "time"

// Real is the wall clock, for native drivers. It is the only place in the
// engine that reads the system time (engine_test.go allows this file alone).
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
