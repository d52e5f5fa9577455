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

// readBuffers recycles the read buffers of ended connections: a client
// that opens a connection per login would otherwise cost a fresh, zeroed
// readBufferSize each time, and the garbage collector the rest. Every read
// is copied out before the buffer is read into again.
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
}

// Session is a protocol session as the driver sees it. Feed, Poll, SetTLS,
// Abort and Expire are called from the driver's goroutine only.
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
	if err := conn.Send(sess.Greeting()); err != nil {
		return d.finish(fmt.Errorf("greeting: %w", err))
	}

	// Reads happen on their own goroutine so that Wake can be served while
	// the client is silent.
	type readResult struct {
		data []byte
		err  error
	}
	reads := make(chan readResult)
	next := make(chan struct{}, 1)
	go func() {
		bp := readBuffers.Get().(*[]byte)
		defer readBuffers.Put(bp)
		buf := *bp
		for range next {
			n, err := conn.Read(buf)
			reads <- readResult{append([]byte(nil), buf[:n]...), err}
			if err != nil {
				return
			}
		}
	}()
	defer close(next)
	next <- struct{}{}
	for {
		select {
		case <-opts.Wake:
			if data := opts.Poll(clk.Now()); len(data) > 0 {
				if err := conn.Send(data); err != nil {
					return d.finish(err)
				}
			}
		case r := <-reads:
			if len(r.data) > 0 {
				idle.Reset(opts.Timeout)
				if done, err := d.feed(r.data); done {
					return d.finish(err)
				}
			}
			if r.err != nil {
				err := r.err
				if errors.Is(err, io.EOF) || conn.Closed() {
					err = nil
				}
				return d.finish(err)
			}
			next <- struct{}{}
		}
	}
}

type run struct {
	ctx  context.Context
	sess Session
	conn *transport.Guarded
	clk  clock.Clock
	opts Options
	out  bytes.Buffer
}

// feed hands the session a chunk of input and carries out its replies.
// done reports that the session or the connection has ended.
func (d *run) feed(p []byte) (done bool, err error) {
	for _, r := range d.sess.Feed(p, d.clk.Now()) {
		if r.Delay > 0 {
			if err := d.flush(); err != nil {
				return true, err
			}
			// Cancelling ctx cuts the delay short.
			if !clock.Wait(d.clk, r.Delay, d.ctx.Done()) {
				return true, nil
			}
		}
		d.out.Write(r.Data)
		if r.StartTLS || r.Close {
			if err := d.flush(); err != nil {
				return true, err
			}
		}
		if r.Close {
			return true, nil
		}
		if r.StartTLS {
			ts, err := d.opts.StartTLS(d.conn.Stream())
			if err != nil {
				return true, fmt.Errorf("start TLS: %w", err)
			}
			d.conn.Replace(ts)
			d.sess.SetTLS()
		}
	}
	// Everything one read asked for goes out in one write.
	if err := d.flush(); err != nil {
		return true, err
	}
	return false, nil
}

func (d *run) flush() error {
	err := d.conn.Send(d.out.Bytes())
	d.out.Reset()
	return err
}

func (d *run) finish(err error) error {
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
