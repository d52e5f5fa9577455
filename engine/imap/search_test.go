package imap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/message"
)

// respLines splits what a session sent into lines without their CRLF.
func respLines(out string) []string {
	if out == "" {
		return nil
	}
	l := strings.Split(out, "\r\n")
	if len(l) > 0 && l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}

// opened returns a session of user with mailbox selected, after the
// given ENABLE extensions ("" for none: IMAP4rev1); the responses so far
// are consumed.
func (e *env) opened(tb testing.TB, user, mailbox, enable string) *imap.Session {
	tb.Helper()
	s := e.login(tb, user)
	if enable != "" {
		if out := feed(s, "E1 ENABLE "+enable); !strings.Contains(out, "E1 OK") {
			tb.Fatalf("ENABLE %s: %q", enable, out)
		}
	}
	if out := feed(s, "S1 SELECT "+mailbox); !strings.Contains(out, "S1 OK") {
		tb.Fatalf("SELECT %s: %q", mailbox, out)
	}
	return s
}

// The demo world's INBOX of alice, as the tests below rely on it:
//
//	seq/UID  flags        internal date (UTC)   Date: field          size
//	1        \Seen        2025-12-01 16:15      Mon  1 Dec -0800     1433  Dana Kim, "Welcome to CS 340"
//	2        \Seen        2025-12-02 15:05      Tue  2 Dec -0800     1688  Carol, Lab 1 handout (PNG)
//	3        \Answered \Seen 2025-12-04 02:02   Wed  3 Dec -0800     1418  Bob, "Study group Thursday?", Cc carol, X-Status
//	4        -            2025-12-04 04:12      Thu  4 Dec +0900      853  Min-jun, RFC 2047 subject, QP Korean body
//	5        -            2025-12-09 05:30      Mon  8 Dec -0800   123070  Dana Kim, lecture notes
//	6        \Seen        2025-12-09 17:30      Tue  9 Dec -0800     1125  Carol, "Re: Why did my POP3 client..."
//	7        -            2025-12-09 20:33      Tue  9 Dec -0800     1142  Bob, "Fwd: Room change"
//	8        -            2025-12-10 18:00      Wed 10 Dec -0800     1460  Dana Kim, Lab 2 rubric (QP, en dash)
//	9        \Flagged     2025-12-12 23:59      Fri 12 Dec +0000     1356  Autograder, X-Status
//
// UID n is sequence number n and its MODSEQ is n+1.
func TestSearch(t *testing.T) {
	e := newEnv(t)
	if err := e.store.AddFlag("alice", "INBOX", []uint32{2, 6}, "$Label1"); err != nil {
		t.Fatal(err)
	}
	// AddFlag gave 2 and 6 the mod-sequences 11 (both in one change).
	for _, tc := range []struct {
		name, enable, cmd string
		want              []string
	}{
		{"all", "", "a SEARCH ALL", []string{"* SEARCH 1 2 3 4 5 6 7 8 9"}},
		{"sequence set", "", "a SEARCH 2:4,*", []string{"* SEARCH 2 3 4 9"}},
		{"sequence set beyond the end matches nothing more", "", "a SEARCH 8:20", []string{"* SEARCH 8 9"}},
		{"uid", "", "a SEARCH UID 2,4:5", []string{"* SEARCH 2 4 5"}},
		{"uid star", "", "a SEARCH UID 8:*", []string{"* SEARCH 8 9"}},
		{"answered", "", "a SEARCH ANSWERED", []string{"* SEARCH 3"}},
		{"unanswered", "", "a SEARCH UNANSWERED", []string{"* SEARCH 1 2 4 5 6 7 8 9"}},
		{"seen", "", "a SEARCH SEEN", []string{"* SEARCH 1 2 3 6"}},
		{"unseen", "", "a SEARCH UNSEEN", []string{"* SEARCH 4 5 7 8 9"}},
		{"flagged", "", "a SEARCH FLAGGED", []string{"* SEARCH 9"}},
		{"unflagged", "", "a SEARCH UNFLAGGED", []string{"* SEARCH 1 2 3 4 5 6 7 8"}},
		{"deleted: none", "", "a SEARCH DELETED", []string{"* SEARCH"}},
		{"undeleted", "", "a SEARCH UNDELETED", []string{"* SEARCH 1 2 3 4 5 6 7 8 9"}},
		{"draft: none", "", "a SEARCH DRAFT", []string{"* SEARCH"}},
		{"undraft", "", "a SEARCH UNDRAFT", []string{"* SEARCH 1 2 3 4 5 6 7 8 9"}},
		{"keyword, any case", "", "a SEARCH KEYWORD $label1", []string{"* SEARCH 2 6"}},
		{"unkeyword", "", "a SEARCH UNKEYWORD $Label1", []string{"* SEARCH 1 3 4 5 7 8 9"}},
		{"keyword nobody has", "", "a SEARCH KEYWORD $Junk", []string{"* SEARCH"}},
		{"larger", "", "a SEARCH LARGER 100000", []string{"* SEARCH 5"}},
		{"smaller", "", "a SEARCH SMALLER 1000", []string{"* SEARCH 4"}},
		{"larger is strict", "", "a SEARCH LARGER 853 SMALLER 1125", []string{"* SEARCH"}},
		// Internal dates, by day in UTC; Date: fields, by day in their own
		// zone: 5 arrived on 9 Dec (UTC) but was written on 8 Dec (-0800).
		{"before", "", "a SEARCH BEFORE 4-Dec-2025", []string{"* SEARCH 1 2"}},
		{"on", "", "a SEARCH ON 9-Dec-2025", []string{"* SEARCH 5 6 7"}},
		{"since", "", "a SEARCH SINCE 10-Dec-2025", []string{"* SEARCH 8 9"}},
		{"since, quoted date", "", `a SEARCH SINCE "10-Dec-2025"`, []string{"* SEARCH 8 9"}},
		{"sentbefore", "", "a SEARCH SENTBEFORE 4-Dec-2025", []string{"* SEARCH 1 2 3"}},
		{"senton", "", "a SEARCH SENTON 8-Dec-2025", []string{"* SEARCH 5"}},
		{"senton, own zone", "", "a SEARCH SENTON 9-Dec-2025", []string{"* SEARCH 6 7"}},
		{"sentsince", "", "a SEARCH SENTSINCE 12-Dec-2025", []string{"* SEARCH 9"}},
		{"from", "", "a SEARCH FROM dana", []string{"* SEARCH 1 5 8"}},
		{"from, case-insensitive", "", `a SEARCH FROM "DANA KIM"`, []string{"* SEARCH 1 5 8"}},
		{"from, RFC 2047 name", "", `a SEARCH FROM "박민준"`, []string{"* SEARCH 4"}},
		{"to", "", "a SEARCH TO cs340@example.org", []string{"* SEARCH 5 8"}},
		{"cc", "", "a SEARCH CC carol", []string{"* SEARCH 3"}},
		{"bcc: none", "", "a SEARCH BCC alice", []string{"* SEARCH"}},
		{"subject", "", `a SEARCH SUBJECT "lab 1"`, []string{"* SEARCH 2 9"}},
		{"subject, RFC 2047", "", `a SEARCH CHARSET UTF-8 SUBJECT "안녕하세요"`, []string{"* SEARCH 4"}},
		{"subject in a literal", "", "a SEARCH CHARSET UTF-8 SUBJECT {15}\r\n안녕하세요",
			[]string{"+ Ready for literal data", "* SEARCH 4"}},
		{"subject in a LITERAL+ literal", "", "a SEARCH SUBJECT {15+}\r\n안녕하세요", []string{"* SEARCH 4"}},
		{"header", "", `a SEARCH HEADER Message-ID lab1-handout`, []string{"* SEARCH 2"}},
		{"header name any case", "", `a SEARCH HEADER message-id LAB1-HANDOUT`, []string{"* SEARCH 2"}},
		{"header present", "", `a SEARCH HEADER X-Status ""`, []string{"* SEARCH 3 9"}},
		{"header absent", "", `a SEARCH NOT HEADER Reply-To ""`, []string{"* SEARCH 1 2 3 4 5 6 7 8"}},
		{"body", "", "a SEARCH BODY cookies", []string{"* SEARCH 3"}},
		{"body skips the header", "", `a SEARCH BODY "Study group Thursday"`, []string{"* SEARCH"}},
		{"body, quoted-printable", "", `a SEARCH BODY "안녕하세요, Alice"`, []string{"* SEARCH 4"}},
		{"body, quoted-printable en dash", "", `a SEARCH BODY "Lab 2 – grading"`, []string{"* SEARCH 8"}},
		{"text: header or body", "", `a SEARCH TEXT "study group"`, []string{"* SEARCH 3 4"}},
		{"text, decoded header", "", `a SEARCH TEXT "Greetings from Seoul"`, []string{"* SEARCH 4"}},
		{"text, field names too", "", `a SEARCH TEXT "x-status: f"`, []string{"* SEARCH 9"}},
		{"not", "", "a SEARCH NOT SEEN", []string{"* SEARCH 4 5 7 8 9"}},
		{"or", "", "a SEARCH OR FROM bob FLAGGED", []string{"* SEARCH 3 7 9"}},
		{"nested or", "", "a SEARCH OR OR ANSWERED FLAGGED LARGER 100000", []string{"* SEARCH 3 5 9"}},
		{"and of several keys", "", "a SEARCH UNSEEN SMALLER 1200", []string{"* SEARCH 4 7"}},
		{"parenthesized group", "", "a SEARCH OR (FROM dana SINCE 5-Dec-2025) 1", []string{"* SEARCH 1 5 8"}},
		{"not of a group", "", "a SEARCH NOT (SEEN KEYWORD $Label1)", []string{"* SEARCH 1 3 4 5 7 8 9"}},
		{"charset us-ascii", "", "a SEARCH CHARSET us-ascii FROM bob", []string{"* SEARCH 3 7"}},
		{"search key in lower case", "", "a search or from bob flagged", []string{"* SEARCH 3 7 9"}},
		{"uid search returns UIDs", "", "a UID SEARCH FLAGGED", []string{"* SEARCH 9"}},

		// MODSEQ (RFC 7162 §3.1.5): the highest MODSEQ of the messages
		// found. The first MODSEQ search enables CONDSTORE, which reports
		// the mailbox's HIGHESTMODSEQ (RFC 7162 §3.1).
		{"modseq", "", "a SEARCH MODSEQ 9", []string{"* OK [HIGHESTMODSEQ 11] Highest mod-sequence", "* SEARCH 2 6 8 9 (MODSEQ 11)"}},
		{"modseq with an entry", "", `a SEARCH MODSEQ "/flags/\\draft" all 10`, []string{"* OK [HIGHESTMODSEQ 11] Highest mod-sequence", "* SEARCH 2 6 9 (MODSEQ 11)"}},
		{"modseq, nothing found", "", "a SEARCH MODSEQ 1000", []string{"* OK [HIGHESTMODSEQ 11] Highest mod-sequence", "* SEARCH"}},
		{"modseq in esearch", "", "a SEARCH RETURN (ALL) MODSEQ 9", []string{"* OK [HIGHESTMODSEQ 11] Highest mod-sequence", `* ESEARCH (TAG "a") ALL 2,6,8:9 MODSEQ 11`}},

		// ESEARCH return options (RFC 4731, RFC 9051 §6.4.4).
		{"esearch min", "", "a SEARCH RETURN (MIN) UNSEEN", []string{`* ESEARCH (TAG "a") MIN 4`}},
		{"esearch min count", "", "a SEARCH RETURN (MIN COUNT) UNSEEN", []string{`* ESEARCH (TAG "a") MIN 4 COUNT 5`}},
		{"esearch all options", "", "a UID SEARCH RETURN (MIN MAX ALL COUNT) UNSEEN",
			[]string{`* ESEARCH (TAG "a") UID MIN 4 MAX 9 ALL 4:5,7:9 COUNT 5`}},
		{"esearch empty list means all", "", "a SEARCH RETURN () SEEN", []string{`* ESEARCH (TAG "a") ALL 1:3,6`}},
		{"esearch nothing found", "", "a SEARCH RETURN (MIN MAX ALL) DELETED", []string{`* ESEARCH (TAG "a")`}},
		{"esearch count of nothing", "", "a SEARCH RETURN (COUNT) DELETED", []string{`* ESEARCH (TAG "a") COUNT 0`}},
		{"esearch tag is quoted", "", "tag.1 SEARCH RETURN (COUNT) ALL", []string{`* ESEARCH (TAG "tag.1") COUNT 9`}},
		{"imap4rev2: ESEARCH replaces SEARCH", "IMAP4rev2", "a SEARCH FLAGGED", []string{`* ESEARCH (TAG "a") ALL 9`}},
		{"imap4rev2: uid search", "IMAP4rev2", "a UID SEARCH TEXT nowhere-to-be-found", []string{`* ESEARCH (TAG "a") UID`}},
		{"imap4rev2: return options", "IMAP4rev2", "a SEARCH RETURN (MAX) SEEN", []string{`* ESEARCH (TAG "a") MAX 6`}},

		// Errors: BAD for syntax, NO for what parses but cannot be done.
		{"unknown charset", "", "a SEARCH CHARSET KOI8-R FROM x", []string{"a NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset KOI8-R"}},
		{"unknown key", "", "a SEARCH FROB", []string{`a BAD unknown search key "FROB"`}},
		{"missing argument", "", "a SEARCH FROM", []string{"a BAD expected SP after FROM, found end of command"}},
		{"bad date", "", "a SEARCH SINCE 31-Feb-2025", []string{`a BAD invalid date "31-Feb-2025" (no such day)`}},
		{"empty group", "", "a SEARCH ()", []string{"a BAD a parenthesized search key list may not be empty"}},
		{"unbalanced group", "", "a SEARCH (SEEN", []string{`a BAD expected SP or ")", found end of command`}},
		{"unknown return option", "", "a SEARCH RETURN (FIRST) ALL", []string{`a BAD unknown SEARCH return option "FIRST"`}},
		{"8-bit atom", "", "a SEARCH FROM 박민준", []string{"a BAD expected astring, found 8-bit octet 0xEB"}},
		{"no keys", "", "a SEARCH", []string{"a BAD expected SP after atom, found end of command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := e.opened(t, "alice", "INBOX", tc.enable)
			got := respLines(feed(s, tc.cmd))
			// Unless the case ends with the tagged response, it is OK.
			want, f := tc.want, strings.Fields(tc.cmd)
			if !strings.HasPrefix(want[len(want)-1], f[0]+" ") {
				name := "SEARCH"
				if strings.EqualFold(f[1], "UID") {
					name = "UID SEARCH"
				}
				want = append(want[:len(want):len(want)], f[0]+" OK "+name+" completed")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.cmd, diff)
			}
		})
	}
}

