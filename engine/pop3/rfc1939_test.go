package pop3_test

// The RFC 1939 example sessions, replayed through Serve. Each fixture in
// testdata/rfc1939-*.txtar is one case:
//
//	comment          which example, and how it was framed into a session
//	-- users --      name:password lines, as in a world's users file
//	-- mail/U/N --   message N of user U's maildrop (LF line endings)
//	-- locked --     optional: users whose maildrop another session holds
//	-- transcript -- the example in RFC notation: "C: line", "S: line"
//	-- output --     the server's exact output, rewritten by -update
//
// The transcript is the specification and is never rewritten; its S: lines
// are compared with the server's after the normalisation described in each
// fixture's comment (see normalise). The output section pins the exact
// bytes, so that any change to the server's wording shows up in review.

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/pop3"
)

var updateGolden = flag.Bool("update", false, "rewrite the output sections of testdata/*.txtar")

// The RFC's examples were made by session 1896 on dbc.mtview.ca.us at
// 697170952 (RFC 1939 §7). Running the server so makes its greeting carry
// the same timestamp, and the RFC's APOP digest valid.
const (
	rfcSessionID = 1896
	rfcHost      = "dbc.mtview.ca.us"
)

var rfcStart = time.Unix(0, 697170952).UTC()

func TestRFC1939(t *testing.T) {
	files, err := filepath.Glob("testdata/rfc1939-*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/rfc1939-*.txtar fixtures")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { runRFCFixture(t, file) })
		})
	}
}

// rfcCase is a parsed fixture.
type rfcCase struct {
	archive *txtar.Archive
	users   map[string]string
	mail    map[string][]string // user -> messages in order
	locked  []string
	steps   []rfcStep
	output  string
}

// rfcStep is one client line and the server lines that answer it. The
// first step has no client line: it is the greeting.
type rfcStep struct {
	cmd   string
	lines []string
	close bool // the client closes the connection after this step
}

func parseRFCCase(t *testing.T, file string) *rfcCase {
	t.Helper()
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := &rfcCase{archive: a, users: map[string]string{}, mail: map[string][]string{}}
	type numbered struct {
		n    int
		data string
	}
	mail := map[string][]numbered{}
	var haveTranscript, haveOutput bool
	for _, f := range a.Files {
		data := string(f.Data)
		switch {
		case f.Name == "users":
			for l := range strings.Lines(data) {
				name, pass, ok := strings.Cut(strings.TrimSpace(l), ":")
				if !ok {
					t.Fatalf("users: bad line %q", l)
				}
				c.users[name] = pass
			}
		case strings.HasPrefix(f.Name, "mail/"):
			user, num, ok := strings.Cut(strings.TrimPrefix(f.Name, "mail/"), "/")
			n, err := strconv.Atoi(num)
			if !ok || err != nil {
				t.Fatalf("bad member %q, want mail/<user>/<number>", f.Name)
			}
			mail[user] = append(mail[user], numbered{n, data})
		case f.Name == "locked":
			c.locked = strings.Fields(data)
		case f.Name == "transcript":
			haveTranscript = true
			c.steps = parseTranscript(t, data)
		case f.Name == "output":
			haveOutput = true
			c.output = data
		default:
			t.Fatalf("unknown member %q", f.Name)
		}
	}
	if !haveTranscript || !haveOutput && !*updateGolden {
		t.Fatalf("%s needs a transcript and an output section", file)
	}
	for user, msgs := range mail {
		slices.SortFunc(msgs, func(a, b numbered) int { return a.n - b.n })
		for i, m := range msgs {
			if m.n != i+1 {
				t.Fatalf("mail/%s: messages must be numbered 1, 2, ...", user)
			}
			c.mail[user] = append(c.mail[user], m.data)
		}
	}
	return c
}

// parseTranscript reads RFC notation. Spaces after "C:" and "S:" only align
// the text; a line that starts with a space continues the line before (as
// the RFC wraps a long placeholder).
func parseTranscript(t *testing.T, data string) []rfcStep {
	t.Helper()
	steps := []rfcStep{{}}
	last := func() *rfcStep { return &steps[len(steps)-1] }
	for l := range strings.Lines(data) {
		l = strings.TrimRight(l, "\r\n")
		switch {
		case strings.TrimSpace(l) == "":
		case l[0] == ' ' || l[0] == '\t':
			s := last()
			if len(s.lines) == 0 {
				t.Fatalf("transcript: continuation %q follows no S: line", l)
			}
			s.lines[len(s.lines)-1] += " " + strings.TrimSpace(l)
		case strings.HasPrefix(l, "C:"):
			text := strings.TrimLeft(l[2:], " \t")
			switch {
			case text == "<open connection>":
			case text == "<close connection>":
				last().close = true
			case strings.HasPrefix(text, "<"):
				t.Fatalf("transcript: unknown client event %q", l)
			default:
				steps = append(steps, rfcStep{cmd: text})
			}
		case strings.HasPrefix(l, "S:"):
			text := strings.TrimLeft(l[2:], " \t")
			if strings.HasPrefix(text, "<wait for ") {
				continue
			}
			last().lines = append(last().lines, text)
		default:
			t.Fatalf("transcript: line %q is neither C: nor S:", l)
		}
	}
	return steps
}

