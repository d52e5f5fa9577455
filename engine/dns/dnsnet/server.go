package dnsnet

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/transport"
)

// DefaultTCPIdleTimeout is how long a server keeps a TCP connection with no
// query in progress before closing it. RFC 7766 §6.2.3 asks servers to time
// out idle connections and advises at least a few seconds; RFC 1035 §4.2.2's
// two minutes predates busy servers. A client that got its answer closes
// first anyway (RFC 7766 §6.2.3), which is what dnsnet's Client does.
const DefaultTCPIdleTimeout = 10 * time.Second

// ServerOptions configure Serve. The zero value is usable.
type ServerOptions struct {
	// Clock stamps trace events and runs the TCP idle timeout. On a
	// simulated network it must be the network's clock, which also makes
	// TCP reads deterministic (see the package documentation). Nil means
	// clock.Real{}.
	Clock clock.Clock
	// OnMessage, if non-nil, observes every message the server receives
	// (TraceQuery, or TraceNote for one it ignores) and sends
	// (TraceResponse), with its wire bytes. It runs on the goroutine that
	// moved the message: the clock's, on a simulated network.
	OnMessage func(dns.TraceEvent)
	// Names, if non-nil, names the addresses in trace events (a world's
	// host names). Nil leaves the names empty.
	Names func(netip.Addr) string
	// TCPIdleTimeout overrides DefaultTCPIdleTimeout when positive.
	TCPIdleTimeout time.Duration
}

// ServerStats counts what a server has done.
type ServerStats struct {
	Queries   uint64 // messages handed to the handler
	Responses uint64 // responses sent, FORMERR included
	FormErrs  uint64 // FORMERR replies to messages that did not parse
	Ignored   uint64 // short messages and responses (QR=1), not answered
	TCPConns  uint64 // TCP connections accepted
	Panics    uint64 // handler panics, answered with SERVFAIL
}

// Server is a DNS server bound to a node's UDP and TCP port.
type Server struct {
	node  transport.Node
	port  uint16
	h     dns.Handler
	clk   clock.Clock
	trace tracer
	idle  time.Duration

	udp, tcp transport.Listener

	mu     sync.Mutex
	conns  []*tcpConn // open connections, in accept order
	closed bool

	queries, responses, formErrs, ignored, tcpConns, panics atomic.Uint64
}

// Serve binds h to port on node over UDP and TCP (RFC 1035 §4.2) and
// returns the running server.
//
// Bad input follows one policy, the same on both transports: a message
// shorter than the 12-octet header is dropped, as it has no ID to answer; a
// message with QR set is never answered, so two servers cannot bounce
// replies at each other; a message with a header that does not parse gets a
// bare FORMERR (RFC 1035 §4.1.1). Everything else goes to h, one call per
// message. A handler panic is recovered and answered with SERVFAIL.
//
// UDP answers go out from the address and port the query arrived on, and are
// truncated with TC set when larger than the requestor's payload size (RFC
// 1035 §4.2.1, RFC 6891 §6.2.3). TCP connections carry any number of
// length-prefixed queries (RFC 7766 §6.2.1), answered in the order handlers
// write, each answer in one write (RFC 7766 §8); there a handler may call
// WriteMsg several times, as a zone transfer answers with a sequence of
// messages (RFC 5936 §2.2), while over UDP a second call is ErrAnswered.
func Serve(node transport.Node, port uint16, h dns.Handler, opts ServerOptions) (*Server, error) {
	if h == nil {
		return nil, errors.New("dnsnet: nil handler")
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	idle := opts.TCPIdleTimeout
	if idle <= 0 {
		idle = DefaultTCPIdleTimeout
	}
	s := &Server{
		node:  node,
		port:  port,
		h:     h,
		clk:   clk,
		trace: tracer{on: opts.OnMessage, names: opts.Names, clk: clk},
		idle:  idle,
	}
	udp, err := node.ListenPacket(port, s.packet)
	if err != nil {
		return nil, fmt.Errorf("dnsnet: UDP port %d: %w", port, err)
	}
	s.port = udp.Port()
	tcp, err := node.ListenStream(s.port, s.accept)
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("dnsnet: TCP port %d: %w", s.port, err)
	}
	s.udp, s.tcp = udp, tcp
	return s, nil
}

// Port returns the bound port (useful when Serve was asked for port 0).
func (s *Server) Port() uint16 { return s.port }

