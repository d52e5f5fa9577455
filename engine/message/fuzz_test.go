package message

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// goldenInputs returns the messages of testdata/golden, as fuzz seeds.
func goldenInputs(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	var out [][]byte
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range a.Files {
			if file.Name == "input.eml" {
				out = append(out, file.Data, ToCRLF(file.Data))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no golden inputs to seed the fuzzer")
	}
	return out
}

// FuzzParse checks that Parse never panics, that every part lies inside
// the message and inside its parent, in order, that header fields tile
// the header, and that everything computed from the tree (BODYSTRUCTURE,
// ENVELOPE, every section, BINARY, the search text) works without going
// out of range.
func FuzzParse(f *testing.F) {
	for _, in := range goldenInputs(f) {
		f.Add(in)
	}
	f.Add([]byte(nest(MaxDepth+2, false)))
	f.Add([]byte(nest(MaxDepth+2, true)))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\n--\n"))
	f.Add([]byte("Content-Type: multipart/digest; boundary=a\r\n\r\n--a\r\n\r\n--a\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		checkTree(t, raw, p, 0, 0, len(raw))
		for _, v := range []List{p.BodyStructure().IMAP(true), p.BodyStructure().IMAP(false), p.Envelope().IMAP()} {
			if s := v.String(); !strings.HasPrefix(s, "(") {
				t.Fatalf("IMAP form %q is not a list", s)
			}
		}
		p.BodyText(nil)

		fields := []string{"From", "Content-Type", "x"}
		specs := []Specifier{SpecifierNone, SpecifierMIME, SpecifierHeader, SpecifierText, SpecifierHeaderFields, SpecifierHeaderFieldsNot}
		paths := [][]int{nil, {1}, {2}, {1, 1}, {2, 1}, {1, 2, 1}}
		p.Walk(func(path []int, q *Part) bool {
			paths = append(paths, append([]int(nil), path...))
			return true
		})
		for _, path := range paths {
			for _, sp := range specs {
				b, ok := p.Section(Section{Part: path, Specifier: sp, Fields: fields})
				if !ok && b != nil {
					t.Fatalf("BODY[%v %s]: octets without ok", path, sp)
				}
				if len(b) > len(raw) {
					t.Fatalf("BODY[%v %s]: %d octets from a %d-octet message", path, sp, len(b), len(raw))
				}
				Partial(b, 3, 5)
			}
			if b, err := p.Binary(path); err == nil {
				Partial(b, 1, 2)
			}
		}
	})
}

// checkTree checks q and the parts below it against the range [lo, hi)
// its parent allows.
func checkTree(t *testing.T, raw []byte, q *Part, depth, lo, hi int) {
	t.Helper()
	if depth > MaxDepth {
		t.Fatalf("depth %d over MaxDepth", depth)
	}
	if !(lo <= q.HeaderStart && q.HeaderStart <= q.BodyStart && q.BodyStart <= q.End && q.End <= hi) {
		t.Fatalf("part [%d %d %d] outside [%d %d)", q.HeaderStart, q.BodyStart, q.End, lo, hi)
	}
	// The fields and the blank line are the header, octet for octet.
	var hdr []byte
	for _, f := range q.Header.Fields {
		hdr = append(hdr, f.Raw...)
	}
	if !bytes.Equal(hdr, raw[q.HeaderStart:q.BodyStart-q.blank]) {
		t.Fatalf("fields %q do not tile the header %q", hdr, raw[q.HeaderStart:q.BodyStart])
	}
	if q.blank > 0 && !isBlank(raw[q.BodyStart-q.blank:q.BodyStart]) {
		t.Fatalf("header does not end in a blank line")
	}
	if q.Opaque && (q.Parts != nil || q.Message != nil) {
		t.Fatal("opaque part with children")
	}
	if q.ContentType.Type == "multipart" && !q.Opaque && len(q.Parts) == 0 {
		t.Fatal("multipart without parts, not opaque")
	}
	if q.Message != nil {
		if q.Message.HeaderStart != q.BodyStart || q.Message.End != q.End {
			t.Fatal("encapsulated message does not span the body")
		}
		checkTree(t, raw, q.Message, depth+1, q.BodyStart, q.End)
	}
	prev := q.BodyStart
	for _, c := range q.Parts {
		if c.HeaderStart < prev {
			t.Fatalf("parts overlap or are out of order: %d < %d", c.HeaderStart, prev)
		}
		checkTree(t, raw, c, depth+1, q.BodyStart, q.End)
		prev = c.End
	}
}

// FuzzParseAddressList checks that address parsing never panics, that
// group markers pair up, and that every mailbox has a local part and a
// host (so that none is taken for a group marker).
func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{
		"undisclosed-recipients:;",
		`"Baker, Bob" <bob@example.com>, Team: a@x, <@r1,@r2:b@y>;`,
		"a@x (Comment (nested) \\) x)",
		"=?UTF-8?B?67CV66+87KSA?= <minjun@example.net>",
		": ; <> @ , . \" [ ( \\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		open := false
		for _, a := range ParseAddressList(s) {
			switch {
			case a.IsGroupStart():
				if open {
					t.Fatalf("%q: group inside a group", s)
				}
				open = true
			case a.IsGroupEnd():
				if !open {
					t.Fatalf("%q: group end without start", s)
				}
				open = false
			default:
				if a.Mailbox == "" || a.Host == "" {
					t.Fatalf("%q: mailbox %+v lacks a part", s, a)
				}
			}
		}
		if open {
			t.Fatalf("%q: group left open", s)
		}
	})
}

