package imap_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A synchronizing literal is refused with BAD, before the client sends it,
// when the command cannot run whatever the literal holds (RFC 9051 §7.5;
// RFC 3501 §7.5's "A044 BLURDYBLOOP {102856}"); the client then sends no
// literal, and its next line is a new command.
func TestLiteralOfUnrunnableCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		login bool
		line  string
		want  string
	}{
		{"unknown command", true, "A044 BLURDYBLOOP {102856}", "A044 BAD Unknown command BLURDYBLOOP\r\n"},
		{"unknown UID command", true, "A045 UID BLURDYBLOOP {5}", "A045 BAD Unknown command UID BLURDYBLOOP\r\n"},
		{"not valid before login", false, "A046 SELECT {5}", "A046 BAD SELECT is not valid in the NOT AUTHENTICATED state\r\n"},
		{"no command name", true, "A047 {5}", "A047 BAD Unknown command {5}\r\n"},
		{"a command that may run", true, "A048 CREATE {5}", "+ Ready for literal data\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.session(t)
			if tc.login {
				s = e.login(t, "alice")
			}
			if diff := cmp.Diff(tc.want, feed(s, tc.line)); diff != "" {
				t.Errorf("reply to %q (-want +got):\n%s", tc.line, diff)
			}
			if tc.want[0] == '+' {
				return
			}
			// The literal was refused, so the next line is a command.
			if got, want := feed(s, "A050 NOOP"), "A050 OK NOOP completed\r\n"; got != want {
				t.Errorf("after the refusal, NOOP got %q, want %q", got, want)
			}
		})
	}
}
