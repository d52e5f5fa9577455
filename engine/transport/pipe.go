package transport

import (
	"io"
	"sync"
)

// Pipe returns the two ends of an in-memory, full-duplex stream. Unlike
// net.Pipe, writes are buffered without limit and return at once, so one
// goroutine can write a whole request and then read the reply. Close on one
// end gives the other io.EOF after it has read what was buffered; writing to or
// reading from a closed end, or writing to an end whose peer closed, returns
// io.ErrClosedPipe. Both ends are safe for concurrent use.
func Pipe() (Stream, Stream) {
	ab, ba := newQueue(), newQueue()
	return &pipeEnd{in: ba, out: ab}, &pipeEnd{in: ab, out: ba}
}

type pipeEnd struct {
	in, out *queue
}

func (p *pipeEnd) Read(b []byte) (int, error)  { return p.in.read(b) }
func (p *pipeEnd) Write(b []byte) (int, error) { return p.out.write(b) }

// Close is idempotent: closing twice returns nil.
func (p *pipeEnd) Close() error {
	p.out.closeWrite(io.EOF)
	p.in.closeRead()
	return nil
}

// queue is one direction of a stream: bytes that have arrived and not yet been
// read, plus how the direction ends. Bytes live in chunks so that a writer far
// ahead of its reader never causes a large buffer to be copied.
type queue struct {
	mu     sync.Mutex
	cond   sync.Cond
	chunks [][]byte // unread bytes start at chunks[0][off:]
	off    int
	n      int    // unread bytes in all
	spare  []byte // a drained chunk kept for the next write
	// end, once set, is what readers get after draining: io.EOF for an
	// orderly close, ErrRefused for a reset. Writes fail from then on.
	end error
	// readClosed means the reading end was closed locally: reads fail at once
	// and writes fail because nobody will read them.
	readClosed bool
}

// chunkSize balances allocations per byte against memory held by a queue.
const chunkSize = 32 << 10

func newQueue() *queue {
	q := &queue{}
	q.cond.L = &q.mu
	return q
}

func (q *queue) read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.readClosed {
			return 0, io.ErrClosedPipe
		}
		if q.n > 0 {
			n := 0
			for n < len(p) && len(q.chunks) > 0 {
				c := q.chunks[0]
				k := copy(p[n:], c[q.off:])
				n += k
				q.off += k
				if q.off == len(c) {
					q.chunks[0] = nil
					q.chunks = q.chunks[1:]
					q.off = 0
					if cap(c) == chunkSize {
						q.spare = c[:0]
					}
				}
			}
			q.n -= n
			return n, nil
		}
		if q.end != nil {
			return 0, q.end
		}
		if len(p) == 0 {
			return 0, nil
		}
		q.cond.Wait()
	}
}

func (q *queue) write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.end != nil || q.readClosed {
		return 0, io.ErrClosedPipe
	}
	if len(p) == 0 {
		return 0, nil
	}
	total := len(p)
	if last := len(q.chunks) - 1; last >= 0 {
		c := q.chunks[last]
		k := min(cap(c)-len(c), len(p))
		q.chunks[last] = append(c, p[:k]...)
		p = p[k:]
	}
	if len(p) > 0 {
		var c []byte
		if q.spare != nil && len(p) <= chunkSize {
			c, q.spare = q.spare, nil
		} else {
			c = make([]byte, 0, max(len(p), chunkSize))
		}
		q.chunks = append(q.chunks, append(c, p...))
	}
	q.n += total
	q.cond.Broadcast()
	return total, nil
}

// closeWrite ends the direction: readers drain buf and then get err. A second
// call keeps the first error.
func (q *queue) closeWrite(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.end == nil {
		q.end = err
	}
	q.cond.Broadcast()
}

func (q *queue) closeRead() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.readClosed = true
	q.chunks, q.off, q.n, q.spare = nil, 0, 0, nil
	q.cond.Broadcast()
}

// buffered reports how many bytes wait to be read and whether read would
// return at once.
func (q *queue) buffered() (int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.n > 0 || q.end != nil || q.readClosed
}
