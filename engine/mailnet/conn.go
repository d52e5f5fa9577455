package mailnet

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/smtp"
	"github.com/wirelab/wirelab/engine/transport"
)

// ErrTimeout is the connection-level failure of an SMTP client that waited
// longer than RFC 5321 §4.5.3.2 allows for a reply.
var ErrTimeout = errors.New("mailnet: timed out waiting for the server")

// conn is one open connection, at either end. Everything about it runs on
// the clock goroutine.
type conn struct {
	n      *Net
	owner  *Server // the server whose connection it is, nil for a user agent
	st     transport.Stream
	w      *transport.Watcher
	closed bool
	client bool   // an SMTP client's end, which Net.Busy waits for
	stop   func() // the end-specific cleanup, run once on close
}

func (n *Net) track(c *conn) {
	if c.client {
		n.conns++
	}
	if c.owner != nil {
		c.owner.conns = append(c.owner.conns, c)
	}
}

func (c *conn) close() {
	if c.closed {
		return
	}
	c.closed = true
	if c.w != nil {
		c.w.Stop()
	}
	c.st.Close()
	if c.client {
		c.n.conns--
	}
	if s := c.owner; s != nil {
		if i := slices.Index(s.conns, c); i >= 0 {
			s.conns = slices.Delete(s.conns, i, i+1)
		}
	}
	if c.stop != nil {
		c.stop()
	}
}

// abort cuts the connection, as when its server goes down.
func (c *conn) abort() { c.close() }

func (c *conn) write(p []byte) {
	if len(p) == 0 || c.closed {
		return
	}
	c.st.Write(p) // a failed write shows up as the end of the stream
	if c.w != nil {
		c.w.Poke()
	}
}

// served is the server end of a connection: a sans-I/O session (SMTP,
// POP3, IMAP) driven by the bytes Watch reads, as engine/driver drives one
// over a blocking stream, but on the clock goroutine.
type served struct {
	conn
	sess     driver.Session
	timeout  time.Duration
	idle     clock.Timer
	out      []driver.Reply // replies held back by a delay
	delaying bool
}

func (s *Server) acceptSMTP(cfg *smtp.Config) transport.AcceptFunc {
	return func(st transport.Stream, remote netip.AddrPort) {
		sess := smtp.NewSession(cfg, s.n.nextID(), remote.Addr().String())
		s.serve(st, sess, smtp.ServerTimeout)
	}
}

func (s *Server) acceptPOP3(st transport.Stream, _ netip.AddrPort) {
	s.serve(st, pop3.NewSession(s.pop3, s.n.nextID(), s.n.Clock.Now()), pop3.AutologoutTimeout)
}

func (s *Server) acceptIMAP(st transport.Stream, _ netip.AddrPort) {
	s.serve(st, imap.NewSession(s.imap, s.n.nextID()), imap.AutologoutTimeout)
}

func (s *Server) serve(st transport.Stream, sess driver.Session, timeout time.Duration) {
	clk := s.n.Clock
	c := &served{conn: conn{n: s.n, owner: s, st: st}, sess: sess, timeout: timeout}
	c.stop = func() {
		c.idle.Stop()
		// However the connection closed, the session ends: a POP3 maildrop
		// is unlocked, an open SMTP transaction dropped (no-op after QUIT).
		c.sess.Abort()
	}
	s.n.track(&c.conn)
	c.idle = clk.AfterFunc(timeout, c.expire)
	if p, ok := sess.(interface {
		SetWake(func())
		Poll(time.Time) []byte
	}); ok {
		// IMAP IDLE: updates from other sessions go out between commands.
		// The wake may come from inside a store operation, so the poll
		// runs as its own clock callback.
		p.SetWake(func() {
			clk.AfterFunc(0, func() {
				if !c.closed {
					c.write(p.Poll(clk.Now()))
				}
			})
		})
	}
	c.write(sess.Greeting())
	c.w = transport.Watch(clk, st, c.feed, func(error) { c.close() })
}

func (c *served) feed(p []byte) {
	if c.closed {
		return
	}
	c.idle.Reset(c.timeout)
	c.out = append(c.out, c.sess.Feed(p, c.n.Clock.Now())...)
	c.flush()
}

// flush sends the replies in order, everything up to a delay or a close in
// one write, so a pipelined batch is answered in one segment.
func (c *served) flush() {
	var buf []byte
	for len(c.out) > 0 && !c.delaying && !c.closed {
		r := c.out[0]
		if r.Delay > 0 {
			c.write(buf)
			buf = nil
			c.delaying = true
			c.out[0].Delay = 0
			c.n.Clock.AfterFunc(r.Delay, func() {
				c.delaying = false
				c.flush()
			})
			return
		}
		c.out = c.out[1:]
		buf = append(buf, r.Data...)
		if r.Close {
			c.write(buf)
			c.close()
			return
		}
	}
	c.write(buf)
}

