package pop3_test

// Tests of the POP3 client (RFC 1939, RFC 2449 response codes, RFC 5034 AUTH
// PLAIN) against the real server driven by Serve over transport.Pipe, and
// against a scripted fake server for the replies a correct server never
// sends. Helper names start with "cli" to stay clear of the server tests'
// helpers in this package.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/transport"
	"github.com/wirelab/wirelab/engine/world"
)

// cliHost is the test server's hostname, which ends the APOP timestamp.
const cliHost = "pop.example.com"

// cliLab is a POP3 server on the demo world: each connect is one
// connection with its own Serve, as a real server forks per connection.
type cliLab struct {
	tb    testing.TB
	store *mailstore.Store
	cfg   *pop3.Config
	// clock drives every session's timers; tests advance it to get past
	// the failed-login delay.
	clock  *clock.Virtual
	nextID uint64
	// ended[i] is closed when the session of the i+1th connect has ended.
	ended []chan struct{}
}

func newCliLab(tb testing.TB) *cliLab {
	tb.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		tb.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	w := world.Demo()
	if _, err := w.Populate(st); err != nil {
		tb.Fatal(err)
	}
	return &cliLab{
		tb:    tb,
		store: st,
		cfg:   &pop3.Config{Store: st, Users: w.Users, Hostname: cliHost},
		clock: clock.NewVirtual(clock.Epoch),
	}
}

// connect starts a server session and returns the client's end of its
// connection. At cleanup the client's end is closed and Serve must have
// ended without error.
func (l *cliLab) connect() transport.Stream {
	l.nextID++
	cs, ss := transport.Pipe()
	done := make(chan error, 1)
	ended := make(chan struct{})
	l.ended = append(l.ended, ended)
	opts := pop3.ServeOptions{Clock: l.clock, ID: l.nextID}
	go func() {
		_, err := pop3.Serve(context.Background(), l.cfg, ss, opts)
		close(ended)
		done <- err
	}()
	l.tb.Cleanup(func() {
		cs.Close()
		if err := <-done; err != nil {
			l.tb.Errorf("Serve: %v", err)
		}
	})
	return cs
}

// waitEnded waits until the server has noticed that every connection made
// so far has ended. A client that drops its connection and reconnects at
// once may otherwise still find its old session holding the maildrop lock,
// as it would on a real network.
func (l *cliLab) waitEnded() {
	for _, ch := range l.ended {
		<-ch
	}
}

// client connects and reads the greeting.
func (l *cliLab) client() *pop3.Client {
	l.tb.Helper()
	c, err := pop3.NewClient(l.connect())
	if err != nil {
		l.tb.Fatal(err)
	}
	return c
}

// login connects and logs in with USER and PASS.
func (l *cliLab) login(user, pass string) *pop3.Client {
	l.tb.Helper()
	c := l.client()
	if err := c.Login(user, pass); err != nil {
		l.tb.Fatal(err)
	}
	return c
}

// deliver puts a new message into user's INBOX.
func (l *cliLab) deliver(user, raw string) {
	l.tb.Helper()
	if _, err := l.store.Deliver(user, mailstore.Inbox, []byte(raw), nil, time.Time{}); err != nil {
		l.tb.Fatal(err)
	}
}

// uids returns the store's UIDs of user's INBOX.
func (l *cliLab) uids(user string) []uint32 {
	l.tb.Helper()
	msgs, _, err := l.store.List(user, mailstore.Inbox)
	if err != nil {
		l.tb.Fatal(err)
	}
	var out []uint32
	for _, m := range msgs {
		out = append(out, m.UID)
	}
	return out
}

// uidls asks the server for user's unique-ids in a session of its own.
func (l *cliLab) uidls(user, pass string) []string {
	l.tb.Helper()
	c := l.login(user, pass)
	entries, err := c.UIDL()
	if err != nil {
		l.tb.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		l.tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.UID)
	}
	return out
}

// cliCRLF gives data CRLF line endings, as POP3 sends every message.
func cliCRLF(data []byte) []byte {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
}

// cliWorldInbox returns user's demo INBOX messages as POP3 sends them.
func cliWorldInbox(user string) [][]byte {
	var out [][]byte
	for _, m := range world.Demo().Mailboxes[user][0].Messages {
		out = append(out, cliCRLF(m.Raw))
	}
	return out
}

