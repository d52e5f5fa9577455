package imap_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/message"
	"github.com/wirelab/wirelab/engine/world"
)

// The demo world's alice/INBOX, as these tests see it (RFC822.SIZE counts
// CRLF line endings):
//
//	1 welcome, to "undisclosed-recipients:;"  \Seen       1433
//	2 lab 1 handout with a base64 PNG part     \Seen       1688
//	3 multipart/alternative                     \Answered \Seen
//	4 Korean RFC 2047 subject, QP body          (unseen)    853
//	5 lecture notes over 100 KB                 (unseen)
//	6 lines that start with a dot               \Seen
//	7 forward: text + message/rfc822            (unseen)   1142
//	8 RFC 2231 file name                        (unseen)
//	9 autograder                                \Flagged
//
// The store starts at HIGHESTMODSEQ 1 and gives message n MODSEQ n+1.
const demoValidity = "1767258000"

// exchange is one table case: commands run on a fresh demo world, by
// alice with INBOX selected unless start says otherwise; the responses to
// in are compared line by line (a literal's lines are lines too).
type exchange struct {
	name      string
	prepare   func(t *testing.T, e *env)                  // changes the store first
	start     []string                                    // commands before SELECT INBOX ("" for none)
	noSel     bool                                        // do not SELECT INBOX
	setup     []string                                    // after SELECT, not checked
	meanwhile func(t *testing.T, e *env)                  // changes the store after setup
	in        []string                                    // checked
	want      []string                                    // the response lines, without CRLF
	after     func(t *testing.T, e *env, s *imap.Session) // more checks
}

func (x exchange) run(t *testing.T) {
	t.Helper()
	e := newEnv(t)
	if x.prepare != nil {
		x.prepare(t, e)
	}
	s := e.login(t, "alice")
	feed(s, x.start...)
	if !x.noSel {
		if out := feed(s, "S1 SELECT INBOX"); !strings.Contains(out, "S1 OK") {
			t.Fatalf("SELECT INBOX: %s", out)
		}
	}
	feed(s, x.setup...)
	if x.meanwhile != nil {
		x.meanwhile(t, e)
	}
	got := lines(feed(s, x.in...))
	if diff := cmp.Diff(x.want, got); diff != "" {
		t.Errorf("%s: responses differ (-want +got):\n%s", strings.Join(x.in, " / "), diff)
	}
	if x.after != nil {
		x.after(t, e, s)
	}
}

// lines splits a session's output at CRLF, dropping the last one.
func lines(out string) []string {
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
}

// demoMessage returns the raw message n (from 1) of alice's INBOX in the
// demo world, with CRLF line endings.
func demoMessage(t *testing.T, n int) []byte {
	t.Helper()
	for _, mb := range world.Demo().Mailboxes["alice"] {
		if mb.Name == mailstore.Inbox {
			return message.ToCRLF(mb.Messages[n-1].Raw)
		}
	}
	t.Fatal("no INBOX for alice in the demo world")
	return nil
}

