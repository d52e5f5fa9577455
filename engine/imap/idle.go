package imap

import (
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

func init() {
	register("IDLE", authed, (*Session).idle)
	advertise("IDLE")
}

// idle answers IDLE (RFC 2177, RFC 9051 §6.3.13): the updates queued so
// far go out with the continuation request, later ones as they happen
// (the driver calls Poll when the session wakes it), and the client's
// "DONE" ends the command (idleInput). The autologout timer keeps running:
// RFC 9051 §6.3.13 lets a server log out a client that idles too long,
// and clients re-issue IDLE every 29 minutes for that reason.
func (s *Session) idle(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	if s.sel != nil && s.state == Selected {
		s.flushUpdates(c.out, true)
	}
	c.out.Continue("idling")
	s.idleTag = c.tag
	c.deferred = true
	return nil
}

// idleInput ends the IDLE in progress with what the client sent: "DONE"
// gives the tagged OK; anything else is a client error, answered with BAD
// for the IDLE (RFC 2177 §3: the client must not send a command while
// idling) and dropped. A command that waits for a continuation request is
// told BAD too, so that it does not hang.
func (s *Session) idleInput(ev imapwire.Event, now time.Time) Reply {
	c := &cmd{tag: s.idleTag, name: "IDLE", out: imapwire.NewEncoder(nil), dec: imapwire.NewDecoder(nil), now: now}
	s.idleTag = ""
	var err error
	var after []byte
	switch ev.Kind {
	case imapwire.EventCommand:
		if strings.EqualFold(string(ev.Command), "DONE") {
			c.okText = "IDLE terminated"
		} else {
			err = bad("Expected DONE to end IDLE; the command was not run")
		}
	case imapwire.EventLiteral:
		s.reader.Reject()
		err = bad("Expected DONE to end IDLE; the command was not run")
		if ev.Literal.Tag != "" {
			after = tagged(ev.Literal.Tag, "BAD", "", "Command sent during IDLE")
		}
	case imapwire.EventError:
		err = bad("Expected DONE to end IDLE")
		after = s.commandError(ev.Err).Data
	}
	return Reply{Data: append(s.finish(c, err), after...)}
}
