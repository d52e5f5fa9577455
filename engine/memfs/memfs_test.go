package memfs_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/fstest"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/memfs"
)

// TestConformance runs hackpadfs's file system and file suites, the ones
// its own implementations pass.
func TestConformance(t *testing.T) {
	options := fstest.FSOptions{
		Name: "memfs",
		TestFS: func(tb testing.TB) fstest.SetupFS {
			return memfs.New(nil)
		},
	}
	fstest.FS(t, options)
	fstest.File(t, options)
}

// TestDirModTime: adding, renaming and removing an entry moves the
// directory's modification time to the clock's now, as on a disk, which
// the mail store's Refresh relies on where a file system keeps them.
func TestDirModTime(t *testing.T) {
	clk := clock.NewVirtual(clock.Epoch)
	fsys := memfs.New(clk)
	for _, dir := range []string{"a", "b"} {
		if err := fsys.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		op      func() error
		changed []string
	}{
		{"create", func() error { return fsys.WriteFile("a/f", []byte("x"), 0o600) }, []string{"a"}},
		{"write", func() error { return fsys.WriteFile("a/f", []byte("y"), 0o600) }, nil},
		{"rename", func() error { return fsys.Rename("a/f", "b/g") }, []string{"a", "b"}},
		{"remove", func() error { return fsys.Remove("b/g") }, []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]time.Time{}
			for _, dir := range []string{"a", "b"} {
				info, err := fsys.Stat(dir)
				if err != nil {
					t.Fatal(err)
				}
				before[dir] = info.ModTime()
			}
			clk.Advance(time.Minute)
			if err := tc.op(); err != nil {
				t.Fatal(err)
			}
			var changed []string
			for _, dir := range []string{"a", "b"} {
				info, err := fsys.Stat(dir)
				if err != nil {
					t.Fatal(err)
				}
				switch mt := info.ModTime(); {
				case mt.Equal(clk.Now()):
					changed = append(changed, dir)
				case !mt.Equal(before[dir]):
					t.Errorf("%s: modification time %v, want %v or %v", dir, mt, before[dir], clk.Now())
				}
			}
			if diff := cmp.Diff(tc.changed, changed); diff != "" {
				t.Errorf("directories whose time moved (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOpenFileOutlivesName: an open file keeps its contents through a
// rename and a removal of its name, as the mail store's readers expect of
// a message that a flag change or an expunge renames or removes meanwhile.
func TestOpenFileOutlivesName(t *testing.T) {
	fsys := memfs.New(nil)
	if err := fsys.WriteFile("m", []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("m")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fsys.Rename("m", "n"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("n"); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if err != nil || string(data) != "hello" {
		t.Errorf("read after rename and remove = %q, %v; want hello", data, err)
	}
	if _, err := fsys.Stat("n"); !errors.Is(err, hackpadfs.ErrNotExist) {
		t.Errorf("Stat of the removed name: %v, want ErrNotExist", err)
	}
}

// TestAppendKeepsEarlierReads: appending to a file (the store's uidlist
// and modseq log) gives every reader what was written so far, and no later
// write changes bytes a reader already got.
func TestAppendKeepsEarlierReads(t *testing.T) {
	fsys := memfs.New(nil)
	var want []byte
	var reads [][]byte
	for i := range 100 {
		f, err := fsys.OpenFile("log", hackpadfs.FlagWriteOnly|hackpadfs.FlagCreate|hackpadfs.FlagAppend, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		line := []byte(strings.Repeat(string(rune('a'+i%26)), i) + "\n")
		if _, err := hackpadfs.WriteFile(f, line); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		want = append(want, line...)
		got, err := hackpadfs.ReadFile(fsys, "log")
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after %d appends: %q, %v", i+1, got, err)
		}
		reads = append(reads, got)
	}
	// Overwrite it in place: the bytes already read must not change.
	if err := fsys.WriteFile("log", bytes.Repeat([]byte("z"), len(want)), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, r := range reads {
		if !bytes.Equal(r, want[:len(r)]) {
			t.Fatalf("read %d changed by a later write: %q", i, r)
		}
	}
}

// TestReadFileShared: the bytes ReadFileShared hands out stay as they were
// whatever is written to the file afterwards, in place or at its end.
func TestReadFileShared(t *testing.T) {
	fsys := memfs.New(nil)
	if err := fsys.WriteFile("m", []byte("Subject: one\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shared, err := fsys.ReadFileShared("m")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenFile("m", hackpadfs.FlagReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.(hackpadfs.WriterAtFile).WriteAt([]byte("XXXXXXX"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.(hackpadfs.SeekerFile).Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if _, err := f.(hackpadfs.ReadWriterFile).Write([]byte("more\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := string(shared); got != "Subject: one\n\nbody\n" {
		t.Errorf("shared bytes changed to %q", got)
	}
	now, err := fsys.ReadFile("m")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(now), "XXXXXXX: one\n\nbody\nmore\n"; got != want {
		t.Errorf("file holds %q; want %q", got, want)
	}
	if _, err := fsys.ReadFileShared("."); !errors.Is(err, hackpadfs.ErrIsDir) {
		t.Errorf("ReadFileShared of a directory: %v", err)
	}
}
