package conformance

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hack-pad/hackpadfs/mem"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
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
func (Engine) Dial(t *Transcript) (Conn, error) {
	switch t.Protocol {
	case POP3:
		st, w, err := storeOf(t)
		if err != nil {
			return nil, err
		}
		cfg := &pop3.Config{Store: st, Users: w.Users, Hostname: "wirelab.example"}
		s := pop3.NewSession(cfg, 1, clock.Epoch)
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
		c.close = s.Abort
		return c, nil
	case IMAP:
		st, w, err := storeOf(t)
		if err != nil {
			return nil, err
		}
		s := imap.NewSession(&imap.Config{Store: st, Users: w.Users, Hostname: "wirelab.example"}, 1)
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
		c.close = s.Abort
		return c, nil
	}
	return nil, fmt.Errorf("conformance: the engine target has no %s sessions", t.Protocol)
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
	close func()
}

func (c *sessionConn) Send(line string) error {
	c.out.Write(c.feed([]byte(line + "\r\n")))
	return nil
}

func (c *sessionConn) ReadLine() (string, error) {
	b := c.out.Bytes()
	i := bytes.IndexByte(b, '\n')
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
	return &labClient{lab: l, from: from}, nil
}

type labClient struct {
	lab  *lab.Lab
	from string
}

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
