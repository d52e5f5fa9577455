package imap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// limitText is the tagged NO a login over MaxSessionsPerUser gets (RFC
// 5530 §3 LIMIT).
var limitText = fmt.Sprintf("x NO [LIMIT] Too many sessions for this user (at most %d)", imap.MaxSessionsPerUser)

// fillSessions logs user in MaxSessionsPerUser times.
func fillSessions(t *testing.T, e *env, user string) []*imap.Session {
	t.Helper()
	out := make([]*imap.Session, imap.MaxSessionsPerUser)
	for i := range out {
		out[i] = e.login(t, user)
	}
	return out
}

// TestSessionsPerUser: a user may hold MaxSessionsPerUser logged-in
// sessions of one Config; the next LOGIN or AUTHENTICATE gets NO [LIMIT]
// and leaves the session unauthenticated, other users are not affected,
// and a session that ends (LOGOUT, Abort, Expire) frees its slot.
func TestSessionsPerUser(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(s *imap.Session)
	}{
		{"logout", func(s *imap.Session) { feed(s, "z LOGOUT") }},
		{"abort", func(s *imap.Session) { s.Abort() }},
		{"expire", func(s *imap.Session) { s.Expire() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			full := fillSessions(t, e, "alice")
			for _, cmd := range []string{"x LOGIN alice wonderland", "x AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="} {
				s := e.session(t)
				if diff := cmp.Diff([]string{limitText}, respLines(feed(s, cmd))); diff != "" {
					t.Errorf("%s beyond the limit (-want +got):\n%s", cmd, diff)
				}
				if s.State() != imap.NotAuthenticated {
					t.Errorf("%s beyond the limit: state %v", cmd, s.State())
				}
			}
			// A refused session may log in once a slot is free, and the
			// other user was never limited.
			waiting := e.session(t)
			feed(waiting, "x LOGIN alice wonderland")
			e.login(t, "bob")
			tc.end(full[0])
			tc.end(full[0]) // ending twice frees one slot only
			if out := feed(waiting, "y LOGIN alice wonderland"); !strings.Contains(out, "y OK") {
				t.Fatalf("login after a slot was freed: %q", out)
			}
			if diff := cmp.Diff([]string{limitText}, respLines(feed(e.session(t), "x LOGIN alice wonderland"))); diff != "" {
				t.Errorf("login once the freed slot is taken again (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSessionsPerUserUnauthenticated: sessions that never log in, or fail
// to, hold no slot.
func TestSessionsPerUserUnauthenticated(t *testing.T) {
	e := newEnv(t)
	for range imap.MaxSessionsPerUser {
		s := e.session(t)
		feed(s, "x LOGIN alice guess")
		s.Abort()
	}
	fillSessions(t, e, "alice")
}

// TestLineLimit: a command line of exactly DefaultMaxLine octets (without
// its CRLF) is read; one octet more is refused with BAD [LIMIT], and the
// session goes on with the next command.
func TestLineLimit(t *testing.T) {
	e := newEnv(t)
	s := e.opened(t, "alice", "INBOX", "")
	prefix := `a SEARCH SUBJECT "`
	line := func(n int) string { return prefix + strings.Repeat("z", n-len(prefix)-1) + `"` }
	for _, tc := range []struct {
		name string
		n    int
		want []string
	}{
		{"at the limit", imapwire.DefaultMaxLine, []string{"* SEARCH", "a OK SEARCH completed", "b OK NOOP completed"}},
		{"beyond the limit", imapwire.DefaultMaxLine + 1, []string{fmt.Sprintf("a BAD [LIMIT] Command line longer than %d octets", imapwire.DefaultMaxLine), "b OK NOOP completed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := line(tc.n)
			if len(l) != tc.n {
				t.Fatalf("line of %d octets, want %d", len(l), tc.n)
			}
			if diff := cmp.Diff(tc.want, respLines(feed(s, l, "b NOOP"))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLiteralLimit: an APPEND literal of exactly MaxLiteral octets is
// taken; one octet more is refused, before the client sends it when the
// literal is synchronizing (NO [TOOBIG], RFC 7888 §4), and after the
// session has discarded it when it is LITERAL+ (BAD [TOOBIG], RFC 7888
// §4: the server has to read it anyway). Either way the next command
// runs.
func TestLiteralLimit(t *testing.T) {
	const maxLiteral = 1024 // small, so the test sends little
	msg := func(n int) string {
		h := "Subject: edge\r\n\r\n"
		return h + strings.Repeat("x", n-len(h))
	}
	tooBig := fmt.Sprintf("Literal of %d octets exceeds the limit of %d", maxLiteral+1, maxLiteral)
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"synchronizing at the limit", []string{fmt.Sprintf("a APPEND INBOX {%d}", maxLiteral), msg(maxLiteral), "b NOOP"},
			[]string{"+ Ready for literal data", "a OK [APPENDUID", "b OK NOOP completed"}},
		{"synchronizing beyond the limit", []string{fmt.Sprintf("a APPEND INBOX {%d}", maxLiteral+1), "b NOOP"},
			[]string{"a NO [TOOBIG] " + tooBig, "b OK NOOP completed"}},
		{"LITERAL+ at the limit", []string{fmt.Sprintf("a APPEND INBOX {%d+}\r\n%s", maxLiteral, msg(maxLiteral)), "b NOOP"},
			[]string{"a OK [APPENDUID", "b OK NOOP completed"}},
		{"LITERAL+ beyond the limit", []string{fmt.Sprintf("a APPEND INBOX {%d+}\r\n%s", maxLiteral+1, msg(maxLiteral+1)), "b NOOP"},
			[]string{"a BAD [TOOBIG] " + tooBig, "b OK NOOP completed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Limits.MaxLiteral = maxLiteral
			s := e.login(t, "alice")
			got := respLines(feed(s, tc.in...))
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want lines starting %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("line %d: %q, want it to start %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestListDepthLimit: parenthesized lists nested imapwire.MaxListDepth
// deep parse; one level more is a BAD.
func TestListDepthLimit(t *testing.T) {
	e := newEnv(t)
	s := e.opened(t, "alice", "INBOX", "")
	nested := func(n int) string {
		return "a SEARCH " + strings.Repeat("(", n) + "SEEN" + strings.Repeat(")", n)
	}
	at := respLines(feed(s, nested(imapwire.MaxListDepth)))
	if len(at) != 2 || !strings.HasPrefix(at[0], "* SEARCH") || at[1] != "a OK SEARCH completed" {
		t.Errorf("%d levels: %q", imapwire.MaxListDepth, at)
	}
	want := []string{fmt.Sprintf("a BAD parenthesized lists nested deeper than %d", imapwire.MaxListDepth), "b OK NOOP completed"}
	if diff := cmp.Diff(want, respLines(feed(s, nested(imapwire.MaxListDepth+1), "b NOOP"))); diff != "" {
		t.Errorf("%d levels (-want +got):\n%s", imapwire.MaxListDepth+1, diff)
	}
}

// TestSeqSetLimit: a sequence set of imapwire.MaxSeqSetRanges ranges is
// parsed; one range more is a BAD.
func TestSeqSetLimit(t *testing.T) {
	e := newEnv(t)
	s := e.opened(t, "alice", "INBOX", "")
	set := func(n int) string { return strings.Repeat("1,", n-1) + "1" }
	want := []string{"* 1 FETCH (UID 1)", "a OK FETCH completed"}
	if diff := cmp.Diff(want, respLines(feed(s, "a FETCH "+set(imapwire.MaxSeqSetRanges)+" UID"))); diff != "" {
		t.Errorf("%d ranges (-want +got):\n%s", imapwire.MaxSeqSetRanges, diff)
	}
	got := respLines(feed(s, "a FETCH "+set(imapwire.MaxSeqSetRanges+1)+" UID", "b NOOP"))
	if len(got) != 2 || !strings.HasPrefix(got[0], "a BAD invalid sequence set") || got[1] != "b OK NOOP completed" {
		t.Errorf("%d ranges: %.200q", imapwire.MaxSeqSetRanges+1, got)
	}
}
