package smtp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/smtp"
)

const ehloMX = "250-mx.example.com greets c.example.net|250-SIZE 10485760|250-8BITMIME|250-PIPELINING|250-ENHANCEDSTATUSCODES|250-SMTPUTF8|250 HELP"

// TestSessionCommands feeds each script in one Feed (so every case is also
// a pipelining test: the replies must come back in order) and compares the
// reply lines.
func TestSessionCommands(t *testing.T) {
	relayed := 0
	relay := func(from string, to []string, msg []byte) error { relayed++; return nil }
	tests := []struct {
		name  string
		setup func(*smtp.Config)
		in    []string
		want  string // reply lines joined with "|"
	}{
		{"ehlo", nil, []string{"EHLO c.example.net"}, ehloMX},
		{"ehlo starttls", func(c *smtp.Config) { c.TLSAvailable = true }, []string{"EHLO c.example.net"},
			strings.Replace(ehloMX, "250 HELP", "250-STARTTLS|250 HELP", 1)},
		{"ehlo submission", func(c *smtp.Config) { c.Submission = true }, []string{"EHLO c.example.net"},
			strings.Replace(ehloMX, "250 HELP", "250-AUTH PLAIN|250 HELP", 1)},
		{"ehlo size", func(c *smtp.Config) { c.MaxMessageSize = 1000 }, []string{"EHLO c.example.net"},
			strings.Replace(ehloMX, "10485760", "1000", 1)},
		{"ehlo no domain", nil, []string{"EHLO"}, "501 5.5.4 Syntax: EHLO domain"},
		{"helo", nil, []string{"HELO c.example.net"}, "250 mx.example.com"},
		{"helo no domain", nil, []string{"HELO"}, "501 5.5.4 Syntax: HELO domain"},
		{"mail before helo", nil, []string{"MAIL FROM:<a@b.example>"}, "503 5.5.1 Error: send HELO/EHLO first"},
		{"rcpt before mail", nil, []string{"HELO c", "RCPT TO:<alice@example.com>"}, "250 mx.example.com|503 5.5.1 Error: need MAIL command"},
		{"data before rcpt", nil, []string{"HELO c", "DATA"}, "250 mx.example.com|503 5.5.1 Error: need RCPT command"},
		{"data without valid rcpt", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<nobody@example.com>", "DATA"},
			"250 mx.example.com|250 2.1.0 Ok|550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown|554 5.5.1 Error: no valid recipients"},
		{"nested mail", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "MAIL FROM:<a@b.example>"},
			"250 mx.example.com|250 2.1.0 Ok|503 5.5.1 Error: nested MAIL command"},
		{"mail syntax", nil, []string{"HELO c", "MAIL alice@example.com", "MAIL FROM:alice", "MAIL FROM:<a b@c>", "MAIL FROM:<a@b>x"},
			"250 mx.example.com|501 5.5.4 Syntax: MAIL FROM:<address>|501 5.5.4 Syntax: MAIL FROM:<address>|501 5.5.4 Syntax: MAIL FROM:<address>|501 5.5.4 Syntax: MAIL FROM:<address>"},
		{"mail null sender and space", nil, []string{"HELO c", "MAIL FROM: <>"}, "250 mx.example.com|250 2.1.0 Ok"},
		{"mail params", nil, []string{"HELO c", "MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME SMTPUTF8"}, "250 mx.example.com|250 2.1.0 Ok"},
		{"mail bad size", nil, []string{"HELO c", "MAIL FROM:<a@b.example> SIZE=x", "MAIL FROM:<a@b.example> SIZE=-1"},
			"250 mx.example.com|501 5.5.4 Bad SIZE parameter|501 5.5.4 Bad SIZE parameter"},
		{"mail bad body", nil, []string{"HELO c", "MAIL FROM:<a@b.example> BODY=BINARYMIME"}, "250 mx.example.com|501 5.5.4 Bad BODY parameter"},
		{"mail unknown param", nil, []string{"HELO c", "MAIL FROM:<a@b.example> RET=HDRS"}, "250 mx.example.com|555 5.5.4 Unsupported parameter RET"},
		{"mail size at limit", func(c *smtp.Config) { c.MaxMessageSize = 1000 }, []string{"HELO c", "MAIL FROM:<a@b.example> SIZE=1000"},
			"250 mx.example.com|250 2.1.0 Ok"},
		{"mail size over limit", func(c *smtp.Config) { c.MaxMessageSize = 1000 }, []string{"HELO c", "MAIL FROM:<a@b.example> SIZE=1001"},
			"250 mx.example.com|552 5.3.4 Message size exceeds fixed limit"},
		{"rcpt local", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<alice@example.com>", "RCPT TO:<Bob@EXAMPLE.ORG>"},
			"250 mx.example.com|250 2.1.0 Ok|250 2.1.5 Ok|250 2.1.5 Ok"},
		{"rcpt unknown user", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<carol@example.com>"},
			"250 mx.example.com|250 2.1.0 Ok|550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown"},
		{"rcpt relay refused", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<x@elsewhere.example>"},
			"250 mx.example.com|250 2.1.0 Ok|550 5.7.1 <x@elsewhere.example>: Relay access denied"},
		{"rcpt relay refused with hook but no auth", func(c *smtp.Config) { c.Relay = relay }, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<x@elsewhere.example>"},
			"250 mx.example.com|250 2.1.0 Ok|550 5.7.1 <x@elsewhere.example>: Relay access denied"},
		{"rcpt relay refused on submission without hook", func(c *smtp.Config) { c.Submission = true },
			[]string{"HELO c", "AUTH PLAIN " + plainIR("alice", "wonderland"), "MAIL FROM:<alice@example.com>", "RCPT TO:<x@elsewhere.example>"},
			"250 mx.example.com|235 2.7.0 Authentication successful|250 2.1.0 Ok|550 5.7.1 <x@elsewhere.example>: Relay access denied"},
		{"rcpt syntax", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<>", "RCPT alice@example.com", "RCPT TO:<alice@example.com> NOTIFY=NEVER"},
			"250 mx.example.com|250 2.1.0 Ok|501 5.5.4 Syntax: RCPT TO:<address>|501 5.5.4 Syntax: RCPT TO:<address>|555 5.5.4 Unsupported parameter NOTIFY=NEVER"},
		{"rcpt postmaster", func(c *smtp.Config) { c.Postmaster = "bob" }, []string{"HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<Postmaster>"},
			"250 mx.example.com|250 2.1.0 Ok|250 2.1.5 Ok"},
		{"rset", nil, []string{"HELO c", "MAIL FROM:<a@b.example>", "RSET", "RCPT TO:<alice@example.com>", "RSET x"},
			"250 mx.example.com|250 2.1.0 Ok|250 2.0.0 Ok|503 5.5.1 Error: need MAIL command|501 5.5.4 Syntax: RSET"},
		{"noop", nil, []string{"NOOP", "NOOP anything"}, "250 2.0.0 Ok|250 2.0.0 Ok"},
		{"vrfy default", nil, []string{"VRFY alice", "VRFY"},
			"252 2.1.5 Cannot VRFY user, but will accept message and attempt delivery|501 5.5.4 Syntax: VRFY address"},
		{"vrfy policy", func(c *smtp.Config) {
			c.Verify = func(arg string) (int, string, string) { return 250, "2.1.5", "Alice <alice@example.com>" }
		}, []string{"VRFY alice"}, "250 2.1.5 Alice <alice@example.com>"},
		{"expn", nil, []string{"EXPN staff"}, "502 5.5.1 EXPN not available"},
		{"help", nil, []string{"HELP"}, "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH|214 2.0.0 See RFC 5321"},
		{"unknown", nil, []string{"FROB", ""}, "500 5.5.2 Error: command not recognized|500 5.5.2 Error: bad syntax"},
		{"quit", nil, []string{"QUIT", "NOOP"}, "221 2.0.0 mx.example.com Service closing transmission channel"},
		{"command line at limit", nil, []string{"NOOP " + strings.Repeat("x", smtp.MaxCommandLine-7), "NOOP"}, "250 2.0.0 Ok|250 2.0.0 Ok"},
		{"command line too long", nil, []string{"NOOP " + strings.Repeat("x", smtp.MaxCommandLine-6), "NOOP"}, "500 5.5.2 Line too long|250 2.0.0 Ok"},
		{"starttls unavailable", nil, []string{"EHLO c.example.net", "STARTTLS"}, ehloMX + "|502 5.5.1 STARTTLS not available"},
		{"starttls discards pipelined input", func(c *smtp.Config) { c.TLSAvailable = true }, []string{"EHLO c", "STARTTLS", "MAIL FROM:<a@b.example>"},
			strings.Replace(strings.Replace(ehloMX, "c.example.net", "c", 1), "250 HELP", "250-STARTTLS|250 HELP", 1) + "|220 2.0.0 Ready to start TLS"},
		{"auth not on mx", nil, []string{"EHLO c.example.net", "AUTH PLAIN " + plainIR("alice", "wonderland")}, ehloMX + "|502 5.5.1 AUTH not available"},
		{"submission needs auth", func(c *smtp.Config) { c.Submission = true }, []string{"HELO c", "MAIL FROM:<alice@example.com>"},
			"250 mx.example.com|530 5.7.0 Authentication required"},
		{"auth before ehlo", func(c *smtp.Config) { c.Submission = true }, []string{"AUTH PLAIN " + plainIR("alice", "wonderland")},
			"503 5.5.1 Error: send EHLO first"},
		{"auth ok", func(c *smtp.Config) { c.Submission = true },
			[]string{"HELO c", "AUTH PLAIN " + plainIR("alice", "wonderland"), "AUTH PLAIN " + plainIR("alice", "wonderland"), "MAIL FROM:<alice@example.org>"},
			"250 mx.example.com|235 2.7.0 Authentication successful|503 5.5.1 Error: already authenticated|250 2.1.0 Ok"},
		{"auth two steps", func(c *smtp.Config) { c.Submission = true },
			[]string{"HELO c", "AUTH PLAIN", plainIR("bob", "builder")},
			"250 mx.example.com|334 |235 2.7.0 Authentication successful"},
		{"auth cancelled", func(c *smtp.Config) { c.Submission = true }, []string{"HELO c", "AUTH PLAIN", "*"},
			"250 mx.example.com|334 |501 5.0.0 Authentication cancelled"},
		{"auth bad password", func(c *smtp.Config) { c.Submission = true }, []string{"HELO c", "AUTH PLAIN " + plainIR("alice", "x"), "MAIL FROM:<alice@example.com>"},
			"250 mx.example.com|535 5.7.8 Authentication credentials invalid|530 5.7.0 Authentication required"},
		{"auth bad base64", func(c *smtp.Config) { c.Submission = true }, []string{"HELO c", "AUTH PLAIN !!!"},
			"250 mx.example.com|501 5.5.2 Cannot decode response"},
		{"auth unknown mechanism", func(c *smtp.Config) { c.Submission = true }, []string{"HELO c", "AUTH LOGIN"},
			"250 mx.example.com|504 5.5.4 Unrecognized authentication type"},
		{"submission foreign sender", func(c *smtp.Config) { c.Submission = true },
			[]string{"HELO c", "AUTH PLAIN " + plainIR("alice", "wonderland"), "MAIL FROM:<bob@example.com>"},
			"250 mx.example.com|235 2.7.0 Authentication successful|553 5.7.1 Sender address rejected: not owned by user alice"},
		{"pipelining (RFC 2920 §3.1)", nil,
			[]string{"EHLO c.example.net", "MAIL FROM:<a@b.example>", "RCPT TO:<alice@example.com>", "RCPT TO:<nobody@example.com>", "RCPT TO:<bob@example.com>", "DATA", ".hidden", "", ".", "NOOP", "QUIT"},
			ehloMX + "|250 2.1.0 Ok|250 2.1.5 Ok|550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown|250 2.1.5 Ok|354 End data with <CR><LF>.<CR><LF>|250 2.0.0 Ok: queued as 10000|250 2.0.0 Ok|221 2.0.0 mx.example.com Service closing transmission channel"},
		{"submission relay via hook", func(c *smtp.Config) { c.Submission = true; c.Relay = relay },
			[]string{"HELO c", "AUTH PLAIN " + plainIR("alice", "wonderland"), "MAIL FROM:<alice@example.com>", "RCPT TO:<x@elsewhere.example>", "DATA", "Hi", ".", "QUIT"},
			"250 mx.example.com|235 2.7.0 Authentication successful|250 2.1.0 Ok|250 2.1.5 Ok|354 End data with <CR><LF>.<CR><LF>|250 2.0.0 Ok: queued as 10000|221 2.0.0 mx.example.com Service closing transmission channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e.cfg)
			}
			s := smtp.NewSession(e.cfg, 1, "192.0.2.1")
			got := strings.Join(run(s, crlf(tc.in...)), "|")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
		})
	}
	if relayed != 1 {
		t.Errorf("Relay called %d times, want 1", relayed)
	}
}

