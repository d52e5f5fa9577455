package imap_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// changeElsewhere makes changes to alice's INBOX as another session would
// (through the store): \Flagged on UID 2 (MODSEQ 11), $Important on UID 5
// (12), and UIDs 3 and 4 expunged (13).
func changeElsewhere(t *testing.T, e *env) {
	t.Helper()
	if err := e.store.AddFlag("alice", "INBOX", []uint32{2}, mailstore.FlagFlagged); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddFlag("alice", "INBOX", []uint32{5}, "$Important"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Expunge("alice", "INBOX", []uint32{3, 4}); err != nil {
		t.Fatal(err)
	}
}

func TestCondStore(t *testing.T) {
	for _, x := range []exchange{
		{name: "ENABLE CONDSTORE, QRESYNC", noSel: true,
			in: []string{"a ENABLE CONDSTORE", "b ENABLE QRESYNC CONDSTORE", "c ENABLE QRESYNC"},
			want: []string{
				"* ENABLED CONDSTORE",
				"a OK ENABLE completed",
				"* ENABLED QRESYNC",
				"b OK ENABLE completed",
				"* ENABLED",
				"c OK ENABLE completed",
			}},
		{name: "ENABLE QRESYNC CONDSTORE lists both", noSel: true, in: []string{"a ENABLE QRESYNC CONDSTORE"}, want: []string{
			"* ENABLED QRESYNC CONDSTORE",
			"a OK ENABLE completed",
		}},
		{name: "SELECT (CONDSTORE) has HIGHESTMODSEQ", noSel: true, in: []string{"a SELECT INBOX (CONDSTORE)"}, want: []string{
			"* 9 EXISTS",
			"* 9 RECENT",
			"* OK [UNSEEN 4] Message 4 is the first unseen",
			"* OK [UIDVALIDITY 1767258000] UIDs valid",
			"* OK [UIDNEXT 10] Predicted next UID",
			"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
			"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
			"* OK [HIGHESTMODSEQ 10] Highest mod-sequence",
			"a OK [READ-WRITE] SELECT completed",
		}},
		{name: "EXAMINE after ENABLE CONDSTORE has HIGHESTMODSEQ", noSel: true, start: []string{"e ENABLE CONDSTORE"},
			in: []string{"a EXAMINE Sent"}, want: []string{
				"* 3 EXISTS",
				"* 3 RECENT",
				"* OK [UIDVALIDITY 1767258002] UIDs valid",
				"* OK [UIDNEXT 4] Predicted next UID",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
				"* OK [PERMANENTFLAGS ()] Read-only mailbox",
				"* OK [HIGHESTMODSEQ 4] Highest mod-sequence",
				"a OK [READ-ONLY] EXAMINE completed",
			}},
		{name: "ENABLE CONDSTORE with a mailbox selected", in: []string{"a ENABLE CONDSTORE"}, want: []string{
			"* OK [HIGHESTMODSEQ 10] Highest mod-sequence",
			"* ENABLED CONDSTORE",
			"a OK ENABLE completed",
		}},
		{name: "FETCH CHANGEDSINCE", prepare: changeElsewhere,
			in: []string{"a FETCH 1:* (FLAGS) (CHANGEDSINCE 10)", "b UID FETCH 1:* (UID) (CHANGEDSINCE 11)", "c FETCH 1:* FLAGS (CHANGEDSINCE 13)"},
			want: []string{
				"* OK [HIGHESTMODSEQ 13] Highest mod-sequence",
				"* 2 FETCH (FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"* 3 FETCH (FLAGS ($Important \\Recent) MODSEQ (12))",
				"a OK FETCH completed",
				"* 3 FETCH (UID 5 MODSEQ (12))",
				"b OK UID FETCH completed",
				"c OK FETCH completed",
			}},
		{name: "unsolicited FETCH carries UID and MODSEQ once CONDSTORE is on", setup: []string{"c ENABLE CONDSTORE"},
			meanwhile: changeElsewhere, in: []string{"a NOOP"}, want: []string{
				"* 3 EXPUNGE",
				"* 3 EXPUNGE",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)",
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)] Flags permitted",
				"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"* 3 FETCH (UID 5 FLAGS ($Important \\Recent) MODSEQ (12))",
				"a OK NOOP completed",
			}},
		{name: "STORE UNCHANGEDSINCE, all pass", start: []string{"c ENABLE CONDSTORE"},
			in: []string{`a STORE 1:3 (UNCHANGEDSINCE 10) +FLAGS.SILENT (\Deleted)`, `b UID STORE 5,7 (UNCHANGEDSINCE 10) -FLAGS (\Seen)`}, want: []string{
				"* 1 FETCH (UID 1 MODSEQ (11))",
				"* 2 FETCH (UID 2 MODSEQ (11))",
				"* 3 FETCH (UID 3 MODSEQ (11))",
				"a OK STORE completed",
				"* 5 FETCH (UID 5 FLAGS (\\Recent) MODSEQ (6))",
				"* 7 FETCH (UID 7 FLAGS (\\Recent) MODSEQ (8))",
				"b OK UID STORE completed",
			}},
		{name: "STORE UNCHANGEDSINCE enables CONDSTORE",
			in: []string{`a STORE 2 (UNCHANGEDSINCE 10) +FLAGS.SILENT (\Deleted)`}, want: []string{
				"* OK [HIGHESTMODSEQ 10] Highest mod-sequence",
				"* 2 FETCH (UID 2 MODSEQ (11))",
				"a OK STORE completed",
			}},
		{name: "STORE UNCHANGEDSINCE 0 always fails", start: []string{"c ENABLE CONDSTORE"},
			in: []string{`a STORE 1,4 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)`, `b UID STORE 4 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)`}, want: []string{
				"a OK [MODIFIED 1,4] Conditional STORE failed",
				"b OK [MODIFIED 4] Conditional STORE failed",
			}},
		{name: "VANISHED modifier errors", start: []string{"c ENABLE CONDSTORE"},
			in: []string{"a UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)", "b FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)", "c UID FETCH 1 FLAGS (VANISHED)", "d FETCH 1 FLAGS (CHANGEDSINCE 0)"},
			want: []string{
				"a BAD VANISHED needs ENABLE QRESYNC first (RFC 7162 §3.2.6)",
				"b BAD VANISHED is a UID FETCH modifier; FETCH does not take it (RFC 7162 §3.2.6)",
				"c BAD VANISHED needs CHANGEDSINCE (RFC 7162 §3.2.6)",
				"d BAD mod-sequence must be 1 or more",
			}},
		{name: "SELECT QRESYNC before ENABLE QRESYNC", noSel: true, in: []string{"a SELECT INBOX (QRESYNC (" + demoValidity + " 1))"}, want: []string{
			"a BAD SELECT (QRESYNC ...) needs ENABLE QRESYNC first (RFC 7162 §3.2.5)",
		}},
		{name: "SELECT with bad parameters", noSel: true, start: []string{"q ENABLE QRESYNC"},
			in: []string{"a SELECT INBOX (FOO)", "b SELECT INBOX (QRESYNC (" + demoValidity + " 1 1:*))", "c SELECT INBOX (QRESYNC (" + demoValidity + " 0))",
				"d SELECT INBOX (QRESYNC (" + demoValidity + " 1 1:9 (1,2 1)))"},
			want: []string{
				"a BAD unknown SELECT parameter FOO (this server knows CONDSTORE and QRESYNC)",
				"b BAD known-uids may not use \"*\" or \"$\" (RFC 7162 §7)",
				"c BAD mod-sequence must be 1 or more",
				"d BAD seq-match-data pairs 2 sequence numbers with 1 UIDs",
			}},
	} {
		t.Run(x.name, x.run)
	}
}

