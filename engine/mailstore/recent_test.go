package mailstore_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// Each new message is \Recent to exactly one of the sessions that select
// the mailbox or announce it, however they race (RFC 3501 §2.3.2).
func TestRecentClaimedByExactlyOneSession(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	deliverN(t, st, "alice", "INBOX", 2)
	deliverN(t, st, "alice", "INBOX", 1, mailstore.FlagSeen) // straight to cur/

	// EXAMINE shows them as recent but claims nothing.
	for range 2 {
		snap, err := st.Select("alice", "INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]uint32{1, 2, 3}, snap.Recent); diff != "" || snap.Status.Recent != 3 {
			t.Errorf("EXAMINE recent = %v (RECENT %d) (-want +got):\n%s", snap.Recent, snap.Status.Recent, diff)
		}
	}
	if n := len(fileNames(t, fsys, "alice/new")); n != 2 {
		t.Errorf("EXAMINE moved files out of new/: %d left, want 2", n)
	}

	next := uint32(4)
	for round := range 20 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var got [][]uint32
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var recent []uint32
				if round%2 == 0 {
					snap, err := st.Select("alice", "INBOX", false)
					if err != nil {
						t.Error(err)
						return
					}
					recent = snap.Recent
					if snap.Status.Recent != len(recent) {
						t.Errorf("RECENT %d but %d recent UIDs", snap.Status.Recent, len(recent))
					}
				} else {
					var err error
					if recent, err = st.ClaimRecent("alice", "INBOX", next+1); err != nil {
						t.Error(err)
						return
					}
				}
				mu.Lock()
				got = append(got, recent)
				mu.Unlock()
			}()
		}
		wg.Wait()
		all := slices.Concat(got...)
		slices.Sort(all)
		want := []uint32{1, 2, 3}
		if round > 0 {
			want = []uint32{next, next + 1}
			next += 2
		}
		if diff := cmp.Diff(want, all); diff != "" {
			t.Fatalf("round %d: recent UIDs over both sessions (-want +got):\n%s", round, diff)
		}
		if len(got[0]) != 0 && len(got[1]) != 0 {
			t.Errorf("round %d: both sessions got recent messages: %v", round, got)
		}
		if round == 0 {
			if n := len(fileNames(t, fsys, "alice/new")); n != 0 {
				t.Errorf("SELECT left %d files in new/", n)
			}
		}
		deliverN(t, st, "alice", "INBOX", 2)
	}

	// Claiming part of the new mail leaves the rest recent.
	claimed, err := st.ClaimRecent("alice", "INBOX", next)
	if err != nil || !cmp.Equal(claimed, []uint32{next}) {
		t.Errorf("ClaimRecent(%d) = %v, %v; want [%d]", next, claimed, err, next)
	}
	// A restart keeps what was claimed.
	for _, s := range []*mailstore.Store{st, reopen(fsys, mailstore.Options{})} {
		status, _ := s.Status("alice", "INBOX")
		if status.Recent != 1 {
			t.Errorf("RECENT = %d, want 1", status.Recent)
		}
	}
	fresh := reopen(fsys, mailstore.Options{})
	snap, err := fresh.Select("alice", "INBOX", false)
	if err != nil || !cmp.Equal(snap.Recent, []uint32{next + 1}) {
		t.Errorf("SELECT after restart: recent %v, %v; want [%d]", snap.Recent, err, next+1)
	}
	if snap, _ := fresh.Select("alice", "INBOX", false); len(snap.Recent) != 0 {
		t.Errorf("second SELECT got recent %v", snap.Recent)
	}
}

// Mail another program drops into new/ is recent.
func TestRecentExternalDelivery(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	deliverN(t, st, "alice", "INBOX", 1)
	if _, err := st.Select("alice", "INBOX", false); err != nil {
		t.Fatal(err)
	}
	writeFile(t, fsys, "alice/new/1800000000.M1P1.procmail", "Subject: external\n\n")
	if err := st.Refresh("alice", "INBOX"); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Select("alice", "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{2}, snap.Recent); diff != "" {
		t.Errorf("recent (-want +got):\n%s", diff)
	}
	// A Maildir from elsewhere: what is in new/ is recent, cur/ is not.
	for _, d := range []string{"carol/cur", "carol/new", "carol/tmp"} {
		if err := hackpadfs.MkdirAll(fsys, d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, fsys, "carol/cur/1700000000.M1P1.mutt:2,S", "Subject: old\n\n")
	writeFile(t, fsys, "carol/new/1700000001.M2P1.mutt", "Subject: new\n\n")
	other := reopen(fsys, mailstore.Options{})
	snap, err = other.Select("carol", "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{2}, snap.Recent); diff != "" {
		t.Errorf("foreign Maildir recent (-want +got):\n%s", diff)
	}
}
