package imap_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
)

// The capabilities a session advertises follow its state, TLS and the
// plain-text rule (RFC 9051 §7.2.2), whichever way they are asked for:
// the greeting's code, the CAPABILITY response before login, and the
// code of LOGIN's OK, which must equal the CAPABILITY response after it
// (RFC 9051 §6.2.3).
func TestCapabilitiesFollowTheSession(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name                string
		tlsAvailable, tls   bool
		plaintextNeedsTLS   bool
		want, notWant       []string // before login
		loginFails          bool
		wantAfter, notAfter []string
	}{
		{name: "plain", want: []string{"AUTH=PLAIN", "SASL-IR"}, notWant: []string{"STARTTLS", "LOGINDISABLED"}},
		{name: "starttls offered", tlsAvailable: true, want: []string{"STARTTLS", "AUTH=PLAIN"}, notWant: []string{"LOGINDISABLED"}},
		{name: "plaintext refused", tlsAvailable: true, plaintextNeedsTLS: true, want: []string{"STARTTLS", "LOGINDISABLED"}, notWant: []string{"AUTH=PLAIN"}, loginFails: true},
		{name: "under tls", tlsAvailable: true, tls: true, plaintextNeedsTLS: true, want: []string{"AUTH=PLAIN"}, notWant: []string{"STARTTLS", "LOGINDISABLED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &imap.Config{Store: e.store, Users: e.w.Users, PlaintextNeedsTLS: tc.plaintextNeedsTLS, TLSAvailable: tc.tlsAvailable}
			s := imap.NewSession(cfg, 1)
			if tc.tls {
				s.SetTLS()
			}
			greeting := capList(t, string(s.Greeting()), "* OK [CAPABILITY ", "]")
			before := capList(t, feed(s, "a CAPABILITY"), "* CAPABILITY ", "\r\n")
			if diff := cmp.Diff(before, greeting); diff != "" {
				t.Errorf("greeting and CAPABILITY differ (-CAPABILITY +greeting):\n%s", diff)
			}
			for _, c := range tc.want {
				if !strings.Contains(" "+before+" ", " "+c+" ") {
					t.Errorf("%q lacks %s", before, c)
				}
			}
			for _, c := range tc.notWant {
				if strings.Contains(" "+before+" ", " "+c+" ") {
					t.Errorf("%q has %s", before, c)
				}
			}
			login := feed(s, "b LOGIN alice wonderland")
			if tc.loginFails {
				if !strings.HasPrefix(login, "b NO [PRIVACYREQUIRED]") {
					t.Errorf("LOGIN: %q, want it refused", login)
				}
				return
			}
			code := capList(t, login, "b OK [CAPABILITY ", "]")
			after := capList(t, feed(s, "c CAPABILITY"), "* CAPABILITY ", "\r\n")
			if diff := cmp.Diff(after, code); diff != "" {
				t.Errorf("LOGIN's code and CAPABILITY after it differ (-CAPABILITY +code):\n%s", diff)
			}
			for _, c := range []string{"IMAP4rev2", "IDLE"} {
				if !strings.Contains(" "+after+" ", " "+c+" ") {
					t.Errorf("after login %q lacks %s", after, c)
				}
			}
			for _, c := range []string{"AUTH=PLAIN", "STARTTLS", "LOGINDISABLED", "SASL-IR"} {
				if strings.Contains(" "+after+" ", " "+c+" ") {
					t.Errorf("after login %q has %s", after, c)
				}
			}
			// The lists are shared between sessions: a second one still
			// sees the same.
			if again := capList(t, string(imap.NewSession(cfg, 2).Greeting()), "* OK [CAPABILITY ", "]"); !tc.tls && again != greeting {
				t.Errorf("a second session's greeting lists %q, the first %q", again, greeting)
			}
		})
	}
}

// capList returns the text of out between prefix and the end marker.
func capList(t *testing.T, out, prefix, end string) string {
	t.Helper()
	i := strings.Index(out, prefix)
	if i < 0 {
		t.Fatalf("%q lacks %q", out, prefix)
	}
	rest := out[i+len(prefix):]
	j := strings.Index(rest, end)
	if j < 0 {
		t.Fatalf("%q lacks %q after %q", out, end, prefix)
	}
	return rest[:j]
}
