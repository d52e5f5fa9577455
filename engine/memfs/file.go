package memfs

import (
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/hack-pad/hackpadfs"
)

var (
	_ hackpadfs.ReaderAtFile   = (*file)(nil)
	_ hackpadfs.WriterAtFile   = (*file)(nil)
	_ hackpadfs.SeekerFile     = (*file)(nil)
	_ hackpadfs.DirReaderFile  = (*file)(nil)
	_ hackpadfs.SyncerFile     = (*file)(nil)
	_ hackpadfs.TruncaterFile  = (*file)(nil)
	_ hackpadfs.ChmoderFile    = (*file)(nil)
	_ hackpadfs.ChtimeserFile  = (*file)(nil)
	_ hackpadfs.ReadWriterFile = (*file)(nil)
	_ io.StringWriter          = (*file)(nil)
)

// errNegativeOffset is os.File's error for ReadAt and WriteAt before the
// start of the file.
var errNegativeOffset = errors.New("negative offset")

// file is an open file. It refers to its node, not its name, so it keeps
// working after a rename or a removal, as on POSIX systems.
type file struct {
	fsys *FS
	n    *node
	name string // as opened, for errors
	flag int

	mu     sync.Mutex // guards the fields below
	off    int64
	dirOff int // entries ReadDir(n > 0) has returned
	closed bool
}

func (f *file) readable() bool { return f.flag&hackpadfs.FlagWriteOnly == 0 }
func (f *file) writable() bool {
	return f.flag&(hackpadfs.FlagWriteOnly|hackpadfs.FlagReadWrite) != 0
}

// check reports a closed file or one opened without the access op needs.
func (f *file) check(op string, write bool) error {
	switch {
	case f.closed:
		return pathErr(op, f.name, hackpadfs.ErrClosed)
	case write && !f.writable(), !write && !f.readable():
		return pathErr(op, f.name, hackpadfs.ErrPermission)
	}
	return nil
}

func (f *file) Stat() (hackpadfs.FileInfo, error) {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return nil, pathErr("stat", f.name, hackpadfs.ErrClosed)
	}
	f.fsys.mu.RLock()
	defer f.fsys.mu.RUnlock()
	return f.n.infoLocked(), nil
}

func (f *file) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.readAt("read", p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off < 0 {
		return 0, pathErr("readat", f.name, errNegativeOffset)
	}
	n, err := f.readAt("readat", p, off)
	if err == nil && n < len(p) {
		err = io.EOF // io.ReaderAt: a short read says why
	}
	return n, err
}

func (f *file) readAt(op string, p []byte, off int64) (int, error) {
	if err := f.check(op, false); err != nil {
		return 0, err
	}
	f.fsys.mu.RLock()
	defer f.fsys.mu.RUnlock()
	if f.n.isDir() {
		return 0, pathErr(op, f.name, hackpadfs.ErrIsDir)
	}
	if off >= int64(len(f.n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	return copy(p, f.n.data[off:]), nil
}

func (f *file) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.writeAt("write", p, f.off, true)
	f.off += int64(n)
	return n, err
}

func (f *file) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off < 0 {
		return 0, pathErr("writeat", f.name, errNegativeOffset)
	}
	if f.flag&hackpadfs.FlagAppend != 0 {
		// os.File refuses WriteAt in append mode too.
		return 0, pathErr("writeat", f.name, hackpadfs.ErrInvalid)
	}
	return f.writeAt("writeat", p, off, false)
}

// writeAt writes p at off, or, with seq on an append-mode file, at the
// end (and then moves f.off to the end first, so the caller's update
// lands after the data).
func (f *file) writeAt(op string, p []byte, off int64, seq bool) (int, error) {
	if err := f.check(op, true); err != nil {
		return 0, err
	}
	fsys := f.fsys
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	n := f.n
	if seq && f.flag&hackpadfs.FlagAppend != 0 {
		off = int64(len(n.data))
		f.off = off
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off < int64(len(n.data)) && n.shared.Load() {
		// Someone holds the bytes this write would change.
		n.data = slices.Clone(n.data)
		n.shared.Store(false)
	}
	end := off + int64(len(p))
	switch {
	case off == int64(len(n.data)):
		n.data = append(n.data, p...) // the common case: amortised growth
	case end <= int64(len(n.data)):
		copy(n.data[off:], p)
	default:
		n.data = append(n.data, make([]byte, end-int64(len(n.data)))...)
		copy(n.data[off:], p)
	}
	n.modTime = fsys.clock.Now()
	return len(p), nil
}

func (f *file) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("seek", f.name, hackpadfs.ErrClosed)
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.off
	case io.SeekEnd:
		f.fsys.mu.RLock()
		base = int64(len(f.n.data))
		f.fsys.mu.RUnlock()
	default:
		return 0, pathErr("seek", f.name, hackpadfs.ErrInvalid)
	}
	if base+offset < 0 {
		return 0, pathErr("seek", f.name, hackpadfs.ErrInvalid)
	}
	f.off = base + offset
	return f.off, nil
}

// ReadDir lists a directory opened as a file: all of it, sorted, for
// n <= 0, else up to n entries after those already returned, with io.EOF
// at the end (fs.ReadDirFile).
func (f *file) ReadDir(n int) ([]hackpadfs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, pathErr("readdir", f.name, hackpadfs.ErrClosed)
	}
	f.fsys.mu.RLock()
	if !f.n.isDir() {
		f.fsys.mu.RUnlock()
		return nil, pathErr("readdir", f.name, hackpadfs.ErrNotDir)
	}
	entries := f.n.entriesLocked()
	f.fsys.mu.RUnlock()
	entries = entries[min(f.dirOff, len(entries)):]
	if n <= 0 {
		f.dirOff += len(entries)
		return entries, nil
	}
	if len(entries) == 0 {
		return nil, io.EOF
	}
	entries = entries[:min(n, len(entries))]
	f.dirOff += len(entries)
	return entries, nil
}

// Sync has nothing to do: the data is as durable as it will ever be.
func (f *file) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, hackpadfs.ErrClosed)
	}
	return nil
}

func (f *file) Truncate(size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, hackpadfs.ErrInvalid)
	}
	fsys := f.fsys
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	if f.n.isDir() {
		return pathErr("truncate", f.name, hackpadfs.ErrIsDir)
	}
	if size <= int64(len(f.n.data)) {
		f.n.data = f.n.data[:size:size] // later growth must not reuse the cut bytes
	} else {
		f.n.data = append(f.n.data, make([]byte, size-int64(len(f.n.data)))...)
	}
	f.n.modTime = fsys.clock.Now()
	return nil
}

func (f *file) Chmod(mode hackpadfs.FileMode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("chmod", f.name, hackpadfs.ErrClosed)
	}
	f.fsys.mu.Lock()
	defer f.fsys.mu.Unlock()
	f.n.mode = f.n.mode&^hackpadfs.ModePerm | mode&hackpadfs.ModePerm
	return nil
}

func (f *file) Chtimes(_, mtime time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("chtimes", f.name, hackpadfs.ErrClosed)
	}
	f.fsys.mu.Lock()
	defer f.fsys.mu.Unlock()
	f.n.modTime = mtime
	return nil
}

func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, hackpadfs.ErrClosed)
	}
	f.closed = true
	return nil
}
