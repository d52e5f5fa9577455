// Package transport carries the engine's bytes without touching a socket.
//
// A [Stream] is an ordered, reliable byte stream, the shape of a TCP
// connection; a net.Conn is one, and [Pipe] gives an in-memory pair. [Network]
// simulates an internet on a virtual clock: hosts at netip addresses, links
// with latency and loss, datagrams (UDP, as DNS uses per RFC 1035 section
// 4.2.1) and streams (TCP, for large DNS answers and zone transfers per RFC
// 7766 and RFC 5936). Every packet and connection is reported as an [Event],
// so the playground can draw the traffic and tests can assert on it.
//
// Protocol code should depend on [Node], the part of the network one host
// sees, so the same server runs on a simulated [Host] or, at the edge, on real
// sockets. [Watch] reads a stream without blocking: on a virtual clock it
// hands arriving bytes to callbacks from the clock's own goroutine, at the
// instant they land, so sessions over simulated streams stay deterministic.
package transport

import (
	"errors"
	"io"
	"net/netip"
)

// Stream is an ordered, reliable, full-duplex byte stream. Close ends both
// directions: the peer reads io.EOF once it has drained what was sent.
type Stream interface {
	io.ReadWriteCloser
}

// PacketHandler receives one datagram. from is the sender, to the local
// address it was sent to (reply from there). payload is the handler's own copy.
type PacketHandler func(from, to netip.AddrPort, payload []byte)

// AcceptFunc receives a newly connected stream and the peer's address. It
// runs on the goroutine that advances the clock, so it must not block reading
// s: hand s to another goroutine, or read only what has already arrived.
type AcceptFunc func(s Stream, remote netip.AddrPort)

// Listener is a bound port. Closing it stops new datagrams or connections;
// established streams are unaffected.
type Listener interface {
	// Port is the bound port, useful when 0 asked for an ephemeral one.
	Port() uint16
	Close() error
}

// Node is the network as one host sees it: what a DNS server or resolver
// needs, implemented by the simulated [Host] and, outside the engine, by an
// adapter over real sockets.
type Node interface {
	// ListenPacket binds a datagram port (0 picks an ephemeral one).
	ListenPacket(port uint16, h PacketHandler) (Listener, error)
	// SendPacket sends a datagram from the given local port. Delivery is not
	// guaranteed and is never reported to the sender.
	SendPacket(from uint16, to netip.AddrPort, payload []byte) error
	// ListenStream binds a stream port (0 picks an ephemeral one).
	ListenStream(port uint16, accept AcceptFunc) (Listener, error)
	// DialStream connects to a listening stream port.
	DialStream(to netip.AddrPort) (Stream, error)
}

var (
	// ErrRefused is returned by DialStream when nothing listens at the
	// destination, and read from a stream whose listener went away before the
	// connection arrived.
	ErrRefused = errors.New("transport: connection refused")
	// ErrNoHost is returned by DialStream when no host has the destination
	// address.
	ErrNoHost = errors.New("transport: no host at address")
	// ErrAddrInUse is returned when a port is already bound.
	ErrAddrInUse = errors.New("transport: address already in use")
	// ErrDuplicateAddr is returned by AddHost when another host has one of
	// the addresses.
	ErrDuplicateAddr = errors.New("transport: duplicate address")
)

// Buffered reports how many bytes are waiting to be read on s, and whether a
// Read would return without blocking (with those bytes, io.EOF or an error). A
// driver that advances the clock on the same goroutine uses it so it never
// blocks forever. For streams not made by this package it returns 0, false.
func Buffered(s Stream) (n int, ready bool) {
	switch s := s.(type) {
	case *pipeEnd:
		return s.in.buffered()
	case *streamEnd:
		return s.in.buffered()
	}
	return 0, false
}
