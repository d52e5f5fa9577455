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
	}
	return "unknown"
}

// Change is one event on the store's change feed.
type Change struct {
	User    string
	Mailbox string
	Kind    ChangeKind
	UIDs    []uint32
}

// Watch calls fn after every change to the user's mailbox, from the
// goroutine that made the change and with no store lock held, so fn may call
// back into the store. Sessions queue what they receive and report it at the
// moments their protocol allows. Cancel stops the calls.
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
