package mailstore_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// TestSelectSnapshotShared: Select hands out one shared listing of the
// messages. After every kind of change it lists what List lists, and a
// snapshot taken before a change keeps what it showed.
func TestSelectSnapshotShared(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	if err := st.CreateMailbox("alice", "Other"); err != nil {
		t.Fatal(err)
	}
	deliverN(t, st, "alice", "INBOX", 3)
	type step struct {
		name string
		do   func() error
	}
	var kept []struct {
		name string
		snap []mailstore.Message
		want []mailstore.Message
	}
	steps := []step{
		{"deliver", func() error {
			_, err := st.DeliverBatch("alice", "INBOX", []mailstore.NewMessage{{Raw: []byte("Subject: a\n\n"), Flags: []mailstore.Flag{"$Label"}, Client: true}})
			return err
		}},
		{"store flags", func() error { return st.AddFlag("alice", "INBOX", []uint32{1, 4}, mailstore.FlagSeen) }},
		{"copy", func() error { _, err := st.Copy("alice", "Other", "INBOX", nil); return err }},
		{"move in", func() error {
			uid, err := st.Deliver("alice", "Other", []byte("Subject: o\n\n"), nil, atNow)
			if err == nil {
				_, err = st.Move("alice", "Other", "INBOX", []uint32{uid})
			}
			return err
		}},
		{"move out", func() error { _, err := st.Move("alice", "INBOX", "Other", []uint32{2}); return err }},
		{"expunge", func() error { return st.Expunge("alice", "INBOX", []uint32{3}) }},
		{"foreign file", func() error {
			if err := hackpadfs.WriteFullFile(fsys, "alice/new/1.foreign.host", []byte("Subject: f\n\n"), 0o600); err != nil {
				return err
			}
			return st.Refresh("alice", "INBOX")
		}},
		{"deliver again", func() error { _, err := st.Deliver("alice", "INBOX", []byte("Subject: z\n\n"), nil, atNow); return err }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		snap, err := st.Select("alice", "INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := st.List("alice", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(list, snap.Messages, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("after %s: Select differs from List (-list +select):\n%s", s.name, diff)
		}
		kept = append(kept, struct {
			name string
			snap []mailstore.Message
			want []mailstore.Message
		}{s.name, snap.Messages, list})
	}
	for _, k := range kept {
		if diff := cmp.Diff(k.want, k.snap, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("snapshot after %s changed later (-then +now):\n%s", k.name, diff)
		}
	}
}
