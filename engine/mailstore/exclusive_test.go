package mailstore_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// TestRefreshExclusive: an exclusive store trusts its index once a mailbox
// is scanned, so a file another writer drops into new/ behind its back
// stays unseen, while a shared store finds it; the store's own deliveries
// show either way.
func TestRefreshExclusive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exclusive bool
		want      int // messages listed after the foreign drop
	}{
		{"shared", false, 3},
		{"exclusive", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memFS(t)
			st := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(time.Time{}), Exclusive: tc.exclusive})
			if err := st.EnsureUser("alice"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Deliver("alice", "INBOX", []byte("Subject: own\n\n"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if err := st.Refresh("alice", "INBOX"); err != nil {
				t.Fatal(err)
			}
			if err := hackpadfs.WriteFullFile(fsys, "alice/new/1.foreign.host", []byte("Subject: foreign\n\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Deliver("alice", "INBOX", []byte("Subject: own again\n\n"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if err := st.Refresh("alice", "INBOX"); err != nil {
				t.Fatal(err)
			}
			msgs, _, err := st.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, len(msgs)); diff != "" {
				t.Errorf("messages listed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClaimExclusive: SELECT claims a new message as recent either way
// (RFC 3501 §2.3.2); a shared store also moves its file from new/ to cur/
// for other Maildir readers, an exclusive one leaves it.
func TestClaimExclusive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exclusive bool
		newFiles  int
	}{
		{"shared", false, 0},
		{"exclusive", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memFS(t)
			st := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(time.Time{}), Exclusive: tc.exclusive})
			if err := st.EnsureUser("alice"); err != nil {
				t.Fatal(err)
			}
			uid, err := st.Deliver("alice", "INBOX", []byte("Subject: new\n\n"), nil, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			first, err := st.Select("alice", "INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			second, err := st.Select("alice", "INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([][]uint32{{uid}, nil}, [][]uint32{first.Recent, second.Recent}); diff != "" {
				t.Errorf("recent in the first and second SELECT (-want +got):\n%s", diff)
			}
			entries, err := hackpadfs.ReadDir(fsys, "alice/new")
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != tc.newFiles {
				t.Errorf("%d files left in new/, want %d", len(entries), tc.newFiles)
			}
		})
	}
}
