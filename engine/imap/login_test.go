package imap_test

import (
	"strings"
	"testing"

	"github.com/wirelab/wirelab/engine/imap"
)

// With PlaintextNeedsTLS, LOGIN and AUTHENTICATE PLAIN wait for TLS and
// the capabilities say so (RFC 9051 §6.2.3, §7.2.2).
func TestPlaintextNeedsTLS(t *testing.T) {
	e := newEnv(t)
	cfg := &imap.Config{Store: e.store, Users: e.w.Users, PlaintextNeedsTLS: true, TLSAvailable: true}
	s := imap.NewSession(cfg, 1)
	if g := string(s.Greeting()); !strings.Contains(g, "LOGINDISABLED") || !strings.Contains(g, "STARTTLS") || strings.Contains(g, "AUTH=PLAIN") {
		t.Errorf("greeting before TLS: %q", g)
	}
	for _, tc := range []struct{ in, want string }{
		{"a LOGIN alice wonderland", "a NO [PRIVACYREQUIRED]"},
		{"b AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "b NO [PRIVACYREQUIRED]"},
	} {
		if out := feed(s, tc.in); !strings.HasPrefix(out, tc.want) {
			t.Errorf("%s: %q, want %s", tc.in, out, tc.want)
		}
	}
	if s.State() != imap.NotAuthenticated {
		t.Fatalf("state %v after refused plain-text logins", s.State())
	}
	s.SetTLS()
	if out := feed(s, "c CAPABILITY"); strings.Contains(out, "LOGINDISABLED") || !strings.Contains(out, "AUTH=PLAIN") {
		t.Errorf("capabilities under TLS: %q", out)
	}
	if out := feed(s, "d LOGIN alice wonderland"); !strings.Contains(out, "d OK") {
		t.Errorf("LOGIN under TLS: %q", out)
	}
}
