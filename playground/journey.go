package playground

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/mailnet"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// The journey lab: the world's mail servers (dns/mailservers) running on
// a simulated network of their own, so that a message can be followed
// from submission through MX lookup, relay, retries and bounces (package
// mailnet). It is built from the loaded world on the first journey call,
// with its own stores and its own virtual clock starting at the lab's
// time, and is dropped when the world is reset or replaced. It is not
// saved: a reload starts it again from the world.

// ErrNoMailServers is returned by the journey calls when the world has no
// dns/mailservers file.
var ErrNoMailServers = errors.New("playground: the world has no mail servers (no dns/mailservers file)")

// maxJourneyEvents bounds the history journeyEvents returns; older events
// are dropped first.
const maxJourneyEvents = 20000

// journey is the mail network of one env.
type journey struct {
	net     *mailnet.Net
	events  []JourneyEvent // the history, oldest first
	nextSeq int
	// callFrom is the first seq of the current call's events.
	callFrom int
}

// journey returns the env's mail network, building it on first use.
func (e *env) journey() (*journey, error) {
	if e.mail != nil {
		return e.mail, nil
	}
	j := &journey{}
	n, err := mailnet.Build(e.w, mailnet.Options{
		Lab:     lab.Options{Seed: labSeed, Start: e.clk.Now()},
		OnEvent: j.record,
	})
	switch {
	case errors.Is(err, lab.ErrNoDNS):
		return nil, ErrNoDNS
	case err != nil:
		return nil, fmt.Errorf("playground: journey: %w", err)
	case len(n.Servers()) == 0:
		return nil, ErrNoMailServers
	}
	j.net = n
	// A message that lands in a mailbox of the journey's servers lands in
	// the mail lab's store too, whose one server stands for every mail
	// server of the world: the learner fetches it there over POP3 or IMAP,
	// the last leg of the journey.
	for _, srv := range n.Servers() {
		from := srv.Store
		from.WatchAll(func(c mailstore.Change) { e.mirrorDelivery(from, c) })
	}
	e.mail = j
	return j, nil
}

// mirrorDelivery copies the messages a journey server's change reports
// as delivered into a user's INBOX to the same user's INBOX in the mail
// lab's store. It runs inside the journey call that delivered them, so
// the mail lab's sessions (an IMAP IDLE, say) hear of it in that call.
func (e *env) mirrorDelivery(from *mailstore.Store, c mailstore.Change) {
	if c.Kind != mailstore.Appended || !strings.EqualFold(c.Mailbox, mailstore.Inbox) || !e.store.HasUser(c.User) {
		return
	}
	for _, uid := range c.UIDs {
		raw, err := from.Read(c.User, c.Mailbox, uid)
		if err != nil {
			continue // expunged meanwhile: nothing to copy
		}
		if _, err := e.store.Deliver(c.User, mailstore.Inbox, raw, nil, e.clk.Now()); err != nil {
			e.events = append(e.events, Event{Source: "journey", Kind: "error", User: c.User, Detail: fmt.Sprintf("journey: copying a delivery for %s into the mail lab: %v", c.User, err)})
		}
	}
}

// JourneyEvent is one step of a message's journey (see mailnet.Event).
type JourneyEvent struct {
	// Seq numbers the events of the journey lab from 1.
	Seq int `json:"seq"`
	// Kind is mailnet's: dns, connect, unreachable, command, reply,
	// server, queue, bounce, down, up.
	Kind string `json:"kind"`
	// Hop is the leg of the journey it belongs to, for drawing: submit
	// (user agent to its server), dns, relay (server to server), deliver
	// (into a mailbox), retry (a deferral or a later attempt), bounce
	// (giving up and the notification), queue (other queue decisions),
	// server (what a receiving server did), down, up.
	Hop  string `json:"hop"`
	Time string `json:"time"`
	// From and To are host names; FromAddr and ToAddr address:port, set
	// for messages on the network.
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	FromAddr string `json:"fromAddr,omitempty"`
	ToAddr   string `json:"toAddr,omitempty"`
	// Text is the SMTP command or reply (lines joined by "\n"), or an
	// account of the decision.
	Text string `json:"text"`
	// QueueID names the queued message, for relay, queue and bounce
	// events.
	QueueID string `json:"queueId,omitempty"`
	// DNS is the DNS message or resolver step of a dns event.
	DNS *TraceEvent `json:"dns,omitempty"`
}

