package dnsnet

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/transport"
)

// Zone transfer limits. RFC 5936 sets none; these keep a lab from waiting
// forever on, or filling memory from, a server that never sends the closing
// SOA.
const (
	// DefaultTransferTimeout is how long a transfer waits for the next
	// bytes from the server, reset whenever some arrive (BIND calls this
	// max-transfer-idle-in).
	DefaultTransferTimeout = 2 * time.Second
	// DefaultTransferMaxMessages bounds the messages of one transfer.
	DefaultTransferMaxMessages = 1000
	// DefaultTransferMaxBytes bounds the octets of one transfer, prefixes
	// included.
	DefaultTransferMaxBytes = 16 << 20
)

// TransferOptions configure TransferWith. The zero value means the defaults.
type TransferOptions struct {
	Timeout     time.Duration // DefaultTransferTimeout when not positive
	MaxMessages int           // DefaultTransferMaxMessages when not positive
	MaxBytes    int           // DefaultTransferMaxBytes when not positive
	// OnTrace and Names work as the Client's.
	OnTrace func(dns.TraceEvent)
	Names   func(netip.Addr) string
}

// Transfer asks the server at to for zone by AXFR over TCP (RFC 5936) and
// calls done once with the messages of the answer, from the one that opens
// with the zone's SOA to the one that closes with it again (RFC 5936 §2.2),
// or with an error: ErrTimeout, ErrTransferLimit, ErrConnClosed, ErrMalformed,
// an *RcodeError (the server refused) or a transport error. On error the
// messages received so far come with it. The query's ID comes from ids.
func Transfer(node transport.Node, clk clock.Clock, to netip.AddrPort, zone string, ids *dns.IDs, done func([]*mdns.Msg, error)) {
	TransferWith(node, clk, to, zone, ids, TransferOptions{}, done)
}

// TransferWith is Transfer with options.
func TransferWith(node transport.Node, clk clock.Clock, to netip.AddrPort, zone string, ids *dns.IDs, opts TransferOptions, done func([]*mdns.Msg, error)) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTransferTimeout
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultTransferMaxMessages
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultTransferMaxBytes
	}
	// RFC 5936 §2.1: QTYPE AXFR, QCLASS IN, no recursion.
	q := dns.NewQuery(ids, zone, mdns.TypeAXFR, false)
	t := &transfer{
		opts:  opts,
		to:    unmap(to),
		q:     q,
		done:  done,
		trace: tracer{on: opts.OnTrace, names: opts.Names, clk: clk},
		clk:   clk,
		local: localAddr(node, to.Addr(), 0),
	}
	wire, err := q.Pack()
	if err == nil {
		var out []byte
		if out, err = frame(wire); err == nil {
			t.mu.Lock()
			err = t.startLocked(node, wire, out)
			t.mu.Unlock()
		}
	}
	if err != nil {
		t.finish(err)
	}
}

// transfer is one AXFR in flight.
type transfer struct {
	opts  TransferOptions
	to    netip.AddrPort
	local netip.AddrPort
	q     *mdns.Msg
	done  func([]*mdns.Msg, error)
	trace tracer
	clk   clock.Clock

	mu       sync.Mutex
	finished bool
	st       transport.Stream
	w        *transport.Watcher
	timer    clock.Timer
	fr       framer
	msgs     []*mdns.Msg
	bytes    int
	soas     int // SOA records seen: the opening one, then the closing one
}

func (t *transfer) startLocked(node transport.Node, wire, out []byte) error {
	st, err := node.DialStream(t.to)
	if err != nil {
		return fmt.Errorf("dnsnet: AXFR from %v: %w", t.to, err)
	}
	t.st = st
	t.timer = t.clk.AfterFunc(t.opts.Timeout, t.expire)
	t.trace.msg(dns.TraceQuery, t.local, t.to, t.q, wire, true, "")
	if _, err := st.Write(out); err != nil {
		return fmt.Errorf("dnsnet: AXFR to %v: %w", t.to, err)
	}
	t.w = transport.Watch(t.clk, st, t.data, t.end)
	return nil
}

