package dnsnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
)

const (
	// headerLen is the fixed DNS header, RFC 1035 §4.1.1: shorter input
	// carries no ID to answer to.
	headerLen = 12

	// maxTCPMessage is the largest message a stream can carry: RFC 1035
	// §4.2.2 and RFC 7766 §8 prefix each message with a two-octet length.
	maxTCPMessage = 65535

	// minUDPSize is the classic UDP limit, RFC 1035 §4.2.1. RFC 6891 §6.2.3
	// says smaller advertised EDNS payload sizes count as 512.
	minUDPSize = 512

	// DefaultUDPSize is the EDNS(0) UDP payload size the Client advertises
	// (RFC 6891 §6.2.3, §6.2.5): 1232 octets, the DNS Flag Day 2020 value and
	// Unbound's edns-buffer-size default, which fits the IPv6 minimum MTU of
	// 1280 less 48 octets of IPv6 and UDP headers, so answers never fragment.
	DefaultUDPSize = 1232
)

// Errors callers test with errors.Is.
var (
	// ErrTimeout ends an exchange or transfer that got no (complete)
	// answer in time.
	ErrTimeout = errors.New("dnsnet: timeout")
	// ErrMsgTooLarge is returned for a message that does not fit the
	// two-octet length prefix of DNS over TCP (RFC 1035 §4.2.2).
	ErrMsgTooLarge = errors.New("dnsnet: message longer than 65535 octets")
	// ErrAnswered is returned by a UDP ResponseWriter written twice: a
	// datagram query gets one datagram back.
	ErrAnswered = errors.New("dnsnet: request already answered")
	// ErrConnClosed ends a TCP exchange or transfer whose connection closed
	// before the answer was complete.
	ErrConnClosed = errors.New("dnsnet: connection closed before the answer")
	// ErrTransferLimit ends a zone transfer that exceeded its message or
	// byte limit without the closing SOA.
	ErrTransferLimit = errors.New("dnsnet: zone transfer limit exceeded")
	// ErrMalformed reports a response that breaks the protocol in a way
	// that ends a transfer (unparseable, wrong ID, no opening SOA).
	ErrMalformed = errors.New("dnsnet: malformed response")
)

// RcodeError is a zone transfer refused or failed by the server.
type RcodeError struct {
	Rcode int
}

func (e *RcodeError) Error() string {
	return "dnsnet: server answered " + rcodeName(e.Rcode)
}

