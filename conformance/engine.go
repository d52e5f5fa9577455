package conformance

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hack-pad/hackpadfs/mem"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailnet"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/smtp"
	"github.com/wirelab/wirelab/engine/world"
)

// Engine runs transcripts against wirelab's engine, each in a fresh world
// held in memory, on a virtual clock: no socket, no waiting, and the same
// bytes every run.
type Engine struct{}

var _ Target = Engine{}

func worldOf(t *Transcript) *world.World {
	if t.World != nil {
		return t.World
	}
	return world.Demo()
}

// Dial starts a server session on a fresh copy of the transcript's world.
// The connection's Open starts another session on the same world, for a
// transcript's second client.
func (Engine) Dial(t *Transcript) (Conn, error) {
	var open func() *sessionConn
	switch t.Protocol {
	case POP3:
		st, w, err := storeOf(t)
		if err != nil {
			return nil, err
		}
		cfg := &pop3.Config{Store: st, Users: w.Users, Hostname: "wirelab.example"}
		open = opener(func(id uint64) *pop3.Session { return pop3.NewSession(cfg, id, clock.Epoch) }, nil)
	case IMAP:
		st, w, err := storeOf(t)
		if err != nil {
			return nil, err
		}
		cfg := &imap.Config{Store: st, Users: w.Users, Hostname: "wirelab.example"}
		// What other sessions changed reaches an IDLE session without a
		// command (RFC 2177), as Serve's driver polls.
		open = opener(func(id uint64) *imap.Session { return imap.NewSession(cfg, id) }, (*imap.Session).Poll)
	case SMTP:
		cfg, err := smtpConfig(t)
		if err != nil {
			return nil, err
		}
		// A documentation address (RFC 5737) stands for the client in
		// Received: headers.
		open = opener(func(id uint64) *smtp.Session { return smtp.NewSession(cfg, id, "192.0.2.1") }, nil)
	default:
		return nil, fmt.Errorf("conformance: the engine target has no %s sessions", t.Protocol)
	}
	c := open()
	c.open = open
	return c, nil
}

// engineSession is what POP3, IMAP and SMTP sessions have in common: a
// greeting, bytes in and replies out, and an abort for a cut connection.
type engineSession interface {
	Greeting() []byte
	Feed(p []byte, now time.Time) []driver.Reply
	Abort()
}

// opener returns a function that starts sessions one after another (ids
// 1, 2, ...) on the virtual clock, each as a line connection; poll, when
// not nil, is how a session speaks unasked.
func opener[S engineSession](start func(id uint64) S, poll func(S, time.Time) []byte) func() *sessionConn {
	id := uint64(0)
	return func() *sessionConn {
		id++
		s := start(id)
		c := &sessionConn{now: clock.Epoch}
		c.out.Write(s.Greeting())
		c.feed = func(p []byte) []byte {
			var out []byte
			for _, r := range s.Feed(p, c.now) {
				c.now = c.now.Add(r.Delay)
				out = append(out, r.Data...)
			}
			return out
		}
		if poll != nil {
			c.poll = func() []byte { return poll(s, c.now) }
		}
		c.close = s.Abort
		return c
	}
}

// smtpHostname is the engine's SMTP server name when a case names none,
// the same as its POP3 and IMAP servers'.
const smtpHostname = "wirelab.example"

// smtpConfig builds the SMTP server a case asks for over a fresh store of
// its world. Mail the server relays (smtp-relay) is taken and dropped: the
// engine target is one server, with no other to hand it to, and what a
// transcript shows is the relay host's side (RFC 5321 Appendix D.3).
func smtpConfig(t *Transcript) (*smtp.Config, error) {
	st, w, err := storeOf(t)
	if err != nil {
		return nil, err
	}
	cfg := &smtp.Config{Store: st, Users: w.Users, Hostname: smtpHostname}
	srv := t.SMTPServer
	if srv == nil {
		srv = &SMTPServer{}
	}
	if srv.Hostname != "" {
		cfg.Hostname = srv.Hostname
	}
	cfg.Domains = srv.Domains
	if cfg.Domains == nil {
		if cfg.Domains, err = worldDomains(w); err != nil {
			return nil, fmt.Errorf("conformance: %s: %w", t.File, err)
		}
	}
	cfg.MaxMessageSize = srv.MaxMessageSize
	if len(srv.RelayDomains) > 0 {
		cfg.RelayDomains = srv.RelayDomains
		cfg.Relay = func(string, []string, []byte) error { return nil }
	}
	if len(srv.Verify) > 0 {
		cfg.Verify = func(arg string) (int, string, string) {
			answer, ok := srv.Verify[arg]
			if !ok {
				return 0, "", "" // the server's default answer
			}
			code, text, _ := strings.Cut(answer, " ")
			n, _ := strconv.Atoi(code) // checked by Parse
			return n, vrfyEnhanced(n), text
		}
	}
	return cfg, nil
}