func (c *served) expire() {
	if c.closed {
		return
	}
	c.write(c.sess.Expire().Data)
	c.close()
}

// client is an SMTP client connection carrying one Delivery.
type client struct {
	conn
	d        *smtp.Delivery
	timer    clock.Timer
	from, to string // host names
	local    netip.AddrPort
	remote   netip.AddrPort
	qid      string
	err      error // why the connection ended early, if it did
	done     func([]smtp.RcptResult, error)
	finished bool
}

// deliver dials to from host (owned by owner, or a user agent's when owner
// is nil) and runs d there. done gets one result per recipient and, when
// some recipient got no reply, the connection-level reason.
func (n *Net) deliver(owner *Server, host *transport.Host, to netip.AddrPort, toName, qid string, d *smtp.Delivery, done func([]smtp.RcptResult, error)) {
	now := n.Clock.Now()
	// Events name the machine at the address; the text keeps the name the
	// client looked up (an exchanger may be the domain itself).
	hostName := n.Lab.Name(to.Addr())
	if hostName == "" {
		hostName = toName
	}
	st, err := host.DialStream(to)
	if err != nil {
		n.emit(Event{Kind: EventUnreachable, Time: now, From: host.Name(), To: hostName, ToAddr: to, QueueID: qid,
			Text: fmt.Sprintf("cannot connect to %s [%v]: %v", toName, to, err)})
		d.End()
		done(d.Results(), fmt.Errorf("connect to %s [%v]: %w", toName, to, err))
		return
	}
	c := &client{conn: conn{n: n, owner: owner, st: st, client: true}, d: d, from: host.Name(), to: hostName, remote: to, qid: qid, done: done}
	if src := host.Addrs(); len(src) > 0 {
		c.local = netip.AddrPortFrom(src[0], 0)
	}
	c.stop = func() {
		if c.timer != nil {
			c.timer.Stop()
		}
		c.finish()
	}
	n.track(&c.conn)
	n.emit(Event{Kind: EventConnect, Time: now, From: c.from, To: hostName, FromAddr: c.local, ToAddr: to, QueueID: qid,
		Text: fmt.Sprintf("connect to %s [%v]", toName, to)})
	c.timer = n.Clock.AfterFunc(TimeoutGreeting, c.timeout)
	c.w = transport.Watch(n.Clock, st, c.feed, func(err error) {
		if !c.d.Done() {
			c.err = fmt.Errorf("connection to %s [%v] lost: %w", toName, to, err)
		}
		c.close()
	})
}

func (c *client) feed(p []byte) {
	if c.closed {
		return
	}
	replies, send := c.d.Feed(p)
	now := c.n.Clock.Now()
	for _, r := range replies {
		c.n.emit(Event{Kind: EventReply, Time: now, From: c.to, To: c.from, FromAddr: c.remote, ToAddr: c.local, QueueID: c.qid, Text: replyText(r)})
	}
	var out []byte
	wait := TimeoutMail
	for _, cmd := range send {
		c.n.emit(Event{Kind: EventCommand, Time: now, From: c.from, To: c.to, FromAddr: c.local, ToAddr: c.remote, QueueID: c.qid, Text: cmd.Redacted()})
		out = append(out, cmd.Bytes()...)
		switch {
		case cmd.Line == "":
			wait = TimeoutDataEnd
		case strings.HasPrefix(cmd.Line, "RCPT"):
			wait = TimeoutRcpt
		case cmd.Line == "DATA":
			wait = TimeoutData
		}
	}
	c.write(out)
	if c.d.Done() {
		c.close()
		return
	}
	if len(send) > 0 {
		c.timer.Reset(wait)
	}
}

func (c *client) timeout() {
	if c.closed {
		return
	}
	c.err = fmt.Errorf("%w %s [%v]", ErrTimeout, c.to, c.remote)
	c.n.emit(Event{Kind: EventUnreachable, Time: c.n.Clock.Now(), From: c.from, To: c.to, ToAddr: c.remote, QueueID: c.qid, Text: c.err.Error()})
	c.close()
}

func (c *client) finish() {
	if c.finished {
		return
	}
	c.finished = true
	c.d.End()
	res := c.d.Results()
	err := c.err
	if err == nil && slices.ContainsFunc(res, func(r smtp.RcptResult) bool { return r.Reply.Code == 0 }) {
		err = fmt.Errorf("connection to %s [%v] closed", c.to, c.remote)
	}
	c.done(res, err)
}

// replyText is a reply as it went on the wire, its lines joined by "\n"
// (RFC 5321 §4.2.1: "ddd-" on all but the last).
func replyText(r smtp.ServerReply) string {
	lines := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		sep := "-"
		if i == len(r.Lines)-1 {
			sep = " "
		}
		lines[i] = fmt.Sprintf("%03d%s%s", r.Code, sep, l)
	}
	return strings.Join(lines, "\n")
}
