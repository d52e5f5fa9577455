package smtp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// dataLine takes one line of message text (RFC 5321 §4.1.1.4). The line
// "." ends the message; otherwise a leading "." is removed (the
// transparency procedure of §4.5.2). done reports the end of the message,
// and r is then the reply to it.
func (s *Session) dataLine(line string, tooLong bool, now time.Time) (r Reply, done bool) {
	if tooLong {
		s.lineLong = true
		return Reply{}, false
	}
	if line == "." {
		return s.endData(now), true
	}
	line = strings.TrimPrefix(line, ".")
	if s.tooBig || s.lineLong {
		return Reply{}, false
	}
	if int64(s.body.Len()+len(line)+2) > s.cfg.maxSize() {
		// Keep reading to the end, then refuse (RFC 1870 §6.3).
		s.tooBig = true
		s.body.Reset()
		return Reply{}, false
	}
	s.body.WriteString(line)
	s.body.WriteString("\r\n")
	return Reply{}, false
}

// endData delivers the message and answers the final ".".
func (s *Session) endData(now time.Time) Reply {
	defer s.reset()
	switch {
	case s.lineLong:
		s.emit(Event{Kind: EventRefused, Detail: "line too long"})
		return reply(500, "5.5.2", "Line too long")
	case s.tooBig:
		s.emit(Event{Kind: EventRefused, Detail: "message too big"})
		return reply(552, "5.3.4", "Message size exceeds fixed limit")
	}
	id := s.queueID()
	s.delivered++
	var forAddr string
	if len(s.rcpts) == 1 {
		forAddr = s.rcpts[0]
	}
	msg := append(s.received(id, forAddr, now), s.body.Bytes()...)
	if len(s.relay) > 0 {
		// Relay first: a failure then leaves nothing delivered, so the
		// client's retry makes no duplicates.
		if err := s.cfg.Relay(s.from, append([]string(nil), s.relay...), msg); err != nil {
			s.emit(Event{Kind: EventRefused, Detail: "relay failed: " + err.Error()})
			return reply(451, "4.4.0", "Error: relay failed")
		}
	}
	for _, user := range s.local {
		if err := s.deliver(user, msg, now); err != nil {
			s.emit(Event{Kind: EventRefused, Detail: "delivery to " + user + " failed: " + err.Error()})
			if errors.Is(err, mailstore.ErrNoSpace) {
				// RFC 5321 §4.2.2 452, RFC 3463 X.3.1: mail system full.
				return reply(452, "4.3.1", "Error: insufficient system storage")
			}
			return reply(451, "4.3.0", "Error: local delivery failed")
		}
	}
	s.emit(Event{Kind: EventDelivered, Detail: fmt.Sprintf("%s: %d local, %d relayed", id, len(s.local), len(s.relay))})
	return reply(250, "2.0.0", "Ok: queued as "+id)
}

func (s *Session) deliver(user string, msg []byte, now time.Time) error {
	st := s.cfg.Store
	if st == nil {
		return fmt.Errorf("smtp: no store")
	}
	if !st.HasUser(user) {
		if err := st.EnsureUser(user); err != nil {
			return err
		}
	}
	_, err := st.Deliver(user, mailstore.Inbox, msg, nil, now)
	return err
}

// received builds the trace header RFC 5321 §4.4 asks every SMTP server to
// prepend: from the client's EHLO name and address, by this host, with the
// protocol (RFC 3848: ESMTP, ESMTPS, ESMTPA, ESMTPSA or SMTP), the queue id,
// the recipient when there is one, and the date (RFC 5322 §3.3).
func (s *Session) received(id, forAddr string, now time.Time) []byte {
	proto := "SMTP"
	if s.esmtp {
		proto = "ESMTP"
		if s.tls {
			proto += "S"
		}
		if s.authUser != "" {
			proto += "A"
		}
	}
	from := sanitize(s.heloName)
	if s.peer != "" {
		from += " (" + sanitize(s.peer) + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s\r\n\tby %s with %s id %s", from, s.cfg.hostname(), proto, id)
	if forAddr != "" {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", sanitize(forAddr))
	}
	fmt.Fprintf(&b, "; %s\r\n", now.Format(time.RFC1123Z))
	return []byte(b.String())
}
