package pop3

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// capa answers CAPA (RFC 2449 §5). What is listed depends on the state:
// login mechanisms only before login, STLS only while it can still be used.
func (s *Session) capa(_ []string, _ time.Time) Reply {
	caps := []string{"TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"}
	if s.state == Authorization {
		if !s.plaintextRefused() {
			caps = append(caps, "USER", "SASL PLAIN")
		}
		if s.cfg.TLSAvailable && !s.tls {
			caps = append(caps, "STLS")
		}
	}
	caps = append(caps, "IMPLEMENTATION "+Implementation)
	body := strings.Join(caps, "\r\n") + "\r\n"
	return Reply{Data: multiline("Capability list follows", []byte(body))}
}

// userCmd answers USER (RFC 1939 §7). The reply is the same whether or not
// the user exists, so that USER cannot be used to probe for accounts.
func (s *Session) userCmd(args []string, _ time.Time) Reply {
	if s.plaintextRefused() {
		return plaintextReply()
	}
	s.user = args[0]
	return okReply("Send your password")
}

// pass answers PASS (RFC 1939 §7).
func (s *Session) pass(args []string, now time.Time) Reply {
	if s.plaintextRefused() {
		return plaintextReply()
	}
	if s.user == "" {
		return errReply("", "Send USER first")
	}
	user := s.user
	s.user = ""
	return s.login(user, s.cfg.Users.Authenticate(user, args[0]), now)
}

// apop answers APOP (RFC 1939 §7): the digest is MD5 over the greeting's
// timestamp and the shared secret.
func (s *Session) apop(args []string, now time.Time) Reply {
	s.user = ""
	return s.login(args[0], s.cfg.Users.AuthenticateAPOP(args[0], s.timestamp, strings.ToLower(args[1])), now)
}

// authCmd answers AUTH (RFC 5034). Without arguments it lists the
// mechanisms, as many servers do for older clients.
func (s *Session) authCmd(args []string, now time.Time) Reply {
	if len(args) == 0 {
		return Reply{Data: multiline("Supported SASL mechanisms", []byte("PLAIN\r\n"))}
	}
	if !strings.EqualFold(args[0], "PLAIN") {
		return errReply("", "Unsupported SASL mechanism")
	}
	if s.plaintextRefused() {
		return plaintextReply()
	}
	s.user = ""
	if len(args) == 1 {
		// RFC 5034 §4: an empty challenge, then the client's response.
		s.saslWait = true
		return Reply{Data: []byte("+ \r\n")}
	}
	if args[1] == "=" { // RFC 5034 §4: "=" is an empty initial response
		return s.plain("", now)
	}
	return s.plain(args[1], now)
}

func (s *Session) saslResponse(line string) Reply {
	s.saslWait = false
	if line == "*" {
		return errReply("", "Authentication cancelled")
	}
	return s.plain(line, time.Time{})
}

func (s *Session) plain(b64 string, now time.Time) Reply {
	authz, authc, pass, err := auth.DecodePlain(b64)
	if err != nil {
		return errReply("", "Malformed SASL PLAIN response")
	}
	if authz != "" && authz != authc {
		// wirelab has no administrators who may act for others.
		return s.login(authc, auth.ErrBadCredentials, now)
	}
	return s.login(authc, s.cfg.Users.Authenticate(authc, pass), now)
}

// plaintextRefused says a password may not be sent in the clear yet.
func (s *Session) plaintextRefused() bool { return s.cfg.PlaintextNeedsTLS && !s.tls }

// plaintextReply refuses a clear-text login. No RFC 2449 response code
// fits ([AUTH] would blame the credentials), so the text says what to do.
func plaintextReply() Reply {
	return errReply("", "Plain-text login is disabled on this connection: send STLS first")
}

// stls answers STLS (RFC 2595 §4).
func (s *Session) stls(_ []string, _ time.Time) Reply {
	if !s.cfg.TLSAvailable {
		return errReply("", "TLS is not available")
	}
	if s.tls {
		return errReply("", "TLS is already active")
	}
	s.tls = true
	return Reply{Data: okLine("Begin TLS negotiation"), StartTLS: true}
}

// login finishes any of the login commands: on success it locks and opens
// the maildrop and enters TRANSACTION (RFC 1939 §7).
func (s *Session) login(user string, authErr error, _ time.Time) Reply {
	if authErr != nil {
		s.failures++
		s.emit(Event{Kind: EventLoginFailed, Detail: sanitize(user)})
		r := Reply{Delay: AuthFailureDelay}
		if errors.Is(authErr, auth.ErrBadCredentials) {
			r.Data = errLine(codeAuth, "Authentication failed")
		} else {
			r.Data = errLine(codeSysTemp, "Authentication is temporarily unavailable")
		}
		if s.failures >= MaxAuthFailures {
			// One reply per command: the closing is said on the same line.
			r.Data = errLine(codeAuth, "Authentication failed; too many failures, closing the connection")
			r.Close = true
			s.end("too many failed logins")
		}
		return r
	}
	unlock, err := s.cfg.Store.LockMaildrop(user)
	if err != nil {
		if errors.Is(err, mailstore.ErrLocked) {
			return errReply(codeInUse, "Maildrop is locked by another POP3 session")
		}
		return errReply(codeSysTemp, "Maildrop is unavailable")
	}
	if err := s.open(user); err != nil {
		unlock()
		return errReply(codeSysTemp, "Maildrop is unavailable")
	}
	s.unlock = unlock
	s.authUser = user
	s.setState(Transaction)
	n, octets := s.visible()
	return okReply(fmt.Sprintf("%s's maildrop has %s (%d octets)", user, messages(n), octets))
}

// open takes the snapshot of the maildrop that the whole session works on.
// Message numbers stay fixed until the session ends (RFC 1939 §5).
func (s *Session) open(user string) error {
	st := s.cfg.Store
	if !st.HasUser(user) {
		if err := st.EnsureUser(user); err != nil {
			return err
		}
	}
	if err := st.Refresh(user, mailstore.Inbox); err != nil {
		return err
	}
	list, status, err := st.List(user, mailstore.Inbox)
	if err != nil {
		return err
	}
	s.validity = status.UIDValidity
	s.msgs = make([]Message, len(list))
	for i, m := range list {
		s.msgs[i] = Message{
			Number: i + 1,
			UID:    m.UID,
			UIDL:   uidl(m.UID, status.UIDValidity),
			Octets: m.VSize,
		}
	}
	return nil
}

// uidl builds a unique-id (RFC 1939 §7: 1 to 70 characters in 0x21-0x7E)
// from the UID and UIDVALIDITY, the way Dovecot's default %08Xu%08Xv does,
// so a POP3 client sees the same ids an IMAP client would infer.
func uidl(uid, validity uint32) string {
	return fmt.Sprintf("%08X%08X", uid, validity)
}
