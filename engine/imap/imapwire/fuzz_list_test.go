package imapwire_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// readTree reads a tree of nested parenthesized lists of astrings, the
// shape of FETCH attribute lists, SEARCH keys and LIST-EXTENDED options
// (RFC 9051 §9): a list is a []any, an astring a string.
func readTree(d *imapwire.Decoder) any {
	if d.Peek() != '(' {
		return d.AString()
	}
	l := []any{}
	for range d.List() {
		l = append(l, readTree(d))
	}
	return l
}

func writeTree(e *imapwire.Encoder, v any) {
	switch v := v.(type) {
	case string:
		e.AString(v)
	case []any:
		e.BeginList()
		for i, x := range v {
			if i > 0 {
				e.SP()
			}
			writeTree(e, x)
		}
		e.EndList()
	}
}

func treeDepth(v any) int {
	l, ok := v.([]any)
	if !ok {
		return 0
	}
	d := 0
	for _, x := range l {
		d = max(d, treeDepth(x))
	}
	return d + 1
}

// FuzzList decodes nested lists of atoms, quoted strings and literals. It
// must not panic or nest deeper than MaxListDepth, and what decodes must
// encode to text that decodes to the same tree, in IMAP4rev1 and in
// UTF-8 (IMAP4rev2) mode alike.
func FuzzList(f *testing.F) {
	for _, s := range []string{
		`(FLAGS (\Seen) BODY[HEADER.FIELDS (DATE FROM)] "a b" {3}` + "\r\nx\"y)",
		`(((((((a)))))))`, `()`, `(() ())`, `("" NIL {0}` + "\r\n)",
		`(OR (SEEN) (NOT (FROM "Smith")) "caf` + "\u00e9" + `")`,
		strings.Repeat("(", imapwire.MaxListDepth+1) + strings.Repeat(")", imapwire.MaxListDepth+1),
		`(a {5+}` + "\r\nab\r\nc" + `)`, `(a  b)`, `(a b`, `a)`, "(~{2}\r\n\x00\x01)", `("\\\"")`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, utf8 bool) {
		d := imapwire.NewDecoder(in)
		d.UTF8 = utf8
		tree := readTree(d)
		if d.Err() != nil {
			return
		}
		if n := treeDepth(tree); n > imapwire.MaxListDepth {
			t.Fatalf("lists nested %d deep decoded, limit %d", n, imapwire.MaxListDepth)
		}
		e := imapwire.NewEncoder(nil)
		e.UTF8 = utf8
		writeTree(e, tree)
		out := e.Bytes()
		d2 := imapwire.NewDecoder(out)
		d2.UTF8 = utf8
		again := readTree(d2)
		if err := d2.End(); err != nil {
			t.Fatalf("%q decodes as %#v, which encodes as %q, which does not decode: %v", in, tree, out, err)
		}
		// reflect.DeepEqual, not cmp.Diff: cmp's diff of deeply nested
		// lists takes exponential time.
		if !reflect.DeepEqual(tree, again) {
			t.Fatalf("%q -> %q changed the tree:\n%#v\n%#v", in, out, tree, again)
		}
	})
}
