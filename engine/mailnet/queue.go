package mailnet

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/smtp"
)

// queued is a message in a server's queue.
type queued struct {
	id       string
	from     string // "" for a delivery status notification
	msg      []byte
	arrived  time.Time
	rcpts    []*rcptState // still to deliver
	attempts int
	// attemptTimes are when each attempt started, for tests and the
	// playground's queue view.
	attemptTimes []time.Time
	timer        clock.Timer
	nextAt       time.Time // when timer fires
	running      bool      // an attempt is due now or under way
}

// rcptState is where one recipient of a queued message stands.
type rcptState struct {
	addr string
	// outcome of the last attempt: delivered, failed for good, or neither
	// (deferred).
	delivered, failed bool
	// status is the RFC 3463 code for a notification, diag the remote
	// reply ("" when there was none), remote the host that gave it, and
	// why the account for people.
	status, diag, remote, why string
	at                        time.Time
}

// QueuedMessage describes a message waiting in a queue.
type QueuedMessage struct {
	ID       string
	From     string
	To       []string
	Attempts []time.Time
	// NextAttempt is when the next attempt is due, zero while one runs.
	NextAttempt time.Time
}

// Queue lists the messages waiting in the server's queue.
func (s *Server) Queue() []QueuedMessage {
	var out []QueuedMessage
	for _, q := range s.queue {
		m := QueuedMessage{ID: q.id, From: q.from, Attempts: slices.Clone(q.attemptTimes)}
		for _, r := range q.rcpts {
			m.To = append(m.To, r.addr)
		}
		if !q.running && q.timer != nil {
			m.NextAttempt = q.nextAt
		}
		out = append(out, m)
	}
	return out
}

// relay is the smtp.Config.Relay hook: accepted mail for other servers
// joins the queue.
func (s *Server) relay(from string, to []string, msg []byte) error {
	s.enqueue(from, to, msg)
	return nil
}

// enqueue queues a message and starts its first attempt at once.
func (s *Server) enqueue(from string, to []string, msg []byte) *queued {
	n := s.n
	q := &queued{
		id:      fmt.Sprintf("%s/%d", s.Spec.Name, n.nextID()),
		from:    from,
		msg:     msg,
		arrived: n.Clock.Now(),
	}
	for _, addr := range to {
		q.rcpts = append(q.rcpts, &rcptState{addr: addr})
	}
	s.queue = append(s.queue, q)
	n.emit(Event{Kind: EventQueue, Time: q.arrived, From: s.Spec.Name, QueueID: q.id,
		Text: fmt.Sprintf("queued from <%s> to %s (%d octets)", from, angleList(to), len(msg))})
	if !s.down {
		q.running = true
		n.poke(func() { s.attempt(q) })
	}
	return q
}

func angleList(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "<" + a + ">"
	}
	return strings.Join(out, ", ")
}

// attempt tries every pending recipient of q once, one domain at a time
// in parallel.
func (s *Server) attempt(q *queued) {
	if s.down {
		q.running = false
		return
	}
	q.running = true
	q.attempts++
	q.attemptTimes = append(q.attemptTimes, s.n.Clock.Now())
	var domains []string
	byDomain := map[string][]*rcptState{}
	for _, r := range q.rcpts {
		r.delivered, r.failed = false, false
		d := domainOf(r.addr)
		if _, ok := byDomain[d]; !ok {
			domains = append(domains, d)
		}
		byDomain[d] = append(byDomain[d], r)
	}
	s.n.emit(Event{Kind: EventQueue, Time: s.n.Clock.Now(), From: s.Spec.Name, QueueID: q.id,
		Text: fmt.Sprintf("attempt %d for %s", q.attempts, strings.Join(domains, ", "))})
	left := len(domains)
	for _, d := range domains {
		s.deliverDomain(q, d, byDomain[d], func() {
			left--
			if left == 0 {
				s.attemptDone(q)
			}
		})
	}
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	return strings.ToLower(addr[at+1:])
}

// deliverDomain delivers to the recipients of one domain: locally if the
// domain is this server's, else through the domain's exchangers.
func (s *Server) deliverDomain(q *queued, domain string, rcpts []*rcptState, done func()) {
	if slices.Contains(s.Spec.Domains, domain) {
		for _, r := range rcpts {
			s.deliverLocal(q, r)
		}
		done()
		return
	}
	s.lookup(domain, mdns.TypeMX, func(resp *mdns.Msg, err error) {
		ex, why, status, temp := s.exchangers(q, domain, resp, err)
		if ex == nil {
			for _, r := range rcpts {
				r.setFailure(s.n.Clock.Now(), !temp, status, "", "", why)
			}
			s.n.emit(Event{Kind: EventQueue, Time: s.n.Clock.Now(), From: s.Spec.Name, QueueID: q.id, Text: why})
			done()
			return
		}
		var names []string
		for _, e := range ex {
			names = append(names, fmt.Sprintf("%s (%d)", e.host, e.pref))
		}
		s.n.emit(Event{Kind: EventQueue, Time: s.n.Clock.Now(), From: s.Spec.Name, QueueID: q.id,
			Text: fmt.Sprintf("exchangers for %s: %s", domain, strings.Join(names, ", "))})
		s.tryExchangers(q, ex, rcpts, done)
	})
}

