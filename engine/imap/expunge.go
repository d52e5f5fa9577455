package imap

func init() {
	register("EXPUNGE", inSelected, (*Session).expunge)
	register("UID EXPUNGE", inSelected, (*Session).expunge)
	register("CHECK", inSelected, (*Session).check)
	// UIDPLUS (RFC 4315): UID EXPUNGE here, APPENDUID in append.go,
	// COPYUID in copy.go.
	advertise("UIDPLUS")
}

// expunge answers EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315
// §2.1): the messages with \Deleted (among the given UIDs) leave the
// mailbox, each reported as "* n EXPUNGE" in ascending order, every
// number counted after the removals before it (RFC 9051 §7.5.1), or as
// one VANISHED once QRESYNC is on (RFC 7162 §3.2.10).
func (s *Session) expunge(c *cmd) error {
	var uids []uint32 // nil: every \Deleted message
	if c.uid {
		c.dec.ExpectSP()
		set := c.dec.SequenceSet()
		if !c.dec.ExpectEOL() {
			return nil
		}
		var err error
		if uids, err = s.messageUIDs(set, true); err != nil {
			return err
		}
		if uids == nil {
			uids = []uint32{} // no such UIDs: nothing to do
		}
	} else if !c.dec.ExpectEOL() {
		return nil
	}
	if s.sel.readOnly {
		return no("", "Mailbox is read-only (EXAMINE); nothing expunged")
	}
	if uids != nil && len(uids) == 0 {
		return nil
	}
	// Report what other sessions did first, so that a message they added
	// is announced with EXISTS before its EXPUNGE.
	s.flushUpdates(c.out, true)
	gone, err := s.cfg.Store.ExpungeDeleted(s.user, s.sel.name, uids)
	// What was removed is reported even if the store failed on the rest.
	s.expungeFromView(c.out, gone)
	return storeError(err)
}

// check answers CHECK (RFC 3501 §6.4.1): the store writes through, so
// there is no checkpoint to make; like NOOP, it reports pending updates.
// IMAP4rev2 dropped the command, but IMAP4rev1 clients still send it.
func (s *Session) check(c *cmd) error {
	c.dec.ExpectEOL()
	return nil
}
