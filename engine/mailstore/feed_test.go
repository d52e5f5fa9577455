package mailstore_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// A watcher may change the mailbox it watches; its change reaches the
// watchers after it returns, in order, before the outer call returns.
func TestFeedReentrantWatcher(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	var kinds []mailstore.ChangeKind
	cancel := st.Watch("alice", "INBOX", func(c mailstore.Change) {
		kinds = append(kinds, c.Kind)
		if c.Kind == mailstore.Appended {
			if err := st.AddFlag("alice", "INBOX", c.UIDs, mailstore.FlagSeen); err != nil {
				t.Error(err)
			}
			if len(kinds) != 1 {
				t.Errorf("nested change delivered before the watcher returned: %v", kinds)
			}
		}
	})
	defer cancel()
	deliverN(t, st, "alice", "INBOX", 1)
	if diff := cmp.Diff([]mailstore.ChangeKind{mailstore.Appended, mailstore.FlagsChanged}, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
}

func TestStatusCounters(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	bodies := []string{"Subject: a\n\nA\n", "Subject: b\r\n\r\nB\r\n", "Subject: c\n\n"}
	for i, b := range bodies {
		var fl []mailstore.Flag
		switch i {
		case 1:
			fl = []mailstore.Flag{mailstore.FlagSeen, mailstore.FlagDeleted}
		case 2:
			fl = []mailstore.Flag{mailstore.FlagDeleted}
		}
		if _, err := st.Deliver("alice", "INBOX", []byte(b), fl, atNow); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.ClaimRecent("alice", "INBOX", 1); err != nil {
		t.Fatal(err)
	}
	got, err := st.Status("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	want := mailstore.Status{
		Messages: 3, Unseen: 2, UIDNext: 4, UIDValidity: got.UIDValidity,
		Recent: 2, HighestModSeq: 4, Size: 17 + 17 + 14, Deleted: 2, // RFC822.SIZE counts CRLF
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

// The IMAP operations on an os file system as on mem.FS: directory
// renames, moves between directories, atomic rewrites, and a restart that
// agrees.
func TestIMAPOperationsAcrossFileSystems(t *testing.T) {
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
			mustCreate(t, st, "alice", "Work", "Work/Sub")
			uids := deliverN(t, st, "alice", "INBOX", 4, "$Label1")
			if _, _, err := st.StoreFlags("alice", "INBOX", uids[:2], mailstore.StoreAdd, []mailstore.Flag{mailstore.FlagSeen, "Junk"}, mailstore.Unconditional); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Move("alice", "INBOX", "Work/Sub", uids[1:3]); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Copy("alice", "INBOX", "Work", uids); err != nil {
				t.Fatal(err)
			}
			if err := st.Rename("alice", "Work", "Done"); err != nil {
				t.Fatal(err)
			}
			if err := st.Subscribe("alice", "Done/Sub"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Select("alice", "Done/Sub", false); err != nil {
				t.Fatal(err)
			}
			fresh := reopen(fsys, mailstore.Options{})
			for _, mb := range []string{"INBOX", "Done", "Done/Sub"} {
				a, as := mustList(t, st, "alice", mb)
				b, bs := mustList(t, fresh, "alice", mb)
				if diff := cmp.Diff(a, b); diff != "" {
					t.Errorf("%s after restart (-want +got):\n%s", mb, diff)
				}
				if diff := cmp.Diff(as, bs); diff != "" {
					t.Errorf("%s status after restart (-want +got):\n%s", mb, diff)
				}
			}
			sub, _ := mustList(t, fresh, "alice", "Done/Sub")
			want := map[uint32][]mailstore.Flag{1: {mailstore.FlagSeen, "$Label1", "Junk"}, 2: {"$Label1"}}
			if diff := cmp.Diff(want, flagsOf(sub)); diff != "" {
				t.Errorf("Done/Sub flags (-want +got):\n%s", diff)
			}
			if s, _ := fresh.Subscriptions("alice"); !cmp.Equal(s, []string{"Done/Sub"}) {
				t.Errorf("subscriptions = %v", s)
			}
		})
	}
}
