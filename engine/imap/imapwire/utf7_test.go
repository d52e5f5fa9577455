package imapwire_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

func TestModifiedUTF7(t *testing.T) {
	tests := []struct {
		name    string
		decoded string
		encoded string
	}{
		{"empty", "", ""},
		{"ASCII", "INBOX", "INBOX"},
		{"printable ASCII", " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"},
		{"ampersand", "&", "&-"},
		{"ampersands", "Tom & Jerry &&", "Tom &- Jerry &-&-"},
		{"RFC 3501 5.1.3 example", "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"Latin-1", "Entwürfe", "Entw&APw-rfe"},
		{"two characters", "ää", "&AOQA5A-"},
		{"three characters", "äää", "&AOQA5ADk-"},
		{"run at the end", "Gelöscht", "Gel&APY-scht"},
		{"ampersand after a run", "ä&", "&AOQ-&-"},
		{"supplementary plane", "😀", "&2D3eAA-"},
		{"mixed supplementary", "a😀ä", "a&2D3eAADk-"},
		{"control characters", "\x00\t\x7f", "&AAAACQB,-"},
		{"Cyrillic", "отпуск", "&BD4EQgQ,BEMEQQQ6-"},
		{"slash in base64 is comma", "\u03ff", "&A,8-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := imapwire.EncodeModifiedUTF7(tc.decoded); got != tc.encoded {
				t.Errorf("EncodeModifiedUTF7(%q) = %q, want %q", tc.decoded, got, tc.encoded)
			}
			got, err := imapwire.DecodeModifiedUTF7(tc.encoded)
			if err != nil || got != tc.decoded {
				t.Errorf("DecodeModifiedUTF7(%q) = %q, %v, want %q", tc.encoded, got, err, tc.decoded)
			}
		})
	}
}

func TestModifiedUTF7Invalid(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"lone ampersand", "&", `at octet 0: "&" starts an encoded run that no "-" ends`},
		{"ampersand not followed by dash", "Tom & Jerry", `at octet 4: "&" starts an encoded run that no "-" ends`},
		{"unterminated run", "&Jjo", `at octet 0: "&" starts an encoded run that no "-" ends`},
		{"implicitly terminated run", "&Jjo!", `at octet 0: "&" starts an encoded run that no "-" ends`},
		{"bad base64 character", "&Jj!o-", `at octet 3: '!' is not a modified BASE64 character`},
		{"standard base64 slash", "&A/8-", `at octet 2: '/' is not a modified BASE64 character`},
		{"base64 padding", "&AOQ=-", `at octet 4: '=' is not a modified BASE64 character`},
		{"8-bit octet", "Entwürfe", "at octet 4: octet 0xc3 is not printable US-ASCII"},
		{"control character", "a\tb", "at octet 1: octet 0x09 is not printable US-ASCII"},
		{"DEL", "a\x7f", "at octet 1: octet 0x7f is not printable US-ASCII"},
		{"encoded printable ASCII", "&AGE-", `at octet 3: printable US-ASCII 'a' is encoded (it must represent itself)`},
		{"encoded ampersand", "&ACY-", `at octet 3: printable US-ASCII '&' is encoded (it must represent itself)`},
		{"encoded ASCII in a run", "&AOQAYQ-", `at octet 6: printable US-ASCII 'a' is encoded (it must represent itself)`},
		{"adjacent runs", "&AOQ-&AOQ-", "at octet 5: two encoded runs in a row (non-canonical: they must be one)"},
		{"non-zero padding bits", "&AOR-", "at octet 4: modified BASE64 does not end on a UTF-16 boundary with zero padding bits"},
		{"superfluous character", "&AOQA-", "at octet 5: modified BASE64 does not end on a UTF-16 boundary with zero padding bits"},
		{"one character", "&A-", "at octet 2: modified BASE64 does not end on a UTF-16 boundary with zero padding bits"},
		{"unpaired high surrogate", "&2D0-", "at octet 3: unpaired UTF-16 high surrogate"},
		{"high surrogate then BMP", "&2D0A5A-", "at octet 3: unpaired UTF-16 high surrogate"},
		{"two high surrogates", "&2D3YPQ-", "at octet 3: unpaired UTF-16 high surrogate"},
		{"unpaired low surrogate", "&3gA-", "at octet 3: unpaired UTF-16 low surrogate"},
		{"reversed surrogates", "&3gDYPQ-", "at octet 3: unpaired UTF-16 low surrogate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := imapwire.DecodeModifiedUTF7(tc.in)
			if err == nil {
				t.Fatalf("DecodeModifiedUTF7(%q) = %q, want an error", tc.in, got)
			}
			if !errors.Is(err, imapwire.ErrModifiedUTF7) {
				t.Errorf("error %v does not wrap ErrModifiedUTF7", err)
			}
			if want := "imapwire: invalid modified UTF-7: " + tc.err; err.Error() != want {
				t.Errorf("DecodeModifiedUTF7(%q):\n got %q\nwant %q", tc.in, err.Error(), want)
			}
		})
	}
}

