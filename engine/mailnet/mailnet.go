package mailnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/smtp"
	"github.com/wirelab/wirelab/engine/transport"
	"github.com/wirelab/wirelab/engine/world"
)

// The well-known ports every mail server listens on.
const (
	PortSMTP       = 25  // RFC 5321 §4.5.4.2 (relay between servers)
	PortSubmission = 587 // RFC 6409 §3.1
	PortPOP3       = 110 // RFC 1939 §3
	PortIMAP       = 143 // RFC 9051 §2.1
)

// Retry limits of the queue. RFC 5321 §4.5.4.1 asks for at least 30
// minutes between attempts and giving up after 4-5 days; a lab shows a
// whole cycle in a few virtual hours instead, and Options can restore the
// RFC's values.
var (
	// DefaultRetrySchedule is the wait after each failed attempt: the
	// first after the first, and so on; the last repeats.
	DefaultRetrySchedule = []time.Duration{5 * time.Minute, 10 * time.Minute, 30 * time.Minute}
)

const (
	// DefaultMaxAttempts is how many attempts a message gets before it is
	// returned to its sender.
	DefaultMaxAttempts = 4
	// DefaultGiveUpAfter is how long after arrival a message is returned
	// even if it has attempts left.
	DefaultGiveUpAfter = 4 * time.Hour
	// StubTimeout is how long a server's stub resolver waits for its local
	// DNS server, glibc's default (resolv.conf "timeout:5").
	StubTimeout = 5 * time.Second
	// MaxSettleSteps bounds Settle: a mail system that keeps its clock busy
	// forever is a bug, not a lab.
	MaxSettleSteps = 1_000_000
)

// Timeouts of the SMTP client, per state, RFC 5321 §4.5.3.2.
const (
	TimeoutGreeting = 5 * time.Minute  // §4.5.3.2.1
	TimeoutMail     = 5 * time.Minute  // §4.5.3.2.2
	TimeoutRcpt     = 5 * time.Minute  // §4.5.3.2.3
	TimeoutData     = 2 * time.Minute  // §4.5.3.2.4 (the 354)
	TimeoutDataEnd  = 10 * time.Minute // §4.5.3.2.6 (the reply to ".")
)

// Options configure a mail network.
type Options struct {
	// Lab configures the DNS lab Build starts; its OnTrace, if set, still
	// sees every DNS event.
	Lab lab.Options
	// RetrySchedule, MaxAttempts and GiveUpAfter override the queue's
	// defaults when set.
	RetrySchedule []time.Duration
	MaxAttempts   int
	GiveUpAfter   time.Duration
	// OnEvent, if not nil, sees every event, in order, on the goroutine
	// that advances the clock.
	OnEvent func(Event)
}

// Net is a world's DNS lab with its mail servers running on it. It is
// driven by one goroutine: the one that advances Lab.Clock and calls its
// methods.
type Net struct {
	Lab   *lab.Lab
	Clock *clock.Virtual

	opts    Options
	servers []*Server
	byName  map[string]*Server
	ids     *dns.IDs
	pending int    // poked work and DNS lookups in progress
	conns   int    // open SMTP client connections
	seq     uint64 // session and queue ids
}

// Server is one running mail server.
type Server struct {
	Spec  ServerSpec
	Host  *transport.Host
	Store *mailstore.Store
	// Users are the server's own users (a subset of the world's).
	Users *auth.Users

	n         *Net
	dns       *dnsnet.Client // its stub resolver
	resolver  netip.AddrPort // its local DNS server
	smtp      *smtp.Config
	submit    *smtp.Config
	pop3      *pop3.Config
	imap      *imap.Config
	listeners []transport.Listener
	conns     []*conn // open connections it serves or made
	down      bool
	queue     []*queued
	rnd       *rand.Rand
}

// Build starts a world's DNS lab and the mail servers dns/mailservers
// names, each with its users' mail from the world in its store.
func Build(w *world.World, opts Options) (*Net, error) {
	n := &Net{opts: opts, byName: map[string]*Server{}}
	labOpts := opts.Lab
	userTrace := labOpts.OnTrace
	labOpts.OnTrace = func(e dns.TraceEvent) {
		if userTrace != nil {
			userTrace(e)
		}
		n.emit(Event{Kind: EventDNS, Time: e.Time, From: e.FromName, To: e.ToName, FromAddr: e.From, ToAddr: e.To,
			Text: dnsText(e), DNS: &e})
	}
	l, err := lab.Build(w, labOpts)
	if err != nil {
		return nil, err
	}
	n.Lab, n.Clock = l, l.Clock
	n.ids = dns.NewIDs(labOpts.Seed ^ 0x6d61696c) // "mail": apart from the lab's own IDs
	specs, err := ParseSpec(w, l.Spec)
	if err != nil {
		return nil, err
	}
	for i, spec := range specs {
		s, err := n.startServer(w, spec, uint64(i))
		if err != nil {
			return nil, fmt.Errorf("mailnet: %s: %w", spec.Name, err)
		}
		n.servers = append(n.servers, s)
		n.byName[spec.Name] = s
	}
	return n, nil
}

