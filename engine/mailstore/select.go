package mailstore

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hack-pad/hackpadfs"
)

// Snapshot is a mailbox as a session sees it when it selects it: what an
// IMAP server reports in its SELECT or EXAMINE response (RFC 3501 §6.3.1,
// RFC 7162 §3.1.2.1).
type Snapshot struct {
	// Messages are in UID order; their position is the sequence number.
	// They are shared with the store and other sessions: the caller must
	// not modify them (copy first), though it may append to the slice.
	Messages []Message
	// Status.Recent is len(Recent).
	Status Status
	// Keywords are the keywords defined in the mailbox, for FLAGS and
	// PERMANENTFLAGS.
	Keywords []Flag
	// CanCreateKeywords is false once the mailbox has MaxKeywords
	// keywords; PERMANENTFLAGS then lacks \*.
	CanCreateKeywords bool
	// Recent lists, ascending, the UIDs that are \Recent for this session.
	Recent []uint32
}

// Select takes a consistent snapshot of a mailbox for a session. Unless
// readOnly, the session also claims the mailbox's recent messages: they are
// \Recent to it and to no later session (RFC 3501 §2.3.2), and Maildir
// files still in new/ (mail delivered by SMTP or dropped in by another
// program) move to cur/, as Dovecot does. \Recent is kept by UID in the
// modseq log (the first unclaimed UID), not by directory: mail a client
// filed in cur/ (NewMessage.Client) is \Recent all the same. A read-only select
// (EXAMINE) sees the same messages as recent but leaves them unclaimed
// (RFC 3501 §6.3.2).
//
// To follow the mailbox afterwards, Watch it before selecting and drop the
// changes the snapshot already holds (see Change).
func (s *Store) Select(user, name string, readOnly bool) (Snapshot, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return Snapshot{}, err
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if err := mb.goneLocked(); err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{
		Messages:          mb.sharedMessagesLocked(),
		Status:            mb.statusLocked(),
		Keywords:          mb.keywords.list(),
		CanCreateKeywords: mb.keywords.slot(mb.reserved) >= 0,
	}
	if readOnly {
		snap.Recent = mb.recentLocked(mb.uidNext - 1)
	} else {
		snap.Recent, err = mb.claimLocked(mb.uidNext - 1)
	}
	snap.Status.Recent = len(snap.Recent)
	return snap, err
}

// ClaimRecent claims for the caller the recent messages with UIDs up to
// upTo: a selected IMAP4rev1 session calls it for new messages as it
// announces them with EXISTS, and whichever session does so first shows
// them as \Recent. It returns the claimed UIDs, ascending.
func (s *Store) ClaimRecent(user, name string, upTo uint32) ([]uint32, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, err
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if err := mb.goneLocked(); err != nil {
		return nil, err
	}
	return mb.claimLocked(upTo)
}

// Keywords returns the keywords defined in a mailbox, in the order they
// were defined.
func (s *Store) Keywords(user, name string) ([]Flag, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, err
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if err := mb.goneLocked(); err != nil {
		return nil, err
	}
	return mb.keywords.list(), nil
}

// recentLocked lists the unclaimed messages with UIDs up to upTo.
func (mb *mailbox) recentLocked(upTo uint32) []uint32 {
	recs := mb.recentRecordsLocked(upTo)
	if len(recs) == 0 {
		return nil
	}
	out := make([]uint32, len(recs))
	for i, r := range recs {
		out[i] = r.UID
	}
	return out
}

// recentRecordsLocked returns the records of the unclaimed messages with
// UIDs up to upTo: a run at the end of msgs, which is in UID order.
func (mb *mailbox) recentRecordsLocked(upTo uint32) []*record {
	i := sort.Search(len(mb.msgs), func(i int) bool { return mb.msgs[i].UID >= mb.firstRecent })
	j := sort.Search(len(mb.msgs), func(j int) bool { return mb.msgs[j].UID > upTo })
	if j <= i {
		return nil
	}
	return mb.msgs[i:j]
}

// claimLocked marks the messages up to upTo as claimed, in memory and in the
// modseq log, and, unless the store is exclusive, moves their files out of
// new/.
func (mb *mailbox) claimLocked(upTo uint32) ([]uint32, error) {
	if upTo < mb.firstRecent {
		return nil, nil
	}
	out := mb.recentLocked(upTo)
	// The move out of new/ tells other Maildir readers that a client has
	// seen the message; an exclusive store has none, and the claim is
	// recorded below either way. Mail a client put here (APPEND, COPY,
	// MOVE) is in cur/ already.
	if !mb.store.exclusive {
		for _, r := range mb.recentRecordsLocked(upTo) {
			if !strings.HasPrefix(r.file, "new/") {
				continue
			}
			file := "cur/" + r.Key + ":2," + infoFromFlags(r.Flags, r.extra, &mb.keywords)
			// Best effort: a file left in new/ is still the same message.
			if err := hackpadfs.Rename(mb.store.fs, mb.path(r.file), mb.path(file)); err == nil {
				r.file = file
			}
		}
	}
	next := mb.uidNext
	if upTo < next-1 {
		next = upTo + 1
	}
	if next <= mb.firstRecent {
		return out, nil
	}
	mb.firstRecent = next
	return out, mb.logLocked(fmt.Appendf(nil, "R %d\n", next))
}
