// Package memfs is an in-memory hackpadfs.FS: a tree of directories and
// files behind one lock, with the operations a Maildir store makes per
// message (create, write, rename, append, stat) costing a few map look-ups
// and no copies beyond the data itself.
//
// Its semantics follow a POSIX file system as hackpadfs's conformance suite
// (hackpadfs/fstest) checks them: paths are io/fs paths ("." is the root),
// errors are *hackpadfs.PathError or *hackpadfs.LinkError wrapping
// hackpadfs's errors, renames replace files atomically, an open file keeps
// working after it is renamed or removed, and a directory's modification
// time moves when an entry is added to or removed from it. Times come from
// an injected clock, so the file system is deterministic under a virtual
// one. There are no symbolic links, owners or permission checks.
package memfs

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/clock"
)

// FS is an in-memory file system. It is safe for concurrent use.
type FS struct {
	clock clock.Clock

	mu   sync.RWMutex
	root *node
}

var (
	_ hackpadfs.OpenFileFS     = (*FS)(nil)
	_ hackpadfs.CreateFS       = (*FS)(nil)
	_ hackpadfs.MkdirFS        = (*FS)(nil)
	_ hackpadfs.MkdirAllFS     = (*FS)(nil)
	_ hackpadfs.RemoveFS       = (*FS)(nil)
	_ hackpadfs.RemoveAllFS    = (*FS)(nil)
	_ hackpadfs.RenameFS       = (*FS)(nil)
	_ hackpadfs.StatFS         = (*FS)(nil)
	_ hackpadfs.LstatFS        = (*FS)(nil)
	_ hackpadfs.ChmodFS        = (*FS)(nil)
	_ hackpadfs.ChtimesFS      = (*FS)(nil)
	_ hackpadfs.ReadDirFS      = (*FS)(nil)
	_ hackpadfs.ReadFileFS     = (*FS)(nil)
	_ hackpadfs.WriteFileFS    = (*FS)(nil)
	_ hackpadfs.ReadWriterFile = (*file)(nil)
)

// node is a file or a directory. Its fields are guarded by FS.mu.
type node struct {
	name     string // base name, for FileInfo
	mode     hackpadfs.FileMode
	modTime  time.Time
	data     []byte           // a file's contents
	children map[string]*node // a directory's entries
	// shared: ReadFileShared handed data out, so it must not be
	// overwritten in place (set under the read lock, hence atomic).
	shared atomic.Bool
}

func (n *node) isDir() bool { return n.mode.IsDir() }

// New returns an empty file system whose root directory exists. A nil
// clock means a virtual one at its epoch, which keeps tests deterministic.
func New(c clock.Clock) *FS {
	if c == nil {
		c = clock.NewVirtual(time.Time{})
	}
	fsys := &FS{clock: c}
	fsys.root = &node{name: ".", mode: hackpadfs.ModeDir | 0o755, modTime: c.Now(), children: map[string]*node{}}
	return fsys
}

func pathErr(op, name string, err error) error {
	return &hackpadfs.PathError{Op: op, Path: name, Err: err}
}

// lookupLocked returns the node at name.
func (fsys *FS) lookupLocked(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr(op, name, hackpadfs.ErrInvalid)
	}
	if name == "." {
		return fsys.root, nil
	}
	n := fsys.root
	for rest := name; rest != ""; {
		var elem string
		elem, rest, _ = strings.Cut(rest, "/")
		if !n.isDir() {
			return nil, pathErr(op, name, hackpadfs.ErrNotDir)
		}
		child, ok := n.children[elem]
		if !ok {
			return nil, pathErr(op, name, hackpadfs.ErrNotExist)
		}
		n = child
	}
	return n, nil
}

// parentLocked returns the directory that holds (or would hold) name, and
// name's base. The root has no parent: it gives ErrInvalid for op.
func (fsys *FS) parentLocked(op, name string) (*node, string, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, "", pathErr(op, name, hackpadfs.ErrInvalid)
	}
	dir, base := ".", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	parent, err := fsys.lookupLocked(op, dir)
	if err != nil {
		return nil, "", pathErr(op, name, err.(*hackpadfs.PathError).Err)
	}
	if !parent.isDir() {
		return nil, "", pathErr(op, name, hackpadfs.ErrNotDir)
	}
	return parent, base, nil
}

// Open opens name for reading.
func (fsys *FS) Open(name string) (hackpadfs.File, error) {
	return fsys.OpenFile(name, hackpadfs.FlagReadOnly, 0)
}

// Create creates or truncates name, open for reading and writing.
func (fsys *FS) Create(name string) (hackpadfs.File, error) {
	return fsys.OpenFile(name, hackpadfs.FlagReadWrite|hackpadfs.FlagCreate|hackpadfs.FlagTruncate, 0o666)
}

