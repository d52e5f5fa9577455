package main

import (
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
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	q := &quickAckConn{Conn: c, raw: raw}
	q.wrote.Store(true) // nothing read yet: nothing to acknowledge
	return q
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	if !c.wrote.Swap(false) {
		c.raw.Control(func(fd uintptr) {
			// A failure only costs the delay this avoids.
			syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
	return c.Conn.Read(p)
}

func (c *quickAckConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}
