package imap

import (
	"slices"
	"strings"
)

func init() {
	register("ENABLE", authed, (*Session).enable)
	register("ID", anyState, (*Session).idCmd)
}

// enable answers ENABLE (RFC 5161): the extensions it knows are switched
// on and listed in the untagged ENABLED response.
func (s *Session) enable(c *cmd) error {
	var enabled []string
	condstoreBefore := s.condstore
	for c.dec.SP() {
		name := strings.ToUpper(c.dec.Atom())
		switch name {
		case "CONDSTORE", "QRESYNC": // condstore.go
			if s.enableModSeq(name, c.out, condstoreBefore) && !slices.Contains(enabled, name) {
				enabled = append(enabled, name)
			}
		case "IMAP4REV2":
			if !s.rev2 {
				s.rev2 = true
				enabled = append(enabled, "IMAP4rev2")
			}
		case "UTF8=ACCEPT":
			if !s.utf8 {
				s.utf8 = true
				enabled = append(enabled, "UTF8=ACCEPT")
			}
		}
	}
	if !c.dec.ExpectEOL() {
		return nil
	}
	c.out.Untagged().Atom("ENABLED")
	for _, e := range enabled {
		c.out.SP().Atom(e)
	}
	c.out.CRLF()
	return nil
}

// idCmd answers ID (RFC 2971): the client's parameters are read and
// ignored; the server names itself.
func (s *Session) idCmd(c *cmd) error {
	c.dec.ExpectSP()
	if !c.dec.NIL() {
		for range c.dec.List() {
			c.dec.NString()
			c.dec.ExpectSP()
			c.dec.NString()
		}
	}
	if !c.dec.ExpectEOL() {
		return nil
	}
	c.out.Untagged().Atom("ID").SP().BeginList().Str("name").SP().Str("wirelab").SP().Str("vendor").SP().Str("wirelab").EndList().CRLF()
	return nil
}
