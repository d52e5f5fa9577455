package smtp

import (
	"context"
	"fmt"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/transport"
)

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
	err := driver.Run(ctx, sess, stream, driver.Options{
		Name:       fmt.Sprintf("smtp: session %d", opts.ID),
		Clock:      clk,
		Timeout:    timeout,
		ExpireLine: sess.expireLine(),
		StartTLS:   opts.StartTLS,
	})
	return sess, err
}

// expireLine is the 421 reply Expire sends; it changes nothing, so the
// timer goroutine may call it.
func (s *Session) expireLine() []byte {
	return replyLine(421, "4.4.2", s.cfg.hostname()+" Error: timeout exceeded")
}
