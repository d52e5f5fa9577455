package imap_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// inboxUIDs lists the UIDs in a user's mailbox, as the store has them.
func (e *env) inboxUIDs(tb testing.TB, user, mailbox string) []uint32 {
	tb.Helper()
	msgs, _, err := e.store.List(user, mailbox)
	if err != nil {
		tb.Fatal(err)
	}
	var uids []uint32
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	return uids
}

func TestExpunge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		deleted []uint32 // UIDs flagged \Deleted before the session selects INBOX
		enable  string
		examine bool
		cmd     string
		want    []string
		left    []uint32 // UIDs in INBOX afterwards
	}{
		// RFC 9051 §6.4.3's example: lowest first, each number counted
		// after the removals before it.
		{"expunge renumbers as it goes", []uint32{3, 4, 7}, "", false, "a EXPUNGE",
			[]string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "a OK EXPUNGE completed"},
			[]uint32{1, 2, 5, 6, 8, 9}},
		{"expunge of the last messages", []uint32{8, 9}, "", false, "a EXPUNGE",
			[]string{"* 8 EXPUNGE", "* 8 EXPUNGE", "a OK EXPUNGE completed"},
			[]uint32{1, 2, 3, 4, 5, 6, 7}},
		{"nothing deleted", nil, "", false, "a EXPUNGE",
			[]string{"a OK EXPUNGE completed"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"read-only", []uint32{3}, "", true, "a EXPUNGE",
			[]string{"a NO Mailbox is read-only (EXAMINE); nothing expunged"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"QRESYNC reports VANISHED", []uint32{3, 4, 7}, "QRESYNC", false, "a EXPUNGE",
			[]string{"* VANISHED 3:4,7", "a OK EXPUNGE completed"},
			[]uint32{1, 2, 5, 6, 8, 9}},
		{"argument", []uint32{3}, "", false, "a EXPUNGE 3",
			[]string{"a BAD expected end of command after atom, found SP"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},

		// UID EXPUNGE (RFC 4315 §2.1): only \Deleted messages in the set.
		{"uid expunge", []uint32{3, 4, 7}, "", false, "a UID EXPUNGE 3:5",
			[]string{"* 3 EXPUNGE", "* 3 EXPUNGE", "a OK UID EXPUNGE completed"},
			[]uint32{1, 2, 5, 6, 7, 8, 9}},
		{"uid expunge of undeleted messages", []uint32{3}, "", false, "a UID EXPUNGE 1:2,4:*",
			[]string{"a OK UID EXPUNGE completed"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"uid expunge star", []uint32{9}, "", false, "a UID EXPUNGE *",
			[]string{"* 9 EXPUNGE", "a OK UID EXPUNGE completed"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8}},
		{"uid expunge of UIDs nobody has", []uint32{3}, "", false, "a UID EXPUNGE 100:200",
			[]string{"a OK UID EXPUNGE completed"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"uid expunge read-only", []uint32{3}, "", true, "a UID EXPUNGE 3",
			[]string{"a NO Mailbox is read-only (EXAMINE); nothing expunged"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"uid expunge without a set", []uint32{3}, "", false, "a UID EXPUNGE",
			[]string{"a BAD expected SP after atom, found end of command"},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"uid expunge with a bad set", []uint32{3}, "", false, "a UID EXPUNGE 0:3",
			[]string{`a BAD invalid sequence set "0:3": 0 is not a valid message number (they start at 1)`},
			[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},

		{"check", nil, "", false, "a CHECK", []string{"a OK CHECK completed"}, []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if len(tc.deleted) > 0 {
				if err := e.store.AddFlag("alice", "INBOX", tc.deleted, mailstore.FlagDeleted); err != nil {
					t.Fatal(err)
				}
			}
			s := e.login(t, "alice")
			if tc.enable != "" {
				feed(s, "E ENABLE "+tc.enable)
			}
			verb := "SELECT"
			if tc.examine {
				verb = "EXAMINE"
			}
			if out := feed(s, "S "+verb+" INBOX"); !strings.Contains(out, "S OK") {
				t.Fatalf("%s: %q", verb, out)
			}
			if diff := cmp.Diff(tc.want, respLines(feed(s, tc.cmd))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.cmd, diff)
			}
			if diff := cmp.Diff(tc.left, e.inboxUIDs(t, "alice", "INBOX")); diff != "" {
				t.Errorf("UIDs left (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpungeNotInState(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	for _, tc := range []struct{ cmd, want string }{
		{"a EXPUNGE", "a BAD EXPUNGE is not valid in the AUTHENTICATED state"},
		{"b UID EXPUNGE 1", "b BAD UID EXPUNGE is not valid in the AUTHENTICATED state"},
		{"c CHECK", "c BAD CHECK is not valid in the AUTHENTICATED state"},
	} {
		if diff := cmp.Diff([]string{tc.want}, respLines(feed(s, tc.cmd))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.cmd, diff)
		}
	}
}

// TestExpungeSeenByOtherSession has one session expunge while another
// works by sequence number: the other session is told nothing during
// FETCH, STORE and SEARCH (RFC 9051 §7.5.1), so its sequence numbers stay
// valid, and hears the EXPUNGEs at its next NOOP. UID commands may carry
// them.
func TestExpungeSeenByOtherSession(t *testing.T) {
	e := newEnv(t)
	if err := e.store.AddFlag("alice", "INBOX", []uint32{2, 5}, mailstore.FlagDeleted); err != nil {
		t.Fatal(err)
	}
	a := e.opened(t, "alice", "INBOX", "")
	b := e.opened(t, "alice", "INBOX", "")
	if diff := cmp.Diff([]string{"* 2 EXPUNGE", "* 4 EXPUNGE", "x OK EXPUNGE completed"}, respLines(feed(a, "x EXPUNGE"))); diff != "" {
		t.Fatalf("EXPUNGE (-want +got):\n%s", diff)
	}

	// b still counts 9 messages; 2 and 5 are gone and match nothing.
	if diff := cmp.Diff([]string{"* SEARCH 1 3 4 6 7 8 9", "s OK SEARCH completed"}, respLines(feed(b, "s SEARCH UNDELETED"))); diff != "" {
		t.Errorf("SEARCH (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"* SEARCH 9", "t OK SEARCH completed"}, respLines(feed(b, "t SEARCH 9"))); diff != "" {
		t.Errorf("SEARCH 9 (-want +got):\n%s", diff)
	}
	if slices.Contains(imap.Commands(imap.Selected), "FETCH") {
		out := feed(b, "f FETCH 1:9 (UID)")
		if strings.Contains(out, "EXPUNGE") || !strings.Contains(out, "* 9 FETCH (UID 9)") || !strings.Contains(out, "\r\nf ") {
			t.Errorf("FETCH 1:9 while expunges are pending:\n%s", out)
		}
	}
	if slices.Contains(imap.Commands(imap.Selected), "STORE") {
		out := feed(b, `g STORE 9 +FLAGS.SILENT (\Seen)`)
		if strings.Contains(out, "EXPUNGE") || !strings.HasSuffix(out, "g OK STORE completed\r\n") {
			t.Errorf("STORE 9 while expunges are pending:\n%s", out)
		}
	}
	if diff := cmp.Diff([]string{"* 2 EXPUNGE", "* 4 EXPUNGE", "n OK NOOP completed"}, respLines(feed(b, "n NOOP"))); diff != "" {
		t.Errorf("NOOP (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"* SEARCH 7", "u OK SEARCH completed"}, respLines(feed(b, "u SEARCH 7"))); diff != "" {
		t.Errorf("SEARCH 7 after NOOP (-want +got):\n%s", diff)
	}

	// UID SEARCH may report expunges.
	c := e.opened(t, "alice", "INBOX", "")
	if err := e.store.AddFlag("alice", "INBOX", []uint32{1}, mailstore.FlagDeleted); err != nil {
		t.Fatal(err)
	}
	feed(a, "y EXPUNGE")
	want := []string{"* SEARCH 3 4", "* 1 EXPUNGE", "v OK UID SEARCH completed"}
	if diff := cmp.Diff(want, respLines(feed(c, "v UID SEARCH UID 3:4"))); diff != "" {
		t.Errorf("UID SEARCH (-want +got):\n%s", diff)
	}
}

// TestExpungeOfUnannouncedMessage: a \Deleted message another session
// added is announced (EXISTS) before its EXPUNGE, never expunged unseen.
func TestExpungeOfUnannouncedMessage(t *testing.T) {
	e := newEnv(t)
	a := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	if _, err := e.store.Deliver("alice", "INBOX", []byte("Subject: x\r\n\r\nx\r\n"), []mailstore.Flag{mailstore.FlagDeleted}, testNow); err != nil {
		t.Fatal(err)
	}
	want := []string{"* 10 EXISTS", `* 10 FETCH (UID 10 FLAGS (\Deleted))`, "* 10 EXPUNGE", "a OK EXPUNGE completed"}
	if diff := cmp.Diff(want, respLines(feed(a, "a EXPUNGE"))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