// cliOctets sums the sizes of msgs.
func cliOctets(msgs [][]byte) int64 {
	var n int64
	for _, m := range msgs {
		n += int64(len(m))
	}
	return n
}

// cliTranscript records a dialogue in RFC notation ("C: USER alice").
type cliTranscript struct{ lines []string }

func (tr *cliTranscript) trace(dir pop3.Direction, line string) {
	tr.lines = append(tr.lines, dir.String()+": "+line)
}

// sent returns the client's lines only.
func (tr *cliTranscript) sent() []string {
	var out []string
	for _, l := range tr.lines {
		if c, ok := strings.CutPrefix(l, "C: "); ok {
			out = append(out, c)
		}
	}
	return out
}

// cliCheckErr compares an error's text and, when want is not nil, the
// *pop3.Error it wraps. An empty wantMsg means no error.
func cliCheckErr(t *testing.T, err error, wantMsg string, want *pop3.Error) {
	t.Helper()
	if wantMsg == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", wantMsg)
	}
	if got := err.Error(); got != wantMsg {
		t.Errorf("error = %q, want %q", got, wantMsg)
	}
	var got *pop3.Error
	errors.As(err, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("*pop3.Error (-want +got):\n%s", diff)
	}
}

func TestClientGreeting(t *testing.T) {
	lab := newCliLab(t)
	c := lab.client()
	stamp := fmt.Sprintf("<1.%d@%s>", clock.Epoch.UnixNano(), cliHost)
	if got, want := c.Greeting(), "wirelab POP3 server ready "+stamp; got != want {
		t.Errorf("Greeting() = %q, want %q", got, want)
	}
	if got := c.Timestamp(); got != stamp {
		t.Errorf("Timestamp() = %q, want %q", got, stamp)
	}
	if err := c.Quit(); err != nil {
		t.Errorf("Quit from AUTHORIZATION: %v", err)
	}
}

