package main

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/world"
)

func TestMarkDiskError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, mailstore.ErrNoSpace},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, mailstore.ErrNoSpace},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, mailstore.ErrReadOnly},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EIO}, nil},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, nil},
	} {
		got := markDiskError(tc.err)
		if !errors.Is(got, tc.err) {
			t.Errorf("markDiskError(%v) = %v, which lost the original", tc.err, got)
		}
		for _, sentinel := range []error{mailstore.ErrNoSpace, mailstore.ErrReadOnly} {
			if errors.Is(got, sentinel) != (sentinel == tc.want) {
				t.Errorf("markDiskError(%v) = %v: errors.Is %v is %v", tc.err, got, sentinel, !(sentinel == tc.want))
			}
		}
	}
	if markDiskError(nil) != nil {
		t.Error("markDiskError(nil) is not nil")
	}
}

// TestDiskErrorsAnswered: with the file system serve puts under --data
// (FaultFS with markDiskError) and the system's own error numbers, an IMAP
// APPEND on a full disk gets NO [OVERQUOTA], on a read-only one NO
// [UNAVAILABLE], other I/O errors NO [SERVERBUG]; a POP3 QUIT that cannot
// delete answers -ERR [SYS/TEMP].
func TestDiskErrorsAnswered(t *testing.T) {
	for _, tc := range []struct {
		errno      syscall.Errno
		imap, pop3 string
	}{
		{syscall.ENOSPC, "a NO [OVERQUOTA]", "-ERR [SYS/TEMP] Some deleted messages were not removed"},
		{syscall.EROFS, "a NO [UNAVAILABLE]", "-ERR [SYS/TEMP] Some deleted messages were not removed"},
		{syscall.EIO, "a NO [SERVERBUG]", "-ERR [SYS/TEMP] Some deleted messages were not removed"},
	} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			m, err := mem.NewFS()
			if err != nil {
				t.Fatal(err)
			}
			fsys := &mailstore.FaultFS{FS: m, Map: markDiskError}
			st := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(clock.Epoch)})
			w := world.Demo()
			if _, err := w.Populate(st); err != nil {
				t.Fatal(err)
			}
			fsys.FailWrites(tc.errno)

			is := imap.NewSession(&imap.Config{Store: st, Users: w.Users, Hostname: "x"}, 1)
			var out strings.Builder
			for _, l := range []string{"l LOGIN alice wonderland\r\n", "a APPEND INBOX {14+}\r\nSubject: x\r\n\r\n\r\n"} {
				for _, r := range is.Feed([]byte(l), clock.Epoch) {
					out.Write(r.Data)
				}
			}
			if !strings.Contains(out.String(), "\r\n"+tc.imap) {
				t.Errorf("IMAP APPEND: %q, want %q", out.String(), tc.imap)
			}

			ps := pop3.NewSession(&pop3.Config{Store: st, Users: w.Users, Hostname: "x"}, 1, clock.Epoch)
			out.Reset()
			for _, l := range []string{"USER alice\r\n", "PASS wonderland\r\n", "DELE 1\r\n", "QUIT\r\n"} {
				for _, r := range ps.Feed([]byte(l), clock.Epoch) {
					out.Write(r.Data)
				}
			}
			if !strings.Contains(out.String(), "\r\n"+tc.pop3) {
				t.Errorf("POP3 QUIT: %q, want %q", out.String(), tc.pop3)
			}
		})
	}
}
