package resolver

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
)

// RecursingOptions configures a Recurser.
type RecursingOptions struct {
	// Clock times the attempts. Required.
	Clock clock.Clock
	// IDs gives the IDs of the queries the server sends. Nil means
	// dns.NewIDs(1).
	IDs *dns.IDs
	// Addr and Name are this server's, the sender in trace events.
	Addr netip.AddrPort
	Name string
	// Timeout is how long one attempt may take before the next server of
	// the referral is tried. Zero means DefaultQueryTimeout.
	Timeout time.Duration
	// OnEvent, if non-nil, sees the queries this server sends, their
	// responses and timeouts. It is called without locks held.
	OnEvent func(dns.TraceEvent)
}

// Recurser is a name server that offers recursion the way the lecture
// draws it: for an RD=1 query that its own data answers with a referral, it
// asks the referred server itself (with RD=1) and returns that server's
// answer with RA=1, so a root server asks the TLD server, which asks the
// authoritative server. Its counters show how recursion loads the upper
// hierarchy. Build it with [Recursing].
//
// It follows one referral per query: if the next server answers with a
// referral too (it does not recurse), that referral goes back to the
// client. It has no cache and does not look up glueless name servers: a
// referral without glue goes back to the client as it is.
type Recurser struct {
	next dns.Handler
	ex   dns.Exchanger
	opts RecursingOptions

	mu       sync.Mutex
	counters Counters
}

var _ dns.Handler = (*Recurser)(nil)

// Recursing wraps next, a server's authoritative handler, so that RD=1
// queries it would answer with a referral are answered recursively,
// asking the referred servers through ex. Queries with RD=0 go to next
// unchanged, but every response says RA=1: recursion is available.
func Recursing(next dns.Handler, ex dns.Exchanger, opts RecursingOptions) *Recurser {
	if opts.IDs == nil {
		opts.IDs = dns.NewIDs(1)
	}
	setDefault(&opts.Timeout, DefaultQueryTimeout)
	return &Recurser{next: next, ex: ex, opts: opts}
}

// Counters returns the queries this server received and sent.
func (rc *Recurser) Counters() Counters {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.counters
}

// ServeDNS passes req to the wrapped handler and, when that answers an
// RD=1 query with a referral, follows it. The response is written once, by
// the wrapped handler's WriteMsg or later when the referred server answers
// or the attempts run out (SERVFAIL).
func (rc *Recurser) ServeDNS(w dns.ResponseWriter, req *dns.Request) {
	rc.mu.Lock()
	rc.counters.Received++
	rc.mu.Unlock()
	m := req.Msg
	recurse := m != nil && !m.Response && m.RecursionDesired && m.Opcode == mdns.OpcodeQuery && len(m.Question) == 1
	rc.next.ServeDNS(writerFunc(func(resp *mdns.Msg) error {
		if recurse && isReferral(resp) {
			return rc.chase(w, req, resp)
		}
		resp.RecursionAvailable = true
		return w.WriteMsg(resp)
	}), req)
}

type writerFunc func(*mdns.Msg) error

func (f writerFunc) WriteMsg(m *mdns.Msg) error { return f(m) }

// isReferral reports a response that points elsewhere: no answer, NS
// records in the authority section and AA=0 (RFC 1034 §4.3.2 step 3b).
func isReferral(m *mdns.Msg) bool {
	return m != nil && m.Rcode == mdns.RcodeSuccess && !m.Authoritative && len(m.Answer) == 0 && hasType(m.Ns, mdns.TypeNS)
}

// chasing is one recursive query in flight.
type chasing struct {
	rc       *Recurser
	w        dns.ResponseWriter
	req      *dns.Request
	servers  []server
	next     int
	attempt  int
	timer    clock.Timer
	finished bool
	serial   serial
}

func (rc *Recurser) chase(w dns.ResponseWriter, req *dns.Request, referral *mdns.Msg) error {
	names := map[string]string{}
	for _, rr := range referral.Ns {
		if ns, ok := rr.(*mdns.NS); ok {
			names[lower(ns.Ns)] = ns.Ns
		}
	}
	var servers []server
	for _, rr := range referral.Extra {
		name, ok := names[lower(rr.Header().Name)]
		if !ok {
			continue
		}
		if a, ok := addrOf(rr); ok {
			servers = append(servers, server{name: name, addr: a})
		}
	}
	if len(servers) == 0 {
		rc.note(req, "referral without glue: returned to the client as it is")
		referral.RecursionAvailable = true
		return w.WriteMsg(referral)
	}
	c := &chasing{rc: rc, w: w, req: req, servers: servers}
	c.serial.do(c.send)
	return nil
}

