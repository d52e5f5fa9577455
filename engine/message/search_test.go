package message

import "testing"

func TestContainsFold(t *testing.T) {
	tests := []struct {
		s, sub string
		want   bool
	}{
		{"Hello, World", "world", true},
		{"Hello, World", "WORLD!", false},
		{"anything", "", true},
		{"", "x", false},
		{"Grüße aus KÖLN", "köln", true},
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ", true},
		{"ΣΊΣΥΦΟΣ", "σίσυφος", true}, // final sigma folds with Σ
		{"the Kelvin sign \u212a", "k", true},
		{"안녕하세요", "하세", true},
		{"abc", "abcd", false},
		{"a\xffb", "\xffB", true},
		{"a\xffb", "\xfeb", false},
	}
	for _, tc := range tests {
		if got := ContainsFold(tc.s, tc.sub); got != tc.want {
			t.Errorf("ContainsFold(%q, %q) = %v, want %v", tc.s, tc.sub, got, tc.want)
		}
	}
}

func TestBodyText(t *testing.T) {
	raw := "Content-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 au lait\n" +
		"--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\nculzdW3p\n" +
		"--b\nContent-Type: image/png\n\nnot text\n" +
		"--b\nContent-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: x-foo\n\nraw octets\n" +
		"--b\nContent-Type: message/rfc822\n\nSubject: inner header\n\ninner body\n" +
		"--b--\n"
	p := mustParse(t, raw)
	got := p.BodyText(nil)
	want := "café au lait\nrésumé\nraw octets\ninner body"
	if got != want {
		t.Errorf("BodyText = %q, want %q", got, want)
	}
	for _, key := range []string{"CAFÉ", "RÉSUMÉ", "Inner Body"} {
		if !ContainsFold(got, key) {
			t.Errorf("SEARCH BODY %q finds nothing", key)
		}
	}
	if ContainsFold(got, "inner header") || ContainsFold(got, "not text") {
		t.Error("BodyText has a header or a non-text part")
	}
}
