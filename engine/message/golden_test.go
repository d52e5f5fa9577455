package message_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/wirelab/wirelab/engine/message"
	"github.com/wirelab/wirelab/engine/world"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of testdata/golden and testdata/demo")

// A golden case is one txtar file. Its comment says what it covers and
// cites the RFC; a line "option: crlf" in it means the input is converted
// to CRLF line endings (ToCRLF) before parsing, as the RFCs' examples count
// octets with CRLF. Inputs:
//
//	input.eml   the message (absent in testdata/demo, whose messages come
//	            from the demo world)
//	fetch       FETCH items, one a line: BODY[section], BODY[section]<o.c>,
//	            BINARY[part], BINARY.SIZE[part]
//
// Outputs, rewritten by -update:
//
//	envelope       ENVELOPE, pretty-printed IMAP
//	body           BODY (no extension data)
//	bodystructure  BODYSTRUCTURE
//	parts          the MIME tree: offsets, sizes, lines
//	decoded        the envelope decoded for display (RFC 2047)
//	fetch.out      each fetch item and its octets, as "{n}" and the octets
var outputs = []string{"envelope", "body", "bodystructure", "parts", "decoded", "fetch.out"}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden cases in testdata/golden")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input := fileData(a, "input.eml")
			if input == nil {
				t.Fatal("no input.eml")
			}
			if hasOption(a, "crlf") {
				input = message.ToCRLF(input)
			}
			runGolden(t, file, a, input)
		})
	}
}

// TestDemoWorld checks every message of the demo world against
// testdata/demo/<user>-<mailbox>-<n>.txtar. With -update, a missing file is
// created with a fetch list covering each part's MIME header and the start
// of its body.
func TestDemoWorld(t *testing.T) {
	w := world.Demo()
	users := make([]string, 0, len(w.Mailboxes))
	for u := range w.Mailboxes {
		users = append(users, u)
	}
	slices.Sort(users)
	seen := map[string]bool{}
	n := 0
	for _, u := range users {
		for _, mb := range w.Mailboxes[u] {
			for i, m := range mb.Messages {
				n++
				name := fmt.Sprintf("%s-%s-%d", u, strings.ReplaceAll(mb.Name, "/", "_"), i+1)
				file := filepath.Join("testdata", "demo", name+".txtar")
				seen[file] = true
				t.Run(name, func(t *testing.T) {
					a, err := txtar.ParseFile(file)
					if err != nil {
						if !*update {
							t.Fatalf("%v (run with -update to create it)", err)
						}
						a = &txtar.Archive{Comment: []byte(fmt.Sprintf("Demo world message %s %s #%d (engine/world/demo.txtar).\n", u, mb.Name, i+1))}
						a.Files = append(a.Files, txtar.File{Name: "fetch", Data: defaultFetch(t, m.Raw)})
					}
					runGolden(t, file, a, m.Raw)
				})
			}
		}
	}
	if n == 0 {
		t.Fatal("the demo world has no messages")
	}
	stale, _ := filepath.Glob("testdata/demo/*.txtar")
	for _, f := range stale {
		if !seen[f] {
			t.Errorf("%s matches no demo world message", f)
		}
	}
}

func defaultFetch(t *testing.T, raw []byte) []byte {
	p, err := message.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("BODY[HEADER.FIELDS (From To Subject)]\nBODY[TEXT]<0.120>\n")
	p.Walk(func(path []int, q *message.Part) bool {
		if len(path) == 0 {
			return true
		}
		s := message.Section{Part: path}.String()
		fmt.Fprintf(&b, "BODY[%s.MIME]\nBODY[%s]<0.120>\n", s, s)
		return true
	})
	return []byte(b.String())
}

