package mailstore

import "sort"

// ChangeKind says what happened to a mailbox.
type ChangeKind int

// The kinds of change published on the feed.
const (
	Appended ChangeKind = iota + 1
	FlagsChanged
	Expunged
	MailboxDeleted
	// KeywordsChanged says the mailbox defined new keywords. An IMAP
	// server sends FLAGS and OK [PERMANENTFLAGS] (RFC 3501 §7.2.6) before
	// the FETCH of the flag change that used them, which follows on the
	// feed.
	KeywordsChanged
	// MailboxRenamed says the mailbox now has another name (Change.NewName).
	// Sessions that had it selected lose it, as if it had been deleted.
	MailboxRenamed
)

func (k ChangeKind) String() string {
	switch k {
	case Appended:
		return "appended"
	case FlagsChanged:
		return "flags"
	case Expunged:
		return "expunged"
	case MailboxDeleted:
		return "mailbox-deleted"
	case KeywordsChanged:
		return "keywords"
	case MailboxRenamed:
		return "mailbox-renamed"
	}
	return "unknown"
}

// Change is one event on the store's change feed. Which fields are set
// depends on Kind:
//
//	Appended         UIDs: the new messages, ascending
//	FlagsChanged     UIDs, Messages (new flags and MODSEQ of each), ModSeq
//	Expunged         UIDs, ModSeq: the mod-sequence of the expunge
//	MailboxDeleted   UIDs: the messages that went with it
//	KeywordsChanged  Keywords: every keyword the mailbox now has
//	MailboxRenamed   NewName
//
// A session that watches a mailbox and then takes a Select snapshot drops
// the events the snapshot already reflects: Appended UIDs below the
// snapshot's UIDNext, and FlagsChanged or Expunged with a ModSeq not above
// its HighestModSeq.
type Change struct {
	User    string
	Mailbox string
	Kind    ChangeKind
	UIDs    []uint32
	// Messages holds, for FlagsChanged, each changed message's flags and
	// mod-sequence, in the order of UIDs.
	Messages []MessageFlags
	// ModSeq is the mod-sequence of a flag change or expunge: the
	// mailbox's HIGHESTMODSEQ right after it (RFC 7162 §3.1).
	ModSeq uint64
	// Keywords lists the mailbox's keywords after a KeywordsChanged.
	Keywords []Flag
	// NewName is the mailbox's name after a MailboxRenamed.
	NewName string
}

// MessageFlags is a message's flags and mod-sequence after a flag change.
type MessageFlags struct {
	UID    uint32
	Flags  []Flag
	ModSeq uint64
	// Changed is false for a message a StoreFlags left as it was (its
	// flags already matched); an IMAP server still reports its FLAGS, and
	// its MODSEQ after a conditional STORE (RFC 7162 §3.1.3).
	Changed bool
}

// Watch calls fn after every change to the user's mailbox, with no store
// lock held, so fn may call back into the store. Sessions queue what they
// receive and report it at the moments their protocol allows.
//
// The changes of one mailbox reach fn one at a time and in the order they
// were made. fn runs on the goroutine that made the change, or, when another
// goroutine is delivering earlier changes of that mailbox at that moment, on
// that goroutine right after them; a change fn itself makes is delivered
// after fn returns. Cancel stops the calls.
func (s *Store) Watch(user, mailbox string, fn func(Change)) (cancel func()) {
	key := mailboxKey{user, canonical(mailbox)}
	s.mu.Lock()
	s.watchSeq++
	id := s.watchSeq
	if s.watchers[key] == nil {
		s.watchers[key] = make(map[int]func(Change))
	}
	s.watchers[key][id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.watchers[key], id)
		if len(s.watchers[key]) == 0 {
			delete(s.watchers, key)
		}
		s.mu.Unlock()
	}
}

// WatchAll calls fn after every change in the store; the playground's state
// panel uses it. The empty user and mailbox key is reserved for it.
func (s *Store) WatchAll(fn func(Change)) (cancel func()) {
	return s.Watch("", "", fn)
}

func (s *Store) publish(c Change) {
	s.mu.Lock()
	var fns []func(Change)
	ids := func(m map[int]func(Change)) {
		keys := make([]int, 0, len(m))
		for id := range m {
			keys = append(keys, id)
		}
		sort.Ints(keys) // deterministic order: registration order
		for _, id := range keys {
			fns = append(fns, m[id])
		}
	}
	ids(s.watchers[mailboxKey{c.User, c.Mailbox}])
	ids(s.watchers[mailboxKey{}])
	s.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// emitLocked queues changes of mb for delivery in order; the caller holds
// mb.mu and calls flush after releasing it.
func (mb *mailbox) emitLocked(cs ...Change) {
	for _, c := range cs {
		c.User, c.Mailbox = mb.user, mb.name
		mb.outbox = append(mb.outbox, c)
	}
}

// flush delivers the queued changes unless another goroutine is already
// doing so, in which case that goroutine delivers them too. One goroutine
// at a time delivers, taking the queue in order, so watchers see a
// mailbox's changes in the order they were made.
func (mb *mailbox) flush() {
	for {
		mb.mu.Lock()
		if mb.delivering || len(mb.outbox) == 0 {
			mb.mu.Unlock()
			return
		}
		mb.delivering = true
		batch := mb.outbox
		mb.outbox = nil
		mb.mu.Unlock()
		mb.deliverBatch(batch)
	}
}

func (mb *mailbox) deliverBatch(batch []Change) {
	defer func() {
		// Reset even when a watcher panics, so later changes still flow.
		mb.mu.Lock()
		mb.delivering = false
		mb.mu.Unlock()
	}()
	for _, c := range batch {
		mb.store.publish(c)
	}
}
