package main

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
)

// quickAckConn asks the kernel to acknowledge at once, instead of delaying
// the ACK, whenever it reads again without having written since its last
// read. A client that leaves Nagle's algorithm on and writes a command in
// two small pieces (imaplib sends an APPEND literal and its closing CRLF
// separately) holds the second piece until the first is acknowledged; a
// server waiting for that piece has nothing to send that could carry the
// ACK, so without this the ACK waits for the delayed-ACK timer, about 40 ms
// per command. After a write the ACK has gone with the reply, and the
// system call is spared. TCP_QUICKACK is not sticky (tcp(7)), hence once
// per such read.
type quickAckConn struct {
	net.Conn
	tc *net.TCPConn // the same connection
	// raw is made at the first read that needs it, which a short session
	// (a login and a logout) never does; only Read touches it.
	raw syscall.RawConn
	// wrote is set by Write and cleared by Read, which run on different
	// goroutines.
	wrote atomic.Bool
}

// withQuickAck wraps TCP connections; others are returned as they are.
func withQuickAck(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	q := &quickAckConn{Conn: c, tc: tc}
	q.wrote.Store(true) // nothing read yet: nothing to acknowledge
	return q
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	if !c.wrote.Swap(false) {
		c.quickAck()
	}
	return c.Conn.Read(p)
}

// quickAck sets TCP_QUICKACK; a failure only costs the delay it avoids.
func (c *quickAckConn) quickAck() {
	if c.raw == nil {
		raw, err := c.tc.SyscallConn()
		if err != nil {
			return
		}
		c.raw = raw
	}
	c.raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}

func (c *quickAckConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

// Keep-alive probes on session connections, as Go sets them on each
// accepted connection by default: the first after 15 s of silence, then
// every 15 s, and the connection is dropped after 9 unanswered.
const (
	keepAliveIdle     = 15 // seconds
	keepAliveInterval = 15 // seconds
	keepAliveCount    = 9
)

// listenSessions listens on a session listener's TCP address. The
// keep-alive options are set once on the listening socket, which Linux
// copies to every connection it accepts (tcp(7), socket(7)), instead of
// by four setsockopt calls per accepted connection: under a storm of
// short connections those were about 4% of the server's time.
// TestListenSessionsKeepAlive checks the accepted side.
func listenSessions(addr string) (net.Listener, error) {
	lc := net.ListenConfig{
		KeepAlive: -1, // the accepted sockets have them already
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				for _, o := range []struct {
					level, opt, value int
					name              string
				}{
					{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1, "SO_KEEPALIVE"},
					{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, keepAliveIdle, "TCP_KEEPIDLE"},
					{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, keepAliveInterval, "TCP_KEEPINTVL"},
					{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, keepAliveCount, "TCP_KEEPCNT"},
				} {
					if err := syscall.SetsockoptInt(int(fd), o.level, o.opt, o.value); err != nil {
						serr = fmt.Errorf("setsockopt %s: %w", o.name, err)
						return
					}
				}
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
	return lc.Listen(context.Background(), "tcp", addr)
}