// TestQResync replays quick resynchronization (RFC 7162 §3.2.5): a client
// that knew the mailbox at HIGHESTMODSEQ 10 comes back after flag changes
// and expunges.
func TestQResync(t *testing.T) {
	for _, x := range []exchange{
		{name: "SELECT QRESYNC: VANISHED (EARLIER), then the changed flags", noSel: true, start: []string{"q ENABLE QRESYNC"}, prepare: changeElsewhere,
			in: []string{"a SELECT INBOX (QRESYNC (" + demoValidity + " 10))"}, want: []string{
				"* 7 EXISTS",
				"* 7 RECENT",
				"* OK [UNSEEN 3] Message 3 is the first unseen",
				"* OK [UIDVALIDITY 1767258000] UIDs valid",
				"* OK [UIDNEXT 10] Predicted next UID",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)",
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)] Flags permitted",
				"* OK [HIGHESTMODSEQ 13] Highest mod-sequence",
				"* VANISHED (EARLIER) 3:4",
				"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"* 3 FETCH (UID 5 FLAGS ($Important \\Recent) MODSEQ (12))",
				"a OK [READ-WRITE] SELECT completed",
			}},
		{name: "EXAMINE QRESYNC with known UIDs", noSel: true, start: []string{"q ENABLE QRESYNC"}, prepare: changeElsewhere,
			in: []string{"a EXAMINE INBOX (QRESYNC (" + demoValidity + " 10 1:3,5))"}, want: []string{
				"* 7 EXISTS",
				"* 7 RECENT",
				"* OK [UNSEEN 3] Message 3 is the first unseen",
				"* OK [UIDVALIDITY 1767258000] UIDs valid",
				"* OK [UIDNEXT 10] Predicted next UID",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)",
				"* OK [PERMANENTFLAGS ()] Read-only mailbox",
				"* OK [HIGHESTMODSEQ 13] Highest mod-sequence",
				"* VANISHED (EARLIER) 3",
				"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"* 3 FETCH (UID 5 FLAGS ($Important \\Recent) MODSEQ (12))",
				"a OK [READ-ONLY] EXAMINE completed",
			}},
		{name: "SELECT QRESYNC with another UIDVALIDITY", noSel: true, start: []string{"q ENABLE QRESYNC"}, prepare: changeElsewhere,
			in: []string{"a SELECT INBOX (QRESYNC (1 10))"}, want: []string{
				"* 7 EXISTS",
				"* 7 RECENT",
				"* OK [UNSEEN 3] Message 3 is the first unseen",
				"* OK [UIDVALIDITY 1767258000] UIDs valid",
				"* OK [UIDNEXT 10] Predicted next UID",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)",
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)] Flags permitted",
				"* OK [HIGHESTMODSEQ 13] Highest mod-sequence",
				"a OK [READ-WRITE] SELECT completed",
			}},
		{name: "SELECT QRESYNC, nothing changed", noSel: true, start: []string{"q ENABLE QRESYNC"},
			in: []string{"a SELECT INBOX (QRESYNC (" + demoValidity + " 10))"}, want: []string{
				"* 9 EXISTS",
				"* 9 RECENT",
				"* OK [UNSEEN 4] Message 4 is the first unseen",
				"* OK [UIDVALIDITY 1767258000] UIDs valid",
				"* OK [UIDNEXT 10] Predicted next UID",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
				"* OK [HIGHESTMODSEQ 10] Highest mod-sequence",
				"a OK [READ-WRITE] SELECT completed",
			}},
		{name: "UID FETCH CHANGEDSINCE VANISHED", start: []string{"q ENABLE QRESYNC"}, setup: []string{"n NOOP"}, prepare: changeElsewhere,
			in: []string{"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 10 VANISHED)", "b UID FETCH 2:4 (FLAGS) (CHANGEDSINCE 10 VANISHED)"}, want: []string{
				"* VANISHED (EARLIER) 3:4",
				"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"* 3 FETCH (UID 5 FLAGS ($Important \\Recent) MODSEQ (12))",
				"a OK UID FETCH completed",
				"* VANISHED (EARLIER) 3:4",
				"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"b OK UID FETCH completed",
			}},
		{name: "expunges become VANISHED under QRESYNC", start: []string{"q ENABLE QRESYNC"},
			meanwhile: changeElsewhere, in: []string{"a FETCH 1 UID", "b NOOP"}, want: []string{
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)",
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)] Flags permitted",
				"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (11))",
				"* 5 FETCH (UID 5 FLAGS ($Important \\Recent) MODSEQ (12))",
				"* 1 FETCH (UID 1)",
				"a OK FETCH completed",
				"* VANISHED 3:4",
				"b OK NOOP completed",
			}},
	} {
		t.Run(x.name, x.run)
	}
}

