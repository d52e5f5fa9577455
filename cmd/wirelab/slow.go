package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/wirelab/wirelab/engine/transport"
)

// Timeouts for slow clients, on every session listener. The engines end a
// session that sends nothing for their autologout time (IMAP 30 min, POP3
// 10 min); these end the ones that keep it busy without getting anywhere.
const (
	// DefaultLineTimeout: a command line (or a line of a message being
	// sent) must be complete this long after its first byte came, or the
	// connection is closed. A client sending a byte a second would
	// otherwise hold its session forever. Applies before TLS only: the
	// line ends cannot be seen in TLS records.
	DefaultLineTimeout = 60 * time.Second
	// DefaultWriteTimeout: one write to the client must finish this soon,
	// or the connection is closed. A client that never reads would
	// otherwise hold a goroutine and its buffers forever.
	DefaultWriteTimeout = 60 * time.Second
)

// slowConn enforces the line and write timeouts on one connection.
type slowConn struct {
	net.Conn
	line, write time.Duration

	mu      sync.Mutex
	partial time.Time // when the unfinished line began; zero for none
	tls     bool      // the line rule is off once TLS is on
}

func (c *slowConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if !c.tls && !c.partial.IsZero() {
		c.Conn.SetReadDeadline(c.partial.Add(c.line))
	} else {
		c.Conn.SetReadDeadline(time.Time{})
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		switch {
		case p[n-1] == '\n':
			c.partial = time.Time{}
		case bytes.IndexByte(p[:n], '\n') >= 0 || c.partial.IsZero():
			c.partial = time.Now() // a new line began in this read
		}
		c.mu.Unlock()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = errLineTimeout
	}
	return n, err
}

var errLineTimeout = errors.New("client took too long to send a line")

func (c *slowConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.write))
	n, err := c.Conn.Write(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = errors.New("client did not read its answers in time")
	}
	return n, err
}

// guardSlow wraps srv's serve function so that each connection gets the
// line and write timeouts.
func guardSlow(srv *sessionServer, line, write time.Duration) {
	inner := srv.serve
	srv.serve = func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (string, string, error) {
		sc := &slowConn{Conn: conn, line: line, write: write}
		return inner(ctx, sc, id, func(st transport.Stream) (transport.Stream, error) {
			sc.mu.Lock()
			sc.tls = true
			sc.mu.Unlock()
			return startTLS(st)
		})
	}
}