func TestClientCapa(t *testing.T) {
	common := []string{"TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"}
	tests := []struct {
		name  string
		login bool
		want  []string
	}{
		{"AUTHORIZATION", false, append(append([]string{}, common...), "USER", "SASL PLAIN", "IMPLEMENTATION wirelab")},
		// RFC 2449 §5: login mechanisms are no longer listed once logged in.
		{"TRANSACTION", true, append(append([]string{}, common...), "IMPLEMENTATION wirelab")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lab := newCliLab(t)
			c := lab.client()
			if tc.login {
				if err := c.Login("alice", "wonderland"); err != nil {
					t.Fatal(err)
				}
			}
			got, err := c.Capa()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Capa() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClientLogin runs every way of logging in (RFC 1939 §7, RFC 5034)
// against the server, on a virtual clock inside a synctest bubble: a failed
// login must stay unanswered for exactly pop3.AuthFailureDelay of virtual
// time, and no test waits on the wall clock.
func TestClientLogin(t *testing.T) {
	authFailed := &pop3.Error{Code: "AUTH", Text: "Authentication failed"}
	tests := []struct {
		name    string
		lock    bool // another session holds alice's maildrop
		login   func(c *pop3.Client) error
		delayed bool
		wantMsg string
		want    *pop3.Error
	}{
		{name: "USER and PASS", login: func(c *pop3.Client) error { return c.Login("alice", "wonderland") }},
		{name: "APOP", login: func(c *pop3.Client) error { return c.APOP("alice", "wonderland") }},
		{name: "AUTH PLAIN", login: func(c *pop3.Client) error { return c.AuthPlain("alice", "wonderland") }},
		{
			name:    "wrong password",
			login:   func(c *pop3.Client) error { return c.Login("alice", "looking-glass") },
			delayed: true,
			wantMsg: "pop3: PASS: -ERR [AUTH] Authentication failed",
			want:    authFailed,
		},
		{
			name:    "unknown user",
			login:   func(c *pop3.Client) error { return c.Login("mallory", "wonderland") },
			delayed: true,
			wantMsg: "pop3: PASS: -ERR [AUTH] Authentication failed",
			want:    authFailed,
		},
		{
			name:    "APOP wrong secret",
			login:   func(c *pop3.Client) error { return c.APOP("alice", "looking-glass") },
			delayed: true,
			wantMsg: "pop3: APOP alice: -ERR [AUTH] Authentication failed",
			want:    authFailed,
		},
		{
			name:    "AUTH PLAIN wrong password",
			login:   func(c *pop3.Client) error { return c.AuthPlain("alice", "looking-glass") },
			delayed: true,
			wantMsg: "pop3: AUTH PLAIN: -ERR [AUTH] Authentication failed",
			want:    authFailed,
		},
		{
			name:    "PASS before USER",
			login:   func(c *pop3.Client) error { return c.Pass("wonderland") },
			wantMsg: "pop3: PASS: -ERR Send USER first",
			want:    &pop3.Error{Text: "Send USER first"},
		},
		{
			name:    "maildrop in use",
			lock:    true,
			login:   func(c *pop3.Client) error { return c.Login("alice", "wonderland") },
			wantMsg: "pop3: PASS: -ERR [IN-USE] Maildrop is locked by another POP3 session",
			want:    &pop3.Error{Code: "IN-USE", Text: "Maildrop is locked by another POP3 session"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lab := newCliLab(t)
				if tc.lock {
					unlock, err := lab.store.LockMaildrop("alice")
					if err != nil {
						t.Fatal(err)
					}
					defer unlock()
				}
				c := lab.client()
				errc := make(chan error, 1)
				go func() { errc <- tc.login(c) }()
				synctest.Wait()
				if tc.delayed {
					for _, step := range []time.Duration{0, pop3.AuthFailureDelay - time.Nanosecond} {
						lab.clock.Advance(step)
						synctest.Wait()
						select {
						case err := <-errc:
							t.Fatalf("answered %v into the failed-login delay: %v", step, err)
						default:
						}
					}
					lab.clock.Advance(time.Nanosecond)
				}
				cliCheckErr(t, <-errc, tc.wantMsg, tc.want)
				if tc.wantMsg != "" {
					return
				}
				n, octets, err := c.Stat()
				if err != nil {
					t.Fatal(err)
				}
				inbox := cliWorldInbox("alice")
				if n != len(inbox) || octets != cliOctets(inbox) {
					t.Errorf("Stat() = %d, %d; want %d, %d", n, octets, len(inbox), cliOctets(inbox))
				}
				if err := c.Quit(); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestClientInvalidArguments checks that arguments that would break the
// command line are refused before anything is sent.
func TestClientInvalidArguments(t *testing.T) {
	tests := []struct {
		name    string
		call    func(c *pop3.Client) error
		wantMsg string
	}{
		{"empty user", func(c *pop3.Client) error { return c.User("") }, "pop3: invalid command argument: USER"},
		{"space in user", func(c *pop3.Client) error { return c.User("alice liddell") }, "pop3: invalid command argument: USER"},
		{"CRLF in password", func(c *pop3.Client) error { return c.Pass("x\r\nDELE 1") }, "pop3: invalid command argument: PASS"},
		{"LF in APOP user", func(c *pop3.Client) error { return c.APOP("alice\nQUIT", "wonderland") }, "pop3: invalid command argument: APOP"},
		{"NUL in PLAIN user", func(c *pop3.Client) error { return c.AuthPlain("bob\x00alice", "builder") }, "pop3: invalid command argument: AUTH PLAIN"},
		{"empty PLAIN password", func(c *pop3.Client) error { return c.AuthPlain("alice", "") }, "pop3: invalid command argument: AUTH PLAIN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lab := newCliLab(t)
			var tr cliTranscript
			c, err := pop3.NewClientOptions(lab.connect(), pop3.ClientOptions{Trace: tr.trace})
			if err != nil {
				t.Fatal(err)
			}
			err = tc.call(c)
			if !errors.Is(err, pop3.ErrInvalidArgument) || err.Error() != tc.wantMsg {
				t.Errorf("error = %v, want %q (pop3.ErrInvalidArgument)", err, tc.wantMsg)
			}
			if got := tr.sent(); len(got) != 0 {
				t.Errorf("sent %q, want nothing", got)
			}
			if err := c.Noop(); err == nil || err.Error() != "pop3: NOOP: -ERR NOOP is not valid in the AUTHORIZATION state" {
				t.Errorf("the session is out of step after the refusal: NOOP gave %v", err)
			}
		})
	}
}

// TestClientTransaction walks every TRANSACTION command (RFC 1939 §5, §7)
// through one session on alice's maildrop, step by step.
func TestClientTransaction(t *testing.T) {
	lab := newCliLab(t)
	inbox := cliWorldInbox("alice")
	var list []pop3.ListEntry
	for i, m := range inbox {
		list = append(list, pop3.ListEntry{Number: i + 1, Octets: int64(len(m))})
	}
	header := func(m []byte, bodyLines int) []byte {
		end := bytes.Index(m, []byte("\r\n\r\n")) + 4
		for ; bodyLines > 0; bodyLines-- {
			end += bytes.Index(m[end:], []byte("\r\n")) + 2
		}
		return m[:end]
	}
	uidls := lab.uidls("alice", "wonderland")
	var uidlList []pop3.UIDLEntry
	for i, u := range uidls {
		uidlList = append(uidlList, pop3.UIDLEntry{Number: i + 1, UID: u})
	}
	c := lab.login("alice", "wonderland")
	stat := func(c *pop3.Client) (any, error) {
		n, octets, err := c.Stat()
		return [2]int64{int64(n), octets}, err
	}
	ok := func(f func(c *pop3.Client) error) func(c *pop3.Client) (any, error) {
		return func(c *pop3.Client) (any, error) { return nil, f(c) }
	}
	total := cliOctets(inbox)
	steps := []struct {
		name    string
		do      func(c *pop3.Client) (any, error)
		want    any
		wantMsg string
		wantErr *pop3.Error
	}{
		{name: "STAT", do: stat, want: [2]int64{9, total}},
		{name: "LIST", do: func(c *pop3.Client) (any, error) { return c.List() }, want: list},
		{name: "LIST 3", do: func(c *pop3.Client) (any, error) { return c.ListOne(3) }, want: list[2]},
		{
			name:    "LIST 10",
			do:      func(c *pop3.Client) (any, error) { return c.ListOne(10) },
			want:    pop3.ListEntry{},
			wantMsg: "pop3: LIST 10: -ERR No such message",
			wantErr: &pop3.Error{Text: "No such message"},
		},
		{name: "UIDL", do: func(c *pop3.Client) (any, error) { return c.UIDL() }, want: uidlList},
		{name: "UIDL 9", do: func(c *pop3.Client) (any, error) { return c.UIDLOne(9) }, want: uidlList[8]},
		{name: "TOP 1 0", do: func(c *pop3.Client) (any, error) { return c.Top(1, 0) }, want: header(inbox[0], 0)},
		{name: "TOP 2 3", do: func(c *pop3.Client) (any, error) { return c.Top(2, 3) }, want: header(inbox[1], 3)},
		{name: "RETR 1", do: func(c *pop3.Client) (any, error) { return c.Retr(1) }, want: inbox[0]},
		{name: "DELE 1", do: ok(func(c *pop3.Client) error { return c.Dele(1) })},
		{
			name:    "DELE 1 again",
			do:      ok(func(c *pop3.Client) error { return c.Dele(1) }),
			wantMsg: "pop3: DELE 1: -ERR Message 1 is deleted",
			wantErr: &pop3.Error{Text: "Message 1 is deleted"},
		},
		{
			name:    "RETR 1 deleted",
			do:      func(c *pop3.Client) (any, error) { return c.Retr(1) },
			want:    []byte(nil),
			wantMsg: "pop3: RETR 1: -ERR Message 1 is deleted",
			wantErr: &pop3.Error{Text: "Message 1 is deleted"},
		},
		{name: "STAT after DELE", do: stat, want: [2]int64{8, total - list[0].Octets}},
		{name: "LIST after DELE", do: func(c *pop3.Client) (any, error) { return c.List() }, want: list[1:]},
		{name: "RSET", do: ok((*pop3.Client).Rset)},
		{name: "STAT after RSET", do: stat, want: [2]int64{9, total}},
		{name: "NOOP", do: ok((*pop3.Client).Noop)},
		{name: "DELE 2", do: ok(func(c *pop3.Client) error { return c.Dele(2) })},
		{name: "QUIT", do: ok((*pop3.Client).Quit)},
		{
			name:    "NOOP after QUIT",
			do:      ok((*pop3.Client).Noop),
			wantMsg: "pop3: client is closed: NOOP",
		},
	}
	before := lab.uids("alice")
	for _, step := range steps {
		got, err := step.do(c)
		if step.wantMsg != "" {
			if err == nil || err.Error() != step.wantMsg {
				t.Errorf("%s: error = %v, want %q", step.name, err, step.wantMsg)
			}
			var se *pop3.Error
			errors.As(err, &se)
			if diff := cmp.Diff(step.wantErr, se); diff != "" {
				t.Errorf("%s: *pop3.Error (-want +got):\n%s", step.name, diff)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", step.name, diff)
		}
	}
	if err := c.Noop(); !errors.Is(err, pop3.ErrClosed) {
		t.Errorf("NOOP after QUIT: %v, want pop3.ErrClosed", err)
	}
	// QUIT removed message 2 only: RSET had undone DELE 1 (RFC 1939 §6).
	want := append([]uint32{before[0]}, before[2:]...)
	if diff := cmp.Diff(want, lab.uids("alice")); diff != "" {
		t.Errorf("INBOX UIDs after QUIT (-want +got):\n%s", diff)
	}
}

// TestClientRetrDemo retrieves every message of alice's demo INBOX and
// compares it byte for byte with the world's, in CRLF form. The demo holds
// the awkward cases: lines starting with '.', a 100 KB message, a body line
// starting with "From ".
func TestClientRetrDemo(t *testing.T) {
	lab := newCliLab(t)
	c := lab.login("alice", "wonderland")
	for i, want := range cliWorldInbox("alice") {
		t.Run(fmt.Sprintf("message %d", i+1), func(t *testing.T) {
			got, err := c.Retr(i + 1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("RETR %d (-want +got):\n%s", i+1, cmp.Diff(string(want), string(got)))
			}
		})
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// TestClientByteStuffing sends messages whose lines begin with the
// termination octet and checks that they are stuffed on the wire and come
// back unchanged (RFC 1939 §3).
func TestClientByteStuffing(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
		// wire are the body lines of the RETR reply as sent.
		wire []string
	}{
		{
			name: "lines starting with dots",
			raw:  "Subject: dots\n\n.\n..\n.leading\nmiddle . dot\n...\n",
			want: "Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmiddle . dot\r\n...\r\n",
			wire: []string{"Subject: dots", "", "..", "...", "..leading", "middle . dot", "....", "."},
		},
		{
			name: "CRLF already",
			raw:  "Subject: crlf\r\n\r\n.x\r\n",
			want: "Subject: crlf\r\n\r\n.x\r\n",
			wire: []string{"Subject: crlf", "", "..x", "."},
		},
		{
			name: "last line without a line ending",
			raw:  "Subject: eof\n\n.last",
			want: "Subject: eof\r\n\r\n.last\r\n",
			wire: []string{"Subject: eof", "", "..last", "."},
		},
		{
			name: "CRLF.CRLF inside the body",
			raw:  "Subject: early end?\n\nbefore\n.\nafter\n",
			want: "Subject: early end?\r\n\r\nbefore\r\n.\r\nafter\r\n",
			wire: []string{"Subject: early end?", "", "before", "..", "after", "."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lab := newCliLab(t)
			lab.deliver("bob", tc.raw)
			var tr cliTranscript
			c, err := pop3.NewClientOptions(lab.connect(), pop3.ClientOptions{Trace: tr.trace})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Login("bob", "builder"); err != nil {
				t.Fatal(err)
			}
			n := len(cliWorldInbox("bob")) + 1
			mark := len(tr.lines) + 2 // after "C: RETR n" and its status line
			got, err := c.Retr(n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("RETR %d (-want +got):\n%s", n, diff)
			}
			var wire []string
			for _, l := range tr.lines[mark:] {
				wire = append(wire, strings.TrimPrefix(l, "S: "))
			}
			if diff := cmp.Diff(tc.wire, wire); diff != "" {
				t.Errorf("RETR %d on the wire (-want +got):\n%s", n, diff)
			}
			top, err := c.Top(n, 100)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(top)); diff != "" {
				t.Errorf("TOP %d 100 (-want +got):\n%s", n, diff)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestClientTrace checks the dialogue a client reports, in RFC 1939's C:/S:
// notation.
func TestClientTrace(t *testing.T) {
	lab := newCliLab(t)
	bob := cliWorldInbox("bob")
	var tr cliTranscript
	c, err := pop3.NewClientOptions(lab.connect(), pop3.ClientOptions{Trace: tr.trace})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("bob", "builder"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Stat(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	n, octets := len(bob), cliOctets(bob)
	want := []string{
		fmt.Sprintf("S: +OK wirelab POP3 server ready <1.%d@%s>", clock.Epoch.UnixNano(), cliHost),
		"C: USER bob",
		"S: +OK Send your password",
		"C: PASS builder",
		fmt.Sprintf("S: +OK bob's maildrop has %d messages (%d octets)", n, octets),
		"C: STAT",
		fmt.Sprintf("S: +OK %d %d", n, octets),
		"C: QUIT",
		fmt.Sprintf("S: +OK wirelab POP3 server signing off (%d messages left)", n),
	}
	if diff := cmp.Diff(want, tr.lines); diff != "" {
		t.Errorf("dialogue (-want +got):\n%s", diff)
	}
}

// cliFake plays the server's end of a connection from a script: it sends
// greeting, then answers each command line it reads with the next reply,
// verbatim. After the last reply it hangs up if hangUp is set; otherwise it
// keeps the connection open, as a stuck server would, until the client
// closes it. It returns the client's end and a function that returns the
// command lines the fake received, once the connection is over.
func cliFake(t *testing.T, greeting string, replies []string, hangUp bool) (transport.Stream, func() []string) {
	cs, ss := transport.Pipe()
	if _, err := io.WriteString(ss, greeting); err != nil {
		t.Fatal(err)
	}
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ss.Close()
		r := bufio.NewReader(ss)
		for _, reply := range replies {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			got = append(got, strings.TrimSuffix(line, "\r\n"))
			if _, err := io.WriteString(ss, reply); err != nil {
				return
			}
		}
		if hangUp {
			return
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			got = append(got, strings.TrimSuffix(line, "\r\n"))
		}
	}()
	t.Cleanup(func() {
		cs.Close()
		<-done
	})
	return cs, func() []string {
		cs.Close()
		<-done
		return got
	}
}

// TestClientBadServer feeds the client replies that break the protocol and
// checks it reports them without hanging. Each case runs in a synctest
// bubble, so a client that waited for bytes that never come would be
// reported as a deadlock instead of stalling the test run.
func TestClientBadServer(t *testing.T) {
	const greeting = "+OK ready\r\n"
	tests := []struct {
		name     string
		greeting string
		replies  []string
		hangUp   bool
		opts     pop3.ClientOptions
		// call is what the client does after the greeting; nil checks
		// NewClient's error.
		call    func(c *pop3.Client) error
		wantMsg string // "" for no error
		wantErr *pop3.Error
		// protocol and eof say the error wraps a *pop3.ProtocolError and
		// io.ErrUnexpectedEOF. fatal says the client closed the stream;
		// otherwise it must still work, and a NOOP is answered "+OK".
		protocol, eof, fatal bool
		// sent are the lines the server received, when not nil.
		sent []string
	}{
		{
			name:     "IMAP greeting",
			greeting: "* OK [CAPABILITY IMAP4rev1] ready\r\n",
			wantMsg:  `pop3: greeting: protocol error: reply does not start with +OK or -ERR: "* OK [CAPABILITY IMAP4rev1] ready"`,
			protocol: true,
		},
		{
			name:     "greeting -ERR",
			greeting: "-ERR [SYS/TEMP] Too busy, try later\r\n",
			wantMsg:  "pop3: greeting: -ERR [SYS/TEMP] Too busy, try later",
			wantErr:  &pop3.Error{Code: "SYS/TEMP", Text: "Too busy, try later"},
		},
		{
			name:     "greeting cut short",
			greeting: "+OK POP3 rea",
			hangUp:   true,
			wantMsg:  "pop3: greeting: protocol error: connection closed before the reply: unexpected EOF",
			protocol: true, eof: true,
		},
		{
			name:     "no greeting",
			hangUp:   true,
			wantMsg:  "pop3: greeting: protocol error: connection closed before the reply: unexpected EOF",
			protocol: true, eof: true,
		},
		{
			name:     "endless greeting",
			greeting: "+OK " + strings.Repeat("x", pop3.MaxStatusLine),
			wantMsg:  fmt.Sprintf("pop3: greeting: protocol error: line longer than %d octets", pop3.MaxStatusLine),
			protocol: true,
		},
		{
			name:     "greeting without timestamp",
			greeting: greeting,
			call:     func(c *pop3.Client) error { return c.APOP("alice", "wonderland") },
			wantMsg:  "pop3: greeting has no APOP timestamp: APOP alice",
			sent:     []string{"NOOP"},
		},
		{
			name:     "RETR cut short",
			greeting: greeting,
			replies:  []string{"+OK 30 octets\r\nSubject: x\r\n\r\nbody\r\n"},
			hangUp:   true,
			call:     cliRetr1,
			wantMsg:  "pop3: RETR 1: protocol error: multi-line reply ended before its terminating line: unexpected EOF",
			protocol: true, eof: true, fatal: true,
		},
		{
			name:     "RETR cut mid-line",
			greeting: greeting,
			replies:  []string{"+OK\r\nSubject: x\r\nbo"},
			hangUp:   true,
			call:     cliRetr1,
			wantMsg:  "pop3: RETR 1: protocol error: multi-line reply ended before its terminating line: unexpected EOF",
			protocol: true, eof: true, fatal: true,
		},
		{
			name:     "RETR endless body line",
			greeting: greeting,
			replies:  []string{"+OK\r\n" + strings.Repeat("a", pop3.MaxBodyLine)},
			call:     cliRetr1,
			wantMsg:  fmt.Sprintf("pop3: RETR 1: protocol error: line longer than %d octets", pop3.MaxBodyLine),
			protocol: true, fatal: true,
		},
		{
			name:     "RETR over MaxReplyBody",
			greeting: greeting,
			replies:  []string{"+OK\r\n0123456789\r\n.\r\n"},
			opts:     pop3.ClientOptions{MaxReplyBody: 10},
			call:     cliRetr1,
			wantMsg:  "pop3: RETR 1: protocol error: multi-line reply longer than 10 octets",
			protocol: true, fatal: true,
		},
		{
			name:     "HTTP reply",
			greeting: greeting,
			replies:  []string{"HTTP/1.1 400 Bad Request\r\n\r\n"},
			call:     cliRetr1,
			wantMsg:  `pop3: RETR 1: protocol error: reply does not start with +OK or -ERR: "HTTP/1.1 400 Bad Request"`,
			protocol: true, fatal: true,
		},
		{
			name:     "+OKAY is not +OK",
			greeting: greeting,
			replies:  []string{"+OKAY\r\n"},
			call:     (*pop3.Client).Noop,
			wantMsg:  `pop3: NOOP: protocol error: reply does not start with +OK or -ERR: "+OKAY"`,
			protocol: true, fatal: true,
		},
		{
			name:     "status in lower case",
			greeting: "+ok ready\r\n",
			replies:  []string{"+ok 2 300\r\n"},
			call:     func(c *pop3.Client) error { _, _, err := c.Stat(); return err },
			sent:     []string{"STAT", "NOOP"},
		},
		{
			name:     "STAT without numbers",
			greeting: greeting,
			replies:  []string{"+OK lots\r\n"},
			call:     func(c *pop3.Client) error { _, _, err := c.Stat(); return err },
			wantMsg:  `pop3: STAT: protocol error: malformed drop listing "lots"`,
			protocol: true,
		},
		{
			name:     "LIST malformed line",
			greeting: greeting,
			replies:  []string{"+OK\r\n1 200\r\ntwo 300\r\n.\r\n"},
			call:     func(c *pop3.Client) error { _, err := c.List(); return err },
			wantMsg:  `pop3: LIST: protocol error: malformed scan listing "two 300"`,
			protocol: true,
		},
		{
			name:     "UIDL line without an id",
			greeting: greeting,
			replies:  []string{"+OK\r\n1\r\n.\r\n"},
			call:     func(c *pop3.Client) error { _, err := c.UIDL(); return err },
			wantMsg:  `pop3: UIDL: protocol error: malformed unique-id listing "1"`,
			protocol: true,
		},
		{
			name:     "-ERR alone",
			greeting: greeting,
			replies:  []string{"-ERR\r\n"},
			call:     (*pop3.Client).Noop,
			wantMsg:  "pop3: NOOP: -ERR",
			wantErr:  &pop3.Error{},
		},
		{
			name:     "response code in lower case with detail",
			greeting: greeting,
			replies:  []string{"-ERR [in-use/other-client] Held elsewhere\r\n"},
			call:     (*pop3.Client).Noop,
			wantMsg:  "pop3: NOOP: -ERR [IN-USE/OTHER-CLIENT] Held elsewhere",
			wantErr:  &pop3.Error{Code: "IN-USE/OTHER-CLIENT", Text: "Held elsewhere"},
		},
		{
			name:     "unclosed response code",
			greeting: greeting,
			replies:  []string{"-ERR [AUTH no end\r\n"},
			call:     (*pop3.Client).Noop,
			wantMsg:  "pop3: NOOP: -ERR [AUTH no end",
			wantErr:  &pop3.Error{Text: "[AUTH no end"},
		},
		{
			name:     "SASL challenge after the initial response",
			greeting: greeting,
			replies:  []string{"+ \r\n", "-ERR Authentication cancelled\r\n"},
			call:     func(c *pop3.Client) error { return c.AuthPlain("alice", "wonderland") },
			wantMsg:  "pop3: AUTH PLAIN: protocol error: server sent a SASL challenge after the initial response",
			protocol: true,
			sent:     []string{"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "*", "NOOP"},
		},
		{
			name:     "QUIT -ERR",
			greeting: greeting,
			replies:  []string{"-ERR [SYS/TEMP] Some deleted messages were not removed\r\n"},
			call:     (*pop3.Client).Quit,
			wantMsg:  "pop3: QUIT: -ERR [SYS/TEMP] Some deleted messages were not removed",
			wantErr:  &pop3.Error{Code: "SYS/TEMP", Text: "Some deleted messages were not removed"},
			fatal:    true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				replies := tc.replies
				if tc.call != nil && !tc.fatal {
					replies = append(slices.Clip(replies), "+OK\r\n")
				}
				conn, received := cliFake(t, tc.greeting, replies, tc.hangUp)
				c, err := pop3.NewClientOptions(conn, tc.opts)
				if tc.call != nil {
					if err != nil {
						t.Fatal(err)
					}
					err = tc.call(c)
				}
				if tc.wantMsg == "" {
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
				} else if err == nil || err.Error() != tc.wantMsg {
					t.Errorf("error = %v, want %q", err, tc.wantMsg)
				}
				var se *pop3.Error
				errors.As(err, &se)
				if diff := cmp.Diff(tc.wantErr, se); diff != "" {
					t.Errorf("*pop3.Error (-want +got):\n%s", diff)
				}
				var pe *pop3.ProtocolError
				if got := errors.As(err, &pe); got != tc.protocol {
					t.Errorf("errors.As(err, *ProtocolError) = %v, want %v", got, tc.protocol)
				}
				if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.eof {
					t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", got, tc.eof)
				}
				if c != nil {
					err := c.Noop()
					if tc.fatal && !errors.Is(err, pop3.ErrClosed) {
						t.Errorf("NOOP afterwards: %v, want pop3.ErrClosed", err)
					}
					if !tc.fatal && err != nil {
						t.Errorf("NOOP afterwards: %v", err)
					}
					c.Close()
				}
				if tc.sent != nil {
					got := received()
					if diff := cmp.Diff(tc.sent, got, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("lines the server received (-want +got):\n%s", diff)
					}
				}
			})
		})
	}
}

func cliRetr1(c *pop3.Client) error {
	_, err := c.Retr(1)
	return err
}
