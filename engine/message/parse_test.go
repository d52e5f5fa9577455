package message

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// span is a part's location, for compact expectations.
type span struct {
	HeaderStart, BodyStart, End int
	Type                        string
	Parts                       []span
	Message                     *span
	Opaque                      bool
}

func spanOf(p *Part) span {
	s := span{HeaderStart: p.HeaderStart, BodyStart: p.BodyStart, End: p.End, Type: p.ContentType.String(), Opaque: p.Opaque}
	for _, c := range p.Parts {
		s.Parts = append(s.Parts, spanOf(c))
	}
	if p.Message != nil {
		m := spanOf(p.Message)
		s.Message = &m
	}
	return s
}

func mustParse(t testing.TB, raw string) *Part {
	t.Helper()
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseSpans(t *testing.T) {
	const mp = "Content-Type: multipart/mixed; boundary=b\n\n"
	tests := []struct {
		name string
		raw  string
		want span
	}{
		{"empty message", "", span{0, 0, 0, "text/plain", nil, nil, false}},
		{"only a blank line", "\n", span{0, 1, 1, "text/plain", nil, nil, false}},
		{"header and body", "A: b\n\nbody\n", span{0, 6, 11, "text/plain", nil, nil, false}},
		{"CRLF", "A: b\r\n\r\nbody\r\n", span{0, 8, 14, "text/plain", nil, nil, false}},
		{"no blank line", "A: b\nC: d", span{0, 9, 9, "text/plain", nil, nil, false}},
		{"body starts with a blank line", "A: b\n\n\nx", span{0, 6, 8, "text/plain", nil, nil, false}},
		{
			// RFC 2046 §5.1.1: the line break before a delimiter is
			// part of the delimiter.
			"multipart, LF",
			mp + "--b\n\none\n--b\n\ntwo\n--b--\n",
			span{0, 43, 67, "multipart/mixed", []span{
				{47, 48, 51, "text/plain", nil, nil, false},
				{56, 57, 60, "text/plain", nil, nil, false},
			}, nil, false},
		},
		{
			"multipart, CRLF",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n",
			span{0, 45, 64, "multipart/mixed", []span{{50, 52, 55, "text/plain", nil, nil, false}}, nil, false},
		},
		{
			"preamble, padding, epilogue",
			mp + "pre\n--b \t\nX: y\n\none\n--b-- \nepi\n",
			span{0, 43, 74, "multipart/mixed", []span{{53, 59, 62, "text/plain", nil, nil, false}}, nil, false},
		},
		{
			"empty part between delimiters",
			mp + "--b\n--b\n\nx\n--b--",
			span{0, 43, 59, "multipart/mixed", []span{
				{47, 47, 47, "text/plain", nil, nil, false},
				{51, 52, 53, "text/plain", nil, nil, false},
			}, nil, false},
		},
		{
			"delimiter at the very end, no line break",
			mp + "--b\n\none\n--b",
			span{0, 43, 55, "multipart/mixed", []span{
				{47, 48, 51, "text/plain", nil, nil, false},
				{55, 55, 55, "text/plain", nil, nil, false},
			}, nil, false},
		},
		{
			"boundary that only starts a line is not a delimiter",
			mp + "--b\n\none\n--bc\n--b--\n",
			span{0, 43, 63, "multipart/mixed", []span{{47, 48, 56, "text/plain", nil, nil, false}}, nil, false},
		},
		{
			"delimiter not at the start of a line",
			mp + "--b\n\none --b\n--b--\n",
			span{0, 43, 62, "multipart/mixed", []span{{47, 48, 55, "text/plain", nil, nil, false}}, nil, false},
		},
		{
			"message/rfc822",
			"Content-Type: message/rfc822\n\nSubject: in\n\nhi\n",
			span{0, 30, 46, "message/rfc822", nil, &span{30, 43, 46, "text/plain", nil, nil, false}, false},
		},
		{
			"message/global",
			"Content-Type: message/global\n\nSubject: in\n\nhi\n",
			span{0, 30, 46, "message/global", nil, &span{30, 43, 46, "text/plain", nil, nil, false}, false},
		},
		{
			"encoded message/rfc822 is opaque",
			"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDog\n",
			span{0, 64, 77, "message/rfc822", nil, nil, true},
		},
		{
			"multipart without delimiters is opaque",
			mp + "just text\n",
			span{0, 43, 53, "multipart/mixed", nil, nil, true},
		},
		{
			"multipart without boundary is text/plain",
			"Content-Type: multipart/mixed\n\n--b\n",
			span{0, 31, 35, "text/plain", nil, nil, false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.raw)
			if diff := cmp.Diff(tc.want, spanOf(p)); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	raw := "Subject: one\n two\n\tthree\nX-Empty:\nnot a field\nBad Name: x\nTo : someone\n\nbody"
	p := mustParse(t, raw)
	type field struct{ Name, Raw, Value string }
	var got []field
	for _, f := range p.Header.Fields {
		got = append(got, field{f.Name, string(f.Raw), f.Value()})
	}
	want := []field{
		{"Subject", "Subject: one\n two\n\tthree\n", "one two\tthree"},
		{"X-Empty", "X-Empty:\n", ""},
		{"", "not a field\n", ""},
		{"", "Bad Name: x\n", ""},
		{"To", "To : someone\n", "someone"}, // obs-optional, RFC 5322 §4.5
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got := p.Header.Get("subject"); got != "one two\tthree" {
		t.Errorf("Get(subject) = %q", got)
	}
	if !p.Header.Has("X-EMPTY") || p.Header.Has("Bad Name") || p.Header.Has("") {
		t.Error("Has gives wrong answers")
	}
	if got := p.Header.Values("to"); !cmp.Equal(got, []string{"someone"}) {
		t.Errorf("Values(to) = %q", got)
	}
	// A continuation line with no field before it is a nameless line.
	p = mustParse(t, " leading\nA: b\n\n")
	if n := p.Header.Fields[0].Name; n != "" || len(p.Header.Fields) != 2 {
		t.Errorf("leading continuation: fields %+v", p.Header.Fields)
	}
}

func TestParseMIMEFields(t *testing.T) {
	raw := "Content-Type: Text/HTML; Charset=\"UTF-8\"\n" +
		"content-transfer-encoding: Quoted-Printable (comment)\n" +
		"Content-ID:  <id@x>  \n" +
		"Content-Description: =?UTF-8?Q?a?=\n" +
		"Content-Disposition: Attachment; Filename=a.html\n" +
		"Content-Language: en, de\n" +
		"Content-Location: http://x/\n" +
		"Content-MD5: abc=\n" +
		"Content-Type: text/plain\n" + // a second one is ignored
		"\n"
	p := mustParse(t, raw)
	got := struct {
		Type, Encoding, ID, Desc, Loc, MD5, Charset string
		Disposition                                 *Disposition
		Language                                    []string
	}{p.ContentType.String(), p.Encoding, p.ID, p.Description, p.Location, p.MD5, p.ContentType.Param("CHARSET"), p.Disposition, p.Language}
	want := got
	want.Type, want.Encoding, want.ID, want.Desc, want.Loc, want.MD5, want.Charset = "text/html", "quoted-printable", "<id@x>", "=?UTF-8?Q?a?=", "http://x/", "abc=", "UTF-8"
	want.Disposition = &Disposition{Type: "attachment", Params: []Param{{Name: "filename", Value: "a.html"}}}
	want.Language = []string{"en", "de"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Param{})); diff != "" {
		t.Errorf("MIME fields (-want +got):\n%s", diff)
	}
}

// nest returns a message of depth nested multiparts (each one level deeper)
// around a text part, or nested message/rfc822 parts when rfc822 is set.
func nest(depth int, rfc822 bool) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		if rfc822 {
			b.WriteString("Content-Type: message/rfc822\n\n")
		} else {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
		}
	}
	b.WriteString("Content-Type: text/plain\n\ndeep\n")
	if !rfc822 {
		for i := depth - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "--b%d--\n", i)
		}
	}
	return b.String()
}

