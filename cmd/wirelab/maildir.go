package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hack-pad/hackpadfs"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/conformance"
	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

// maildirWorlds writes each transcript's world, just before it runs, as the
// Maildir++ tree and password file of a live server that serves mail from
// disk (Dovecot with mail_location = maildir:DIR/mail/%u and a passwd-file
// DIR/users). That is how one corpus runs against a real server: every
// transcript starts from the state it was written for. Transcripts then run
// one at a time, since they share the server's disk.
type maildirWorlds struct {
	dir string
	mu  sync.Mutex
	// last is the transcript whose world is on disk: a transcript that
	// opens a second connection must find the first one's changes.
	last *conformance.Transcript
	n    int // numbers the old trees moved aside
}

// maxClearAttempts bounds how often prepare moves the last world aside
// while the last transcript's servers keep writing into it.
const maxClearAttempts = 20

// prepare replaces what is under dir with t's world, unless it is there.
func (m *maildirWorlds) prepare(t *conformance.Transcript) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == t {
		return nil
	}
	m.last = t
	w := t.World
	if w == nil {
		w = world.Demo()
	}
	owner, err := os.Stat(m.dir)
	if err != nil {
		return fmt.Errorf("--maildir: %w", err)
	}
	mailDir := filepath.Join(m.dir, "mail")
	// The last transcript's server processes may still be writing there
	// (a logout is answered before the session's last flush), so the old
	// tree is moved aside at once and removed as well as it can be; one
	// that writes again after the move (Dovecot recreating its index
	// directory) makes the tree reappear, and it is moved aside again.
	for attempt := 1; ; attempt++ {
		old := filepath.Join(m.dir, fmt.Sprintf("old-%d", m.n))
		m.n++
		if err := os.Rename(mailDir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--maildir: clear the last world: %w", err)
		}
		os.RemoveAll(old)
		err := os.Mkdir(mailDir, 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || attempt == maxClearAttempts {
			return fmt.Errorf("--maildir: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	abs, err := filepath.Abs(mailDir)
	if err != nil {
		return fmt.Errorf("--maildir: %w", err)
	}
	sub, err := osfs.NewFS().Sub(strings.TrimPrefix(filepath.ToSlash(abs), "/"))
	if err != nil {
		return fmt.Errorf("--maildir: %w", err)
	}
	st := mailstore.New(sub, mailstore.Options{Clock: clock.Real{}, Hostname: "wirelab"})
	if _, err := w.Populate(st); err != nil {
		return fmt.Errorf("--maildir: %s: %w", t.File, err)
	}
	for _, user := range w.Users.Names() {
		if err := writeDovecotUIDLists(st, sub, user); err != nil {
			return fmt.Errorf("--maildir: %s: %w", t.File, err)
		}
	}
	if err := m.writeUsers(w); err != nil {
		return err
	}
	return chownTree(m.dir, owner)
}

// writeUsers writes the world's users file as it is: its
// "name:{SCHEME}secret" lines are Dovecot's passwd-file format.
func (m *maildirWorlds) writeUsers(w *world.World) error {
	var b strings.Builder
	for _, name := range w.Users.Names() {
		p, _ := w.Users.Lookup(name)
		fmt.Fprintf(&b, "%s:%s\n", name, p.PasswdField())
	}
	path := filepath.Join(m.dir, "users")
	if old, err := os.ReadFile(path); err == nil && string(old) == b.String() {
		return nil
	}
	// Dovecot rereads a passwd-file at most once a second, when its mtime
	// or size changed: the new file gets a later mtime, and the next login
	// waits for the next second so that it does not meet the old users.
	now := time.Now()
	if info, err := os.Stat(path); err == nil && !now.After(info.ModTime().Add(time.Second)) {
		now = info.ModTime().Add(time.Second)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("--maildir: %w", err)
	}
	if err := os.Chtimes(tmp, now, now); err != nil {
		return fmt.Errorf("--maildir: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("--maildir: %w", err)
	}
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	return nil
}

// writeDovecotUIDLists gives every mailbox of user a dovecot-uidlist with
// the UIDs and UIDVALIDITY the store assigned, so a Dovecot reading the tree
// numbers the messages as the transcript expects (it would otherwise
// number them in the order it happens to scan the files).
func writeDovecotUIDLists(st *mailstore.Store, fsys hackpadfs.FS, user string) error {
	names, err := st.Mailboxes(user)
	if err != nil {
		return err
	}
	for _, name := range names {
		msgs, status, err := st.List(user, name)
		if err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "3 V%d N%d\n", status.UIDValidity, status.UIDNext)
		for _, msg := range msgs {
			fmt.Fprintf(&b, "%d :%s\n", msg.UID, msg.Key)
		}
		dir, err := mailstore.Dir(user, name)
		if err != nil {
			return err
		}
		if err := hackpadfs.WriteFullFile(fsys, dir+"/dovecot-uidlist", []byte(b.String()), 0o600); err != nil {
			return fmt.Errorf("dovecot-uidlist of %s/%s: %w", user, name, err)
		}
	}
	return nil
}

// chownTree gives everything under dir the owner of dir itself, so that a
// server whose mail processes run as another user (Dovecot will not run
// them as root) can write the tree root wrote.
func chownTree(dir string, owner fs.FileInfo) error {
	sys, ok := owner.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(sys.Uid), int(sys.Gid))
	})
}
