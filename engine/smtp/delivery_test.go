package smtp_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/smtp"
)

// converse runs a Delivery against a server session, byte for byte, and
// returns the client's command lines as a trace would show them.
func converse(t *testing.T, s *smtp.Session, d *smtp.Delivery) []string {
	t.Helper()
	var trace []string
	_, send := d.Feed(s.Greeting())
	for steps := 0; len(send) > 0; steps++ {
		if steps > 100 {
			t.Fatal("the dialogue does not end")
		}
		var in []byte
		for _, c := range send {
			trace = append(trace, c.Redacted())
			for _, r := range s.Feed(c.Bytes(), clock.Epoch) {
				in = append(in, r.Data...)
			}
		}
		if d.Done() {
			break
		}
		_, send = d.Feed(in)
	}
	if !d.Done() {
		t.Fatal("the delivery is not done")
	}
	return trace
}

type rcptOutcome struct {
	Rcpt     string
	Code     int
	Enhanced string
	Stage    string
}

func outcomes(rs []smtp.RcptResult) []rcptOutcome {
	var out []rcptOutcome
	for _, r := range rs {
		out = append(out, rcptOutcome{r.Rcpt, r.Reply.Code, r.Reply.Enhanced, r.Stage})
	}
	return out
}

// RFC 5321 §3.3: MAIL, RCPT for each recipient, DATA only if one was
// accepted; each recipient's outcome is the reply that decided it
// (§4.2.5), and AUTH PLAIN precedes MAIL on submission (RFC 4954).
func TestDeliveryAgainstServer(t *testing.T) {
	const msg = "Subject: hi\n\n.leading dot\nbody\n"
	tests := []struct {
		name       string
		submission bool
		d          smtp.Delivery
		trace      []string
		results    []rcptOutcome
		inbox      map[string]int
	}{{
		name: "two recipients",
		d:    smtp.Delivery{Hello: "mail.example.org", From: "carol@example.org", To: []string{"alice@example.com", "bob@example.com"}},
		trace: []string{"EHLO mail.example.org", "MAIL FROM:<carol@example.org>", "RCPT TO:<alice@example.com>",
			"RCPT TO:<bob@example.com>", "DATA", "(message text, 39 octets)", "QUIT"},
		results: []rcptOutcome{{"alice@example.com", 250, "2.0.0", "end of data"}, {"bob@example.com", 250, "2.0.0", "end of data"}},
		inbox:   map[string]int{"alice": 1, "bob": 1},
	}, {
		name: "one unknown user",
		d:    smtp.Delivery{Hello: "h.example", From: "", To: []string{"nobody@example.com", "bob@example.com"}},
		trace: []string{"EHLO h.example", "MAIL FROM:<>", "RCPT TO:<nobody@example.com>",
			"RCPT TO:<bob@example.com>", "DATA", "(message text, 39 octets)", "QUIT"},
		results: []rcptOutcome{{"nobody@example.com", 550, "5.1.1", "RCPT"}, {"bob@example.com", 250, "2.0.0", "end of data"}},
		inbox:   map[string]int{"bob": 1},
	}, {
		name:    "nobody accepted: no DATA",
		d:       smtp.Delivery{Hello: "h.example", From: "x@example.net", To: []string{"x@example.net"}},
		trace:   []string{"EHLO h.example", "MAIL FROM:<x@example.net>", "RCPT TO:<x@example.net>", "QUIT"},
		results: []rcptOutcome{{"x@example.net", 550, "5.7.1", "RCPT"}},
	}, {
		name:       "submission with AUTH",
		submission: true,
		d:          smtp.Delivery{Hello: "laptop", From: "alice@example.com", To: []string{"bob@example.com"}, AuthUser: "alice", AuthPass: "wonderland"},
		trace: []string{"EHLO laptop", "AUTH PLAIN ****", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>",
			"DATA", "(message text, 39 octets)", "QUIT"},
		results: []rcptOutcome{{"bob@example.com", 250, "2.0.0", "end of data"}},
		inbox:   map[string]int{"bob": 1},
	}, {
		name:       "wrong password",
		submission: true,
		d:          smtp.Delivery{Hello: "laptop", From: "alice@example.com", To: []string{"bob@example.com"}, AuthUser: "alice", AuthPass: "guess"},
		trace:      []string{"EHLO laptop", "AUTH PLAIN ****", "QUIT"},
		results:    []rcptOutcome{{"bob@example.com", 535, "5.7.8", "AUTH"}},
	}, {
		name:       "submission without AUTH",
		submission: true,
		d:          smtp.Delivery{Hello: "laptop", From: "alice@example.com", To: []string{"bob@example.com"}},
		trace:      []string{"EHLO laptop", "MAIL FROM:<alice@example.com>", "QUIT"},
		results:    []rcptOutcome{{"bob@example.com", 530, "5.7.0", "MAIL"}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Submission = tc.submission
			d := tc.d
			d.Msg = []byte(msg)
			trace := converse(t, smtp.NewSession(e.cfg, 1, "192.0.2.9"), &d)
			if diff := cmp.Diff(tc.trace, trace); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.results, outcomes(d.Results())); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			for _, user := range []string{"alice", "bob"} {
				got := e.inbox(t, user)
				if len(got) != tc.inbox[user] {
					t.Errorf("%s has %d messages, want %d", user, len(got), tc.inbox[user])
				}
				for _, m := range got {
					if !strings.Contains(m, "\r\n.leading dot\r\n") {
						t.Errorf("dot-stuffing not undone:\n%s", m)
					}
				}
			}
		})
	}
}

