package mailstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/hack-pad/hackpadfs"
)

// The store does not follow symbolic links inside a user's Maildir: a
// folder, one of its cur, new and tmp directories, or a message file that
// is a link is treated as absent. A link could lead out of the store
// (".Etc -> /etc") or into another user's Maildir (".Shared -> ../bob"),
// and telling the two from a harmless link would mean resolving paths
// outside the store's file system. The store's root and each user's root
// are laid out by the operator and are trusted as they are.

// refuseLinks returns ErrNoMailbox when the mailbox directory dir, or one
// of its Maildir subdirectories, is a symbolic link. The user's root (the
// INBOX's dir) itself is not checked. File systems without Lstat (the
// in-memory one) have no links to refuse.
func (s *Store) refuseLinks(user, name, dir string) error {
	check := []string{path.Join(dir, "cur"), path.Join(dir, "new"), path.Join(dir, "tmp")}
	if dir != user {
		check = append([]string{dir}, check...)
	}
	for _, p := range check {
		info, err := hackpadfs.Lstat(s.fs, p)
		switch {
		case errors.Is(err, hackpadfs.ErrNotImplemented):
			return nil
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("mailstore: open %s/%s: %w", user, name, err)
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: %q (%s is a symbolic link, which the store does not follow)", ErrNoMailbox, name, p)
		}
	}
	return nil
}

// isLink reports whether a directory entry is a symbolic link, which a scan
// skips (a link to a file outside the store must not be served as mail).
func isLink(e fs.DirEntry) bool { return e.Type()&fs.ModeSymlink != 0 }