// exchanger is one entry of a domain's MX list.
type exchanger struct {
	pref uint16
	host string // without the final dot
}

// exchangers turns an MX answer into the list to try (RFC 5321 §5.1):
// sorted by preference, equal preferences in a random order from the lab's
// seed, the domain itself when it has no MX, and, when this server is one
// of them, only those more preferred than itself. Without a list it says
// why, with the RFC 3463 status and whether it is worth trying later.
func (s *Server) exchangers(q *queued, domain string, resp *mdns.Msg, err error) (ex []exchanger, why, status string, temp bool) {
	switch {
	case err != nil:
		return nil, fmt.Sprintf("MX lookup for %s failed: %v", domain, err), "4.4.3", true
	case resp.Rcode == mdns.RcodeNameError:
		return nil, fmt.Sprintf("domain %s does not exist (NXDOMAIN)", domain), "5.1.2", false
	case resp.Rcode != mdns.RcodeSuccess:
		return nil, fmt.Sprintf("MX lookup for %s failed: %s", domain, mdns.RcodeToString[resp.Rcode]), "4.4.3", true
	}
	for _, rr := range resp.Answer {
		if mx, ok := rr.(*mdns.MX); ok {
			ex = append(ex, exchanger{pref: mx.Preference, host: strings.ToLower(strings.TrimSuffix(mx.Mx, "."))})
		}
	}
	if len(ex) == 1 && ex[0].host == "" {
		// A null MX (RFC 7505 §3): the domain accepts no mail.
		return nil, fmt.Sprintf("%s accepts no mail (null MX)", domain), "5.1.10", false
	}
	if len(ex) == 0 {
		s.n.emit(Event{Kind: EventQueue, Time: s.n.Clock.Now(), From: s.Spec.Name, QueueID: q.id,
			Text: fmt.Sprintf("%s has no MX record: its own address is the exchanger (RFC 5321 §5.1)", domain)})
		return []exchanger{{pref: 0, host: domain}}, "", "", false
	}
	// Shuffle, then sort stably: equal preferences keep the shuffled order.
	s.rnd.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
	slices.SortStableFunc(ex, func(a, b exchanger) int { return cmp.Compare(a.pref, b.pref) })
	if i := slices.IndexFunc(ex, func(e exchanger) bool { return e.host == s.Spec.Name }); i >= 0 {
		own := ex[i].pref
		ex = slices.DeleteFunc(ex, func(e exchanger) bool { return e.pref >= own })
		if len(ex) == 0 {
			return nil, fmt.Sprintf("mail for %s loops back to %s, its best exchanger", domain, s.Spec.Name), "5.4.6", false
		}
	}
	return ex, "", "", false
}

// tryExchangers tries the exchangers in order until no recipient is left
// to try: delivered and failed recipients drop out, deferred ones go on to
// the next exchanger (RFC 5321 §5.1: try the next on a temporary failure).
func (s *Server) tryExchangers(q *queued, ex []exchanger, rcpts []*rcptState, done func()) {
	if len(ex) == 0 || len(rcpts) == 0 {
		done()
		return
	}
	e := ex[0]
	s.addresses(e.host, func(addrs []netip.Addr, why string) {
		if len(addrs) == 0 {
			for _, r := range rcpts {
				r.setFailure(s.n.Clock.Now(), false, "4.4.4", "", e.host, why)
			}
			s.n.emit(Event{Kind: EventQueue, Time: s.n.Clock.Now(), From: s.Spec.Name, QueueID: q.id, Text: why})
			s.tryExchangers(q, ex[1:], rcpts, done)
			return
		}
		s.tryAddrs(q, e.host, addrs, rcpts, func(left []*rcptState) { s.tryExchangers(q, ex[1:], left, done) })
	})
}