// TestQResyncExpungeInSession: once QRESYNC is on, another session's
// expunge is reported as VANISHED, at a command that may report it; UID
// FETCH (CHANGEDSINCE ... VANISHED) does not report it again as EARLIER.
func TestQResyncExpungeInSession(t *testing.T) {
	e := newEnv(t)
	a := e.login(t, "alice")
	feed(a, "q ENABLE QRESYNC", "s SELECT INBOX")
	changeElsewhere(t, e)
	steps := []struct{ in, want string }{
		// The flag change of message 2 comes with the FETCH, with its
		// MODSEQ; that of UID 5 as an unsolicited FETCH; the expunge waits.
		{"a FETCH 2:4 (FLAGS)", `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important \*)] Flags permitted
* 5 FETCH (UID 5 FLAGS ($Important \Recent) MODSEQ (12))
* 2 FETCH (FLAGS (\Flagged \Seen \Recent) MODSEQ (11))
* 3 FETCH (FLAGS (\Answered \Seen \Recent))
* 4 FETCH (FLAGS (\Recent))
a OK FETCH completed`},
		// Now the expunge is reported, as VANISHED, and not again as
		// VANISHED (EARLIER).
		{"b UID FETCH 1:* (FLAGS) (CHANGEDSINCE 10 VANISHED)", `* VANISHED 3:4
* 2 FETCH (UID 2 FLAGS (\Flagged \Seen \Recent) MODSEQ (11))
* 3 FETCH (UID 5 FLAGS ($Important \Recent) MODSEQ (12))
b OK UID FETCH completed`},
		{"c NOOP", "c OK NOOP completed"},
	}
	for _, st := range steps {
		if diff := cmp.Diff(strings.Split(st.want, "\n"), lines(feed(a, st.in))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.in, diff)
		}
	}
}

