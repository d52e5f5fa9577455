package smtp

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

// readBufferSize is how much the driver reads at once.
const readBufferSize = 4096

// ServeOptions configure one connection.
type ServeOptions struct {
	// Clock stamps Received: headers and drives the idle timeout. Nil
	// means the real clock.
	Clock clock.Clock
	// ID numbers the session; queue ids derive from it.
	ID uint64
	// Peer is the client's address, for Received: headers.
	Peer string
	// StartTLS upgrades the stream to TLS as the server. Nil means
	// STARTTLS is not offered.
	StartTLS func(transport.Stream) (transport.Stream, error)
	// TLS says the stream is already encrypted (implicit TLS, RFC 8314).
	TLS bool
	// Timeout overrides ServerTimeout; zero keeps it.
	Timeout time.Duration
}

// Serve runs an SMTP session on a stream until the client quits, the
// connection fails, the session idles out or ctx is cancelled. It closes the
// stream and returns the finished session.
func Serve(ctx context.Context, cfg *Config, stream transport.Stream, opts ServeOptions) (*Session, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = ServerTimeout
	}
	c := *cfg
	c.TLSAvailable = opts.StartTLS != nil
	sess := NewSession(&c, opts.ID, opts.Peer)
	if opts.TLS {
		sess.SetTLS()
	}

	conn := transport.NewGuarded(stream)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	idle := clk.AfterFunc(timeout, func() {
		if conn.TrySend(sess.expireLine()) {
			conn.MarkExpired()
		}
		conn.Close()
	})
	defer idle.Stop()

	if err := conn.Send(sess.Greeting()); err != nil {
		sess.Abort()
		conn.Close()
		return sess, fmt.Errorf("smtp: greeting: %w", err)
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
						return finish(sess, conn, fmt.Errorf("smtp: STARTTLS: %w", err))
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
		return sess, fmt.Errorf("smtp: session %d: %w", sess.id, err)
	}
	return sess, nil
}

// expireLine is the 421 reply Expire sends; it changes nothing, so the
// timer goroutine may call it.
func (s *Session) expireLine() []byte {
	return replyLine(421, "4.4.2", s.cfg.hostname()+" Error: timeout exceeded")
}