// record keeps one event; mailnet calls it on the clock goroutine, which
// is the one running a journey call under the lab's lock.
func (j *journey) record(ev mailnet.Event) {
	j.nextSeq++
	out := JourneyEvent{Seq: j.nextSeq, Kind: string(ev.Kind), Hop: hopOf(ev), Time: timeString(ev.Time),
		From: trimDot(ev.From), To: trimDot(ev.To), Text: ev.Text, QueueID: ev.QueueID}
	if ev.FromAddr.IsValid() {
		out.FromAddr = ev.FromAddr.String()
	}
	if ev.ToAddr.IsValid() {
		out.ToAddr = ev.ToAddr.String()
	}
	if d := ev.DNS; d != nil {
		t := &TraceEvent{Kind: string(d.Kind), Time: timeString(d.Time), FromName: trimDot(d.FromName), ToName: trimDot(d.ToName),
			Question: d.Question, Summary: d.Summary}
		if d.From.IsValid() {
			t.From = d.From.String()
		}
		if d.To.IsValid() {
			t.To = d.To.String()
		}
		if len(d.Wire) > 0 {
			t.Wire = hex.EncodeToString(d.Wire)
			var m mdns.Msg
			if err := m.Unpack(d.Wire); err != nil {
				t.Message = "; unparsable message: " + err.Error()
			} else {
				t.Message = m.String()
			}
		}
		out.DNS = t
		if out.Text == "" {
			out.Text = d.Summary
		}
	}
	j.events = append(j.events, out)
	if len(j.events) > maxJourneyEvents {
		j.events = slices.Delete(j.events, 0, len(j.events)-maxJourneyEvents)
	}
}

// hopOf classifies an event for the journey drawing.
func hopOf(ev mailnet.Event) string {
	switch ev.Kind {
	case mailnet.EventDNS:
		return "dns"
	case mailnet.EventConnect, mailnet.EventUnreachable, mailnet.EventCommand, mailnet.EventReply:
		// A queue ID marks a server's own SMTP client relaying; without
		// one the client is a user agent submitting (RFC 6409).
		if ev.QueueID != "" {
			return "relay"
		}
		return "submit"
	case mailnet.EventBounce:
		return "bounce"
	case mailnet.EventServer:
		return "server"
	case mailnet.EventServerDown:
		return "down"
	case mailnet.EventServerUp:
		return "up"
	case mailnet.EventQueue:
		switch {
		case strings.HasPrefix(ev.Text, "delivered to"):
			return "deliver"
		case strings.HasPrefix(ev.Text, "deferred"):
			return "retry"
		case strings.HasPrefix(ev.Text, "attempt ") && !strings.HasPrefix(ev.Text, "attempt 1 "):
			return "retry"
		case strings.HasPrefix(ev.Text, "giving up"):
			return "bounce"
		}
		return "queue"
	}
	return string(ev.Kind)
}

// callEvents returns the events recorded since the call began.
func (j *journey) callEvents() []JourneyEvent {
	out := []JourneyEvent{}
	for _, ev := range j.events {
		if ev.Seq >= j.callFrom {
			out = append(out, ev)
		}
	}
	return out
}

// lockJourney takes the lab's lock and the env's journey, and starts a
// journey call.
func (l *Lab) lockJourney() (*env, *journey, error) {
	e := l.lock()
	j, err := e.journey()
	if err != nil {
		l.mu.Unlock()
		return nil, nil, err
	}
	j.callFrom = j.nextSeq + 1
	return e, j, nil
}

// run moves the journey's clock: for d when d > 0 (firing the timers on
// the way), else until no mail is queued or in flight. A queue held by a
// server that is down waits for it with no timer; that ends the run too.
func (j *journey) run(d time.Duration) error {
	clk := j.net.Clock
	if d > 0 {
		clk.Advance(d)
		return nil
	}
	for steps := 0; j.net.Busy(); steps++ {
		if steps >= mailnet.MaxSettleSteps {
			return errors.New("playground: journey: the mail system did not settle")
		}
		if clk.RunUntilIdle(1) == 0 {
			return nil
		}
	}
	return nil
}

