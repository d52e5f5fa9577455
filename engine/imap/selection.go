package imap

import (
	"slices"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// selection is the session's view of its selected mailbox (RFC 9051 §3.3).
// Message sequence numbers are positions in uids. The view changes only at
// the moments the RFC allows: other sessions' changes wait in pending until
// a command's response (or IDLE) may report them (RFC 9051 §7.5.1: never an
// EXPUNGE during FETCH, STORE or SEARCH by sequence number).
type selection struct {
	name     string
	readOnly bool
	validity uint32
	uids     []uint32            // sequence number i+1 -> UID
	flags    map[uint32][]string // flags as this session last reported them
	recent   map[uint32]bool     // \Recent for this session (IMAP4rev1)
	cancel   func()

	pending []mailstore.Change // guarded by Session.mu
}

// seqOf returns the sequence number of uid, or 0.
func (sel *selection) seqOf(uid uint32) uint32 {
	i, ok := slices.BinarySearch(sel.uids, uid)
	if !ok {
		return 0
	}
	return uint32(i + 1)
}

// open makes a selection of the mailbox and subscribes it to the store's
// change feed.
func (s *Session) open(name string, readOnly bool) (*selection, error) {
	st := s.cfg.Store
	if err := st.Refresh(s.user, name); err != nil {
		return nil, err
	}
	msgs, status, err := st.List(s.user, name)
	if err != nil {
		return nil, err
	}
	sel := &selection{
		name:     name,
		readOnly: readOnly,
		validity: status.UIDValidity,
		flags:    make(map[uint32][]string, len(msgs)),
		recent:   map[uint32]bool{},
	}
	for _, m := range msgs {
		sel.uids = append(sel.uids, m.UID)
		sel.flags[m.UID] = flagStrings(m.Flags)
	}
	sel.cancel = st.Watch(s.user, name, func(c mailstore.Change) {
		s.mu.Lock()
		sel.pending = append(sel.pending, c)
		wake := s.wake
		s.mu.Unlock()
		if wake != nil {
			wake()
		}
	})
	return sel, nil
}

func flagStrings(flags []mailstore.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}

// closeSelection leaves the selected mailbox.
func (s *Session) closeSelection() {
	if s.sel == nil {
		return
	}
	if s.sel.cancel != nil {
		s.sel.cancel()
	}
	s.sel = nil
}

// flushUpdates reports what other sessions changed since the last report:
// new messages as EXISTS (and RECENT under IMAP4rev1), flag changes as
// FETCH, and, when allowed, removals as EXPUNGE (or VANISHED once QRESYNC
// is enabled, RFC 7162 §3.2.10).
func (s *Session) flushUpdates(e *imapwire.Encoder, allowExpunge bool) {
	sel := s.sel
	s.mu.Lock()
	changes := sel.pending
	sel.pending = nil
	s.mu.Unlock()
	if len(changes) == 0 {
		return
	}
	var keep []mailstore.Change
	existsBefore := len(sel.uids)
	flagged := map[uint32]bool{}
	for _, c := range changes {
		switch c.Kind {
		case mailstore.Appended:
			for _, uid := range c.UIDs {
				if len(sel.uids) == 0 || uid > sel.uids[len(sel.uids)-1] {
					sel.uids = append(sel.uids, uid)
					sel.flags[uid] = nil
					flagged[uid] = true // report its initial flags if any
				}
			}
		case mailstore.FlagsChanged:
			for _, uid := range c.UIDs {
				flagged[uid] = true
			}
		case mailstore.Expunged, mailstore.MailboxDeleted:
			if !allowExpunge {
				keep = append(keep, c)
				continue
			}
			s.expungeFromView(e, c.UIDs)
		}
	}
	if len(keep) > 0 {
		s.mu.Lock()
		sel.pending = append(keep, sel.pending...)
		s.mu.Unlock()
	}
	if n := len(sel.uids); n != existsBefore {
		e.Untagged().Number(uint32(n)).SP().Atom("EXISTS").CRLF()
		if !s.rev2 {
			e.Untagged().Number(uint32(len(sel.recent))).SP().Atom("RECENT").CRLF()
		}
	}
	if len(flagged) > 0 {
		s.reportFlags(e, flagged)
	}
}

// reportFlags sends an unsolicited FETCH for each message whose flags
// differ from what the session last told its client.
func (s *Session) reportFlags(e *imapwire.Encoder, uids map[uint32]bool) {
	sel := s.sel
	msgs, _, err := s.cfg.Store.List(s.user, sel.name)
	if err != nil {
		return
	}
	for _, m := range msgs {
		if !uids[m.UID] {
			continue
		}
		seq := sel.seqOf(m.UID)
		if seq == 0 {
			continue
		}
		now := flagStrings(m.Flags)
		if sel.recent[m.UID] && !s.rev2 {
			now = append(now, `\Recent`)
		}
		if slices.Equal(now, sel.flags[m.UID]) {
			continue
		}
		sel.flags[m.UID] = now
		e.Untagged().Number(seq).SP().Atom("FETCH").SP().BeginList().Atom("UID").SP().Number(m.UID).SP().Atom("FLAGS").SP()
		e.FlagList(now).EndList().CRLF()
	}
}

// expungeFromView removes UIDs from the view, reporting each.
func (s *Session) expungeFromView(e *imapwire.Encoder, uids []uint32) {
	sel := s.sel
	var gone []uint32
	for _, uid := range uids {
		seq := sel.seqOf(uid)
		if seq == 0 {
			continue
		}
		gone = append(gone, uid)
		if !s.qresync {
			e.Untagged().Number(seq).SP().Atom("EXPUNGE").CRLF()
		}
		sel.uids = slices.Delete(sel.uids, int(seq-1), int(seq))
		delete(sel.flags, uid)
		delete(sel.recent, uid)
	}
	if s.qresync && len(gone) > 0 {
		e.Untagged().Atom("VANISHED").SP().SeqSet(imapwire.SeqSetOf(gone...)).CRLF()
	}
}
