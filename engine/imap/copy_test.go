package imap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// validity returns a mailbox's UIDVALIDITY.
func (e *env) validity(tb testing.TB, user, mailbox string) uint32 {
	tb.Helper()
	st, err := e.store.Status(user, mailbox)
	if err != nil {
		tb.Fatal(err)
	}
	return st.UIDValidity
}

// copied is what a test checks of a message: its flags and internal date
// and the start of its text.
type copied struct {
	Flags []mailstore.Flag
	Date  string
	Text  string
}

func (e *env) copies(tb testing.TB, user, mailbox string, uids ...uint32) []copied {
	tb.Helper()
	msgs, _, err := e.store.List(user, mailbox)
	if err != nil {
		tb.Fatal(err)
	}
	var out []copied
	for _, uid := range uids {
		for _, m := range msgs {
			if m.UID != uid {
				continue
			}
			raw, err := e.store.Read(user, mailbox, uid)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, copied{m.Flags, m.InternalDate.UTC().Format("2006-01-02 15:04:05"), string(raw[:40])})
		}
	}
	return out
}

func TestCopyMove(t *testing.T) {
	type check struct {
		mailbox string
		uids    []uint32 // the UIDs it has afterwards
	}
	for _, tc := range []struct {
		name   string
		enable string
		verb   string // SELECT or EXAMINE
		cmds   []string
		want   []string // the responses to the last command, {archive} and {inbox} standing for UIDVALIDITYs
		checks []check
	}{
		{"copy", "", "SELECT", []string{"a COPY 2:4 Archive"},
			[]string{"a OK [COPYUID {archive} 2:4 3:5] COPY completed"},
			[]check{{"INBOX", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}}, {"Archive", []uint32{1, 2, 3, 4, 5}}}},
		{"uid copy, set out of order", "", "SELECT", []string{"a UID COPY 9,1,5:6 Archive"},
			[]string{"a OK [COPYUID {archive} 1,5:6,9 3:6] UID COPY completed"},
			[]check{{"Archive", []uint32{1, 2, 3, 4, 5, 6}}}},
		{"uid copy of nothing", "", "SELECT", []string{"a UID COPY 305:310 Archive"},
			[]string{"a OK No matching messages, so nothing copied"},
			[]check{{"Archive", []uint32{1, 2}}}},
		{"copy from a read-only mailbox", "", "EXAMINE", []string{"a COPY 1 Archive"},
			[]string{"a OK [COPYUID {archive} 1 3] COPY completed"},
			[]check{{"Archive", []uint32{1, 2, 3}}}},
		{"copy to a missing mailbox", "", "SELECT", []string{"a COPY 1 Nowhere"},
			[]string{"a NO [TRYCREATE] No such mailbox; create it first"}, nil},
		{"copy beyond the last message", "", "SELECT", []string{"a COPY 5:10 Archive"},
			[]string{"a BAD Invalid message sequence number 10: the mailbox has 9 messages"},
			[]check{{"Archive", []uint32{1, 2}}}},
		{"copy without a mailbox", "", "SELECT", []string{"a COPY 1"},
			[]string{"a BAD expected SP after sequence set, found end of command"}, nil},
		{"copy of the saved search result", "", "SELECT", []string{"s SEARCH RETURN (SAVE) FLAGGED", "a COPY $ Archive"},
			[]string{"a OK [COPYUID {archive} 9 3] COPY completed"},
			[]check{{"Archive", []uint32{1, 2, 3}}}},
		{"copy into the selected mailbox", "IMAP4rev2", "SELECT", []string{"a COPY 9 INBOX"},
			[]string{"* 10 EXISTS", `* 10 FETCH (UID 10 FLAGS (\Flagged))`, "a OK [COPYUID {inbox} 9 10] COPY completed"},
			[]check{{"INBOX", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}}},

		// MOVE: COPYUID in an untagged OK before the EXPUNGEs (RFC 6851 §4.3).
		{"move", "", "SELECT", []string{"a MOVE 2:3 Archive"},
			[]string{"* OK [COPYUID {archive} 2:3 3:4] Moved", "* 2 EXPUNGE", "* 2 EXPUNGE", "a OK MOVE completed"},
			[]check{{"INBOX", []uint32{1, 4, 5, 6, 7, 8, 9}}, {"Archive", []uint32{1, 2, 3, 4}}}},
		{"uid move", "", "SELECT", []string{"a UID MOVE 8:* Archive"},
			[]string{"* OK [COPYUID {archive} 8:9 3:4] Moved", "* 8 EXPUNGE", "* 8 EXPUNGE", "a OK UID MOVE completed"},
			[]check{{"INBOX", []uint32{1, 2, 3, 4, 5, 6, 7}}}},
		{"move under QRESYNC", "QRESYNC", "SELECT", []string{"a MOVE 1,3,5 Archive"},
			[]string{"* OK [COPYUID {archive} 1,3,5 3:5] Moved", "* VANISHED 1,3,5", "a OK MOVE completed"},
			[]check{{"INBOX", []uint32{2, 4, 6, 7, 8, 9}}}},
		{"move of nothing", "", "SELECT", []string{"a UID MOVE 100 Archive"},
			[]string{"a OK No matching messages, so nothing moved"},
			[]check{{"INBOX", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}}}},
		{"move from a read-only mailbox", "", "EXAMINE", []string{"a MOVE 1 Archive"},
			[]string{"a NO Mailbox is read-only (EXAMINE); MOVE would expunge"},
			[]check{{"INBOX", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}}, {"Archive", []uint32{1, 2}}}},
		{"move to a missing mailbox", "", "SELECT", []string{"a MOVE 1 Nowhere"},
			[]string{"a NO [TRYCREATE] No such mailbox; create it first"},
			[]check{{"INBOX", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}}}},
		{"move within the selected mailbox", "IMAP4rev2", "SELECT", []string{"a MOVE 1 INBOX"},
			[]string{"* OK [COPYUID {inbox} 1 10] Moved", "* 1 EXPUNGE", "* 9 EXISTS", `* 9 FETCH (UID 10 FLAGS (\Seen))`, "a OK MOVE completed"},
			[]check{{"INBOX", []uint32{2, 3, 4, 5, 6, 7, 8, 9, 10}}}},
		{"moved messages are gone from the view", "", "SELECT", []string{"m MOVE 1:2 Archive", "a SEARCH ALL"},
			[]string{"* SEARCH 1 2 3 4 5 6 7", "a OK SEARCH completed"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.login(t, "alice")
			if tc.enable != "" {
				feed(s, "E ENABLE "+tc.enable)
			}
			if out := feed(s, "S "+tc.verb+" INBOX"); !strings.Contains(out, "S OK") {
				t.Fatalf("%s: %q", tc.verb, out)
			}
			var got []string
			for _, cmd := range tc.cmds {
				got = respLines(feed(s, cmd))
			}
			r := strings.NewReplacer("{archive}", fmt.Sprint(e.validity(t, "alice", "Archive")), "{inbox}", fmt.Sprint(e.validity(t, "alice", "INBOX")))
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = r.Replace(w)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.cmds[len(tc.cmds)-1], diff)
			}
			for _, c := range tc.checks {
				if diff := cmp.Diff(c.uids, e.inboxUIDs(t, "alice", c.mailbox)); diff != "" {
					t.Errorf("%s afterwards (-want +got):\n%s", c.mailbox, diff)
				}
			}
		})
	}
}

