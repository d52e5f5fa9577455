package pop3_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/pop3"
)

// FuzzSession feeds arbitrary client bytes, split at an arbitrary point, to
// a session on the demo world. It must not panic, every reply must be a
// well-formed POP3 response, and a session that never sent QUIT must not
// have deleted anything.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"USER alice\r\nPASS wonderland\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRSET\r\nTOP 2 0\r\nUIDL\r\n",
		"AUTH PLAIN\r\nAGFsaWNlAHdvbmRlcmxhbmQ=\r\nDELE 1\r\nDELE 1\r\nLIST 1\r\n",
		"APOP alice 00000000000000000000000000000000\r\nCAPA\r\nSTLS\r\n",
		"USER alice\nPASS wonderland\nRETR 99999999999999999999\nTOP 1 -1\n",
		"\r\n \r\nUSER\r\nPASS x y\r\n" + string(bytes.Repeat([]byte("A"), 300)) + "\r\nNOOP\r\n",
	} {
		f.Add([]byte(seed), uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		e := demoEnv(t)
		before := len(dropOf(t, e, "alice").octets)
		s := pop3.NewSession(e.cfg, 1, clock.Epoch)
		at := min(int(cut), len(in))
		var replies []pop3.Reply
		replies = append(replies, s.Feed(in[:at], clock.Epoch)...)
		replies = append(replies, s.Feed(in[at:], clock.Epoch.Add(time.Second))...)
		sentQuit := false
		for _, r := range replies {
			if !bytes.HasPrefix(r.Data, []byte("+OK")) && !bytes.HasPrefix(r.Data, []byte("-ERR")) && !bytes.Equal(r.Data, []byte("+ \r\n")) {
				t.Fatalf("malformed reply %q", r.Data)
			}
			if !bytes.HasSuffix(r.Data, []byte("\r\n")) {
				t.Fatalf("reply without CRLF %q", r.Data)
			}
			sentQuit = sentQuit || (r.Close && s.EndReason() == "quit")
		}
		if !sentQuit {
			s.Abort()
			if after := len(dropOf(t, e, "alice").octets); after != before {
				t.Fatalf("no QUIT, yet alice's maildrop went from %d to %d messages", before, after)
			}
		}
	})
}
