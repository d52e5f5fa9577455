package mailstore

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/hack-pad/hackpadfs"
)

// mtimeSettle is how old a directory's modification time must be, by the
// store's clock, before Refresh trusts it to reveal the next change. File
// systems stamp times coarsely (Linux takes the time of the last timer tick,
// FAT rounds to 2 seconds), so a file dropped into new/ just after a scan
// could leave the directory's time as the scan saw it. Dovecot's maildir
// code waits out the same window before trusting a directory's mtime.
const mtimeSettle = 2 * time.Second

// mtimeProbeName is the file the store creates and removes in a mailbox's
// tmp/ to learn whether its file system updates directory modification
// times (an os directory does, hackpadfs's mem.FS does not).
const mtimeProbeName = ".wirelab-mtime-probe"

// dirStamp is the modification times of a mailbox's new/ and cur/ as the
// last scan found them; valid only when the file system updates them and
// they had settled (see mtimeSettle).
type dirStamp struct {
	valid    bool
	new, cur time.Time
}

// dirMtimesWork reports whether the store's file system updates a
// directory's modification time when an entry is added or removed,
// probing it once, in dir (a mailbox's tmp/): set the directory's time far
// into the past, create and remove a file, and see whether the time moved.
// Any error says no, and Refresh then compares names instead.
func (s *Store) dirMtimesWork(dir string) bool {
	s.mtimeOnce.Do(func() {
		old := time.Unix(1, 0)
		if err := hackpadfs.Chtimes(s.fs, dir, old, old); err != nil {
			return
		}
		probe := path.Join(dir, mtimeProbeName)
		f, err := hackpadfs.Create(s.fs, probe)
		if err != nil {
			return
		}
		_ = f.Close()
		if err := hackpadfs.Remove(s.fs, probe); err != nil {
			return
		}
		info, err := hackpadfs.Stat(s.fs, dir)
		s.mtimeOK = err == nil && !info.ModTime().Equal(old)
	})
	return s.mtimeOK
}

// stampLocked reads the modification times of new/ and cur/ for the next
// unchangedLocked; call it before reading the directories, so that a change
// made while they are read shows as a newer time.
func (mb *mailbox) stampLocked() dirStamp {
	if !mb.store.dirMtimesWork(mb.path("tmp")) {
		return dirStamp{}
	}
	n, errN := hackpadfs.Stat(mb.store.fs, mb.path("new"))
	c, errC := hackpadfs.Stat(mb.store.fs, mb.path("cur"))
	if errN != nil || errC != nil {
		return dirStamp{}
	}
	settled := mb.store.clock.Now().Add(-mtimeSettle)
	if !n.ModTime().Before(settled) || !c.ModTime().Before(settled) {
		return dirStamp{} // too fresh to tell a later change apart
	}
	return dirStamp{valid: true, new: n.ModTime(), cur: c.ModTime()}
}

// unchangedLocked reports, cheaply, that new/ and cur/ hold exactly the
// files the index names, so a Refresh has nothing to pick up: at once for
// an exclusive store, by the directories' modification times when the file system keeps them (no
// directory read at all), else by comparing the directories' names with
// the index's. Any doubt answers false, and the caller rescans.
//
// Only the message files count: Refresh picks up mail another program
// added, removed or re-flagged (a rename), all of which change these
// names. The uidlist, keyword and modseq files are the store's own.
func (mb *mailbox) unchangedLocked() bool {
	if mb.uidValidity == 0 {
		return false // never scanned
	}
	if mb.store.exclusive {
		return true // only this store writes the tree, and its index is current
	}
	if st := mb.stamp; st.valid {
		n, errN := hackpadfs.Stat(mb.store.fs, mb.path("new"))
		c, errC := hackpadfs.Stat(mb.store.fs, mb.path("cur"))
		if errN == nil && errC == nil && n.ModTime().Equal(st.new) && c.ModTime().Equal(st.cur) {
			return true
		}
	}
	stamp := mb.stampLocked()
	var want [2][]string // the index's names in new/ and cur/
	for _, r := range mb.msgs {
		dir, name, _ := strings.Cut(r.file, "/")
		switch dir {
		case "new":
			want[0] = append(want[0], name)
		case "cur":
			want[1] = append(want[1], name)
		default:
			return false
		}
	}
	for i, sub := range []string{"new", "cur"} {
		entries, err := hackpadfs.ReadDir(mb.store.fs, mb.path(sub))
		if err != nil {
			return false
		}
		got := make([]string, 0, len(entries))
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue // as readFiles skips them
			}
			got = append(got, e.Name())
		}
		if len(got) != len(want[i]) {
			return false
		}
		slices.Sort(got)
		slices.Sort(want[i])
		if !slices.Equal(got, want[i]) {
			return false
		}
	}
	mb.stamp = stamp
	return true
}
