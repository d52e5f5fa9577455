package transport

import "sync"

// Guarded is a Stream shared by a session driver and its idle timer: writes
// are serialised, the timer can try a last write without blocking behind a
// client that does not read, the driver can swap in a TLS stream after
// STARTTLS/STLS, and both can tell whether the session timed out.
type Guarded struct {
	wmu     sync.Mutex
	mu      sync.Mutex
	s       Stream
	closed  bool
	expired bool
}

// NewGuarded wraps s.
func NewGuarded(s Stream) *Guarded { return &Guarded{s: s} }

// Stream returns the current underlying stream.
func (g *Guarded) Stream() Stream {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.s
}

// Replace swaps the underlying stream (for a TLS upgrade).
func (g *Guarded) Replace(s Stream) {
	g.mu.Lock()
	g.s = s
	g.mu.Unlock()
}

// Read reads from the current stream.
func (g *Guarded) Read(p []byte) (int, error) { return g.Stream().Read(p) }

// Send writes all of p in one write, after any write in progress.
func (g *Guarded) Send(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	g.wmu.Lock()
	defer g.wmu.Unlock()
	_, err := g.Stream().Write(p)
	return err
}

// TrySend writes p unless another write is in progress, and reports
// whether it wrote.
func (g *Guarded) TrySend(p []byte) bool {
	if !g.wmu.TryLock() {
		return false
	}
	defer g.wmu.Unlock()
	_, err := g.Stream().Write(p)
	return err == nil
}

// MarkExpired records that the session timed out.
func (g *Guarded) MarkExpired() {
	g.mu.Lock()
	g.expired = true
	g.mu.Unlock()
}

// Expired reports whether MarkExpired was called.
func (g *Guarded) Expired() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.expired
}

// Closed reports whether Close was called.
func (g *Guarded) Closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Close closes the current stream.
func (g *Guarded) Close() error {
	g.mu.Lock()
	s := g.s
	g.closed = true
	g.mu.Unlock()
	return s.Close()
}
