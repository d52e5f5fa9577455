package imap

import (
	"cmp"
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
	uids     []uint32  // sequence number i+1 -> UID
	recent   recentSet // \Recent for this session (IMAP4rev1)
	cancel   func()

	// flags holds the flags this session last reported for the messages
	// whose report may differ from what msgs says now; a message without
	// an entry was last reported (or, at SELECT, taken to be known) as msgs
	// has it, with \Recent unless rev2AtOpen: see reported. An entry is
	// pinned before the view learns a change of the message (learn), so
	// SELECT builds none, which for a large mailbox was most of its work.
	flags      map[uint32][]string
	rev2AtOpen bool

	// msgs is what the session knows of each message of the view, by UID,
	// ascending: flags and MODSEQ as last learned from the store (by its
	// own STORE or from the change feed), size and internal date, which
	// never change. FETCH serves FLAGS, UID, RFC822.SIZE, INTERNALDATE and
	// MODSEQ from it without reading a file. A message expunged by another
	// session stays until the view drops it. While msgsShared, msgs is the
	// store's shared snapshot (mailstore.Snapshot.Messages), which the
	// session copies before it changes an element (writable).
	msgs       []mailstore.Message
	msgsShared bool
	// uidNext is the UIDNEXT of the snapshot, raised as messages arrive.
	uidNext uint32
	// highestModSeq is the highest mod-sequence the client has been told
	// about (RFC 7162 §3.1.2.1): changes still pending are above it.
	highestModSeq uint64
	// noModSeq: the mailbox has no mod-sequences (RFC 7162 §3.1.2.2).
	noModSeq bool
	// keywords are the mailbox's keywords as last sent in FLAGS, and
	// canCreateKeywords says PERMANENTFLAGS has \*.
	keywords          []string
	canCreateKeywords bool
	// parsed keeps the last messages FETCH parsed (fetch.go).
	parsed parseCache

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

// open makes a selection of the mailbox from the store's Select snapshot
// (which claims the \Recent messages unless readOnly) and subscribes it
// to the store's change feed.
func (s *Session) open(name string, readOnly bool) (*selection, error) {
	st := s.cfg.Store
	if err := st.Refresh(s.user, name); err != nil {
		return nil, err
	}
	sel := &selection{name: name, readOnly: readOnly, rev2AtOpen: s.rev2, flags: map[uint32][]string{}}
	// Watch before taking the snapshot, so that no change falls between
	// the two; the changes the snapshot already holds are dropped below.
	sel.cancel = st.Watch(s.user, name, func(c mailstore.Change) {
		s.mu.Lock()
		sel.pending = append(sel.pending, c)
		wake := s.wake
		s.mu.Unlock()
		if wake != nil {
			wake()
		}
	})
	snap, err := st.Select(s.user, name, readOnly)
	if err != nil {
		sel.cancel()
		return nil, err
	}
	status := snap.Status
	sel.validity = status.UIDValidity
	sel.uidNext = status.UIDNext
	sel.highestModSeq = status.HighestModSeq
	sel.noModSeq = status.HighestModSeq == 0
	sel.msgs, sel.msgsShared = snap.Messages, true
	sel.uids = make([]uint32, len(snap.Messages))
	sel.recent = recentSet(slices.Clone(snap.Recent))
	for i := range sel.msgs {
		sel.uids[i] = sel.msgs[i].UID
	}
	sel.setKeywords(snap.Keywords)
	sel.canCreateKeywords = snap.CanCreateKeywords
	s.mu.Lock()
	sel.pending = dropSnapshotted(sel.pending, status)
	s.mu.Unlock()
	return sel, nil
}

// reported returns the flags this session last reported for uid (see
// selection.flags).
func (sel *selection) reported(uid uint32) []string {
	if f, ok := sel.flags[uid]; ok {
		return f
	}
	m := sel.msg(uid)
	if m == nil {
		return nil
	}
	out := flagStrings(m.Flags)
	if !sel.rev2AtOpen && sel.recent.has(uid) {
		out = append(out, string(mailstore.FlagRecent))
	}
	return out
}

// reportedHas reports whether the flags last reported for uid include
// flag, without building them.
func (sel *selection) reportedHas(uid uint32, flag mailstore.Flag) bool {
	if f, ok := sel.flags[uid]; ok {
		return slices.Contains(f, string(flag))
	}
	m := sel.msg(uid)
	return m != nil && slices.Contains(m.Flags, flag)
}

// writable returns the message with the given UID for the caller to
// change (see own).
func (sel *selection) writable(uid uint32) *mailstore.Message {
	sel.own()
	return sel.msg(uid)
}

// own copies msgs if it is still the store's shared snapshot, before the
// session changes it; pointers msg returned before are then stale.
func (sel *selection) own() {
	if sel.msgsShared {
		sel.msgs, sel.msgsShared = slices.Clone(sel.msgs), false
	}
}

// pin records the flags last reported for uid before the view learns a
// change of the message, which reported would otherwise show.
func (sel *selection) pin(uid uint32) {
	if _, ok := sel.flags[uid]; !ok {
		sel.flags[uid] = sel.reported(uid)
	}
}

// dropSnapshotted removes from changes those a Select snapshot with the
// given status already reflects (see mailstore.Change).
func dropSnapshotted(changes []mailstore.Change, st mailstore.Status) []mailstore.Change {
	out := changes[:0]
	for _, c := range changes {
		switch c.Kind {
		case mailstore.Appended:
			i, _ := slices.BinarySearch(c.UIDs, st.UIDNext)
			if i == len(c.UIDs) {
				continue
			}
			c.UIDs = c.UIDs[i:]
		case mailstore.FlagsChanged, mailstore.Expunged:
			if c.ModSeq <= st.HighestModSeq {
				continue
			}
		}
		out = append(out, c)
	}
	return out
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
// new keywords as FLAGS and PERMANENTFLAGS (RFC 3501 §7.2.6), new messages
// as EXISTS (and RECENT under IMAP4rev1), flag changes as FETCH (with
// MODSEQ once CONDSTORE is on, RFC 7162 §3.1), and, when allowed, removals
// as EXPUNGE (or VANISHED once QRESYNC is enabled, RFC 7162 §3.2.10).
func (s *Session) flushUpdates(e *imapwire.Encoder, allowExpunge bool) {
	s.flushFor(e, allowExpunge, nil)
}

// flushFor is flushUpdates for a FETCH that will show the flags of some
// messages itself (fetch.go): skip names them, and their flag changes are
// learned but not reported; they are returned, for the FETCH to report
// those it does not show after all. gone lists the UIDs that left the
// view.
func (s *Session) flushFor(e *imapwire.Encoder, allowExpunge bool, skip func(uid uint32) bool) (skipped map[uint32]bool, gone []uint32) {
	sel := s.sel
	s.mu.Lock()
	changes := sel.pending
	sel.pending = nil
	s.mu.Unlock()
	if len(changes) == 0 {
		return nil, nil
	}
	var keep []mailstore.Change
	var added []uint32
	// flagged: the messages to report, true for a learned flag change
	// (whose MODSEQ a CONDSTORE client must see), false for a new one.
	flagged := map[uint32]bool{}
	keywords := false
	for _, c := range changes {
		switch c.Kind {
		case mailstore.Appended:
			for _, uid := range c.UIDs {
				if len(sel.uids) == 0 || uid > sel.uids[len(sel.uids)-1] {
					sel.uids = append(sel.uids, uid)
					added = append(added, uid)
				}
			}
		case mailstore.FlagsChanged:
			for _, m := range c.Messages {
				if sel.learn(m) {
					flagged[m.UID] = true
				}
			}
		case mailstore.KeywordsChanged:
			keywords = sel.setKeywords(c.Keywords) || keywords
		case mailstore.Expunged, mailstore.MailboxDeleted:
			if !allowExpunge {
				keep = append(keep, c)
				continue
			}
			for _, uid := range c.UIDs {
				if sel.seqOf(uid) != 0 {
					gone = append(gone, uid)
				}
			}
			s.expungeFromView(e, c.UIDs)
			sel.highestModSeq = max(sel.highestModSeq, c.ModSeq)
		}
	}
	if len(keep) > 0 {
		s.mu.Lock()
		sel.pending = append(keep, sel.pending...)
		s.mu.Unlock()
	}
	if len(added) > 0 {
		s.learnAppended(added, flagged)
	}
	if keywords {
		s.writeFlagsResponses(e)
	}
	if len(added) > 0 {
		e.Untagged().Number(uint32(len(sel.uids))).SP().Atom("EXISTS").CRLF()
		if !s.rev2 {
			e.Untagged().Number(uint32(len(sel.recent))).SP().Atom("RECENT").CRLF()
		}
	}
	if skip != nil {
		for uid, learned := range flagged {
			if skip(uid) {
				if skipped == nil {
					skipped = map[uint32]bool{}
				}
				skipped[uid] = learned
				delete(flagged, uid)
			}
		}
	}
	if len(flagged) > 0 {
		s.reportFlags(e, flagged)
	}
	return skipped, gone
}

// learnAppended reads the size, date, flags and MODSEQ of messages that
// joined the view, and claims those still \Recent (mailstore.ClaimRecent).
// Their initial flags are reported (flagged) if they have any.
func (s *Session) learnAppended(added []uint32, flagged map[uint32]bool) {
	sel := s.sel
	sel.uidNext = max(sel.uidNext, added[len(added)-1]+1)
	if !sel.readOnly {
		claimed, _ := s.cfg.Store.ClaimRecent(s.user, sel.name, added[len(added)-1])
		for _, uid := range claimed {
			if _, ok := slices.BinarySearch(added, uid); ok {
				sel.recent.add(uid)
			}
		}
	}
	for _, uid := range added {
		sel.flags[uid] = nil
		if sel.recent.has(uid) && !s.rev2 {
			sel.flags[uid] = []string{string(mailstore.FlagRecent)}
		}
		flagged[uid] = false
	}
	msgs, _, err := s.cfg.Store.List(s.user, sel.name)
	if err != nil {
		return // the mailbox is gone; the feed says so next
	}
	i, _ := slices.BinarySearchFunc(msgs, added[0], func(m mailstore.Message, uid uint32) int { return cmp.Compare(m.UID, uid) })
	for _, m := range msgs[i:] {
		if _, ok := slices.BinarySearch(added, m.UID); ok {
			sel.msgs = append(sel.msgs, m)
			sel.highestModSeq = max(sel.highestModSeq, m.ModSeq)
		}
	}
}

// reportFlags sends an unsolicited FETCH for each message whose flags
// differ from what the session last told its client, or, once CONDSTORE
// is on, whose mod-sequence changed (uids[uid] true).
func (s *Session) reportFlags(e *imapwire.Encoder, uids map[uint32]bool) {
	sel := s.sel
	list := make([]uint32, 0, len(uids))
	for uid := range uids {
		list = append(list, uid)
	}
	slices.Sort(list)
	for _, uid := range list {
		seq := sel.seqOf(uid)
		m := sel.msg(uid)
		if seq == 0 || m == nil {
			continue
		}
		now := s.viewFlags(m)
		if slices.Equal(now, sel.reported(uid)) && !(s.condstore && uids[uid]) {
			continue
		}
		sel.flags[uid] = now
		sel.highestModSeq = max(sel.highestModSeq, m.ModSeq)
		s.writeFlagFetch(e, seq, m, now, true, true, s.condstore)
	}
}

// expungeFromView removes UIDs from the view, reporting each: as EXPUNGE,
// lowest first, or in one VANISHED once QRESYNC is on.
func (s *Session) expungeFromView(e *imapwire.Encoder, uids []uint32) {
	sel := s.sel
	sorted := slices.Clone(uids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var gone []uint32
	var idx []int
	for _, uid := range sorted {
		if i, ok := slices.BinarySearch(sel.uids, uid); ok {
			gone = append(gone, uid)
			idx = append(idx, i)
		}
	}
	if len(gone) == 0 {
		return
	}
	for k, i := range idx {
		if !s.qresync {
			// Each EXPUNGE renumbers the messages after it.
			e.Untagged().Number(uint32(i - k + 1)).SP().Atom("EXPUNGE").CRLF()
		}
		delete(sel.flags, gone[k])
		sel.parsed.drop(gone[k])
	}
	sel.uids = slices.DeleteFunc(sel.uids, func(uid uint32) bool {
		_, ok := slices.BinarySearch(gone, uid)
		return ok
	})
	sel.recent.remove(gone)
	sel.own()
	sel.msgs = slices.DeleteFunc(sel.msgs, func(m mailstore.Message) bool {
		_, ok := slices.BinarySearch(gone, m.UID)
		return ok
	})
	if s.qresync {
		e.Untagged().Atom("VANISHED").SP().SeqSet(imapwire.SeqSetOf(gone...)).CRLF()
	}
}

// recentSet holds the UIDs that are \Recent to a session, ascending, as
// the store hands them out (Select, ClaimRecent): after an import that is
// every message of the mailbox, and a sorted slice costs SELECT one copy
// where a map cost an insertion per message.
type recentSet []uint32

func (r recentSet) has(uid uint32) bool {
	_, ok := slices.BinarySearch(r, uid)
	return ok
}

// add puts uid in the set; new messages have the highest UIDs, so this is
// nearly always an append.
func (r *recentSet) add(uid uint32) {
	if n := len(*r); n == 0 || (*r)[n-1] < uid {
		*r = append(*r, uid)
		return
	}
	if i, ok := slices.BinarySearch(*r, uid); !ok {
		*r = slices.Insert(*r, i, uid)
	}
}

// remove takes the expunged UIDs, ascending, out of the set.
func (r *recentSet) remove(gone []uint32) {
	*r = slices.DeleteFunc(*r, func(uid uint32) bool {
		_, ok := slices.BinarySearch(gone, uid)
		return ok
	})
}
