package imap

import (
	"context"
	"strconv"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/transport"
)

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
	wake := make(chan struct{}, 1)
	sess.SetWake(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	err := driver.Run(ctx, sess, stream, driver.Options{
		Name:       "imap: session " + strconv.FormatUint(opts.ID, 10),
		Clock:      clk,
		Timeout:    timeout,
		ExpireLine: []byte(autologoutBye),
		StartTLS:   opts.StartTLS,
		Wake:       wake,
		Poll:       sess.Poll,
	})
	return sess, err
}