// vrfyEnhanced is the enhanced status code (RFC 3463) of a VRFY reply a
// case gives by its basic code alone: X.1.5 "destination address valid"
// for success, X.1.1 "bad destination mailbox address" for failure.
func vrfyEnhanced(code int) string {
	class := code / 100
	if class == 2 {
		return "2.1.5"
	}
	return strconv.Itoa(class) + ".1.1"
}

// worldDomains are the mail domains a world's dns/mailservers gives its
// servers, or none when it has no such file.
func worldDomains(w *world.World) ([]string, error) {
	if _, ok := w.DNSFiles[mailnet.SpecFile]; !ok {
		return nil, nil
	}
	spec, err := lab.ParseSpec(w)
	if err != nil {
		return nil, err
	}
	servers, err := mailnet.ParseSpec(w, spec)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range servers {
		out = append(out, s.Domains...)
	}
	return out, nil
}

// storeOf fills a fresh in-memory store with the transcript's world.
func storeOf(t *Transcript) (*mailstore.Store, *world.World, error) {
	fsys, err := mem.NewFS()
	if err != nil {
		return nil, nil, err
	}
	w := worldOf(t)
	st := mailstore.New(fsys, mailstore.Options{})
	if _, err := w.Populate(st); err != nil {
		return nil, nil, err
	}
	return st, w, nil
}

// sessionConn drives a sans-I/O session line by line.
type sessionConn struct {
	now   time.Time
	out   bytes.Buffer
	feed  func([]byte) []byte
	poll  func() []byte // nil: the session speaks only when fed
	close func()
	// open starts another session on the same world (Opener).
	open func() *sessionConn
}

var _ Opener = (*sessionConn)(nil)

// Open starts another session on the connection's world.
func (c *sessionConn) Open() (Conn, error) {
	o := c.open()
	o.open = c.open
	return o, nil
}

func (c *sessionConn) Send(line string) error {
	c.out.Write(c.feed([]byte(line + "\r\n")))
	return nil
}

func (c *sessionConn) ReadLine() (string, error) {
	b := c.out.Bytes()
	i := bytes.IndexByte(b, '\n')
	if i < 0 && c.poll != nil {
		c.out.Write(c.poll())
		b = c.out.Bytes()
		i = bytes.IndexByte(b, '\n')
	}
	if i < 0 {
		return "", ErrNoMoreLines
	}
	line := string(bytes.TrimSuffix(b[:i], []byte("\r")))
	c.out.Next(i + 1)
	return line, nil
}

func (c *sessionConn) Close() error {
	c.close()
	return nil
}

