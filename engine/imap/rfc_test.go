package imap_test

// The example sessions of RFC 3501 §8 and RFC 9051 §8, replayed through
// Feed. Each fixture in testdata/rfc*-s8.txtar is one case:
//
//	comment                 which example, and how it was framed
//	-- users --             name:password lines, as in a world's users file
//	-- mail/U/M/N --        message N of user U's mailbox M (LF line endings,
//	                        delivered with CRLF)
//	-- state --             "flags <set> <flag>...", "internaldate <n>
//	                        <date-time>", "recent-claimed <n>" (messages 1
//	                        to n were seen by an earlier session)
//	-- deviations --        "RFC text => replacement" lines applied to the
//	                        transcript before comparing, each after a
//	                        "#" comment giving its reason
//	-- transcript --        the example in RFC notation: "C: line", "S: line"
//	-- output --            the server's exact output, rewritten by -update
//
// The transcript is the specification and is never rewritten; its S:
// lines are compared with the server's after the normalisation in
// normalise, documented in each fixture's comment. The output section
// pins the exact bytes.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs/mem"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

var updateGolden = flag.Bool("update", false, "rewrite the output sections of testdata/*.txtar")

func TestRFCSessions(t *testing.T) {
	files, err := filepath.Glob("testdata/rfc*-s8.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/rfc*-s8.txtar fixtures")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) { runRFCSession(t, file) })
	}
}

// rfcStep is one client line and the server lines that answer it; the
// first step has no client line: it is the greeting.
type rfcStep struct {
	cmd   string
	lines []string
}

type rfcFixture struct {
	archive    *txtar.Archive
	users      *auth.Users
	mail       map[[2]string][][]byte // (user, mailbox) -> messages in order
	state      []string
	deviations [][2]string
	steps      []rfcStep
	output     string
}

func parseRFCFixture(t *testing.T, file string) *rfcFixture {
	t.Helper()
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f := &rfcFixture{archive: a, users: auth.NewUsers(), mail: map[[2]string][][]byte{}}
	type numbered struct {
		n    int
		data []byte
	}
	mail := map[[2]string][]numbered{}
	var haveTranscript, haveOutput bool
	for _, m := range a.Files {
		data := string(m.Data)
		switch {
		case m.Name == "users":
			for l := range strings.Lines(data) {
				name, pass, ok := strings.Cut(strings.TrimSpace(l), ":")
				p, err := auth.ParsePassword(pass)
				if !ok || err != nil {
					t.Fatalf("users: bad line %q", l)
				}
				if err := f.users.Add(name, p); err != nil {
					t.Fatal(err)
				}
			}
		case strings.HasPrefix(m.Name, "mail/"):
			parts := strings.Split(m.Name, "/")
			n, err := strconv.Atoi(parts[len(parts)-1])
			if len(parts) < 4 || err != nil {
				t.Fatalf("bad member %q, want mail/<user>/<mailbox>/<number>", m.Name)
			}
			key := [2]string{parts[1], strings.Join(parts[2:len(parts)-1], "/")}
			raw := bytes.ReplaceAll(m.Data, []byte("\n"), []byte("\r\n"))
			mail[key] = append(mail[key], numbered{n, raw})
		case m.Name == "state":
			for l := range strings.Lines(data) {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					f.state = append(f.state, l)
				}
			}
		case m.Name == "deviations":
			for l := range strings.Lines(data) {
				l = strings.TrimRight(l, "\n")
				if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
					continue
				}
				old, repl, ok := strings.Cut(l, " =>")
				if !ok {
					t.Fatalf("deviations: line %q lacks \" =>\"", l)
				}
				f.deviations = append(f.deviations, [2]string{old, strings.TrimPrefix(repl, " ")})
			}
		case m.Name == "transcript":
			haveTranscript = true
			f.steps = parseIMAPTranscript(t, data)
		case m.Name == "output":
			haveOutput = true
			f.output = data
		default:
			t.Fatalf("unknown member %q", m.Name)
		}
	}
	if !haveTranscript || !haveOutput && !*updateGolden {
		t.Fatalf("%s needs a transcript and an output section", file)
	}
	for key, msgs := range mail {
		slices.SortFunc(msgs, func(a, b numbered) int { return a.n - b.n })
		for i, m := range msgs {
			if m.n != i+1 {
				t.Fatalf("mail/%s/%s: messages must be numbered 1, 2, ...", key[0], key[1])
			}
			f.mail[key] = append(f.mail[key], m.data)
		}
	}
	return f
}

