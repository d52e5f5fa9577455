package smtp_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/smtp"
)

func TestEvents(t *testing.T) {
	e := newEnv(t)
	e.cfg.Submission = true
	var got []string
	e.cfg.OnEvent = func(ev smtp.Event) {
		switch ev.Kind {
		case smtp.EventState:
			got = append(got, ev.From.String()+">"+ev.State.String())
		default:
			got = append(got, ev.User+":"+ev.Detail)
		}
	}
	s := smtp.NewSession(e.cfg, 2, "")
	run(s, crlf("EHLO c", "AUTH PLAIN "+plainIR("bob", "x"), "AUTH PLAIN "+plainIR("bob", "builder"),
		"MAIL FROM:<bob@example.com>", "RCPT TO:<zed@example.com>", "RCPT TO:<alice@example.com>", "DATA", "hi", ".", "QUIT"))
	want := []string{
		"CONNECTED>READY",
		":bob",
		"bob:bob",
		"READY>MAIL",
		"bob:unknown user zed@example.com",
		"MAIL>RCPT",
		"RCPT>DATA",
		"bob:20000: 1 local, 0 relayed",
		"DATA>READY",
		"READY>CLOSED",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if s.EndReason() != "quit" || s.State() != smtp.Closed || s.User() != "bob" {
		t.Errorf("end %q state %v user %q", s.EndReason(), s.State(), s.User())
	}
}
