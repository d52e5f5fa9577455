package pop3

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// visible counts the messages not marked deleted and their octets.
func (s *Session) visible() (n int, octets int64) {
	for _, m := range s.msgs {
		if !m.Deleted {
			n++
			octets += m.Octets
		}
	}
	return n, octets
}

// message resolves a message-number argument. RFC 1939 §5: a deleted
// message may not be referred to.
func (s *Session) message(arg string) (*Message, error) {
	n, err := parseMsgNumber(arg)
	if err != nil {
		return nil, err
	}
	if n > len(s.msgs) {
		return nil, replyError("No such message")
	}
	m := &s.msgs[n-1]
	if m.Deleted {
		return nil, replyError(fmt.Sprintf("Message %d is deleted", n))
	}
	return m, nil
}

// stat answers STAT (RFC 1939 §5).
func (s *Session) stat(_ []string, _ time.Time) Reply {
	n, octets := s.visible()
	return okReply(fmt.Sprintf("%d %d", n, octets))
}

// list answers LIST [msg] (RFC 1939 §5).
func (s *Session) list(args []string, _ time.Time) Reply {
	if len(args) == 1 {
		m, err := s.message(args[0])
		if err != nil {
			return errReply("", err.Error())
		}
		return okReply(fmt.Sprintf("%d %d", m.Number, m.Octets))
	}
	n, octets := s.visible()
	var body strings.Builder
	for _, m := range s.msgs {
		if !m.Deleted {
			fmt.Fprintf(&body, "%d %d\r\n", m.Number, m.Octets)
		}
	}
	return Reply{Data: multiline(fmt.Sprintf("%s (%d octets)", messages(n), octets), []byte(body.String()))}
}

// uidl answers UIDL [msg] (RFC 1939 §7).
func (s *Session) uidl(args []string, _ time.Time) Reply {
	if len(args) == 1 {
		m, err := s.message(args[0])
		if err != nil {
			return errReply("", err.Error())
		}
		return okReply(fmt.Sprintf("%d %s", m.Number, m.UIDL))
	}
	var body strings.Builder
	for _, m := range s.msgs {
		if !m.Deleted {
			fmt.Fprintf(&body, "%d %s\r\n", m.Number, m.UIDL)
		}
	}
	return Reply{Data: multiline("Unique-ID listing follows", []byte(body.String()))}
}

// read fetches a message's bytes from the store. A message another
// program removed meanwhile is reported, not invented.
func (s *Session) read(m *Message) ([]byte, *Reply) {
	data, err := s.cfg.Store.Read(s.authUser, mailstore.Inbox, m.UID)
	if err != nil {
		r := errReply(codeSysTemp, "Message is unavailable")
		if errors.Is(err, mailstore.ErrNoMessage) {
			r = errReply("", fmt.Sprintf("Message %d was removed from the maildrop", m.Number))
		}
		return nil, &r
	}
	return data, nil
}

// retr answers RETR msg (RFC 1939 §5). The octet count is the message's
// size with CRLF line endings, before byte-stuffing, as LIST reports it.
func (s *Session) retr(args []string, _ time.Time) Reply {
	m, err := s.message(args[0])
	if err != nil {
		return errReply("", err.Error())
	}
	data, errR := s.read(m)
	if errR != nil {
		return *errR
	}
	m.Retrieved = true
	s.emit(Event{Kind: EventRetrieved, Msg: m.Number})
	return Reply{Data: multiline(fmt.Sprintf("%d octets", m.Octets), data)}
}

// top answers TOP msg n (RFC 1939 §7).
func (s *Session) top(args []string, _ time.Time) Reply {
	m, err := s.message(args[0])
	if err != nil {
		return errReply("", err.Error())
	}
	for i := 0; i < len(args[1]); i++ {
		if args[1][i] < '0' || args[1][i] > '9' {
			return errReply("", "Invalid number of lines")
		}
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		// Only digits got here, so the count is merely too big for an
		// int: more lines than any body has, which asks for the whole
		// message (RFC 1939 §7).
		n = math.MaxInt
	}
	data, errR := s.read(m)
	if errR != nil {
		return *errR
	}
	return Reply{Data: multiline("Top of message follows", headerAndLines(data, n))}
}

// dele answers DELE msg (RFC 1939 §5): the message is only marked; UPDATE
// removes it.
func (s *Session) dele(args []string, _ time.Time) Reply {
	m, err := s.message(args[0])
	if err != nil {
		return errReply("", err.Error())
	}
	m.Deleted = true
	s.emit(Event{Kind: EventMarkedDeleted, Msg: m.Number})
	return okReply(fmt.Sprintf("Message %d deleted", m.Number))
}

// noop answers NOOP (RFC 1939 §5).
func (s *Session) noop(_ []string, _ time.Time) Reply { return okReply("") }

// rset answers RSET (RFC 1939 §5): every deletion mark is removed.
func (s *Session) rset(_ []string, _ time.Time) Reply {
	for i := range s.msgs {
		if s.msgs[i].Deleted {
			s.msgs[i].Deleted = false
			s.emit(Event{Kind: EventUnmarked, Msg: s.msgs[i].Number})
		}
	}
	n, octets := s.visible()
	return okReply(fmt.Sprintf("Maildrop has %s (%d octets)", messages(n), octets))
}

// quit answers QUIT (RFC 1939 §4, §6). From AUTHORIZATION it just ends the
// session. From TRANSACTION it enters UPDATE: messages marked deleted are
// removed and retrieved ones are flagged \Seen (as Dovecot does, so an IMAP
// client sees what POP3 downloaded), then the lock is released.
func (s *Session) quit(_ []string, _ time.Time) Reply {
	if s.state == Authorization {
		s.end("quit")
		return Reply{Data: okLine("wirelab POP3 server signing off"), Close: true}
	}
	s.setState(Update)
	var gone, seen []uint32
	for _, m := range s.msgs {
		switch {
		case m.Deleted:
			gone = append(gone, m.UID)
		case m.Retrieved:
			seen = append(seen, m.UID)
		}
	}
	err := s.cfg.Store.Expunge(s.authUser, mailstore.Inbox, gone)
	if len(seen) > 0 {
		// Losing a \Seen flag is harmless; losing the reply is not.
		_ = s.cfg.Store.AddFlag(s.authUser, mailstore.Inbox, seen, mailstore.FlagSeen)
	}
	left := len(s.msgs) - len(gone)
	s.emit(Event{Kind: EventUpdated, Detail: fmt.Sprintf("%d deleted, %d left", len(gone), left)})
	s.end("quit")
	if err != nil {
		// RFC 1939 §6: report that some deleted messages were not removed.
		return Reply{Data: errLine(codeSysTemp, "Some deleted messages were not removed"), Close: true}
	}
	if left == 0 {
		return Reply{Data: okLine("wirelab POP3 server signing off (maildrop empty)"), Close: true}
	}
	return Reply{Data: okLine(fmt.Sprintf("wirelab POP3 server signing off (%s left)", messages(left))), Close: true}
}
