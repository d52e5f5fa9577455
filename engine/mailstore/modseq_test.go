package mailstore_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/mailstore"
)

func highest(t testing.TB, st *mailstore.Store, mailbox string) uint64 {
	t.Helper()
	s, err := st.Status("alice", mailbox)
	if err != nil {
		t.Fatal(err)
	}
	return s.HighestModSeq
}

// Every operation raises HIGHESTMODSEQ by what RFC 7162 §3.1 asks, and the
// messages' mod-sequences and HIGHESTMODSEQ survive a restart.
func TestModSeqPerOperation(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	mustCreate(t, st, "alice", "Other")
	if got := highest(t, st, "INBOX"); got != 1 {
		t.Errorf("new mailbox HIGHESTMODSEQ = %d, want 1", got)
	}
	deliverN(t, st, "alice", "INBOX", 4)
	for _, tc := range []struct {
		name    string
		do      func() error
		mailbox string
		raise   uint64 // how much HIGHESTMODSEQ goes up
		changed []uint32
	}{
		{"append one", func() error { _, err := st.Deliver("alice", "INBOX", []byte("Subject: 5\n\n"), nil, atNow); return err }, "INBOX", 1, []uint32{5}},
		{"append two", func() error { deliverN(t, st, "alice", "INBOX", 2); return nil }, "INBOX", 2, []uint32{6, 7}},
		{"add flag to three", func() error {
			_, _, err := st.StoreFlags("alice", "INBOX", []uint32{1, 2, 3}, mailstore.StoreAdd, []mailstore.Flag{mailstore.FlagSeen}, mailstore.Unconditional)
			return err
		}, "INBOX", 1, []uint32{1, 2, 3}},
		{"add a flag already set", func() error {
			_, _, err := st.StoreFlags("alice", "INBOX", []uint32{1, 2}, mailstore.StoreAdd, []mailstore.Flag{`\SEEN`}, mailstore.Unconditional)
			return err
		}, "INBOX", 0, nil},
		{"remove a flag not set", func() error {
			_, _, err := st.StoreFlags("alice", "INBOX", []uint32{4}, mailstore.StoreRemove, []mailstore.Flag{mailstore.FlagDraft}, mailstore.Unconditional)
			return err
		}, "INBOX", 0, nil},
		{"replace flags", func() error { return st.SetFlags("alice", "INBOX", 2, []mailstore.Flag{mailstore.FlagFlagged}) }, "INBOX", 1, []uint32{2}},
		{"keyword", func() error { return st.AddFlag("alice", "INBOX", []uint32{4}, "$Work") }, "INBOX", 1, []uint32{4}},
		{"expunge two", func() error { return st.Expunge("alice", "INBOX", []uint32{6, 7}) }, "INBOX", 1, nil},
		{"expunge nothing", func() error { return st.Expunge("alice", "INBOX", []uint32{6, 99}) }, "INBOX", 0, nil},
		{"copy two in", func() error { _, err := st.Copy("alice", "INBOX", "Other", []uint32{1, 2}); return err }, "Other", 2, []uint32{1, 2}},
		{"move one in", func() error { _, err := st.Move("alice", "INBOX", "Other", []uint32{3}); return err }, "Other", 1, []uint32{3}},
		{"move one out", func() error { _, err := st.Move("alice", "INBOX", "Other", []uint32{5}); return err }, "INBOX", 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := highest(t, st, tc.mailbox)
			old, _ := mustList(t, st, "alice", tc.mailbox)
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			after := highest(t, st, tc.mailbox)
			if after != before+tc.raise {
				t.Errorf("HIGHESTMODSEQ %d -> %d, want +%d", before, after, tc.raise)
			}
			msgs, _ := mustList(t, st, "alice", tc.mailbox)
			oldSeq := map[uint32]uint64{}
			for _, m := range old {
				oldSeq[m.UID] = m.ModSeq
			}
			var changed []uint32
			for _, m := range msgs {
				if m.ModSeq == 0 || m.ModSeq > after {
					t.Errorf("UID %d MODSEQ %d, want 1..%d", m.UID, m.ModSeq, after)
				}
				if oldSeq[m.UID] != m.ModSeq {
					changed = append(changed, m.UID)
					if m.ModSeq <= before {
						t.Errorf("UID %d MODSEQ %d did not go above %d", m.UID, m.ModSeq, before)
					}
				}
			}
			if diff := cmp.Diff(tc.changed, changed); diff != "" {
				t.Errorf("messages whose MODSEQ changed (-want +got):\n%s", diff)
			}
		})
	}

	fresh := reopen(fsys, mailstore.Options{})
	for _, mb := range []string{"INBOX", "Other"} {
		msgs, status := mustList(t, st, "alice", mb)
		again, againStatus := mustList(t, fresh, "alice", mb)
		if diff := cmp.Diff(msgs, again); diff != "" {
			t.Errorf("%s after restart (-want +got):\n%s", mb, diff)
		}
		if diff := cmp.Diff(status, againStatus); diff != "" {
			t.Errorf("%s status after restart (-want +got):\n%s", mb, diff)
		}
		v1, err1 := st.Vanished("alice", mb, 1)
		v2, err2 := fresh.Vanished("alice", mb, 1)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if diff := cmp.Diff(v1, v2); diff != "" {
			t.Errorf("%s VANISHED after restart (-want +got):\n%s", mb, diff)
		}
	}
	if v, _ := fresh.Vanished("alice", "INBOX", 1); !cmp.Equal(v, []uint32{3, 5, 6, 7}) {
		t.Errorf("INBOX VANISHED since 1 = %v, want [3 5 6 7]", v)
	}
}