func (rc *Recurser) emit(ev dns.TraceEvent) {
	if rc.opts.OnEvent == nil {
		return
	}
	ev.Time = rc.opts.Clock.Now()
	rc.opts.OnEvent(ev)
}

func (rc *Recurser) note(req *dns.Request, summary string) {
	q := req.Msg.Question[0]
	rc.emit(dns.TraceEvent{Kind: dns.TraceNote, Question: qstring(q.Name, q.Qtype), Summary: summary})
}

// send asks the next server of the referral, or answers SERVFAIL when none
// is left.
func (c *chasing) send() {
	rc := c.rc
	q0 := c.req.Msg.Question[0]
	if c.next >= len(c.servers) {
		rc.note(c.req, "no referred server answered: SERVFAIL")
		reply := new(mdns.Msg)
		reply.SetReply(c.req.Msg)
		reply.RecursionAvailable = true
		reply.Rcode = mdns.RcodeServerFailure
		c.finish(reply)
		return
	}
	s := c.servers[c.next]
	c.next++
	q := dns.NewQuery(rc.opts.IDs, q0.Name, q0.Qtype, true)
	if c.req.Msg.IsEdns0() != nil {
		q.SetEdns0(DefaultUDPSize, false)
	}
	wire, err := q.Pack()
	if err != nil {
		c.send()
		return
	}
	rc.mu.Lock()
	rc.counters.Sent++
	rc.mu.Unlock()
	rc.emit(dns.TraceEvent{
		Kind: dns.TraceQuery, From: rc.opts.Addr, FromName: rc.opts.Name, To: s.addr, ToName: s.name,
		Question: qstring(q0.Name, q0.Qtype), Summary: fmt.Sprintf("query id %d, RD=1, on behalf of %v", q.Id, c.req.From), Wire: wire,
	})
	c.attempt++
	attempt, id := c.attempt, q.Id
	c.timer = rc.opts.Clock.AfterFunc(rc.opts.Timeout, func() {
		c.serial.do(func() {
			if c.finished || attempt != c.attempt {
				return
			}
			c.attempt++
			rc.emit(dns.TraceEvent{Kind: dns.TraceTimeout, From: rc.opts.Addr, FromName: rc.opts.Name, To: s.addr, ToName: s.name,
				Question: qstring(q0.Name, q0.Qtype), Summary: fmt.Sprintf("no response within %v", rc.opts.Timeout)})
			c.send()
		})
	})
	rc.ex.Exchange(s.addr, q, func(resp *mdns.Msg, err error) {
		c.serial.do(func() { c.received(attempt, s, id, resp, err) })
	})
}

func (c *chasing) received(attempt int, s server, id uint16, resp *mdns.Msg, err error) {
	if c.finished || attempt != c.attempt {
		return
	}
	rc := c.rc
	q0 := c.req.Msg.Question[0]
	if err == nil {
		if why := mismatch(resp, id, q0.Name, q0.Qtype); why != "" {
			rc.note(c.req, fmt.Sprintf("ignored a response from %s: %s", s.name, why))
			return
		}
	}
	c.attempt++
	c.timer.Stop()
	if err != nil {
		rc.emit(dns.TraceEvent{Kind: dns.TraceTimeout, From: rc.opts.Addr, FromName: rc.opts.Name, To: s.addr, ToName: s.name,
			Question: qstring(q0.Name, q0.Qtype), Summary: err.Error()})
		c.send()
		return
	}
	wire, _ := resp.Pack()
	rc.emit(dns.TraceEvent{Kind: dns.TraceResponse, From: s.addr, FromName: s.name, To: rc.opts.Addr, ToName: rc.opts.Name,
		Question: qstring(q0.Name, q0.Qtype), Summary: summarize(resp), Wire: wire})
	if resp.Rcode != mdns.RcodeSuccess && resp.Rcode != mdns.RcodeNameError {
		c.send()
		return
	}
	// The answer is relayed, not this server's own: AA=0, RA=1, and the
	// client's ID and question.
	reply := resp.Copy()
	reply.Id = c.req.Msg.Id
	reply.Question = c.req.Msg.Question
	reply.Authoritative = false
	reply.RecursionAvailable = true
	reply.RecursionDesired = c.req.Msg.RecursionDesired
	var extra []mdns.RR
	for _, rr := range reply.Extra {
		if rr.Header().Rrtype != mdns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	reply.Extra = extra
	c.finish(reply)
}

func (c *chasing) finish(reply *mdns.Msg) {
	c.finished = true
	writeReply(c.w, c.req, reply)
}