// depthOf returns the nesting depth of p's tree and whether its deepest
// part is opaque.
func depthOf(p *Part) (int, bool) {
	best, opaque := 0, p.Opaque
	kids := p.Parts
	if p.Message != nil {
		kids = []*Part{p.Message}
	}
	for _, c := range kids {
		d, o := depthOf(c)
		if d+1 > best {
			best, opaque = d+1, o
		}
	}
	return best, opaque
}

func TestMaxDepth(t *testing.T) {
	for _, rfc822 := range []bool{false, true} {
		for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1, 3 * MaxDepth} {
			t.Run(fmt.Sprintf("rfc822=%v/depth=%d", rfc822, depth), func(t *testing.T) {
				p := mustParse(t, nest(depth, rfc822))
				got, opaque := depthOf(p)
				wantDepth, wantOpaque := depth, false
				if depth > MaxDepth {
					// The part at MaxDepth is a leaf.
					wantDepth, wantOpaque = MaxDepth, true
				}
				if got != wantDepth || opaque != wantOpaque {
					t.Errorf("tree depth %d (deepest opaque %v), want %d (%v)", got, opaque, wantDepth, wantOpaque)
				}
				// The structure is still valid IMAP: an opaque part is
				// application/octet-stream.
				s := p.BodyStructure().IMAP(true).String()
				if wantOpaque && !strings.Contains(s, `("APPLICATION" "OCTET-STREAM" NIL NIL NIL "7BIT"`) {
					t.Errorf("BODYSTRUCTURE lacks the opaque leaf: %.200s...", s)
				}
			})
		}
	}
}