// TestSearchRecent checks RECENT, NEW and OLD against the \Recent flags the
// session's SELECT reported: the last n messages.
func TestSearchRecent(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	var recent int
	for _, l := range respLines(feed(s, "a SELECT INBOX")) {
		fmt.Sscanf(l, "* %d RECENT", &recent)
	}
	seqs := func(keep func(seq int) bool) string {
		out := "* SEARCH"
		for seq := 1; seq <= 9; seq++ {
			if keep(seq) {
				out += fmt.Sprint(" ", seq)
			}
		}
		return out
	}
	isRecent := func(seq int) bool { return seq > 9-recent }
	unseen := map[int]bool{4: true, 5: true, 7: true, 8: true, 9: true}
	for _, tc := range []struct {
		cmd, want string
	}{
		{"b SEARCH RECENT", seqs(isRecent)},
		{"b SEARCH NEW", seqs(func(seq int) bool { return isRecent(seq) && unseen[seq] })},
		{"b SEARCH OLD", seqs(func(seq int) bool { return !isRecent(seq) })},
	} {
		want := []string{tc.want, "b OK SEARCH completed"}
		if diff := cmp.Diff(want, respLines(feed(s, tc.cmd))); diff != "" {
			t.Errorf("%s with %d recent (-want +got):\n%s", tc.cmd, recent, diff)
		}
	}
}

