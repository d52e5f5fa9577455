package imap

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

func init() {
	register("LOGIN", notAuth, (*Session).login)
	register("AUTHENTICATE", notAuth, (*Session).authenticate)
	register("STARTTLS", notAuth, (*Session).starttls)
}

// login answers LOGIN (RFC 9051 §6.2.3).
func (s *Session) login(c *cmd) error {
	c.dec.ExpectSP()
	user := c.dec.AString()
	c.dec.ExpectSP()
	pass := c.dec.AString()
	if !c.dec.ExpectEOL() {
		return nil
	}
	if s.plaintextRefused() {
		return no("PRIVACYREQUIRED", "LOGIN is disabled until STARTTLS")
	}
	return s.loggedIn(c, user, s.cfg.Users.Authenticate(user, pass))
}

// authenticate answers AUTHENTICATE PLAIN (RFC 9051 §6.2.2, RFC 4616),
// with the initial response on the command line (SASL-IR, RFC 4959) or
// after an empty challenge.
func (s *Session) authenticate(c *cmd) error {
	c.dec.ExpectSP()
	mech := c.dec.Atom()
	var initial string
	hasInitial := false
	if c.dec.SP() {
		initial = c.dec.Atom()
		hasInitial = true
	}
	if !c.dec.ExpectEOL() {
		return nil
	}
	if !strings.EqualFold(mech, "PLAIN") {
		return no("CANNOT", "Unsupported SASL mechanism")
	}
	if s.plaintextRefused() {
		return no("PRIVACYREQUIRED", "AUTHENTICATE PLAIN is disabled until STARTTLS")
	}
	if !hasInitial {
		// Wait for the client's response on a line of its own.
		s.authTag = c.tag
		c.out.Raw([]byte("+ \r\n"))
		c.deferred = true
		return nil
	}
	if initial == "=" { // RFC 4959 §3: an empty initial response
		initial = ""
	}
	return s.plain(c, initial)
}

func (s *Session) plain(c *cmd, b64 string) error {
	authz, authc, pass, err := auth.DecodePlain(b64)
	if err != nil {
		if _, derr := base64.StdEncoding.DecodeString(b64); derr != nil {
			return bad("Invalid base64 in the SASL response")
		}
		return no("AUTHENTICATIONFAILED", "Malformed SASL PLAIN response")
	}
	if authz != "" && authz != authc {
		return s.loggedIn(c, authc, auth.ErrBadCredentials)
	}
	return s.loggedIn(c, authc, s.cfg.Users.Authenticate(authc, pass))
}

// authenticateResponse finishes a two-step AUTHENTICATE with the client's
// response line (the Reader frames it like a command: a line with no
// literal, which base64 cannot contain).
func (s *Session) authenticateResponse(line string, now time.Time) Reply {
	tag := s.authTag
	s.authTag = ""
	c := &cmd{tag: tag, name: "AUTHENTICATE", out: imapwire.NewEncoder(nil), dec: imapwire.NewDecoder(nil), now: now}
	var err error
	if line == "*" {
		err = bad("Authentication cancelled") // RFC 9051 §6.2.2
	} else {
		err = s.plain(c, line)
	}
	return Reply{Data: s.finish(c, err), Delay: c.delay, Close: c.close}
}

// loggedIn finishes LOGIN and AUTHENTICATE.
func (s *Session) loggedIn(c *cmd, user string, err error) error {
	if err != nil {
		s.failures++
		s.emit(Event{Kind: EventLoginFailed, Detail: sanitize(user)})
		c.delay = AuthFailureDelay
		if s.failures >= MaxAuthFailures {
			c.out.Untagged().Atom("BYE").SP().Text("Too many failed logins").CRLF()
			c.close = true
			s.end("too many failed logins")
		}
		if errors.Is(err, auth.ErrBadCredentials) {
			return no("AUTHENTICATIONFAILED", "Authentication failed")
		}
		return no("UNAVAILABLE", "Authentication is temporarily unavailable")
	}
	if !s.cfg.Store.HasUser(user) {
		if err := s.cfg.Store.EnsureUser(user); err != nil {
			return err
		}
	}
	if !s.cfg.claimSession(user) {
		s.emit(Event{Kind: EventLoginFailed, Detail: sanitize(user) + ": too many sessions"})
		return no("LIMIT", "Too many sessions for this user (at most %d)", MaxSessionsPerUser)
	}
	s.counted = true
	s.user = user
	s.setState(Authenticated)
	// RFC 9051 §6.2.3: a CAPABILITY response code with the new list.
	c.okCode = authenticatedCapabilityCode()
	c.okText = "Logged in"
	return nil
}

// starttls answers STARTTLS (RFC 9051 §6.2.1).
func (s *Session) starttls(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	if !s.tlsAvailable {
		return bad("STARTTLS is not available")
	}
	if s.tls {
		return bad("TLS is already active")
	}
	c.okText = "Begin TLS negotiation now"
	c.startTLS = true
	s.tls = true
	return nil
}