func (n *Net) startServer(w *world.World, spec ServerSpec, index uint64) (*Server, error) {
	hn := n.Lab.HostNode(spec.Name)
	if hn == nil {
		return nil, errors.New("not a host of the lab")
	}
	local, err := n.Lab.LocalServer(spec.Name)
	if err != nil {
		return nil, err
	}
	fsys, err := mem.NewFS()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Spec:     spec,
		Host:     hn.Host,
		Store:    mailstore.New(fsys, mailstore.Options{Clock: n.Clock, Hostname: spec.Name}),
		Users:    auth.NewUsers(),
		n:        n,
		resolver: local.Addr,
		rnd:      rand.New(rand.NewPCG(n.opts.Lab.Seed, index+1)),
	}
	s.dns = &dnsnet.Client{Node: hn.Host, Clock: n.Clock, Timeout: StubTimeout, OnTrace: n.traceDNS, Names: n.Lab.Name}
	var users []string
	for _, d := range spec.Domains {
		users = append(users, spec.Users[d]...)
	}
	for _, u := range users {
		if _, dup := s.Users.Lookup(u); dup {
			continue // a user of two of the server's domains
		}
		p, _ := w.Users.Lookup(u)
		if err := s.Users.Add(u, p); err != nil {
			return nil, err
		}
		if err := s.populate(w, u); err != nil {
			return nil, err
		}
	}
	onEvent := func(e smtp.Event) {
		switch e.Kind {
		case smtp.EventDelivered:
			n.emit(Event{Kind: EventServer, Time: n.Clock.Now(), From: spec.Name, Text: "accepted " + e.Detail})
		case smtp.EventRefused:
			n.emit(Event{Kind: EventServer, Time: n.Clock.Now(), From: spec.Name, Text: "refused: " + e.Detail})
		}
	}
	// RFC 5321 §4.5.1 requires a postmaster mailbox: the server's first
	// user reads it.
	s.smtp = &smtp.Config{
		Store: s.Store, Users: s.Users, Hostname: spec.Name, Domains: spec.Domains,
		Postmaster: firstOr(users, ""), Relay: s.relay, RelayDomains: spec.Backup, OnEvent: onEvent,
	}
	sub := *s.smtp
	sub.Submission = true
	s.submit = &sub
	s.pop3 = &pop3.Config{Store: s.Store, Users: s.Users, Hostname: spec.Name}
	s.imap = &imap.Config{Store: s.Store, Users: s.Users, Hostname: spec.Name}
	if err := s.listen(); err != nil {
		return nil, err
	}
	return s, nil
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// populate copies a user's mail from the world into the server's store.
func (s *Server) populate(w *world.World, user string) error {
	if err := s.Store.EnsureUser(user); err != nil {
		return err
	}
	for _, mb := range w.Mailboxes[user] {
		if mb.Name != mailstore.Inbox {
			if err := s.Store.CreateMailbox(user, mb.Name); err != nil {
				return err
			}
		}
		batch := make([]mailstore.NewMessage, len(mb.Messages))
		for i, m := range mb.Messages {
			flags := make([]mailstore.Flag, 0, len(m.Flags))
			for _, f := range m.Flags {
				flags = append(flags, mailstore.Flag(f))
			}
			batch[i] = mailstore.NewMessage{Raw: m.Raw, Flags: flags, InternalDate: m.Date}
		}
		if _, err := s.Store.DeliverBatch(user, mb.Name, batch); err != nil {
			return fmt.Errorf("populate %s/%s: %w", user, mb.Name, err)
		}
	}
	return nil
}

// listen binds the server's ports.
func (s *Server) listen() error {
	binds := []struct {
		port   uint16
		accept transport.AcceptFunc
	}{
		{PortSMTP, s.acceptSMTP(s.smtp)},
		{PortSubmission, s.acceptSMTP(s.submit)},
		{PortPOP3, s.acceptPOP3},
		{PortIMAP, s.acceptIMAP},
	}
	for _, b := range binds {
		l, err := s.Host.ListenStream(b.port, b.accept)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("listen on port %d: %w", b.port, err)
		}
		s.listeners = append(s.listeners, l)
	}
	return nil
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
}

