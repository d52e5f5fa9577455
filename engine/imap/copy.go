package imap

import (
	"errors"
	"fmt"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

func init() {
	register("COPY", inSelected, func(s *Session, c *cmd) error { return s.copyCmd(c, false) })
	register("UID COPY", inSelected, func(s *Session, c *cmd) error { return s.copyCmd(c, false) })
	register("MOVE", inSelected, func(s *Session, c *cmd) error { return s.copyCmd(c, true) })
	register("UID MOVE", inSelected, func(s *Session, c *cmd) error { return s.copyCmd(c, true) })
	advertise("MOVE")
}

// copyCmd answers COPY and MOVE and their UID forms (RFC 9051 §6.4.7,
// §6.4.8, RFC 6851). The copies keep their flags and internal dates. The
// tagged OK of COPY carries [COPYUID validity source-uids dest-uids]
// (RFC 4315 §3); MOVE sends it in an untagged OK before the EXPUNGE (or
// VANISHED) responses of the source, as RFC 6851 §4.3 and RFC 9051 §6.4.8
// require. A set that names no existing message copies nothing and
// succeeds.
func (s *Session) copyCmd(c *cmd, move bool) error {
	c.dec.ExpectSP()
	set := c.dec.SequenceSet()
	c.dec.ExpectSP()
	dest := c.dec.Mailbox()
	if !c.dec.ExpectEOL() {
		return nil
	}
	verb := "copied"
	if move {
		verb = "moved"
	}
	uids, err := s.messageUIDs(set, c.uid)
	if err != nil {
		return err
	}
	if move && s.sel.readOnly {
		return no("", "Mailbox is read-only (EXAMINE); MOVE would expunge")
	}
	if _, err := s.cfg.Store.Status(s.user, dest); err != nil {
		return copyError(err)
	}
	if len(uids) == 0 {
		c.okText = "No matching messages, so nothing " + verb
		return nil
	}

	var res mailstore.CopyResult
	if move {
		res, err = s.cfg.Store.Move(s.user, s.sel.name, dest, uids)
	} else {
		res, err = s.cfg.Store.Copy(s.user, s.sel.name, dest, uids)
	}
	// A MOVE whose bookkeeping failed may still have moved messages: they
	// are reported all the same, since they left the source.
	if len(res.DestUIDs) > 0 {
		code := copyUIDCode(res)
		if move {
			c.out.Untagged().Atom("OK").SP().Code(code).CodeEnd().Text("Moved").CRLF()
			s.expungeFromView(c.out, res.SourceUIDs)
		} else if err == nil {
			c.okCode = code
		}
		s.viewOwnAppend(dest, res.DestUIDs)
	}
	if err != nil {
		return copyError(err)
	}
	if len(res.DestUIDs) == 0 {
		c.okText = "The messages were expunged meanwhile, so nothing " + verb
	} else if len(res.SourceUIDs) < len(uids) {
		c.okText = fmt.Sprintf("%s completed; %d of the messages had been expunged", c.name, len(uids)-len(res.SourceUIDs))
	}
	return nil
}

// copyUIDCode formats the COPYUID response code (RFC 4315 §3): the
// destination's UIDVALIDITY, then the source UIDs and their copies' UIDs
// as two sets in the same order. Both lists ascend together, so the
// compact sets pair up.
func copyUIDCode(res mailstore.CopyResult) string {
	e := imapwire.NewEncoder(nil)
	e.Atom("COPYUID").SP().Number(res.UIDValidity).SP().
		SeqSet(imapwire.SeqSetOf(res.SourceUIDs...)).SP().
		SeqSet(imapwire.SeqSetOf(res.DestUIDs...))
	return string(e.Bytes())
}

// copyError maps store errors of COPY, MOVE and APPEND: a destination that
// does not exist gets TRYCREATE (RFC 9051 §6.4.7: the client may CREATE
// it and try again).
func copyError(err error) error {
	switch {
	case errors.Is(err, mailstore.ErrNoMailbox):
		return no("TRYCREATE", "No such mailbox; create it first")
	case errors.Is(err, mailstore.ErrTooManyKeywords):
		return no("LIMIT", "The mailbox cannot hold more keywords")
	}
	return storeError(err)
}