func TestFetch(t *testing.T) {
	// The PNG of message 2, decoded from its base64 body independently
	// of the message package.
	raw := demoMessage(t, 2)
	b64 := raw[bytes.Index(raw, []byte("iVBOR")):]
	b64 = b64[:bytes.Index(b64, []byte("\r\n\r\n"))]
	png, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b64), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	pngLines := lines(fmt.Sprintf("* 2 FETCH (BINARY.SIZE[2] %d BINARY[2] ~{%d}\r\n%s)\r\n", len(png), len(png), png))

	for _, x := range []exchange{
		{name: "FAST macro on every message", in: []string{"a FETCH 1:* FAST"}, want: []string{
			"* 1 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 1-Dec-2025 16:15:02 +0000\" RFC822.SIZE 1433)",
			"* 2 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 2-Dec-2025 15:05:09 +0000\" RFC822.SIZE 1688)",
			"* 3 FETCH (FLAGS (\\Answered \\Seen \\Recent) INTERNALDATE \" 4-Dec-2025 02:02:03 +0000\" RFC822.SIZE 1418)",
			"* 4 FETCH (FLAGS (\\Recent) INTERNALDATE \" 4-Dec-2025 04:12:04 +0000\" RFC822.SIZE 853)",
			"* 5 FETCH (FLAGS (\\Recent) INTERNALDATE \" 9-Dec-2025 05:30:05 +0000\" RFC822.SIZE 123070)",
			"* 6 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 9-Dec-2025 17:30:06 +0000\" RFC822.SIZE 1125)",
			"* 7 FETCH (FLAGS (\\Recent) INTERNALDATE \" 9-Dec-2025 20:33:07 +0000\" RFC822.SIZE 1142)",
			"* 8 FETCH (FLAGS (\\Recent) INTERNALDATE \"10-Dec-2025 18:00:08 +0000\" RFC822.SIZE 1460)",
			"* 9 FETCH (FLAGS (\\Flagged \\Recent) INTERNALDATE \"12-Dec-2025 23:59:31 +0000\" RFC822.SIZE 1356)",
			"a OK FETCH completed",
		}},
		{name: "ALL macro, group address in the envelope", in: []string{"a FETCH 1 ALL"}, want: []string{
			"* 1 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 1-Dec-2025 16:15:02 +0000\" RFC822.SIZE 1433 ENVELOPE (\"Mon, 01 Dec 2025 08:15:00 -0800\" \"Welcome to CS 340 Networks Lab\" ((\"Dana Kim\" NIL \"dana.kim\" \"example.org\")) ((\"Dana Kim\" NIL \"dana.kim\" \"example.org\")) ((\"Dana Kim\" NIL \"dana.kim\" \"example.org\")) ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL \"<20251201161500.4a7f@example.org>\"))",
			"a OK FETCH completed",
		}},
		{name: "FULL macro, RFC 2047 words left encoded", in: []string{"a FETCH 4 FULL"}, want: []string{
			"* 4 FETCH (FLAGS (\\Recent) INTERNALDATE \" 4-Dec-2025 04:12:04 +0000\" RFC822.SIZE 853 ENVELOPE (\"Thu, 04 Dec 2025 13:12:00 +0900\" \"=?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul\" ((\"=?UTF-8?B?67CV66+87KSA?=\" NIL \"minjun\" \"example.net\")) ((\"=?UTF-8?B?67CV66+87KSA?=\" NIL \"minjun\" \"example.net\")) ((\"=?UTF-8?B?67CV66+87KSA?=\" NIL \"minjun\" \"example.net\")) ((\"Alice Liddell\" NIL \"alice\" \"example.com\")) NIL NIL NIL \"<6f1e2d3c.minjun@example.net>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 504 13))",
			"a OK FETCH completed",
		}},
		{name: "ENVELOPE of the forwarded message", in: []string{"a FETCH 7 ENVELOPE"}, want: []string{
			"* 7 FETCH (ENVELOPE (\"Tue, 09 Dec 2025 12:33:00 -0800\" \"Fwd: Room change for Friday's lab\" ((\"Bob Baker\" NIL \"bob\" \"example.com\")) ((\"Bob Baker\" NIL \"bob\" \"example.com\")) ((\"Bob Baker\" NIL \"bob\" \"example.com\")) ((\"Alice Liddell\" NIL \"alice\" \"example.com\")) NIL NIL NIL \"<fwd-room.20251209203300@example.com>\"))",
			"a OK FETCH completed",
		}},
		{name: "BODY and BODYSTRUCTURE with message/rfc822", in: []string{"a FETCH 7 (BODY BODYSTRUCTURE)"}, want: []string{
			"* 7 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 96 4)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 583 (\"Tue, 09 Dec 2025 12:00:00 -0800\" \"Room change for Friday's lab\" ((\"CS 340 Announcements\" NIL \"cs340-announce\" \"example.org\")) ((\"CS 340 Announcements\" NIL \"cs340-announce\" \"example.org\")) ((\"CS 340 Announcements\" NIL \"cs340-announce\" \"example.org\")) ((\"CS 340 students\" NIL \"cs340\" \"example.org\")) NIL NIL NIL \"<20251209200000.room@example.org>\") (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 262 8) 17) \"MIXED\") BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 96 4 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 583 (\"Tue, 09 Dec 2025 12:00:00 -0800\" \"Room change for Friday's lab\" ((\"CS 340 Announcements\" NIL \"cs340-announce\" \"example.org\")) ((\"CS 340 Announcements\" NIL \"cs340-announce\" \"example.org\")) ((\"CS 340 Announcements\" NIL \"cs340-announce\" \"example.org\")) ((\"CS 340 students\" NIL \"cs340\" \"example.org\")) NIL NIL NIL \"<20251209200000.room@example.org>\") (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 262 8 NIL NIL NIL NIL) 17 NIL (\"INLINE\" NIL) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"fwd-7Rb2\") NIL NIL NIL))",
			"a OK FETCH completed",
		}},
		{name: "BODYSTRUCTURE with a PNG attachment", in: []string{"a FETCH 2 BODYSTRUCTURE"}, want: []string{
			"* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 676 19 NIL NIL NIL NIL)(\"IMAGE\" \"PNG\" (\"NAME\" \"lab1-topology.png\") NIL NIL \"BASE64\" 170 NIL (\"ATTACHMENT\" (\"FILENAME\" \"lab1-topology.png\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"=_lab1_7f3a9c\") NIL NIL NIL))",
			"a OK FETCH completed",
		}},
		{name: "BODYSTRUCTURE with an RFC 2231 file name", in: []string{"a FETCH 8 BODYSTRUCTURE"}, want: []string{
			"* 8 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 294 8 NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\" \"NAME*\" \"utf-8''Lab%202%20%E2%80%93%20grading%20rubric.txt\") NIL NIL \"QUOTED-PRINTABLE\" 479 10 NIL (\"ATTACHMENT\" (\"FILENAME*\" \"utf-8''Lab%202%20%E2%80%93%20grading%20rubric.txt\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"rubric-2231-b\") NIL NIL NIL))",
			"a OK FETCH completed",
		}},
		{name: "sections 1, 1.MIME, 2.HEADER and 2.TEXT of the forward",
			in: []string{"a FETCH 7 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT]<0.20>)"},
			want: []string{
				"* 7 FETCH (BODY[1] {96}",
				"In case you are not on the announcements list yet: same time, new",
				"room. See you there!",
				"",
				"Bob",
				" BODY[1.MIME] {79}",
				"Content-Type: text/plain; charset=us-ascii",
				"Content-Transfer-Encoding: 7bit",
				"",
				" BODY[2.HEADER] {321}",
				"Message-ID: <20251209200000.room@example.org>",
				"Date: Tue, 09 Dec 2025 12:00:00 -0800",
				"From: CS 340 Announcements <cs340-announce@example.org>",
				"To: CS 340 students <cs340@example.org>",
				"Subject: Room change for Friday's lab",
				"MIME-Version: 1.0",
				"Content-Type: text/plain; charset=us-ascii",
				"Content-Transfer-Encoding: 7bit",
				"",
				" BODY[2.TEXT]<0> \"Friday's lab (DNS, p\")",
				"a OK FETCH completed",
			}},
		{name: "part 2.1 is the encapsulated message's body", in: []string{"a FETCH 7 BODY.PEEK[2.1]<0.36>"}, want: []string{
			"* 7 FETCH (BODY[2.1]<0> \"Friday's lab (DNS, part 2) moves fro\")",
			"a OK FETCH completed",
		}},
		{name: "HEADER.FIELDS and HEADER.FIELDS.NOT",
			in: []string{"a FETCH 7 (BODY.PEEK[HEADER.FIELDS (From Subject)] BODY.PEEK[HEADER.FIELDS.NOT (Received Message-ID Date From To Subject)])"},
			want: []string{
				"* 7 FETCH (BODY[HEADER.FIELDS (From Subject)] {81}",
				"From: Bob Baker <bob@example.com>",
				"Subject: Fwd: Room change for Friday's lab",
				"",
				" BODY[HEADER.FIELDS.NOT (Received Message-ID Date From To Subject)] {73}",
				"MIME-Version: 1.0",
				"Content-Type: multipart/mixed; boundary=\"fwd-7Rb2\"",
				"",
				")",
				"a OK FETCH completed",
			}},
		{name: "partial <0.10>, quoted when it can be",
			in: []string{"a FETCH 7 (BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<0.10> BODY.PEEK[1]<94.100> BODY.PEEK[1]<500.10>)"},
			want: []string{
				"* 7 FETCH (BODY[]<0> \"Message-ID\" BODY[TEXT]<0> \"--fwd-7Rb2\" BODY[1]<94> {2}",
				"",
				" BODY[1]<500> \"\")",
				"a OK FETCH completed",
			}},
		{name: "sections that name nothing are empty",
			in: []string{"a FETCH 7 (BODY.PEEK[5] BODY.PEEK[1.HEADER] BODY.PEEK[2.1.1] BODY.PEEK[3.MIME])"},
			want: []string{
				"* 7 FETCH (BODY[5] \"\" BODY[1.HEADER] \"\" BODY[2.1.1] \"\" BODY[3.MIME] \"\")",
				"a OK FETCH completed",
			}},
		{name: "BODY[] sets \\Seen and shows the new FLAGS", in: []string{"a FETCH 4 BODY[HEADER.FIELDS (Subject)]", "b FETCH 4 FLAGS"}, want: []string{
			"* 4 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (Subject)] {70}",
			"Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul",
			"",
			")",
			"a OK FETCH completed",
			"* 4 FETCH (FLAGS (\\Seen \\Recent))",
			"b OK FETCH completed",
		}},
		{name: "FLAGS asked with BODY[] are the new ones", in: []string{"a FETCH 4 (FLAGS BODY[HEADER.FIELDS (Subject)])"}, want: []string{
			"* 4 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (Subject)] {70}",
			"Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul",
			"",
			")",
			"a OK FETCH completed",
		}},
		{name: "BODY.PEEK leaves \\Seen alone", in: []string{"a FETCH 4 (BODY.PEEK[HEADER.FIELDS (Subject)] FLAGS)"}, want: []string{
			"* 4 FETCH (FLAGS (\\Recent) BODY[HEADER.FIELDS (Subject)] {70}",
			"Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul",
			"",
			")",
			"a OK FETCH completed",
		}},
		{name: "BODY[] of a seen message has no FLAGS", in: []string{"a FETCH 1 BODY[HEADER.FIELDS (Subject)]"}, want: []string{
			"* 1 FETCH (BODY[HEADER.FIELDS (Subject)] {43}",
			"Subject: Welcome to CS 340 Networks Lab",
			"",
			")",
			"a OK FETCH completed",
		}},
		{name: "EXAMINE: BODY[] does not set \\Seen", noSel: true,
			in: []string{"x EXAMINE INBOX", "a FETCH 4 BODY[HEADER.FIELDS (Subject)]", "b FETCH 4 FLAGS"},
			want: []string{
				"* 9 EXISTS",
				"* 9 RECENT",
				"* OK [UNSEEN 4] Message 4 is the first unseen",
				"* OK [UIDVALIDITY 1767258000] UIDs valid",
				"* OK [UIDNEXT 10] Predicted next UID",
				"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
				"* OK [PERMANENTFLAGS ()] Read-only mailbox",
				"x OK [READ-ONLY] EXAMINE completed",
				"* 4 FETCH (BODY[HEADER.FIELDS (Subject)] {70}",
				"Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul",
				"",
				")",
				"a OK FETCH completed",
				"* 4 FETCH (FLAGS (\\Recent))",
				"b OK FETCH completed",
			}},
		{name: "RFC822.HEADER does not set \\Seen", in: []string{"a FETCH 8 RFC822.HEADER", "b FETCH 8 FLAGS"}, want: []string{
			"* 8 FETCH (RFC822.HEADER {276}",
			"Message-ID: <rubric-lab2.20251210@example.org>",
			"Date: Wed, 10 Dec 2025 10:00:00 -0800",
			"From: Dana Kim <dana.kim@example.org>",
			"To: CS 340 students <cs340@example.org>",
			"Subject: Lab 2 grading rubric",
			"MIME-Version: 1.0",
			"Content-Type: multipart/mixed; boundary=\"rubric-2231-b\"",
			"",
			")",
			"a OK FETCH completed",
			"* 8 FETCH (FLAGS (\\Recent))",
			"b OK FETCH completed",
		}},
		{name: "RFC822.TEXT sets \\Seen", in: []string{"a FETCH 4 RFC822.TEXT"}, want: []string{
			"* 4 FETCH (FLAGS (\\Seen \\Recent) RFC822.TEXT {504}",
			"=EC=95=88=EB=85=95=ED=95=98=EC=84=B8=EC=9A=94, Alice!",
			"",
			"I am Min-jun, the exchange student who joins CS 340 remotely from",
			"Seoul. Bob told me about your study group, and I would love to join.",
			"",
			"Our time difference is 17 hours (KST is UTC+9), so your Thursday",
			"evening is my Friday morning: perfect for a video call before my first",
			"class.",
			"",
			"=EC=9E=98 =EB=B6=80=ED=83=81=EB=93=9C=EB=A6=BD=EB=8B=88=EB=8B=A4! (Roughly:=",
			" \"I look forward to working with you!\")",
			"",
			"Min-jun (=EB=B0=95=EB=AF=BC=EC=A4=80)",
			")",
			"a OK FETCH completed",
		}},
		{name: "RFC822 is the whole message", in: []string{"a FETCH 4 RFC822"}, want: []string{
			"* 4 FETCH (FLAGS (\\Seen \\Recent) RFC822 {853}",
			"Message-ID: <6f1e2d3c.minjun@example.net>",
			"Date: Thu, 04 Dec 2025 13:12:00 +0900",
			"From: =?UTF-8?B?67CV66+87KSA?= <minjun@example.net>",
			"To: Alice Liddell <alice@example.com>",
			"Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul",
			"MIME-Version: 1.0",
			"Content-Type: text/plain; charset=UTF-8",
			"Content-Transfer-Encoding: quoted-printable",
			"",
			"=EC=95=88=EB=85=95=ED=95=98=EC=84=B8=EC=9A=94, Alice!",
			"",
			"I am Min-jun, the exchange student who joins CS 340 remotely from",
			"Seoul. Bob told me about your study group, and I would love to join.",
			"",
			"Our time difference is 17 hours (KST is UTC+9), so your Thursday",
			"evening is my Friday morning: perfect for a video call before my first",
			"class.",
			"",
			"=EC=9E=98 =EB=B6=80=ED=83=81=EB=93=9C=EB=A6=BD=EB=8B=88=EB=8B=A4! (Roughly:=",
			" \"I look forward to working with you!\")",
			"",
			"Min-jun (=EB=B0=95=EB=AF=BC=EC=A4=80)",
			")",
			"a OK FETCH completed",
		}},
		{name: "BINARY of the base64 PNG part is literal8", start: []string{"r ENABLE IMAP4rev2"},
			in: []string{"a FETCH 2 (BINARY.PEEK[2] BINARY.SIZE[2])"}, want: append(pngLines, "a OK FETCH completed")},
		{name: "BINARY of a quoted-printable part is decoded", start: []string{"r ENABLE IMAP4rev2"},
			in: []string{"a FETCH 4 (BINARY.PEEK[1]<0.20> BINARY.SIZE[1])"}, want: []string{
				"* 4 FETCH (BINARY.SIZE[1] 411 BINARY[1]<0> {20}",
				"안녕하세요, Ali)",
				"a OK FETCH completed",
			}},
		{name: "BINARY sets \\Seen, BINARY.PEEK does not", start: []string{"r ENABLE IMAP4rev2"},
			in: []string{"a FETCH 8 BINARY.PEEK[1]<0.8>", "b FETCH 8 BINARY[1]<0.8>"}, want: []string{
				"* 8 FETCH (BINARY[1]<0> \"Hello al\")",
				"a OK FETCH completed",
				"* 8 FETCH (FLAGS (\\Seen) BINARY[1]<0> \"Hello al\")",
				"b OK FETCH completed",
			}},
		{name: "BINARY needs IMAP4rev2", in: []string{"a FETCH 2 BINARY[2]"}, want: []string{
			"a BAD BINARY needs IMAP4rev2: send ENABLE IMAP4rev2 first (RFC 9051 §6.4.5)",
		}},
		{name: "BINARY of a message/rfc822 part", start: []string{"r ENABLE IMAP4rev2"},
			in: []string{"a FETCH 7 BINARY.PEEK[2]"}, want: []string{
				"a NO [CANNOT] BINARY[2] of message 7 names a multipart or message part; BINARY is for leaf parts only (RFC 9051 §6.4.5)",
			}},
		{name: "BINARY with an unknown transfer encoding", start: []string{"r ENABLE IMAP4rev2"},
			prepare: func(t *testing.T, e *env) {
				deliver(t, e, "alice", "INBOX", "Subject: uu\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n`\r\nend\r\n")
			},
			in: []string{"a FETCH 10 BINARY[1]", "b FETCH 10 (FLAGS BODY.PEEK[1])"},
			want: []string{
				"a NO [UNKNOWN-CTE] Cannot decode BINARY[1] of message 10: its Content-Transfer-Encoding is unknown",
				"* 10 FETCH (FLAGS () BODY[1] {21}",
				"begin 644 x",
				"`",
				"end",
				")",
				"b OK FETCH completed",
			}},
		{name: "IMAP4rev2 shows no \\Recent", start: []string{"r ENABLE IMAP4rev2"}, in: []string{"a FETCH 1:2 FLAGS"}, want: []string{
			"* 1 FETCH (FLAGS (\\Seen))",
			"* 2 FETCH (FLAGS (\\Seen))",
			"a OK FETCH completed",
		}},
		{name: "MODSEQ enables CONDSTORE", in: []string{"a FETCH 1:3 (MODSEQ)", "b FETCH 4 MODSEQ"}, want: []string{
			"* OK [HIGHESTMODSEQ 10] Highest mod-sequence",
			"* 1 FETCH (MODSEQ (2))",
			"* 2 FETCH (MODSEQ (3))",
			"* 3 FETCH (MODSEQ (4))",
			"a OK FETCH completed",
			"* 4 FETCH (MODSEQ (5))",
			"b OK FETCH completed",
		}},
		{name: "UID FETCH always has UID", in: []string{"a UID FETCH 9 FLAGS", "b UID FETCH 9 (FLAGS UID)"}, want: []string{
			"* 9 FETCH (UID 9 FLAGS (\\Flagged \\Recent))",
			"a OK UID FETCH completed",
			"* 9 FETCH (UID 9 FLAGS (\\Flagged \\Recent))",
			"b OK UID FETCH completed",
		}},
		{name: "UID FETCH skips UIDs no message has", in: []string{"a UID FETCH 5,20:30,8 (RFC822.SIZE)", "b UID FETCH 100:* UID"}, want: []string{
			"* 5 FETCH (UID 5 RFC822.SIZE 123070)",
			"* 8 FETCH (UID 8 RFC822.SIZE 1460)",
			"a OK UID FETCH completed",
			"* 9 FETCH (UID 9)",
			"b OK UID FETCH completed",
		}},
		{name: "sequence sets in any order, answered in order", in: []string{"a FETCH 3:1,*,2 UID", "b FETCH *:8 UID"}, want: []string{
			"* 1 FETCH (UID 1)",
			"* 2 FETCH (UID 2)",
			"* 3 FETCH (UID 3)",
			"* 9 FETCH (UID 9)",
			"a OK FETCH completed",
			"* 8 FETCH (UID 8)",
			"* 9 FETCH (UID 9)",
			"b OK FETCH completed",
		}},
		{name: "an item asked twice is sent once", in: []string{"a FETCH 1 (UID FLAGS UID)"}, want: []string{
			"* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))",
			"a OK FETCH completed",
		}},
		{name: "a sequence number beyond EXISTS", in: []string{"a FETCH 10 UID", "b FETCH 8:12 UID", "c FETCH 0 UID"}, want: []string{
			"a BAD Invalid message sequence number 10: the mailbox has 9 messages",
			"b BAD Invalid message sequence number 10: the mailbox has 9 messages",
			"c BAD invalid sequence set \"0\": 0 is not a valid message number (they start at 1)",
		}},
		{name: "* in an empty mailbox", noSel: true, start: []string{"c CREATE Empty"}, setup: []string{"s SELECT Empty"},
			in: []string{"a FETCH * UID", "b FETCH 1:* UID", "c UID FETCH 1:* UID"},
			want: []string{
				"a BAD No messages in the mailbox: no sequence number is valid",
				"b BAD No messages in the mailbox: no sequence number is valid",
				"c OK UID FETCH completed",
			}},
		{name: "unknown and unsupported items", in: []string{"a FETCH 1 (FOO)", "b FETCH 1 EMAILID", "c FETCH 1 (BODY.PEEK)"}, want: []string{
			"a BAD unknown FETCH item \"FOO\"",
			"b BAD FETCH EMAILID is not supported here (no OBJECTID or SAVEDATE capability)",
			"c BAD BODY.PEEK must be followed by a section, as BODY.PEEK[]",
		}},
		{name: "unknown modifier", in: []string{"a FETCH 1 FLAGS (FOO 1)"}, want: []string{
			"a BAD unknown FETCH modifier FOO (this server knows CHANGEDSINCE and VANISHED)",
		}},
	} {
		t.Run(x.name, x.run)
	}
}

