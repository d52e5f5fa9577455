package mailstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/hack-pad/hackpadfs"
)

// subscriptionsName is the per-user file of subscribed mailbox names, one
// per line, in the Maildir++ root as Dovecot keeps it. wirelab writes names
// as sessions see them ("Archive/2025"); it also reads Dovecot's version 2
// files ("V\t2" header, '\t' between hierarchy levels).
const subscriptionsName = "subscriptions"

// Subscribe adds a mailbox name to the user's subscriptions (RFC 3501
// §6.3.6). The mailbox need not exist: a subscription outlives its
// mailbox, and a name can be subscribed before it is created. Subscribing
// twice is not an error (RFC 9051 §6.3.7).
func (s *Store) Subscribe(user, name string) error {
	name = canonical(name)
	if _, err := dirOf(user, name); err != nil {
		return err
	}
	return s.editSubscriptions(user, func(set map[string]bool) { set[name] = true })
}

// Unsubscribe removes a name from the user's subscriptions (RFC 3501
// §6.3.7). A name that is not subscribed is not an error (RFC 9051
// §6.3.8).
func (s *Store) Unsubscribe(user, name string) error {
	name = canonical(name)
	return s.editSubscriptions(user, func(set map[string]bool) { delete(set, name) })
}

// Subscriptions returns the user's subscribed names, sorted, whether or not
// the mailboxes exist.
func (s *Store) Subscriptions(user string) ([]string, error) {
	if err := s.checkUser(user); err != nil {
		return nil, err
	}
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	set, err := s.readSubscriptions(user)
	if err != nil {
		return nil, err
	}
	return sortedNames(set), nil
}

func (s *Store) checkUser(user string) error {
	if err := validUser(user); err != nil {
		return err
	}
	if !s.HasUser(user) {
		return fmt.Errorf("%w: %q", ErrNoUser, user)
	}
	return nil
}

func (s *Store) editSubscriptions(user string, edit func(map[string]bool)) error {
	if err := s.checkUser(user); err != nil {
		return err
	}
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	set, err := s.readSubscriptions(user)
	if err != nil {
		return err
	}
	encode := func() string {
		var b strings.Builder
		for _, name := range sortedNames(set) {
			b.WriteString(name)
			b.WriteByte('\n')
		}
		return b.String()
	}
	before := encode()
	edit(set)
	after := encode()
	if after == before {
		return nil
	}
	if err := s.writeFileAtomic(path.Join(user, subscriptionsName), []byte(after)); err != nil {
		return fmt.Errorf("mailstore: write subscriptions of %s: %w", user, err)
	}
	return nil
}

func (s *Store) readSubscriptions(user string) (map[string]bool, error) {
	set := make(map[string]bool)
	data, err := hackpadfs.ReadFile(s.fs, path.Join(user, subscriptionsName))
	if errors.Is(err, fs.ErrNotExist) {
		return set, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mailstore: read subscriptions of %s: %w", user, err)
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if len(lines) > 0 && lines[0] == "V\t2" {
		// Dovecot 2: a header, an empty line, then names with '\t'
		// between levels.
		for i, l := range lines {
			if l == "" {
				lines = lines[i+1:]
				break
			}
		}
		for i, l := range lines {
			lines[i] = strings.ReplaceAll(l, "\t", Separator)
		}
	}
	for _, l := range lines {
		if l != "" {
			set[canonical(l)] = true
		}
	}
	return set, nil
}

func sortedNames(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