func (t *transfer) data(p []byte) {
	t.mu.Lock()
	if t.finished {
		t.mu.Unlock()
		return
	}
	t.timer.Reset(t.opts.Timeout)
	t.bytes += len(p)
	var err error
	complete := false
	if t.bytes > t.opts.MaxBytes {
		err = fmt.Errorf("%w: more than %d octets", ErrTransferLimit, t.opts.MaxBytes)
	}
	for _, wire := range t.fr.push(p) {
		if err != nil || complete {
			break
		}
		complete, err = t.messageLocked(wire)
	}
	t.mu.Unlock()
	switch {
	case err != nil:
		t.finish(err)
	case complete:
		t.finish(nil)
	}
}

// messageLocked adds one message of the answer and reports whether it
// completed the transfer.
func (t *transfer) messageLocked(wire []byte) (bool, error) {
	m, err := unpackStrict(wire)
	if err != nil {
		return false, fmt.Errorf("%w: AXFR message %d: %v", ErrMalformed, len(t.msgs)+1, err)
	}
	t.trace.msg(dns.TraceResponse, t.to, t.local, m, wire, true, "")
	// RFC 5936 §2.2.1: every message of the answer carries the query's ID;
	// §2.2.2: a question section, if present, is the query's.
	if !m.Response || m.Id != t.q.Id || (len(m.Question) > 0 && !sameQuestion(t.q, m)) {
		return false, fmt.Errorf("%w: AXFR message %d does not answer query %d", ErrMalformed, len(t.msgs)+1, t.q.Id)
	}
	if m.Rcode != mdns.RcodeSuccess {
		return false, &RcodeError{Rcode: m.Rcode}
	}
	if t.soas == 0 {
		// RFC 5936 §2.2: the answer opens with the zone's SOA.
		if len(m.Answer) == 0 || m.Answer[0].Header().Rrtype != mdns.TypeSOA {
			return false, fmt.Errorf("%w: AXFR answer does not open with the SOA", ErrMalformed)
		}
	}
	if len(t.msgs) == t.opts.MaxMessages {
		return false, fmt.Errorf("%w: more than %d messages", ErrTransferLimit, t.opts.MaxMessages)
	}
	t.msgs = append(t.msgs, m)
	for _, rr := range m.Answer {
		if rr.Header().Rrtype != mdns.TypeSOA {
			continue
		}
		if t.soas++; t.soas == 2 {
			// The closing SOA (RFC 5936 §2.2): the zone is complete.
			return true, nil
		}
	}
	return false, nil
}

func (t *transfer) end(err error) {
	if errors.Is(err, io.EOF) {
		t.mu.Lock()
		n := len(t.msgs)
		t.mu.Unlock()
		err = fmt.Errorf("%w after %d messages", ErrConnClosed, n)
	}
	t.finish(fmt.Errorf("dnsnet: AXFR from %v: %w", t.to, err))
}

func (t *transfer) expire() {
	t.finishKind(fmt.Errorf("dnsnet: AXFR of %s from %v: %w", t.q.Question[0].Name, t.to, ErrTimeout), dns.TraceTimeout)
}

func (t *transfer) finish(err error) { t.finishKind(err, dns.TraceNote) }

// finishKind ends the transfer once and closes the connection: the client
// does, once it has the zone (RFC 5936 §4.1.2).
func (t *transfer) finishKind(err error, kind dns.TraceKind) {
	t.mu.Lock()
	if t.finished {
		t.mu.Unlock()
		return
	}
	t.finished = true
	st, w, msgs := t.st, t.w, t.msgs
	if t.timer != nil {
		t.timer.Stop()
	}
	t.mu.Unlock()
	if w != nil {
		w.Stop()
	}
	if st != nil {
		st.Close()
	}
	if err != nil {
		t.trace.msg(kind, t.local, t.to, t.q, nil, true, err.Error())
	}
	t.done(msgs, err)
}