// TestSearchSave covers SEARCH RETURN (SAVE) and "$" (RFC 9051
// §6.4.4.1, RFC 5182).
func TestSearchSave(t *testing.T) {
	e := newEnv(t)
	s := e.opened(t, "alice", "INBOX", "")
	for _, step := range []struct {
		cmd  string
		want []string
	}{
		{"a SEARCH $", []string{"* SEARCH", "a OK SEARCH completed"}},
		{"b SEARCH RETURN (SAVE) FROM dana", []string{"b OK SEARCH completed"}},
		{"c SEARCH $", []string{"* SEARCH 1 5 8", "c OK SEARCH completed"}},
		{"d UID SEARCH UID $ UNSEEN", []string{"* SEARCH 5 8", "d OK UID SEARCH completed"}},
		{"e SEARCH OR $ FLAGGED", []string{"* SEARCH 1 5 8 9", "e OK SEARCH completed"}},
		// SAVE with MIN: "$" is the minimum only.
		{"f SEARCH RETURN (SAVE MIN) UNSEEN", []string{`* ESEARCH (TAG "f") MIN 4`, "f OK SEARCH completed"}},
		{"g SEARCH $", []string{"* SEARCH 4", "g OK SEARCH completed"}},
		// SAVE with MIN and MAX: both.
		{"h UID SEARCH RETURN (MAX SAVE MIN) UNSEEN", []string{`* ESEARCH (TAG "h") UID MIN 4 MAX 9`, "h OK UID SEARCH completed"}},
		{"i SEARCH $", []string{"* SEARCH 4 9", "i OK SEARCH completed"}},
		// SAVE with COUNT: everything found.
		{"j SEARCH RETURN (COUNT SAVE) SEEN", []string{`* ESEARCH (TAG "j") COUNT 4`, "j OK SEARCH completed"}},
		{"k SEARCH $", []string{"* SEARCH 1 2 3 6", "k OK SEARCH completed"}},
		// A BAD leaves "$" alone; a NO empties it.
		{"l SEARCH RETURN (SAVE) FROB", []string{`l BAD unknown search key "FROB"`}},
		{"m SEARCH $", []string{"* SEARCH 1 2 3 6", "m OK SEARCH completed"}},
		{"n SEARCH RETURN (SAVE) CHARSET KOI8-R ALL", []string{"n NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset KOI8-R"}},
		{"o SEARCH $", []string{"* SEARCH", "o OK SEARCH completed"}},
		// Selecting a mailbox empties it.
		{"p SEARCH RETURN (SAVE) ALL", []string{"p OK SEARCH completed"}},
		{"q EXAMINE INBOX", nil},
		{"r SEARCH $", []string{"* SEARCH", "r OK SEARCH completed"}},
	} {
		got := respLines(feed(s, step.cmd))
		if step.want == nil {
			continue
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", step.cmd, diff)
		}
	}
}

