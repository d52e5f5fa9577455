package imap_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

// fuzzWorld is the small world a fuzzed session runs on: two users, a
// plain message, a multipart one with an attachment, a forwarded message,
// an RFC 2047 subject, and a second mailbox.
const fuzzWorld = `-- users --
alice:{PLAIN}wonderland
bob:{PLAIN}builder
-- mail/alice/INBOX.mbox --
From dana@example.org Mon Dec  1 16:15:02 2025
Date: Mon, 01 Dec 2025 08:15:00 -0800
From: Dana Kim <dana@example.org>
To: undisclosed-recipients:;
Subject: Welcome
Message-ID: <1@example.org>
Status: RO

Hello.
.dot line

From lee@example.net Tue Dec  2 10:00:00 2025
Date: Tue, 02 Dec 2025 10:00:00 +0000
From: lee@example.net
To: alice@example.com, "Baker, Bob" <bob@example.com>
Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqU?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9
--b1
Content-Type: application/octet-stream; name="a.bin"
Content-Transfer-Encoding: base64

AAECAwQF
--b1--

From bob@example.com Wed Dec  3 11:00:00 2025
Date: Wed, 03 Dec 2025 11:00:00 +0000
From: bob@example.com
To: alice@example.com
Subject: Fwd: notes
MIME-Version: 1.0
Content-Type: message/rfc822
X-Status: F

Date: Mon, 01 Dec 2025 09:00:00 +0000
From: carol@example.com
Subject: notes

Inner body.

-- mail/alice/Archive.mbox --
From dana@example.org Mon Nov  3 16:15:02 2025
Date: Mon, 03 Nov 2025 08:15:00 -0800
From: dana@example.org
Subject: old

Old.

`

// fuzzGen builds commands from the fuzzer's bytes; past the end it gives
// zeros.
type fuzzGen struct{ b []byte }

func (g *fuzzGen) next() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *fuzzGen) pick(list ...string) string { return list[int(g.next())%len(list)] }

func (g *fuzzGen) take(n int) []byte {
	n = min(n, len(g.b))
	out := g.b[:n]
	g.b = g.b[n:]
	return out
}

// piece is part of a command: text, or a literal (RFC 9051 §4.3).
type piece struct {
	text    string
	literal []byte
	isLit   bool
	sync    bool
	binary  bool // literal8 (RFC 3516)
}

type pieces []piece

func (p *pieces) add(s string) { *p = append(*p, piece{text: s}) }

// astring adds s as an atom, a quoted string or a literal, as the fuzzer
// chooses (RFC 9051 §4).
func (g *fuzzGen) astring(p *pieces, s string) {
	switch g.next() % 5 {
	case 0, 1:
		p.add(s)
	case 2:
		p.add(strconv.Quote(s))
	case 3:
		*p = append(*p, piece{literal: []byte(s), isLit: true, sync: true})
	default:
		*p = append(*p, piece{literal: []byte(s), isLit: true})
	}
}