// Replies from a scripted server: HELO after a 502 to EHLO (RFC 5321
// §3.2), 421 at any point (§3.8), a multiline reply, garbage, and a
// connection that ends early, which leaves recipients undecided (Code 0,
// temporary).
func TestDeliveryScripted(t *testing.T) {
	tests := []struct {
		name    string
		server  []string // one server reply per client step
		end     bool     // the connection ends after the script
		sent    []string
		results []rcptOutcome
		temp    bool
	}{{
		name:    "HELO fallback",
		server:  []string{"220 old.example\r\n", "502 5.5.1 what?\r\n", "250 old.example\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 done\r\n", "221 bye\r\n"},
		sent:    []string{"EHLO me.example", "HELO me.example", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "DATA", "(message text, 7 octets)", "QUIT"},
		results: []rcptOutcome{{"b@example.org", 250, "", "end of data"}},
	}, {
		name:    "multiline EHLO, 452 at RCPT",
		server:  []string{"220-hello\r\n220 there\r\n", "250-x.example\r\n250-SIZE 10\r\n250 HELP\r\n", "250 2.1.0 ok\r\n", "452 4.5.3 too many\r\n", "221 bye\r\n"},
		sent:    []string{"EHLO me.example", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "QUIT"},
		results: []rcptOutcome{{"b@example.org", 452, "4.5.3", "RCPT"}},
		temp:    true,
	}, {
		name:    "421 greeting",
		server:  []string{"421 4.3.2 busy\r\n"},
		results: []rcptOutcome{{"b@example.org", 421, "4.3.2", "greeting"}},
		temp:    true,
	}, {
		name:    "554 greeting",
		server:  []string{"554 5.3.2 go away\r\n", "221 bye\r\n"},
		sent:    []string{"QUIT"},
		results: []rcptOutcome{{"b@example.org", 554, "5.3.2", "greeting"}},
	}, {
		name:    "cut off after MAIL",
		server:  []string{"220 x\r\n", "250 x\r\n", "250 ok\r\n"},
		end:     true,
		sent:    []string{"EHLO me.example", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>"},
		results: []rcptOutcome{{"b@example.org", 0, "", ""}},
		temp:    true,
	}, {
		name:    "not SMTP",
		server:  []string{"HTTP/1.1 400 Bad Request\r\n"},
		sent:    []string{"QUIT"},
		results: []rcptOutcome{{"b@example.org", 0, "", ""}},
		temp:    true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &smtp.Delivery{Hello: "me.example", From: "a@example.com", To: []string{"b@example.org"}, Msg: []byte("hi\r\n")}
			var sent []string
			for _, r := range tc.server {
				_, cmds := d.Feed([]byte(r))
				for _, c := range cmds {
					sent = append(sent, c.Redacted())
				}
			}
			if tc.end {
				d.End()
			}
			if !d.Done() {
				t.Error("not done")
			}
			if diff := cmp.Diff(tc.sent, sent); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			res := d.Results()
			if diff := cmp.Diff(tc.results, outcomes(res)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if got := res[0].Temporary(); got != tc.temp {
				t.Errorf("Temporary() = %v, want %v", got, tc.temp)
			}
		})
	}
}