// TestSearchLimits checks the named bounds on keys and nesting: NO
// [LIMIT], not a crash or a long run.
func TestSearchLimits(t *testing.T) {
	e := newEnv(t)
	s := e.opened(t, "alice", "INBOX", "")
	many := "a SEARCH" + strings.Repeat(" SEEN", imap.MaxSearchKeys+1)
	if got, want := respLines(feed(s, many)), []string{fmt.Sprintf("a NO [LIMIT] Search programs are limited to %d keys", imap.MaxSearchKeys)}; !cmp.Equal(want, got) {
		t.Errorf("%d keys: %q", imap.MaxSearchKeys+1, got)
	}
	deep := "b SEARCH" + strings.Repeat(" NOT", imap.MaxSearchDepth+1) + " SEEN"
	if got, want := respLines(feed(s, deep)), []string{fmt.Sprintf("b NO [LIMIT] Search keys may nest at most %d deep", imap.MaxSearchDepth)}; !cmp.Equal(want, got) {
		t.Errorf("%d NOTs: %q", imap.MaxSearchDepth+1, got)
	}
	ok := "c SEARCH" + strings.Repeat(" NOT", imap.MaxSearchDepth) + " SEEN"
	if got := respLines(feed(s, ok)); len(got) != 2 || got[1] != "c OK SEARCH completed" {
		t.Errorf("%d NOTs: %q", imap.MaxSearchDepth, got)
	}
	parens := "d SEARCH " + strings.Repeat("(", 40) + "SEEN" + strings.Repeat(")", 40)
	if got := respLines(feed(s, parens)); len(got) != 1 || !strings.HasPrefix(got[0], "d BAD parenthesized lists nested deeper than") {
		t.Errorf("40 parentheses: %q", got)
	}
}