func fileData(a *txtar.Archive, name string) []byte {
	for _, f := range a.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

func hasOption(a *txtar.Archive, opt string) bool {
	for _, line := range strings.Split(string(a.Comment), "\n") {
		if strings.TrimSpace(line) == "option: "+opt {
			return true
		}
	}
	return false
}

// runGolden computes the outputs for input and compares them with those in
// a (or, with -update, writes them to file).
func runGolden(t *testing.T, file string, a *txtar.Archive, input []byte) {
	t.Helper()
	p, err := message.Parse(input)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"envelope":      pretty(p.Envelope().IMAP(), 0) + "\n",
		"body":          pretty(p.BodyStructure().IMAP(false), 0) + "\n",
		"bodystructure": pretty(p.BodyStructure().IMAP(true), 0) + "\n",
		"parts":         partsText(p),
		"decoded":       decodedText(p.Envelope()),
	}
	if f := fileData(a, "fetch"); f != nil {
		got["fetch.out"] = fetchText(t, p, string(f))
	}

	if *update {
		var files []txtar.File
		for _, f := range a.Files {
			if !slices.Contains(outputs, f.Name) {
				files = append(files, f) // inputs stay as they are
			}
		}
		for _, name := range outputs {
			if out, ok := got[name]; ok {
				files = append(files, txtar.File{Name: name, Data: []byte(out)})
			}
		}
		a.Files = files
		if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, txtar.Format(a), 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	failed := false
	for _, name := range outputs {
		out, ok := got[name]
		if !ok {
			continue
		}
		want := fileData(a, name)
		if want == nil {
			t.Errorf("%s: no %q section (run with -update)", file, name)
			failed = true
			continue
		}
		if diff := cmp.Diff(string(want), out); diff != "" {
			t.Errorf("%s: %s mismatch (-want +got):\n%s", file, name, diff)
			failed = true
		}
	}
	if failed {
		dir := t.ArtifactDir()
		for name, out := range got {
			os.WriteFile(filepath.Join(dir, name), []byte(out), 0o666)
		}
		t.Logf("actual outputs saved in %s", dir)
	}
}

// pretty renders v as IMAP text. A list that does not fit in the line is
// filled: its elements follow each other on a line, indented under the
// opening parenthesis, and a new line starts where the next one would not
// fit or where an element spans lines.
func pretty(v message.Value, indent int) string {
	const width = 78
	one := oneLine(v)
	l, isList := v.(message.List)
	if !isList || indent+len(one) <= width || len(l) == 0 {
		return one
	}
	var b strings.Builder
	b.WriteByte('(')
	col := indent + 1
	for i, e := range l {
		s := pretty(e, col)
		if i > 0 {
			if strings.Contains(s, "\n") || col+1+len(s) > width {
				b.WriteString("\n" + strings.Repeat(" ", indent+1))
				col = indent + 1
				s = pretty(e, col)
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(s)
		if j := strings.LastIndexByte(s, '\n'); j >= 0 {
			col = len(s) - j - 1
		} else {
			col += len(s)
		}
	}
	b.WriteByte(')')
	return b.String()
}

func oneLine(v message.Value) string {
	s := message.List{v}.String()
	return s[1 : len(s)-1]
}

func partsText(p *message.Part) string {
	var b strings.Builder
	var walk func(q *message.Part, path string, depth int, what string)
	walk = func(q *message.Part, path string, depth int, what string) {
		fmt.Fprintf(&b, "%s%s %s %s header=%d..%d body=%d..%d size=%d lines=%d",
			strings.Repeat("  ", depth), path, what, q.ContentType, q.HeaderStart, q.BodyStart, q.BodyStart, q.End, q.Size(), q.Lines())
		if q.Encoding != "7bit" {
			fmt.Fprintf(&b, " encoding=%s", q.Encoding)
		}
		if q.Opaque {
			b.WriteString(" opaque")
		}
		b.WriteByte('\n')
		if q.Message != nil {
			walk(q.Message, path, depth+1, "message")
		}
		for i, c := range q.Parts {
			cp := strconv.Itoa(i + 1)
			if path != "" && path != "-" {
				cp = path + "." + cp
			}
			walk(c, cp, depth+1, "part")
		}
	}
	walk(p, "-", 0, "message")
	return b.String()
}

func decodedText(e *message.Envelope) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: %s\n", e.DecodedSubject())
	for _, f := range []struct {
		name  string
		addrs []message.Address
	}{{"From", e.From}, {"Sender", e.Sender}, {"Reply-To", e.ReplyTo}, {"To", e.To}, {"Cc", e.Cc}, {"Bcc", e.Bcc}} {
		if len(f.addrs) == 0 {
			continue
		}
		// Written as RFC 5322 writes them: "group: a, b;".
		var s strings.Builder
		for i, a := range f.addrs {
			if i > 0 && !a.IsGroupEnd() && !f.addrs[i-1].IsGroupStart() {
				s.WriteString(", ")
			} else if i > 0 && !a.IsGroupEnd() {
				s.WriteString(" ")
			}
			s.WriteString(a.String())
		}
		fmt.Fprintf(&b, "%s: %s\n", f.name, s.String())
	}
	if t, err := message.ParseDate(e.Date); err == nil {
		fmt.Fprintf(&b, "Date: %s\n", t.Format("2006-01-02 15:04:05 -0700"))
	} else if e.Date != "" {
		fmt.Fprintf(&b, "Date: %v\n", err)
	}
	return b.String()
}

// fetchText runs each fetch item of list against p.
func fetchText(t *testing.T, p *message.Part, list string) string {
	var b strings.Builder
	for _, item := range strings.Split(strings.TrimSpace(list), "\n") {
		item = strings.TrimSpace(item)
		if item == "" || strings.HasPrefix(item, "#") {
			continue
		}
		kind, rest, ok := strings.Cut(item, "[")
		spec, partial, ok2 := strings.Cut(rest, "]")
		if !ok || !ok2 {
			t.Fatalf("bad fetch item %q", item)
		}
		sec, err := message.ParseSection(spec)
		if err != nil {
			t.Fatalf("fetch item %q: %v", item, err)
		}
		var data []byte
		switch kind {
		case "BODY":
			var found bool
			data, found = p.Section(sec)
			if !found {
				fmt.Fprintf(&b, "%s NOT FOUND\n", item)
				continue
			}
		case "BINARY", "BINARY.SIZE":
			if sec.Specifier != message.SpecifierNone {
				t.Fatalf("fetch item %q: BINARY takes part numbers only", item)
			}
			data, err = p.Binary(sec.Part)
			if err != nil {
				fmt.Fprintf(&b, "%s error: %v\n", item, err)
				continue
			}
			if kind == "BINARY.SIZE" {
				fmt.Fprintf(&b, "%s %d\n", item, len(data))
				continue
			}
		default:
			t.Fatalf("bad fetch item %q", item)
		}
		if partial != "" {
			o, c, ok := strings.Cut(strings.Trim(partial, "<>"), ".")
			origin, err1 := strconv.ParseInt(o, 10, 64)
			count, err2 := strconv.ParseInt(c, 10, 64)
			if !ok || err1 != nil || err2 != nil {
				t.Fatalf("bad partial in %q", item)
			}
			data = message.Partial(data, origin, count)
		}
		if printable(data) {
			fmt.Fprintf(&b, "%s {%d}\n%s\n", item, len(data), data)
		} else {
			fmt.Fprintf(&b, "%s {%d} quoted\n%s\n", item, len(data), strconv.Quote(string(data)))
		}
	}
	return b.String()
}

// printable reports whether data can go into a golden file as it is:
// UTF-8 text without control characters other than LF and tab.
func printable(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		if c < ' ' && c != '\n' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// TestLineEndings parses every golden input with LF and with CRLF line
// endings: the trees must be the same but for the offsets, the sizes must
// be those of each input's own octets, and each section of the LF parse,
// converted with ToCRLF, must equal the CRLF parse's.
func TestLineEndings(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden cases")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lf := fileData(a, "input.eml")
			if bytes.Contains(lf, []byte("\r")) {
				t.Skip("input has CR octets of its own")
			}
			crlf := message.ToCRLF(lf)
			plf, _ := message.Parse(lf)
			pcr, _ := message.Parse(crlf)
			if diff := cmp.Diff(shape(plf), shape(pcr), cmp.AllowUnexported(message.Param{})); diff != "" {
				t.Fatalf("LF and CRLF trees differ (-lf +crlf):\n%s", diff)
			}
			plf.Walk(func(path []int, q *message.Part) bool {
				if q.Size() != int64(len(q.Body())) || q.Size() < 0 {
					t.Errorf("part %v: Size %d, body %d octets", path, q.Size(), len(q.Body()))
				}
				return true
			})
			if got, want := message.CRLFLen(lf), int64(len(crlf)); got != want {
				t.Errorf("CRLFLen = %d, want %d", got, want)
			}
			for _, spec := range allSections(plf) {
				a, okA := plf.Section(spec)
				b, okB := pcr.Section(spec)
				if okA != okB || !bytes.Equal(message.ToCRLF(a), b) {
					t.Errorf("BODY[%s]: LF parse gives %q (ToCRLF), CRLF parse gives %q", spec, message.ToCRLF(a), b)
				}
			}
		})
	}
}

