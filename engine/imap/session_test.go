package imap_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/wirelab/wirelab/engine/imap"
)

func TestCoreCommands(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name  string
		login bool
		in    []string
		want  []string // substrings, in order
		state imap.State
	}{
		{"capability before login", false, []string{"a CAPABILITY"},
			[]string{"* CAPABILITY IMAP4rev1 IMAP4rev2", "AUTH=PLAIN", "a OK"}, imap.NotAuthenticated},
		{"login", false, []string{"a LOGIN alice wonderland"},
			[]string{"a OK [CAPABILITY IMAP4rev1"}, imap.Authenticated},
		{"wrong password", false, []string{"a LOGIN alice guess"},
			[]string{"a NO [AUTHENTICATIONFAILED]"}, imap.NotAuthenticated},
		{"unknown user looks the same", false, []string{"a LOGIN nobody guess"},
			[]string{"a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"}, imap.NotAuthenticated},
		{"authenticate plain with initial response", false, []string{"a AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="},
			[]string{"a OK [CAPABILITY"}, imap.Authenticated},
		{"authenticate plain with continuation", false, []string{"a AUTHENTICATE PLAIN", "AGFsaWNlAHdvbmRlcmxhbmQ="},
			[]string{"+ \r\n", "a OK [CAPABILITY"}, imap.Authenticated},
		{"authenticate cancelled", false, []string{"a AUTHENTICATE PLAIN", "*"},
			[]string{"+ \r\n", "a BAD Authentication cancelled"}, imap.NotAuthenticated},
		{"select", true, []string{"a SELECT INBOX"},
			[]string{"* 9 EXISTS", "* 9 RECENT", "[UNSEEN 4]", "[UIDVALIDITY ", "[UIDNEXT 10]", "* FLAGS (", "[PERMANENTFLAGS (", "a OK [READ-WRITE] SELECT completed"}, imap.Selected},
		{"examine", true, []string{"a EXAMINE Sent"},
			[]string{"* 3 EXISTS", "a OK [READ-ONLY]"}, imap.Selected},
		{"select nonexistent", true, []string{"a SELECT Nowhere"},
			[]string{"a NO [NONEXISTENT]"}, imap.Authenticated},
		{"failed select leaves the old mailbox", true, []string{"a SELECT INBOX", "b SELECT Nowhere"},
			[]string{"a OK", "b NO [NONEXISTENT]"}, imap.Authenticated},
		{"rev2 select has LIST, no RECENT", true, []string{"e ENABLE IMAP4rev2", "a SELECT INBOX"},
			[]string{"* ENABLED IMAP4rev2", "* 9 EXISTS", `* LIST () "/" "INBOX"`, "a OK"}, imap.Selected},
		{"unselect", true, []string{"a SELECT INBOX", "b UNSELECT"},
			[]string{"b OK"}, imap.Authenticated},
		{"id", false, []string{`a ID ("name" "tester")`},
			[]string{`* ID ("name" "wirelab"`, "a OK"}, imap.NotAuthenticated},
		{"unknown command", false, []string{"a FROB"},
			[]string{"a BAD Unknown command FROB"}, imap.NotAuthenticated},
		{"wrong state", false, []string{"a SELECT INBOX"},
			[]string{"a BAD SELECT is not valid in the NOT AUTHENTICATED state"}, imap.NotAuthenticated},
		{"missing argument", true, []string{"a SELECT"},
			[]string{"a BAD "}, imap.Authenticated},
		{"no tag", false, []string{"(bad"},
			[]string{"* BAD "}, imap.NotAuthenticated},
		{"logout", false, []string{"a LOGOUT"},
			[]string{"* BYE", "a OK LOGOUT completed"}, imap.Logout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s *imap.Session
			if tc.login {
				s = e.login(t, "alice")
			} else {
				s = e.session(t)
			}
			out := feed(s, tc.in...)
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if s.State() != tc.state {
				t.Errorf("state %v, want %v", s.State(), tc.state)
			}
		})
	}
}

func TestTooManyFailedLogins(t *testing.T) {
	e := newEnv(t)
	s := e.session(t)
	var replies []imap.Reply
	for i := range imap.MaxAuthFailures {
		replies = s.Feed([]byte("a LOGIN alice guess"+string(rune('0'+i))+"\r\n"), testNow)
	}
	last := replies[len(replies)-1]
	if !last.Close || last.Delay != imap.AuthFailureDelay || !strings.Contains(string(last.Data), "* BYE") {
		t.Errorf("last failure: %+v", last)
	}
}

// BenchmarkIdleSessionMemory measures the heap an idle session holds once
// it has logged in and selected the demo INBOX: MaxSessionsPerUser
// sessions (all one user may have) are opened per round, and the live
// heap before and after, each after a GC, gives bytes per session.
func BenchmarkIdleSessionMemory(b *testing.B) {
	e := newEnv(b)
	const n = imap.MaxSessionsPerUser
	var ms runtime.MemStats
	var total float64
	rounds := 0
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		sessions := make([]*imap.Session, n)
		for i := range sessions {
			sessions[i] = e.opened(b, "alice", "INBOX", "")
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		total += (float64(ms.HeapAlloc) - float64(before)) / n
		rounds++
		for _, s := range sessions {
			s.Abort()
		}
		runtime.KeepAlive(sessions)
	}
	b.ReportMetric(total/float64(rounds), "B/session")
}