// TestCopyKeepsFlagsAndDates checks that COPY and MOVE preserve the
// flags and internal dates (RFC 9051 §6.4.7, §6.4.8) and the text.
func TestCopyKeepsFlagsAndDates(t *testing.T) {
	e := newEnv(t)
	if err := e.store.AddFlag("alice", "INBOX", []uint32{3}, "$Label1"); err != nil {
		t.Fatal(err)
	}
	want := e.copies(t, "alice", "INBOX", 3, 9, 4)
	s := e.opened(t, "alice", "INBOX", "")
	feed(s, "a UID COPY 3 Archive", "b UID MOVE 9 Archive", "c UID COPY 4 Sent")
	got := append(e.copies(t, "alice", "Archive", 3, 4), e.copies(t, "alice", "Sent", 4)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("copies (-want +got):\n%s", diff)
	}
}

// TestMoveSeenByOtherSessions: a session watching the source hears
// EXPUNGE at its next command, one watching the destination hears
// EXISTS.
func TestMoveSeenByOtherSessions(t *testing.T) {
	e := newEnv(t)
	a := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	src := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	dst := e.opened(t, "alice", "Archive", "IMAP4rev2")
	feed(a, "a MOVE 4:5 Archive")
	if diff := cmp.Diff([]string{"* 4 EXPUNGE", "* 4 EXPUNGE", "n OK NOOP completed"}, respLines(feed(src, "n NOOP"))); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"* 4 EXISTS", "n OK NOOP completed"}, respLines(feed(dst, "n NOOP"))); diff != "" {
		t.Errorf("destination (-want +got):\n%s", diff)
	}
}

func TestCopyNotInState(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	for _, tc := range []struct{ cmd, want string }{
		{"a COPY 1 Archive", "a BAD COPY is not valid in the AUTHENTICATED state"},
		{"b UID MOVE 1 Archive", "b BAD UID MOVE is not valid in the AUTHENTICATED state"},
	} {
		if diff := cmp.Diff([]string{tc.want}, respLines(feed(s, tc.cmd))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.cmd, diff)
		}
	}
}