// parseRunFor reads a journey call's optional duration.
func parseRunFor(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > maxAdvance {
		return 0, fmt.Errorf("playground: duration %q: want a positive Go duration of at most a year", s)
	}
	return d, nil
}

// maxAdvance bounds a journey run, as advance's.
const maxAdvance = 366 * 24 * time.Hour

// MailServerInfo describes one mail server of the journey lab.
type MailServerInfo struct {
	Name    string   `json:"name"`
	Addr    string   `json:"addr"`
	Domains []string `json:"domains"`
	// Backup are the domains it is a backup exchanger for.
	Backup []string `json:"backup"`
	Down   bool     `json:"down"`
	// Users are its users with how many messages each holds in INBOX.
	Users []MailServerUser `json:"users"`
	// Queue is the mail waiting to be relayed.
	Queue []QueuedInfo `json:"queue"`
}

// MailServerUser is one user's mailbox on a mail server.
type MailServerUser struct {
	User    string   `json:"user"`
	Address []string `json:"addresses"`
	Inbox   int      `json:"inbox"`
	// Subjects are the subjects of the INBOX's messages, oldest first.
	Subjects []string `json:"subjects"`
}

// QueuedInfo is one message in a server's queue.
type QueuedInfo struct {
	ID       string   `json:"id"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	Attempts []string `json:"attempts"`
	// NextAttempt is when the next attempt is due; empty while one runs.
	NextAttempt string `json:"nextAttempt,omitempty"`
}

// MailServersResult lists the journey lab's mail servers.
type MailServersResult struct {
	Time    string           `json:"time"`
	Servers []MailServerInfo `json:"servers"`
}

func (j *journey) servers() ([]MailServerInfo, error) {
	out := []MailServerInfo{}
	for _, s := range j.net.Servers() {
		info := MailServerInfo{Name: s.Name(), Addr: s.Addr().String(), Domains: nonNil(s.Spec.Domains),
			Backup: nonNil(s.Spec.Backup), Down: s.IsDown(), Users: []MailServerUser{}, Queue: []QueuedInfo{}}
		for _, u := range s.Users.Names() {
			mu := MailServerUser{User: u, Address: []string{}, Subjects: []string{}}
			for _, d := range s.Spec.Domains {
				if slices.Contains(s.Spec.Users[d], u) {
					mu.Address = append(mu.Address, u+"@"+d)
				}
			}
			msgs, _, err := s.Store.List(u, "INBOX")
			if err != nil {
				return nil, fmt.Errorf("playground: journey: %s's INBOX on %s: %w", u, s.Name(), err)
			}
			mu.Inbox = len(msgs)
			for _, m := range msgs {
				raw, err := s.Store.Read(u, "INBOX", m.UID)
				if err != nil {
					return nil, fmt.Errorf("playground: journey: %s's INBOX on %s: %w", u, s.Name(), err)
				}
				mu.Subjects = append(mu.Subjects, headerSubject(raw))
			}
			info.Users = append(info.Users, mu)
		}
		for _, q := range s.Queue() {
			qi := QueuedInfo{ID: q.ID, From: q.From, To: nonNil(q.To), Attempts: []string{}}
			for _, t := range q.Attempts {
				qi.Attempts = append(qi.Attempts, timeString(t))
			}
			if !q.NextAttempt.IsZero() {
				qi.NextAttempt = timeString(q.NextAttempt)
			}
			info.Queue = append(info.Queue, qi)
		}
		out = append(out, info)
	}
	return out, nil
}

// headerSubject is a message's Subject header, unfolded and decoded
// (RFC 2047; left as it stands if it does not decode): enough to tell the
// learner's test message from the others.
func headerSubject(raw []byte) string {
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	head, _, _ := strings.Cut(text, "\n\n")
	head = strings.ReplaceAll(strings.ReplaceAll(head, "\n ", " "), "\n\t", " ")
	for _, line := range strings.Split(head, "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Subject") {
			value = strings.TrimSpace(value)
			if dec, err := new(mime.WordDecoder).DecodeHeader(value); err == nil {
				return dec
			}
			return value
		}
	}
	return ""
}

// MailServers lists the world's mail servers as the journey lab runs them:
// their domains, users and mailboxes, queue and whether they are down.
func (l *Lab) MailServers() (*MailServersResult, error) {
	_, j, err := l.lockJourney()
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	servers, err := j.servers()
	if err != nil {
		return nil, err
	}
	return &MailServersResult{Time: timeString(j.net.Clock.Now()), Servers: servers}, nil
}

// ServerDownRequest takes a mail server down or brings it back.
type ServerDownRequest struct {
	Server string `json:"server"`
	Down   bool   `json:"down"`
	// Duration, if set, bounds how long the clock runs afterwards (a
	// server that comes back runs its queue); by default it runs until
	// no mail is queued or in flight.
	Duration string `json:"duration,omitempty"`
}

// JourneyResult is what the journey calls that run the clock return.
type JourneyResult struct {
	// Events are the events of this call, in order.
	Events  []JourneyEvent   `json:"events"`
	Servers []MailServerInfo `json:"servers"`
	Time    string           `json:"time"`
}

// SetServerDown takes a mail server off the network as a crash would
// (connections to it are refused, its queue waits) or brings it back, when
// it runs its queue at once.
func (l *Lab) SetServerDown(req ServerDownRequest) (*JourneyResult, error) {
	d, err := parseRunFor(req.Duration)
	if err != nil {
		return nil, err
	}
	_, j, err := l.lockJourney()
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	s := j.net.Server(strings.TrimSuffix(req.Server, "."))
	if s == nil {
		return nil, fmt.Errorf("playground: no mail server %q", req.Server)
	}
	switch {
	case req.Down && !s.IsDown():
		s.Down()
	case !req.Down && s.IsDown():
		if err := s.Up(); err != nil {
			return nil, fmt.Errorf("playground: %s: %w", s.Name(), err)
		}
	}
	if err := j.run(d); err != nil {
		return nil, err
	}
	return j.result()
}

func (j *journey) result() (*JourneyResult, error) {
	servers, err := j.servers()
	if err != nil {
		return nil, err
	}
	return &JourneyResult{Events: j.callEvents(), Servers: servers, Time: timeString(j.net.Clock.Now())}, nil
}

// addrList is a list of addresses given as a JSON array, or as one string
// with addresses separated by commas.
type addrList []string

func (a *addrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = nil
		for _, s := range strings.Split(one, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*a = append(*a, s)
			}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want an address or a list of addresses: %w", err)
	}
	*a = many
	return nil
}

// SendRequest is a message a user agent submits in the journey lab.
type SendRequest struct {
	// From is the sender's address: a user of the world at a domain one of
	// the mail servers holds; that server is the submission server.
	From string   `json:"from"`
	To   addrList `json:"to"`
	// Subject and Body make the message, with Date and Message-ID headers
	// on the virtual clock.
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
	// Host is the machine the user agent runs on (default: the world's
	// first host, "laptop" in the demo).
	Host string `json:"host,omitempty"`
	// Password logs in; by default the world's clear-text password.
	Password string `json:"password,omitempty"`
	// Duration bounds how long the clock runs after the submission; by
	// default until every message is delivered or returned.
	Duration string `json:"duration,omitempty"`
}

// RcptInfo is the submission server's answer for one recipient.
type RcptInfo struct {
	Rcpt string `json:"rcpt"`
	Code int    `json:"code"`
	// Reply is the reply's text; Stage the command it answered.
	Reply string `json:"reply"`
	Stage string `json:"stage,omitempty"`
}

// SendResult is how a submission went and what followed.
type SendResult struct {
	// Server is the submission server; Accepted says it took every
	// recipient (RFC 5321 §4.2.5: 250 means it took responsibility).
	Server   string     `json:"server"`
	Accepted bool       `json:"accepted"`
	Results  []RcptInfo `json:"results"`
	// Error is a failure before any reply: the server's name not
	// resolving, or the connection refused.
	Error string `json:"error,omitempty"`
	JourneyResult
}

// JourneySend has a user agent submit a message to the sender's mail
// server (RFC 6409) and runs the clock while it travels.
func (l *Lab) JourneySend(req SendRequest) (*SendResult, error) {
	d, err := parseRunFor(req.Duration)
	if err != nil {
		return nil, err
	}
	if len(req.To) == 0 {
		return nil, errors.New("playground: journeySend: no recipient")
	}
	user, domain, ok := strings.Cut(strings.TrimSpace(req.From), "@")
	if !ok || user == "" || domain == "" {
		return nil, fmt.Errorf("playground: journeySend: from %q is not an address", req.From)
	}
	domain = strings.ToLower(domain)
	e, j, err := l.lockJourney()
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	var server *mailnet.Server
	for _, s := range j.net.Servers() {
		if slices.Contains(s.Spec.Domains, domain) && slices.Contains(s.Spec.Users[domain], user) {
			server = s
			break
		}
	}
	if server == nil {
		return nil, fmt.Errorf("playground: journeySend: no mail server holds %s", req.From)
	}
	password := req.Password
	if password == "" {
		p, _ := e.w.Users.Lookup(user)
		plain, ok := p.Plain()
		if !ok {
			return nil, fmt.Errorf("playground: journeySend: the world keeps %s's password hashed: give it", user)
		}
		password = plain
	}
	host := req.Host
	if host == "" {
		if hosts := j.net.Lab.Spec.Hosts; len(hosts) > 0 {
			host = hosts[0].Name
		}
	}
	now := j.net.Clock.Now()
	msg := fmt.Sprintf("From: <%s>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d.journey@%s>\r\n\r\n%s\r\n",
		req.From, angle(req.To), oneLine(req.Subject), now.Format(time.RFC1123Z), now.UnixNano(), domain,
		strings.ReplaceAll(strings.ReplaceAll(req.Body, "\r\n", "\n"), "\n", "\r\n"))
	res, err := j.net.SubmitSync(mailnet.Submission{Host: host, Server: server.Name(), User: user, Password: password,
		From: req.From, To: req.To, Msg: []byte(msg)})
	if err != nil {
		return nil, fmt.Errorf("playground: journeySend: %w", err)
	}
	out := &SendResult{Server: server.Name(), Accepted: res.Err == nil && res.Accepted(), Results: []RcptInfo{}}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	for _, r := range res.Results {
		out.Results = append(out.Results, RcptInfo{Rcpt: r.Rcpt, Code: r.Reply.Code, Reply: r.Reply.String(), Stage: r.Stage})
	}
	if err := j.run(d); err != nil {
		return nil, err
	}
	jr, err := j.result()
	if err != nil {
		return nil, err
	}
	out.JourneyResult = *jr
	return out, nil
}

func angle(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "<" + a + ">"
	}
	return strings.Join(out, ", ")
}

// oneLine keeps a header value on its line: a line break in it would
// start a header of the learner's making.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// JourneyRunRequest moves the journey's clock.
type JourneyRunRequest struct {
	// Duration bounds the run; by default it runs until no mail is
	// queued or in flight (retries make that hours of virtual time).
	Duration string `json:"duration,omitempty"`
}

// JourneyRun runs the journey lab's clock: retries fall due, and queued
// mail moves on.
func (l *Lab) JourneyRun(req JourneyRunRequest) (*JourneyResult, error) {
	d, err := parseRunFor(req.Duration)
	if err != nil {
		return nil, err
	}
	_, j, err := l.lockJourney()
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	if err := j.run(d); err != nil {
		return nil, err
	}
	return j.result()
}

// JourneyEventsRequest asks for the journey's events after a seq.
type JourneyEventsRequest struct {
	After int `json:"after,omitempty"`
}

// JourneyEventsResult is the journey's history.
type JourneyEventsResult struct {
	Events []JourneyEvent `json:"events"`
	// Last is the seq of the latest event, for the next request's after.
	Last int    `json:"last"`
	Time string `json:"time"`
}

// JourneyEvents returns the journey lab's events with a seq above after,
// oldest first (the latest 20000 at most).
func (l *Lab) JourneyEvents(req JourneyEventsRequest) (*JourneyEventsResult, error) {
	_, j, err := l.lockJourney()
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	out := &JourneyEventsResult{Events: []JourneyEvent{}, Last: j.nextSeq, Time: timeString(j.net.Clock.Now())}
	for _, ev := range j.events {
		if ev.Seq > req.After {
			out.Events = append(out.Events, ev)
		}
	}
	return out, nil
}