// tryAddrs tries one exchanger's addresses in turn and hands on the
// recipients that are still deferred.
func (s *Server) tryAddrs(q *queued, host string, addrs []netip.Addr, rcpts []*rcptState, next func([]*rcptState)) {
	if len(addrs) == 0 || len(rcpts) == 0 {
		next(rcpts)
		return
	}
	if s.down {
		// Taken down during the attempt: the rest waits for the retry.
		for _, r := range rcpts {
			r.setFailure(s.n.Clock.Now(), false, "4.4.1", "", host, s.Spec.Name+" went down")
		}
		next(rcpts)
		return
	}
	d := &smtp.Delivery{Hello: s.Spec.Name, From: q.from, Msg: q.msg}
	for _, r := range rcpts {
		d.To = append(d.To, r.addr)
	}
	to := netip.AddrPortFrom(addrs[0], PortSMTP)
	s.n.deliver(s, s.Host, to, host, q.id, d, func(res []smtp.RcptResult, err error) {
		now := s.n.Clock.Now()
		var left []*rcptState
		for i, r := range rcpts {
			rr := res[i]
			switch {
			case rr.Delivered():
				r.delivered = true
				s.n.emit(Event{Kind: EventQueue, Time: now, From: s.Spec.Name, QueueID: q.id,
					Text: fmt.Sprintf("delivered to <%s> via %s: %s", r.addr, host, rr.Reply)})
			case rr.Reply.Code == 0:
				why := "no answer"
				if err != nil {
					why = err.Error()
				}
				r.setFailure(now, false, "4.4.1", "", host, why)
				left = append(left, r)
			default:
				status := rr.Reply.Enhanced
				if status == "" {
					status = fmt.Sprintf("%d.0.0", rr.Reply.Code/100)
				}
				why := fmt.Sprintf("%s said at %s: %s", host, rr.Stage, rr.Reply)
				r.setFailure(now, rr.Permanent(), status, rr.Reply.String(), host, why)
				if !rr.Permanent() {
					left = append(left, r)
				}
			}
		}
		s.tryAddrs(q, host, addrs[1:], left, next)
	})
}

func (r *rcptState) setFailure(at time.Time, permanent bool, status, diag, remote, why string) {
	r.failed = permanent
	r.status, r.diag, r.remote, r.why, r.at = status, diag, remote, why, at
}

// addresses resolves an exchanger's addresses of the families this
// server can reach, IPv4 first.
func (s *Server) addresses(host string, done func([]netip.Addr, string)) {
	var types []uint16
	has4 := slices.ContainsFunc(s.Host.Addrs(), netip.Addr.Is4)
	if has4 {
		types = append(types, mdns.TypeA)
	}
	if slices.ContainsFunc(s.Host.Addrs(), func(a netip.Addr) bool { return !a.Is4() }) {
		types = append(types, mdns.TypeAAAA)
	}
	var addrs []netip.Addr
	var problems []string
	var step func(i int)
	step = func(i int) {
		if i == len(types) {
			why := ""
			if len(addrs) == 0 {
				why = fmt.Sprintf("no address for exchanger %s", host)
				if len(problems) > 0 {
					why += ": " + strings.Join(problems, "; ")
				}
			}
			done(addrs, why)
			return
		}
		s.lookup(host, types[i], func(resp *mdns.Msg, err error) {
			switch {
			case err != nil:
				problems = append(problems, err.Error())
			case resp.Rcode != mdns.RcodeSuccess:
				problems = append(problems, mdns.RcodeToString[resp.Rcode])
			default:
				for _, rr := range resp.Answer {
					switch rr := rr.(type) {
					case *mdns.A:
						if a, ok := netip.AddrFromSlice(rr.A.To4()); ok {
							addrs = append(addrs, a)
						}
					case *mdns.AAAA:
						if a, ok := netip.AddrFromSlice(rr.AAAA); ok {
							addrs = append(addrs, a)
						}
					}
				}
			}
			step(i + 1)
		})
	}
	step(0)
}

// lookup asks the server's local DNS server, as its stub resolver would,
// with RD=1.
func (s *Server) lookup(name string, qtype uint16, done func(*mdns.Msg, error)) {
	lookup(s.n, s.dns, s.resolver, name, qtype, done)
}

func lookup(n *Net, ex dns.Exchanger, server netip.AddrPort, name string, qtype uint16, done func(*mdns.Msg, error)) {
	q := dns.NewQuery(n.ids, mdns.Fqdn(name), qtype, true)
	n.pending++
	ex.Exchange(server, q, func(resp *mdns.Msg, err error) {
		n.pending--
		done(resp, err)
	})
}

