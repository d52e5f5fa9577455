package message

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSection(t *testing.T) {
	tests := []struct {
		in   string
		want Section
		str  string // String(), when it differs from in
	}{
		{in: "", want: Section{}},
		{in: "HEADER", want: Section{Specifier: SpecifierHeader}},
		{in: "text", want: Section{Specifier: SpecifierText}, str: "TEXT"},
		{in: "1", want: Section{Part: []int{1}}},
		{in: "1.2.3", want: Section{Part: []int{1, 2, 3}}},
		{in: "4.1.MIME", want: Section{Part: []int{4, 1}, Specifier: SpecifierMIME}},
		{in: "4.2.HEADER", want: Section{Part: []int{4, 2}, Specifier: SpecifierHeader}},
		{
			in:   "HEADER.FIELDS (DATE FROM)",
			want: Section{Specifier: SpecifierHeaderFields, Fields: []string{"DATE", "FROM"}},
		},
		{
			in:   `2.header.fields.not (Subject "X Odd")`,
			want: Section{Part: []int{2}, Specifier: SpecifierHeaderFieldsNot, Fields: []string{"Subject", "X Odd"}},
			str:  `2.HEADER.FIELDS.NOT (Subject "X Odd")`,
		},
	}
	for _, tc := range tests {
		got, err := ParseSection(tc.in)
		if err != nil {
			t.Errorf("ParseSection(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseSection(%q) (-want +got):\n%s", tc.in, diff)
		}
		str := tc.str
		if str == "" {
			str = tc.in
		}
		if got.String() != str {
			t.Errorf("String() = %q, want %q", got.String(), str)
		}
	}
	for _, bad := range []string{"0", "01", "1.", "1..2", ".1", "MIME", "1.FOO", "HEADER.FIELDS", "HEADER.FIELDS ()", "HEADER x", "1.2x", "99999999999999999999"} {
		if s, err := ParseSection(bad); err == nil {
			t.Errorf("ParseSection(%q) = %+v, want an error", bad, s)
		}
	}
}

func TestSectionNotFound(t *testing.T) {
	single := mustParse(t, "Subject: s\n\nbody\n")
	tests := []Section{
		{Part: []int{2}},
		{Part: []int{0}},
		{Part: []int{1, 1}},
		{Part: []int{1}, Specifier: SpecifierHeader}, // part 1 is not message/rfc822
		{Part: []int{1}, Specifier: SpecifierText},
		{Specifier: SpecifierMIME}, // MIME needs part numbers
		{Specifier: "BOGUS"},
	}
	for _, s := range tests {
		if b, ok := single.Section(s); ok || b != nil {
			t.Errorf("BODY[%s] = %q, %v; want nothing", s, b, ok)
		}
	}
	// What does exist:
	for s, want := range map[string]string{
		"":                         "Subject: s\n\nbody\n",
		"1":                        "body\n",
		"1.MIME":                   "Subject: s\n\n",
		"HEADER":                   "Subject: s\n\n",
		"TEXT":                     "body\n",
		"HEADER.FIELDS (X)":        "\n",
		"HEADER.FIELDS.NOT (X)":    "Subject: s\n\n",
		"HEADER.FIELDS (SUBJECT)":  "Subject: s\n\n",
		"HEADER.FIELDS (Subject )": "Subject: s\n\n",
	} {
		sec, err := ParseSection(s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := single.Section(sec)
		if !ok || string(got) != want {
			t.Errorf("BODY[%s] = %q, %v; want %q", s, got, ok, want)
		}
	}
}

func TestFind(t *testing.T) {
	p := mustParse(t, "Content-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n")
	tests := []struct {
		path []int
		want *Part
	}{
		{nil, p},
		{[]int{1}, p}, // the body of a non-multipart message
		{[]int{1, 1}, p.Message.Parts[0]},
		{[]int{1, 2}, nil},
		{[]int{2}, nil},
		{[]int{1, 1, 1}, nil}, // below a leaf
	}
	for _, tc := range tests {
		if got := p.Find(tc.path); got != tc.want {
			t.Errorf("Find(%v) = %p, want %p", tc.path, got, tc.want)
		}
	}
}

func TestPartial(t *testing.T) {
	b := []byte("0123456789")
	tests := []struct {
		origin, count int64
		want          string
	}{
		{0, 4, "0123"},
		{5, 100, "56789"},
		{10, 1, ""},
		{11, 1, ""},
		{3, 0, ""},
		{-1, 2, "01"},
		{2, -1, ""},
		{0, 1 << 62, "0123456789"},
		{1 << 62, 1 << 62, ""},
	}
	for _, tc := range tests {
		if got := string(Partial(b, tc.origin, tc.count)); got != tc.want {
			t.Errorf("Partial(<%d.%d>) = %q, want %q", tc.origin, tc.count, got, tc.want)
		}
	}
}

func TestToCRLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{"a\n", "a\r\n"},
		{"a\r\n", "a\r\n"},
		{"\n\n", "\r\n\r\n"},
		{"a\r\nb\nc\r\n\n", "a\r\nb\r\nc\r\n\r\n"},
		{"a\rb\n", "a\rb\r\n"}, // a bare CR is left alone
	}
	for _, tc := range tests {
		got := ToCRLF([]byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("ToCRLF(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if n := CRLFLen([]byte(tc.in)); n != int64(len(tc.want)) {
			t.Errorf("CRLFLen(%q) = %d, want %d", tc.in, n, len(tc.want))
		}
	}
	// Already CRLF: no copy.
	in := []byte("a\r\nb\r\n")
	if out := ToCRLF(in); &out[0] != &in[0] {
		t.Error("ToCRLF copied CRLF input")
	}
}
