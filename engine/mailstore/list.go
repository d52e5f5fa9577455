package mailstore

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hack-pad/hackpadfs"
)

// The special-use attributes of RFC 6154 §2 that the store gives to
// well-known mailbox names.
const (
	SpecialArchive = `\Archive`
	SpecialDrafts  = `\Drafts`
	SpecialJunk    = `\Junk`
	SpecialSent    = `\Sent`
	SpecialTrash   = `\Trash`
)

// SpecialUse returns the RFC 6154 attribute of a top-level mailbox with a
// well-known name (Archive, Drafts, Junk, Sent, Trash; matched exactly, as
// Dovecot's default configuration names them), or "".
func SpecialUse(name string) string {
	switch name {
	case "Archive":
		return SpecialArchive
	case "Drafts":
		return SpecialDrafts
	case "Junk":
		return SpecialJunk
	case "Sent":
		return SpecialSent
	case "Trash":
		return SpecialTrash
	}
	return ""
}

// MailboxInfo is what IMAP's LIST says about one mailbox name.
type MailboxInfo struct {
	Name string
	// NoSelect marks a name that exists only as a level of the hierarchy:
	// Maildir++ has ".a.b" but no ".a" (RFC 3501 §7.2.2 \Noselect).
	NoSelect bool
	// HasChildren says some name lies below this one (RFC 3348).
	HasChildren bool
	// SpecialUse is the mailbox's RFC 6154 attribute, or "".
	SpecialUse string
}

// Attributes returns the LIST name attributes: \Noselect,
// \HasChildren or \HasNoChildren, and the special-use attribute.
func (i MailboxInfo) Attributes() []string {
	var out []string
	if i.NoSelect {
		out = append(out, `\Noselect`)
	}
	if i.HasChildren {
		out = append(out, `\HasChildren`)
	} else {
		out = append(out, `\HasNoChildren`)
	}
	if i.SpecialUse != "" {
		out = append(out, i.SpecialUse)
	}
	return out
}

// ListMailboxes returns every mailbox name of the user with its LIST
// attributes: INBOX first, then the rest sorted, including the \Noselect
// levels that only their children imply.
func (s *Store) ListMailboxes(user string) ([]MailboxInfo, error) {
	if err := s.checkUser(user); err != nil {
		return nil, err
	}
	entries, err := hackpadfs.ReadDir(s.fs, user)
	if err != nil {
		return nil, fmt.Errorf("mailstore: list %s: %w", user, err)
	}
	infos := map[string]*MailboxInfo{Inbox: {Name: Inbox}}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name, ok := nameOf(e.Name())
		if !ok {
			continue
		}
		name = canonical(name)
		info, err := hackpadfs.Stat(s.fs, path.Join(user, e.Name(), "cur"))
		selectable := err == nil && info.IsDir()
		if old := infos[name]; old != nil {
			old.NoSelect = old.NoSelect && !selectable
			continue
		}
		infos[name] = &MailboxInfo{Name: name, NoSelect: !selectable}
	}
	// Add the levels only children imply, then mark parents.
	for name := range infos {
		for i := strings.LastIndex(name, Separator); i > 0; i = strings.LastIndex(name[:i], Separator) {
			parent := name[:i]
			if infos[parent] == nil {
				infos[parent] = &MailboxInfo{Name: parent, NoSelect: true}
			}
		}
	}
	for name, info := range infos {
		if i := strings.LastIndex(name, Separator); i > 0 {
			infos[name[:i]].HasChildren = true
		}
		if !info.NoSelect {
			info.SpecialUse = SpecialUse(name)
		}
	}
	out := make([]MailboxInfo, 0, len(infos))
	for _, info := range infos {
		out = append(out, *info)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == Inbox) != (out[j].Name == Inbox) {
			return out[i].Name == Inbox
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
