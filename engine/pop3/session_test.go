package pop3_test

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
)

// lines joins response lines, each ended with CRLF.
func lines(ls ...string) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l + "\r\n")
	}
	return b.String()
}

// b64 encodes a SASL PLAIN message.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// drop describes a maildrop as a POP3 client should see it.
type drop struct {
	octets []int64 // octets of message n at index n-1
	uidls  []string
	total  int64
}

// dropOf computes the listing of user's INBOX from the store, the way RFC
// 1939 §5 and §7 define it: octets with CRLF line endings, and a unique-id
// built from the UID and UIDVALIDITY (Dovecot's %08Xu%08Xv).
func dropOf(tb testing.TB, e *env, user string) drop {
	tb.Helper()
	status, err := e.store.Status(user, mailstore.Inbox)
	if err != nil {
		tb.Fatal(err)
	}
	var d drop
	for i, m := range e.inbox(tb, user) {
		size := int64(len(crlf(e.raw(tb, user, i+1))))
		d.octets = append(d.octets, size)
		d.uidls = append(d.uidls, fmt.Sprintf("%08X%08X", m.UID, status.UIDValidity))
		d.total += size
	}
	return d
}

func TestGreeting(t *testing.T) {
	e := demoEnv(t)
	s := pop3.NewSession(e.cfg, 42, clock.Epoch)
	want := fmt.Sprintf("+OK wirelab POP3 server ready <42.%d@%s>\r\n", clock.Epoch.UnixNano(), testHost)
	if diff := cmp.Diff(want, string(s.Greeting())); diff != "" {
		t.Errorf("greeting (-want +got):\n%s", diff)
	}
	if s.State() != pop3.Authorization || s.ID() != 42 || s.User() != "" {
		t.Errorf("new session: state %v, id %d, user %q", s.State(), s.ID(), s.User())
	}
	// Another session, or the same id at another time, has another
	// timestamp, so an APOP digest cannot be replayed.
	other := pop3.NewSession(e.cfg, 43, clock.Epoch)
	later := pop3.NewSession(e.cfg, 42, clock.Epoch.Add(1))
	if string(other.Greeting()) == string(s.Greeting()) || string(later.Greeting()) == string(s.Greeting()) {
		t.Errorf("greetings repeat: %q %q %q", s.Greeting(), other.Greeting(), later.Greeting())
	}
	// Without a configured hostname the timestamp still has a domain.
	e.cfg.Hostname = ""
	if got := string(pop3.NewSession(e.cfg, 42, clock.Epoch).Greeting()); !strings.HasSuffix(got, "@wirelab.example>\r\n") {
		t.Errorf("greeting without a hostname: %q", got)
	}
}

// apopTimestamp returns the <...> timestamp of a greeting.
func apopTimestamp(tb testing.TB, greeting []byte) string {
	tb.Helper()
	g := string(greeting)
	i, j := strings.IndexByte(g, '<'), strings.IndexByte(g, '>')
	if i < 0 || j < i {
		tb.Fatalf("greeting %q has no timestamp", g)
	}
	return g[i : j+1]
}

