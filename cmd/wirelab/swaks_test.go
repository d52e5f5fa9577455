package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestSwaks drives wirelab serve with swaks, a real SMTP client: mail to
// bob over the SMTP port, a submission from alice with STARTTLS and AUTH
// PLAIN (RFC 3207, RFC 4954, RFC 6409), both then read back over POP3; and
// mail to an unknown user, which must fail with 550 and swaks's exit
// status for "no RCPTs accepted".
func TestSwaks(t *testing.T) {
	swaks := needTool(t, "swaks", "swaks")
	srv := startServe(t)
	shost, sport := hostPort(srv.addrs["smtp"])
	mhost, mport := hostPort(srv.addrs["submission"])
	for _, tc := range []struct {
		name string
		args []string
		// code is swaks's exit status (swaks(1), EXIT CODES).
		code int
		// want are what the transcript swaks prints must contain: its
		// "<-" lines are the server's replies, "->" its own commands.
		want []string
	}{
		{
			name: "smtp to bob",
			args: []string{"--server", shost, "--port", sport, "--helo", "laptop.example.net",
				"--from", "carol@example.com", "--to", "bob@example.org",
				"--header", "Subject: swaks over smtp", "--body", "Hello Bob, from swaks."},
			want: []string{"<-  220 wirelab.example", "-> RCPT TO:<bob@example.org>", "<-  250 2.0.0 Ok: queued as"},
		},
		{
			name: "submission with STARTTLS and AUTH PLAIN",
			args: []string{"--server", mhost, "--port", mport, "--helo", "laptop.example.net", "--tls",
				"--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "wonderland",
				"--from", "alice@example.com", "--to", "bob@example.org",
				"--header", "Subject: swaks submission", "--body", "Submitted by alice."},
			want: []string{"<-  220 2.0.0", "~> AUTH PLAIN", "<~  235 ", "<~  250 2.0.0 Ok: queued as"},
		},
		{
			name: "unknown user",
			args: []string{"--server", shost, "--port", sport, "--helo", "laptop.example.net",
				"--from", "carol@example.com", "--to", "nosuch@example.org"},
			code: 24,
			want: []string{"<** 550 5.1.1 <nosuch@example.org>"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(swaks, tc.args...).CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("swaks exited %d, want %d:\n%s\nserver log:\n%s", code, tc.code, out, srv.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("swaks output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	// Both messages reached bob's INBOX, newest last.
	got := pyPOP3(t, srv.addrs["pop3"], "p.user('bob'); p.pass_('builder'); n = p.stat()[0]\nfor i in (n-1, n): print(b'\\n'.join(p.retr(i)[1]).decode())\np.quit()")
	for _, w := range []string{"Subject: swaks over smtp", "Hello Bob, from swaks.", "Subject: swaks submission", "Submitted by alice."} {
		if !strings.Contains(got, w) {
			t.Errorf("bob's last two messages over POP3 lack %q:\n%s", w, got)
		}
	}
	if i, j := strings.Index(got, "swaks over smtp"), strings.Index(got, "swaks submission"); i > j {
		t.Errorf("the submission arrived before the SMTP message:\n%s", got)
	}
}