// A crash can cut the log's last line short. The store then still agrees
// with the files: a lost flag change gets a fresh mod-sequence, a lost
// expunge is found again, and the log is usable afterwards.
func TestModSeqCrashRecovery(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(st *mailstore.Store) error
		// vanished is what VANISHED (EARLIER) since the mod-sequence before
		// the operation must report after recovery.
		vanished []uint32
	}{
		{"flag change", func(st *mailstore.Store) error {
			return st.SetFlags("alice", "INBOX", 2, []mailstore.Flag{mailstore.FlagSeen, "$Later"})
		}, []uint32{}},
		{"expunge", func(st *mailstore.Store) error { return st.Expunge("alice", "INBOX", []uint32{3}) }, []uint32{3}},
		{"append", func(st *mailstore.Store) error {
			_, err := st.Deliver("alice", "INBOX", []byte("Subject: late\n\n"), []mailstore.Flag{mailstore.FlagFlagged}, atNow)
			return err
		}, []uint32{}},
		{"claim recent", func(st *mailstore.Store) error { _, err := st.Select("alice", "INBOX", false); return err }, []uint32{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memFS(t)
			st, _ := newStore(t, fsys)
			deliverN(t, st, "alice", "INBOX", 3)
			before := highest(t, st, "INBOX")
			if err := tc.do(st); err != nil {
				t.Fatal(err)
			}
			want, _ := mustList(t, st, "alice", "INBOX")
			const log = "alice/wirelab-modseq"
			data := readFile(t, fsys, log)
			writeFile(t, fsys, log, data[:len(data)-3]) // mid-way through the last line

			fresh := reopen(fsys, mailstore.Options{})
			got, status := mustList(t, fresh, "alice", "INBOX")
			if status.HighestModSeq < highest(t, st, "INBOX") {
				t.Errorf("HIGHESTMODSEQ after recovery = %d, below the %d reported before", status.HighestModSeq, highest(t, st, "INBOX"))
			}
			// The flags are what the files say; a message whose last change
			// was lost must not keep a mod-sequence from before it.
			if diff := cmp.Diff(flagsOf(want), flagsOf(got)); diff != "" {
				t.Errorf("flags after recovery (-want +got):\n%s", diff)
			}
			for i, m := range got {
				if i < len(want) && want[i].UID == m.UID && m.ModSeq < want[i].ModSeq {
					t.Errorf("UID %d MODSEQ went back from %d to %d", m.UID, want[i].ModSeq, m.ModSeq)
				}
			}
			v, err := fresh.Vanished("alice", "INBOX", before)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.vanished, v); diff != "" {
				t.Errorf("VANISHED since %d (-want +got):\n%s", before, diff)
			}
			if d := readFile(t, fsys, log); d[len(d)-1] != '\n' {
				t.Errorf("log still ends in a torn line: %q", d)
			}
			// The recovered state is the state: one more restart agrees.
			if err := fresh.AddFlag("alice", "INBOX", []uint32{1}, mailstore.FlagAnswered); err != nil {
				t.Fatal(err)
			}
			after, afterStatus := mustList(t, fresh, "alice", "INBOX")
			third := reopen(fsys, mailstore.Options{})
			again, againStatus := mustList(t, third, "alice", "INBOX")
			if diff := cmp.Diff(after, again); diff != "" {
				t.Errorf("second restart (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(afterStatus, againStatus); diff != "" {
				t.Errorf("second restart status (-want +got):\n%s", diff)
			}
		})
	}
}