// shape is a Part tree without offsets and sizes.
type shapeNode struct {
	Type     string
	Params   []message.Param
	Encoding string
	Lines    int64
	Opaque   bool
	Fields   []string
	Message  *shapeNode
	Parts    []*shapeNode
	Envelope *message.Envelope
}

func shape(p *message.Part) *shapeNode {
	n := &shapeNode{Type: p.ContentType.String(), Params: p.ContentType.Params, Encoding: p.Encoding, Lines: p.Lines(), Opaque: p.Opaque, Envelope: p.Envelope()}
	for _, f := range p.Header.Fields {
		n.Fields = append(n.Fields, f.Name+": "+f.Value())
	}
	if p.Message != nil {
		n.Message = shape(p.Message)
	}
	for _, c := range p.Parts {
		n.Parts = append(n.Parts, shape(c))
	}
	return n
}

// allSections lists every section spec of p's parts.
func allSections(p *message.Part) []message.Section {
	secs := []message.Section{{}, {Specifier: message.SpecifierHeader}, {Specifier: message.SpecifierText},
		{Specifier: message.SpecifierHeaderFields, Fields: []string{"From", "Content-Type"}},
		{Specifier: message.SpecifierHeaderFieldsNot, Fields: []string{"From", "Content-Type"}}}
	p.Walk(func(path []int, q *message.Part) bool {
		if len(path) == 0 {
			path = []int{1}
		}
		path = slices.Clone(path)
		for _, sp := range []message.Specifier{message.SpecifierNone, message.SpecifierMIME, message.SpecifierHeader, message.SpecifierText} {
			secs = append(secs, message.Section{Part: path, Specifier: sp})
		}
		return true
	})
	return secs
}