// TestModifiedUTF7InvalidUTF8 checks that invalid UTF-8 is encoded as
// U+FFFD, not dropped or passed through.
func TestModifiedUTF7InvalidUTF8(t *testing.T) {
	got := imapwire.EncodeModifiedUTF7("a\xffb")
	if got != "a&,,0-b" {
		t.Errorf("EncodeModifiedUTF7(a\\xffb) = %q, want a&,,0-b", got)
	}
	dec, err := imapwire.DecodeModifiedUTF7(got)
	if err != nil || dec != "a\uFFFDb" {
		t.Errorf("decoded back to %q, %v", dec, err)
	}
}

// randomString returns a string of n runes drawn from ASCII, Latin-1, the
// BMP and the supplementary planes, with the IMAP specials over-represented.
func randomString(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		switch r.IntN(8) {
		case 0:
			b.WriteByte(`&-"\(){}%*] `[r.IntN(12)])
		case 1, 2:
			b.WriteByte(byte(0x20 + r.IntN(0x5f)))
		case 3:
			b.WriteByte(byte(r.IntN(0x20))) // controls, NUL, CR, LF
		case 4:
			b.WriteRune(rune(0x80 + r.IntN(0x780)))
		case 5:
			c := rune(0x800 + r.IntN(0xF800))
			if 0xD800 <= c && c < 0xE000 {
				c = 0xFFFD
			}
			b.WriteRune(c)
		case 6:
			b.WriteRune(rune(0x10000 + r.IntN(0x100000)))
		default:
			b.WriteString("INBOX/")
		}
	}
	return b.String()
}

// TestModifiedUTF7RoundTrip: decode(encode(s)) == s for random UTF-8, and
// encoding is canonical: encode(decode(e)) == e.
func TestModifiedUTF7RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3501, 513))
	for i := range 5000 {
		s := randomString(r, r.IntN(20))
		if !utf8.ValidString(s) {
			t.Fatalf("generator made invalid UTF-8 %q", s)
		}
		enc := imapwire.EncodeModifiedUTF7(s)
		for k := 0; k < len(enc); k++ {
			if enc[k] < 0x20 || enc[k] > 0x7e {
				t.Fatalf("case %d: encoding of %q has octet 0x%02x", i, s, enc[k])
			}
		}
		dec, err := imapwire.DecodeModifiedUTF7(enc)
		if err != nil || dec != s {
			t.Fatalf("case %d: %q encodes as %q, which decodes as %q, %v", i, s, enc, dec, err)
		}
		if again := imapwire.EncodeModifiedUTF7(dec); again != enc {
			t.Fatalf("case %d: %q re-encodes as %q, not %q", i, dec, again, enc)
		}
	}
}
