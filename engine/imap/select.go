package imap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wirelab/wirelab/engine/mailstore"
)

func init() {
	register("SELECT", authed, func(s *Session, c *cmd) error { return s.selectCmd(c, false) })
	register("EXAMINE", authed, func(s *Session, c *cmd) error { return s.selectCmd(c, true) })
	register("CLOSE", inSelected, (*Session).closeCmd)
	register("UNSELECT", inSelected, (*Session).unselect)
}

// storeError maps the mail store's errors onto response codes
// (RFC 5530, RFC 9051 §7.1); anything else is the server's fault.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mailstore.ErrNoMailbox), errors.Is(err, mailstore.ErrNoUser):
		return no("NONEXISTENT", "No such mailbox")
	case errors.Is(err, mailstore.ErrMailboxExists):
		return no("ALREADYEXISTS", "Mailbox already exists")
	case errors.Is(err, mailstore.ErrBadMailboxName):
		return no("CANNOT", "Invalid mailbox name")
	case errors.Is(err, mailstore.ErrTooBig):
		return no("TOOBIG", "Message too big")
	case errors.Is(err, mailstore.ErrNoMessage):
		return no("EXPUNGEISSUED", "Some of the messages have been expunged")
	case errors.Is(err, mailstore.ErrNoSpace):
		// RFC 5530 §3 OVERQUOTA, as Dovecot answers a full disk: the
		// client tells the user that space must be freed before it retries.
		return no("OVERQUOTA", "Not enough disk space")
	case errors.Is(err, mailstore.ErrReadOnly):
		// RFC 5530 §3 UNAVAILABLE: a subsystem is down for now, and the
		// command may work later; it is no bug of the server.
		return no("UNAVAILABLE", "The mail store is read-only for now; try again later")
	}
	return err
}

// systemFlags are the flags every mailbox offers (RFC 9051 §2.3.2).
var systemFlags = []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`}

// selectCmd answers SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3).
func (s *Session) selectCmd(c *cmd, readOnly bool) error {
	c.dec.ExpectSP()
	name := c.dec.Mailbox()
	params := parseSelectParams(c.dec) // (CONDSTORE), (QRESYNC ...): condstore.go
	if !c.dec.ExpectEOL() {
		return nil
	}
	if err := s.checkSelectParams(params); err != nil {
		return err
	}
	// Selecting another mailbox, even unsuccessfully, leaves the current
	// one (RFC 9051 §6.3.2); IMAP4rev2 and QRESYNC clients are told where
	// the old mailbox's responses end (RFC 9051 §6.3.2 MUST, RFC 7162
	// §3.2.11).
	if s.sel != nil {
		s.closeSelection()
		s.setState(Authenticated)
		if s.qresync || s.rev2 {
			c.out.Untagged().Atom("OK").SP().Code("CLOSED").CodeEnd().Text("Previous mailbox closed").CRLF()
		}
	}
	if params.condstore || params.qresync != nil {
		s.condstore = true // a CONDSTORE enabling command (RFC 7162 §3.1)
	}
	sel, err := s.open(name, readOnly)
	if err != nil {
		return storeError(err)
	}
	s.sel = sel
	s.setState(Selected)
	e := c.out
	e.Untagged().Number(uint32(len(sel.uids))).SP().Atom("EXISTS").CRLF()
	if !s.rev2 {
		e.Untagged().Number(uint32(len(sel.recent))).SP().Atom("RECENT").CRLF()
		if first := s.firstUnseen(); first > 0 {
			e.Untagged().Atom("OK").SP().Code("UNSEEN").SP().Number(first).CodeEnd().Text(fmt.Sprintf("Message %d is the first unseen", first)).CRLF()
		}
	}
	e.Untagged().Atom("OK").SP().Code("UIDVALIDITY").SP().Number(sel.validity).CodeEnd().Text("UIDs valid").CRLF()
	e.Untagged().Atom("OK").SP().Code("UIDNEXT").SP().Number(sel.uidNext).CodeEnd().Text("Predicted next UID").CRLF()
	// FLAGS and PERMANENTFLAGS, with the mailbox's keywords: store.go.
	s.writeFlagsResponses(e)
	if s.rev2 {
		// RFC 9051 §6.3.2: a LIST response with the mailbox's name.
		e.Untagged().Atom("LIST").SP().FlagList(nil).SP().Str(mailstore.Separator).SP().Mailbox(name).CRLF()
	}
	// HIGHESTMODSEQ, and QRESYNC's VANISHED (EARLIER) and FETCH: condstore.go.
	if err := s.selectModSeq(c, params); err != nil {
		return err
	}
	if readOnly {
		c.okCode = "READ-ONLY"
	} else {
		c.okCode = "READ-WRITE"
	}
	c.okText = strings.ToUpper(strings.SplitN(c.name, " ", 2)[0]) + " completed"
	return nil
}

// firstUnseen is the sequence number of the first message without \Seen.
func (s *Session) firstUnseen() uint32 {
	for i, uid := range s.sel.uids {
		if !s.sel.reportedHas(uid, mailstore.FlagSeen) {
			return uint32(i + 1)
		}
	}
	return 0
}

// closeCmd answers CLOSE (RFC 9051 §6.4.1): messages marked \Deleted are
// removed silently, unless the mailbox was opened read-only.
func (s *Session) closeCmd(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	sel := s.sel
	var gone []uint32
	if !sel.readOnly {
		for _, uid := range sel.uids {
			if sel.reportedHas(uid, mailstore.FlagDeleted) {
				gone = append(gone, uid)
			}
		}
	}
	s.closeSelection()
	s.setState(Authenticated)
	c.close = false
	if len(gone) > 0 {
		if err := s.cfg.Store.Expunge(s.user, sel.name, gone); err != nil {
			return storeError(err)
		}
	}
	return nil
}

// unselect answers UNSELECT (RFC 3691, RFC 9051 §6.4.2): like CLOSE, but
// nothing is expunged.
func (s *Session) unselect(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	s.closeSelection()
	s.setState(Authenticated)
	return nil
}
