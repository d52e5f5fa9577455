package imap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

func TestStore(t *testing.T) {
	for _, x := range []exchange{
		{name: "+FLAGS shows the new flags", in: []string{`a STORE 2:4 +FLAGS (\Deleted)`}, want: []string{
			"* 2 FETCH (FLAGS (\\Deleted \\Seen \\Recent))",
			"* 3 FETCH (FLAGS (\\Answered \\Deleted \\Seen \\Recent))",
			"* 4 FETCH (FLAGS (\\Deleted \\Recent))",
			"a OK STORE completed",
		}},
		{name: "-FLAGS", in: []string{`a STORE 1:3 -FLAGS (\Seen)`}, want: []string{
			"* 1 FETCH (FLAGS (\\Recent))",
			"* 2 FETCH (FLAGS (\\Recent))",
			"* 3 FETCH (FLAGS (\\Answered \\Recent))",
			"a OK STORE completed",
		}},
		{name: "FLAGS replaces", in: []string{`a STORE 3 FLAGS (\Flagged \Draft)`}, want: []string{
			"* 3 FETCH (FLAGS (\\Draft \\Flagged \\Recent))",
			"a OK STORE completed",
		}},
		{name: "FLAGS () clears", in: []string{`a STORE 3 FLAGS ()`}, want: []string{
			"* 3 FETCH (FLAGS (\\Recent))",
			"a OK STORE completed",
		}},
		{name: ".SILENT sends nothing", in: []string{`a STORE 1:* +FLAGS.SILENT (\Seen)`, "b FETCH 4 FLAGS"}, want: []string{
			"a OK STORE completed",
			"* 4 FETCH (FLAGS (\\Seen \\Recent))",
			"b OK FETCH completed",
		}},
		{name: "flags without parentheses, any case", in: []string{`a STORE 4 +flags \seen \FLAGGED`}, want: []string{
			"* 4 FETCH (FLAGS (\\Flagged \\Seen \\Recent))",
			"a OK STORE completed",
		}},
		{name: "a new keyword is announced with FLAGS first",
			in: []string{"a STORE 4 +FLAGS ($Forwarded Junk)", "b STORE 5 +FLAGS (junk)"}, want: []string{
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Junk)",
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Junk \\*)] Flags permitted",
				"* 4 FETCH (FLAGS ($Forwarded Junk \\Recent))",
				"a OK STORE completed",
				"* 5 FETCH (FLAGS (Junk \\Recent))",
				"b OK STORE completed",
			}},
		{name: "UID STORE has UID", in: []string{`a UID STORE 9,4 +FLAGS (\Answered)`}, want: []string{
			"* 4 FETCH (UID 4 FLAGS (\\Answered \\Recent))",
			"* 9 FETCH (UID 9 FLAGS (\\Answered \\Flagged \\Recent))",
			"a OK UID STORE completed",
		}},
		{name: "UID STORE skips UIDs no message has", in: []string{`a UID STORE 8:20 +FLAGS.SILENT (\Seen)`, "b UID FETCH 8:* FLAGS"}, want: []string{
			"a OK UID STORE completed",
			"* 8 FETCH (UID 8 FLAGS (\\Seen \\Recent))",
			"* 9 FETCH (UID 9 FLAGS (\\Flagged \\Seen \\Recent))",
			"b OK UID FETCH completed",
		}},
		{name: "IMAP4rev2: no \\Recent", start: []string{"r ENABLE IMAP4rev2"}, in: []string{`a STORE 1 +FLAGS (\Flagged)`}, want: []string{
			"* 1 FETCH (FLAGS (\\Flagged \\Seen))",
			"a OK STORE completed",
		}},
		{name: "\\Recent cannot be stored", in: []string{`a STORE 1 +FLAGS (\Recent)`}, want: []string{
			"a NO [CANNOT] \\Recent cannot be stored: the server sets it (RFC 3501 §2.3.2)",
		}},
		{name: "unknown system flag", in: []string{`a STORE 1 +FLAGS (\Important)`}, want: []string{
			"a NO [CANNOT] \\Important is not a flag this server can store",
		}},
		{name: "keyword too long", in: []string{"a STORE 1 +FLAGS (" + strings.Repeat("k", mailstore.MaxKeywordLength+1) + ")"}, want: []string{
			"a NO [LIMIT] Keyword kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk... is longer than 50 octets",
		}},
		{name: "read-only mailbox", noSel: true, in: []string{"x EXAMINE INBOX", `a STORE 1 +FLAGS (\Seen)`}, want: []string{
			"* 9 EXISTS",
			"* 9 RECENT",
			"* OK [UNSEEN 4] Message 4 is the first unseen",
			"* OK [UIDVALIDITY 1767258000] UIDs valid",
			"* OK [UIDNEXT 10] Predicted next UID",
			"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
			"* OK [PERMANENTFLAGS ()] Read-only mailbox",
			"x OK [READ-ONLY] EXAMINE completed",
			"a NO [READ-ONLY] Mailbox is read-only (EXAMINE): flags cannot be changed",
		}},
		{name: "sequence number beyond EXISTS", in: []string{`a STORE 10 +FLAGS (\Seen)`}, want: []string{
			"a BAD Invalid message sequence number 10: the mailbox has 9 messages",
		}},
		{name: "syntax errors", in: []string{`a STORE 1 FROB (\Seen)`, `b STORE 1 +FLAGS`, `c STORE 1 +FLAGS (\*)`, `d STORE 1 (FOO 1) +FLAGS (\Seen)`}, want: []string{
			"a BAD unknown STORE item FROB (expected FLAGS, +FLAGS or -FLAGS, each optionally .SILENT)",
			"b BAD expected SP after +FLAGS, found end of command",
			"c BAD \"\\*\" is not a flag (it only appears in PERMANENTFLAGS)",
			"d BAD unknown STORE modifier FOO (this server knows UNCHANGEDSINCE)",
		}},
	} {
		t.Run(x.name, x.run)
	}
}