// TestLogin covers every way into the TRANSACTION state (RFC 1939 §7, RFC
// 5034) and the AUTHORIZATION-state answers that do not log in.
func TestLogin(t *testing.T) {
	e := demoEnv(t)
	alice := dropOf(t, e, "alice")
	carol := dropOf(t, e, "carol")
	aliceOK := fmt.Sprintf("+OK alice's maildrop has %d messages (%d octets)", len(alice.octets), alice.total)
	if len(carol.octets) != 1 {
		t.Fatalf("carol has %d messages; the greeting below assumes one", len(carol.octets))
	}
	carolOK := fmt.Sprintf("+OK carol's maildrop has 1 message (%d octets)", carol.total)
	const (
		failed    = "-ERR [AUTH] Authentication failed"
		malformed = "-ERR Malformed SASL PLAIN response"
	)

	tests := []struct {
		name string
		// in are the client's lines; "{apop:secret}" in a line is
		// replaced by the APOP digest of the greeting's timestamp.
		in        []string
		want      string
		wantState pop3.State
		wantUser  string
	}{
		{
			name:      "USER PASS",
			in:        []string{"USER alice", "PASS wonderland"},
			want:      lines("+OK Send your password", aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "USER PASS hashed password",
			in:        []string{"USER carol", "PASS office-hours"},
			want:      lines("+OK Send your password", carolOK),
			wantState: pop3.Transaction, wantUser: "carol",
		},
		{
			name:      "commands are case-insensitive",
			in:        []string{"user alice", "pass wonderland"},
			want:      lines("+OK Send your password", aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "PASS with a space in the password is two arguments",
			in:        []string{"USER carol", "PASS office hours"},
			want:      lines("+OK Send your password", "-ERR Wrong number of arguments for PASS"),
			wantState: pop3.Authorization,
		},
		{
			name:      "PASS without USER",
			in:        []string{"PASS wonderland"},
			want:      lines("-ERR Send USER first"),
			wantState: pop3.Authorization,
		},
		{
			name:      "a failed PASS forgets USER",
			in:        []string{"USER alice", "PASS nope", "PASS wonderland"},
			want:      lines("+OK Send your password", failed, "-ERR Send USER first"),
			wantState: pop3.Authorization,
		},
		{
			name:      "second USER replaces the first",
			in:        []string{"USER bob", "USER alice", "PASS wonderland"},
			want:      lines("+OK Send your password", "+OK Send your password", aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "APOP",
			in:        []string{"APOP alice {apop:wonderland}"},
			want:      lines(aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "APOP digest in upper case",
			in:        []string{"APOP alice {APOP:wonderland}"},
			want:      lines(aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "APOP wrong digest",
			in:        []string{"APOP alice {apop:wonderlant}"},
			want:      lines(failed),
			wantState: pop3.Authorization,
		},
		{
			name:      "APOP digest of another timestamp",
			in:        []string{"APOP alice " + auth.APOPDigest("<1896.697170952@dbc.mtview.ca.us>", "wonderland")},
			want:      lines(failed),
			wantState: pop3.Authorization,
		},
		{
			name:      "APOP for a user without a plain password",
			in:        []string{"APOP carol {apop:office-hours}"},
			want:      lines(failed),
			wantState: pop3.Authorization,
		},
		{
			name:      "APOP with one argument",
			in:        []string{"APOP alice"},
			want:      lines("-ERR Wrong number of arguments for APOP"),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH PLAIN with initial response",
			in:        []string{"AUTH PLAIN " + b64("\x00alice\x00wonderland")},
			want:      lines(aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "AUTH PLAIN with authzid equal to authcid",
			in:        []string{"AUTH PLAIN " + b64("alice\x00alice\x00wonderland")},
			want:      lines(aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "AUTH PLAIN with continuation",
			in:        []string{"AUTH PLAIN", b64("\x00carol\x00office-hours")},
			want:      lines("+ ", carolOK),
			wantState: pop3.Transaction, wantUser: "carol",
		},
		{
			name:      "auth plain in lower case",
			in:        []string{"auth plain " + b64("\x00alice\x00wonderland")},
			want:      lines(aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "AUTH PLAIN cancelled",
			in:        []string{"AUTH PLAIN", "*", "USER alice", "PASS wonderland"},
			want:      lines("+ ", "-ERR Authentication cancelled", "+OK Send your password", aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "AUTH PLAIN malformed base64",
			in:        []string{"AUTH PLAIN !!!!"},
			want:      lines(malformed),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH PLAIN malformed base64 in continuation",
			in:        []string{"AUTH PLAIN", "not base64", "NOOP"},
			want:      lines("+ ", malformed, "-ERR NOOP is not valid in the AUTHORIZATION state"),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH PLAIN without NUL separators",
			in:        []string{"AUTH PLAIN " + b64("alice wonderland")},
			want:      lines(malformed),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH PLAIN empty initial response",
			in:        []string{"AUTH PLAIN ="},
			want:      lines(malformed),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH PLAIN authzid other than authcid",
			in:        []string{"AUTH PLAIN " + b64("bob\x00alice\x00wonderland")},
			want:      lines(failed),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH PLAIN wrong password",
			in:        []string{"AUTH PLAIN " + b64("\x00alice\x00builder")},
			want:      lines(failed),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH lists mechanisms",
			in:        []string{"AUTH"},
			want:      lines("+OK Supported SASL mechanisms", "PLAIN", "."),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH unknown mechanism",
			in:        []string{"AUTH CRAM-MD5"},
			want:      lines("-ERR Unsupported SASL mechanism"),
			wantState: pop3.Authorization,
		},
		{
			name:      "AUTH with too many arguments",
			in:        []string{"AUTH PLAIN abc def"},
			want:      lines("-ERR Wrong number of arguments for AUTH"),
			wantState: pop3.Authorization,
		},
		{
			// RFC 5034 §4: a response too long to take ends the
			// exchange; the next line is a command again.
			name:      "AUTH PLAIN overlong continuation",
			in:        []string{"AUTH PLAIN", strings.Repeat("A", pop3.MaxSASLLine), "USER alice", "PASS wonderland"},
			want:      lines("+ ", "-ERR Line too long", "+OK Send your password", aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
		{
			name:      "AUTH PLAIN long but allowed initial response",
			in:        []string{"AUTH PLAIN " + strings.Repeat("A", 1000), "USER alice", "PASS wonderland"},
			want:      lines(malformed, "+OK Send your password", aliceOK),
			wantState: pop3.Transaction, wantUser: "alice",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := demoEnv(t)
			s := e.session()
			ts := apopTimestamp(t, s.Greeting())
			var in []string
			for _, l := range tc.in {
				for _, secret := range []string{"wonderland", "wonderlant", "office-hours"} {
					d := auth.APOPDigest(ts, secret)
					l = strings.ReplaceAll(l, "{apop:"+secret+"}", d)
					l = strings.ReplaceAll(l, "{APOP:"+secret+"}", strings.ToUpper(d))
				}
				in = append(in, l)
			}
			got := feed(s, in...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replies to %.200q (-want +got):\n%s", in, diff)
			}
			if s.State() != tc.wantState || s.User() != tc.wantUser {
				t.Errorf("state %v, user %q; want %v, %q", s.State(), s.User(), tc.wantState, tc.wantUser)
			}
		})
	}
}

// TestLoginFailure checks that every failed login is slowed down, marked
// [AUTH] (RFC 3206 §4), and the same whether or not the user exists.
func TestLoginFailure(t *testing.T) {
	tests := []struct {
		name                  string
		wrongPass, noSuchUser []string
	}{
		{
			name:       "USER PASS",
			wrongPass:  []string{"USER alice", "PASS builder"},
			noSuchUser: []string{"USER mallory", "PASS builder"},
		},
		{
			name:       "APOP",
			wrongPass:  []string{"APOP alice 0123456789abcdef0123456789abcdef"},
			noSuchUser: []string{"APOP mallory 0123456789abcdef0123456789abcdef"},
		},
		{
			name:       "AUTH PLAIN",
			wrongPass:  []string{"AUTH PLAIN " + b64("\x00alice\x00builder")},
			noSuchUser: []string{"AUTH PLAIN " + b64("\x00mallory\x00builder")},
		},
		{
			name:       "AUTH PLAIN continuation",
			wrongPass:  []string{"AUTH PLAIN", b64("\x00alice\x00builder")},
			noSuchUser: []string{"AUTH PLAIN", b64("\x00mallory\x00builder")},
		},
	}
	// The last reply of a failed login.
	last := func(t *testing.T, in []string) (pop3.Reply, []pop3.Event) {
		e := demoEnv(t)
		var events []pop3.Event
		e.cfg.OnEvent = func(ev pop3.Event) { events = append(events, ev) }
		s := e.session()
		var replies []pop3.Reply
		for _, l := range in {
			replies = append(replies, feedRaw(s, l+"\r\n")...)
		}
		if len(replies) != len(in) {
			t.Fatalf("%d replies to %q", len(replies), in)
		}
		if s.State() != pop3.Authorization {
			t.Errorf("state after failed login is %v", s.State())
		}
		return replies[len(replies)-1], events
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wrong, events := last(t, tc.wrongPass)
			want := pop3.Reply{Delay: pop3.AuthFailureDelay, Data: []byte("-ERR [AUTH] Authentication failed\r\n")}
			if diff := cmp.Diff(want, wrong); diff != "" {
				t.Errorf("reply to a wrong password (-want +got):\n%s", diff)
			}
			wantEvents := []pop3.Event{{Session: 1, Kind: pop3.EventLoginFailed, State: pop3.Authorization, Detail: "alice"}}
			if diff := cmp.Diff(wantEvents, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			unknown, _ := last(t, tc.noSuchUser)
			if diff := cmp.Diff(wrong, unknown); diff != "" {
				t.Errorf("an unknown user is told apart from a wrong password (-wrong password +unknown user):\n%s", diff)
			}
		})
	}
}

func TestMaxAuthFailures(t *testing.T) {
	e := demoEnv(t)
	s := e.session()
	for i := 1; i < pop3.MaxAuthFailures; i++ {
		r := feedRaw(s, "USER alice\r\nPASS guess\r\n")
		if len(r) != 2 || r[1].Close || s.State() != pop3.Authorization {
			t.Fatalf("failure %d: replies %+v, state %v", i, r, s.State())
		}
	}
	r := feedRaw(s, "USER alice\r\nPASS guess\r\nUSER alice\r\n")
	want := []pop3.Reply{
		{Data: []byte("+OK Send your password\r\n")},
		{
			Delay: pop3.AuthFailureDelay,
			Data:  []byte(lines("-ERR [AUTH] Authentication failed; too many failures, closing the connection")),
			Close: true,
		},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("replies to the last failure (-want +got):\n%s", diff)
	}
	if s.State() != pop3.Closed {
		t.Errorf("state %v, want CLOSED", s.State())
	}
	if r := feedRaw(s, "USER alice\r\nPASS wonderland\r\n"); r != nil {
		t.Errorf("a closed session answered: %+v", r)
	}
	e.checkUnlocked(t, "alice")
}

// TestInUse checks the exclusive lock of RFC 1939 §8 and the [IN-USE]
// response code of RFC 2449 §8.1.2.
func TestInUse(t *testing.T) {
	e := demoEnv(t)
	first := e.session()
	login(t, first, "alice", "wonderland")

	const inUse = "-ERR [IN-USE] Maildrop is locked by another POP3 session\r\n"
	second := pop3.NewSession(e.cfg, 2, clock.Epoch)
	ts := apopTimestamp(t, second.Greeting())
	// Being locked out is not a failed login: no delay, no count towards
	// MaxAuthFailures.
	for i, in := range []string{
		"USER alice\r\nPASS wonderland\r\n",
		"APOP alice " + auth.APOPDigest(ts, "wonderland") + "\r\n",
		"AUTH PLAIN " + b64("\x00alice\x00wonderland") + "\r\n",
		"USER alice\r\nPASS wonderland\r\n",
	} {
		r := feedRaw(second, in)
		got := r[len(r)-1]
		if diff := cmp.Diff(pop3.Reply{Data: []byte(inUse)}, got); diff != "" {
			t.Errorf("attempt %d (-want +got):\n%s", i+1, diff)
		}
	}
	if second.State() != pop3.Authorization {
		t.Fatalf("locked-out session is in state %v", second.State())
	}
	// Other users are not affected.
	bob := pop3.NewSession(e.cfg, 3, clock.Epoch)
	login(t, bob, "bob", "builder")

	if got := feed(first, "QUIT"); !strings.HasPrefix(got, "+OK") {
		t.Fatalf("QUIT: %q", got)
	}
	login(t, second, "alice", "wonderland")
}

// TestStoreFailure checks that a maildrop the store cannot open gives
// [SYS/TEMP] (RFC 3206 §4) and leaves it unlocked.
func TestStoreFailure(t *testing.T) {
	e := newEnv(t, map[string]string{"dave": "{PLAIN}secret"})
	for _, dir := range []string{"dave/cur", "dave/new", "dave/tmp"} {
		if err := hackpadfs.MkdirAll(e.fs, dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := hackpadfs.WriteFullFile(e.fs, "dave/wirelab-uidlist", []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := e.session()
	got := feed(s, "USER dave", "PASS secret")
	want := lines("+OK Send your password", "-ERR [SYS/TEMP] Maildrop is unavailable")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("login to a broken maildrop (-want +got):\n%s", diff)
	}
	if s.State() != pop3.Authorization {
		t.Errorf("state %v", s.State())
	}
	e.checkUnlocked(t, "dave")
}

// TestMessageRemovedMeanwhile checks a message another program removed
// after the session took its snapshot.
func TestMessageRemovedMeanwhile(t *testing.T) {
	e, s := aliceSession(t)
	first := e.inbox(t, "alice")[0]
	if err := e.store.Expunge("alice", mailstore.Inbox, []uint32{first.UID}); err != nil {
		t.Fatal(err)
	}
	got := feed(s, "RETR 1", "TOP 1 0", "LIST 1")
	want := lines(
		"-ERR Message 1 was removed from the maildrop",
		"-ERR Message 1 was removed from the maildrop",
		fmt.Sprintf("+OK 1 %d", first.VSize), // the snapshot still lists it (RFC 1939 §5)
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFirstLogin(t *testing.T) {
	// A user of the world without a Maildir yet gets an empty one.
	e := newEnv(t, map[string]string{"erin": "{PLAIN}pw"})
	s := e.session()
	got := feed(s, "USER erin", "PASS pw", "STAT", "LIST", "UIDL")
	want := lines("+OK Send your password", "+OK erin's maildrop has 0 messages (0 octets)",
		"+OK 0 0", "+OK 0 messages (0 octets)", ".", "+OK Unique-ID listing follows", ".")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSTLS covers RFC 2595 §4.
func TestSTLS(t *testing.T) {
	t.Run("offered", func(t *testing.T) {
		e := demoEnv(t)
		e.cfg.TLSAvailable = true
		s := e.session()
		// A command pipelined after STLS was sent in plain text, and an
		// attacker may have injected it: it must not run.
		r := feedRaw(s, "STLS\r\nUSER alice\r\n")
		want := []pop3.Reply{{Data: []byte("+OK Begin TLS negotiation\r\n"), StartTLS: true}}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("reply to STLS (-want +got):\n%s", diff)
		}
		s.SetTLS()
		got := feed(s, "PASS wonderland", "STLS")
		if diff := cmp.Diff(lines("-ERR Send USER first", "-ERR TLS is already active"), got); diff != "" {
			t.Errorf("after TLS (-want +got):\n%s", diff)
		}
		login(t, s, "alice", "wonderland")
		if got := feed(s, "STLS"); got != "-ERR STLS is not valid in the TRANSACTION state\r\n" {
			t.Errorf("STLS in TRANSACTION: %q", got)
		}
	})
	t.Run("not offered", func(t *testing.T) {
		e := demoEnv(t)
		s := e.session()
		r := feedRaw(s, "STLS\r\nUSER alice\r\n")
		want := []pop3.Reply{
			{Data: []byte("-ERR TLS is not available\r\n")},
			{Data: []byte("+OK Send your password\r\n")},
		}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("replies (-want +got):\n%s", diff)
		}
	})
	t.Run("already on TLS", func(t *testing.T) {
		e := demoEnv(t)
		e.cfg.TLSAvailable = true
		s := e.session()
		s.SetTLS() // POP3S: TLS from the start
		if got := feed(s, "STLS"); got != "-ERR TLS is already active\r\n" {
			t.Errorf("STLS on TLS: %q", got)
		}
	})
}

// TestCAPA covers RFC 2449 §5: what is listed depends on the state.
func TestCAPA(t *testing.T) {
	common := []string{"TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"}
	capa := func(caps ...string) string {
		all := append(append([]string{"+OK Capability list follows"}, common...), caps...)
		return lines(append(all, "IMPLEMENTATION wirelab", ".")...)
	}
	tests := []struct {
		name         string
		tlsAvailable bool
		tls          bool
		login        bool
		want         string
	}{
		{name: "AUTHORIZATION without TLS", want: capa("USER", "SASL PLAIN")},
		{name: "AUTHORIZATION with TLS available", tlsAvailable: true, want: capa("USER", "SASL PLAIN", "STLS")},
		{name: "AUTHORIZATION on TLS", tlsAvailable: true, tls: true, want: capa("USER", "SASL PLAIN")},
		{name: "TRANSACTION", tlsAvailable: true, login: true, want: capa()},
		{name: "TRANSACTION on TLS", tlsAvailable: true, tls: true, login: true, want: capa()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := demoEnv(t)
			e.cfg.TLSAvailable = tc.tlsAvailable
			s := e.session()
			if tc.tls {
				s.SetTLS()
			}
			if tc.login {
				login(t, s, "alice", "wonderland")
			}
			if diff := cmp.Diff(tc.want, feed(s, "CAPA")); diff != "" {
				t.Errorf("CAPA (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	got := map[pop3.State][]string{}
	for _, st := range []pop3.State{pop3.Authorization, pop3.Transaction, pop3.Update, pop3.Closed} {
		got[st] = pop3.Commands(st)
	}
	want := map[pop3.State][]string{
		pop3.Authorization: {"APOP", "AUTH", "CAPA", "PASS", "QUIT", "STLS", "USER"},
		pop3.Transaction:   {"CAPA", "DELE", "LIST", "NOOP", "QUIT", "RETR", "RSET", "STAT", "TOP", "UIDL"},
		pop3.Update:        nil,
		pop3.Closed:        nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Commands (-want +got):\n%s", diff)
	}
	for st, name := range map[pop3.State]string{pop3.Authorization: "AUTHORIZATION", pop3.Transaction: "TRANSACTION", pop3.Update: "UPDATE", pop3.Closed: "CLOSED", 0: "UNKNOWN"} {
		if st.String() != name {
			t.Errorf("State(%d).String() = %q, want %q", int(st), st.String(), name)
		}
	}
}

func TestQuitAuthorization(t *testing.T) {
	e := demoEnv(t)
	s := e.session()
	feed(s, "USER alice")
	r := feedRaw(s, "QUIT\r\nPASS wonderland\r\n")
	want := []pop3.Reply{{Data: []byte("+OK wirelab POP3 server signing off\r\n"), Close: true}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("QUIT (-want +got):\n%s", diff)
	}
	if s.State() != pop3.Closed {
		t.Errorf("state %v", s.State())
	}
	if r := feedRaw(s, "PASS wonderland\r\n"); r != nil {
		t.Errorf("closed session answered %+v", r)
	}
	e.checkUnlocked(t, "alice")
}

// TestTransaction covers the TRANSACTION state commands of RFC 1939 §5 and
// §7 against alice's demo maildrop.
func TestTransaction(t *testing.T) {
	e := demoEnv(t)
	d := dropOf(t, e, "alice")
	n := len(d.octets)
	listing := func(skip ...int) []string {
		var ls []string
		for i, o := range d.octets {
			if !slices.Contains(skip, i+1) {
				ls = append(ls, fmt.Sprintf("%d %d", i+1, o))
			}
		}
		return ls
	}
	uidListing := func(skip ...int) []string {
		var ls []string
		for i, u := range d.uidls {
			if !slices.Contains(skip, i+1) {
				ls = append(ls, fmt.Sprintf("%d %s", i+1, u))
			}
		}
		return ls
	}
	msg4 := crlf(e.raw(t, "alice", 4))
	header4, body4, _ := strings.Cut(msg4, "\r\n\r\n")
	body4Lines := strings.SplitAfter(body4, "\r\n")

	tests := []struct {
		name  string
		setup []string // lines whose replies are not checked
		in    string
		want  string
	}{
		{name: "STAT", in: "STAT", want: lines(fmt.Sprintf("+OK %d %d", n, d.total))},
		{
			name: "LIST",
			in:   "LIST",
			want: lines(append(append([]string{fmt.Sprintf("+OK %d messages (%d octets)", n, d.total)}, listing()...), ".")...),
		},
		{name: "LIST n", in: "LIST 3", want: lines(fmt.Sprintf("+OK 3 %d", d.octets[2]))},
		{name: "LIST last", in: fmt.Sprintf("LIST %d", n), want: lines(fmt.Sprintf("+OK %d %d", n, d.octets[n-1]))},
		{name: "list in lower case", in: "list 3", want: lines(fmt.Sprintf("+OK 3 %d", d.octets[2]))},
		{name: "trailing space", in: "LIST 3 ", want: lines(fmt.Sprintf("+OK 3 %d", d.octets[2]))},
		{name: "RETR", in: "RETR 4", want: fmt.Sprintf("+OK %d octets\r\n%s.\r\n", d.octets[3], msg4)},
		{name: "DELE", in: "DELE 2", want: lines("+OK Message 2 deleted")},
		{
			name:  "STAT after DELE",
			setup: []string{"DELE 2", "DELE 9"},
			in:    "STAT",
			want:  lines(fmt.Sprintf("+OK %d %d", n-2, d.total-d.octets[1]-d.octets[8])),
		},
		{
			name:  "LIST after DELE",
			setup: []string{"DELE 2"},
			in:    "LIST",
			want:  lines(append(append([]string{fmt.Sprintf("+OK %d messages (%d octets)", n-1, d.total-d.octets[1])}, listing(2)...), ".")...),
		},
		{
			name:  "UIDL after DELE",
			setup: []string{"DELE 2"},
			in:    "UIDL",
			want:  lines(append(append([]string{"+OK Unique-ID listing follows"}, uidListing(2)...), ".")...),
		},
		{name: "NOOP", in: "NOOP", want: lines("+OK ")},
		{
			name:  "RSET",
			setup: []string{"DELE 1", "DELE 2", "RETR 3"},
			in:    "RSET",
			want:  lines(fmt.Sprintf("+OK Maildrop has %d messages (%d octets)", n, d.total)),
		},
		{
			name:  "STAT after RSET",
			setup: []string{"DELE 1", "RSET"},
			in:    "STAT",
			want:  lines(fmt.Sprintf("+OK %d %d", n, d.total)),
		},
		{
			name:  "RETR after RSET",
			setup: []string{"DELE 4", "RSET"},
			in:    "RETR 4",
			want:  fmt.Sprintf("+OK %d octets\r\n%s.\r\n", d.octets[3], msg4),
		},
		{name: "TOP 0 lines", in: "TOP 4 0", want: "+OK Top of message follows\r\n" + header4 + "\r\n\r\n.\r\n"},
		{
			name: "TOP 3 lines",
			in:   "TOP 4 3",
			want: "+OK Top of message follows\r\n" + header4 + "\r\n\r\n" + strings.Join(body4Lines[:3], "") + ".\r\n",
		},
		{name: "TOP more lines than the body has", in: "TOP 4 100000", want: "+OK Top of message follows\r\n" + msg4 + ".\r\n"},
		{name: "TOP more lines than an int holds", in: "TOP 4 99999999999999999999999999", want: "+OK Top of message follows\r\n" + msg4 + ".\r\n"},
		{name: "TOP 1 line", in: "TOP 4 1", want: "+OK Top of message follows\r\n" + header4 + "\r\n\r\n" + body4Lines[0] + ".\r\n"},
		{
			name: "UIDL",
			in:   "UIDL",
			want: lines(append(append([]string{"+OK Unique-ID listing follows"}, uidListing()...), ".")...),
		},
		{name: "UIDL n", in: "UIDL 3", want: lines("+OK 3 " + d.uidls[2])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, s := aliceSession(t)
			feed(s, tc.setup...)
			if diff := cmp.Diff(tc.want, feed(s, tc.in)); diff != "" {
				t.Errorf("reply to %q after %q (-want +got):\n%s", tc.in, tc.setup, diff)
			}
			if s.State() != pop3.Transaction {
				t.Errorf("state %v", s.State())
			}
		})
	}
}

// TestBadInput checks that every malformed or misplaced command gets -ERR
// and leaves the session as it was.
func TestBadInput(t *testing.T) {
	wrongArgs := func(cmd string) string { return lines("-ERR Wrong number of arguments for " + cmd) }
	notInAuth := func(cmd string) string { return lines("-ERR " + cmd + " is not valid in the AUTHORIZATION state") }
	notInTrans := func(cmd string) string { return lines("-ERR " + cmd + " is not valid in the TRANSACTION state") }
	const (
		invalid = "-ERR Invalid message number\r\n"
		noSuch  = "-ERR No such message\r\n"
		deleted = "-ERR Message 1 is deleted\r\n"
	)
	tests := []struct {
		name  string
		login bool
		setup []string
		in    string
		want  string
	}{
		{name: "unknown command", in: "FOO", want: lines("-ERR Unknown command: FOO")},
		{name: "unknown command in TRANSACTION", login: true, in: "XTND XLST", want: lines("-ERR Unknown command: XTND")},
		{name: "unknown command echoed safely", in: "\x01\x7fLONG-COMMAND-NAME-THAT-GOES-ON", want: lines("-ERR Unknown command: ??LONG-COMMAND-NAME-...")},
		{name: "empty line", in: "", want: lines("-ERR Empty command")},
		{name: "leading space", in: " QUIT", want: lines("-ERR Command must not start with a space")},
		{name: "double space", login: true, in: "RETR  1", want: lines("-ERR Arguments must be separated by single spaces")},
		{name: "argument over 40 octets", in: "USER " + strings.Repeat("a", pop3.MaxArgLength+1), want: lines("-ERR Argument too long")},
		{name: "argument of 40 octets", in: "USER " + strings.Repeat("a", pop3.MaxArgLength), want: lines("+OK Send your password")},

		{name: "STAT before login", in: "STAT", want: notInAuth("STAT")},
		{name: "LIST before login", in: "LIST", want: notInAuth("LIST")},
		{name: "RETR before login", in: "RETR 1", want: notInAuth("RETR")},
		{name: "DELE before login", in: "DELE 1", want: notInAuth("DELE")},
		{name: "NOOP before login", in: "NOOP", want: notInAuth("NOOP")},
		{name: "RSET before login", in: "RSET", want: notInAuth("RSET")},
		{name: "TOP before login", in: "TOP 1 1", want: notInAuth("TOP")},
		{name: "UIDL before login", in: "UIDL", want: notInAuth("UIDL")},
		{name: "USER after login", login: true, in: "USER bob", want: notInTrans("USER")},
		{name: "PASS after login", login: true, in: "PASS builder", want: notInTrans("PASS")},
		{name: "APOP after login", login: true, in: "APOP bob 0123", want: notInTrans("APOP")},
		{name: "AUTH after login", login: true, in: "AUTH PLAIN", want: notInTrans("AUTH")},

		{name: "USER without name", in: "USER", want: wrongArgs("USER")},
		{name: "USER with two names", in: "USER alice bob", want: wrongArgs("USER")},
		{name: "PASS without password", setup: []string{"USER alice"}, in: "PASS", want: wrongArgs("PASS")},
		{name: "CAPA with argument", in: "CAPA x", want: wrongArgs("CAPA")},
		{name: "QUIT with argument", in: "QUIT now", want: wrongArgs("QUIT")},
		{name: "STLS with argument", in: "STLS now", want: wrongArgs("STLS")},
		{name: "STAT with argument", login: true, in: "STAT 1", want: wrongArgs("STAT")},
		{name: "LIST with two arguments", login: true, in: "LIST 1 2", want: wrongArgs("LIST")},
		{name: "RETR without argument", login: true, in: "RETR", want: wrongArgs("RETR")},
		{name: "RETR with two arguments", login: true, in: "RETR 1 2", want: wrongArgs("RETR")},
		{name: "DELE without argument", login: true, in: "DELE", want: wrongArgs("DELE")},
		{name: "NOOP with argument", login: true, in: "NOOP 1", want: wrongArgs("NOOP")},
		{name: "RSET with argument", login: true, in: "RSET 1", want: wrongArgs("RSET")},
		{name: "TOP with one argument", login: true, in: "TOP 1", want: wrongArgs("TOP")},
		{name: "TOP with three arguments", login: true, in: "TOP 1 2 3", want: wrongArgs("TOP")},
		{name: "UIDL with two arguments", login: true, in: "UIDL 1 2", want: wrongArgs("UIDL")},
		{name: "QUIT with argument in TRANSACTION", login: true, in: "QUIT now", want: wrongArgs("QUIT")},

		{name: "RETR non-numeric", login: true, in: "RETR one", want: invalid},
		{name: "RETR zero", login: true, in: "RETR 0", want: invalid},
		{name: "RETR negative", login: true, in: "RETR -1", want: invalid},
		{name: "RETR plus sign", login: true, in: "RETR +1", want: invalid},
		{name: "RETR fraction", login: true, in: "RETR 1.5", want: invalid},
		{name: "RETR hex", login: true, in: "RETR 0x1", want: invalid},
		{name: "RETR out of range", login: true, in: "RETR 10", want: noSuch},
		{name: "RETR huge", login: true, in: "RETR 99999999999999999999999999", want: invalid},
		{name: "RETR max int", login: true, in: "RETR 9223372036854775807", want: noSuch},
		{name: "LIST zero", login: true, in: "LIST 0", want: invalid},
		{name: "LIST out of range", login: true, in: "LIST 10", want: noSuch},
		{name: "DELE negative", login: true, in: "DELE -3", want: invalid},
		{name: "DELE out of range", login: true, in: "DELE 4294967297", want: noSuch},
		{name: "UIDL out of range", login: true, in: "UIDL 10", want: noSuch},
		{name: "UIDL non-numeric", login: true, in: "UIDL x", want: invalid},
		{name: "TOP out of range", login: true, in: "TOP 10 1", want: noSuch},
		{name: "TOP zero", login: true, in: "TOP 0 1", want: invalid},
		{name: "TOP negative lines", login: true, in: "TOP 1 -1", want: lines("-ERR Invalid number of lines")},
		{name: "TOP non-numeric lines", login: true, in: "TOP 1 ten", want: lines("-ERR Invalid number of lines")},

		{name: "RETR deleted", login: true, setup: []string{"DELE 1"}, in: "RETR 1", want: deleted},
		{name: "DELE deleted", login: true, setup: []string{"DELE 1"}, in: "DELE 1", want: deleted},
		{name: "LIST deleted", login: true, setup: []string{"DELE 1"}, in: "LIST 1", want: deleted},
		{name: "TOP deleted", login: true, setup: []string{"DELE 1"}, in: "TOP 1 0", want: deleted},
		{name: "UIDL deleted", login: true, setup: []string{"DELE 1"}, in: "UIDL 1", want: deleted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := demoEnv(t)
			s := e.session()
			if tc.login {
				login(t, s, "alice", "wonderland")
			}
			feed(s, tc.setup...)
			before := s.Messages()
			state := s.State()
			if diff := cmp.Diff(tc.want, feed(s, tc.in)); diff != "" {
				t.Errorf("reply to %q (-want +got):\n%s", tc.in, diff)
			}
			if s.State() != state {
				t.Errorf("state went from %v to %v", state, s.State())
			}
			if diff := cmp.Diff(before, s.Messages()); diff != "" {
				t.Errorf("maildrop view changed (-before +after):\n%s", diff)
			}
			// The session goes on.
			if got := feed(s, "CAPA"); !strings.HasPrefix(got, "+OK") {
				t.Errorf("CAPA after the bad input: %q", got)
			}
		})
	}
}

// TestLongLines covers the 255-octet limit on command lines (RFC 2449 §4).
func TestLongLines(t *testing.T) {
	const tooLong = "-ERR Line too long\r\n"
	t.Run("limit", func(t *testing.T) {
		_, s := aliceSession(t)
		// "NOOP", spaces, CRLF: the longest line allowed, and one more.
		longest := "NOOP" + strings.Repeat(" ", pop3.MaxCommandLine-len("NOOP")-2)
		got := feed(s, longest, longest+" ", "NOOP")
		if diff := cmp.Diff(lines("+OK ", "-ERR Line too long", "+OK "), got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("in one Feed with pipelined commands", func(t *testing.T) {
		e := demoEnv(t)
		s := e.session()
		r := feedRaw(s, "USER alice\r\n"+strings.Repeat("X", 300)+"\r\nPASS wonderland\r\n")
		got := joined(r)
		if len(r) != 3 || !strings.HasPrefix(got, "+OK Send your password\r\n"+tooLong+"+OK alice's maildrop") {
			t.Errorf("replies: %q", got)
		}
	})
	t.Run("10000 octets over several Feeds", func(t *testing.T) {
		_, s := aliceSession(t)
		line := strings.Repeat("RETR 1 ", 10000/7+1)[:10000]
		var got []pop3.Reply
		for rest := line; rest != ""; {
			n := min(len(rest), 1777) // chunks that do not align with anything
			got = append(got, feedRaw(s, rest[:n])...)
			rest = rest[n:]
		}
		if len(got) != 0 {
			t.Fatalf("replies before the line ended: %q", joined(got))
		}
		got = feedRaw(s, "\r\nNOOP\r\n")
		if diff := cmp.Diff(tooLong+"+OK \r\n", joined(got)); diff != "" {
			t.Errorf("after the line ended (-want +got):\n%s", diff)
		}
	})
	t.Run("the CR and LF in separate Feeds", func(t *testing.T) {
		_, s := aliceSession(t)
		got := joined(feedRaw(s, strings.Repeat("x", 400)+"\r"))
		got += joined(feedRaw(s, "\nNOOP\r"))
		got += joined(feedRaw(s, "\n"))
		if diff := cmp.Diff(tooLong+"+OK \r\n", got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("no memory growth", func(t *testing.T) {
		_, s := aliceSession(t)
		chunk := []byte(strings.Repeat("A", 4096))
		feedRaw(s, string(chunk)) // the session is now skipping a line
		const total = 16 << 20
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range total / len(chunk) {
			if r := s.Feed(chunk, clock.Epoch); r != nil {
				t.Fatalf("reply in the middle of a line: %q", joined(r))
			}
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("skipping a %d-octet line allocated %d bytes", total, grew)
		}
		if diff := cmp.Diff(tooLong, joined(feedRaw(s, "\r\n"))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestRETRByteStuffing checks RETR against the store for every demo
// message: byte-stuffed on the wire (RFC 1939 §3), equal to the stored
// message with CRLF line endings once unstuffed, and as long as LIST and
// RETR say (RFC 1939 §11).
func TestRETRByteStuffing(t *testing.T) {
	e, s := aliceSession(t)
	msgs := e.inbox(t, "alice")
	stuffed := 0
	for i := range msgs {
		n := i + 1
		raw := e.raw(t, "alice", n)
		resp := feed(s, fmt.Sprintf("RETR %d", n))
		status, body, ok := multiBody(resp)
		if !ok {
			t.Fatalf("RETR %d: not a multi-line response: %q", n, resp)
		}
		if diff := cmp.Diff(crlf(raw), body); diff != "" {
			t.Errorf("RETR %d unstuffed (-stored +got):\n%s", n, diff)
		}
		if want := fmt.Sprintf("+OK %d octets", len(body)); status != want {
			t.Errorf("RETR %d status %q, want %q", n, status, want)
		}
		if want, got := fmt.Sprintf("+OK %d %d\r\n", n, len(body)), feed(s, fmt.Sprintf("LIST %d", n)); got != want {
			t.Errorf("LIST %d = %q, want %q", n, got, want)
		}
		for l := range strings.Lines(string(raw)) {
			if strings.HasPrefix(l, ".") {
				stuffed++
				if !strings.Contains(resp, "\r\n."+strings.TrimSuffix(l, "\n")+"\r\n") {
					t.Errorf("RETR %d: line %q is not stuffed", n, l)
				}
			}
		}
	}
	if stuffed == 0 {
		t.Error("no demo message has a line starting with '.'; the test proves nothing")
	}
}

// TestStuffingEdges covers messages the demo world does not have.
func TestStuffingEdges(t *testing.T) {
	tests := []struct {
		name, msg string
		want      string // the body on the wire, terminator included
	}{
		{name: "dot alone", msg: "Subject: a\n\n.\nend\n", want: "Subject: a\r\n\r\n..\r\nend\r\n.\r\n"},
		{name: "two dots", msg: "Subject: b\n\n..\n", want: "Subject: b\r\n\r\n...\r\n.\r\n"},
		{name: "dot then text", msg: "Subject: c\n\n.hidden\n. spaced\n", want: "Subject: c\r\n\r\n..hidden\r\n.. spaced\r\n.\r\n"},
		{name: "dot on the first line", msg: ".X-Odd: 1\n\nbody\n", want: "..X-Odd: 1\r\n\r\nbody\r\n.\r\n"},
		{name: "CRLF already", msg: "Subject: d\r\n\r\nbody\r\n", want: "Subject: d\r\n\r\nbody\r\n.\r\n"},
		{name: "mixed endings", msg: "Subject: e\r\n\nline\r\nline\n", want: "Subject: e\r\n\r\nline\r\nline\r\n.\r\n"},
		{name: "bare CR kept", msg: "Subject: f\n\na\rb\n", want: "Subject: f\r\n\r\na\rb\r\n.\r\n"},
		{name: "empty body", msg: "Subject: g\n\n", want: "Subject: g\r\n\r\n.\r\n"},
		{name: "header only", msg: "Subject: j\nX-Dot: .\n", want: "Subject: j\r\nX-Dot: .\r\n.\r\n"},
		// Without a final newline the server ends the last line so the
		// terminator stands on a line of its own (RFC 1939 §3). The
		// octet count is that of the stored message with CRLF line
		// endings, as Dovecot's virtual size; the client receives two
		// octets more.
		{name: "no final newline", msg: "Subject: h\n\nno newline", want: "Subject: h\r\n\r\nno newline\r\n.\r\n"},
		{name: "no final newline after a dot", msg: "Subject: i\n\n.", want: "Subject: i\r\n\r\n..\r\n.\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{"dave": "{PLAIN}pw"})
			e.deliver(t, "dave", tc.msg)
			s := e.session()
			login(t, s, "dave", "pw")
			got := feed(s, "LIST 1", "RETR 1", "TOP 1 100")
			octets := len(crlf([]byte(tc.msg))) // what LIST and RETR say
			want := fmt.Sprintf("+OK 1 %d\r\n+OK %d octets\r\n%s+OK Top of message follows\r\n%s", octets, octets, tc.want, tc.want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuitUpdate covers the UPDATE state (RFC 1939 §6).
func TestQuitUpdate(t *testing.T) {
	e := demoEnv(t)
	var events []pop3.Event
	e.cfg.OnEvent = func(ev pop3.Event) { events = append(events, ev) }
	before := e.inbox(t, "alice")
	s := e.session()
	login(t, s, "alice", "wonderland")
	// 4 and 5 are unseen; 2 is retrieved and then deleted.
	feed(s, "RETR 4", "TOP 7 1", "RETR 5", "RETR 2", "DELE 2", "DELE 9", "DELE 1", "RSET", "DELE 2", "DELE 9")
	r := feedRaw(s, "QUIT\r\nSTAT\r\n")
	want := []pop3.Reply{{Data: []byte(fmt.Sprintf("+OK wirelab POP3 server signing off (%d messages left)\r\n", len(before)-2)), Close: true}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("QUIT (-want +got):\n%s", diff)
	}
	if s.State() != pop3.Closed {
		t.Errorf("state %v", s.State())
	}

	type msg struct {
		UID  uint32
		Seen bool
	}
	view := func(ms []mailstore.Message) []msg {
		var out []msg
		for _, m := range ms {
			out = append(out, msg{m.UID, slices.Contains(m.Flags, mailstore.FlagSeen)})
		}
		return out
	}
	var wantStore []msg
	for i, m := range view(before) {
		switch i + 1 {
		case 2, 9:
			continue
		case 4, 5:
			m.Seen = true
		}
		wantStore = append(wantStore, m)
	}
	if diff := cmp.Diff(wantStore, view(e.inbox(t, "alice"))); diff != "" {
		t.Errorf("store after QUIT (-want +got):\n%s", diff)
	}
	e.checkUnlocked(t, "alice")

	ev := func(kind pop3.EventKind, msg int) pop3.Event {
		return pop3.Event{Session: 1, User: "alice", Kind: kind, State: pop3.Transaction, Msg: msg}
	}
	wantEvents := []pop3.Event{
		{Session: 1, User: "alice", Kind: pop3.EventState, From: pop3.Authorization, State: pop3.Transaction},
		ev(pop3.EventRetrieved, 4),
		ev(pop3.EventRetrieved, 5),
		ev(pop3.EventRetrieved, 2),
		ev(pop3.EventMarkedDeleted, 2),
		ev(pop3.EventMarkedDeleted, 9),
		ev(pop3.EventMarkedDeleted, 1),
		ev(pop3.EventUnmarked, 1),
		ev(pop3.EventUnmarked, 2),
		ev(pop3.EventUnmarked, 9),
		ev(pop3.EventMarkedDeleted, 2),
		ev(pop3.EventMarkedDeleted, 9),
		{Session: 1, User: "alice", Kind: pop3.EventState, From: pop3.Transaction, State: pop3.Update},
		{Session: 1, User: "alice", Kind: pop3.EventUpdated, State: pop3.Update, Detail: fmt.Sprintf("2 deleted, %d left", len(before)-2)},
		{Session: 1, User: "alice", Kind: pop3.EventState, From: pop3.Update, State: pop3.Closed},
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestQuitEmptiesMaildrop(t *testing.T) {
	e := demoEnv(t)
	s := e.session()
	login(t, s, "bob", "builder")
	got := feed(s, "DELE 1", "DELE 2", "DELE 3", "QUIT")
	want := lines("+OK Message 1 deleted", "+OK Message 2 deleted", "+OK Message 3 deleted", "+OK wirelab POP3 server signing off (maildrop empty)")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if left := e.inbox(t, "bob"); len(left) != 0 {
		t.Errorf("bob's INBOX still has %d messages", len(left))
	}
	// The next session sees the empty maildrop.
	s = pop3.NewSession(e.cfg, 2, clock.Epoch)
	if got := feed(s, "USER bob", "PASS builder"); !strings.HasSuffix(got, "+OK bob's maildrop has 0 messages (0 octets)\r\n") {
		t.Errorf("next login: %q", got)
	}
}

// TestNoQuitDeletesNothing covers RFC 1939 §6: a session that ends other
// than by QUIT does not enter UPDATE.
func TestNoQuitDeletesNothing(t *testing.T) {
	tests := []struct {
		name string
		end  func(*pop3.Session) pop3.Reply
		want pop3.Reply
	}{
		{name: "Abort", end: func(s *pop3.Session) pop3.Reply { s.Abort(); return pop3.Reply{} }},
		{
			name: "Expire",
			end:  (*pop3.Session).Expire,
			want: pop3.Reply{Data: []byte("-ERR Disconnected for inactivity.\r\n"), Close: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := demoEnv(t)
			before := e.inbox(t, "alice")
			s := e.session()
			login(t, s, "alice", "wonderland")
			feed(s, "RETR 4", "DELE 1", "DELE 2", "DELE 4")
			if diff := cmp.Diff(tc.want, tc.end(s)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if s.State() != pop3.Closed {
				t.Errorf("state %v", s.State())
			}
			if diff := cmp.Diff(before, e.inbox(t, "alice")); diff != "" {
				t.Errorf("store changed (-before +after):\n%s", diff)
			}
			e.checkUnlocked(t, "alice")
			s.Abort() // a second end is harmless
			if r := feedRaw(s, "QUIT\r\n"); r != nil {
				t.Errorf("closed session answered %+v", r)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	e, s := aliceSession(t)
	d := dropOf(t, e, "alice")
	feed(s, "RETR 3", "DELE 5")
	got := s.Messages()
	var want []pop3.Message
	for i, m := range e.inbox(t, "alice") {
		want = append(want, pop3.Message{
			Number: i + 1, UID: m.UID, UIDL: d.uidls[i], Octets: d.octets[i],
			Deleted: i+1 == 5, Retrieved: i+1 == 3,
		})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Messages (-want +got):\n%s", diff)
	}
	got[0].Deleted = true // a copy
	if s.Messages()[0].Deleted {
		t.Error("Messages returned the session's own slice")
	}
}
