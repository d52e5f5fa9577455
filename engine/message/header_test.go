package message

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeHeader(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain text", "plain text"},
		{"=?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings from Seoul", "안녕하세요! Greetings from Seoul"},
		{"=?ISO-8859-1?Q?Andr=E9?=", "André"},
		{"=?us-ascii?q?a_b?=", "a b"},
		// RFC 2047 §8 examples: white space between adjacent encoded
		// words is dropped, other white space kept.
		{"(=?ISO-8859-1?Q?a?=)", "(a)"},
		{"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
		{"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
		{"(=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=)", "(ab)"},
		{"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
		// Unknown charsets and malformed words are left as they are.
		{"=?x-unknown?Q?abc?= rest", "=?x-unknown?Q?abc?= rest"},
		{"=?x-unknown?Q?abc?= =?UTF-8?Q?d?=", "=?x-unknown?Q?abc?= d"},
		{"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
		{"=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="},
		{"=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated"},
		{"a =? b ?= c", "a =? b ?= c"},
		// Run into other text (RFC 2047 §5 forbids it; mail has it).
		{"Re:=?UTF-8?Q?caf=C3=A9?=", "Re:café"},
		// 8-bit text stays.
		{"Café", "Café"},
	}
	for _, tc := range tests {
		if got := DecodeHeader(tc.in); got != tc.want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// rot13 stands in for a real charset such as EUC-KR, which would come from
// golang.org/x/text.
func rot13(charset string, input io.Reader) (io.Reader, error) {
	if charset != "x-rot13" {
		return nil, errors.New("unknown")
	}
	b, err := io.ReadAll(input)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		}
	}
	return bytes.NewReader(b), err
}

func TestDecoderCharsetReader(t *testing.T) {
	d := &Decoder{CharsetReader: rot13}
	if got := d.Header("=?X-ROT13?Q?Uryyb?= =?x-other?Q?x?="); got != "Hello =?x-other?Q?x?=" {
		t.Errorf("Header = %q", got)
	}
	if got, ok := d.convert("X-Rot13", []byte("Uryyb")); got != "Hello" || !ok {
		t.Errorf("convert = %q, %v", got, ok)
	}
	if got, ok := d.convert("x-other", []byte("\xff")); got != "\xff" || ok {
		t.Errorf("convert of an unknown charset = %q, %v", got, ok)
	}
	var nilDecoder *Decoder
	if got, ok := nilDecoder.convert("latin1", []byte("caf\xe9")); got != "café" || !ok {
		t.Errorf("nil Decoder latin1 convert = %q, %v", got, ok)
	}
}

func TestHeaderDecoded(t *testing.T) {
	p := mustParse(t, "Subject: =?UTF-8?Q?caf=C3=A9?=\nSubject: two\n\n")
	if got := p.Header.Decoded("subject", nil); !cmp.Equal(got, []string{"café", "two"}) {
		t.Errorf("Decoded = %q", got)
	}
}

func TestParseDate(t *testing.T) {
	pdt := time.FixedZone("", -7*3600)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"17 Jul 1996 02:23:25 -0700", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"Wed, 17 Jul 1996 02:23 -0700", time.Date(1996, 7, 17, 2, 23, 0, 0, pdt)},
		{"Wed, 17 Jul 1996 02:23:25 PDT", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"26 Aug 76 14:29 EDT", time.Date(1976, 8, 26, 14, 29, 0, 0, time.FixedZone("", -4*3600))},
		{"Wed, 17 Jul 1996 09:23:25 GMT", time.Date(1996, 7, 17, 9, 23, 25, 0, time.UTC)},
		{"Wednesday, 17 Jul 1996 02:23:25 -0700", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"Wed,17 Jul 1996 02:23:25 -0700", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"Wed, 17 Jul 1996 02:23:25 -0700 PDT", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"Wed, 17 JUL 1996 02:23:25 -0700", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"Wed, 17 Jul 1996 09:23:25", time.Date(1996, 7, 17, 9, 23, 25, 0, time.UTC)},
		{"Wed, 17 Jul 1996 02:23:25 -07:00", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"17-Jul-1996 02:23:25 -0700", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"Wed Jul 17 09:23:25 1996", time.Date(1996, 7, 17, 9, 23, 25, 0, time.UTC)},
		{"1996-07-17T02:23:25-07:00", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
		{"  Wed, 17 Jul 1996   02:23:25   -0700  ", time.Date(1996, 7, 17, 2, 23, 25, 0, pdt)},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if _, off := got.Zone(); func() int { _, o := tc.want.Zone(); return o }() != off {
			t.Errorf("ParseDate(%q) zone offset %d, want that of %v", tc.in, off, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "Wed, 32 Jul 1996 02:23:25 -0700", "(comment)"} {
		if got, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", bad, got)
		}
	}
}
