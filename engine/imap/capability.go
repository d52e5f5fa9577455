package imap

// extraCapabilities are the extensions whose commands are implemented;
// command files add theirs from init so that the server never advertises
// what it cannot do.
var extraCapabilities []string

func advertise(caps ...string) { extraCapabilities = append(extraCapabilities, caps...) }

// capabilities lists what the server offers now (RFC 9051 §7.2.2): it
// depends on TLS and on whether the client has logged in.
func (s *Session) capabilities() []string {
	caps := []string{"IMAP4rev1", "IMAP4rev2"}
	caps = append(caps, extraCapabilities...)
	if s.state == NotAuthenticated {
		if s.tlsAvailable && !s.tls {
			caps = append(caps, "STARTTLS")
		}
		if s.plaintextRefused() {
			caps = append(caps, "LOGINDISABLED")
		} else {
			caps = append(caps, "AUTH=PLAIN", "SASL-IR")
		}
	}
	return caps
}

// plaintextRefused says LOGIN and AUTHENTICATE PLAIN must wait for TLS.
func (s *Session) plaintextRefused() bool { return s.cfg.PlaintextNeedsTLS && !s.tls }

func init() {
	register("CAPABILITY", anyState, (*Session).capability)
	register("NOOP", anyState, (*Session).noop)
	register("LOGOUT", anyState, (*Session).logout)
	advertise("LITERAL+", "ID", "ENABLE", "UNSELECT")
}

// capability answers CAPABILITY (RFC 9051 §6.1.1).
func (s *Session) capability(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	c.out.Untagged().Atom("CAPABILITY")
	for _, cp := range s.capabilities() {
		c.out.SP().Atom(cp)
	}
	c.out.CRLF()
	return nil
}

// noop answers NOOP (RFC 9051 §6.1.2): nothing, but pending updates go
// out with the response.
func (s *Session) noop(c *cmd) error {
	c.dec.ExpectEOL()
	return nil
}

// logout answers LOGOUT (RFC 9051 §6.1.3).
func (s *Session) logout(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	c.out.Untagged().Atom("BYE").SP().Text("wirelab IMAP server signing off").CRLF()
	c.close = true
	s.end("logout")
	return nil
}
