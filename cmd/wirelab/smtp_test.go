package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmtplibSubmissionReachesIMAPIdle submits a message with Python's
// smtplib (EHLO, AUTH PLAIN on the submission port) to bob while bob's
// IMAP session IDLEs on his INBOX: the IDLE sees it arrive at once.
func TestSmtplibSubmissionReachesIMAPIdle(t *testing.T) {
	python := needTool(t, "python3", "python3")
	srv := startServe(t)
	ihost, iport := hostPort(srv.addrs["imap"])
	shost, sport := hostPort(srv.addrs["submission"])
	script := `
import imaplib, smtplib, sys, re
from email.message import EmailMessage
ihost, iport, shost, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
m = imaplib.IMAP4(ihost, iport)
m.login('bob', 'builder')
n = int(m.select('INBOX')[1][0])
tag = m._new_tag().decode()
m.send(('%s IDLE\r\n' % tag).encode())
assert m.readline().startswith(b'+'), 'no IDLE continuation'
msg = EmailMessage()
msg['From'] = 'alice@example.com'
msg['To'] = 'bob@example.org'
msg['Subject'] = 'Submitted with smtplib'
msg.set_content('Hello Bob, this came in over SMTP.')
with smtplib.SMTP(shost, sport, timeout=10) as s:
    s.ehlo('laptop.example.com')
    assert s.has_extn('auth'), 'no AUTH on submission'
    s.login('alice', 'wonderland')
    refused = s.send_message(msg)
    assert not refused, refused
m.sock.settimeout(10)
line = m.readline()
assert re.match(rb'\* %d EXISTS' % (n + 1), line), line
m.send(b'DONE\r\n')
while not m.readline().startswith(tag.encode()):
    pass
typ, data = m.fetch(str(n + 1), '(BODY.PEEK[])')
body = data[0][1]
assert b'Subject: Submitted with smtplib' in body, body
assert body.startswith(b'Received: '), body[:80]
m.logout()
print('smtplib to IMAP IDLE: ok')
`
	out, err := exec.Command(python, "-c", script, ihost, iport, shost, sport).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("smtplib/imaplib: %v\nserver log:\n%s", err, srv.stderr)
	}
}

// TestCurlSMTP sends mail to the SMTP port with curl's smtp:// and finds
// it over POP3; mail for a domain outside the world is refused.
func TestCurlSMTP(t *testing.T) {
	curl := needTool(t, "curl", "curl")
	srv := startServe(t)
	mail := filepath.Join(t.TempDir(), "mail.txt")
	os.WriteFile(mail, []byte("From: carol@example.com\r\nTo: bob@example.org\r\nSubject: via curl\r\n\r\nHi Bob.\r\n.leading dot line\r\n"), 0o600)
	out, err := exec.Command(curl, "--silent", "--show-error", "--max-time", "20", "smtp://"+srv.addrs["smtp"],
		"--mail-from", "carol@example.com", "--mail-rcpt", "bob@example.org", "--upload-file", mail).CombinedOutput()
	if err != nil {
		t.Fatalf("curl smtp: %v\n%s", err, out)
	}
	got := pyPOP3(t, srv.addrs["pop3"], "p.user('bob'); p.pass_('builder'); n = p.stat()[0]; print(b'\\n'.join(p.retr(n)[1]).decode()); p.quit()")
	if !strings.Contains(got, "Subject: via curl") || !strings.Contains(got, "\n.leading dot line") {
		t.Errorf("bob's newest message over POP3:\n%s", got)
	}
	out, err = exec.Command(curl, "--silent", "--show-error", "--max-time", "20", "smtp://"+srv.addrs["smtp"],
		"--mail-from", "carol@example.com", "--mail-rcpt", "someone@elsewhere.test", "--upload-file", mail).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "550") {
		t.Errorf("mail to a domain outside the world was not refused with 550: %v\n%s", err, out)
	}
}