// Stats returns the server's counters.
func (s *Server) Stats() ServerStats {
	return ServerStats{
		Queries:   s.queries.Load(),
		Responses: s.responses.Load(),
		FormErrs:  s.formErrs.Load(),
		Ignored:   s.ignored.Load(),
		TCPConns:  s.tcpConns.Load(),
		Panics:    s.panics.Load(),
	}
}

// Close unbinds both ports and closes open TCP connections. Answers written
// later to UDP requests are still sent; to TCP requests they fail.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	err := errors.Join(s.udp.Close(), s.tcp.Close())
	for _, c := range conns {
		c.close()
	}
	return err
}

// inbound applies the bad-input policy to one message and returns the
// request for the handler, or nil when it was dealt with here (answered with
// FORMERR through reply, or ignored).
func (s *Server) inbound(wire []byte, from, to netip.AddrPort, tcp bool, reply func([]byte) error) *dns.Request {
	switch {
	case len(wire) < headerLen:
		s.ignored.Add(1)
		s.trace.msg(dns.TraceNote, from, to, nil, wire, tcp, fmt.Sprintf("ignored: %d octets, shorter than a header", len(wire)))
		return nil
	case isResponse(wire):
		// Answering responses would let two servers loop.
		s.ignored.Add(1)
		m := new(mdns.Msg)
		if m.Unpack(wire) != nil {
			m = nil
		}
		s.trace.msg(dns.TraceNote, from, to, m, wire, tcp, "ignored: a response (QR=1) sent to a server")
		return nil
	}
	m, err := unpackStrict(wire)
	if err != nil {
		s.trace.msg(dns.TraceQuery, from, to, nil, wire, tcp, "malformed: "+err.Error())
		out := formErr(wire)
		if reply(out) == nil {
			s.formErrs.Add(1)
			s.responses.Add(1)
			var fm mdns.Msg
			_ = fm.Unpack(out)
			s.trace.msg(dns.TraceResponse, to, from, &fm, out, tcp, "")
		}
		return nil
	}
	s.queries.Add(1)
	s.trace.msg(dns.TraceQuery, from, to, m, wire, tcp, "")
	return &dns.Request{Msg: m, Wire: wire, From: from, To: to, TCP: tcp}
}

// serve calls the handler, answering SERVFAIL if it panics before writing.
func (s *Server) serve(w responder, r *dns.Request) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		s.panics.Add(1)
		s.trace.msg(dns.TraceNote, r.To, r.From, r.Msg, nil, r.TCP, fmt.Sprintf("handler panic: %v", p))
		if !w.answered() {
			m := new(mdns.Msg)
			m.SetRcode(r.Msg, mdns.RcodeServerFailure)
			_ = w.WriteMsg(m)
		}
	}()
	s.h.ServeDNS(w, r)
}

// responder is a ResponseWriter that knows whether it has written.
type responder interface {
	dns.ResponseWriter
	answered() bool
}

// packet receives one UDP datagram, inside the clock's advance.
func (s *Server) packet(from, to netip.AddrPort, payload []byte) {
	reply := func(wire []byte) error { return s.sendUDP(to, from, wire) }
	r := s.inbound(payload, from, to, false, reply)
	if r == nil {
		return
	}
	s.serve(&udpWriter{s: s, r: r}, r)
}

// sendFromer is the part of transport.Host that sends from a chosen address.
type sendFromer interface {
	SendPacketFrom(from, to netip.AddrPort, payload []byte) error
}

// sendUDP replies from the address the query was sent to, so a client on a
// multi-homed server sees the answer come from where it asked (RFC 5452 §9.1
// has clients drop it otherwise).
func (s *Server) sendUDP(local, remote netip.AddrPort, wire []byte) error {
	if n, ok := s.node.(sendFromer); ok && local.Addr().IsValid() {
		return n.SendPacketFrom(local, remote, wire)
	}
	return s.node.SendPacket(local.Port(), remote, wire)
}

type udpWriter struct {
	s    *Server
	r    *dns.Request
	mu   sync.Mutex
	done bool
}

func (w *udpWriter) answered() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

// WriteMsg packs m, truncated to the requestor's payload size, and sends it.
// It may be called once.
func (w *udpWriter) WriteMsg(m *mdns.Msg) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return ErrAnswered
	}
	wire, sent, err := packUDP(m, udpLimit(w.r.Msg))
	if err != nil {
		return fmt.Errorf("dnsnet: pack response: %w", err)
	}
	if err := w.s.sendUDP(w.r.To, w.r.From, wire); err != nil {
		return fmt.Errorf("dnsnet: send response: %w", err)
	}
	w.done = true
	w.s.responses.Add(1)
	w.s.trace.msg(dns.TraceResponse, w.r.To, w.r.From, sent, wire, false, "")
	return nil
}

