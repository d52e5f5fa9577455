package mailstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/memfs"
)

func memfsFS(testing.TB) hackpadfs.FS { return memfs.New(nil) }

// dirFiles maps the message key of each file in dir (its name without the
// ":2,<info>" suffix) to the file's name.
func dirFiles(t testing.TB, fsys hackpadfs.FS, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range fileNames(t, fsys, dir) {
		key, _, _ := strings.Cut(name, ":")
		out[key] = name
	}
	return out
}

// TestClientMailInCur: mail a client files (APPEND: NewMessage.Client)
// lands in cur/ with its flags, while delivered mail goes to new/. \Recent
// is kept by UID, not by directory: a fresh store (a restart) still shows
// all three as recent, SELECT claims them, moves only the delivered one
// out of new/, and renames none of the client's; after the claim no store
// shows them as recent again.
func TestClientMailInCur(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(testing.TB) hackpadfs.FS
	}{
		{"mem", memFS},
		{"memfs", memfsFS},
		{"os", diskFS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := tc.fs(t)
			st, _ := newStore(t, fsys)
			if _, err := st.Deliver("alice", "INBOX", []byte("Subject: smtp\n\n"), nil, atNow); err != nil {
				t.Fatal(err)
			}
			uids, err := st.DeliverBatch("alice", "INBOX", []mailstore.NewMessage{
				{Raw: []byte("Subject: append\n\n"), Client: true},
				{Raw: []byte("Subject: append seen\n\n"), Flags: []mailstore.Flag{mailstore.FlagSeen}, Client: true},
			})
			if err != nil || !cmp.Equal(uids, []uint32{2, 3}) {
				t.Fatalf("DeliverBatch = %v, %v", uids, err)
			}
			msgs, _, err := st.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			wantNew := []string{msgs[0].Key}
			wantCur := []string{msgs[1].Key + ":2,", msgs[2].Key + ":2,S"}
			if diff := cmp.Diff(wantNew, fileNames(t, fsys, "alice/new")); diff != "" {
				t.Errorf("new/ (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantCur, fileNames(t, fsys, "alice/cur")); diff != "" {
				t.Errorf("cur/ (-want +got):\n%s", diff)
			}

			restarted := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(time.Time{})})
			snap, err := restarted.Select("alice", "INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]uint32{1, 2, 3}, snap.Recent); diff != "" {
				t.Errorf("recent after a restart (-want +got):\n%s", diff)
			}
			if got := fileNames(t, fsys, "alice/new"); len(got) != 0 {
				t.Errorf("new/ after SELECT = %v, want empty", got)
			}
			cur := dirFiles(t, fsys, "alice/cur")
			for _, name := range wantCur {
				key, _, _ := strings.Cut(name, ":")
				if cur[key] != name {
					t.Errorf("SELECT renamed %s to %s", name, cur[key])
				}
			}
			if _, ok := cur[msgs[0].Key]; !ok {
				t.Errorf("cur/ = %v lacks the delivered message %s", cur, msgs[0].Key)
			}

			again := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(time.Time{})})
			snap, err = again.Select("alice", "INBOX", false)
			if err != nil || len(snap.Recent) != 0 || len(snap.Messages) != 3 {
				t.Errorf("SELECT after the claim: %d recent of %d messages, %v; want 0 of 3", len(snap.Recent), len(snap.Messages), err)
			}
		})
	}
}

// TestCopyMoveFileInCur: COPY and MOVE are a client's doing, so their
// copies land in the destination's cur/, even of mail still in new/.
func TestCopyMoveFileInCur(t *testing.T) {
	for _, move := range []bool{false, true} {
		name := map[bool]string{false: "copy", true: "move"}[move]
		t.Run(name, func(t *testing.T) {
			fsys := memFS(t)
			st, _ := newStore(t, fsys)
			if err := st.CreateMailbox("alice", "Archive"); err != nil {
				t.Fatal(err)
			}
			uid, err := st.Deliver("alice", "INBOX", []byte("Subject: smtp\n\n"), nil, atNow)
			if err != nil {
				t.Fatal(err)
			}
			msgs, _, err := st.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			op := st.Copy
			if move {
				op = st.Move
			}
			res, err := op("alice", "INBOX", "Archive", []uint32{uid})
			if err != nil || len(res.DestUIDs) != 1 {
				t.Fatalf("%s = %+v, %v", name, res, err)
			}
			if got := fileNames(t, fsys, "alice/.Archive/new"); len(got) != 0 {
				t.Errorf("destination new/ = %v, want empty", got)
			}
			cur := fileNames(t, fsys, "alice/.Archive/cur")
			if len(cur) != 1 || !strings.HasSuffix(cur[0], ":2,") {
				t.Errorf("destination cur/ = %v, want one file ending in :2,", cur)
			}
			if move && cur[0] != msgs[0].Key+":2," {
				t.Errorf("moved file = %s, want %s:2,", cur[0], msgs[0].Key)
			}
			snap, err := st.Select("alice", "Archive", false)
			if err != nil || !cmp.Equal(snap.Recent, res.DestUIDs) {
				t.Errorf("destination recent = %v, %v; want %v", snap.Recent, err, res.DestUIDs)
			}
		})
	}
}
