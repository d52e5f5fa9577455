package smtp_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/smtp"
)

// FuzzSession feeds arbitrary client bytes, split at an arbitrary point, to
// a submission session that may relay. It must not panic, and every reply
// line must be three digits followed by a space or "-" and end in CRLF
// (RFC 5321 §4.2).
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		crlf("EHLO c", "MAIL FROM:<alice@example.com> SIZE=10 BODY=8BITMIME", "RCPT TO:<bob@example.com>", "DATA", "..x", ".", "QUIT"),
		crlf("HELO c", "AUTH PLAIN", plainIR("alice", "wonderland"), "MAIL FROM:<alice@example.com>", "RCPT TO:<x@far.example>", "DATA", "hi", "."),
		crlf("EHLO c", "STARTTLS", "VRFY alice", "HELP", "RSET", "NOOP", "EXPN x"),
		"MAIL FROM:<\r\nRCPT TO:<@a:b@c>\r\n\n" + strings.Repeat("A", 600) + "\r\nDATA\r\n",
	} {
		f.Add([]byte(seed), uint8(9))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		e := newEnv(t)
		e.cfg.Submission = true
		e.cfg.TLSAvailable = true
		e.cfg.MaxMessageSize = 200
		e.cfg.Relay = func(string, []string, []byte) error { return nil }
		s := smtp.NewSession(e.cfg, 1, "192.0.2.1")
		at := min(int(cut), len(in))
		replies := s.Feed(in[:at], clock.Epoch)
		replies = append(replies, s.Feed(in[at:], clock.Epoch.Add(time.Second))...)
		for _, r := range replies {
			if !bytes.HasSuffix(r.Data, []byte("\r\n")) {
				t.Fatalf("reply without CRLF %q", r.Data)
			}
			for _, line := range strings.Split(strings.TrimSuffix(string(r.Data), "\r\n"), "\r\n") {
				if len(line) < 4 || strings.Trim(line[:3], "0123456789") != "" || (line[3] != ' ' && line[3] != '-') {
					t.Fatalf("malformed reply line %q", line)
				}
			}
		}
	})
}
