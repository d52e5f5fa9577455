package dnsnet

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/transport"
)

// DefaultTimeout is how long the Client waits for an answer, per transport
// attempt (the UDP query, then the TCP retry), in the clock's time. A lab
// world's round trips are tens of milliseconds; 800 ms leaves a recursive
// server time to ask several others first while keeping the cost of a lost
// datagram visible. Retransmission policy (RFC 1035 §4.2.1) belongs to the
// resolver, which calls Exchange again.
const DefaultTimeout = 800 * time.Millisecond

// Client sends queries over a node's transports; it implements
// dns.Exchanger. Set the fields before the first Exchange. A Client is safe
// for concurrent use.
type Client struct {
	// Node sends and receives the messages.
	Node transport.Node
	// Clock times out exchanges and stamps trace events; on a simulated
	// network it must be the network's clock.
	Clock clock.Clock
	// Timeout overrides DefaultTimeout when positive.
	Timeout time.Duration
	// UDPSize is the EDNS(0) payload size advertised; 0 means
	// DefaultUDPSize.
	UDPSize uint16
	// NoEDNS sends queries without an OPT record, as a pre-EDNS client
	// would: answers are then limited to 512 octets over UDP.
	NoEDNS bool
	// TCP sends every query over TCP instead of UDP first.
	TCP bool
	// NoTCPFallback returns truncated UDP answers (TC set) as they are
	// instead of retrying over TCP.
	NoTCPFallback bool
	// OnTrace, if non-nil, observes the exchange: each query sent
	// (TraceQuery), the answer (TraceResponse), a timeout (TraceTimeout)
	// and decisions (TraceNote: responses ignored, the TCP retry), with
	// wire bytes and clock times. It runs on the goroutine that caused the
	// event: the clock's, on a simulated network.
	OnTrace func(dns.TraceEvent)
	// Names, if non-nil, names the addresses in trace events.
	Names func(netip.Addr) string

	queries, responses, mismatched, timeouts, tcpRetries atomic.Uint64
}

var _ dns.Exchanger = (*Client)(nil)

// ClientStats counts what a Client has done.
type ClientStats struct {
	Queries    uint64 // queries sent, over UDP or TCP
	Responses  uint64 // answers accepted
	Mismatched uint64 // responses ignored as not answering the query (RFC 5452)
	Timeouts   uint64 // exchanges that timed out
	TCPRetries uint64 // truncated UDP answers retried over TCP
}

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Queries:    c.queries.Load(),
		Responses:  c.responses.Load(),
		Mismatched: c.mismatched.Load(),
		Timeouts:   c.timeouts.Load(),
		TCPRetries: c.tcpRetries.Load(),
	}
}

func (c *Client) tracer() tracer { return tracer{on: c.OnTrace, names: c.Names, clk: c.Clock} }

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Exchange sends q to the server at to and calls done once with the answer
// or an error: ErrTimeout when none came in time, or a transport error.
//
// Over UDP the query leaves from a fresh ephemeral port, closed when the
// exchange ends. A datagram counts as the answer only if it comes from to,
// has QR set, q's ID and q's question (RFC 5452 §9.1); anything else is
// ignored, counted and traced, and the wait goes on. An answer with TC set
// is asked again over TCP (RFC 1035 §4.2.1, RFC 7766 §5) with a fresh
// timeout. q is not modified: the OPT record (RFC 6891 §6.1.1) goes on a
// copy, unless NoEDNS is set or q has one. Errors found before anything is
// sent (no port, nothing listening for TCP) call done before Exchange
// returns.
func (c *Client) Exchange(to netip.AddrPort, q *mdns.Msg, done func(resp *mdns.Msg, err error)) {
	if c.Node == nil || c.Clock == nil {
		done(nil, errors.New("dnsnet: Client needs a Node and a Clock"))
		return
	}
	if len(q.Question) == 0 {
		done(nil, errors.New("dnsnet: query has no question"))
		return
	}
	sent := q
	if !c.NoEDNS && q.IsEdns0() == nil {
		size := c.UDPSize
		if size == 0 {
			size = DefaultUDPSize
		}
		cp := *q
		cp.Extra = slices.Clone(q.Extra)
		cp.SetEdns0(size, false)
		sent = &cp
	}
	wire, err := sent.Pack()
	if err != nil {
		done(nil, fmt.Errorf("dnsnet: pack query: %w", err))
		return
	}
	x := &exchange{c: c, to: unmap(to), q: sent, wire: wire, done: done, trace: c.tracer()}
	x.mu.Lock()
	x.timer = c.Clock.AfterFunc(c.timeout(), x.expire)
	if c.TCP {
		err = x.startTCPLocked()
	} else {
		err = x.startUDPLocked()
	}
	x.mu.Unlock()
	if err != nil {
		x.finish(nil, err)
	}
}

// exchange is one query in flight.
type exchange struct {
	c     *Client
	to    netip.AddrPort
	q     *mdns.Msg // as sent, with OPT
	wire  []byte
	done  func(*mdns.Msg, error)
	trace tracer

	mu       sync.Mutex
	finished bool
	timer    clock.Timer
	local    netip.AddrPort
	ln       transport.Listener // UDP
	tcp      bool
	st       transport.Stream
	w        *transport.Watcher
	fr       framer
}

func (x *exchange) startUDPLocked() error {
	ln, err := x.c.Node.ListenPacket(0, x.packet)
	if err != nil {
		return fmt.Errorf("dnsnet: UDP listen: %w", err)
	}
	x.ln = ln
	x.local = localAddr(x.c.Node, x.to.Addr(), ln.Port())
	x.c.queries.Add(1)
	x.trace.msg(dns.TraceQuery, x.local, x.to, x.q, x.wire, false, "")
	if err := x.c.Node.SendPacket(ln.Port(), x.to, x.wire); err != nil {
		return fmt.Errorf("dnsnet: UDP send to %v: %w", x.to, err)
	}
	return nil
}