// TestStoreKeywordLimit: a mailbox holds mailstore.MaxKeywords keywords;
// one more is NO [LIMIT] (RFC 5530), and PERMANENTFLAGS loses \* once the
// mailbox is full (RFC 3501 §7.1).
func TestStoreKeywordLimit(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	feed(s, "s SELECT INBOX")
	var kws []string
	for i := range mailstore.MaxKeywords {
		kws = append(kws, fmt.Sprintf("k%02d", i))
	}
	out := feed(s, "a STORE 1 +FLAGS.SILENT ("+strings.Join(kws, " ")+")")
	if !strings.Contains(out, "a OK") || !strings.Contains(out, `* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft k00`) || strings.Contains(out, `\*)]`) {
		t.Errorf("storing %d keywords:\n%s", mailstore.MaxKeywords, out)
	}
	want := fmt.Sprintf("b NO [LIMIT] The mailbox has as many keywords as it can hold (%d)\r\n", mailstore.MaxKeywords)
	if got := feed(s, "b STORE 2 +FLAGS (one-more)"); got != want {
		t.Errorf("one keyword too many: %q, want %q", got, want)
	}
}

// TestStoreTwoSessions: a STORE in one session reaches the other at its
// next command, as an unsolicited FETCH; the session that stored sees its
// change once.
func TestStoreTwoSessions(t *testing.T) {
	e := newEnv(t)
	a := e.login(t, "alice")
	b := e.login(t, "alice")
	feed(a, "s SELECT INBOX")
	feed(b, "s SELECT INBOX")
	steps := []struct {
		s    *imap.Session
		in   string
		want []string
	}{
		{a, `a1 STORE 4 +FLAGS (\Seen $Work)`, []string{
			`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)`,
			`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work \*)] Flags permitted`,
			`* 4 FETCH (FLAGS (\Seen $Work \Recent))`,
			"a1 OK STORE completed",
		}},
		{a, "a2 NOOP", []string{"a2 OK NOOP completed"}},
		// b is the second session: \Recent is a's.
		{b, "b1 NOOP", []string{
			`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)`,
			`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work \*)] Flags permitted`,
			`* 4 FETCH (UID 4 FLAGS (\Seen $Work))`,
			"b1 OK NOOP completed",
		}},
		{b, "b2 NOOP", []string{"b2 OK NOOP completed"}},
		// A silent STORE in a is reported to b all the same.
		{a, `a3 STORE 5 +FLAGS.SILENT (\Flagged)`, []string{"a3 OK STORE completed"}},
		// b's FETCH of that message shows the new flags once, not as an
		// unsolicited FETCH as well.
		{b, "b3 FETCH 5:6 FLAGS", []string{
			`* 5 FETCH (FLAGS (\Flagged))`,
			`* 6 FETCH (FLAGS (\Seen))`,
			"b3 OK FETCH completed",
		}},
		{b, "b4 NOOP", []string{"b4 OK NOOP completed"}},
		// b changes the flags of message 6 behind a's back; a's silent
		// STORE of the same message first shows that change, and then
		// nothing: the result is what a expects.
		{b, `b5 STORE 6 +FLAGS.SILENT (\Answered)`, []string{"b5 OK STORE completed"}},
		{a, `a4 STORE 6 +FLAGS.SILENT (\Flagged)`, []string{
			`* 6 FETCH (UID 6 FLAGS (\Answered \Seen \Recent))`,
			"a4 OK STORE completed",
		}},
		{b, "b6 NOOP", []string{`* 6 FETCH (UID 6 FLAGS (\Answered \Flagged \Seen))`, "b6 OK NOOP completed"}},
	}
	for _, st := range steps {
		if diff := cmp.Diff(st.want, lines(feed(st.s, st.in))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.in, diff)
		}
	}
}
