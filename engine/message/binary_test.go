package message

import (
	"errors"
	"testing"
)

func TestDecodeTransfer(t *testing.T) {
	tests := []struct {
		name, enc, in, want string
	}{
		{"7bit is identity", "7bit", "a\nb", "a\nb"},
		{"8bit is identity", "8bit", "caf\xc3\xa9", "caf\xc3\xa9"},
		{"binary is identity", "binary", "\x00\xff", "\x00\xff"},
		{"no encoding", "", "x", "x"},

		{"base64", "base64", "SGVsbG8sIHdvcmxkIQ==", "Hello, world!"},
		{"base64 over lines, CRLF", "base64", "SGVs\r\nbG8s\r\nIHdv\r\ncmxk\r\nIQ==\r\n", "Hello, world!"},
		{"base64 with junk (RFC 2045 §6.8)", "base64", "SGV*sb G8\t!", "Hello"},
		{"base64 without padding", "base64", "SGVsbG8", "Hello"},
		{"base64 with a dangling character", "base64", "SGVsbG8sQ", "Hello,"},
		{"base64 concatenated", "base64", "SGk=\nIHRoZXJl\nIQ==", "Hi there!"},
		{"base64 only padding", "base64", "====", ""},
		{"base64 empty", "base64", "", ""},

		{"qp", "quoted-printable", "caf=C3=A9 =3D ok", "café = ok"},
		{"qp lower-case hex", "quoted-printable", "=c3=a9", "é"},
		{"qp soft line break", "quoted-printable", "long=\nline\n", "longline\n"},
		{"qp soft line break CRLF", "quoted-printable", "long=\r\nline\r\n", "longline\r\n"},
		{"qp soft break with white space after it", "quoted-printable", "long= \t\nline", "longline"},
		{"qp trailing white space removed (rule 3)", "quoted-printable", "a  \nb\t\r\n", "a\nb\r\n"},
		{"qp stray = kept", "quoted-printable", "a=b =G1 100%=", "a=b =G1 100%"},
		{"qp control characters kept", "quoted-printable", "a\x01b\x00", "a\x01b\x00"},
		{"qp final soft break", "quoted-printable", "end=", "end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeTransfer(tc.enc, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("DecodeTransfer(%q, %q) = %q, want %q", tc.enc, tc.in, got, tc.want)
			}
		})
	}
	for _, enc := range []string{"x-uuencode", "uuencode", "7-bit", "base-64"} {
		if _, err := DecodeTransfer(enc, []byte("x")); !errors.Is(err, ErrUnknownCTE) {
			t.Errorf("DecodeTransfer(%q): err = %v, want ErrUnknownCTE", enc, err)
		}
	}
}

func TestBinary(t *testing.T) {
	raw := "Content-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nYQpiCg==\n" +
		"--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\nYQpiCg==\n" +
		"--b\nContent-Type: application/x-foo\nContent-Transfer-Encoding: x-foo\n\nzzz\n" +
		"--b\nContent-Type: message/rfc822\n\nSubject: x\n\ny\n" +
		"--b--\n"
	p := mustParse(t, raw)
	tests := []struct {
		path []int
		want string
		err  error
	}{
		{[]int{1}, "a\r\nb\r\n", nil}, // text: CRLF (RFC 9051 §7.5.2)
		{[]int{2}, "a\nb\n", nil},     // not text: octets as they are
		{[]int{3}, "", ErrUnknownCTE},
		{[]int{4}, "", ErrNotLeaf},
		{[]int{4, 1}, "y", nil}, // the LF before the delimiter is not the body's
		{[]int{5}, "", ErrNoPart},
		{nil, raw, nil},
	}
	for _, tc := range tests {
		got, err := p.Binary(tc.path)
		if !errors.Is(err, tc.err) || string(got) != tc.want {
			t.Errorf("Binary(%v) = %q, %v; want %q, %v", tc.path, got, err, tc.want, tc.err)
		}
		n, err := p.BinarySize(tc.path)
		if !errors.Is(err, tc.err) || n != int64(len(tc.want)) {
			t.Errorf("BinarySize(%v) = %d, %v; want %d, %v", tc.path, n, err, len(tc.want), tc.err)
		}
	}
	if _, err := p.Binary(nil); err != nil {
		t.Error(err)
	}
	if _, err := p.Binary([]int{}); err != nil {
		t.Error(err)
	}
	if _, err := mustParse(t, raw).Binary([]int{0}); !errors.Is(err, ErrNoPart) {
		t.Errorf("Binary([0]): %v", err)
	}
	if !errors.Is(func() error { _, err := p.Binary([]int{3}); return err }(), ErrUnknownCTE) {
		t.Error("x-foo decoded")
	}
}
