package pop3_test

import (
	"strings"
	"testing"
)

// TestUserNameEscape: a user name that reads as a path logs nobody in, by
// USER/PASS, APOP or AUTH PLAIN.
func TestUserNameEscape(t *testing.T) {
	for _, user := range []string{"../alice", "alice/../bob", "/alice", "./alice", "alice/", "alice\x00", "..", "."} {
		for _, cmds := range [][]string{
			{"USER " + user, "PASS wonderland"},
			{"AUTH PLAIN " + b64("\x00"+user+"\x00wonderland")},
			{"APOP " + user + " 0123456789abcdef0123456789abcdef"},
		} {
			e := demoEnv(t)
			s := e.session()
			got := feed(s, append(cmds, "STAT")...)
			if strings.Contains(got, "maildrop has") || !strings.HasSuffix(got, "-ERR STAT is not valid in the AUTHORIZATION state\r\n") {
				t.Errorf("%q: %q", cmds, got)
			}
		}
	}
}