// startTCPLocked dials, sends the query with its length prefix and starts
// reading (RFC 1035 §4.2.2).
func (x *exchange) startTCPLocked() error {
	x.tcp = true
	st, err := x.c.Node.DialStream(x.to)
	if err != nil {
		return fmt.Errorf("dnsnet: TCP to %v: %w", x.to, err)
	}
	x.st = st
	x.local = localAddr(x.c.Node, x.to.Addr(), 0)
	out, err := frame(x.wire)
	if err != nil {
		return err
	}
	x.c.queries.Add(1)
	x.trace.msg(dns.TraceQuery, x.local, x.to, x.q, x.wire, true, "")
	if _, err := st.Write(out); err != nil {
		return fmt.Errorf("dnsnet: TCP write to %v: %w", x.to, err)
	}
	x.w = transport.Watch(x.c.Clock, st, x.streamData, x.streamEnd)
	return nil
}

// packet receives a datagram on the exchange's port.
func (x *exchange) packet(from, _ netip.AddrPort, payload []byte) {
	x.mu.Lock()
	if x.finished || x.tcp {
		x.mu.Unlock()
		return
	}
	resp, why := x.match(unmap(from), payload)
	if why != "" {
		x.mu.Unlock()
		x.c.mismatched.Add(1)
		x.trace.msg(dns.TraceNote, from, x.local, resp, payload, false, "ignored: "+why)
		return
	}
	if !resp.Truncated || x.c.NoTCPFallback {
		x.mu.Unlock()
		x.finishWire(resp, payload, false)
		return
	}
	// RFC 1035 §4.2.1: the answer did not fit; ask again over TCP.
	x.trace.msg(dns.TraceResponse, from, x.local, resp, payload, false, "truncated, retrying over TCP")
	x.c.tcpRetries.Add(1)
	x.ln.Close()
	x.timer.Reset(x.c.timeout())
	err := x.startTCPLocked()
	x.mu.Unlock()
	if err != nil {
		x.finish(nil, err)
	}
}

// match checks a datagram against the query (RFC 5452 §9.1) and says why it
// is not the answer, if it is not.
func (x *exchange) match(from netip.AddrPort, wire []byte) (*mdns.Msg, string) {
	if from != x.to {
		m := new(mdns.Msg)
		if m.Unpack(wire) != nil {
			m = nil
		}
		return m, fmt.Sprintf("from %v, not %v", from, x.to)
	}
	m, err := unpackStrict(wire)
	if err != nil {
		return nil, "malformed: " + err.Error()
	}
	switch {
	case !m.Response:
		return m, "not a response (QR=0)"
	case m.Id != x.q.Id:
		return m, fmt.Sprintf("ID %d, not %d", m.Id, x.q.Id)
	case !sameQuestion(x.q, m):
		return m, "question does not match"
	}
	return m, ""
}

// streamData takes bytes from the TCP connection.
func (x *exchange) streamData(p []byte) {
	x.mu.Lock()
	if x.finished {
		x.mu.Unlock()
		return
	}
	msgs := x.fr.push(p)
	x.mu.Unlock()
	for _, wire := range msgs {
		// The connection is ours, so the source is right; RFC 7766 §7 still
		// has responses matched by ID and question.
		resp, why := x.match(x.to, wire)
		if why != "" {
			x.c.mismatched.Add(1)
			x.trace.msg(dns.TraceNote, x.to, x.local, resp, wire, true, "ignored: "+why)
			continue
		}
		x.finishWire(resp, wire, true)
		return
	}
}

func (x *exchange) streamEnd(err error) {
	if errors.Is(err, io.EOF) {
		err = ErrConnClosed
	}
	x.finish(nil, fmt.Errorf("dnsnet: TCP from %v: %w", x.to, err))
}

func (x *exchange) expire() {
	if ok, tcp := x.end(); ok {
		x.c.timeouts.Add(1)
		x.trace.msg(dns.TraceTimeout, x.local, x.to, x.q, nil, tcp, fmt.Sprintf("no answer in %v", x.c.timeout()))
		x.done(nil, ErrTimeout)
	}
}

// finishWire ends the exchange with an accepted answer.
func (x *exchange) finishWire(resp *mdns.Msg, wire []byte, tcp bool) {
	if ok, _ := x.end(); ok {
		x.c.responses.Add(1)
		x.trace.msg(dns.TraceResponse, x.to, x.local, resp, wire, tcp, "")
		x.done(resp, nil)
	}
}

// finish ends the exchange with an error.
func (x *exchange) finish(resp *mdns.Msg, err error) {
	if ok, tcp := x.end(); ok {
		x.trace.msg(dns.TraceNote, x.local, x.to, x.q, nil, tcp, err.Error())
		x.done(resp, err)
	}
}

// end releases the exchange's port, connection and timer, and reports
// whether this call ended it (so done runs once) and whether it was over TCP.
func (x *exchange) end() (ended, tcp bool) {
	x.mu.Lock()
	if x.finished {
		x.mu.Unlock()
		return false, false
	}
	x.finished = true
	ln, st, w, tcp := x.ln, x.st, x.w, x.tcp
	if x.timer != nil {
		x.timer.Stop()
	}
	x.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	if w != nil {
		w.Stop()
	}
	if st != nil {
		// RFC 7766 §6.2.3: the client closes once it has what it asked for.
		st.Close()
	}
	return true, tcp
}