// OpenFile opens name with os.OpenFile's flags; a file it creates gets
// perm's permission bits.
func (fsys *FS) OpenFile(name string, flag int, perm hackpadfs.FileMode) (hackpadfs.File, error) {
	const op = "open"
	writing := flag&(hackpadfs.FlagWriteOnly|hackpadfs.FlagReadWrite) != 0
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	var n *node
	if flag&hackpadfs.FlagCreate == 0 {
		var err error
		if n, err = fsys.lookupLocked(op, name); err != nil {
			return nil, err
		}
	} else {
		parent, base, err := fsys.parentLocked(op, name)
		if err != nil {
			if name == "." {
				return nil, pathErr(op, name, hackpadfs.ErrIsDir)
			}
			return nil, err
		}
		n = parent.children[base]
		switch {
		case n != nil && flag&hackpadfs.FlagExclusive != 0:
			return nil, pathErr(op, name, hackpadfs.ErrExist)
		case n == nil:
			now := fsys.clock.Now()
			n = &node{name: base, mode: perm & hackpadfs.ModePerm, modTime: now}
			parent.children[base] = n
			parent.modTime = now
		}
	}
	if n.isDir() && writing {
		return nil, pathErr(op, name, hackpadfs.ErrIsDir)
	}
	if flag&hackpadfs.FlagTruncate != 0 && writing && len(n.data) > 0 {
		n.data = nil
		n.modTime = fsys.clock.Now()
	}
	return &file{fsys: fsys, n: n, name: name, flag: flag}, nil
}

// Mkdir makes the directory name; its parent must exist.
func (fsys *FS) Mkdir(name string, perm hackpadfs.FileMode) error {
	const op = "mkdir"
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	if name == "." {
		return pathErr(op, name, hackpadfs.ErrExist)
	}
	parent, base, err := fsys.parentLocked(op, name)
	if err != nil {
		return err
	}
	if _, ok := parent.children[base]; ok {
		return pathErr(op, name, hackpadfs.ErrExist)
	}
	fsys.mkdirLocked(parent, base, perm)
	return nil
}

func (fsys *FS) mkdirLocked(parent *node, base string, perm hackpadfs.FileMode) *node {
	now := fsys.clock.Now()
	n := &node{name: base, mode: hackpadfs.ModeDir | perm&hackpadfs.ModePerm, modTime: now, children: map[string]*node{}}
	parent.children[base] = n
	parent.modTime = now
	return n
}

// MkdirAll makes the directory name and any missing parents.
func (fsys *FS) MkdirAll(name string, perm hackpadfs.FileMode) error {
	const op = "mkdir"
	if !fs.ValidPath(name) {
		return pathErr(op, name, hackpadfs.ErrInvalid)
	}
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	if name == "." {
		return nil
	}
	n := fsys.root
	for i := 0; i < len(name); {
		end := strings.IndexByte(name[i:], '/')
		if end < 0 {
			end = len(name)
		} else {
			end += i
		}
		elem := name[i:end]
		i = end + 1
		child, ok := n.children[elem]
		switch {
		case !ok:
			child = fsys.mkdirLocked(n, elem, perm)
		case !child.isDir():
			return pathErr(op, name[:end], hackpadfs.ErrNotDir)
		}
		n = child
	}
	return nil
}

// Remove removes a file or an empty directory.
func (fsys *FS) Remove(name string) error {
	const op = "remove"
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	parent, base, err := fsys.parentLocked(op, name)
	if err != nil {
		return err
	}
	n, ok := parent.children[base]
	switch {
	case !ok:
		return pathErr(op, name, hackpadfs.ErrNotExist)
	case n.isDir() && len(n.children) > 0:
		return pathErr(op, name, hackpadfs.ErrNotEmpty)
	}
	delete(parent.children, base)
	parent.modTime = fsys.clock.Now()
	return nil
}

// RemoveAll removes name and everything below it; a missing name is no
// error.
func (fsys *FS) RemoveAll(name string) error {
	const op = "removeall"
	if name == "." {
		return pathErr(op, name, hackpadfs.ErrInvalid)
	}
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	parent, base, err := fsys.parentLocked(op, name)
	if err != nil {
		if errors.Is(err, hackpadfs.ErrNotExist) {
			return nil
		}
		return err
	}
	if _, ok := parent.children[base]; ok {
		delete(parent.children, base)
		parent.modTime = fsys.clock.Now()
	}
	return nil
}

