package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/transport"
)

// readBufferSize is how much the driver reads at once; a command line is at
// most MaxCommandLine octets, so this holds many pipelined commands.
const readBufferSize = 4096

// ServeOptions configure one connection.
type ServeOptions struct {
	// Clock drives the autologout timer and the failed-login delay. Nil
	// means the real clock.
	Clock clock.Clock
	// ID numbers the session (it goes into the APOP timestamp).
	ID uint64
	// StartTLS upgrades the stream to TLS as the server. Nil means STLS is
	// not offered.
	StartTLS func(transport.Stream) (transport.Stream, error)
	// TLS says the stream is already encrypted (POP3S).
	TLS bool
	// Autologout overrides AutologoutTimeout; zero keeps it.
	Autologout time.Duration
}

// Serve runs a POP3 session on a stream until the client quits, the
// connection fails, the session idles out or ctx is cancelled. It closes the
// stream and returns the finished session. A connection that ends without
// QUIT deletes nothing (RFC 1939 §6).
func Serve(ctx context.Context, cfg *Config, stream transport.Stream, opts ServeOptions) (*Session, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	timeout := opts.Autologout
	if timeout <= 0 {
		timeout = AutologoutTimeout
	}
	c := *cfg
	c.TLSAvailable = opts.StartTLS != nil
	sess := NewSession(&c, opts.ID, clk.Now())
	if opts.TLS {
		sess.SetTLS()
	}

	conn := transport.NewGuarded(stream)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	idle := clk.AfterFunc(timeout, func() {
		// The driver goroutine may be blocked writing to a client that
		// does not read; then there is nothing polite left to say.
		if conn.TrySend(sess.expireLine()) {
			conn.MarkExpired()
		}
		conn.Close()
	})
	defer idle.Stop()

	if err := conn.Send(sess.Greeting()); err != nil {
		sess.Abort()
		conn.Close()
		return sess, fmt.Errorf("pop3: greeting: %w", err)
	}
	buf := make([]byte, readBufferSize)
	var out bytes.Buffer
	for {
		n, rerr := conn.Read(buf)
		if n > 0 {
			idle.Reset(timeout)
			replies := sess.Feed(buf[:n], clk.Now())
			for _, r := range replies {
				if r.Delay > 0 {
					if err := conn.Send(out.Bytes()); err != nil {
						return finish(sess, conn, err)
					}
					out.Reset()
					// Cancelling ctx cuts the delay short.
					if !clock.Wait(clk, r.Delay, ctx.Done()) {
						return finish(sess, conn, nil)
					}
				}
				out.Write(r.Data)
				if r.StartTLS || r.Close {
					if err := conn.Send(out.Bytes()); err != nil {
						return finish(sess, conn, err)
					}
					out.Reset()
				}
				if r.Close {
					return finish(sess, conn, nil)
				}
				if r.StartTLS {
					tlsStream, err := opts.StartTLS(conn.Stream())
					if err != nil {
						return finish(sess, conn, fmt.Errorf("pop3: STLS: %w", err))
					}
					conn.Replace(tlsStream)
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
		if rerr != nil {
			if errors.Is(rerr, io.EOF) || conn.Closed() {
				rerr = nil
			}
			return finish(sess, conn, rerr)
		}
	}
}

func finish(sess *Session, conn *transport.Guarded, err error) (*Session, error) {
	if conn.Expired() {
		sess.Expire()
	} else {
		sess.Abort()
	}
	conn.Close()
	if err != nil {
		return sess, fmt.Errorf("pop3: session %d: %w", sess.id, err)
	}
	return sess, nil
}

func (s *Session) expireLine() []byte { return []byte("-ERR Disconnected for inactivity.\r\n") }