// Name returns the server's host name.
func (s *Server) Name() string { return s.Spec.Name }

// Addr returns the server's first address.
func (s *Server) Addr() netip.Addr { return s.Host.Addrs()[0] }

// IsDown reports whether the server has been taken down.
func (s *Server) IsDown() bool { return s.down }

// Down takes the server off the network as a crash would: its ports close,
// so connections to it are refused, its open connections are cut, and its
// queue waits. Mail already in its store and queue is kept.
func (s *Server) Down() {
	if s.down {
		return
	}
	s.down = true
	s.closeListeners()
	for _, c := range slices.Clone(s.conns) {
		c.abort()
	}
	s.n.emit(Event{Kind: EventServerDown, Time: s.n.Clock.Now(), From: s.Spec.Name, Text: s.Spec.Name + " is down"})
}

// Up brings a server back: it listens again and runs its queue at once, as
// an MTA flushes its queue when it starts.
func (s *Server) Up() error {
	if !s.down {
		return nil
	}
	if err := s.listen(); err != nil {
		return fmt.Errorf("mailnet: %s: %w", s.Spec.Name, err)
	}
	s.down = false
	s.n.emit(Event{Kind: EventServerUp, Time: s.n.Clock.Now(), From: s.Spec.Name, Text: s.Spec.Name + " is up"})
	for _, q := range slices.Clone(s.queue) {
		if q.running {
			continue // an attempt is due or under way
		}
		if q.timer != nil {
			q.timer.Stop()
		}
		q.running = true
		s.n.poke(func() { s.attempt(q) })
	}
	return nil
}

// Server returns the mail server with the given host name, or nil.
func (n *Net) Server(name string) *Server {
	return n.byName[strings.ToLower(strings.TrimSuffix(name, "."))]
}

// Servers returns the mail servers in the order of dns/mailservers.
func (n *Net) Servers() []*Server { return slices.Clone(n.servers) }

// Busy reports whether mail is queued anywhere, or a submission, lookup
// or SMTP client connection is in progress. Sessions that POP3 and IMAP
// clients keep open do not count.
func (n *Net) Busy() bool {
	if n.pending > 0 || n.conns > 0 {
		return true
	}
	for _, s := range n.servers {
		if len(s.queue) > 0 {
			return true
		}
	}
	return false
}

// Settle runs the clock until no mail is queued and nothing is in
// progress: every message has been delivered or returned. Retries make
// that hours of virtual time.
func (n *Net) Settle() error {
	for steps := 0; n.Busy(); steps++ {
		if steps >= MaxSettleSteps {
			return errors.New("mailnet: the mail system did not settle")
		}
		if n.Clock.RunUntilIdle(1) == 0 {
			return errors.New("mailnet: mail is queued but no timer is pending")
		}
	}
	return nil
}

// RunUntil runs the clock until cond holds, firing one timer at a time, and
// fails if the timers run out or max steps pass first.
func (n *Net) RunUntil(cond func() bool) error {
	for steps := 0; !cond(); steps++ {
		if steps >= MaxSettleSteps {
			return errors.New("mailnet: condition not reached")
		}
		if n.Clock.RunUntilIdle(1) == 0 {
			return errors.New("mailnet: condition not reached: no timer pending")
		}
	}
	return nil
}

// poke runs f on the clock goroutine at the current instant, so work
// started from outside a clock callback happens inside one, like the rest.
func (n *Net) poke(f func()) {
	n.pending++
	n.Clock.AfterFunc(0, func() {
		n.pending--
		f()
	})
}

func (n *Net) nextID() uint64 {
	n.seq++
	return n.seq
}

func (n *Net) traceDNS(e dns.TraceEvent) {
	if n.opts.Lab.OnTrace != nil {
		n.opts.Lab.OnTrace(e)
	}
	n.emit(Event{Kind: EventDNS, Time: e.Time, From: e.FromName, To: e.ToName, FromAddr: e.From, ToAddr: e.To,
		Text: dnsText(e), DNS: &e})
}

func (n *Net) emit(e Event) {
	if n.opts.OnEvent != nil {
		n.opts.OnEvent(e)
	}
}

func (n *Net) retrySchedule() []time.Duration {
	if len(n.opts.RetrySchedule) > 0 {
		return n.opts.RetrySchedule
	}
	return DefaultRetrySchedule
}

func (n *Net) maxAttempts() int {
	if n.opts.MaxAttempts > 0 {
		return n.opts.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (n *Net) giveUpAfter() time.Duration {
	if n.opts.GiveUpAfter > 0 {
		return n.opts.GiveUpAfter
	}
	return DefaultGiveUpAfter
}
