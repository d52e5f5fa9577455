package pop3

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs/mem"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

// readerWorld is a small maildrop for the command reader's sessions.
const readerWorld = `-- users --
mrose:{PLAIN}tanstaaf
-- mail/mrose/INBOX.mbox --
From dewey@dbc.mtview.ca.us Thu Jan  1 09:00:00 2026
Subject: a tally sheet

1
.2

From dewey@dbc.mtview.ca.us Thu Jan  1 09:00:01 2026
Subject: notes

body
`

// rfcCommands returns the client lines of the RFC 1939 transcripts as one
// command stream each.
func rfcCommands(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.txtar")
	var out [][]byte
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var stream []byte
		for _, f := range a.Files {
			if f.Name != "transcript" {
				continue
			}
			for _, line := range strings.Split(string(f.Data), "\n") {
				if c, ok := strings.CutPrefix(line, "C:"); ok && !strings.Contains(c, "<") {
					stream = append(stream, strings.TrimSpace(c)+"\r\n"...)
				}
			}
		}
		out = append(out, stream)
	}
	if len(out) == 0 {
		tb.Fatal("no RFC 1939 transcripts to seed the fuzzer")
	}
	return out
}

// FuzzCommandReader feeds a command stream to two sessions, one in one
// piece and one cut at the fuzzer's points, and checks the command reader
// (Feed, driver.Lines, parseCommand):
//
//   - both sessions give the same replies: where TCP cuts the stream does
//     not matter (RFC 1939 §3, commands are lines);
//   - every line gets exactly one reply, overlong ones included (RFC 2449
//     §4), until QUIT, STLS or too many failed logins end the input;
//   - every reply is "+OK", "-ERR" or a SASL continuation, ends in CRLF,
//     and an -ERR line carries no other CR or LF, whatever the client's
//     words it echoes.
func FuzzCommandReader(f *testing.F) {
	for _, s := range rfcCommands(f) {
		f.Add(s, []byte{3, 9, 1})
	}
	f.Add([]byte("AUTH PLAIN\r\n"+strings.Repeat("A", 300)+"\r\nUSER mrose\nPASS tanstaaf\nLIST\n"), []byte{200, 0, 255})
	f.Add([]byte(strings.Repeat("x", 300)+"\r\nUSER "+strings.Repeat("m", 41)+"\r\n"+"USER  mrose\r\nuser mrose \r\n"), []byte{250, 7})
	f.Add([]byte("AUTH "+strings.Repeat("B", 9000)+"\r\nNOOP\r\n\x00\xff\r\n"), []byte{255})
	f.Add([]byte("USER mrose\r\nPASS tanstaaf\r\nRETR 1\r\nTOP 2 0\r\nSTLS\r\nQUIT\r\n"), []byte{1})

	w, err := world.Parse("reader.txtar", []byte(readerWorld))
	if err != nil {
		f.Fatal(err)
	}
	newSession := func(t *testing.T) *Session {
		fsys, err := mem.NewFS()
		if err != nil {
			t.Fatal(err)
		}
		st := mailstore.New(fsys, mailstore.Options{})
		if _, err := w.Populate(st); err != nil {
			t.Fatal(err)
		}
		s := NewSession(&Config{Store: st, Users: w.Users, Hostname: "dbc.mtview.ca.us"}, 1, clock.Epoch)
		t.Cleanup(s.Abort)
		return s
	}
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		now := clock.Epoch.Add(time.Second)
		whole := newSession(t).Feed(stream, now)
		split := newSession(t)
		var pieces []Reply
		rest := stream
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(n, int(cuts[i%len(cuts)])+1)
			}
			pieces = append(pieces, split.Feed(rest[:n], now)...)
			rest = rest[n:]
		}
		if len(whole) != len(pieces) {
			t.Fatalf("%d replies in one piece, %d when cut", len(whole), len(pieces))
		}
		ended := false
		for i, r := range whole {
			if !bytes.Equal(r.Data, pieces[i].Data) || r.Close != pieces[i].Close || r.StartTLS != pieces[i].StartTLS {
				t.Fatalf("reply %d: %q in one piece, %q when cut", i, r.Data, pieces[i].Data)
			}
			switch {
			case !bytes.HasSuffix(r.Data, []byte("\r\n")):
				t.Fatalf("reply without CRLF: %q", r.Data)
			case bytes.HasPrefix(r.Data, []byte("-ERR")):
				if bytes.ContainsAny(r.Data[:len(r.Data)-2], "\r\n") {
					t.Fatalf("-ERR reply of several lines: %q", r.Data)
				}
			case !bytes.HasPrefix(r.Data, []byte("+OK")) && !bytes.Equal(r.Data, []byte("+ \r\n")):
				t.Fatalf("malformed reply %q", r.Data)
			}
			ended = ended || r.Close || r.StartTLS
		}
		if lines := bytes.Count(stream, []byte("\n")); !ended && len(whole) != lines {
			t.Fatalf("%d lines, %d replies", lines, len(whole))
		}
	})
}

// FuzzParseCommand checks the line parser alone: a line it takes is an
// upper-case keyword and arguments that rejoin to the line (RFC 1939 §3:
// a keyword, then arguments separated by single spaces), each argument
// within MaxArgLength except AUTH's.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"APOP mrose c4c9334bac560ecc979e58001b3e22fb", "TOP 1 10", "user mrose  ", " USER x", "USER  x", "",
		"AUTH PLAIN " + strings.Repeat("A", 60), "LIST " + strings.Repeat("9", 41), "QUIT\x00", "\u00e9t\u00e9 x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, args, err := parseCommand(line)
		if err != nil {
			if _, ok := err.(replyError); !ok {
				t.Fatalf("error %v (%T) is not a reply", err, err)
			}
			return
		}
		if name == "" || name != strings.ToUpper(name) {
			t.Fatalf("%q: keyword %q", line, name)
		}
		for _, a := range args {
			if a == "" || strings.Contains(a, " ") || (len(a) > MaxArgLength && name != "AUTH") {
				t.Fatalf("%q: argument %q", line, a)
			}
		}
		first, _, _ := strings.Cut(line, " ")
		if joined := strings.Join(append([]string{first}, args...), " "); joined != strings.TrimRight(line, " ") {
			t.Fatalf("%q parses as %q %q, which rejoin as %q", line, name, args, joined)
		}
	})
}
