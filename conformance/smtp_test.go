package conformance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/conformance"
)

// smtpCase is a transcript on an inline world whose server is foo.com with
// the user Jones, followed by lines.
func smtpCase(header string, lines ...string) string {
	return "smtp\nprotocol: smtp\nworld: inline\nhostname: foo.com\nsmtp-domains: foo.com\n" + header +
		"-- world/users --\nJones:{PLAIN}secret\n-- transcript --\n" + strings.Join(lines, "\n") + "\n"
}

// The SMTP runner compares replies by code, multiline replies as one, and
// the server's domain in the greeting and the EHLO reply; each failing
// case is wrong in one place, and the line is the first of the reply.
func TestSMTPRunner(t *testing.T) {
	ehlo := []string{"S: 220 foo.com Service ready", "C: EHLO bar.com", "S: 250-foo.com greets bar.com", "S: 250-DSN", "S: 250 HELP"}
	for _, tc := range []struct {
		name       string
		transcript string
		status     conformance.Status
		line       int
		message    string
	}{
		{"the RFC's words and keywords are not the server's", smtpCase("", append(ehlo, "C: MAIL FROM:<a@bar.com>", "S: 250 OK", "C: RCPT TO:<Jones@FOO.COM>", "S: 250 OK")...),
			conformance.Pass, 0, ""},
		{"a one-line EHLO reply matches a multiline one", smtpCase("", "S: 220 foo.com ready", "C: EHLO bar.com", "S: 250 foo.com is on the air", "C: NOOP", "S: 250 OK"),
			conformance.Pass, 0, ""},
		{"HELO names the domain too", smtpCase("", "S: 220 foo.com ready", "C: HELO bar.com", "S: 250 xyz.com"),
			conformance.Fail, 11, "the server's reply differs"},
		{"the code is compared", smtpCase("", append(ehlo, "C: RCPT TO:<Jones@foo.com>", "S: 250 OK")...),
			conformance.Fail, 15, "the server's reply differs"},
		{"the greeting's domain is compared", smtpCase("", "S: 220 xyz.com Service ready"),
			conformance.Fail, 9, "the server's reply differs"},
		{"the EHLO reply's domain is compared", smtpCase("", "S: 220 FOO.COM Service ready", "C: EHLO bar.com", "S: 250-xyz.com greets bar.com", "S: 250 HELP"),
			conformance.Fail, 11, "the server's reply differs"},
		{"other replies' first words are the server's", smtpCase("", append(ehlo, "C: QUIT", "S: 221 xyz.com closing")...),
			conformance.Pass, 0, ""},
		{"a keyword with a placeholder is required", smtpCase("", "S: 220 foo.com ready", "C: EHLO bar.com", "S: 250-foo.com hi", "S: 250-SIZE {limit}", "S: 250 HELP"),
			conformance.Pass, 0, ""},
		{"a missing keyword with a placeholder fails", smtpCase("", "S: 220 foo.com ready", "C: EHLO bar.com", "S: 250-foo.com hi", "S: 250-DSN {*}", "S: 250 HELP"),
			conformance.Fail, 11, "the server's reply differs"},
		{"a captured keyword value is reused", smtpCase("smtp-size: 300\n", "S: 220 foo.com ready", "C: EHLO bar.com", "S: 250-foo.com hi", "S: 250-SIZE {limit}", "S: 250 HELP", "C: MAIL FROM:<a@bar.com> SIZE={limit}", "S: 250 OK", "C: RSET", "S: 250 OK", "C: MAIL FROM:<a@bar.com> SIZE=301", "S: 552 too big"),
			conformance.Pass, 0, ""},
		{"a pattern matches the first line whatever its separator", smtpCase("", "S: 220 foo.com {*}", "C: EHLO bar.com", "S: 250 foo.com greets {client}", "C: VRFY {client}", "S: 252 {*}"),
			conformance.Pass, 0, ""},
		{"a reply without its last line", smtpCase("", "S: 220 foo.com ready", "C: EHLO bar.com", "S: 250-foo.com hi", "C: NOOP"),
			conformance.Fail, 11, `the reply that starts here has no last line ("250 text")`},
		{"a reply whose lines change code", smtpCase("", "S: 220-foo.com ready", "S: 221 bye"),
			conformance.Fail, 10, "the lines of one reply have one code (RFC 5321 §4.2.1): 221 after 220"},
		{"not a reply line", smtpCase("", "S: hello"),
			conformance.Fail, 9, `"hello" is not an SMTP reply line ("ddd text", or "ddd-text" before the last line)`},
		{"the server has no more to say", smtpCase("", append(ehlo, "C: QUIT", "S: 221 bye", "S: 220 again")...),
			conformance.Fail, 16, "conformance: the server sent nothing more"},
		{"a VRFY answer from the header", smtpCase("smtp-vrfy: Crispin 250 Mark Crispin <Jones@foo.com>\nsmtp-vrfy: Nobody 550 no such user\n", append(ehlo, "C: VRFY Crispin", "S: 250 {*}<Jones@foo.com>", "C: VRFY Nobody", "S: 550 5.1.1 no such user", "C: VRFY Other", "S: 252 Cannot VRFY")...),
			conformance.Pass, 0, ""},
		{"relayed domains are taken, others refused", smtpCase("smtp-relay: xyz.com\n", append(ehlo, "C: MAIL FROM:<a@bar.com>", "S: 250 OK", "C: RCPT TO:<Jones@XYZ.COM>", "S: 250 OK", "C: RCPT TO:<Jones@abc.com>", "S: 550 no relay")...),
			conformance.Pass, 0, ""},
		{"the demo world's domains from dns/mailservers", "demo\nprotocol: smtp\n-- transcript --\nS: 220 wirelab.example ready\nC: HELO c.example\nS: 250 wirelab.example\nC: MAIL FROM:<>\nS: 250 OK\nC: RCPT TO:<alice@example.com>\nS: 250 OK\nC: RCPT TO:<bob@example.org>\nS: 250 OK\nC: RCPT TO:<alice@example.net>\nS: 550 not here\n",
			conformance.Pass, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := conformance.Parse("case.txtar", []byte(tc.transcript))
			if err != nil {
				t.Fatal(err)
			}
			r := conformance.Run(tr, conformance.Engine{}, time.Now)
			got := struct {
				Status  conformance.Status
				Line    int
				Message string
			}{r.Status, r.Line, r.Message}
			want := got
			want.Status, want.Line, want.Message = tc.status, tc.line, tc.message
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s\nexchange:\n%s", diff, strings.Join(r.Lines, "\n"))
			}
		})
	}
}