// Another program changing a flag (renaming the file) while the store is
// down or between refreshes gives that message a new mod-sequence.
func TestModSeqExternalFlagChange(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	deliverN(t, st, "alice", "INBOX", 2)
	msgs, status := mustList(t, st, "alice", "INBOX")
	rec := watch(t, st, "alice", "INBOX")
	names := fileNames(t, fsys, "alice/new")
	if err := hackpadfs.Rename(fsys, "alice/new/"+names[0], "alice/cur/"+names[0]+":2,S"); err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh("alice", "INBOX"); err != nil {
		t.Fatal(err)
	}
	ms := status.HighestModSeq + 1
	want := []mailstore.Change{{User: "alice", Mailbox: "INBOX", Kind: mailstore.FlagsChanged, UIDs: []uint32{msgs[0].UID}, ModSeq: ms,
		Messages: []mailstore.MessageFlags{{UID: msgs[0].UID, Flags: []mailstore.Flag{mailstore.FlagSeen}, ModSeq: ms, Changed: true}}}}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	fresh := reopen(fsys, mailstore.Options{})
	got, _ := mustList(t, fresh, "alice", "INBOX")
	if got[0].ModSeq != ms || got[1].ModSeq != msgs[1].ModSeq {
		t.Errorf("after restart MODSEQs = %d, %d; want %d, %d", got[0].ModSeq, got[1].ModSeq, ms, msgs[1].ModSeq)
	}
}

// Expunges are remembered for VANISHED (EARLIER) up to the history limit;
// older requests get ErrModSeqTooOld, before and after a restart.
func TestVanishedHistory(t *testing.T) {
	fsys := memFS(t)
	opts := mailstore.Options{VanishedHistory: 3}
	st := mailstore.New(fsys, opts)
	if err := st.EnsureUser("alice"); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Vanished("alice", "INBOX", 1); err != nil || len(v) != 0 {
		t.Errorf("fresh mailbox: Vanished = %v, %v; want none", v, err)
	}
	deliverN(t, st, "alice", "INBOX", 6)
	var at []uint64 // HIGHESTMODSEQ after expunging UID i+1
	for uid := uint32(1); uid <= 5; uid++ {
		if err := st.Expunge("alice", "INBOX", []uint32{uid}); err != nil {
			t.Fatal(err)
		}
		at = append(at, highest(t, st, "INBOX"))
	}
	// History holds UIDs 3, 4, 5; everything up to UID 2's expunge is
	// forgotten.
	cases := []struct {
		name    string
		since   uint64
		want    []uint32
		tooOld  bool
		comment string
	}{
		{name: "before everything", since: 1, tooOld: true},
		{name: "before UID 2 went", since: at[0], tooOld: true},
		{name: "at the forgotten edge", since: at[1], want: []uint32{3, 4, 5}},
		{name: "after UID 3 went", since: at[2], want: []uint32{4, 5}},
		{name: "now", since: at[4], want: []uint32{}},
		{name: "future", since: at[4] + 100, want: []uint32{}},
	}
	for _, s := range []*mailstore.Store{st, mailstore.New(fsys, opts)} {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.Vanished("alice", "INBOX", tc.since)
				if tc.tooOld {
					if !errors.Is(err, mailstore.ErrModSeqTooOld) {
						t.Errorf("Vanished(%d) = %v, %v; want ErrModSeqTooOld", tc.since, got, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Vanished(%d) (-want +got):\n%s", tc.since, diff)
				}
			})
		}
	}
	// The default limit is the named constant.
	if mailstore.DefaultVanishedHistory < 1000 {
		t.Errorf("DefaultVanishedHistory = %d", mailstore.DefaultVanishedHistory)
	}
}