// Rename moves oldname to newname, replacing a file that is there; a
// directory is never replaced.
func (fsys *FS) Rename(oldname, newname string) error {
	const op = "rename"
	linkErr := func(err error) error {
		if pe, ok := err.(*hackpadfs.PathError); ok {
			err = pe.Err
		}
		return &hackpadfs.LinkError{Op: op, Old: oldname, New: newname, Err: err}
	}
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	oldParent, oldBase, err := fsys.parentLocked(op, oldname)
	if err != nil {
		return linkErr(err)
	}
	n, ok := oldParent.children[oldBase]
	if !ok {
		return linkErr(hackpadfs.ErrNotExist)
	}
	newParent, newBase, err := fsys.parentLocked(op, newname)
	if err != nil {
		return linkErr(err)
	}
	if oldname == newname {
		if n.isDir() {
			return linkErr(hackpadfs.ErrExist)
		}
		return nil
	}
	if n.isDir() && strings.HasPrefix(newname, oldname+"/") {
		return linkErr(hackpadfs.ErrInvalid) // a directory into itself
	}
	if old, ok := newParent.children[newBase]; ok {
		switch {
		case old.isDir() && !n.isDir():
			return linkErr(hackpadfs.ErrIsDir)
		case old.isDir():
			return linkErr(hackpadfs.ErrExist)
		case n.isDir():
			return linkErr(hackpadfs.ErrNotDir)
		}
	}
	now := fsys.clock.Now()
	delete(oldParent.children, oldBase)
	oldParent.modTime = now
	n.name = newBase
	newParent.children[newBase] = n
	newParent.modTime = now
	return nil
}

// Stat describes name.
func (fsys *FS) Stat(name string) (hackpadfs.FileInfo, error) {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	n, err := fsys.lookupLocked("stat", name)
	if err != nil {
		return nil, err
	}
	return n.infoLocked(), nil
}

// Lstat is Stat: there are no symbolic links.
func (fsys *FS) Lstat(name string) (hackpadfs.FileInfo, error) {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	n, err := fsys.lookupLocked("lstat", name)
	if err != nil {
		return nil, err
	}
	return n.infoLocked(), nil
}

// Chmod sets name's permission bits.
func (fsys *FS) Chmod(name string, mode hackpadfs.FileMode) error {
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	n, err := fsys.lookupLocked("chmod", name)
	if err != nil {
		return err
	}
	n.mode = n.mode&^hackpadfs.ModePerm | mode&hackpadfs.ModePerm
	return nil
}

// Chtimes sets name's modification time; access times are not kept.
func (fsys *FS) Chtimes(name string, _, mtime time.Time) error {
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	n, err := fsys.lookupLocked("chtimes", name)
	if err != nil {
		return err
	}
	n.modTime = mtime
	return nil
}

// ReadDir lists the directory name, sorted by file name.
func (fsys *FS) ReadDir(name string) ([]hackpadfs.DirEntry, error) {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	n, err := fsys.lookupLocked("open", name)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, pathErr("readdir", name, hackpadfs.ErrNotDir)
	}
	return n.entriesLocked(), nil
}

// ReadFile returns a copy of name's contents.
func (fsys *FS) ReadFile(name string) ([]byte, error) {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	n, err := fsys.lookupLocked("open", name)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, pathErr("read", name, hackpadfs.ErrIsDir)
	}
	return slices.Clone(n.data), nil
}

// ReadFileShared returns name's contents without copying them: the caller
// must not modify them, and writes to the file after this call leave them
// as they are (the file copies its data before it is next overwritten in
// place). A mail store reads each message whole many times and changes
// none.
func (fsys *FS) ReadFileShared(name string) ([]byte, error) {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	n, err := fsys.lookupLocked("open", name)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, pathErr("read", name, hackpadfs.ErrIsDir)
	}
	n.shared.Store(true)
	return n.data[:len(n.data):len(n.data)], nil
}

// WriteFile creates or truncates name and writes data to it.
func (fsys *FS) WriteFile(name string, data []byte, perm hackpadfs.FileMode) error {
	f, err := fsys.OpenFile(name, hackpadfs.FlagWriteOnly|hackpadfs.FlagCreate|hackpadfs.FlagTruncate, perm)
	if err != nil {
		return err
	}
	_, err = f.(*file).Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (n *node) infoLocked() fileInfo {
	return fileInfo{name: n.name, size: int64(len(n.data)), mode: n.mode, modTime: n.modTime}
}

func (n *node) entriesLocked() []hackpadfs.DirEntry {
	out := make([]hackpadfs.DirEntry, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, fs.FileInfoToDirEntry(c.infoLocked()))
	}
	slices.SortFunc(out, func(a, b hackpadfs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// fileInfo is a snapshot of a node's metadata.
type fileInfo struct {
	name    string
	size    int64
	mode    hackpadfs.FileMode
	modTime time.Time
}

func (i fileInfo) Name() string             { return i.name }
func (i fileInfo) Size() int64              { return i.size }
func (i fileInfo) Mode() hackpadfs.FileMode { return i.mode }
func (i fileInfo) ModTime() time.Time       { return i.modTime }
func (i fileInfo) IsDir() bool              { return i.mode.IsDir() }
func (i fileInfo) Sys() any                 { return nil }
func (i fileInfo) String() string           { return fs.FormatFileInfo(i) }
