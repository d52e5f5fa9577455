package pop3_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlaintextNeedsTLS covers RFC 2595 §2.1: with PlaintextNeedsTLS no
// password travels in the clear; after STLS the same commands work.
func TestPlaintextNeedsTLS(t *testing.T) {
	const refused = "-ERR Plain-text login is disabled on this connection: send STLS first"
	tests := []struct {
		name  string
		cmds  []string
		want  string
		onTLS bool
	}{
		{name: "USER", cmds: []string{"USER alice", "PASS wonderland"}, want: lines(refused, refused)},
		{name: "AUTH PLAIN initial response", cmds: []string{"AUTH PLAIN " + b64("\x00alice\x00wonderland")}, want: lines(refused)},
		{name: "AUTH PLAIN", cmds: []string{"AUTH PLAIN"}, want: lines(refused)},
		{name: "unknown mechanism keeps its answer", cmds: []string{"AUTH CRAM-MD5"}, want: lines("-ERR Unsupported SASL mechanism")},
		// The maildrop's size depends on the demo world: only the start
		// of the answer is compared.
		{name: "USER on TLS", onTLS: true, cmds: []string{"USER alice", "PASS wonderland"},
			want: "+OK Send your password\r\n+OK alice's maildrop has "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := demoEnv(t)
			e.cfg.TLSAvailable = true
			e.cfg.PlaintextNeedsTLS = true
			s := e.session()
			if tc.onTLS {
				s.SetTLS()
			}
			got := feed(s, tc.cmds...)
			if tc.onTLS {
				if !strings.HasPrefix(got, tc.want) {
					t.Errorf("login on TLS: %q, want it to start %q", got, tc.want)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("CAPA leaves plain-text logins out until TLS", func(t *testing.T) {
		e := demoEnv(t)
		e.cfg.TLSAvailable = true
		e.cfg.PlaintextNeedsTLS = true
		s := e.session()
		before := lines("+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "IMPLEMENTATION wirelab", ".")
		if diff := cmp.Diff(before, feed(s, "CAPA")); diff != "" {
			t.Errorf("CAPA before TLS (-want +got):\n%s", diff)
		}
		s.SetTLS()
		after := lines("+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "USER", "SASL PLAIN", "IMPLEMENTATION wirelab", ".")
		if diff := cmp.Diff(after, feed(s, "CAPA")); diff != "" {
			t.Errorf("CAPA on TLS (-want +got):\n%s", diff)
		}
	})
}