// TestSearchNotInState checks that SEARCH needs a selected mailbox.
func TestSearchNotInState(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	want := []string{"a BAD SEARCH is not valid in the AUTHENTICATED state"}
	if diff := cmp.Diff(want, respLines(feed(s, "a SEARCH ALL"))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSearchDecodesBase64 appends a base64 text message with an RFC 2047
// subject and finds it by words of its decoded text.
func TestSearchDecodesBase64(t *testing.T) {
	e := newEnv(t)
	raw := "From: =?ISO-8859-1?Q?Ren=E9e?= <renee@example.org>\r\n" +
		"Subject: =?UTF-8?B?w6l0w6kgw6AgUGFyaXM=?=\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		"Q2hhbXBzLcOJbHlzw6llcywgbGUgbWF0aW4uCg==\r\n"
	if _, err := e.store.Deliver("alice", "INBOX", []byte(raw), nil, testNow); err != nil {
		t.Fatal(err)
	}
	s := e.opened(t, "alice", "INBOX", "")
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{`a SEARCH BODY "champs-élysées"`, []string{"* SEARCH 10", "a OK SEARCH completed"}},
		{`a SEARCH TEXT "CHAMPS-ÉLYSÉES"`, []string{"* SEARCH 10", "a OK SEARCH completed"}},
		{`a SEARCH SUBJECT "été à paris"`, []string{"* SEARCH 10", "a OK SEARCH completed"}},
		{`a SEARCH FROM "renée"`, []string{"* SEARCH 10", "a OK SEARCH completed"}},
		// The encoded text itself is not searched.
		{`a SEARCH BODY Q2hhbXBz`, []string{"* SEARCH", "a OK SEARCH completed"}},
		// 8-bit text must be quoted or a literal: it is no atom.
		{`a SEARCH FROM renée`, []string{"a BAD expected end of command after astring, found 8-bit octet 0xC3"}},
	} {
		if diff := cmp.Diff(tc.want, respLines(feed(s, tc.cmd))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.cmd, diff)
		}
	}
}

