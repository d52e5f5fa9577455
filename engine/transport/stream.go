package transport

import (
	"errors"
	"io"
	"net/netip"
	"slices"
	"time"
)

// A simulated stream is a pair of ends. What one end writes travels as a
// segment: a timer on the virtual clock that moves the bytes into the peer's
// queue after the link latency. Segments of one direction wait in a FIFO and
// each timer delivers the oldest, so bytes arrive in order even if the link
// changes while they are in flight.

type segKind uint8

const (
	segSYN segKind = iota // the connection reaching the listener
	segData
	segFIN
)

type segment struct {
	kind segKind
	data []byte
}

type streamEnd struct {
	n             *Network
	id            uint64
	local, remote netip.AddrPort
	in            *queue // bytes that have arrived for this end
	peer          *streamEnd

	// Guarded by n.mu.
	closed   bool      // Close was called
	writeErr error     // set when the peer closed or the connection was refused
	inflight []segment // sent by this end, not yet arrived
	lastDue  time.Time // arrival time of the newest segment in flight
	listener *listener // for the dialer's SYN: who should accept
}

var _ Stream = (*streamEnd)(nil)

// ListenStream binds a stream port on all of h's addresses (0 picks an
// ephemeral port). accept runs inside clock.Advance when a connection arrives,
// one link latency after the dial.
func (h *Host) ListenStream(port uint16, accept AcceptFunc) (Listener, error) {
	if accept == nil {
		return nil, errors.New("transport: nil accept func")
	}
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	l, err := h.bindLocked(h.streams, &h.nextStrEph, port)
	if err != nil {
		return nil, err
	}
	l.accept = accept
	return l, nil
}

// DialStream connects to a stream listener. It fails at once with ErrNoHost or
// ErrRefused if nothing listens at to; otherwise the returned stream can be
// written at once, and the listener accepts it one link latency later.
func (h *Host) DialStream(to netip.AddrPort) (Stream, error) {
	to, err := checkDest(to)
	if err != nil {
		return nil, err
	}
	src, err := h.source(to.Addr())
	if err != nil {
		return nil, err
	}
	n := h.n
	n.mu.Lock()
	id := n.nextIDLocked()
	var l *listener
	if dst := n.byAddr[to.Addr()]; dst == nil {
		err = ErrNoHost
	} else if l = dst.streams[to.Port()]; l == nil {
		err = ErrRefused
	}
	if err != nil {
		n.eventLocked(StreamRefuse, id, netip.AddrPortFrom(src, 0), to, nil)
		n.mu.Unlock()
		n.flush()
		return nil, err
	}
	// Dialers take ports from their own sequence; a port busy with a listener
	// is skipped, one reused by an old connection is fine.
	port, err := h.ephemeralLocked(h.streams, &h.nextStrEph)
	if err != nil {
		n.mu.Unlock()
		return nil, err
	}
	local := netip.AddrPortFrom(src, port)
	c := &streamEnd{n: n, id: id, local: local, remote: to, in: newQueue()}
	s := &streamEnd{n: n, id: id, local: to, remote: local, in: newQueue()}
	c.peer, s.peer = s, c
	c.listener = l
	n.eventLocked(StreamDial, id, local, to, nil)
	c.sendLocked(segment{kind: segSYN})
	n.mu.Unlock()
	n.flush()
	return c, nil
}

// sendLocked puts seg in flight to the peer.
func (e *streamEnd) sendLocked(seg segment) {
	n := e.n
	now := n.clk.Now()
	due := now.Add(max(n.linkLocked(e.local.Addr(), e.remote.Addr()).Latency, 0))
	if due.Before(e.lastDue) {
		due = e.lastDue
	}
	e.lastDue = due
	e.inflight = append(e.inflight, seg)
	n.clk.AfterFunc(due.Sub(now), e.arrive)
}

// arrive delivers the oldest segment e has in flight to e.peer.
func (e *streamEnd) arrive() {
	n := e.n
	n.mu.Lock()
	seg := e.inflight[0]
	e.inflight[0] = segment{}
	e.inflight = e.inflight[1:]
	p := e.peer
	var accept AcceptFunc
	switch seg.kind {
	case segSYN:
		l := e.listener
		e.listener = nil
		if l.ports[l.port] != l {
			// The listener closed while the connection was on its way:
			// refuse it, as a TCP RST would.
			e.writeErr = ErrRefused
			e.in.closeWrite(ErrRefused)
			p.closed = true
			n.eventLocked(StreamRefuse, e.id, e.local, e.remote, nil)
			break
		}
		accept = l.accept
		n.eventLocked(StreamAccept, e.id, e.local, e.remote, nil)
	case segData:
		if p.closed {
			n.eventLocked(StreamDrop, e.id, e.local, e.remote, seg.data)
			break
		}
		p.in.write(seg.data)
		n.eventLocked(StreamDeliver, e.id, e.local, e.remote, seg.data)
	case segFIN:
		if p.writeErr == nil {
			p.writeErr = io.ErrClosedPipe
		}
		p.in.closeWrite(io.EOF)
	}
	n.mu.Unlock()
	n.flush()
	if accept != nil {
		accept(p, e.local)
	}
}

// Read blocks until bytes arrive, the peer's close arrives (io.EOF) or this
// end is closed (io.ErrClosedPipe). Bytes arrive only as the clock advances,
// so never read from the goroutine that advances it unless [Buffered] says
// bytes are waiting.
func (e *streamEnd) Read(p []byte) (int, error) { return e.in.read(p) }

// Write sends a copy of p as one segment and returns at once. It fails with
// io.ErrClosedPipe once either end has closed, or ErrRefused.
func (e *streamEnd) Write(p []byte) (int, error) {
	n := e.n
	n.mu.Lock()
	switch {
	case e.closed:
		n.mu.Unlock()
		return 0, io.ErrClosedPipe
	case e.writeErr != nil:
		err := e.writeErr
		n.mu.Unlock()
		return 0, err
	case len(p) == 0:
		n.mu.Unlock()
		return 0, nil
	}
	data := slices.Clone(p)
	n.eventLocked(StreamSend, e.id, e.local, e.remote, data)
	e.sendLocked(segment{kind: segData, data: data})
	n.mu.Unlock()
	n.flush()
	return len(p), nil
}

// Close ends both directions: local reads and writes fail, bytes still
// arriving are dropped, and the peer reads io.EOF one link latency later,
// after the bytes already in flight. Closing twice returns nil.
func (e *streamEnd) Close() error {
	n := e.n
	n.mu.Lock()
	if e.closed {
		n.mu.Unlock()
		return nil
	}
	e.closed = true
	e.in.closeRead()
	if e.writeErr != ErrRefused {
		e.sendLocked(segment{kind: segFIN})
	}
	n.eventLocked(StreamClose, e.id, e.local, e.remote, nil)
	n.mu.Unlock()
	n.flush()
	return nil
}
