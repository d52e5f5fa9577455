package imap_test

// Faults other Go IMAP servers have shipped, one test each, proving that
// wirelab does not have them. Each test names the fault and the RFC text
// the fault broke.

import (
	"regexp"
	"strings"
	"testing"
)

// taggedLine matches a tagged status response and captures its tag.
var taggedLine = regexp.MustCompile(`(?m)^([a-z][0-9]+) (?:OK|NO|BAD) `)

// TestStumbleListBadUTF7: a LIST pattern that is not valid modified UTF-7
// (RFC 3501 §5.1.3) made a decoder panic or pass garbage to the store; it
// must get a tagged BAD and leave the session usable.
func TestStumbleListBadUTF7(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	for _, pattern := range []string{`"&Jjo"`, `"&ZZZ-"`, `"&-&"`, `"INBOX&"`, `"&AGE-"`} {
		t.Run(pattern, func(t *testing.T) {
			out := feed(s, "a LIST \"\" "+pattern)
			if !strings.HasPrefix(out, "a BAD ") || strings.Count(out, "\r\n") != 1 {
				t.Errorf("LIST %s: %q, want one tagged BAD", pattern, out)
			}
		})
	}
	if out := feed(s, `b LIST "" INBOX`); !strings.Contains(out, `"INBOX"`) || !strings.Contains(out, "b OK") {
		t.Errorf("LIST after the bad patterns: %q", out)
	}
}

// TestStumbleGroupAddress: the group syntax of RFC 5322 §3.4
// ("undisclosed-recipients:;") was dropped from ENVELOPE, or the session
// died on it. RFC 3501 §7.4.2 encodes a group as a start marker (NIL NIL
// name NIL) and an end marker (NIL NIL NIL NIL). Demo message 1 has it.
func TestStumbleGroupAddress(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	feed(s, "s SELECT INBOX")
	out := feed(s, "f FETCH 1 ENVELOPE")
	want := `"Welcome to CS 340 Networks Lab" (("Dana Kim" NIL "dana.kim" "example.org")) (("Dana Kim" NIL "dana.kim" "example.org")) (("Dana Kim" NIL "dana.kim" "example.org")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL`
	if !strings.Contains(out, want) || !strings.Contains(out, "f OK") {
		t.Errorf("ENVELOPE of message 1:\n%s\nwant the To field as a group:\n%s", out, want)
	}
}

// TestStumbleID: ID (RFC 2971) was advertised but answered BAD, or failed
// on NIL.
func TestStumbleID(t *testing.T) {
	e := newEnv(t)
	s := e.session(t)
	if !strings.Contains(string(s.Greeting()), " ID ") {
		t.Errorf("greeting does not advertise ID: %q", s.Greeting())
	}
	idLine := regexp.MustCompile(`^\* ID (NIL|\(("[^"]*" ("[^"]*"|NIL) ?)*\))\r\n$`)
	for _, args := range []string{`("name" "go-imap" "version" "2")`, "NIL"} {
		out := feed(s, "i ID "+args)
		first, rest, _ := strings.Cut(out, "\r\n")
		if !idLine.MatchString(first+"\r\n") || !strings.HasPrefix(rest, "i OK") {
			t.Errorf("ID %s: %q", args, out)
		}
	}
}

// TestStumbleRecent: \Recent (IMAP4rev1, RFC 3501 §2.3.2) was always 0, or
// every session saw it. The first session to SELECT sees RECENT n and
// \Recent on the messages; a session after it sees RECENT 0.
func TestStumbleRecent(t *testing.T) {
	e := newEnv(t)
	first := feed(e.login(t, "alice"), "s SELECT INBOX", "f FETCH 1 FLAGS")
	if !strings.Contains(first, "* 9 RECENT\r\n") || !strings.Contains(first, `\Recent`) {
		t.Errorf("first SELECT:\n%s\nwant * 9 RECENT and \\Recent flags", first)
	}
	second := feed(e.login(t, "alice"), "s SELECT INBOX", "f FETCH 1:* FLAGS")
	if !strings.Contains(second, "* 0 RECENT\r\n") || strings.Contains(second, `\Recent`) {
		t.Errorf("second SELECT:\n%s\nwant * 0 RECENT and no \\Recent flag", second)
	}
}