func TestSMTPServerFields(t *testing.T) {
	tr, err := conformance.Parse("case.txtar", []byte("t\nprotocol: smtp\nhostname: foo.com\nsmtp-domains: foo.com bar.com\nsmtp-relay: xyz.com\nsmtp-size: 1000\nsmtp-vrfy: Crispin 250 Mark Crispin <Admin.MRC@foo.com>\n-- transcript --\nS: 220 x\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &conformance.SMTPServer{
		Hostname:       "foo.com",
		Domains:        []string{"foo.com", "bar.com"},
		RelayDomains:   []string{"xyz.com"},
		MaxMessageSize: 1000,
		Verify:         map[string]string{"Crispin": "250 Mark Crispin <Admin.MRC@foo.com>"},
	}
	if diff := cmp.Diff(want, tr.SMTPServer); diff != "" {
		t.Errorf("SMTPServer (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, transcript, want string }{
		{"smtp fields on pop3", "t\nprotocol: pop3\nsmtp-size: 10\n-- transcript --\nS: x\n", "case.txtar:3: hostname and smtp-* fields are for protocol: smtp"},
		{"bad size", "t\nprotocol: smtp\nsmtp-size: big\n-- transcript --\nS: 220 x\n", `case.txtar:3: smtp-size "big" is not a positive number of octets`},
		{"bad vrfy", "t\nprotocol: smtp\nsmtp-vrfy: Crispin yes\n-- transcript --\nS: 220 x\n", `case.txtar:3: smtp-vrfy "Crispin yes" is not "ARGUMENT CODE text"`},
		{"bad hostname", "t\nprotocol: smtp\nhostname: foo com\n-- transcript --\nS: 220 x\n", `case.txtar:3: hostname "foo com" is not one domain`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conformance.Parse("case.txtar", []byte(tc.transcript))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