// parseIMAPTranscript reads RFC notation. An indented line that is not a
// C: or S: line continues the line before: the RFC breaks long lines "for
// editorial clarity". It is joined with one space, or none after "(".
func parseIMAPTranscript(t *testing.T, data string) []rfcStep {
	t.Helper()
	steps := []rfcStep{{}}
	for l := range strings.Lines(data) {
		l = strings.TrimRight(l, "\r\n")
		trimmed := strings.TrimLeft(l, " \t")
		last := &steps[len(steps)-1]
		switch {
		case trimmed == "":
		case strings.HasPrefix(trimmed, "C:"):
			steps = append(steps, rfcStep{cmd: strings.TrimLeft(trimmed[2:], " \t")})
		case strings.HasPrefix(trimmed, "S:"):
			last.lines = append(last.lines, strings.TrimLeft(trimmed[2:], " \t"))
		case l[0] == ' ' || l[0] == '\t':
			if len(last.lines) == 0 {
				t.Fatalf("transcript: continuation %q follows no S: line", l)
			}
			prev := &last.lines[len(last.lines)-1]
			if strings.HasSuffix(*prev, "(") {
				*prev += trimmed
			} else {
				*prev += " " + trimmed
			}
		default:
			t.Fatalf("transcript: line %q is neither C: nor S:", l)
		}
	}
	return steps
}

// newRFCConfig builds the fixture's store.
func newRFCConfig(t *testing.T, f *rfcFixture) *imap.Config {
	t.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	var user, box string
	for key := range f.mail {
		user, box = key[0], key[1]
	}
	if len(f.mail) != 1 {
		t.Fatal("a fixture has one mailbox")
	}
	if err := st.EnsureUser(user); err != nil {
		t.Fatal(err)
	}
	msgs := f.mail[[2]string{user, box}]
	flags := make([][]mailstore.Flag, len(msgs))
	dates := make([]time.Time, len(msgs))
	for i := range dates {
		dates[i] = testNow
	}
	claimed := 0
	for _, l := range f.state {
		w := strings.Fields(l)
		switch {
		case w[0] == "flags" && len(w) >= 3:
			lo, hi, isRange := strings.Cut(w[1], ":")
			if !isRange {
				hi = lo
			}
			from, err1 := strconv.Atoi(lo)
			to, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || from < 1 || to > len(msgs) {
				t.Fatalf("state: bad set in %q", l)
			}
			for n := from; n <= to; n++ {
				for _, fl := range w[2:] {
					flags[n-1] = append(flags[n-1], mailstore.Flag(fl))
				}
			}
		case w[0] == "internaldate" && len(w) == 5:
			n, err := strconv.Atoi(w[1])
			d, err2 := time.Parse(strings.Trim(imapwire.DateTimeLayout, `"`), strings.Join(w[2:], " "))
			if err != nil || err2 != nil || n < 1 || n > len(msgs) {
				t.Fatalf("state: bad line %q: %v", l, err2)
			}
			dates[n-1] = d
		case w[0] == "recent-claimed" && len(w) == 2:
			n, err := strconv.Atoi(w[1])
			if err != nil {
				t.Fatalf("state: bad line %q", l)
			}
			claimed = n
		default:
			t.Fatalf("state: unknown line %q", l)
		}
	}
	var uids []uint32
	for i, m := range msgs {
		uid, err := st.Deliver(user, box, m, flags[i], dates[i])
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, uid)
	}
	if claimed > 0 {
		if _, err := st.ClaimRecent(user, box, uids[claimed-1]); err != nil {
			t.Fatal(err)
		}
	}
	return &imap.Config{Store: st, Users: f.users, Hostname: "imap.example"}
}

func runRFCSession(t *testing.T, file string) {
	f := parseRFCFixture(t, file)
	s := imap.NewSession(newRFCConfig(t, f), 1)
	got := make([]rfcStep, len(f.steps))
	for i, step := range f.steps {
		var out []byte
		if i == 0 {
			out = s.Greeting()
		} else {
			got[i].cmd = step.cmd
			for _, r := range s.Feed([]byte(step.cmd+"\r\n"), testNow) {
				out = append(out, r.Data...)
			}
		}
		if !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("answer to %q does not end in CRLF: %q", step.cmd, out)
		}
		got[i].lines = strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
	}
	if s.State() != imap.Logout {
		t.Errorf("session is in state %v after the transcript, want LOGOUT", s.State())
	}

	want := applyDeviations(f.steps, f.deviations)
	if diff := cmp.Diff(strings.Split(renderIMAPSteps(normalise(want, want)), "\n"), strings.Split(renderIMAPSteps(normalise(got, want)), "\n")); diff != "" {
		t.Errorf("server differs from the RFC, after normalisation (-RFC +server):\n%s", diff)
	}

	output := renderIMAPSteps(got)
	if *updateGolden {
		if output != f.output {
			i := slices.IndexFunc(f.archive.Files, func(m txtar.File) bool { return m.Name == "output" })
			if i < 0 {
				f.archive.Files = append(f.archive.Files, txtar.File{Name: "output"})
				i = len(f.archive.Files) - 1
			}
			f.archive.Files[i].Data = []byte(output)
			if err := os.WriteFile(file, txtar.Format(f.archive), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("updated %s", file)
		}
		return
	}
	if diff := cmp.Diff(strings.Split(f.output, "\n"), strings.Split(output, "\n")); diff != "" {
		saved := filepath.Join(t.ArtifactDir(), filepath.Base(file)+".output")
		if err := os.WriteFile(saved, []byte(output), 0o644); err != nil {
			t.Error(err)
		}
		t.Errorf("output differs from %s (-want +got), saved as %s; run go test -run TestRFCSessions -update if the change is intended:\n%s", file, saved, diff)
	}
}

