// Package driver runs a sans-I/O protocol session (POP3, IMAP, SMTP) over a
// transport.Stream: it reads the client's bytes, feeds them to the session,
// writes the replies (each whole, in one write, so that Nagle's algorithm
// never holds a reply back), waits out the delays a session asks for on the
// injected clock, upgrades to TLS when asked, sends what the session has to
// say between commands (IMAP IDLE), and ends an idle session on a timer.
package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/transport"
)

// readBufferSize is how much is read at once; it holds many pipelined
// commands.
const readBufferSize = 32 << 10

// streamChunk is how much of a long response (IMAP FETCH of every body) a
// Streamer produces before the driver sends it: the client starts reading
// while the rest is made, and the server never holds a whole mailbox's
// worth of response in memory.
const streamChunk = 256 << 10

// readBuffers recycles the read buffers of ended connections: a client
// that opens a connection per login would otherwise cost a fresh, zeroed
// readBufferSize each time, and the garbage collector the rest. Sessions
// copy what they are fed, so one buffer serves every read.
var readBuffers = sync.Pool{New: func() any {
	b := make([]byte, readBufferSize)
	return &b
}}

// Reply is what a session asks its driver to do after one command.
type Reply struct {
	// Delay is how long to wait before sending Data (failed logins).
	Delay time.Duration
	// Data are the bytes to send.
	Data []byte
	// StartTLS asks for TLS as the server once Data is sent.
	StartTLS bool
	// Close asks for the connection to end once Data is sent.
	Close bool
	// More says that the command's response goes on: once Data is sent,
	// the driver calls Feed(nil, now) for the next part before it reads
	// the client again. Only a session switched to streaming (Streamer)
	// says so, and it is the last reply of its Feed.
	More bool
}

// Session is a protocol session as the driver sees it. Feed, Poll, SetTLS,
// Abort and Expire are never called concurrently. Feed copies what it
// needs of p: the driver reads into the same buffer again.
type Session interface {
	Greeting() []byte
	Feed(p []byte, now time.Time) []Reply
	SetTLS()
	// Abort ends a session whose connection went away.
	Abort()
	// Expire ends a session that idled out; the driver has sent
	// Options.ExpireLine already if it could.
	Expire() Reply
}

// A Streamer is a Session that can send a long response in parts of about
// chunk octets (Reply.More) when asked to. Callers that collect replies
// whole (the playground, the conformance runner) leave it off.
type Streamer interface {
	Stream(chunk int)
}

// Options configure one connection.
type Options struct {
	// Name prefixes errors ("pop3").
	Name string
	// Clock drives the idle timer and the delays; nil means the real one.
	Clock clock.Clock
	// Timeout ends a session that sends nothing for this long.
	Timeout time.Duration
	// ExpireLine is what the idle timer sends before closing. The timer
	// runs on its own goroutine, so it is fixed in advance rather than
	// asked of the session.
	ExpireLine []byte
	// StartTLS upgrades the stream; nil when TLS is not offered.
	StartTLS func(transport.Stream) (transport.Stream, error)
	// Wake, when not nil, signals that Poll may have something to send
	// outside a command's response.
	Wake <-chan struct{}
	Poll func(now time.Time) []byte
}

// Run drives sess on stream until the session closes, the connection
// ends, the session idles out or ctx is cancelled. It closes the stream.
// A connection that simply ends is not an error.
func Run(ctx context.Context, sess Session, stream transport.Stream, opts Options) error {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	conn := transport.NewGuarded(stream)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	idle := clk.AfterFunc(opts.Timeout, func() {
		conn.MarkExpired()
		// A driver blocked writing to a client that does not read cannot
		// be interrupted politely; then the line is skipped.
		conn.TrySend(opts.ExpireLine)
		conn.Close()
	})
	defer idle.Stop()
	d := &run{ctx: ctx, sess: sess, conn: conn, clk: clk, opts: opts}
	if st, ok := sess.(Streamer); ok {
		st.Stream(streamChunk)
	}
	if err := conn.Send(sess.Greeting()); err != nil {
		return d.finish(fmt.Errorf("greeting: %w", err))
	}
	if opts.Wake != nil {
		d.stop, d.polled = make(chan struct{}), make(chan struct{})
		go d.poll()
	}

	// The session's goroutine reads the connection itself: a command is
	// answered without handing its bytes to another goroutine first. What
	// the session has to say between commands (Wake) is sent by d.poll,
	// which takes turns with Feed under d.mu.
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	buf := *bp
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			idle.Reset(opts.Timeout)
			if done, ferr := d.feed(buf[:n]); done {
				return d.finish(ferr)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || conn.Closed() {
				err = nil
			}
			return d.finish(err)
		}
	}
}

type run struct {
	ctx  context.Context
	sess Session
	conn *transport.Guarded
	clk  clock.Clock
	opts Options
	// mu lets feed and poll take turns with the session and the output.
	mu  sync.Mutex
	out bytes.Buffer
	// stop ends poll, which closes polled when it has returned; both nil
	// without Wake. finish waits for polled before it ends the session,
	// so poll never meets an ended one.
	stop, polled chan struct{}
}

// poll sends what the session has to say between commands whenever Wake
// fires, until the connection ends.
func (d *run) poll() {
	defer close(d.polled)
	for {
		select {
		case <-d.stop:
			return
		case <-d.opts.Wake:
		}
		d.mu.Lock()
		data := d.opts.Poll(d.clk.Now())
		if len(data) > 0 {
			if err := d.conn.Send(data); err != nil {
				// The reading side sees the closed connection and ends.
				d.conn.Close()
			}
		}
		d.mu.Unlock()
	}
}

// feed hands the session a chunk of input and carries out its replies,
// then the further parts of a streamed response. done reports that the
// session or the connection has ended.
func (d *run) feed(p []byte) (done bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		more, done, err := d.feedOnce(p)
		if done || !more {
			return done, err
		}
		p = nil
	}
}

func (d *run) feedOnce(p []byte) (more, done bool, err error) {
	for _, r := range d.sess.Feed(p, d.clk.Now()) {
		if r.Delay > 0 {
			if err := d.flush(); err != nil {
				return false, true, err
			}
			// Cancelling ctx cuts the delay short.
			if !clock.Wait(d.clk, r.Delay, d.ctx.Done()) {
				return false, true, nil
			}
		}
		d.out.Write(r.Data)
		if r.StartTLS || r.Close {
			if err := d.flush(); err != nil {
				return false, true, err
			}
		}
		if r.Close {
			return false, true, nil
		}
		if r.StartTLS {
			ts, err := d.opts.StartTLS(d.conn.Stream())
			if err != nil {
				return false, true, fmt.Errorf("start TLS: %w", err)
			}
			d.conn.Replace(ts)
			d.sess.SetTLS()
		}
		more = r.More
	}
	// Everything one read asked for goes out in one write (or one per
	// part of a streamed response).
	if err := d.flush(); err != nil {
		return false, true, err
	}
	return more, false, nil
}

func (d *run) flush() error {
	err := d.conn.Send(d.out.Bytes())
	d.out.Reset()
	return err
}

func (d *run) finish(err error) error {
	if d.polled != nil {
		close(d.stop)
		// poll may be blocked in a send to a client that does not read:
		// closing the connection frees it.
		d.conn.Close()
		<-d.polled
	}
	if d.conn.Expired() {
		d.sess.Expire()
	} else {
		d.sess.Abort()
	}
	d.conn.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", d.opts.Name, err)
	}
	return nil
}
