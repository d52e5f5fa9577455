package mailstore_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
)

func memFS(t testing.TB) hackpadfs.FS {
	t.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// diskFS returns an os-backed file system rooted at a fresh temporary
// directory, the way `wirelab serve --data DIR` opens one.
func diskFS(t testing.TB) hackpadfs.FS {
	t.Helper()
	if runtime.GOOS == "js" {
		t.Skip("os.FS is not the store's file system under GOOS=js")
	}
	dir := strings.TrimPrefix(t.TempDir(), "/")
	fsys, err := osfs.NewFS().Sub(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func newStore(t testing.TB, fsys hackpadfs.FS) (*mailstore.Store, *clock.Virtual) {
	t.Helper()
	clk := clock.NewVirtual(time.Time{})
	st := mailstore.New(fsys, mailstore.Options{Clock: clk, Sync: true})
	if err := st.EnsureUser("alice"); err != nil {
		t.Fatal(err)
	}
	return st, clk
}

func uids(msgs []mailstore.Message) []uint32 {
	var out []uint32
	for _, m := range msgs {
		out = append(out, m.UID)
	}
	return out
}

func TestDeliverListReadAcrossFileSystems(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(testing.TB) hackpadfs.FS
	}{
		{"mem", memFS},
		{"os", diskFS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := tc.fs(t)
			st, _ := newStore(t, fsys)
			bodies := []string{
				"Subject: one\n\nfirst\n",
				"Subject: two\r\n\r\nsecond\r\n",
				"Subject: three\n\n.dot line\n",
			}
			var got []uint32
			for _, b := range bodies {
				uid, err := st.Deliver("alice", "INBOX", []byte(b), nil, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, uid)
			}
			if diff := cmp.Diff([]uint32{1, 2, 3}, got); diff != "" {
				t.Errorf("UIDs (-want +got):\n%s", diff)
			}
			msgs, status, err := st.List("alice", "inbox")
			if err != nil {
				t.Fatal(err)
			}
			if status.Messages != 3 || status.UIDNext != 4 || status.Unseen != 3 {
				t.Errorf("status = %+v", status)
			}
			for i, m := range msgs {
				data, err := st.Read("alice", "INBOX", m.UID)
				if err != nil {
					t.Fatal(err)
				}
				if string(data) != bodies[i] {
					t.Errorf("message %d = %q, want %q", m.UID, data, bodies[i])
				}
				wantV := int64(len(strings.ReplaceAll(strings.ReplaceAll(bodies[i], "\r\n", "\n"), "\n", "\r\n")))
				if m.Size != int64(len(bodies[i])) || m.VSize != wantV {
					t.Errorf("message %d sizes = %d/%d, want %d/%d", m.UID, m.Size, m.VSize, len(bodies[i]), wantV)
				}
			}

			// A second store over the same files is a restart: same UIDs,
			// same UIDVALIDITY, and the next UID carries on.
			st2 := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(clock.Epoch.Add(time.Hour))})
			msgs2, status2, err := st2.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(msgs, msgs2); diff != "" {
				t.Errorf("after restart (-want +got):\n%s", diff)
			}
			if status2.UIDValidity != status.UIDValidity {
				t.Errorf("UIDVALIDITY changed across restart: %d -> %d", status.UIDValidity, status2.UIDValidity)
			}
			if err := st2.Expunge("alice", "INBOX", []uint32{3}); err != nil {
				t.Fatal(err)
			}
			uid, err := st2.Deliver("alice", "INBOX", []byte("Subject: four\n\n"), nil, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if uid != 4 {
				t.Errorf("UID after expunging the highest = %d, want 4 (never reused)", uid)
			}
			st3 := mailstore.New(fsys, mailstore.Options{})
			msgs3, _, err := st3.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]uint32{1, 2, 4}, uids(msgs3)); diff != "" {
				t.Errorf("UIDs after expunge and restart (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlagsLiveInFileNames(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	uid, err := st.Deliver("alice", "INBOX", []byte("Subject: x\n\n"), []mailstore.Flag{mailstore.FlagSeen}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetFlags("alice", "INBOX", uid, []mailstore.Flag{mailstore.FlagFlagged, mailstore.FlagSeen, mailstore.FlagAnswered}); err != nil {
		t.Fatal(err)
	}
	entries, err := hackpadfs.ReadDir(fsys, "alice/cur")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ":2,FRS") {
		t.Fatalf("cur/ = %v, want one file ending in :2,FRS", entries)
	}
	st2 := mailstore.New(fsys, mailstore.Options{})
	msgs, _, err := st2.List("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	want := []mailstore.Flag{mailstore.FlagAnswered, mailstore.FlagFlagged, mailstore.FlagSeen}
	if diff := cmp.Diff(want, msgs[0].Flags); diff != "" {
		t.Errorf("flags after restart (-want +got):\n%s", diff)
	}
	if err := st2.SetFlags("alice", "INBOX", uid, []mailstore.Flag{"\\Bogus"}); err == nil {
		t.Error("SetFlags with an unknown flag succeeded")
	}
}

// A Maildir written by mutt or Dovecot: files with their own names, sizes
// and flag letters, some in new/ and some in cur/, and no uid list.
func TestOpensForeignMaildir(t *testing.T) {
	fsys := memFS(t)
	files := map[string]string{
		"bob/new/1700000000.M1P100.mutt":                  "Subject: a\n\nA\n",
		"bob/cur/1700000001.M2P100.mutt:2,S":              "Subject: b\n\nB\n",
		"bob/cur/1700000002.M3P100.host,S=15,W=17:2,FPRS": "Subject: c\n\nC\n",
		"bob/.Sent/cur/1700000003.M4P100.mutt:2,S":        "Subject: d\n\nD\n",
		"bob/.Lists.go%2Enuts/cur/1700000004.M5.mutt:2,":  "Subject: e\n\nE\n",
	}
	for _, dir := range []string{"bob/tmp", "bob/new", "bob/cur", "bob/.Sent/tmp", "bob/.Sent/new", "bob/.Sent/cur",
		"bob/.Lists.go%2Enuts/tmp", "bob/.Lists.go%2Enuts/new", "bob/.Lists.go%2Enuts/cur"} {
		if err := hackpadfs.MkdirAll(fsys, dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		f, err := hackpadfs.Create(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hackpadfs.WriteFile(f, []byte(body)); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	st := mailstore.New(fsys, mailstore.Options{})
	names, err := st.Mailboxes("bob")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"INBOX", "Lists/go.nuts", "Sent"}, names); diff != "" {
		t.Errorf("mailboxes (-want +got):\n%s", diff)
	}
	msgs, _, err := st.List("bob", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		UID   uint32
		Flags []mailstore.Flag
		VSize int64
	}
	var got []summary
	for _, m := range msgs {
		got = append(got, summary{m.UID, m.Flags, m.VSize})
	}
	want := []summary{
		{1, nil, 17},
		{2, []mailstore.Flag{mailstore.FlagSeen}, 17},
		{3, []mailstore.Flag{mailstore.FlagAnswered, mailstore.FlagFlagged, mailstore.FlagSeen}, 17},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("INBOX (-want +got):\n%s", diff)
	}
	// The unknown letter P survives a flag change.
	if err := st.SetFlags("bob", "INBOX", 3, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := hackpadfs.ReadDir(fsys, "bob/cur")
	var names2 []string
	for _, e := range entries {
		names2 = append(names2, e.Name())
	}
	if !strings.Contains(strings.Join(names2, " "), "W=17:2,P") {
		t.Errorf("cur/ after clearing flags = %v, want the P letter kept", names2)
	}
	data, err := st.Read("bob", "Lists/go.nuts", 1)
	if err != nil || string(data) != files["bob/.Lists.go%2Enuts/cur/1700000004.M5.mutt:2,"] {
		t.Errorf("Read(Lists/go.nuts, 1) = %q, %v", data, err)
	}
}

func TestRefreshSeesExternalDelivery(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	if _, err := st.Deliver("alice", "INBOX", []byte("Subject: 1\n\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var changes []mailstore.Change
	cancel := st.Watch("alice", "INBOX", func(c mailstore.Change) { changes = append(changes, c) })
	defer cancel()
	f, err := hackpadfs.Create(fsys, "alice/new/1800000000.M1P1.procmail")
	if err != nil {
		t.Fatal(err)
	}
	hackpadfs.WriteFile(f, []byte("Subject: 2\n\n"))
	f.Close()
	if err := st.Refresh("alice", "INBOX"); err != nil {
		t.Fatal(err)
	}
	want := []mailstore.Change{{User: "alice", Mailbox: "INBOX", Kind: mailstore.Appended, UIDs: []uint32{2}}}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestMailboxLifecycle(t *testing.T) {
	fsys := memFS(t)
	st, clk := newStore(t, fsys)
	if err := st.CreateMailbox("alice", "Archive/2025"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateMailbox("alice", "Archive/2025"); !errors.Is(err, mailstore.ErrMailboxExists) {
		t.Errorf("second create: %v, want ErrMailboxExists", err)
	}
	first, err := st.Status("alice", "Archive/2025")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Deliver("alice", "Archive/2025", []byte("Subject: x\n\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMailbox("alice", "Archive/2025"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Status("alice", "Archive/2025"); !errors.Is(err, mailstore.ErrNoMailbox) {
		t.Errorf("status of deleted mailbox: %v, want ErrNoMailbox", err)
	}
	if err := st.CreateMailbox("alice", "Archive/2025"); err != nil {
		t.Fatal(err)
	}
	second, _ := st.Status("alice", "Archive/2025")
	if second.UIDValidity == first.UIDValidity || second.UIDNext != 1 {
		t.Errorf("recreated mailbox status = %+v, first was %+v: want a new UIDVALIDITY", second, first)
	}
	clk.Advance(time.Second)
	if err := st.DeleteMailbox("alice", "INBOX"); err == nil {
		t.Error("deleting INBOX succeeded")
	}
}

func TestRefusesNamesOutsideTheStore(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	for _, name := range []string{"../bob", "a/../../bob", "/etc", "", ".", "a//b", "x\x00y", "tab\there", `back\slash`, strings.Repeat("x", 201)} {
		if err := st.CreateMailbox("alice", name); !errors.Is(err, mailstore.ErrBadMailboxName) {
			t.Errorf("CreateMailbox(%q) = %v, want ErrBadMailboxName", name, err)
		}
	}
	for _, user := range []string{"..", "../alice", "a/b", "", "."} {
		if err := st.EnsureUser(user); !errors.Is(err, mailstore.ErrNoUser) {
			t.Errorf("EnsureUser(%q) = %v, want ErrNoUser", user, err)
		}
	}
	if _, _, err := st.List("nobody", "INBOX"); !errors.Is(err, mailstore.ErrNoUser) {
		t.Errorf("List(nobody) = %v, want ErrNoUser", err)
	}
}

func TestMaildropLock(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	unlock, err := st.LockMaildrop("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LockMaildrop("alice"); !errors.Is(err, mailstore.ErrLocked) {
		t.Errorf("second lock: %v, want ErrLocked", err)
	}
	unlock()
	unlock() // releasing twice is harmless
	unlock2, err := st.LockMaildrop("alice")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestTooBig(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	_, err := st.Deliver("alice", "INBOX", make([]byte, mailstore.MaxMessageSize+1), nil, time.Time{})
	if !errors.Is(err, mailstore.ErrTooBig) {
		t.Errorf("Deliver of MaxMessageSize+1 = %v, want ErrTooBig", err)
	}
}

func TestConcurrentSessions(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	const writers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uint32]bool{}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				uid, err := st.Deliver("alice", "INBOX", fmt.Appendf(nil, "Subject: %d-%d\n\n", w, i), nil, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					if err := st.SetFlags("alice", "INBOX", uid, []mailstore.Flag{mailstore.FlagSeen}); err != nil {
						t.Error(err)
					}
				}
				if i%5 == 0 {
					if err := st.Expunge("alice", "INBOX", []uint32{uid}); err != nil {
						t.Error(err)
					}
				}
				mu.Lock()
				if seen[uid] {
					t.Errorf("UID %d handed out twice", uid)
				}
				seen[uid] = true
				mu.Unlock()
				_, _, _ = st.List("alice", "INBOX")
			}
		}()
	}
	wg.Wait()
	msgs, status, err := st.List("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if want := writers * (each - 5); len(msgs) != want {
		t.Errorf("%d messages left, want %d", len(msgs), want)
	}
	if status.UIDNext != writers*each+1 {
		t.Errorf("UIDNEXT = %d, want %d", status.UIDNext, writers*each+1)
	}
	fresh := mailstore.New(st.FS(), mailstore.Options{})
	again, _, err := fresh.List("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(msgs, again); diff != "" {
		t.Errorf("disk and memory disagree (-memory +disk):\n%s", diff)
	}
}

// A Maildir that Dovecot served keeps its UIDs and UIDVALIDITY.
func TestAdoptsDovecotUIDs(t *testing.T) {
	fsys := memFS(t)
	for _, dir := range []string{"dana/tmp", "dana/new", "dana/cur"} {
		if err := hackpadfs.MkdirAll(fsys, dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, body string) {
		f, err := hackpadfs.Create(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		hackpadfs.WriteFile(f, []byte(body))
		f.Close()
	}
	write("dana/dovecot-uidlist", "3 V1700000000 N43 G3085f01b7f11094c501100008c4a11c1\n7 :1700000000.M1P100.host\n41 W20 :1700000001.M2P100.host,S=18\n")
	write("dana/cur/1700000000.M1P100.host:2,S", "Subject: a\n\nA\n")
	write("dana/cur/1700000001.M2P100.host,S=18:2,", "Subject: bb\n\nBB\n")
	write("dana/new/1700000002.M3P100.host", "Subject: c\n\nC\n")
	st := mailstore.New(fsys, mailstore.Options{})
	msgs, status, err := st.List("dana", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{7, 41, 43}, uids(msgs)); diff != "" {
		t.Errorf("UIDs (-want +got):\n%s", diff)
	}
	if status.UIDValidity != 1700000000 || status.UIDNext != 44 {
		t.Errorf("status = %+v, want UIDVALIDITY 1700000000 and UIDNEXT 44", status)
	}
}