// accept takes a new TCP connection, inside the clock's advance: it only
// registers the stream with a reader, which never blocks.
func (s *Server) accept(st transport.Stream, remote netip.AddrPort) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		st.Close()
		return
	}
	c := &tcpConn{
		s:      s,
		st:     st,
		remote: remote,
		local:  localAddr(s.node, remote.Addr(), s.port),
	}
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	s.tcpConns.Add(1)
	// A goroutine reader's first feed waits for c.mu, so it sees c.w.
	c.mu.Lock()
	c.idle = s.clk.AfterFunc(s.idle, c.idleTimeout)
	c.w = transport.Watch(s.clk, st, c.feed, func(error) { c.close() })
	c.mu.Unlock()
}

// tcpConn is one server-side TCP connection.
type tcpConn struct {
	s             *Server
	st            transport.Stream
	remote, local netip.AddrPort
	w             *transport.Watcher

	mu          sync.Mutex
	fr          framer
	idle        clock.Timer
	outstanding int  // queries not yet answered
	extended    bool // the idle timeout was extended for them
	closed      bool
}

// feed takes bytes read from the stream, inside the clock's advance on a
// simulated network, and serves each complete message.
func (c *tcpConn) feed(p []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	msgs := c.fr.push(p)
	c.idle.Reset(c.s.idle)
	c.extended = false
	c.mu.Unlock()
	for _, wire := range msgs {
		r := c.s.inbound(wire, c.remote, c.local, true, c.write)
		if r == nil {
			continue
		}
		c.mu.Lock()
		c.outstanding++
		c.mu.Unlock()
		c.s.serve(&tcpWriter{c: c, r: r}, r)
	}
}

// write sends one framed message in a single write (RFC 7766 §8).
func (c *tcpConn) write(wire []byte) error {
	out, err := frame(wire)
	if err != nil {
		return err
	}
	if _, err := c.st.Write(out); err != nil {
		return fmt.Errorf("dnsnet: TCP write to %v: %w", c.remote, err)
	}
	c.mu.Lock()
	w := c.w
	c.mu.Unlock()
	if w != nil {
		w.Poke()
	}
	return nil
}

// idleTimeout closes a connection that has had no query to work on for the
// idle timeout (RFC 7766 §6.2.3). One with answers pending gets one more
// period, as RFC 1035 §4.2.2 asks servers to wait for outstanding requests,
// but no more: a handler that never answers must not hold it open forever.
func (c *tcpConn) idleTimeout() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.outstanding > 0 && !c.extended {
		c.extended = true
		c.idle.Reset(c.s.idle)
		c.mu.Unlock()
		return
	}
	why := "TCP connection idle, closed"
	if c.outstanding > 0 {
		why = fmt.Sprintf("TCP connection closed with %d queries unanswered", c.outstanding)
	}
	c.mu.Unlock()
	c.s.trace.msg(dns.TraceNote, c.local, c.remote, nil, nil, true, why)
	c.close()
}

func (c *tcpConn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.idle != nil {
		c.idle.Stop()
	}
	w := c.w
	c.mu.Unlock()
	if w != nil {
		w.Stop()
	}
	c.st.Close()
	s := c.s
	s.mu.Lock()
	for i, o := range s.conns {
		if o == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
}

type tcpWriter struct {
	c  *tcpConn
	r  *dns.Request
	mu sync.Mutex
	n  int // messages written
}

func (w *tcpWriter) answered() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n > 0
}

// WriteMsg sends m on the connection the query came on. Unlike UDP it may be
// called several times: a zone transfer answers with a sequence of messages
// (RFC 5936 §2.2). A message over 65535 octets is ErrMsgTooLarge.
func (w *tcpWriter) WriteMsg(m *mdns.Msg) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	wire, err := m.Pack()
	if err != nil {
		return fmt.Errorf("dnsnet: pack response: %w", err)
	}
	c := w.c
	if len(wire) > maxTCPMessage {
		c.s.trace.msg(dns.TraceNote, c.local, c.remote, m, nil, true, fmt.Sprintf("response of %d octets not sent", len(wire)))
		return fmt.Errorf("%w: %d octets", ErrMsgTooLarge, len(wire))
	}
	if err := c.write(wire); err != nil {
		return err
	}
	if w.n == 0 {
		c.mu.Lock()
		c.outstanding--
		c.mu.Unlock()
	}
	w.n++
	c.s.responses.Add(1)
	c.s.trace.msg(dns.TraceResponse, c.local, c.remote, m, wire, true, "")
	return nil
}
