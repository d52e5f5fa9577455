package message

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMediaType(t *testing.T) {
	type param struct {
		Name, Value       string
		Extended          bool
		Charset, Language string
	}
	tests := []struct {
		name   string
		in     string
		ok     bool
		typ    string
		params []param
	}{
		{"simple", "text/plain", true, "text/plain", nil},
		{"case folded", "Text/HTML; CharSet=UTF-8", true, "text/html", []param{{Name: "charset", Value: "UTF-8"}}},
		{"quoted with escapes", `text/plain; name="a \"b\" c.txt"`, true, "text/plain", []param{{Name: "name", Value: `a "b" c.txt`}}},
		{"comments (RFC 2045 §5.1 example)", "text/plain; charset=us-ascii (Plain text)", true, "text/plain", []param{{Name: "charset", Value: "us-ascii"}}},
		{"spaces and comments around tokens", " text (t) / plain (p) ; charset = utf-8 ", true, "text/plain", []param{{Name: "charset", Value: "utf-8"}}},
		{"trailing semicolon", "text/plain; charset=utf-8;", true, "text/plain", []param{{Name: "charset", Value: "utf-8"}}},
		{"missing semicolon", "text/plain charset=utf-8 format=flowed", true, "text/plain", []param{{Name: "charset", Value: "utf-8"}, {Name: "format", Value: "flowed"}}},
		{"unquoted value with spaces", "application/pdf; name=my report.pdf; x=1", true, "application/pdf", []param{{Name: "name", Value: "my report.pdf"}, {Name: "x", Value: "1"}}},
		{"unquoted value with tspecials", "multipart/mixed; boundary=----=_Part_0_1.2", true, "multipart/mixed", []param{{Name: "boundary", Value: "----=_Part_0_1.2"}}},
		{"attribute without value dropped", "text/plain; flowed; charset=a", true, "text/plain", []param{{Name: "charset", Value: "a"}}},
		{"unterminated quoted string", `text/plain; name="abc`, true, "text/plain", []param{{Name: "name", Value: "abc"}}},
		{"folded", "text/plain;\r\n charset=\"utf-8\"", true, "text/plain", []param{{Name: "charset", Value: "utf-8"}}},
		{"8-bit value", "text/plain; name=\"Café.txt\"", true, "text/plain", []param{{Name: "name", Value: "Café.txt"}}},
		{
			"RFC 2231 §3 continuations",
			`message/external-body; access-type=URL; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"`,
			true, "message/external-body",
			[]param{{Name: "access-type", Value: "URL"}, {Name: "url", Value: "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"}},
		},
		{
			"RFC 2231 §4 charset and language",
			`application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A`,
			true, "application/x-stuff",
			[]param{{Name: "title", Value: "This is ***fun***", Extended: true, Charset: "us-ascii", Language: "en-us"}},
		},
		{
			"RFC 2231 §4.1 mixed sections",
			`application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2="isn't it!"`,
			true, "application/x-stuff",
			[]param{{Name: "title", Value: "This is even more ***fun*** isn't it!", Extended: true, Charset: "us-ascii", Language: "en"}},
		},
		{
			"sections out of order, a repeated one ignored",
			`a/b; n*1=b; n*0=a; n*1=x; n*2=c`,
			true, "a/b",
			[]param{{Name: "n", Value: "abc"}},
		},
		{
			"ISO-8859-1 converted to UTF-8",
			`a/b; name*=iso-8859-1''r%E9sum%E9`,
			true, "a/b",
			[]param{{Name: "name", Value: "résumé", Extended: true, Charset: "iso-8859-1"}},
		},
		{
			"unknown charset: octets kept",
			`a/b; name*=x-unknown''%FF%FE`,
			true, "a/b",
			[]param{{Name: "name", Value: "\xff\xfe", Extended: true, Charset: "x-unknown"}},
		},
		{
			"extended value without quotes",
			`a/b; name*=abc%20d`,
			true, "a/b",
			[]param{{Name: "name", Value: "abc d", Extended: true}},
		},
		{
			"bad percent escapes kept",
			`a/b; name*=utf-8''100%%2`,
			true, "a/b",
			[]param{{Name: "name", Value: "100%%2", Extended: true, Charset: "utf-8"}},
		},
		{
			"plain and extended side by side",
			`a/b; filename="x.txt"; filename*=utf-8''%C3%A9.txt`,
			true, "a/b",
			[]param{{Name: "filename", Value: "x.txt"}, {Name: "filename", Value: "é.txt", Extended: true, Charset: "utf-8"}},
		},
		{
			"star not in an RFC 2231 place",
			`a/b; x*y=1; z*-1=2`,
			true, "a/b",
			[]param{{Name: "x*y", Value: "1"}, {Name: "z*-1", Value: "2"}},
		},
		{"no subtype", "text", false, "", nil},
		{"no slash", "text plain", false, "", nil},
		{"empty", "", false, "", nil},
		{"empty subtype", "text/; charset=x", false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := parseMediaType(tc.in)
			if ok != tc.ok {
				t.Fatalf("parseMediaType(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if !ok {
				return
			}
			var got []param
			for _, p := range m.Params {
				got = append(got, param{p.Name, p.Value, p.Extended, p.Charset, p.Language})
			}
			if m.String() != tc.typ {
				t.Errorf("type %q, want %q", m.String(), tc.typ)
			}
			if diff := cmp.Diff(tc.params, got); diff != "" {
				t.Errorf("params of %q (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParamLookup(t *testing.T) {
	m, _ := parseMediaType(`a/b; Name="plain"; NAME*=utf-8''ext; other=1; other=2`)
	if got := m.Param("name"); got != "ext" {
		t.Errorf(`Param("name") = %q, want the extended value`, got)
	}
	if got := m.Param("OTHER"); got != "1" {
		t.Errorf(`Param("OTHER") = %q, want the first value`, got)
	}
	if got := m.Param("missing"); got != "" {
		t.Errorf(`Param("missing") = %q`, got)
	}
	d := &Disposition{Type: "attachment", Params: m.Params}
	if got := d.Param("name"); got != "ext" {
		t.Errorf(`Disposition.Param("name") = %q`, got)
	}
}

func TestEncoded2231(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		// Converted values go out as UTF-8.
		{`a/b; t*=iso-8859-1'fr'r%E9sum%E9`, "utf-8'fr'r%C3%A9sum%C3%A9"},
		// An unknown charset keeps its octets and its name.
		{`a/b; t*=x-unknown''%FF%20a`, "x-unknown''%FF%20a"},
		// Specials and '*', '\'' and '%' are escaped (RFC 2231 §7
		// attribute-char).
		{`a/b; t*=utf-8''a%2A%27%25%28%29b`, "utf-8''a%2A%27%25%28%29b"},
	}
	for _, tc := range tests {
		m, _ := parseMediaType(tc.in)
		if got := m.Params[0].encoded2231(); got != tc.want {
			t.Errorf("%q: encoded2231 = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string][]string{
		"en":                     {"en"},
		"en-GB, fr (Canada), de": {"en-GB", "fr", "de"},
		" , ,en":                 {"en"},
		"(only a comment)":       nil,
	} {
		if got := parseLanguage(in); !cmp.Equal(got, want) {
			t.Errorf("parseLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}
