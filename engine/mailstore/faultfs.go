package mailstore

import (
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/hack-pad/hackpadfs"
)

// Storage failures the protocols answer in their own words: IMAP with NO
// [OVERQUOTA] or [UNAVAILABLE], POP3 with -ERR [SYS/TEMP], SMTP with 452
// 4.3.1. Engine code cannot name the system's error numbers, so the file
// system under the store marks them (see FaultFS.Map).
var (
	// ErrNoSpace: the device holding the store is full (ENOSPC, EDQUOT).
	ErrNoSpace = errors.New("mailstore: no space left for the store")
	// ErrReadOnly: the store's file system is read-only (EROFS).
	ErrReadOnly = errors.New("mailstore: the store is read-only")
)

// FaultFS wraps a file system to change what its operations return. Fail,
// when not nil, is asked before each operation that writes (op is "open"
// for an open for writing, "mkdir", "rename", "remove", "chtimes", "write"
// or "sync") and fails it, untried, with the error it returns: tests make
// the disk full or read-only on demand with it. Map, when not nil,
// replaces every error an operation returns, Fail's included: the native
// server marks ENOSPC and EROFS with ErrNoSpace and ErrReadOnly there.
// Reads are never failed by Fail, so a full disk keeps serving mail.
// FailWrites is the common case of Fail: every write fails alike until
// it is called with nil.
type FaultFS struct {
	FS   hackpadfs.FS
	Fail func(op, name string) error
	Map  func(error) error

	failing atomic.Pointer[error] // FailWrites's error, or nil
}

// FailWrites makes every operation that writes fail with err, as Fail
// would, until it is called with nil; it is safe to call while the file
// system is in use.
func (f *FaultFS) FailWrites(err error) {
	if err == nil {
		f.failing.Store(nil)
		return
	}
	f.failing.Store(&err)
}

var (
	_ hackpadfs.OpenFileFS = (*FaultFS)(nil)
	_ hackpadfs.MkdirAllFS = (*FaultFS)(nil)
	_ hackpadfs.RenameFS   = (*FaultFS)(nil)
	_ hackpadfs.RemoveFS   = (*FaultFS)(nil)
	_ hackpadfs.StatFS     = (*FaultFS)(nil)
	_ hackpadfs.LstatFS    = (*FaultFS)(nil)
	_ hackpadfs.ChtimesFS  = (*FaultFS)(nil)
	_ hackpadfs.ReadDirFS  = (*FaultFS)(nil)
)

func (f *FaultFS) mapErr(err error) error {
	if err == nil || f.Map == nil {
		return err
	}
	return f.Map(err)
}

// before runs Fail for a write; a failure comes back as the path error
// the operating system would have returned.
func (f *FaultFS) before(op, name string) error {
	if p := f.failing.Load(); p != nil {
		return f.mapErr(&hackpadfs.PathError{Op: op, Path: name, Err: *p})
	}
	if f.Fail == nil {
		return nil
	}
	if err := f.Fail(op, name); err != nil {
		return f.mapErr(&hackpadfs.PathError{Op: op, Path: name, Err: err})
	}
	return nil
}

func (f *FaultFS) Open(name string) (hackpadfs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, f.mapErr(err)
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *FaultFS) OpenFile(name string, flag int, perm hackpadfs.FileMode) (hackpadfs.File, error) {
	if flag&(hackpadfs.FlagWriteOnly|hackpadfs.FlagReadWrite|hackpadfs.FlagCreate|hackpadfs.FlagTruncate|hackpadfs.FlagAppend) != 0 {
		if err := f.before("open", name); err != nil {
			return nil, err
		}
	}
	file, err := hackpadfs.OpenFile(f.FS, name, flag, perm)
	if err != nil {
		return nil, f.mapErr(err)
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *FaultFS) Mkdir(name string, perm hackpadfs.FileMode) error {
	if err := f.before("mkdir", name); err != nil {
		return err
	}
	return f.mapErr(hackpadfs.Mkdir(f.FS, name, perm))
}

func (f *FaultFS) MkdirAll(name string, perm hackpadfs.FileMode) error {
	if err := f.before("mkdir", name); err != nil {
		return err
	}
	return f.mapErr(hackpadfs.MkdirAll(f.FS, name, perm))
}

func (f *FaultFS) Rename(oldname, newname string) error {
	if err := f.before("rename", newname); err != nil {
		return err
	}
	return f.mapErr(hackpadfs.Rename(f.FS, oldname, newname))
}

func (f *FaultFS) Remove(name string) error {
	if err := f.before("remove", name); err != nil {
		return err
	}
	return f.mapErr(hackpadfs.Remove(f.FS, name))
}

func (f *FaultFS) Chtimes(name string, atime, mtime time.Time) error {
	if err := f.before("chtimes", name); err != nil {
		return err
	}
	return f.mapErr(hackpadfs.Chtimes(f.FS, name, atime, mtime))
}

func (f *FaultFS) Stat(name string) (hackpadfs.FileInfo, error) {
	info, err := hackpadfs.Stat(f.FS, name)
	return info, f.mapErr(err)
}

// Lstat keeps ErrNotImplemented as it is: the store takes it to mean a
// file system without links.
func (f *FaultFS) Lstat(name string) (hackpadfs.FileInfo, error) {
	info, err := hackpadfs.Lstat(f.FS, name)
	if errors.Is(err, hackpadfs.ErrNotImplemented) {
		return nil, err
	}
	return info, f.mapErr(err)
}

func (f *FaultFS) ReadDir(name string) ([]hackpadfs.DirEntry, error) {
	entries, err := hackpadfs.ReadDir(f.FS, name)
	return entries, f.mapErr(err)
}

// faultFile passes a file's writes through Fail and its errors through Map.
type faultFile struct {
	hackpadfs.File
	fs   *FaultFS
	name string
}

func (f *faultFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if err == io.EOF {
		return n, err
	}
	return n, f.fs.mapErr(err)
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.before("write", f.name); err != nil {
		return 0, err
	}
	n, err := hackpadfs.WriteFile(f.File, p)
	return n, f.fs.mapErr(err)
}

func (f *faultFile) Sync() error {
	if err := f.fs.before("sync", f.name); err != nil {
		return err
	}
	return f.fs.mapErr(hackpadfs.SyncFile(f.File))
}

func (f *faultFile) ReadDir(n int) ([]hackpadfs.DirEntry, error) {
	entries, err := hackpadfs.ReadDirFile(f.File, n)
	if err == io.EOF {
		return entries, err
	}
	return entries, f.fs.mapErr(err)
}

func (f *faultFile) Close() error { return f.fs.mapErr(f.File.Close()) }
