package world

import (
	"fmt"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// Populate writes the world's users and mail into a store. Users that
// already have a Maildir there are left alone, so a `--data DIR` that has
// been used before keeps its state across restarts instead of being reset.
// It returns the users it filled.
func (w *World) Populate(st *mailstore.Store) ([]string, error) {
	var filled []string
	for _, user := range w.Users.Names() {
		if st.HasUser(user) {
			continue
		}
		if err := st.EnsureUser(user); err != nil {
			return filled, fmt.Errorf("world: populate %s: %w", user, err)
		}
		for _, mb := range w.Mailboxes[user] {
			if mb.Name != mailstore.Inbox {
				if err := st.CreateMailbox(user, mb.Name); err != nil {
					return filled, fmt.Errorf("world: populate %s/%s: %w", user, mb.Name, err)
				}
			}
			batch := make([]mailstore.NewMessage, len(mb.Messages))
			for i, m := range mb.Messages {
				flags := make([]mailstore.Flag, 0, len(m.Flags))
				for _, f := range m.Flags {
					flags = append(flags, mailstore.Flag(f))
				}
				batch[i] = mailstore.NewMessage{Raw: m.Raw, Flags: flags, InternalDate: m.Date}
			}
			if _, err := st.DeliverBatch(user, mb.Name, batch); err != nil {
				return filled, fmt.Errorf("world: populate %s/%s: %w", user, mb.Name, err)
			}
		}
		filled = append(filled, user)
	}
	return filled, nil
}