// TestStumbleListAttributes: LIST and LSUB left out \Noselect for a
// mailbox that has only inferiors, and \NonExistent for a subscription to
// a mailbox that is gone (RFC 3501 §6.3.9, RFC 5258 §3, RFC 9051 §7.3.1).
func TestStumbleListAttributes(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	setup := feed(s, "a CREATE lab/week1", "b DELETE lab", "c SUBSCRIBE gone", "d SUBSCRIBE lab")
	if strings.Count(setup, " OK ") != 4 {
		t.Fatalf("setup:\n%s", setup)
	}
	tests := []struct {
		cmd, want string
	}{
		{`l LIST "" "*"`, `* LIST (\Noselect \HasChildren) "/" "lab"`},
		{`l LIST "" "*"`, `* LIST (\HasNoChildren) "/" "lab/week1"`},
		{`l LSUB "" "*"`, `* LSUB (\Noselect) "/" "gone"`},
		{`l LSUB "" "*"`, `* LSUB (\Noselect) "/" "lab"`},
		{`l LIST (SUBSCRIBED) "" "*"`, `* LIST (\NonExistent \HasNoChildren \Subscribed) "/" "gone"`},
		{`l LIST (SUBSCRIBED) "" "*"`, `* LIST (\Noselect \HasChildren \Subscribed) "/" "lab"`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			out := feed(s, tc.cmd)
			if !strings.Contains(out, tc.want+"\r\n") || !strings.Contains(out, "l OK") {
				t.Errorf("%s:\n%s\nwant the line %s", tc.cmd, out, tc.want)
			}
		})
	}
	if out := feed(s, "s SELECT lab"); !strings.HasPrefix(out, "s NO") {
		t.Errorf("SELECT of a \\Noselect mailbox: %q", out)
	}
}

// TestStumbleNewKeywordFlags: a STORE of a new keyword did not send an
// untagged FLAGS first (RFC 3501 §7.2.6: FLAGS is sent when the set of
// defined flags changes), so clients rejected the keyword in the FETCH.
// Both the storing session and another one selected on the mailbox must
// see FLAGS, before the FETCH that uses the keyword.
func TestStumbleNewKeywordFlags(t *testing.T) {
	e := newEnv(t)
	s1 := e.login(t, "alice")
	s2 := e.login(t, "alice")
	feed(s1, "s SELECT INBOX")
	feed(s2, "s SELECT INBOX")
	out := feed(s1, "k STORE 2 +FLAGS ($lab1)")
	flags := strings.Index(out, `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $lab1)`)
	fetch := strings.Index(out, "* 2 FETCH (FLAGS (")
	if flags < 0 || fetch < flags || !strings.Contains(out[fetch:], "$lab1") {
		t.Errorf("STORE of a new keyword:\n%s\nwant FLAGS with it before the FETCH", out)
	}
	out = feed(s2, "n NOOP")
	flags = strings.Index(out, `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $lab1)`)
	fetch = strings.Index(out, "* 2 FETCH (")
	if flags < 0 || fetch < flags || !strings.Contains(out[fetch:], "$lab1") {
		t.Errorf("other session's NOOP:\n%s\nwant FLAGS with the new keyword before the FETCH", out)
	}
}

// TestStumblePipelining: a server answered only the first of several
// commands sent in one write, or lost a LITERAL+ (RFC 7888) APPEND's
// literal in the middle of them. RFC 3501 §5.5 lets the client pipeline;
// every command is answered, in order, from one Feed call.
func TestStumblePipelining(t *testing.T) {
	e := newEnv(t)
	s := e.session(t)
	in := "p1 LOGIN alice wonderland\r\n" +
		"p2 NOOP\r\n" +
		"p3 APPEND INBOX (\\Flagged) {30+}\r\nSubject: pipelined\r\n\r\nhello\r\n\r\n" +
		"p4 SELECT INBOX\r\n" +
		"p5 FETCH 10 (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n" +
		"p6 LOGOUT\r\n"
	var out strings.Builder
	for _, r := range s.Feed([]byte(in), testNow) {
		out.Write(r.Data)
	}
	var tagged []string
	for _, m := range taggedLine.FindAllStringSubmatch(out.String(), -1) {
		tagged = append(tagged, m[1])
	}
	if got := strings.Join(tagged, " "); got != "p1 p2 p3 p4 p5 p6" {
		t.Errorf("tagged responses %q, want p1 p2 p3 p4 p5 p6, in order:\n%s", got, out.String())
	}
	for _, want := range []string{
		"p3 OK [APPENDUID ",
		"* 10 FETCH (FLAGS (\\Flagged \\Recent) RFC822.SIZE 30 BODY[HEADER.FIELDS (SUBJECT)] {22}\r\nSubject: pipelined\r\n\r\n)",
		"p6 OK",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("pipelined output lacks %q:\n%s", want, out.String())
		}
	}
	if regexp.MustCompile(`(?m)^\+ `).MatchString(out.String()) {
		t.Errorf("LITERAL+ got a continuation request:\n%s", out.String())
	}
}
