package conformance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/conformance"
)

// The runner must catch divergences, at the right line: each case is a
// transcript that is wrong in one place.
func TestRunnerFindsDivergences(t *testing.T) {
	for _, tc := range []struct {
		name       string
		transcript string
		status     conformance.Status
		line       int
		message    string
	}{
		{"pop3 all good", "ok\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nC: USER alice\nS: +OK {*}\nC: PASS wonderland\nS: +OK alice's maildrop has 9 messages ({octets} octets)\nC: STAT\nS: +OK 9 {octets}\n",
			conformance.Pass, 0, ""},
		{"wrong count", "count\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nC: USER alice\nS: +OK {*}\nC: PASS wonderland\nS: +OK {*}\nC: STAT\nS: +OK 8 133545\n",
			conformance.Fail, 10, "the server's line differs"},
		{"wrong status", "status\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nC: STAT\nS: +OK 1 2\n",
			conformance.Fail, 6, "the server's line differs"},
		{"capture reused", "capture\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nC: USER alice\nS: +OK {*}\nC: PASS wonderland\nS: +OK {*}\nC: UIDL 1\nS: +OK 1 {id}\nC: UIDL 2\nS: +OK 2 {id}\n",
			conformance.Fail, 12, "the server's line differs"},
		{"uncaptured name", "uncaptured\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nC: USER {who}\n",
			conformance.Fail, 5, "{who} was not captured by an earlier S: line"},
		{"server says more than expected is fine, less is not", "less\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nS: +OK another line\n",
			conformance.Fail, 5, "conformance: the server sent nothing more"},
		{"xfail", "xfail\nprotocol: pop3\nxfail: the server greets with -ERR in this made-up case\n-- transcript --\nS: -ERR {*}\n",
			conformance.XFail, 5, "the server's line differs"},
		{"xpass", "xpass\nprotocol: pop3\nxfail: marked, but passes\n-- transcript --\nS: +OK {*}\n",
			conformance.XPass, 0, "passed, but is marked xfail: marked, but passes"},
		{"imap untagged in any order, extra lines allowed, text free", "imap\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK\nC: b SELECT INBOX\nS: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\nS: * 9 EXISTS\nS: b OK [READ-WRITE] some other words\n",
			conformance.Pass, 0, ""},
		{"imap response code must match", "imap\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK\nC: b EXAMINE INBOX\nS: * 9 EXISTS\nS: b OK [READ-WRITE] EXAMINE completed\n",
			conformance.Fail, 9, "the server's line differs"},
		{"imap missing untagged line", "imap\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK\nC: b SELECT INBOX\nS: * 10 EXISTS\nS: b OK {*}\n",
			conformance.Fail, 8, "no untagged line of the server matches this one"},
		{"imap a second connection's change reaches the first", "two\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK {*}\nC: b SELECT INBOX\nS: * 9 EXISTS\nS: b OK {*}\nS2: * OK {*}\nC2: c LOGIN alice wonderland\nS2: c OK {*}\nC2: d SELECT INBOX\nS2: d OK {*}\nC2: e STORE 1 +FLAGS.SILENT (\\Flagged)\nS2: e OK {*}\nC: f NOOP\nS: * 1 FETCH (FLAGS (\\Flagged \\Seen))\nS: f OK {*}\n",
			conformance.Pass, 0, ""},
		{"imap IDLE hears another connection's APPEND", "idle\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK {*}\nC: b SELECT INBOX\nS: b OK {*}\nC: c IDLE\nS: + {*}\nC2: d LOGIN alice wonderland\nS2: d OK {*}\nC2: e APPEND INBOX {3+}\nC2: x\nC2:\nS2: e OK {*}\nS: * 10 EXISTS\nC: DONE\nS: c OK {*}\n",
			conformance.Pass, 0, ""},
		{"imap a second connection's line differs", "two\nprotocol: imap\n-- transcript --\nS: * OK {*}\nS2: * OK {*}\nC2: a LOGIN alice wrong\nS2: a OK {*}\n",
			conformance.Fail, 7, "the server's line differs"},
		{"imap the same values written another way", "canon\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK {*}\nC: b STATUS Sent (UIDVALIDITY MESSAGES)\nS: * STATUS Sent (UIDVALIDITY {v} MESSAGES 3)\nS: b OK {*}\nC: c LIST \"\" Sent\nS: * LIST () \"{sep}\" Sent\nS: c OK {*}\nC: d SELECT INBOX\nS: d OK {*}\nC: e FETCH 3 (FLAGS RFC822.SIZE)\nS: * 3 FETCH (RFC822.SIZE {size} FLAGS (\\Seen \\ANSWERED))\nS: e OK {*}\n",
			conformance.Pass, 0, ""},
		{"imap flags are still compared", "flags\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK {*}\nC: d SELECT INBOX\nS: d OK {*}\nC: e FETCH 3 (FLAGS)\nS: * 3 FETCH (FLAGS (\\Seen))\nS: e OK {*}\n",
			conformance.Fail, 10, "no untagged line of the server matches this one"},
		{"imap a FETCH item the example names is required", "items\nprotocol: imap\n-- transcript --\nS: * OK {*}\nC: a LOGIN alice wonderland\nS: a OK {*}\nC: d SELECT INBOX\nS: d OK {*}\nC: e FETCH 3 (FLAGS)\nS: * 3 FETCH (FLAGS (\\Seen \\Answered) RFC822.SIZE {size})\nS: e OK {*}\n",
			conformance.Fail, 10, "no untagged line of the server matches this one"},
		{"dns answer differs", "dns\nprotocol: dns\n-- transcript --\nQ: www.example.org A\nS: answer www.example.org. 3600 IN A 192.0.2.1\n",
			conformance.Fail, 5, `answer section of the answer to "www.example.org A" differs`},
		{"dns rcode differs", "dns\nprotocol: dns\n-- transcript --\nQ: nosuch.example.org A\nS: rcode NOERROR\n",
			conformance.Fail, 5, "response code differs"},
		{"dns servers asked differ", "dns\nprotocol: dns\n-- transcript --\nQ: www.example.org A\nT: asked a.root-servers.net ns1.example.org\n",
			conformance.Fail, 5, "servers asked differ"},
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

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, transcript, want string }{
		{"no protocol", "title\n-- transcript --\nS: x\n", "case.txtar: no protocol"},
		{"bad header", "title\nprotocol: pop3\nthis is not a field\n-- transcript --\nS: x\n", "case.txtar:3: header line"},
		{"unknown field", "title\nprotocol: pop3\ncolour: blue\n-- transcript --\nS: x\n", `case.txtar:3: unknown header field "colour"`},
		{"bad direction", "title\nprotocol: pop3\n-- transcript --\nS: x\nX: y\n", `case.txtar:5: unknown direction "X:"`},
		{"no transcript", "title\nprotocol: pop3\n-- world/users --\n", "no transcript"},
		{"bad inline world", "title\nprotocol: pop3\nworld: inline\n-- world/users --\nbob:{MD9}x\n-- transcript --\nS: x\n", "inline world"},
		{"connection 0", "title\nprotocol: imap\n-- transcript --\nS0: x\n", `case.txtar:4: unknown direction "S0:"`},
		{"second connection in dns", "title\nprotocol: dns\n-- transcript --\nQ2: x\n", `case.txtar:4: unknown direction "Q2:"`},
		{"world files without inline", "title\nprotocol: pop3\n-- world/users --\nbob:x\n-- transcript --\nS: x\n", "say world: inline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conformance.Parse("case.txtar", []byte(tc.transcript))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