func TestTooManyRecipients(t *testing.T) {
	e := newEnv(t)
	s := smtp.NewSession(e.cfg, 1, "")
	in := []string{"HELO c", "MAIL FROM:<a@b.example>"}
	for range smtp.MaxRecipients + 1 {
		in = append(in, "RCPT TO:<alice@example.com>")
	}
	got := run(s, crlf(in...))
	if n := len(got); n != smtp.MaxRecipients+3 {
		t.Fatalf("%d replies, want %d", n, smtp.MaxRecipients+3)
	}
	if got[len(got)-2] != "250 2.1.5 Ok" || got[len(got)-1] != "452 4.5.3 Error: too many recipients" {
		t.Errorf("last replies %q", got[len(got)-2:])
	}
}

func TestDeliveryIntoStore(t *testing.T) {
	e := newEnv(t)
	s := smtp.NewSession(e.cfg, 3, "192.0.2.7")
	msg := "From: x@b.example\r\nSubject: hi\r\n\r\n..leading dot\r\nbody\r\n"
	got := run(s, crlf("EHLO client.b.example", "MAIL FROM:<x@b.example>", "RCPT TO:<alice@example.com>", "RCPT TO:<bob@example.org>", "DATA")+msg+".\r\n")
	if want := "250 2.0.0 Ok: queued as 30000"; got[len(got)-1] != want {
		t.Fatalf("last reply %q, want %q", got[len(got)-1], want)
	}
	wantMsg := "Received: from client.b.example (192.0.2.7)\r\n\tby mx.example.com with ESMTP id 30000; " +
		clock.Epoch.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n" +
		"From: x@b.example\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n"
	for _, user := range []string{"alice", "bob"} {
		if diff := cmp.Diff([]string{wantMsg}, e.inbox(t, user)); diff != "" {
			t.Errorf("%s's INBOX (-want +got):\n%s", user, diff)
		}
	}
}