func rcodeName(rc int) string {
	if s, ok := mdns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// frame prefixes wire with its two-octet length (RFC 1035 §4.2.2), to be
// handed to the stream in one write (RFC 7766 §8).
func frame(wire []byte) ([]byte, error) {
	if len(wire) > maxTCPMessage {
		return nil, fmt.Errorf("%w: %d octets", ErrMsgTooLarge, len(wire))
	}
	out := make([]byte, 2+len(wire))
	binary.BigEndian.PutUint16(out, uint16(len(wire)))
	copy(out[2:], wire)
	return out, nil
}

// framer reassembles length-prefixed messages from stream reads, which may
// split a message or hold several (RFC 7766 §6.2.1.1, pipelining).
type framer struct {
	buf []byte
}

// push adds bytes and returns the messages they complete, each its own copy.
func (f *framer) push(p []byte) [][]byte {
	f.buf = append(f.buf, p...)
	var out [][]byte
	for len(f.buf) >= 2 {
		n := int(binary.BigEndian.Uint16(f.buf))
		if len(f.buf) < 2+n {
			break
		}
		out = append(out, append([]byte(nil), f.buf[2:2+n]...))
		f.buf = f.buf[2+n:]
	}
	if len(f.buf) == 0 {
		f.buf = nil
	}
	return out
}

// pending reports how many octets of an incomplete message are buffered.
func (f *framer) pending() int { return len(f.buf) }

// udpLimit is the largest UDP response a requestor accepts: its EDNS payload
// size, or 512 without EDNS, and never less than 512 (RFC 6891 §6.2.3).
func udpLimit(req *mdns.Msg) int {
	if opt := req.IsEdns0(); opt != nil {
		return max(int(opt.UDPSize()), minUDPSize)
	}
	return minUDPSize
}

// packUDP packs m for a UDP answer within limit octets, truncating a copy
// and setting TC when it does not fit (RFC 1035 §4.2.1). It returns the
// message it packed.
func packUDP(m *mdns.Msg, limit int) ([]byte, *mdns.Msg, error) {
	wire, err := m.Pack()
	if err != nil || len(wire) <= limit {
		return wire, m, err
	}
	t := m.Copy()
	t.Truncate(limit)
	wire, err = t.Pack()
	return wire, t, err
}

// formErr builds the reply to a message that has a header but does not
// parse: the same ID, opcode and RD, with QR set and RCODE FORMERR (RFC 1035
// §4.1.1). Nothing else of the message can be trusted.
func formErr(wire []byte) []byte {
	m := new(mdns.Msg)
	m.Id = binary.BigEndian.Uint16(wire)
	m.Response = true
	m.Opcode = int(wire[2]>>3) & 0xf
	m.RecursionDesired = wire[2]&1 != 0
	m.Rcode = mdns.RcodeFormatError
	out, _ := m.Pack() // a bare header always packs
	return out
}

// unpackStrict unpacks a message and checks that it holds as many records
// as its header counts: miekg/dns stops quietly at the end of the data, but
// a message that promises sections it does not carry is malformed (RFC 1035
// §4.1.1).
func unpackStrict(wire []byte) (*mdns.Msg, error) {
	m := new(mdns.Msg)
	if err := m.Unpack(wire); err != nil {
		return nil, err
	}
	counts := [4]int{len(m.Question), len(m.Answer), len(m.Ns), len(m.Extra)}
	for i, n := range counts {
		if want := int(binary.BigEndian.Uint16(wire[4+2*i:])); n != want {
			return nil, fmt.Errorf("section %d holds %d entries, header says %d", i, n, want)
		}
	}
	return m, nil
}

// isResponse reads the QR bit of a raw header.
func isResponse(wire []byte) bool { return wire[2]&0x80 != 0 }

// sameQuestion reports whether a response answers q (RFC 5452 §3, §9.1):
// the same name (case-insensitively, RFC 4343), type and class. A response
// without a question section is accepted only with an error RCODE, as a
// server that could not parse the query has none to echo.
func sameQuestion(q, r *mdns.Msg) bool {
	if len(r.Question) == 0 {
		return len(q.Question) == 0 || r.Rcode != mdns.RcodeSuccess
	}
	if len(q.Question) != len(r.Question) {
		return false
	}
	for i, a := range q.Question {
		b := r.Question[i]
		if a.Qtype != b.Qtype || a.Qclass != b.Qclass || !strings.EqualFold(a.Name, b.Name) {
			return false
		}
	}
	return true
}

// question renders the first question as "name TYPE".
func question(m *mdns.Msg) string {
	if m == nil || len(m.Question) == 0 {
		return ""
	}
	q := m.Question[0]
	return q.Name + " " + mdns.Type(q.Qtype).String()
}

// summary is the one-line account of a message for traces.
func summary(m *mdns.Msg, tcp bool) string {
	var b strings.Builder
	if m.Response {
		b.WriteString(rcodeName(m.Rcode))
	} else {
		op, ok := mdns.OpcodeToString[m.Opcode]
		if !ok {
			op = fmt.Sprintf("OPCODE%d", m.Opcode)
		}
		b.WriteString(op)
	}
	fmt.Fprintf(&b, " id %d", m.Id)
	for _, f := range []struct {
		on   bool
		name string
	}{
		{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.Truncated, "tc"},
		{m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"},
	} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	if m.Response {
		extra := len(m.Extra)
		if m.IsEdns0() != nil {
			extra--
		}
		fmt.Fprintf(&b, ", %d answer, %d authority, %d additional", len(m.Answer), len(m.Ns), extra)
	}
	if opt := m.IsEdns0(); opt != nil {
		fmt.Fprintf(&b, ", EDNS %d", opt.UDPSize())
	}
	if tcp {
		b.WriteString(", TCP")
	} else {
		b.WriteString(", UDP")
	}
	return b.String()
}

// tracer builds and hands out TraceEvents; a nil on makes it free.
type tracer struct {
	on    func(dns.TraceEvent)
	names func(netip.Addr) string
	clk   clock.Clock
}

func (t tracer) name(a netip.AddrPort) string {
	if t.names == nil || !a.Addr().IsValid() {
		return ""
	}
	return t.names(a.Addr())
}

// msg reports a message; m may be nil for one that did not parse.
func (t tracer) msg(kind dns.TraceKind, from, to netip.AddrPort, m *mdns.Msg, wire []byte, tcp bool, note string) {
	if t.on == nil {
		return
	}
	sum := note
	if m != nil {
		sum = summary(m, tcp)
		if note != "" {
			sum += "; " + note
		}
	}
	t.on(dns.TraceEvent{
		Kind:     kind,
		Time:     t.clk.Now(),
		From:     from,
		To:       to,
		FromName: t.name(from),
		ToName:   t.name(to),
		Question: question(m),
		Summary:  sum,
		Wire:     append([]byte(nil), wire...),
	})
}

// addrser is the part of transport.Host that tells a node's addresses.
type addrser interface {
	Addrs() []netip.Addr
}

// localAddr guesses the address node uses to reach peer (its first of the
// same family, as transport.Host does), for traces; the port is given.
func localAddr(node any, peer netip.Addr, port uint16) netip.AddrPort {
	if h, ok := node.(addrser); ok {
		for _, a := range h.Addrs() {
			if a.Is4() == peer.Unmap().Is4() {
				return netip.AddrPortFrom(a, port)
			}
		}
	}
	return netip.AddrPortFrom(netip.Addr{}, port)
}

// unmap normalises an address so that IPv4-mapped IPv6 compares equal to
// IPv4, as the transport does.
func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
