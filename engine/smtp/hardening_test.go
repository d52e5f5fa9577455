package smtp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/smtp"
)

// TestPlaintextNeedsTLS: a submission server that must not see passwords
// in the clear leaves AUTH out of EHLO and answers AUTH PLAIN with 538
// until TLS is up (RFC 4954 §4, §6); on TLS it logs in as before.
func TestPlaintextNeedsTLS(t *testing.T) {
	ir := plainIR("alice", "wonderland")
	for _, tc := range []struct {
		name   string
		needs  bool
		tls    bool
		script []string
		want   []string
	}{
		{"clear text allowed", false, false, []string{"EHLO c.example.net", "AUTH PLAIN " + ir},
			[]string{"250-AUTH PLAIN", "235 2.7.0 Authentication successful"}},
		{"refused without TLS", true, false, []string{"EHLO c.example.net", "AUTH PLAIN " + ir, "AUTH PLAIN"},
			[]string{"538 5.7.11 Encryption required for requested authentication mechanism; send STARTTLS first",
				"538 5.7.11 Encryption required for requested authentication mechanism; send STARTTLS first"}},
		{"on TLS", true, true, []string{"EHLO c.example.net", "AUTH PLAIN " + ir},
			[]string{"250-AUTH PLAIN", "235 2.7.0 Authentication successful"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Submission, e.cfg.PlaintextNeedsTLS = true, tc.needs
			s := smtp.NewSession(e.cfg, 1, "")
			if tc.tls {
				s.SetTLS()
			}
			got := run(s, crlf(tc.script...))
			var kept []string
			for _, l := range got {
				if strings.HasPrefix(l, "250-AUTH") || !strings.HasPrefix(l, "250") {
					kept = append(kept, l)
				}
			}
			if diff := cmp.Diff(tc.want, kept); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiskFull: a full disk answers DATA with 452 4.3.1 (RFC 5321 §4.2.2,
// RFC 3463 X.3.1), a temporary failure the client retries, and stores
// nothing; once there is room again the same transaction goes through.
func TestDiskFull(t *testing.T) {
	e := newEnv(t)
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	faulty := &mailstore.FaultFS{FS: fsys}
	st := mailstore.New(faulty, mailstore.Options{})
	if err := st.EnsureUser("alice"); err != nil {
		t.Fatal(err)
	}
	e.cfg.Store = st
	script := crlf("HELO c", "MAIL FROM:<bob@example.org>", "RCPT TO:<alice@example.com>", "DATA", "Subject: hi", "", "hello", ".")
	faulty.FailWrites(mailstore.ErrNoSpace)
	got := run(smtp.NewSession(e.cfg, 1, ""), script)
	if want := "452 4.3.1 Error: insufficient system storage"; got[len(got)-1] != want {
		t.Errorf("on a full disk: %q, want %q", got[len(got)-1], want)
	}
	faulty.FailWrites(nil)
	got = run(smtp.NewSession(e.cfg, 2, ""), script)
	if !strings.HasPrefix(got[len(got)-1], "250 2.0.0") {
		t.Errorf("after the disk has room: %q", got[len(got)-1])
	}
	msgs, _, err := st.List("alice", mailstore.Inbox)
	if err != nil || len(msgs) != 1 {
		t.Errorf("alice has %d messages (%v), want the one accepted", len(msgs), err)
	}
	// Any other failure stays 451 4.3.0.
	faulty.FailWrites(nil)
	faulty.Fail = func(op, name string) error { return errors.New("i/o error") }
	got = run(smtp.NewSession(e.cfg, 3, ""), script)
	if want := "451 4.3.0 Error: local delivery failed"; got[len(got)-1] != want {
		t.Errorf("on another failure: %q, want %q", got[len(got)-1], want)
	}
}
