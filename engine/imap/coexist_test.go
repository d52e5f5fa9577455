package imap_test

// POP3 and IMAP on one user's INBOX, over one mailstore.Store: the POP3
// maildrop lock (RFC 1939 §8) is POP3's own, and an IMAP session selected
// on the mailbox learns of the POP3 session's deletions as EXPUNGE
// responses (RFC 9051 §7.5.1).

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wirelab/wirelab/engine/pop3"
)

// pop3Feed sends lines to a POP3 session and returns its replies joined.
func pop3Feed(s *pop3.Session, lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		for _, r := range s.Feed([]byte(l+"\r\n"), testNow) {
			b.Write(r.Data)
		}
	}
	return b.String()
}

func TestCoexistPOP3DeleteIMAPSelected(t *testing.T) {
	e := newEnv(t)
	p := pop3.NewSession(&pop3.Config{Store: e.store, Users: e.w.Users, Hostname: "pop.example"}, 100, testNow)
	if out := pop3Feed(p, "USER alice", "PASS wonderland"); !strings.HasSuffix(out, "\r\n") || strings.Count(out, "+OK") != 2 {
		t.Fatalf("POP3 login: %q", out)
	}

	// The IMAP session selects INBOX while POP3 holds the maildrop lock:
	// reading is not blocked.
	s := e.login(t, "alice")
	sel := feed(s, "s SELECT INBOX")
	if !strings.Contains(sel, "* 9 EXISTS") || !strings.Contains(sel, "s OK") {
		t.Fatalf("SELECT while POP3 holds the lock:\n%s", sel)
	}
	if out := feed(s, "f FETCH 1:9 (UID RFC822.SIZE)", "b FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]"); strings.Count(out, " FETCH (") != 10 || !strings.Contains(out, "Lab 1 handout") {
		t.Errorf("FETCH while POP3 holds the lock:\n%s", out)
	}
	if out := feed(s, "t STATUS Sent (MESSAGES)", "x EXAMINE INBOX", "s SELECT INBOX"); !strings.Contains(out, "\nt OK") || !strings.Contains(out, "\nx OK") || !strings.Contains(out, "\ns OK") {
		t.Errorf("STATUS, EXAMINE and SELECT while POP3 holds the lock:\n%s", out)
	}

	// POP3 deletes messages 1 and 3 and commits them with QUIT.
	if out := pop3Feed(p, "DELE 1", "DELE 3", "QUIT"); strings.Count(out, "+OK") != 3 {
		t.Fatalf("POP3 DELE, DELE, QUIT: %q", out)
	}
	if p.EndReason() != "quit" {
		t.Errorf("POP3 session: state %v, end reason %q; want it ended by QUIT", p.State(), p.EndReason())
	}

	// Before the IMAP session is told, FETCH and SEARCH may not send
	// EXPUNGE (RFC 9051 §7.5.1) and the numbering stays: flags of a
	// message that is gone may still be shown, its content may be refused
	// with NO [EXPUNGEISSUED] (RFC 5530 §3), and SEARCH omits it.
	out := feed(s, "f FETCH 1:4 (UID)", "g FETCH 4 BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "h FETCH 3 BODY.PEEK[HEADER]", "q SEARCH ALL")
	for _, want := range []string{"* 4 FETCH (UID 4)\r\n", "f OK", "?= Greetings from Seoul\r\n", "g OK", "* SEARCH 2 4 5 6 7 8 9\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("before the IMAP session is told of the expunges, output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " EXPUNGE\r\n") || !strings.Contains(out, "h OK") && !strings.Contains(out, "h NO [EXPUNGEISSUED]") {
		t.Errorf("before NOOP:\n%s", out)
	}

	// The next NOOP reports both expunges, each with its then-current
	// number: 1 then 2 (message 3 became 2), or 3 then 1.
	out = feed(s, "n NOOP")
	exp := regexp.MustCompile(`\* (\d+) EXPUNGE\r\n`).FindAllStringSubmatch(out, -1)
	var nums []string
	for _, m := range exp {
		nums = append(nums, m[1])
	}
	if got := strings.Join(nums, " "); got != "1 2" && got != "3 1" {
		t.Errorf("NOOP after the POP3 QUIT:\n%s\nwant EXPUNGE of 1 and 3", out)
	}
	if !strings.Contains(out, "n OK") {
		t.Errorf("NOOP: %q", out)
	}

	// The view is consistent: 7 messages, UIDs 2, 4, 5, ... 9 in order,
	// all fetchable.
	out = feed(s, "f FETCH 1:* (UID)")
	uids := regexp.MustCompile(`\* (\d+) FETCH \(UID (\d+)\)`).FindAllStringSubmatch(out, -1)
	var pairs []string
	for _, m := range uids {
		pairs = append(pairs, m[1]+":"+m[2])
	}
	if got := strings.Join(pairs, " "); got != "1:2 2:4 3:5 4:6 5:7 6:8 7:9" {
		t.Errorf("FETCH 1:* (UID) after the expunges: %s\n%s", got, out)
	}
	out = feed(s, "b FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "c FETCH 7 RFC822.SIZE", "d FETCH 8 UID")
	if !strings.Contains(out, "Subject: Lab 1 handout: POP3 by hand") || !strings.Contains(out, "c OK") || !strings.Contains(out, "d BAD") && !strings.Contains(out, "d NO") {
		t.Errorf("FETCH after the expunges:\n%s", out)
	}
	if out := feed(s, "q SEARCH ALL"); !strings.Contains(out, "* SEARCH 1 2 3 4 5 6 7\r\n") {
		t.Errorf("SEARCH ALL after the expunges: %q", out)
	}
}

// TestCoexistIMAPWhilePOP3Locked: the POP3 lock keeps a second POP3
// session out but not IMAP, which can also change the mailbox; POP3 sees
// the change at its next login.
func TestCoexistIMAPWhilePOP3Locked(t *testing.T) {
	e := newEnv(t)
	cfg := &pop3.Config{Store: e.store, Users: e.w.Users, Hostname: "pop.example"}
	p := pop3.NewSession(cfg, 100, testNow)
	pop3Feed(p, "USER alice", "PASS wonderland")
	p2 := pop3.NewSession(cfg, 101, testNow)
	if out := pop3Feed(p2, "USER alice", "PASS wonderland"); !strings.Contains(out, "-ERR") {
		t.Errorf("second POP3 session while locked: %q", out)
	}
	s := e.login(t, "alice")
	out := feed(s, "s SELECT INBOX", "d STORE 9 +FLAGS (\\Deleted)", "x EXPUNGE")
	if !strings.Contains(out, "* 9 EXPUNGE") || !strings.Contains(out, "x OK") {
		t.Fatalf("IMAP EXPUNGE while POP3 holds the lock:\n%s", out)
	}
	if out := pop3Feed(p, "STAT"); !strings.HasPrefix(out, "+OK 9 ") && !strings.HasPrefix(out, "+OK 8 ") {
		t.Errorf("POP3 STAT during the lock: %q", out)
	}
	pop3Feed(p, "QUIT")
	p3 := pop3.NewSession(cfg, 102, testNow)
	if out := pop3Feed(p3, "USER alice", "PASS wonderland", "STAT"); !strings.Contains(out, "+OK 8 ") {
		t.Errorf("POP3 after the IMAP EXPUNGE: %q", out)
	}
}
