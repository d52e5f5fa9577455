package pop3

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
	err := driver.Run(ctx, sess, stream, driver.Options{
		Name:       fmt.Sprintf("pop3: session %d", opts.ID),
		Clock:      clk,
		Timeout:    timeout,
		ExpireLine: sess.expireLine(),
		StartTLS:   opts.StartTLS,
	})
	return sess, err
}

func (s *Session) expireLine() []byte { return []byte("-ERR Disconnected for inactivity.\r\n") }
