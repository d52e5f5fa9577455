package mailstore

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/engine/clock"
)

// TestDirMtimeProbe: the probe trusts directory modification times on
// disk and distrusts mem.FS, which does not update them; so Refresh
// stamps a settled mailbox on disk only.
func TestDirMtimeProbe(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(t *testing.T) hackpadfs.FS
		want bool
	}{
		{"mem", func(t *testing.T) hackpadfs.FS {
			fsys, err := mem.NewFS()
			if err != nil {
				t.Fatal(err)
			}
			return fsys
		}, false},
		{"disk", func(t *testing.T) hackpadfs.FS {
			if runtime.GOOS == "js" {
				t.Skip("os.FS is not the store's file system under GOOS=js")
			}
			fsys, err := osfs.NewFS().Sub(strings.TrimPrefix(t.TempDir(), "/"))
			if err != nil {
				t.Fatal(err)
			}
			return fsys
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The clock is an hour past the directories' times: settled.
			st := New(tc.fs(t), Options{Clock: clock.NewVirtual(time.Now().Add(time.Hour))})
			if err := st.EnsureUser("alice"); err != nil {
				t.Fatal(err)
			}
			if err := st.Refresh("alice", Inbox); err != nil {
				t.Fatal(err)
			}
			if st.mtimeOK != tc.want {
				t.Errorf("probe says %v, want %v", st.mtimeOK, tc.want)
			}
			mb, err := st.mailbox("alice", Inbox, false)
			if err != nil {
				t.Fatal(err)
			}
			mb.mu.Lock()
			stamped := mb.stamp.valid
			mb.mu.Unlock()
			if stamped != tc.want {
				t.Errorf("stamped %v, want %v", stamped, tc.want)
			}
		})
	}
}
