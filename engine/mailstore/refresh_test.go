package mailstore_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// TestRefreshSkipsOnlyWhenUnchanged: Refresh skips its rescan when new/
// and cur/ are as the store left them, and still sees every change another
// program makes (a delivery, a re-flagging rename, a removal), on a file
// system that updates directory modification times (disk) and on one that
// does not (mem.FS), where it compares names instead.
func TestRefreshSkipsOnlyWhenUnchanged(t *testing.T) {
	for _, fc := range []struct {
		name string
		fs   func(testing.TB) hackpadfs.FS
	}{{"mem", memFS}, {"disk", diskFS}} {
		t.Run(fc.name, func(t *testing.T) {
			fsys := fc.fs(t)
			st, _ := newStore(t, fsys)
			for range 2 {
				if _, err := st.Deliver("alice", "INBOX", []byte("Subject: own\n\n"), nil, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			// settle dates the directories well before the store's
			// clock, as if the last change were long ago, so that the
			// modification times are trusted (mailstore's mtimeSettle).
			settle := func() {
				t.Helper()
				old := time.Unix(1e9, 0)
				for _, d := range []string{"alice/new", "alice/cur"} {
					if err := hackpadfs.Chtimes(fsys, d, old, old); err != nil {
						t.Fatal(err)
					}
				}
			}
			var kinds []mailstore.ChangeKind
			cancel := st.Watch("alice", "INBOX", func(c mailstore.Change) { kinds = append(kinds, c.Kind) })
			defer cancel()
			refresh := func(step string, want ...mailstore.ChangeKind) {
				t.Helper()
				kinds = nil
				if err := st.Refresh("alice", "INBOX"); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, kinds); diff != "" {
					t.Errorf("%s: changes (-want +got):\n%s", step, diff)
				}
			}
			settle()
			refresh("first")
			refresh("unchanged")

			if err := hackpadfs.WriteFullFile(fsys, "alice/new/1800000000.M1P1.procmail", []byte("Subject: external\n\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			refresh("external delivery", mailstore.Appended)
			settle()
			refresh("unchanged after delivery")

			msgs, _, err := st.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if err := hackpadfs.Rename(fsys, "alice/new/"+msgs[2].Key, "alice/cur/"+msgs[2].Key+":2,S"); err != nil {
				t.Fatal(err)
			}
			refresh("external flag change", mailstore.FlagsChanged)
			settle()
			refresh("unchanged after flag change")
			// A rename within cur/ leaves both directories' counts alone.
			if err := hackpadfs.Rename(fsys, "alice/cur/"+msgs[2].Key+":2,S", "alice/cur/"+msgs[2].Key+":2,FS"); err != nil {
				t.Fatal(err)
			}
			refresh("external flag change within cur/", mailstore.FlagsChanged)
			settle()
			refresh("unchanged after the second flag change")

			if err := hackpadfs.Remove(fsys, "alice/new/"+msgs[0].Key); err != nil {
				t.Fatal(err)
			}
			refresh("external removal", mailstore.Expunged)

			msgs, _, err = st.List("alice", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			type view struct {
				UID   uint32
				Flags []mailstore.Flag
			}
			var got []view
			for _, m := range msgs {
				got = append(got, view{m.UID, m.Flags})
			}
			want := []view{{2, nil}, {3, []mailstore.Flag{mailstore.FlagFlagged, mailstore.FlagSeen}}}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("final listing (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUIDValidity: UIDValidity agrees with Status and fails as it does.
func TestUIDValidity(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	status, err := st.Status("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.UIDValidity("alice", "INBOX")
	if err != nil || v != status.UIDValidity || v == 0 {
		t.Errorf("UIDValidity = %d, %v; Status says %d", v, err, status.UIDValidity)
	}
	if _, err := st.UIDValidity("alice", "Nowhere"); err == nil {
		t.Error("UIDValidity of a missing mailbox succeeded")
	}
}

// BenchmarkRefreshUnsettled10k refreshes a mailbox of 10,000 messages on
// disk whose directories changed too recently for their modification
// times to be trusted: what every command costs for two seconds after an
// import, when Refresh compares the directories' names with the index.
func BenchmarkRefreshUnsettled10k(b *testing.B) {
	st, _ := newStore(b, diskFS(b))
	msgs := make([]mailstore.NewMessage, 10_000)
	for i := range msgs {
		msgs[i] = mailstore.NewMessage{Raw: benchMessage(i)}
	}
	if _, err := st.DeliverBatch("alice", "INBOX", msgs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Refresh("alice", "INBOX"); err != nil {
			b.Fatal(err)
		}
	}
}