func applyDeviations(steps []rfcStep, devs [][2]string) []rfcStep {
	out := make([]rfcStep, len(steps))
	for i, s := range steps {
		out[i] = rfcStep{cmd: s.cmd}
		for _, l := range s.lines {
			for _, d := range devs {
				l = strings.ReplaceAll(l, d[0], d[1])
			}
			out[i].lines = append(out[i].lines, l)
		}
	}
	return out
}

var (
	statusLine  = regexp.MustCompile(`^(\S+) (OK|NO|BAD|BYE|PREAUTH)(?: \[([^\]]*)\])?(?: .*)?$`)
	flagList    = regexp.MustCompile(`FLAGS \(([^()]*)\)`)
	listName    = regexp.MustCompile(`^(\* LIST \([^()]*\) (?:"[^"]*"|NIL)) "([^"]*)"$`)
	literalTail = regexp.MustCompile(`\{\d+\+?\}$`)
	internal    = regexp.MustCompile(`INTERNALDATE ("[^"]*")`)
)

// normalise applies the comparison rules of the fixtures' comments to
// steps; rfc is the RFC's side, which decides which optional untagged OK
// responses are compared.
func normalise(steps, rfc []rfcStep) []rfcStep {
	out := make([]rfcStep, len(steps))
	for i, s := range steps {
		out[i] = rfcStep{cmd: s.cmd}
		rfcCodes := map[string]bool{}
		if i < len(rfc) {
			for _, l := range rfc[i].lines {
				if m := statusLine.FindStringSubmatch(l); m != nil && m[1] == "*" {
					rfcCodes[codeName(m[3])] = true
				}
			}
		}
		literal := false
		for _, l := range s.lines {
			if literal {
				out[i].lines = append(out[i].lines, l)
				continue
			}
			if literalTail.MatchString(l) {
				literal = true
			}
			if m := statusLine.FindStringSubmatch(l); m != nil {
				code := m[3]
				name := codeName(code)
				switch {
				case m[1] == "*" && m[2] == "OK" && (name == "UIDNEXT" || name == "PERMANENTFLAGS") && !rfcCodes[name]:
					continue
				case name == "CAPABILITY":
					code = ""
				case name == "UIDVALIDITY":
					code = "UIDVALIDITY <n>"
				}
				l = m[1] + " " + m[2]
				if code != "" {
					l += " [" + code + "]"
				}
			}
			l = flagList.ReplaceAllStringFunc(l, func(fl string) string {
				f := strings.Fields(fl[len("FLAGS (") : len(fl)-1])
				slices.Sort(f)
				return "FLAGS (" + strings.Join(f, " ") + ")"
			})
			l = internal.ReplaceAllStringFunc(l, func(d string) string {
				at, err := time.Parse(imapwire.DateTimeLayout, d[len("INTERNALDATE "):])
				if err != nil {
					return d
				}
				return "INTERNALDATE " + string(imapwire.AppendDateTime(nil, at.UTC()))
			})
			if m := listName.FindStringSubmatch(l); m != nil {
				l = m[1] + " " + m[2]
			}
			out[i].lines = append(out[i].lines, l)
		}
		if !literal && len(out[i].lines) > 1 {
			untagged := out[i].lines[:len(out[i].lines)-1]
			if i == 0 {
				untagged = out[i].lines
			}
			slices.Sort(untagged)
		}
	}
	return out
}

// codeName returns the atom that names a response code.
func codeName(code string) string {
	name, _, _ := strings.Cut(code, " ")
	return name
}

// renderIMAPSteps writes steps in RFC notation.
func renderIMAPSteps(steps []rfcStep) string {
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
