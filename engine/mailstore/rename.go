package mailstore

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/hack-pad/hackpadfs"
)

// Rename gives a mailbox and every mailbox below it new names (RFC 3501
// §6.3.5): "a" to "b" also renames "a/x" to "b/x". A name that exists only
// as a level of the hierarchy (\Noselect) can be renamed too, which renames
// what is below it. It fails with ErrNoMailbox when there is nothing to
// rename, with ErrMailboxExists when the new name or the new name of a
// mailbox below exists, and with ErrBadMailboxName when the new name is
// below the old one.
//
// A renamed mailbox keeps its UIDVALIDITY, UIDs, mod-sequences and
// keywords, as Dovecot's does: its messages are the same and none of its
// UIDs can be reused (RFC 3501 §2.3.1.1). A mailbox created later under the
// old name gets a new UIDVALIDITY. Subscriptions are not changed (RFC 9051
// §6.3.6). Sessions that had a renamed mailbox selected lose it: they get
// MailboxRenamed on the feed and ErrNoMailbox from then on.
//
// Renaming INBOX is special (RFC 3501 §6.3.5): its messages move to a new
// mailbox with the new name, which gets a new UIDVALIDITY and UIDs as with
// Move, and INBOX stays, empty, with its UIDVALIDITY and UIDNEXT. Mailboxes
// below INBOX are not affected.
func (s *Store) Rename(user, oldName, newName string) error {
	if err := validUser(user); err != nil {
		return err
	}
	oldName, newName = canonical(oldName), canonical(newName)
	if _, err := dirOf(user, oldName); err != nil {
		return err
	}
	if _, err := dirOf(user, newName); err != nil {
		return err
	}
	switch {
	case newName == Inbox || newName == oldName:
		return fmt.Errorf("%w: %q", ErrMailboxExists, newName)
	case oldName == Inbox:
		return s.renameInbox(user, newName)
	case strings.HasPrefix(newName, oldName+Separator):
		return fmt.Errorf("%w: %q is below %q", ErrBadMailboxName, newName, oldName)
	}

	s.openMu.Lock()
	defer s.openMu.Unlock()
	if !s.HasUser(user) {
		return fmt.Errorf("%w: %q", ErrNoUser, user)
	}
	entries, err := hackpadfs.ReadDir(s.fs, user)
	if err != nil {
		return fmt.Errorf("mailstore: rename %s: %w", user, err)
	}
	type move struct{ from, to, fromDir, toDir string }
	var moves []move
	for _, e := range entries {
		name, ok := nameOf(e.Name())
		if !ok || !e.IsDir() || (name != oldName && !strings.HasPrefix(name, oldName+Separator)) {
			continue
		}
		to := newName + name[len(oldName):]
		toDir, err := dirOf(user, to)
		if err != nil {
			return err
		}
		moves = append(moves, move{name, to, user + "/" + e.Name(), toDir})
	}
	if len(moves) == 0 {
		return fmt.Errorf("%w: %q", ErrNoMailbox, oldName)
	}
	for _, m := range moves {
		if _, err := hackpadfs.Stat(s.fs, m.toDir); err == nil {
			return fmt.Errorf("%w: %q", ErrMailboxExists, m.to)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mailstore: rename %s/%s: %w", user, m.from, err)
		}
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i].from < moves[j].from })

	// Hold every open mailbox being renamed, so no operation on one is
	// halfway through its files while they move.
	open := make([]*mailbox, len(moves))
	for i, m := range moves {
		if mb := s.lookup(user, m.from); mb != nil {
			mb.mu.Lock()
			open[i] = mb
		}
	}
	unlockAll := func() {
		for i := len(open) - 1; i >= 0; i-- {
			if open[i] != nil {
				open[i].mu.Unlock()
			}
		}
	}
	for i, m := range moves {
		if err := hackpadfs.Rename(s.fs, m.fromDir, m.toDir); err != nil {
			for j := i - 1; j >= 0; j-- {
				_ = hackpadfs.Rename(s.fs, moves[j].toDir, moves[j].fromDir)
			}
			unlockAll()
			return fmt.Errorf("mailstore: rename %s/%s to %s: %w", user, m.from, m.to, err)
		}
	}
	for i, m := range moves {
		if mb := open[i]; mb != nil {
			for _, r := range mb.msgs {
				s.cache.drop(mb.dir + "/" + r.Key)
			}
			mb.msgs = nil
			mb.dropViewLocked()
			mb.deleted = true
			mb.emitLocked(Change{Kind: MailboxRenamed, NewName: m.to})
		}
	}
	s.mu.Lock()
	for _, m := range moves {
		delete(s.mailboxes, mailboxKey{user, m.from})
	}
	s.mu.Unlock()
	unlockAll()
	for i, m := range moves {
		if open[i] != nil {
			open[i].flush()
		} else {
			s.publish(Change{User: user, Mailbox: m.from, Kind: MailboxRenamed, NewName: m.to})
		}
	}
	return nil
}

// renameInbox moves INBOX's messages to a new mailbox.
func (s *Store) renameInbox(user, newName string) error {
	inbox, err := s.mailbox(user, Inbox, false)
	if err != nil {
		return err
	}
	if err := s.CreateMailbox(user, newName); err != nil {
		return err
	}
	inbox.mu.Lock()
	uids := make([]uint32, len(inbox.msgs))
	for i, r := range inbox.msgs {
		uids[i] = r.UID
	}
	inbox.mu.Unlock()
	// Mail that arrives meanwhile stays in INBOX, as if it came after.
	if _, err := s.Move(user, Inbox, newName, uids); err != nil {
		if derr := s.DeleteMailbox(user, newName); derr != nil {
			err = errors.Join(err, derr)
		}
		return err
	}
	return nil
}