// FuzzParseSection checks that a section that parses prints back to a
// string that parses to the same section.
func FuzzParseSection(f *testing.F) {
	for _, s := range []string{"", "1.2.3", "4.1.MIME", "HEADER.FIELDS (A B)", `2.HEADER.FIELDS.NOT ("x y" z)`, "TEXT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, err := ParseSection(s)
		if err != nil {
			return
		}
		again, err := ParseSection(sec.String())
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, sec.String(), err)
		}
		if again.String() != sec.String() {
			t.Fatalf("%q -> %q -> %q", s, sec.String(), again.String())
		}
	})
}

// FuzzDecodeTransfer checks that decoding arbitrary input does not panic
// and that what the standard encoders write decodes back exactly.
func FuzzDecodeTransfer(f *testing.F) {
	f.Add([]byte("Hello, world!"), []byte("SGVsbG8=\n===x"))
	f.Add([]byte("caf\xc3\xa9 = \r\n\t"), []byte("a=\r\nb=3D=\n"))
	f.Fuzz(func(t *testing.T, data, junk []byte) {
		DecodeTransfer("base64", junk)
		DecodeTransfer("quoted-printable", junk)

		enc := base64.StdEncoding.EncodeToString(data)
		var lines strings.Builder
		for len(enc) > 76 {
			lines.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		lines.WriteString(enc)
		got, err := DecodeTransfer("base64", []byte(lines.String()))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("base64 round trip of %q: %q, %v", data, got, err)
		}

		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Binary = true // CR and LF encoded, so the octets come back exactly
		w.Write(data)
		w.Close()
		got, err = DecodeTransfer("quoted-printable", qp.Bytes())
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("quoted-printable round trip of %q via %q: %q, %v", data, qp.Bytes(), got, err)
		}
	})
}

// FuzzDecodeHeader checks that header decoding never panics and leaves
// text without "=?" alone.
func FuzzDecodeHeader(f *testing.F) {
	f.Add("=?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings")
	f.Add("=?iso-8859-1?q?a?= =?x?q?b?= =?utf-8?b?====?=")
	f.Fuzz(func(t *testing.T, s string) {
		got := DecodeHeader(s)
		if !strings.Contains(s, "=?") && got != s {
			t.Fatalf("DecodeHeader(%q) = %q", s, got)
		}
	})
}