// DNS builds the transcript's world's DNS hierarchy; queries go to a host's
// local DNS server.
func (Engine) DNS(t *Transcript) (DNSClient, error) {
	l, err := lab.Build(worldOf(t), lab.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	from := ""
	if hosts := l.Hosts(); len(hosts) > 0 {
		from = hosts[0].Spec.Name
	}
	return &labClient{lab: l, from: from, ids: dns.NewIDs(2)}, nil
}

type labClient struct {
	lab  *lab.Lab
	from string
	// ids numbers the messages the client sends to named servers; seeded,
	// so runs are the same to the byte.
	ids *dns.IDs
}

var _ DNSWorld = (*labClient)(nil)

type msgWriter struct{ msg *mdns.Msg }

func (w *msgWriter) WriteMsg(m *mdns.Msg) error {
	w.msg = m
	return nil
}

func (c *labClient) Query(q DNSQuery) (*DNSAnswer, error) {
	from := q.From
	if from == "" {
		from = c.from
	}
	if q.NoRecurse {
		// RD=0 to the local server: it answers from its cache alone.
		s, err := c.lab.LocalServer(from)
		if err != nil {
			return nil, err
		}
		query := dns.NewQuery(dns.NewIDs(1), q.Name, q.Type, false)
		w := &msgWriter{}
		s.Resolver.ServeDNS(w, &dns.Request{Msg: query})
		if w.msg == nil {
			return nil, fmt.Errorf("conformance: %s gave no answer to an RD=0 query", from)
		}
		return &DNSAnswer{Msg: w.msg, Traced: true}, nil
	}
	mode := resolver.Iterated
	if q.Mode == "recursive" {
		mode = resolver.Recursive
	}
	res, err := c.lab.Resolve(from, q.Name, q.Type, mode)
	if err != nil {
		return nil, err
	}
	m := new(mdns.Msg)
	m.Question = []mdns.Question{{Name: q.Name, Qtype: q.Type, Qclass: mdns.ClassINET}}
	m.Response, m.RecursionAvailable = true, true
	m.Rcode = res.Rcode
	m.Answer, m.Ns, m.Extra = res.Answer, res.Authority, res.Additional
	a := &DNSAnswer{Msg: m, Upstream: res.Upstream, Traced: true}
	for _, e := range res.Trace {
		if e.Kind == dns.TraceQuery {
			a.Asked = append(a.Asked, e.ToName)
		}
	}
	return a, nil
}

func (c *labClient) Advance(d time.Duration) error {
	c.lab.Clock.Advance(d)
	return nil
}

func (c *labClient) Close() error { return nil }

// QueryServer sends q from a host of the world straight to the server
// q.To names, over the simulated network, and waits for the answer.
func (c *labClient) QueryServer(q DNSQuery) (*DNSAnswer, error) {
	m := dns.NewQuery(c.ids, q.Name, q.Type, !q.NoRecurse)
	resp, err := c.exchange(q.From, q.To, m)
	if err != nil {
		return nil, err
	}
	return &DNSAnswer{Msg: resp}, nil
}

// Update sends a dynamic update (RFC 2136) to u.To, or to the zone's first
// primary, and lets the NOTIFY and zone transfers it sets off finish
// (RFC 1996), so that the next query sees the secondaries up to date.
func (c *labClient) Update(u DNSUpdate) (*DNSAnswer, error) {
	to := u.To
	if to == "" {
		to = c.primaryOf(u.Zone)
		if to == "" {
			return nil, fmt.Errorf("conformance: no server of the world is primary for %s; name one with to=", u.Zone)
		}
	}
	m := new(mdns.Msg)
	m.SetUpdate(u.Zone)
	m.Id = c.ids.Next()
	m.Answer = append(m.Answer, u.Prereq...)
	m.Ns = append(m.Ns, u.Update...)
	resp, err := c.exchange(u.From, to, m)
	if err != nil {
		return nil, err
	}
	if err := c.lab.Settle(); err != nil {
		return nil, fmt.Errorf("conformance: after the update: %w", err)
	}
	return &DNSAnswer{Msg: resp}, nil
}

func (c *labClient) primaryOf(z string) string {
	for _, s := range c.lab.Servers() {
		for _, p := range s.Spec.Primary {
			if strings.EqualFold(p, mdns.Fqdn(z)) {
				return s.Spec.Name
			}
		}
	}
	return ""
}

// exchange sends m from a host to a named server and runs the virtual
// clock until the answer is in.
func (c *labClient) exchange(from, to string, m *mdns.Msg) (*mdns.Msg, error) {
	if from == "" {
		from = c.from
	}
	h := c.lab.HostNode(from)
	if h == nil {
		return nil, fmt.Errorf("conformance: the world has no host %q to send from", from)
	}
	s := c.lab.Server(to)
	if s == nil {
		return nil, fmt.Errorf("conformance: the world has no server %q", to)
	}
	var (
		done atomic.Bool
		resp *mdns.Msg
		rerr error
	)
	h.Client.Exchange(s.Addr, m, func(r *mdns.Msg, err error) {
		resp, rerr = r, err
		done.Store(true)
	})
	for steps := 0; !done.Load(); steps++ {
		if steps >= lab.MaxSettleSteps || c.lab.Clock.RunUntilIdle(1) == 0 {
			return nil, fmt.Errorf("conformance: no answer from %s: the clock ran out of timers", to)
		}
	}
	if rerr != nil {
		return nil, fmt.Errorf("conformance: asking %s: %w", to, rerr)
	}
	return resp, nil
}