func TestReceivedForOneRecipient(t *testing.T) {
	e := newEnv(t)
	e.cfg.Submission = true
	s := smtp.NewSession(e.cfg, 1, "")
	run(s, crlf("EHLO c", "AUTH PLAIN "+plainIR("bob", "builder"), "MAIL FROM:<bob@example.com>", "RCPT TO:<alice@example.com>", "DATA", "x", "."))
	got := e.inbox(t, "alice")
	if len(got) != 1 || !strings.HasPrefix(got[0], "Received: from c\r\n\tby mx.example.com with ESMTPA id 10000\r\n\tfor <alice@example.com>; ") {
		t.Errorf("INBOX %q", got)
	}
}

func TestMessageSizeLimit(t *testing.T) {
	const limit = 100
	for _, tc := range []struct {
		name string
		size int // octets of the message text, CRLFs included
		want string
	}{
		{"below", limit - 1, "250 2.0.0 Ok: queued as 10000"},
		{"at", limit, "250 2.0.0 Ok: queued as 10000"},
		{"beyond", limit + 1, "552 5.3.4 Message size exceeds fixed limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.MaxMessageSize = limit
			s := smtp.NewSession(e.cfg, 1, "")
			body := strings.Repeat("x", tc.size-2) + "\r\n"
			got := run(s, crlf("HELO c", "MAIL FROM:<>", "RCPT TO:<alice@example.com>", "DATA")+body+crlf(".", "NOOP"))
			if diff := cmp.Diff([]string{tc.want, "250 2.0.0 Ok"}, got[len(got)-2:]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			wantN := 1
			if tc.size > limit {
				wantN = 0
			}
			if n := len(e.inbox(t, "alice")); n != wantN {
				t.Errorf("%d messages stored, want %d", n, wantN)
			}
		})
	}
}

func TestTextLineLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		line int
		want string
	}{
		{"at", smtp.MaxTextLine, "250 2.0.0 Ok: queued as 10000"},
		{"beyond", smtp.MaxTextLine + 1, "500 5.5.2 Line too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := smtp.NewSession(e.cfg, 1, "")
			long := strings.Repeat("y", tc.line-2) + "\r\n"
			got := run(s, crlf("HELO c", "MAIL FROM:<>", "RCPT TO:<alice@example.com>", "DATA")+long+crlf(".", "NOOP"))
			if diff := cmp.Diff([]string{tc.want, "250 2.0.0 Ok"}, got[len(got)-2:]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRelayHookFailure(t *testing.T) {
	e := newEnv(t)
	e.cfg.Submission = true
	var gotFrom string
	var gotTo []string
	e.cfg.Relay = func(from string, to []string, msg []byte) error {
		gotFrom, gotTo = from, to
		return errors.New("no route")
	}
	s := smtp.NewSession(e.cfg, 1, "")
	got := run(s, crlf("EHLO c", "AUTH PLAIN "+plainIR("alice", "wonderland"), "MAIL FROM:<alice@example.com>",
		"RCPT TO:<x@far.example>", "RCPT TO:<bob@example.com>", "DATA", "x", "."))
	if want := "451 4.4.0 Error: relay failed"; got[len(got)-1] != want {
		t.Errorf("last reply %q, want %q", got[len(got)-1], want)
	}
	if gotFrom != "alice@example.com" || !cmp.Equal(gotTo, []string{"x@far.example"}) {
		t.Errorf("Relay(%q, %q)", gotFrom, gotTo)
	}
	if n := len(e.inbox(t, "bob")); n != 0 {
		t.Errorf("bob got %d messages after a failed relay, want 0", n)
	}
}

// TestFeedByteByByte checks that splitting input anywhere changes nothing.
func TestFeedByteByByte(t *testing.T) {
	script := crlf("EHLO c", "MAIL FROM:<a@b.example>", "RCPT TO:<alice@example.com>", "DATA", "..x", ".", "QUIT")
	e1 := newEnv(t)
	want := run(smtp.NewSession(e1.cfg, 1, ""), script)
	e2 := newEnv(t)
	s := smtp.NewSession(e2.cfg, 1, "")
	var got []string
	for i := range len(script) {
		got = append(got, run(s, script[i:i+1])...)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-whole +bytewise):\n%s", diff)
	}
	if diff := cmp.Diff(e1.inbox(t, "alice"), e2.inbox(t, "alice")); diff != "" {
		t.Errorf("stored (-whole +bytewise):\n%s", diff)
	}
}