// A conditional STORE leaves messages changed since UNCHANGEDSINCE alone
// and names them (RFC 7162 §3.1.3).
func TestUnchangedSince(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	uids := deliverN(t, st, "alice", "INBOX", 3)
	msgs, _ := mustList(t, st, "alice", "INBOX")
	since := msgs[2].ModSeq // all three are at or below it
	if err := st.SetFlags("alice", "INBOX", 2, []mailstore.Flag{mailstore.FlagAnswered}); err != nil {
		t.Fatal(err)
	}
	rec := watch(t, st, "alice", "INBOX")
	res, failed, err := st.StoreFlags("alice", "INBOX", append(uids, 3, 42), mailstore.StoreAdd, []mailstore.Flag{mailstore.FlagDeleted}, since)
	if err != nil {
		t.Fatal(err)
	}
	ms := highest(t, st, "INBOX")
	want := []mailstore.MessageFlags{
		{UID: 1, Flags: []mailstore.Flag{mailstore.FlagDeleted}, ModSeq: ms, Changed: true},
		{UID: 3, Flags: []mailstore.Flag{mailstore.FlagDeleted}, ModSeq: ms, Changed: true},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint32{2}, failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	got, _ := mustList(t, st, "alice", "INBOX")
	if diff := cmp.Diff([]mailstore.Flag{mailstore.FlagAnswered}, got[1].Flags); diff != "" {
		t.Errorf("UID 2 flags (-want +got):\n%s", diff)
	}
	if changes := rec.take(); len(changes) != 1 || !cmp.Equal(changes[0].UIDs, []uint32{1, 3}) {
		t.Errorf("feed = %+v, want one FlagsChanged for UIDs 1 and 3", changes)
	}

	// A message that passes but already has the flags is reported, not
	// changed, and keeps its mod-sequence.
	res, failed, err = st.StoreFlags("alice", "INBOX", []uint32{1}, mailstore.StoreAdd, []mailstore.Flag{mailstore.FlagDeleted}, ms)
	if err != nil || len(failed) != 0 {
		t.Fatal(err, failed)
	}
	if diff := cmp.Diff([]mailstore.MessageFlags{{UID: 1, Flags: []mailstore.Flag{mailstore.FlagDeleted}, ModSeq: ms}}, res); diff != "" {
		t.Errorf("no-op results (-want +got):\n%s", diff)
	}
	if c := rec.take(); len(c) != 0 {
		t.Errorf("no-op STORE published %+v", c)
	}

	// UNCHANGEDSINCE 0 always fails (RFC 7162 §3.1.3, example 8).
	res, failed, err = st.StoreFlags("alice", "INBOX", uids, mailstore.StoreAdd, []mailstore.Flag{"$MDNSent"}, 0)
	if err != nil || len(res) != 0 || !cmp.Equal(failed, uids) {
		t.Errorf("UNCHANGEDSINCE 0: results %v, failed %v, %v; want all failed", res, failed, err)
	}
	if kw, _ := st.Keywords("alice", "INBOX"); len(kw) != 0 {
		t.Errorf("a STORE that changed nothing defined keywords %v", kw)
	}
}

// ExpungeDeleted takes only messages that have \Deleted at that moment.
func TestExpungeDeleted(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	deliverN(t, st, "alice", "INBOX", 4)
	if err := st.AddFlag("alice", "INBOX", []uint32{1, 2, 4}, mailstore.FlagDeleted); err != nil {
		t.Fatal(err)
	}
	got, err := st.ExpungeDeleted("alice", "INBOX", []uint32{2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{2, 4}, got); diff != "" {
		t.Errorf("UID EXPUNGE 2:4 (-want +got):\n%s", diff)
	}
	got, err = st.ExpungeDeleted("alice", "INBOX", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{1}, got); diff != "" {
		t.Errorf("EXPUNGE (-want +got):\n%s", diff)
	}
	msgs, status := mustList(t, st, "alice", "INBOX")
	if len(msgs) != 1 || msgs[0].UID != 3 || status.Deleted != 0 {
		t.Errorf("left %v, status %+v; want UID 3 only", uids(msgs), status)
	}
}
