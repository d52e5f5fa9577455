package imap

import (
	"slices"
	"sync"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// extraCapabilities are the extensions whose commands are implemented;
// command files add theirs from init so that the server never advertises
// what it cannot do.
var extraCapabilities []string

func advertise(caps ...string) { extraCapabilities = append(extraCapabilities, caps...) }

// capabilities lists what the server offers now (RFC 9051 §7.2.2): it
// depends on TLS and on whether the client has logged in. The list is
// shared: callers must not change it.
func (s *Session) capabilities() []string {
	return capabilityLists()[capabilityKey(s.state == NotAuthenticated, s.tlsAvailable && !s.tls, s.plaintextRefused())]
}

// capabilityKey numbers the lists capabilities can return.
func capabilityKey(notAuth, starttls, loginDisabled bool) int {
	k := 0
	if notAuth {
		k = 1
		if starttls {
			k += 2
		}
		if loginDisabled {
			k += 4
		}
	}
	return k
}

// capabilityLists holds every list capabilities can return, by
// capabilityKey, made once after the command files have advertised
// their extensions (from init): a session asks at its greeting and at its
// login, and a storm of short sessions would otherwise build them anew
// each time.
var capabilityLists = sync.OnceValue(func() [8][]string {
	var lists [8][]string
	for _, notAuth := range []bool{false, true} {
		for _, starttls := range []bool{false, true} {
			for _, loginDisabled := range []bool{false, true} {
				caps := []string{"IMAP4rev1", "IMAP4rev2"}
				caps = append(caps, extraCapabilities...)
				if notAuth {
					if starttls {
						caps = append(caps, "STARTTLS")
					}
					if loginDisabled {
						caps = append(caps, "LOGINDISABLED")
					} else {
						caps = append(caps, "AUTH=PLAIN", "SASL-IR")
					}
				}
				lists[capabilityKey(notAuth, starttls, loginDisabled)] = slices.Clip(caps)
			}
		}
	}
	return lists
})

// authenticatedCapabilityCode is the CAPABILITY response code of a
// successful login (RFC 9051 §6.2.3): the list once logged in, which
// nothing in the session changes.
var authenticatedCapabilityCode = sync.OnceValue(func() string {
	e := imapwire.NewEncoder(nil)
	e.Atom("CAPABILITY")
	for _, cp := range capabilityLists()[capabilityKey(false, false, false)] {
		e.SP().Atom(cp)
	}
	return string(e.Bytes())
})

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