// TestQResyncShortHistory: when the store no longer remembers expunges as
// old as the client's mod-sequence, VANISHED (EARLIER) lists every known
// UID the mailbox lacks (RFC 7162 §3.2.6), narrowed by the message
// sequence match data (§3.2.5.2).
func TestQResyncShortHistory(t *testing.T) {
	e := newEnvWith(t, mailstore.Options{VanishedHistory: 1})
	for _, uid := range []uint32{1, 3, 4} {
		if err := e.store.Expunge("alice", "INBOX", []uint32{uid}); err != nil {
			t.Fatal(err)
		}
	}
	s := e.login(t, "alice")
	feed(s, "q ENABLE QRESYNC")
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a EXAMINE INBOX (QRESYNC (" + demoValidity + " 10 1:9))", []string{"* VANISHED (EARLIER) 1,3:4"}},
		// The client knew message 2 as UID 2 and message 4 as UID 6: the
		// first pair no longer matches (UID 2 is message 1 now).
		{"b EXAMINE INBOX (QRESYNC (" + demoValidity + " 10 1:9 (2,4 2,6)))", []string{"* VANISHED (EARLIER) 1,3:4"}},
		// Message 1 is UID 2 and message 4 is UID 7 today, as the client
		// knew: no expunge up to UID 7 is news to it.
		{"c EXAMINE INBOX (QRESYNC (" + demoValidity + " 10 1:9 (1,4 2,7)))", nil},
		// The history still has the last expunge (UID 4).
		{"d EXAMINE INBOX (QRESYNC (" + demoValidity + " 12 1:9))", []string{"* VANISHED (EARLIER) 4"}},
	} {
		var got []string
		for _, l := range lines(feed(s, tc.in)) {
			if strings.HasPrefix(l, "* VANISHED") {
				got = append(got, l)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.in, diff)
		}
	}
}

// TestCondStoreTwoSessions: a CONDSTORE client learns of another session's
// flag change with MODSEQ and UID, and a conditional STORE that loses the
// race gets MODIFIED with the current flags (RFC 7162 §3.1.3 example 10).
func TestCondStoreTwoSessions(t *testing.T) {
	e := newEnv(t)
	a := e.login(t, "alice")
	b := e.login(t, "alice")
	feed(a, "s SELECT INBOX (CONDSTORE)")
	feed(b, "s SELECT INBOX")
	steps := []struct {
		s    *imap.Session
		in   string
		want string
	}{
		{b, `b1 STORE 7 +FLAGS.SILENT (\Flagged)`, "b1 OK STORE completed"},
		{a, "a1 NOOP", `* 7 FETCH (UID 7 FLAGS (\Flagged \Recent) MODSEQ (11))
a1 OK NOOP completed`},
		{b, `b2 STORE 8 +FLAGS.SILENT (\Answered)`, "b2 OK STORE completed"},
		// a still believes message 8 is at MODSEQ 9 (<= 10).
		// The change it missed comes first, then the STORE's result.
		{a, `a2 STORE 6:8 (UNCHANGEDSINCE 10) +FLAGS.SILENT (\Deleted)`, `* 8 FETCH (UID 8 FLAGS (\Answered \Recent) MODSEQ (12))
* 6 FETCH (UID 6 MODSEQ (13))
a2 OK [MODIFIED 7:8] Conditional STORE failed`},
		{b, "b3 NOOP", `* 6 FETCH (UID 6 FLAGS (\Deleted \Seen))
b3 OK NOOP completed`},
	}
	for _, st := range steps {
		if diff := cmp.Diff(strings.Split(st.want, "\n"), lines(feed(st.s, st.in))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.in, diff)
		}
	}
}