// The vocabulary: RFC 9051 §6 examples and their neighbours, valid and
// not.
var (
	fuzzMailboxes = []string{
		"INBOX", "inbox", "Archive", "Archive/2025", "new", "new/sub", "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
		"Entw&APw-rfe", "Entwürfe", "a b", "", "INBOX/child", "%", "&Jjo", "blurdybloop", "owatagusiam/",
	}
	fuzzSeqs = []string{
		"1", "2:4", "*", "1:*", "3,1", "4:2", "0", "99", "$", "1,3:*", "2", "2:*,1", "1:2", "4294967295", "1:0",
	}
	fuzzFetchAtts = []string{
		"FLAGS", "UID", "(FLAGS UID RFC822.SIZE)", "FULL", "ALL", "FAST", "ENVELOPE", "BODYSTRUCTURE",
		"BODY[]", "BODY.PEEK[HEADER.FIELDS (DATE FROM)]", "BODY[1.MIME]", "BINARY[1]", "BINARY.SIZE[1]",
		"BODY[TEXT]<0.10>", "(UID MODSEQ)", "(FLAGS) (CHANGEDSINCE 1)", "RFC822", "RFC822.HEADER",
		"INTERNALDATE", "BODY[1.2.3]", "(BODY[2.HEADER] BODY[2.TEXT])", "BODY[HEADER.FIELDS.NOT (SUBJECT)]<3.2>",
		"(FLAGS (UID))", "BODY[]<4294967295.2>", "(FLAGS) (VANISHED CHANGEDSINCE 1)", "BINARY.PEEK[2]",
	}
	fuzzFlags = []string{
		`(\Seen)`, `(\Deleted \Flagged)`, `\Answered`, `($Forwarded foo)`, `()`, `(\Recent)`, `(\*)`, `(\Draft \Seen)`,
		`(\Bogus)`, `(a (b))`,
	}
	fuzzSearch = []string{
		"ALL", `FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, "OR SEEN (UNSEEN DELETED)", "UID 1:*",
		"RETURN (MIN MAX COUNT) ALL", "RETURN (SAVE) SEEN", "TEXT hello", "LARGER 100", "HEADER Subject notes",
		"MODSEQ 1", "(((((ALL)))))", "BEFORE 31-Feb-2025", "SENTON 1-Dec-2025", "NOT NOT NOT ALL", "2:* DELETED",
		"CHARSET UTF-8 SUBJECT caf\u00e9", "CHARSET KOI8-R ALL", "OR", "RETURN () $",
	}
)

// command builds one command's text after the tag, from a choice of
// templates that covers every command the server knows.
func (g *fuzzGen) command(p *pieces) {
	uid := ""
	if g.next()%3 == 0 {
		uid = "UID "
	}
	switch g.next() % 32 {
	case 0, 1:
		p.add("LOGIN ")
		g.astring(p, g.pick("alice", "alice", "bob", "mallory"))
		p.add(" ")
		g.astring(p, g.pick("wonderland", "wonderland", "builder", "x"))
	case 2:
		p.add("AUTHENTICATE PLAIN" + g.pick("", " AGFsaWNlAHdvbmRlcmxhbmQ=", " =", " !!!"))
	case 3, 4:
		p.add("SELECT ")
		g.astring(p, g.pick(fuzzMailboxes...))
		p.add(g.pick("", "", " (CONDSTORE)", " (QRESYNC (1 1))", " (BOGUS)"))
	case 5:
		p.add("EXAMINE ")
		g.astring(p, g.pick(fuzzMailboxes...))
	case 6, 7, 8:
		p.add(uid + "FETCH " + g.pick(fuzzSeqs...) + " ")
		if g.next()%8 == 0 {
			// A literal inside a nested list.
			p.add("(UID BODY.PEEK[HEADER.FIELDS (")
			g.astring(p, "DATE")
			p.add(")])")
			break
		}
		p.add(g.pick(fuzzFetchAtts...))
	case 9, 10:
		p.add(uid + "STORE " + g.pick(fuzzSeqs...) + " " + g.pick("", "(UNCHANGEDSINCE 1) ") + g.pick("+FLAGS", "-FLAGS", "FLAGS", "+FLAGS.SILENT", "FLAGS.SILENT", "+X") + " " + g.pick(fuzzFlags...))
	case 11, 12:
		p.add(uid + "SEARCH ")
		p.add(g.pick(fuzzSearch...))
		if g.next()%4 == 0 {
			p.add(" SUBJECT ")
			g.astring(p, g.pick("notes", "안녕", ""))
		}
	case 13:
		p.add(g.pick("EXPUNGE", "UID EXPUNGE "+g.pick(fuzzSeqs...), "CLOSE", "UNSELECT", "CHECK"))
	case 14, 15:
		p.add("APPEND ")
		g.astring(p, g.pick(fuzzMailboxes...))
		p.add(g.pick("", " "+fuzzFlags[0], " (\\Deleted)", ` "17-Jul-1996 02:44:25 -0700"`, ` (\Seen) " 7-Feb-1994 21:52:25 -0800"`, " (\\Recent)"))
		p.add(" ")
		// A message with a header of its own, or all the fuzzer's: the
		// ENVELOPE and BODYSTRUCTURE of any octets must stay parseable.
		var msg []byte
		if g.next()%2 == 0 {
			msg = []byte("Subject: appended\r\n\r\n")
		}
		msg = append(msg, g.take(int(g.next()%128))...)
		switch g.next() % 4 {
		case 0:
			*p = append(*p, piece{literal: msg, isLit: true, sync: true})
		case 1:
			*p = append(*p, piece{literal: msg, isLit: true})
		case 2:
			*p = append(*p, piece{literal: msg, isLit: true, binary: true})
		default:
			// MULTIAPPEND (RFC 3502).
			*p = append(*p, piece{literal: msg, isLit: true, sync: true}, piece{text: " "}, piece{literal: []byte("Subject: two\r\n\r\n"), isLit: true})
		}
	case 16, 17:
		p.add(uid + g.pick("COPY ", "MOVE ") + g.pick(fuzzSeqs...) + " ")
		g.astring(p, g.pick(fuzzMailboxes...))
	case 18:
		p.add(g.pick("CREATE ", "DELETE ", "SUBSCRIBE ", "UNSUBSCRIBE "))
		g.astring(p, g.pick(fuzzMailboxes...))
	case 19:
		p.add("RENAME ")
		g.astring(p, g.pick(fuzzMailboxes...))
		p.add(" ")
		g.astring(p, g.pick(fuzzMailboxes...))
	case 20, 21:
		p.add(g.pick("LIST ", "LSUB ", "LIST (SUBSCRIBED) ", "LIST "))
		g.astring(p, g.pick("", "INBOX", "~smith/Mail/", "#news."))
		p.add(" ")
		g.astring(p, g.pick("*", "%", "INBOX", "Archive/*", "&Jjo", "a%b*"))
		p.add(g.pick("", " RETURN (SUBSCRIBED CHILDREN)", " RETURN (STATUS (MESSAGES UNSEEN))", " RETURN ("))
	case 22:
		p.add("STATUS ")
		g.astring(p, g.pick(fuzzMailboxes...))
		p.add(g.pick(" (UIDNEXT MESSAGES)", " (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ DELETED)", " ()", " (BOGUS)", ""))
	case 23:
		p.add("ENABLE " + g.pick("IMAP4rev2", "UTF8=ACCEPT", "CONDSTORE", "QRESYNC", "X-UNKNOWN", "CONDSTORE QRESYNC"))
	case 24:
		p.add("IDLE")
	case 25:
		p.add(g.pick("NOOP", "CAPABILITY", "NAMESPACE", "CHECK", "STARTTLS", `ID ("name" "fuzz")`, "ID NIL", "ID (", "UID", "UID BOGUS 1"))
	case 26:
		p.add("LOGOUT")
	default:
		// Bad input: arbitrary bytes on one line. A '{' would open a
		// literal that swallows the commands after it, which tests
		// the reader, not the session; FuzzReader in imapwire covers it.
		raw := g.take(int(g.next() % 40))
		p.add(strings.Map(func(r rune) rune {
			switch r {
			case '\r', '\n', '{':
				return '?'
			}
			return r
		}, string(raw)))
	}
}

// segments renders the command: each segment but the last ends with a
// synchronizing literal's announcement, after which a client waits for
// the server's continuation request (RFC 9051 §7.5).
func (p pieces) segments(tag string) [][]byte {
	var segs [][]byte
	cur := []byte(tag + " ")
	for _, pc := range p {
		if !pc.isLit {
			cur = append(cur, pc.text...)
			continue
		}
		if pc.binary {
			cur = append(cur, '~')
		}
		if pc.sync {
			cur = fmt.Appendf(cur, "{%d}\r\n", len(pc.literal))
			segs = append(segs, cur)
			cur = append([]byte(nil), pc.literal...)
			continue
		}
		cur = fmt.Appendf(cur, "{%d+}\r\n", len(pc.literal))
		cur = append(cur, pc.literal...)
	}
	return append(segs, append(cur, "\r\n"...))
}

// response is one response of the server: a line, with the data of its
// literals cut out.
type response string

var literalEnd = regexp.MustCompile(`~?\{(\d+)\}\r\n$`)

// splitResponses splits server output into responses, skipping literal
// data, and reports output that does not end a response.
func splitResponses(out []byte) ([]response, error) {
	var rs []response
	var cur []byte
	for len(out) > 0 {
		i := bytes.Index(out, []byte("\r\n"))
		if i < 0 {
			return rs, fmt.Errorf("output ends inside a line: %q", out)
		}
		line := out[:i+2]
		out = out[i+2:]
		cur = append(cur, line...)
		if m := literalEnd.FindSubmatch(line); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			if n > len(out) {
				return rs, fmt.Errorf("literal of %d octets, %d left", n, len(out))
			}
			out = out[n:]
			continue
		}
		rs = append(rs, response(bytes.TrimSuffix(cur, []byte("\r\n"))))
		cur = nil
	}
	if cur != nil {
		return rs, fmt.Errorf("output ends inside a response: %q", cur)
	}
	return rs, nil
}

var (
	untaggedNum = regexp.MustCompile(`^\* (\d+) (EXISTS|EXPUNGE|FETCH|RECENT)\b`)
	taggedResp  = regexp.MustCompile(`^(\S+) (OK|NO|BAD)\b`)
)

// fetchUID returns the UID item of a FETCH response, found at the top
// level of its list so that a quoted "UID 5" in a subject does not count.
func fetchUID(r response) (uint32, bool) {
	s := string(r)
	i := strings.Index(s, " FETCH (")
	if i < 0 {
		return 0, false
	}
	s = s[i+len(" FETCH ("):]
	depth, atStart := 0, true
	for j := 0; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			for j++; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == ' ':
			atStart = true
			continue
		case depth == 0 && atStart && strings.HasPrefix(s[j:], "UID "):
			end := j + 4
			for end < len(s) && s[end] >= '0' && s[end] <= '9' {
				end++
			}
			n, err := strconv.ParseUint(s[j+4:end], 10, 32)
			return uint32(n), err == nil
		}
		atStart = false
	}
	return 0, false
}

// view is what the client knows of the selected mailbox.
type view struct {
	exists int // -1: not known
}

// checkOutput checks one command's responses against the client's view:
// exactly one tagged response, with the command's tag; EXISTS never below
// the messages in view; EXPUNGE and FETCH inside the view; and UIDs of
// FETCH responses strictly ascending with sequence numbers, within the
// response set.
func checkOutput(t *testing.T, rs []response, tag string, v *view, selected bool) (tagged int) {
	t.Helper()
	type seen struct{ seq, uid uint32 }
	var set []seen
	var lastUID uint32
	for _, r := range rs {
		switch {
		case strings.HasPrefix(string(r), "+"):
		case strings.HasPrefix(string(r), "* "):
			m := untaggedNum.FindStringSubmatch(string(r))
			if strings.HasPrefix(string(r), "* VANISHED ") && !strings.HasPrefix(string(r), "* VANISHED (EARLIER)") && v.exists >= 0 {
				v.exists -= setSize(t, strings.TrimPrefix(string(r), "* VANISHED "))
				set, lastUID = nil, 0
				continue
			}
			if m == nil {
				continue
			}
			n, _ := strconv.Atoi(m[1])
			if !selected && m[2] != "RECENT" {
				t.Fatalf("%q with no mailbox selected", r)
			}
			switch m[2] {
			case "EXISTS":
				if v.exists >= 0 && n < v.exists {
					t.Fatalf("%q after %d EXISTS without EXPUNGE", r, v.exists)
				}
				v.exists = n
			case "EXPUNGE":
				if v.exists >= 0 && (n < 1 || n > v.exists) {
					t.Fatalf("%q with %d messages in view", r, v.exists)
				}
				v.exists--
				// Sequence numbers shift: the UID order starts over.
				set, lastUID = nil, 0
			case "FETCH":
				if v.exists >= 0 && (n < 1 || n > v.exists) {
					t.Fatalf("%q with %d messages in view", r, v.exists)
				}
				uid, ok := fetchUID(r)
				if !ok {
					break
				}
				if uid <= lastUID {
					t.Fatalf("%q: UID %d after UID %d in one response set", r, uid, lastUID)
				}
				lastUID = uid
				for _, s := range set {
					if (s.seq < uint32(n)) != (s.uid < uid) || (s.seq == uint32(n)) != (s.uid == uid) {
						t.Fatalf("%q: message %d has UID %d, message %d has UID %d", r, s.seq, s.uid, n, uid)
					}
				}
				set = append(set, seen{uint32(n), uid})
			}
		default:
			m := taggedResp.FindStringSubmatch(string(r))
			if m == nil {
				t.Fatalf("malformed response %q", r)
			}
			if m[1] != tag {
				t.Fatalf("tagged response %q to command %s", r, tag)
			}
			tagged++
		}
	}
	return tagged
}

// setSize counts the numbers of a sequence set without '*'.
func setSize(t *testing.T, s string) int {
	n := 0
	for _, r := range strings.Split(s, ",") {
		lo, hi, ok := strings.Cut(r, ":")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if ok {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("VANISHED with set %q", s)
		}
		n += max(a, b) - min(a, b) + 1
	}
	return n
}

// FuzzSession drives a session on a small world with commands built from
// the fuzzer's bytes: every command the server knows, valid and not,
// with arguments as atoms, quoted strings and literals (synchronizing,
// non-synchronizing, binary), nested lists, modified UTF-7 and UTF-8
// names, and lines of arbitrary bytes; each command possibly cut in two.
// Whatever the client sends:
//
//   - every command gets exactly one tagged response, with its tag, and
//     every response is well formed (RFC 9051 §2.2.2);
//   - a synchronizing literal gets a continuation request or the command's
//     tagged response (RFC 9051 §7.5);
//   - within a response set, FETCH responses' UIDs strictly ascend, and
//     with the sequence numbers (RFC 9051 §2.3.1.1);
//   - EXISTS never goes below the messages in view, EXPUNGE and FETCH
//     name messages in view, and after each command the view holds as
//     many messages as the store (RFC 9051 §7.5.1, §7.4.1);
//   - no untagged message data when no mailbox is selected.
func FuzzSession(f *testing.F) {
	// Seeds follow the RFC 3501 §8 and RFC 9051 §8 sample sessions:
	// login, select, fetch, store, expunge, logout; then one with
	// literals, IDLE and bad lines.
	login := []byte{1, 1, 0, 0, 0, 0, 0}
	sel := []byte{1, 1, 3, 0, 0, 0}
	logout := []byte{1, 1, 26}
	// The leading 0 asks for no prelude: the seeds log in themselves.
	add := func(cmds [][]byte) { f.Add(append([]byte{0}, bytes.Join(cmds, nil)...)) }
	add([][]byte{login, sel, {1, 1, 6, 2, 1, 3}, {1, 1, 6, 0, 1, 9}, {1, 1, 9, 0, 0, 0, 1}, {1, 1, 13, 0}, logout})
	add([][]byte{{1, 1, 0, 0, 3, 0, 4}, sel, {1, 1, 14, 0, 0, 0, 10, 'H', 'e', 'l', 'l', 'o', '\r', '\n', 'x', 'y', 'z', 0}, {1, 1, 6, 1, 1, 0}, {1, 1, 24, 0}, {1, 1, 16, 1, 5, 2, 0}, {1, 1, 13, 2}, logout})
	add([][]byte{login, {1, 1, 23, 3}, {1, 1, 3, 0, 0, 3}, {1, 0, 9, 3, 1, 1, 1}, {1, 1, 13, 1, 1}, {1, 0, 6, 6, 1, 24}, {1, 1, 11, 5, 1}, {1, 1, 6, 8, 0, 0}})
	add([][]byte{{1, 1, 2, 0}, {1, 1, 2, 1}, {9, 1, 31, 20, 'a', ' ', 'L', 'O', 'G', 'I', 'N', ' ', '"', 'x', ' ', '\x00', '\xff', '(', '(', ')', '*', '%', '&', '~'}, {1, 1, 20, 0, 0, 0, 0, 0, 2}, {1, 1, 19, 0, 2, 0, 3}, {1, 1, 22, 0, 1, 1}, {1, 1, 18, 0, 1, 3}})
	add([][]byte{login, {1, 1, 23, 0}, sel, {1, 1, 12, 0, 16, 0, 2}, {1, 1, 17, 0, 2, 0, 3}, {1, 1, 5, 0, 3}, {1, 1, 13, 3}, logout})

	w, err := world.Parse("fuzz.txtar", []byte(fuzzWorld))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fsys, err := mem.NewFS()
		if err != nil {
			t.Fatal(err)
		}
		st := mailstore.New(fsys, mailstore.Options{})
		if _, err := w.Populate(st); err != nil {
			t.Fatal(err)
		}
		cfg := &imap.Config{Store: st, Users: w.Users, Hostname: "imap.example"}
		s := imap.NewSession(cfg, 1)
		defer s.Abort()
		g := &fuzzGen{b: in}
		v := &view{exists: -1}
		now := testNow
		closed := false
		// The transcript, shown when a check fails.
		var transcript bytes.Buffer
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("transcript:\n%s", transcript.Bytes())
			}
		})
		feed := func(seg []byte, cut byte) []byte {
			fmt.Fprintf(&transcript, "C: %q\n", seg)
			var out []byte
			at := min(int(cut), len(seg))
			for _, part := range [][]byte{seg[:at], seg[at:]} {
				for _, r := range s.Feed(part, now) {
					out = append(out, r.Data...)
					closed = closed || r.Close
				}
			}
			fmt.Fprintf(&transcript, "S: %q\n", out)
			return out
		}
		// Most sessions start logged in, many with INBOX selected, so that
		// the fuzzer's bytes go to the commands of those states.
		prelude := [][]string{nil, {"LOGIN alice wonderland"}, {"LOGIN alice wonderland", "SELECT INBOX"}, {"LOGIN bob builder", "EXAMINE INBOX"}}[g.next()%4]
		for n := 0; (len(g.b) > 0 || n < len(prelude)) && n < 64 && !closed; n++ {
			tag := fmt.Sprintf("t%d", n)
			var p pieces
			cut := byte(0)
			if n < len(prelude) {
				p.add(prelude[n])
			} else {
				cut = g.next()
				g.command(&p)
			}
			selected := s.State() == imap.Selected
			var out []byte
			segs := p.segments(tag)
			for i, seg := range segs {
				got := feed(seg, cut)
				out = append(out, got...)
				if i == len(segs)-1 || closed {
					break
				}
				rs, err := splitResponses(got)
				if err != nil {
					t.Fatalf("%s: %v", tag, err)
				}
				if len(rs) == 0 || !strings.HasPrefix(string(rs[len(rs)-1]), "+") {
					if rs == nil || !taggedResp.MatchString(string(rs[len(rs)-1])) {
						t.Fatalf("%s: %q answered by %q: no continuation request, no tagged response", tag, seg, got)
					}
					break // the literal was refused
				}
			}
			// IDLE waits for DONE and AUTHENTICATE for a response; give
			// them what the fuzzer says, then what ends them.
			for try := 0; !closed && try < 3 && !taggedAnswer(out, tag); try++ {
				line := []string{"DONE", "*", "AGFsaWNlAHdvbmRlcmxhbmQ=", "NOOP"}[g.next()%4]
				if try > 0 {
					line = []string{"DONE", "*"}[try-1]
				}
				out = append(out, feed([]byte(line+"\r\n"), 0)...)
			}
			name := strings.ToUpper(string(p.segments("")[0]))
			isSelect := strings.HasPrefix(name, " SELECT ") || strings.HasPrefix(name, " EXAMINE ")
			if isSelect {
				v.exists = -1 // a new view
			}
			rs, err := splitResponses(out)
			if err != nil {
				t.Fatalf("%s: %v", tag, err)
			}
			if n := checkOutput(t, rs, tag, v, selected || isSelect); n != 1 {
				t.Fatalf("%s %q: %d tagged responses in %q", tag, segs, n, out)
			}
			if s.State() != imap.Selected {
				v.exists = -1 // no view: a failed SELECT deselects too (RFC 9051 §6.3.2)
			}
			if s.State() == imap.Selected && v.exists >= 0 {
				msgs, _, err := st.List(s.User(), s.Mailbox())
				if err != nil {
					t.Fatalf("%s: list %s: %v", tag, s.Mailbox(), err)
				}
				if len(msgs) != v.exists {
					t.Fatalf("%s %q: the client sees %d messages, the store has %d", tag, segs, v.exists, len(msgs))
				}
			}
			now = now.Add(time.Second)
		}
		if closed && s.Feed([]byte("x NOOP\r\n"), now) != nil {
			t.Fatal("a closed session answered")
		}
	})
}

// taggedAnswer reports whether out holds a tagged response for tag.
func taggedAnswer(out []byte, tag string) bool {
	rs, _ := splitResponses(out)
	for _, r := range rs {
		if m := taggedResp.FindStringSubmatch(string(r)); m != nil && m[1] == tag {
			return true
		}
	}
	return false
}
