package mailnet_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/mailnet"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/message"
	"github.com/wirelab/wirelab/engine/transport"
	"github.com/wirelab/wirelab/engine/world"
)

// lab is a mail network on a world with its events recorded.
type lab struct {
	*mailnet.Net
	events []mailnet.Event
}

func build(t testing.TB, w *world.World) *lab {
	t.Helper()
	return buildOpts(t, w, mailnet.Options{})
}

func buildOpts(t testing.TB, w *world.World, opts mailnet.Options) *lab {
	t.Helper()
	l := &lab{}
	opts.OnEvent = func(e mailnet.Event) { l.events = append(l.events, e) }
	n, err := mailnet.Build(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	l.Net = n
	return l
}

// demoWith is the demo world with some of its text replaced.
func demoWith(t testing.TB, replace ...string) *world.World {
	t.Helper()
	src := string(world.DemoArchive())
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(src, replace[i]) {
			t.Fatalf("the demo world has no %q", replace[i])
		}
		src = strings.Replace(src, replace[i], replace[i+1], 1)
	}
	w, err := world.Parse("demo.txtar", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

const note = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Lab 3 notes\r\nMessage-ID: <lab3@example.com>\r\n\r\nHere are my notes.\r\n.And a line with a dot.\r\n"

// submit has alice's laptop hand a message to mail.example.com.
func (l *lab) submit(t testing.TB, to ...string) {
	t.Helper()
	res, err := l.SubmitSync(mailnet.Submission{
		Host: "laptop", Server: "mail.example.com", User: "alice", Password: "wonderland",
		From: "alice@example.com", To: to, Msg: []byte(note),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accepted() {
		t.Fatalf("submission refused: %+v", res)
	}
}

// inbox returns the messages of a user's INBOX on a server.
func (l *lab) inbox(t testing.TB, server, user string) []string {
	t.Helper()
	st := l.Server(server).Store
	list, _, err := st.List(user, mailstore.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range list {
		raw, err := st.Read(user, mailstore.Inbox, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(raw))
	}
	return out
}

// commands lists the SMTP commands one host sent another.
func (l *lab) commands(from, to string) []string {
	var out []string
	for _, e := range l.events {
		if e.Kind == mailnet.EventCommand && e.From == from && e.To == to {
			out = append(out, e.Text)
		}
	}
	return out
}

// dnsQueries lists the servers a host sent a question to, in order. The
// resolver reports each of its queries, and the transport each message it
// sends; the two are one step of the walk.
func (l *lab) dnsQueries(from, question string) []string {
	var out []string
	for _, e := range l.events {
		if e.Kind == mailnet.EventDNS && e.DNS.Kind == "query" && e.DNS.FromName == from && e.DNS.Question == question {
			out = append(out, strings.TrimSuffix(e.DNS.ToName, "."))
		}
	}
	return slices.Compact(out)
}

// attempts lists the queue's attempt times for the first message a
// server queued, as offsets from the first attempt.
func (l *lab) attempts(server string) []time.Duration {
	var times []time.Time
	id := ""
	for _, e := range l.events {
		if e.Kind == mailnet.EventQueue && e.From == server && strings.HasPrefix(e.Text, "attempt ") && (id == "" || e.QueueID == id) {
			id = e.QueueID
			times = append(times, e.Time)
		}
	}
	var out []time.Duration
	for _, tm := range times {
		out = append(out, tm.Sub(times[0]))
	}
	return out
}

var journeyCommands = []string{
	"EHLO mail.example.com", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.org>", "DATA",
	"(message text, 304 octets)", "QUIT",
}

// The whole journey: alice's laptop submits to mail.example.com, which
// finds example.org's exchangers by asking its local DNS server (which
// walks root, TLD and authoritative servers), relays to mail.example.org,
// where bob's IMAP session, IDLE on his INBOX, hears about it at once.
func TestJourney(t *testing.T) {
	l := build(t, world.Demo())
	before := len(l.inbox(t, "mail.example.org", "bob"))
	idle := l.open(t, "phone", "mail.example.org", mailnet.PortIMAP, "a LOGIN bob builder", "b SELECT INBOX", "c IDLE")
	if err := l.RunUntil(func() bool { return bytes.Contains(idle.got, []byte("+ idling")) }); err != nil {
		t.Fatalf("%v; the IMAP session said %q", err, idle.got)
	}
	l.submit(t, "bob@example.org")
	if err := l.Settle(); err != nil {
		t.Fatal(err)
	}

	got := l.inbox(t, "mail.example.org", "bob")
	if len(got) != before+1 {
		t.Fatalf("bob has %d messages, want %d", len(got), before+1)
	}
	m := got[len(got)-1]
	for _, want := range []string{
		"Received: from mail.example.com (198.51.100.25)\r\n\tby mail.example.org with ESMTP",
		"Received: from laptop (203.0.113.100)\r\n\tby mail.example.com with ESMTPA",
		"Subject: Lab 3 notes\r\n",
		"\r\n.And a line with a dot.\r\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("bob's message lacks %q:\n%s", want, m)
		}
	}
	if want := fmt.Sprintf("* %d EXISTS", before+1); !bytes.Contains(idle.got, []byte(want)) {
		t.Errorf("the IDLE session did not report %q; it got %q", want, idle.got)
	}

	// RFC 1034 §5.3.3: root, then the org TLD server, then example.org's.
	if diff := cmp.Diff([]string{"dns.isp.example.net"}, l.dnsQueries("mail.example.com", "example.org. MX")); diff != "" {
		t.Errorf("stub MX queries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.root-servers.net", "a0.org-servers.net", "ns1.example.org"}, l.dnsQueries("dns.isp.example.net", "example.org. MX")); diff != "" {
		t.Errorf("iterative MX queries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(journeyCommands, l.commands("mail.example.com", "mail.example.org")); diff != "" {
		t.Errorf("relay commands (-want +got):\n%s", diff)
	}
	wantSubmit := []string{"EHLO laptop", "AUTH PLAIN ****", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.org>", "DATA", "(message text, 165 octets)", "QUIT"}
	if diff := cmp.Diff(wantSubmit, l.commands("laptop", "mail.example.com")); diff != "" {
		t.Errorf("submission commands (-want +got):\n%s", diff)
	}
	ehlo := false
	for _, e := range l.events {
		if e.Kind == mailnet.EventCommand && strings.Contains(e.Text, "AUTH PLAIN A") {
			t.Errorf("credentials in the trace: %v", e)
		}
		if e.Kind == mailnet.EventReply && e.From == "mail.example.org" && strings.HasPrefix(e.Text, "250-mail.example.org greets mail.example.com\n250-SIZE ") && strings.HasSuffix(e.Text, "\n250 HELP") {
			ehlo = true
		}
	}
	if !ehlo {
		t.Error("the trace lacks the whole multiline EHLO reply")
	}

	// POP3 on the same store sees it too.
	pop := l.open(t, "phone", "mail.example.org", mailnet.PortPOP3, "USER bob", "PASS builder", "STAT", "QUIT")
	if err := l.RunUntil(func() bool { return pop.ended }); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("+OK %d ", before+1); !strings.Contains(string(pop.got), "\r\n"+want) {
		t.Errorf("POP3 STAT did not say %q: %q", want, pop.got)
	}
}

// Down cuts a server's sessions and refuses new connections; Up serves
// again.
func TestDownUp(t *testing.T) {
	l := build(t, world.Demo())
	s := l.Server("mail.example.org")
	c := l.open(t, "phone", s.Name(), mailnet.PortIMAP, "a LOGIN bob builder")
	if err := l.RunUntil(func() bool { return bytes.Contains(c.got, []byte("a OK")) }); err != nil {
		t.Fatal(err)
	}
	s.Down()
	if err := l.RunUntil(func() bool { return c.ended }); err != nil {
		t.Fatal(err)
	}
	phone := l.Lab.HostNode("phone").Host
	if _, err := phone.DialStream(netip.AddrPortFrom(s.Addr(), mailnet.PortSMTP)); !errors.Is(err, transport.ErrRefused) {
		t.Errorf("dial to a down server: %v, want %v", err, transport.ErrRefused)
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	c = l.open(t, "phone", s.Name(), mailnet.PortIMAP, "a LOGIN bob builder")
	if err := l.RunUntil(func() bool { return bytes.Contains(c.got, []byte("a OK")) }); err != nil {
		t.Fatal(err)
	}
	var kinds []mailnet.EventKind
	for _, e := range l.events {
		if e.Kind == mailnet.EventServerDown || e.Kind == mailnet.EventServerUp {
			kinds = append(kinds, e.Kind)
		}
	}
	if diff := cmp.Diff([]mailnet.EventKind{mailnet.EventServerDown, mailnet.EventServerUp}, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// The same world and seed give the same journey, event for event.
func TestJourneyDeterministic(t *testing.T) {
	run := func() []string {
		l := build(t, world.Demo())
		l.submit(t, "bob@example.org", "nobody@example.org")
		if err := l.Settle(); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range l.events {
			out = append(out, e.String())
		}
		return out
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

// Failures: the preferred exchanger down (the backup takes the message and
// relays it when the primary is back, RFC 5321 §5.1), both down (retries
// on the schedule, then a notification, RFC 5321 §4.5.4.1 and RFC 3464),
// and an unknown user (550 at RCPT, returned at once).
func TestJourneyFailures(t *testing.T) {
	type dsn struct {
		status, action, recipient, remote, diag string
	}
	tests := []struct {
		name string
		opts mailnet.Options
		to   string
		down []string
		// upAfter brings the servers back up once this much virtual time
		// has passed since the submission.
		upAfter time.Duration
		// attempts are the queue attempts of a server, as offsets from its
		// first.
		attemptsOn string
		attempts   []time.Duration
		bobGets    int // messages bob gets
		bounce     *dsn
		relayedBy  string // the server whose Received: line is on top of bob's copy
	}{{
		name:       "preferred exchanger down",
		to:         "bob@example.org",
		down:       []string{"mail.example.org"},
		upAfter:    2 * time.Minute,
		attemptsOn: "backup-mail.example.org",
		attempts:   []time.Duration{0, 5 * time.Minute},
		bobGets:    1,
		relayedBy:  "backup-mail.example.org",
	}, {
		name:       "both exchangers down",
		to:         "bob@example.org",
		down:       []string{"mail.example.org", "backup-mail.example.org"},
		attemptsOn: "mail.example.com",
		attempts:   []time.Duration{0, 5 * time.Minute, 15 * time.Minute, 45 * time.Minute},
		bounce:     &dsn{status: "4.4.1", action: "failed", recipient: "rfc822; bob@example.org", remote: "dns; backup-mail.example.org"},
	}, {
		name:       "both down, given up by age",
		opts:       mailnet.Options{RetrySchedule: []time.Duration{30 * time.Minute}, MaxAttempts: 100, GiveUpAfter: 2 * time.Hour},
		to:         "bob@example.org",
		down:       []string{"mail.example.org", "backup-mail.example.org"},
		attemptsOn: "mail.example.com",
		attempts:   []time.Duration{0, 30 * time.Minute, 60 * time.Minute, 90 * time.Minute},
		bounce:     &dsn{status: "4.4.1", action: "failed", recipient: "rfc822; bob@example.org", remote: "dns; backup-mail.example.org"},
	}, {
		name:       "unknown user",
		to:         "nobody@example.org",
		attemptsOn: "mail.example.com",
		attempts:   []time.Duration{0},
		bounce: &dsn{status: "5.1.1", action: "failed", recipient: "rfc822; nobody@example.org", remote: "dns; mail.example.org",
			diag: "smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := buildOpts(t, world.Demo(), tc.opts)
			bobBefore := len(l.inbox(t, "mail.example.org", "bob"))
			aliceBefore := len(l.inbox(t, "mail.example.com", "alice"))
			for _, s := range tc.down {
				l.Server(s).Down()
			}
			start := l.Clock.Now()
			l.submit(t, tc.to)
			if tc.upAfter > 0 {
				if err := l.RunUntil(func() bool { return l.Clock.Now().Sub(start) >= tc.upAfter }); err != nil {
					t.Fatal(err)
				}
				if n := len(l.inbox(t, "mail.example.org", "bob")); n != bobBefore {
					t.Fatalf("bob got mail while his server was down")
				}
				for _, s := range tc.down {
					if err := l.Server(s).Up(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := l.Settle(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.attempts, l.attempts(tc.attemptsOn)); diff != "" {
				t.Errorf("attempts on %s (-want +got):\n%s", tc.attemptsOn, diff)
			}
			bob := l.inbox(t, "mail.example.org", "bob")
			if len(bob)-bobBefore != tc.bobGets {
				t.Errorf("bob got %d messages, want %d", len(bob)-bobBefore, tc.bobGets)
			}
			if tc.relayedBy != "" && len(bob) > 0 {
				top := bob[len(bob)-1]
				want := "Received: from " + tc.relayedBy
				if i := strings.Index(top, "Received: "); i < 0 || !strings.HasPrefix(top[i:], want) {
					t.Errorf("the newest Received: line is not from %s:\n%s", tc.relayedBy, top)
				}
			}
			alice := l.inbox(t, "mail.example.com", "alice")
			if tc.bounce == nil {
				if len(alice) != aliceBefore {
					t.Errorf("alice got %d messages, want none", len(alice)-aliceBefore)
				}
				return
			}
			if len(alice) != aliceBefore+1 {
				t.Fatalf("alice got %d messages, want one notification", len(alice)-aliceBefore)
			}
			report := checkDSN(t, alice[len(alice)-1])
			got := dsn{status: report["Status"], action: report["Action"], recipient: report["Final-Recipient"], remote: report["Remote-MTA"], diag: report["Diagnostic-Code"]}
			if diff := cmp.Diff(*tc.bounce, got, cmp.AllowUnexported(dsn{})); diff != "" {
				t.Errorf("delivery status (-want +got):\n%s", diff)
			}
			if report["Reporting-MTA"] != "dns; mail.example.com" {
				t.Errorf("Reporting-MTA: %q", report["Reporting-MTA"])
			}
		})
	}
}

// checkDSN parses a notification with engine/message, checks its shape
// (RFC 3464 §2, RFC 6522) and returns the fields of its per-message and
// (only) per-recipient block.
func checkDSN(t *testing.T, raw string) map[string]string {
	t.Helper()
	if !strings.HasPrefix(raw, "Return-Path: <>\r\n") {
		t.Errorf("a notification's reverse-path must be null:\n%s", raw)
	}
	p, err := message.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType.String() != "multipart/report" || p.ContentType.Param("report-type") != "delivery-status" {
		t.Fatalf("Content-Type %v report-type=%q", p.ContentType, p.ContentType.Param("report-type"))
	}
	var types []string
	for _, part := range p.Parts {
		types = append(types, part.ContentType.String())
	}
	if diff := cmp.Diff([]string{"text/plain", "message/delivery-status", "text/rfc822-headers"}, types); diff != "" {
		t.Fatalf("parts (-want +got):\n%s", diff)
	}
	if h := string(p.Parts[2].Body()); !strings.Contains(h, "Subject: Lab 3 notes") || strings.Contains(h, "Here are my notes") {
		t.Errorf("the returned header part is wrong:\n%s", h)
	}
	blocks := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(p.Parts[1].Body()), "\r\n", "\n")), "\n\n")
	if len(blocks) != 2 {
		t.Fatalf("want a per-message and one per-recipient block, got %d:\n%s", len(blocks), p.Parts[1].Body())
	}
	fields := map[string]string{}
	for _, line := range strings.Split(blocks[0]+"\n"+blocks[1], "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("bad delivery-status line %q", line)
		}
		fields[k] = v
	}
	return fields
}

// A domain without MX records gets its mail at its own address (RFC 5321
// §5.1); a null MX (RFC 7505) refuses mail at once.
func TestNoMX(t *testing.T) {
	const mx = "@     IN MX  10 mail.example.org.\n@     IN MX  20 backup-mail.example.org.\n"
	tests := []struct {
		name    string
		records string
		bobGets int
		status  string
	}{
		{"A fallback", "@     IN A   198.51.100.26\n", 1, ""},
		{"null MX", "@     IN MX  0 .\n", 0, "5.1.10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := build(t, demoWith(t, mx, tc.records))
			before := len(l.inbox(t, "mail.example.org", "bob"))
			aliceBefore := len(l.inbox(t, "mail.example.com", "alice"))
			l.submit(t, "bob@example.org")
			if err := l.Settle(); err != nil {
				t.Fatal(err)
			}
			if n := len(l.inbox(t, "mail.example.org", "bob")) - before; n != tc.bobGets {
				t.Errorf("bob got %d messages, want %d", n, tc.bobGets)
			}
			if tc.status == "" {
				if diff := cmp.Diff([]string{"dns.isp.example.net"}, l.dnsQueries("mail.example.com", "example.org. A")); diff != "" {
					t.Errorf("no A query for the domain (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(journeyCommands, l.commands("mail.example.com", "mail.example.org")); diff != "" {
					t.Errorf("relay commands (-want +got):\n%s", diff)
				}
				return
			}
			alice := l.inbox(t, "mail.example.com", "alice")
			if len(alice) != aliceBefore+1 {
				t.Fatalf("alice got %d messages, want a notification", len(alice)-aliceBefore)
			}
			if got := checkDSN(t, alice[len(alice)-1])["Status"]; got != tc.status {
				t.Errorf("Status %q, want %q", got, tc.status)
			}
		})
	}
}

// A backup exchanger relays only to exchangers more preferred than itself
// (RFC 5321 §5.1), and mail for local users never leaves the server.
func TestBackupAndLocal(t *testing.T) {
	l := build(t, world.Demo())
	l.Server("mail.example.com").Down()
	// bob writes to alice while her server is down: the backup takes it.
	res, err := l.SubmitSync(mailnet.Submission{Host: "phone", Server: "mail.example.org", User: "bob", Password: "builder",
		From: "bob@example.org", To: []string{"alice@example.com"}, Msg: []byte("Subject: hi\r\n\r\nhi\r\n")})
	if err != nil || !res.Accepted() {
		t.Fatalf("%+v %v", res, err)
	}
	if err := l.RunUntil(func() bool { return len(l.Server("backup-mail.example.org").Queue()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := l.Server("mail.example.com").Up(); err != nil {
		t.Fatal(err)
	}
	aliceBefore := len(l.inbox(t, "mail.example.com", "alice"))
	if err := l.Settle(); err != nil {
		t.Fatal(err)
	}
	if n := len(l.inbox(t, "mail.example.com", "alice")) - aliceBefore; n != 1 {
		t.Errorf("alice got %d messages, want 1", n)
	}
	if got := l.commands("backup-mail.example.org", "backup-mail.example.org"); len(got) != 0 {
		t.Errorf("the backup relayed to itself: %q", got)
	}
	// alice to carol: both on mail.example.com, so no MX lookup at all.
	l.events = nil
	carolBefore := len(l.inbox(t, "mail.example.com", "carol"))
	l.submit(t, "carol@example.com")
	if err := l.Settle(); err != nil {
		t.Fatal(err)
	}
	if n := len(l.inbox(t, "mail.example.com", "carol")) - carolBefore; n != 1 {
		t.Errorf("carol got %d messages, want 1", n)
	}
	if q := l.dnsQueries("mail.example.com", "example.com. MX"); len(q) != 0 {
		t.Errorf("local mail looked up MX: %q", q)
	}
}

// peer is a test's POP3 or IMAP connection over the simulated network.
type peer struct {
	st    transport.Stream
	got   []byte
	ended bool
}

// open connects from a host to a server's port and sends the commands,
// pipelined.
func (l *lab) open(t *testing.T, from, server string, port uint16, cmds ...string) *peer {
	t.Helper()
	h := l.Lab.HostNode(from).Host
	st, err := h.DialStream(netip.AddrPortFrom(l.Server(server).Addr(), port))
	if err != nil {
		t.Fatal(err)
	}
	c := &peer{st: st}
	transport.Watch(l.Clock, st, func(p []byte) { c.got = append(c.got, p...) }, func(error) { c.ended = true })
	st.Write([]byte(strings.Join(cmds, "\r\n") + "\r\n"))
	t.Cleanup(func() { st.Close() })
	return c
}

func TestParseSpecErrors(t *testing.T) {
	const line = "backup-mail.example.org  backup=example.com,example.org\n"
	tests := []struct {
		name, replace, want string
	}{
		{"not a host", "nowhere.example.org backup=example.org\n", `dns/mailservers: line 8: mail server nowhere.example.org is not a host of dns/hosts`},
		{"unknown user", "mail.example.org example.net zed\n", `dns/mailservers: line 8: user "zed" is not in the world's users file`},
		{"domain twice", "mail.example.org example.com\n", `dns/mailservers: line 8: domain example.com is already held by mail.example.com`},
		{"user twice", "mail.example.org example.net alice\n", `dns/mailservers: line 8: user alice already has a mailbox on mail.example.com`},
		{"backup of nothing", "backup-mail.example.org backup=example.net\n", `dns/mailservers: line 8: backup for example.net, which no mail server holds`},
		{"bad domain", "backup-mail.example.org backup=exa mple\n", `dns/mailservers: line 8: a backup= line takes no users`},
		{"one field", "mail.example.org\n", `dns/mailservers: line 8: want: name domain user... or name backup=domain[,domain...]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mailnet.Build(demoWith(t, line, tc.replace), mailnet.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkJourney measures the whole journey in the engine: submission,
// MX lookup, relay and delivery into bob's INBOX. "warm" reuses the DNS
// caches of earlier journeys, "cold" flushes them first, so each journey
// walks root, TLD and authoritative servers again.
func BenchmarkJourney(b *testing.B) {
	for _, cold := range []bool{false, true} {
		name := "warm"
		if cold {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			n, err := mailnet.Build(world.Demo(), mailnet.Options{})
			if err != nil {
				b.Fatal(err)
			}
			l := &lab{Net: n}
			sub := mailnet.Submission{Host: "laptop", Server: "mail.example.com", User: "alice", Password: "wonderland",
				From: "alice@example.com", To: []string{"bob@example.org"}, Msg: []byte(note)}
			before := len(l.inbox(b, "mail.example.org", "bob"))
			b.ReportAllocs()
			for b.Loop() {
				if cold {
					for _, s := range n.Lab.Servers() {
						if s.Resolver != nil {
							s.Resolver.Flush()
						}
					}
				}
				if res, err := n.SubmitSync(sub); err != nil || !res.Accepted() {
					b.Fatal(res, err)
				}
				if err := n.Settle(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got := len(l.inbox(b, "mail.example.org", "bob")) - before; got != b.N {
				b.Fatalf("bob got %d messages in %d journeys", got, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "journeys/s")
		})
	}
}