func TestMaxParts(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=x\n\n")
	const n = MaxParts + 50
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--x\n\n%d\n", i)
	}
	b.WriteString("--x--\n")
	p := mustParse(t, b.String())
	count := 0
	p.Walk(func([]int, *Part) bool { count++; return true })
	if count != MaxParts {
		t.Errorf("%d parts, want MaxParts = %d", count, MaxParts)
	}
	if got := len(p.Parts); got != MaxParts-1 {
		t.Errorf("%d body parts, want %d", got, MaxParts-1)
	}
	// The parts past the limit are ignored, like an epilogue; the last
	// one kept ends at its delimiter.
	last := p.Parts[len(p.Parts)-1]
	if got, want := string(last.Body()), fmt.Sprint(MaxParts-2); got != want {
		t.Errorf("last part body %q, want %q", got, want)
	}

	// With room for the root only, a multipart is opaque.
	q, err := parse([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\n\na\n--x--\n"), limits{depth: MaxDepth, parts: 1, size: MaxMessageSize})
	if err != nil || !q.Opaque || len(q.Parts) != 0 {
		t.Errorf("parts limit 1: opaque %v, %d parts, err %v", q.Opaque, len(q.Parts), err)
	}
}

func TestMaxMessageSize(t *testing.T) {
	lim := limits{depth: MaxDepth, parts: MaxParts, size: 10}
	if _, err := parse([]byte("0123456789"), lim); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	_, err := parse([]byte("0123456789a"), lim)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: err = %v, want ErrTooLarge", err)
	}
}

func TestWalk(t *testing.T) {
	p := mustParse(t, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: message/rfc822\n\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\nx\n--c\n\ny\n--c--\n--b--\n")
	var got []string
	p.Walk(func(path []int, q *Part) bool {
		got = append(got, fmt.Sprint(path, " ", q.ContentType))
		return true
	})
	want := []string{
		"[] multipart/mixed",
		"[1] text/plain",
		"[2] message/rfc822",
		"[2] multipart/alternative",
		"[2 1] text/plain",
		"[2 2] text/plain",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
	n := 0
	p.Walk(func([]int, *Part) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Walk went on after false: %d calls", n)
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		body string
		want int64
	}{
		{"", 0}, {"a", 1}, {"a\n", 1}, {"a\r\n", 1}, {"a\nb", 2}, {"\n\n", 2},
	} {
		if got := countLines([]byte(tc.body)); got != tc.want {
			t.Errorf("countLines(%q) = %d, want %d", tc.body, got, tc.want)
		}
	}
}