// deliver puts a message into a mailbox.
func deliver(t *testing.T, e *env, user, mailbox, raw string) uint32 {
	t.Helper()
	uid, err := e.store.Deliver(user, mailbox, []byte(raw), nil, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

// TestFetchWholeMessages checks RFC822.SIZE and BODY[] of every message
// against the demo world's own bytes, converted to CRLF here: the size
// announced is the size sent (RFC 9051 §2.3.4).
func TestFetchWholeMessages(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	feed(s, "s EXAMINE INBOX")
	for n := 1; n <= 9; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var raw []byte
			for _, mb := range world.Demo().Mailboxes["alice"] {
				if mb.Name == mailstore.Inbox {
					raw = bytes.ReplaceAll(mb.Messages[n-1].Raw, []byte("\n"), []byte("\r\n"))
				}
			}
			want := fmt.Sprintf("* %d FETCH (RFC822.SIZE %d BODY[] {%d}\r\n%s)\r\na OK FETCH completed\r\n", n, len(raw), len(raw), raw)
			if diff := cmp.Diff(lines(want), lines(feed(s, fmt.Sprintf("a FETCH %d (RFC822.SIZE BODY.PEEK[])", n)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// newEnvWith is newEnv with store options.
func newEnvWith(tb testing.TB, opts mailstore.Options) *env {
	tb.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		tb.Fatal(err)
	}
	st := mailstore.New(fsys, opts)
	w := world.Demo()
	if _, err := w.Populate(st); err != nil {
		tb.Fatal(err)
	}
	return &env{store: st, cfg: &imap.Config{Store: st, Users: w.Users, Hostname: "imap.example"}, w: w}
}

// TestFetchFlagsReadsNoFile: FLAGS, UID, RFC822.SIZE, INTERNALDATE and
// MODSEQ come from the store's listing. With the message files gone (and
// no content cache), they are still served; BODY[] is not.
func TestFetchFlagsReadsNoFile(t *testing.T) {
	e := newEnvWith(t, mailstore.Options{CacheBytes: -1})
	s := e.login(t, "alice")
	feed(s, "s SELECT INBOX")
	fsys := e.store.FS()
	for _, dir := range []string{"alice/cur", "alice/new"} {
		entries, err := hackpadfs.ReadDir(fsys, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if err := hackpadfs.Remove(fsys, path.Join(dir, en.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := lines(feed(s, "a FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ)", "b FETCH 1 BODY.PEEK[]"))
	if n := len(got); n != 12 || !strings.HasPrefix(got[0], "* OK [HIGHESTMODSEQ ") || got[10] != "a OK FETCH completed" {
		t.Fatalf("FETCH of the listing:\n%s", strings.Join(got, "\n"))
	}
	if want := `* 9 FETCH (UID 9 FLAGS (\Flagged \Recent) RFC822.SIZE 1356 INTERNALDATE "12-Dec-2025 23:59:31 +0000" MODSEQ (10))`; got[9] != want {
		t.Errorf("got  %s\nwant %s", got[9], want)
	}
	if want := "b NO [EXPUNGEISSUED] Some of the requested messages no longer exist"; got[11] != want {
		t.Errorf("BODY[] of a message whose file is gone: %s, want %s", got[11], want)
	}
}

// TestFetchDuringExpunge: another session expunges (here the store
// itself); FETCH and STORE by sequence number keep the view as it was, with
// no EXPUNGE until a command that may report it (RFC 9051 §7.5.1).
func TestFetchDuringExpunge(t *testing.T) {
	e := newEnv(t)
	a := e.login(t, "alice")
	feed(a, "s SELECT INBOX")
	if err := e.store.Expunge("alice", "INBOX", []uint32{3, 5}); err != nil {
		t.Fatal(err)
	}
	got := lines(feed(a,
		"a FETCH 2:6 (UID FLAGS)",
		"b FETCH 3 BODY.PEEK[HEADER.FIELDS (Subject)]",
		"c FETCH 4 BODY.PEEK[HEADER.FIELDS (Subject)]",
		"d STORE 6 +FLAGS (\\Flagged)",
		"e STORE 5 +FLAGS (\\Flagged)",
		"f NOOP",
		"g FETCH 3:4 UID",
	))
	want := []string{
		`* 2 FETCH (UID 2 FLAGS (\Seen \Recent))`,
		`* 3 FETCH (UID 3 FLAGS (\Answered \Seen \Recent))`,
		`* 4 FETCH (UID 4 FLAGS (\Recent))`,
		`* 5 FETCH (UID 5 FLAGS (\Recent))`,
		`* 6 FETCH (UID 6 FLAGS (\Seen \Recent))`,
		"a OK FETCH completed",
		"b NO [EXPUNGEISSUED] Some of the requested messages no longer exist",
		"* 4 FETCH (BODY[HEADER.FIELDS (Subject)] {70}",
		"Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul",
		"",
		")",
		"c OK FETCH completed",
		`* 6 FETCH (FLAGS (\Flagged \Seen \Recent))`,
		"d OK STORE completed",
		"e NO [EXPUNGEISSUED] Some of the messages no longer exist",
		"* 3 EXPUNGE",
		"* 4 EXPUNGE",
		"f OK NOOP completed",
		"* 3 FETCH (UID 4)",
		"* 4 FETCH (UID 6)",
		"g OK FETCH completed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestUIDFetchReportsExpunge: UID FETCH may report an expunge (RFC 9051
// §7.5.1), and does so before its FETCH responses.
func TestUIDFetchReportsExpunge(t *testing.T) {
	e := newEnv(t)
	a := e.login(t, "alice")
	feed(a, "s SELECT INBOX")
	if err := e.store.Expunge("alice", "INBOX", []uint32{3}); err != nil {
		t.Fatal(err)
	}
	got := lines(feed(a, "a UID FETCH 2:4 FLAGS"))
	want := []string{
		"* 3 EXPUNGE",
		`* 2 FETCH (UID 2 FLAGS (\Seen \Recent))`,
		`* 3 FETCH (UID 4 FLAGS (\Recent))`,
		"a OK UID FETCH completed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// bigMailboxSize is the mailbox of the benchmarks.
const bigMailboxSize = 100_000

var (
	bigOnce sync.Once
	bigEnv  *env
)

// bigMailbox gives alice a mailbox "Big" of bigMailboxSize small messages,
// once per test binary.
func bigMailbox(b *testing.B) *env {
	bigOnce.Do(func() {
		e := newEnv(b)
		if err := e.store.CreateMailbox("alice", "Big"); err != nil {
			b.Fatal(err)
		}
		const batch = 10_000
		msgs := make([]mailstore.NewMessage, 0, batch)
		for i := range bigMailboxSize {
			var flags []mailstore.Flag
			if i%3 == 0 {
				flags = []mailstore.Flag{mailstore.FlagSeen}
			}
			msgs = append(msgs, mailstore.NewMessage{
				Raw:          fmt.Appendf(nil, "From: bench@example.com\nSubject: message %d\n\nbody %d\n", i, i),
				Flags:        flags,
				InternalDate: clock.Epoch,
			})
			if len(msgs) == batch {
				if _, err := e.store.DeliverBatch("alice", "Big", msgs); err != nil {
					b.Fatal(err)
				}
				msgs = msgs[:0]
			}
		}
		bigEnv = e
	})
	if bigEnv == nil {
		b.Fatal("no big mailbox")
	}
	return bigEnv
}

// BenchmarkSelect100k selects a mailbox of 100,000 messages.
func BenchmarkSelect100k(b *testing.B) {
	e := bigMailbox(b)
	s := e.login(b, "alice")
	b.ReportAllocs()
	for b.Loop() {
		rs := s.Feed([]byte("a SELECT Big\r\n"), testNow)
		if !bytes.Contains(rs[len(rs)-1].Data, []byte("a OK")) {
			b.Fatalf("SELECT: %s", rs[len(rs)-1].Data)
		}
	}
}

// BenchmarkFetchFlags100k fetches UID, FLAGS and RFC822.SIZE of 100,000
// messages: the listing a client asks for when it opens a mailbox. It
// reports the response's size as resp-MB.
func BenchmarkFetchFlags100k(b *testing.B) {
	e := bigMailbox(b)
	s := e.login(b, "alice")
	feed(s, "a SELECT Big")
	cmd := []byte("b FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n")
	var size int
	b.ReportAllocs()
	for b.Loop() {
		rs := s.Feed(cmd, testNow)
		size = len(rs[0].Data)
	}
	b.ReportMetric(float64(size)/1e6, "resp-MB")
}
