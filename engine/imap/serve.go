package imap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/transport"
)

// readBufferSize is how much the driver reads at once.
const readBufferSize = 32 << 10

// ServeOptions configure one connection.
type ServeOptions struct {
	// Clock drives the autologout timer and login delays; nil means the
	// real clock.
	Clock clock.Clock
	ID    uint64
	// StartTLS upgrades the stream; nil means STARTTLS is not offered.
	StartTLS func(transport.Stream) (transport.Stream, error)
	// TLS says the stream is encrypted from the start (IMAPS).
	TLS bool
	// Autologout overrides AutologoutTimeout when positive.
	Autologout time.Duration
}

// Poll returns what the session may send without a command: updates from
// other sessions while the client IDLEs (RFC 2177). Outside IDLE it returns
// nothing; the updates wait for the next command's response.
func (s *Session) Poll(now time.Time) []byte {
	if s.idleTag == "" || s.sel == nil {
		return nil
	}
	e := imapwire.NewEncoder(nil)
	s.flushUpdates(e, true)
	return e.Bytes()
}

// Serve runs a session on a stream until LOGOUT, the connection ends, the
// session idles out or ctx is cancelled. It closes the stream.
func Serve(ctx context.Context, cfg *Config, stream transport.Stream, opts ServeOptions) (*Session, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	timeout := opts.Autologout
	if timeout <= 0 {
		timeout = AutologoutTimeout
	}
	sess := NewSession(cfg, opts.ID)
	sess.tlsAvailable = opts.StartTLS != nil
	if opts.TLS {
		sess.SetTLS()
	}
	conn := transport.NewGuarded(stream)
	wake := make(chan struct{}, 1)
	sess.SetWake(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	idle := clk.AfterFunc(timeout, func() {
		conn.MarkExpired()
		// A driver blocked writing to a client that does not read cannot
		// be interrupted politely; then the BYE is skipped.
		conn.TrySend([]byte("* BYE Autologout; idle for too long\r\n"))
		conn.Close()
	})
	defer idle.Stop()

	if err := conn.Send(sess.Greeting()); err != nil {
		sess.Abort()
		conn.Close()
		return sess, fmt.Errorf("imap: greeting: %w", err)
	}
	type readResult struct {
		data []byte
		err  error
	}
	reads := make(chan readResult)
	next := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, readBufferSize)
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
	var out bytes.Buffer
	for {
		select {
		case <-wake:
			if data := sess.Poll(clk.Now()); len(data) > 0 {
				if err := conn.Send(data); err != nil {
					return finish(sess, conn, err)
				}
			}
		case r := <-reads:
			if len(r.data) > 0 {
				idle.Reset(timeout)
				for _, rep := range sess.Feed(r.data, clk.Now()) {
					if rep.Delay > 0 {
						if err := conn.Send(out.Bytes()); err != nil {
							return finish(sess, conn, err)
						}
						out.Reset()
						if !clock.Wait(clk, rep.Delay, ctx.Done()) {
							return finish(sess, conn, nil)
						}
					}
					out.Write(rep.Data)
					if rep.StartTLS || rep.Close {
						if err := conn.Send(out.Bytes()); err != nil {
							return finish(sess, conn, err)
						}
						out.Reset()
					}
					if rep.Close {
						return finish(sess, conn, nil)
					}
					if rep.StartTLS {
						ts, err := opts.StartTLS(conn.Stream())
						if err != nil {
							return finish(sess, conn, fmt.Errorf("imap: STARTTLS: %w", err))
						}
						conn.Replace(ts)
						sess.SetTLS()
					}
				}
				if out.Len() > 0 {
					if err := conn.Send(out.Bytes()); err != nil {
						return finish(sess, conn, err)
					}
					out.Reset()
				}
			}
			if r.err != nil {
				err := r.err
				if errors.Is(err, io.EOF) || conn.Closed() {
					err = nil
				}
				return finish(sess, conn, err)
			}
			next <- struct{}{}
		}
	}
}

func finish(sess *Session, c *transport.Guarded, err error) (*Session, error) {
	if c.Expired() {
		sess.Expire()
	} else {
		sess.Abort()
	}
	c.Close()
	if err != nil {
		return sess, fmt.Errorf("imap: session %d: %w", sess.id, err)
	}
	return sess, nil
}