// deliverLocal puts a message into a local user's INBOX, with the
// Return-Path RFC 5321 §4.4 asks the final delivery to add.
func (s *Server) deliverLocal(q *queued, r *rcptState) {
	now := s.n.Clock.Now()
	local := r.addr[:strings.LastIndexByte(r.addr, '@')]
	user := strings.ToLower(local)
	if strings.EqualFold(local, "postmaster") {
		user = s.smtp.Postmaster
	}
	if _, ok := s.Users.Lookup(user); !ok || user == "" {
		r.setFailure(now, true, "5.1.1", "", s.Spec.Name, fmt.Sprintf("no mailbox for <%s> on %s", r.addr, s.Spec.Name))
		return
	}
	msg := append([]byte("Return-Path: <"+q.from+">\r\n"), q.msg...)
	if _, err := s.Store.Deliver(user, mailstore.Inbox, msg, nil, now); err != nil {
		r.setFailure(now, false, "4.3.0", "", s.Spec.Name, fmt.Sprintf("local delivery to %s failed: %v", user, err))
		return
	}
	r.delivered = true
	s.n.emit(Event{Kind: EventQueue, Time: now, From: s.Spec.Name, QueueID: q.id,
		Text: fmt.Sprintf("delivered to <%s> in %s's INBOX", r.addr, user)})
}

// attemptDone sorts the recipients after an attempt: delivered ones are
// done, failed ones are returned to the sender now, and deferred ones wait
// for the next attempt, or are returned too when the queue gives up.
func (s *Server) attemptDone(q *queued) {
	q.running = false
	now := s.n.Clock.Now()
	var failed, deferred []*rcptState
	for _, r := range q.rcpts {
		switch {
		case r.failed:
			failed = append(failed, r)
		case !r.delivered:
			deferred = append(deferred, r)
		}
	}
	if len(deferred) > 0 {
		// The schedule counts from the start of the attempt, so retries
		// keep to it however long an attempt takes.
		sched := s.n.retrySchedule()
		next := q.attemptTimes[len(q.attemptTimes)-1].Add(sched[min(q.attempts-1, len(sched)-1)])
		wait := max(next.Sub(now), 0)
		switch {
		case q.attempts >= s.n.maxAttempts():
			s.giveUp(q, deferred, fmt.Sprintf("after %d attempts", q.attempts))
			failed, deferred = append(failed, deferred...), nil
		case !next.Before(q.arrived.Add(s.n.giveUpAfter())):
			s.giveUp(q, deferred, fmt.Sprintf("%v after it arrived", s.n.giveUpAfter()))
			failed, deferred = append(failed, deferred...), nil
		default:
			q.nextAt = next
			s.n.emit(Event{Kind: EventQueue, Time: now, From: s.Spec.Name, QueueID: q.id,
				Text: fmt.Sprintf("deferred %s: %s; next attempt at %s", angleList(addrsOf(deferred)), deferred[0].why, q.nextAt.Format("15:04:05"))})
			if q.timer == nil {
				q.timer = s.n.Clock.AfterFunc(wait, func() { s.attempt(q) })
			} else {
				q.timer.Reset(wait)
			}
		}
	}
	if len(failed) > 0 {
		s.bounce(q, failed)
	}
	q.rcpts = deferred
	if len(deferred) == 0 {
		if i := slices.Index(s.queue, q); i >= 0 {
			s.queue = slices.Delete(s.queue, i, i+1)
		}
	}
}

// giveUp marks deferred recipients failed: their last temporary status
// stays, as RFC 3464 §2.3.4 reports the last attempt's.
func (s *Server) giveUp(q *queued, rs []*rcptState, after string) {
	for _, r := range rs {
		r.failed = true
		r.why = fmt.Sprintf("gave up %s; last problem: %s", after, r.why)
	}
	s.n.emit(Event{Kind: EventQueue, Time: s.n.Clock.Now(), From: s.Spec.Name, QueueID: q.id,
		Text: fmt.Sprintf("giving up on %s %s", angleList(addrsOf(rs)), after)})
}

func addrsOf(rs []*rcptState) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.addr
	}
	return out
}

// bounce returns a message to its sender with a delivery status
// notification for the failed recipients. A notification is never
// answered with another (RFC 5321 §4.5.5): it is dropped.
func (s *Server) bounce(q *queued, failed []*rcptState) {
	now := s.n.Clock.Now()
	if q.from == "" {
		s.n.emit(Event{Kind: EventBounce, Time: now, From: s.Spec.Name, QueueID: q.id,
			Text: fmt.Sprintf("undeliverable notification to %s dropped: a notification is never bounced", angleList(addrsOf(failed)))})
		return
	}
	dsn := s.notification(q, failed, now)
	s.n.emit(Event{Kind: EventBounce, Time: now, From: s.Spec.Name, QueueID: q.id,
		Text: fmt.Sprintf("returning the message to <%s>: %s failed", q.from, angleList(addrsOf(failed)))})
	s.enqueue("", []string{q.from}, dsn)
}