func runRFCFixture(t *testing.T, file string) {
	tc := parseRFCCase(t, file)
	e := newEnv(t, tc.users)
	for user, msgs := range tc.mail {
		e.deliver(t, user, msgs...)
	}
	for _, user := range tc.locked {
		unlock, err := e.store.LockMaildrop(user)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
	}
	e.cfg.Hostname = rfcHost
	c := e.dial(t, t.Context(), pop3.ServeOptions{ID: rfcSessionID, Clock: clock.NewVirtual(rfcStart)})

	// Replay: send each C: line, read one response, multi-line where the
	// command's +OK is (RFC 1939 §3).
	got := make([]rfcStep, len(tc.steps))
	closed := false
	for i, step := range tc.steps {
		got[i].cmd = step.cmd
		if i > 0 {
			if closed {
				t.Fatalf("transcript goes on after the connection closed: C: %s", step.cmd)
			}
			c.send(step.cmd)
		}
		got[i].lines = readResponse(t, c, step.cmd)
		if strings.EqualFold(step.cmd, "QUIT") {
			if rest := c.rest(); rest != "" {
				t.Errorf("after QUIT the server sent %q", rest)
			}
			closed = true
		}
		if step.close && !closed {
			c.conn.Close()
			closed = true
		}
	}
	if !closed {
		c.conn.Close()
	}
	if res := c.wait(); res.err != nil {
		t.Errorf("Serve: %v", res.err)
	}

	// The RFC's S: lines, normalised, against the server's.
	if len(tc.mail) > 1 {
		t.Fatal("a fixture has one maildrop")
	}
	user := ""
	for u := range tc.mail {
		user = u
	}
	want := normaliseSteps(t, expandPlaceholders(t, tc.steps, tc.mail[user]))
	if diff := cmp.Diff(strings.Split(renderSteps(want), "\n"), strings.Split(renderSteps(normaliseSteps(t, got)), "\n")); diff != "" {
		t.Errorf("server differs from the RFC, after normalisation (-RFC +server):\n%s", diff)
	}

	// The exact output.
	output := renderSteps(got)
	if *updateGolden {
		if output != tc.output {
			for i := range tc.archive.Files {
				if tc.archive.Files[i].Name == "output" {
					tc.archive.Files[i].Data = []byte(output)
				}
			}
			if !slices.ContainsFunc(tc.archive.Files, func(f txtar.File) bool { return f.Name == "output" }) {
				tc.archive.Files = append(tc.archive.Files, txtar.File{Name: "output", Data: []byte(output)})
			}
			if err := os.WriteFile(file, txtar.Format(tc.archive), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("updated %s", file)
		}
		return
	}
	if diff := cmp.Diff(strings.Split(tc.output, "\n"), strings.Split(output, "\n")); diff != "" {
		saved := filepath.Join(t.ArtifactDir(), filepath.Base(file)+".output")
		if err := os.WriteFile(saved, []byte(output), 0o644); err != nil {
			t.Error(err)
		}
		t.Errorf("output differs from %s (-want +got), saved as %s; run go test -run TestRFC1939 -update if the change is intended:\n%s", file, saved, diff)
	}
}

// readResponse reads the answer to cmd ("" for the greeting): one line, or
// a multi-line response if cmd has one and it succeeded. Lines are
// returned without their CRLF.
func readResponse(t *testing.T, c *client, cmd string) []string {
	t.Helper()
	var out []string
	read := func() string {
		l := c.line()
		if !strings.HasSuffix(l, "\r\n") {
			t.Errorf("line %q does not end in CRLF", l)
		}
		return strings.TrimSuffix(l, "\r\n")
	}
	first := read()
	out = append(out, first)
	if !strings.HasPrefix(first, "+OK") || !isMultiLine(cmd) {
		return out
	}
	for {
		l := read()
		out = append(out, l)
		if l == "." {
			return out
		}
	}
}

// isMultiLine reports whether a successful answer to cmd is multi-line
// (RFC 1939 §5, §7, RFC 2449 §5, and AUTH without a mechanism).
func isMultiLine(cmd string) bool {
	name, args := command(cmd)
	switch name {
	case "RETR", "TOP", "CAPA":
		return true
	case "LIST", "UIDL", "AUTH":
		return len(args) == 0
	}
	return false
}

func command(cmd string) (string, []string) {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return "", nil
	}
	return strings.ToUpper(f[0]), f[1:]
}