// BenchmarkSearchText runs SEARCH TEXT over 10,000 messages in a mem.FS
// store: every message is read (from the store's cache), parsed and its
// header and text decoded.
func BenchmarkSearchText(b *testing.B) {
	const n = 10000
	e := newEnv(b)
	if err := e.store.CreateMailbox("alice", "Bench"); err != nil {
		b.Fatal(err)
	}
	batch := make([]mailstore.NewMessage, n)
	for i := range batch {
		word := "ordinary"
		if i%1000 == 0 {
			word = "needle"
		}
		raw := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: u@example.com\r\nSubject: Report %d\r\n"+
			"Date: Mon, 01 Dec 2025 08:15:00 -0800\r\nMessage-ID: <%d@example.org>\r\n"+
			"Content-Type: text/plain; charset=us-ascii\r\n\r\n"+
			"%sThis is message %d. It has a few lines of %s text, as a short mail does,\r\n"+
			"so that the search has something to read through before it decides.\r\n",
			i, i, i, i, strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 8), i, word)
		batch[i] = mailstore.NewMessage{Raw: []byte(raw), InternalDate: testNow}
	}
	if _, err := e.store.DeliverBatch("alice", "Bench", batch); err != nil {
		b.Fatal(err)
	}
	s := e.opened(b, "alice", "Bench", "")
	for _, bc := range []struct{ name, needle string }{
		// A word: messages without it are ruled out by their raw octets.
		{"word", "needle"},
		// A phrase with a space (it could span a folded header line):
		// every message is parsed and its header and text decoded.
		{"phrase", "of needle"},
		// Non-ASCII: parsed and decoded too, matched rune by rune.
		{"utf-8", "néedle"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cmd := fmt.Sprintf("c SEARCH TEXT {%d+}\r\n%s", len(bc.needle), bc.needle)
			want := "* SEARCH 1 1001 2001 3001 4001 5001 6001 7001 8001 9001\r\nc OK SEARCH completed\r\n"
			if bc.name == "utf-8" {
				want = "* SEARCH\r\nc OK SEARCH completed\r\n"
			}
			for b.Loop() {
				if got := feed(s, cmd); got != want {
					b.Fatalf("got %q", got)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// TestSearchMatchesContainsFold checks SEARCH's string matching, with its
// fast paths (an ASCII byte search, and a look at the raw octets that
// spares parsing a message that cannot match), against the definition:
// message.ContainsFold over the decoded header fields and text parts. The
// messages are built to trip the fast paths: letters whose case partners
// lie outside ASCII (K and U+212A KELVIN SIGN, s and U+017F LONG S),
// folded header lines, encoded words, quoted-printable, base64, Latin-1,
// an obsolete space before a field's colon, multipart.
func TestSearchMatchesContainsFold(t *testing.T) {
	msgs := []string{
		"Subject: Kelvin \u212a scale\r\n\r\nTemperature in \u212aelvin.\r\n",
		"Subject: rivers\r\n\r\nMi\u017f\u017fi\u017f\u017fippi and MISSISSIPPI\r\n",
		"Subject: a very long\r\n subject line\r\nX-Odd : value\r\n\r\nplain body\r\n",
		"Subject: =?UTF-8?Q?Stra=C3=9Fe_und_Caf=C3=A9?=\r\n\r\nno body to speak of\r\n",
		"Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 cr=C3=A8me, so=\r\nft line\r\n",
		"Subject: b64\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nc2VjcmV0IHdvcmQgaGlkZGVu\r\n",
		"Subject: latin\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9 au lait\r\n",
		"Subject: mixed\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>second&nbsp;part</p>\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\naGlkZGVuIGltYWdl\r\n--b--\r\n",
	}
	needles := []string{
		"kelvin", "KELVIN", "k", "\u212a", "scale", "temperature in k", "mississippi", "MISSISSIPPI", "\u017f",
		"long subject", "long", "subject line", "x-odd:", "x-odd", "odd : value", "odd:", "value",
		"straße", "STRASSE", "café", "CAFÉ", "cafe", "caf", "crème", "soft", "so=", "c3=a9", "=?utf-8",
		"secret word", "c2VjcmV0", "base64", "au lait", "first", "second", "&nbsp;", "hidden", "image",
		"subject:", "subject: rivers", "plain", "", "q", "zzz",
		"ISSIPPI", "sSi", "ssissippi and m", "Pi and", "iSS", "p", "PP", "eE", "Ee", "-", "&",
	}
	e := newEnv(t)
	if err := e.store.CreateMailbox("alice", "Fold"); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := e.store.Deliver("alice", "Fold", []byte(m), nil, testNow); err != nil {
			t.Fatal(err)
		}
	}
	// The definition, spelled out with the message package.
	texts := make([]struct{ header, subject, body string }, len(msgs))
	for i, m := range msgs {
		p, err := message.Parse([]byte(m))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.Header.Fields {
			texts[i].header += f.Name + ": " + message.DecodeHeader(f.Value()) + "\n"
		}
		texts[i].subject = message.DecodeHeader(p.Header.Get("Subject"))
		texts[i].body = p.BodyText(nil)
	}
	s := e.opened(t, "alice", "Fold", "IMAP4rev2")
	for _, n := range needles {
		for _, key := range []string{"TEXT", "BODY", "SUBJECT"} {
			var want imapwire.SeqSet
			for i, tx := range texts {
				var hit bool
				switch key {
				case "TEXT":
					hit = message.ContainsFold(tx.header, n) || message.ContainsFold(tx.body, n)
				case "BODY":
					hit = message.ContainsFold(tx.body, n)
				case "SUBJECT":
					hit = message.ContainsFold(tx.subject, n)
				}
				if hit {
					want.AddNum(uint32(i + 1))
				}
			}
			wantLine := `* ESEARCH (TAG "a")`
			if !want.IsEmpty() {
				wantLine += " ALL " + want.String()
			}
			cmd := fmt.Sprintf("a SEARCH %s {%d+}\r\n%s", key, len(n), n)
			got := respLines(feed(s, cmd))
			if diff := cmp.Diff([]string{wantLine, "a OK SEARCH completed"}, got); diff != "" {
				t.Errorf("SEARCH %s %q (-want +got):\n%s", key, n, diff)
			}
		}
	}
}
