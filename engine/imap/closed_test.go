package imap_test

import (
	"strings"
	"testing"
)

// Selecting a mailbox while another is selected closes the first; a client
// that enabled IMAP4rev2 or QRESYNC is sent OK [CLOSED] as the boundary
// between the two mailboxes' responses (RFC 9051 §6.3.2, RFC 7162
// §3.2.11), an IMAP4rev1 client is not.
func TestSelectAnotherSendsClosed(t *testing.T) {
	for _, tc := range []struct {
		name, enable string
		want         bool
	}{
		{"IMAP4rev1", "", false},
		{"IMAP4rev2", "IMAP4rev2", true},
		{"QRESYNC", "QRESYNC", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.login(t, "alice")
			if tc.enable != "" {
				if out := feed(s, "a ENABLE "+tc.enable); !strings.Contains(out, "a OK") {
					t.Fatalf("ENABLE %s: %q", tc.enable, out)
				}
			}
			if out := feed(s, "b SELECT INBOX"); !strings.Contains(out, "b OK") {
				t.Fatalf("SELECT INBOX: %q", out)
			}
			out := feed(s, "c EXAMINE Sent")
			if !strings.Contains(out, "c OK [READ-ONLY]") {
				t.Fatalf("EXAMINE Sent: %q", out)
			}
			closed := strings.Index(out, "* OK [CLOSED] ")
			if got := closed >= 0; got != tc.want {
				t.Fatalf("EXAMINE Sent sent [CLOSED]: %v, want %v:\n%s", got, tc.want, out)
			}
			if tc.want && closed != 0 {
				t.Errorf("[CLOSED] must come before Sent's responses:\n%s", out)
			}
		})
	}
}