// expandPlaceholders replaces "<the POP3 server sends ...>" by what the
// step's command asks for, computed from the fixture's maildrop: the whole
// message for RETR, the header, blank line and first n body lines for TOP
// (RFC 1939 §7), byte-stuffed.
func expandPlaceholders(t *testing.T, steps []rfcStep, maildrop []string) []rfcStep {
	t.Helper()
	out := make([]rfcStep, len(steps))
	for i, s := range steps {
		out[i] = rfcStep{cmd: s.cmd, close: s.close}
		for _, l := range s.lines {
			if !strings.HasPrefix(l, "<") || !strings.HasSuffix(l, ">") || i == 0 {
				out[i].lines = append(out[i].lines, l)
				continue
			}
			name, args := command(s.cmd)
			var n, top int
			var err error
			switch {
			case name == "RETR" && len(args) == 1:
				n, err = strconv.Atoi(args[0])
				top = -1
			case name == "TOP" && len(args) == 2:
				n, err = strconv.Atoi(args[0])
				if err == nil {
					top, err = strconv.Atoi(args[1])
				}
			default:
				t.Fatalf("placeholder %q answers %q, not RETR or TOP", l, s.cmd)
			}
			if err != nil || n < 1 || n > len(maildrop) {
				t.Fatalf("placeholder %q: the maildrop has no message for %q", l, s.cmd)
			}
			for _, ml := range messageLines(maildrop[n-1], top) {
				if strings.HasPrefix(ml, ".") {
					ml = "." + ml
				}
				out[i].lines = append(out[i].lines, ml)
			}
		}
	}
	return out
}

// messageLines splits a message into lines. With top >= 0 it keeps the
// header, the blank line and top lines of the body.
func messageLines(msg string, top int) []string {
	ls := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
	if top < 0 {
		return ls
	}
	blank := slices.Index(ls, "")
	if blank < 0 {
		return ls
	}
	return ls[:min(len(ls), blank+1+top)]
}

// normaliseSteps applies the comparison rules of the fixtures:
//
//   - "+OK" lines keep their status indicator, and in order their numbers
//     and <...> timestamps; other words are implementation text;
//   - "-ERR" lines keep their status indicator only;
//   - unique-ids in UIDL answers are checked (1 to 70 characters in
//     0x21-0x7E, RFC 1939 §7) and replaced by "<unique-id>";
//   - other lines stay as they are.
func normaliseSteps(t *testing.T, steps []rfcStep) []rfcStep {
	t.Helper()
	out := make([]rfcStep, len(steps))
	for i, s := range steps {
		name, _ := command(s.cmd)
		out[i] = rfcStep{cmd: s.cmd}
		for j, l := range s.lines {
			switch {
			case j == 0 && strings.HasPrefix(l, "-ERR"):
				l = "-ERR"
			case j == 0 && strings.HasPrefix(l, "+OK"):
				words := strings.Fields(l[len("+OK"):])
				if name == "UIDL" && len(words) == 2 {
					words[1] = uniqueID(t, words[1])
				}
				kept := []string{"+OK"}
				for _, w := range words {
					w = strings.Trim(w, "(),.")
					if _, err := strconv.ParseUint(w, 10, 64); err == nil || w == "<unique-id>" || strings.HasPrefix(w, "<") && strings.HasSuffix(w, ">") {
						kept = append(kept, w)
					}
				}
				l = strings.Join(kept, " ")
			case j > 0 && name == "UIDL" && l != ".":
				if n, id, ok := strings.Cut(l, " "); ok {
					l = n + " " + uniqueID(t, id)
				}
			}
			out[i].lines = append(out[i].lines, l)
		}
	}
	return out
}

func uniqueID(t *testing.T, id string) string {
	t.Helper()
	if len(id) < 1 || len(id) > 70 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		t.Errorf("%q is not a unique-id (RFC 1939 §7)", id)
		return id
	}
	return "<unique-id>"
}

// renderSteps writes steps in RFC notation.
func renderSteps(steps []rfcStep) string {
	var b strings.Builder
	for _, s := range steps {
		if s.cmd != "" {
			fmt.Fprintf(&b, "C: %s\n", s.cmd)
		}
		for _, l := range s.lines {
			if l == "" {
				b.WriteString("S:\n")
			} else {
				fmt.Fprintf(&b, "S: %s\n", l)
			}
		}
	}
	return b.String()
}
