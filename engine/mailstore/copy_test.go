package mailstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// what a copy must keep of a message: everything but UID, mod-sequence and
// Maildir name.
type kept struct {
	Flags        []mailstore.Flag
	InternalDate time.Time
	Size, VSize  int64
	Body         string
}

func keptOf(t testing.TB, st *mailstore.Store, mailbox string, msgs []mailstore.Message) map[uint32]kept {
	t.Helper()
	out := make(map[uint32]kept)
	for _, m := range msgs {
		body, err := st.Read("alice", mailbox, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		out[m.UID] = kept{m.Flags, m.InternalDate, m.Size, m.VSize, string(body)}
	}
	return out
}

func seedForCopy(t testing.TB) (*mailstore.Store, map[uint32]kept) {
	t.Helper()
	st, _ := newStore(t, memFS(t))
	mustCreate(t, st, "alice", "Archive")
	// The destination already has a keyword, at another letter.
	if _, err := st.Deliver("alice", "Archive", []byte("Subject: old\n\n"), []mailstore.Flag{"NonJunk"}, atNow); err != nil {
		t.Fatal(err)
	}
	for i, m := range []mailstore.NewMessage{
		{Raw: []byte("Subject: a\n\nA\n"), InternalDate: time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
		{Raw: []byte("Subject: b\r\n\r\nB\r\n"), Flags: []mailstore.Flag{mailstore.FlagSeen, "$Forwarded", "nonjunk"}, InternalDate: time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)},
		{Raw: []byte("Subject: c\n\nC\n"), Flags: []mailstore.Flag{mailstore.FlagFlagged, mailstore.FlagDraft}, InternalDate: time.Date(2022, 6, 7, 8, 9, 10, 0, time.UTC)},
	} {
		if _, err := st.DeliverBatch("alice", "INBOX", []mailstore.NewMessage{m}); err != nil {
			t.Fatal(i, err)
		}
	}
	msgs, _ := mustList(t, st, "alice", "INBOX")
	return st, keptOf(t, st, "INBOX", msgs)
}

// spell maps a keyword's spelling in the source to the destination's.
func respell(k kept, from, to mailstore.Flag) kept {
	var out []mailstore.Flag
	for _, f := range k.Flags {
		if f == from {
			f = to
		}
		out = append(out, f)
	}
	k.Flags = out
	return k
}

func TestCopyKeepsFlagsAndDates(t *testing.T) {
	st, before := seedForCopy(t)
	arch, _ := st.Status("alice", "Archive")
	rec := watch(t, st, "alice", "Archive")
	res, err := st.Copy("alice", "INBOX", "Archive", []uint32{3, 1, 2, 3, 77})
	if err != nil {
		t.Fatal(err)
	}
	want := mailstore.CopyResult{UIDValidity: arch.UIDValidity, SourceUIDs: []uint32{1, 2, 3}, DestUIDs: []uint32{2, 3, 4}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("COPYUID (-want +got):\n%s", diff)
	}
	msgs, _ := mustList(t, st, "alice", "Archive")
	got := keptOf(t, st, "Archive", msgs)
	for i, src := range res.SourceUIDs {
		// The destination spells NonJunk its own way.
		if diff := cmp.Diff(respell(before[src], "nonjunk", "NonJunk"), got[res.DestUIDs[i]]); diff != "" {
			t.Errorf("copy of UID %d (-want +got):\n%s", src, diff)
		}
	}
	// The source is unchanged.
	inbox, _ := mustList(t, st, "alice", "INBOX")
	if diff := cmp.Diff(before, keptOf(t, st, "INBOX", inbox)); diff != "" {
		t.Errorf("source after COPY (-want +got):\n%s", diff)
	}
	changes := rec.take()
	if len(changes) != 2 || changes[0].Kind != mailstore.KeywordsChanged || changes[1].Kind != mailstore.Appended || !cmp.Equal(changes[1].UIDs, res.DestUIDs) {
		t.Errorf("Archive feed = %+v, want KeywordsChanged then Appended %v", changes, res.DestUIDs)
	}
	// Copies are recent in the destination.
	if s, _ := st.Status("alice", "Archive"); s.Recent != 4 {
		t.Errorf("Archive RECENT = %d, want 4", s.Recent)
	}
}

func TestCopyAllOrNothing(t *testing.T) {
	st, _ := seedForCopy(t)
	var kws []mailstore.Flag
	for i := range mailstore.MaxKeywords - 1 {
		kws = append(kws, mailstore.Flag("k"+string(rune('a'+i))))
	}
	// Archive has NonJunk and 25 more: no room for $Forwarded.
	if _, _, err := st.StoreFlags("alice", "Archive", []uint32{1}, mailstore.StoreAdd, kws, mailstore.Unconditional); err != nil {
		t.Fatal(err)
	}
	before, beforeStatus := mustList(t, st, "alice", "Archive")
	for _, op := range []struct {
		name string
		do   func() (mailstore.CopyResult, error)
	}{
		{"copy", func() (mailstore.CopyResult, error) { return st.Copy("alice", "INBOX", "Archive", []uint32{1, 2, 3}) }},
		{"move", func() (mailstore.CopyResult, error) { return st.Move("alice", "INBOX", "Archive", []uint32{1, 2, 3}) }},
	} {
		t.Run(op.name, func(t *testing.T) {
			if _, err := op.do(); !errors.Is(err, mailstore.ErrTooManyKeywords) {
				t.Fatalf("err = %v, want ErrTooManyKeywords", err)
			}
			after, afterStatus := mustList(t, st, "alice", "Archive")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("destination changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeStatus, afterStatus); diff != "" {
				t.Errorf("destination status changed (-before +after):\n%s", diff)
			}
			if inbox, _ := mustList(t, st, "alice", "INBOX"); len(inbox) != 3 {
				t.Errorf("source has %d messages, want 3", len(inbox))
			}
			if names := fileNames(t, st.FS(), "alice/.Archive/tmp"); len(names) != 0 {
				t.Errorf("tmp/ = %v, want empty", names)
			}
		})
	}
}

func TestMoveLeavesNothingBehind(t *testing.T) {
	st, before := seedForCopy(t)
	fsys := st.FS()
	arch, _ := st.Status("alice", "Archive")
	inboxBefore, _ := st.Status("alice", "INBOX")
	rec := watch(t, st, "alice", "INBOX", "Archive")
	res, err := st.Move("alice", "INBOX", "Archive", []uint32{1, 3, 99})
	if err != nil {
		t.Fatal(err)
	}
	want := mailstore.CopyResult{UIDValidity: arch.UIDValidity, SourceUIDs: []uint32{1, 3}, DestUIDs: []uint32{2, 3}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("COPYUID (-want +got):\n%s", diff)
	}
	msgs, _ := mustList(t, st, "alice", "Archive")
	got := keptOf(t, st, "Archive", msgs)
	for i, src := range res.SourceUIDs {
		if diff := cmp.Diff(before[src], got[res.DestUIDs[i]]); diff != "" {
			t.Errorf("moved UID %d (-want +got):\n%s", src, diff)
		}
	}
	inbox, inboxStatus := mustList(t, st, "alice", "INBOX")
	if diff := cmp.Diff([]uint32{2}, uids(inbox)); diff != "" {
		t.Errorf("INBOX after MOVE (-want +got):\n%s", diff)
	}
	if n := len(fileNames(t, fsys, "alice/new")) + len(fileNames(t, fsys, "alice/cur")); n != 1 {
		t.Errorf("INBOX has %d files, want 1", n)
	}
	for _, uid := range res.SourceUIDs {
		if _, err := st.Read("alice", "INBOX", uid); !errors.Is(err, mailstore.ErrNoMessage) {
			t.Errorf("Read(INBOX, %d) after MOVE = %v, want ErrNoMessage", uid, err)
		}
	}
	ms := inboxStatus.HighestModSeq
	if ms != inboxBefore.HighestModSeq+1 {
		t.Errorf("INBOX HIGHESTMODSEQ %d -> %d, want +1", inboxBefore.HighestModSeq, ms)
	}
	wantFeed := []mailstore.Change{
		{User: "alice", Mailbox: "Archive", Kind: mailstore.Appended, UIDs: []uint32{2, 3}},
		{User: "alice", Mailbox: "INBOX", Kind: mailstore.Expunged, UIDs: []uint32{1, 3}, ModSeq: ms},
	}
	if diff := cmp.Diff(wantFeed, rec.take()); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
	if v, _ := st.Vanished("alice", "INBOX", inboxBefore.HighestModSeq); !cmp.Equal(v, []uint32{1, 3}) {
		t.Errorf("VANISHED = %v, want [1 3]", v)
	}

	// A fresh store sees the same on both sides.
	fresh := reopen(fsys, mailstore.Options{})
	for _, mb := range []string{"INBOX", "Archive"} {
		a, as := mustList(t, st, "alice", mb)
		b, bs := mustList(t, fresh, "alice", mb)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%s after restart (-want +got):\n%s", mb, diff)
		}
		if diff := cmp.Diff(as, bs); diff != "" {
			t.Errorf("%s status after restart (-want +got):\n%s", mb, diff)
		}
	}
}

func TestMoveWithinOneMailbox(t *testing.T) {
	st, before := seedForCopy(t)
	rec := watch(t, st, "alice", "INBOX")
	res, err := st.Move("alice", "INBOX", "inbox", []uint32{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{4, 5}, res.DestUIDs); diff != "" {
		t.Errorf("new UIDs (-want +got):\n%s", diff)
	}
	msgs, _ := mustList(t, st, "alice", "INBOX")
	if diff := cmp.Diff([]uint32{3, 4, 5}, uids(msgs)); diff != "" {
		t.Errorf("UIDs (-want +got):\n%s", diff)
	}
	got := keptOf(t, st, "INBOX", msgs)
	if diff := cmp.Diff(before[1], got[4]); diff != "" {
		t.Errorf("UID 1 as 4 (-want +got):\n%s", diff)
	}
	kinds := []mailstore.ChangeKind{}
	for _, c := range rec.take() {
		kinds = append(kinds, c.Kind)
	}
	if diff := cmp.Diff([]mailstore.ChangeKind{mailstore.Appended, mailstore.Expunged}, kinds); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
	fresh := reopen(st.FS(), mailstore.Options{})
	again, _ := mustList(t, fresh, "alice", "INBOX")
	if diff := cmp.Diff(msgs, again, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after restart (-want +got):\n%s", diff)
	}
}

func TestCopyMoveErrors(t *testing.T) {
	st, _ := seedForCopy(t)
	for _, tc := range []struct {
		name, from, to string
		want           error
	}{
		{"no source", "Nope", "Archive", mailstore.ErrNoMailbox},
		{"no destination", "INBOX", "Nope", mailstore.ErrNoMailbox},
		{"bad destination", "INBOX", "../bob", mailstore.ErrBadMailboxName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := st.Copy("alice", tc.from, tc.to, []uint32{1}); !errors.Is(err, tc.want) {
				t.Errorf("Copy = %v, want %v", err, tc.want)
			}
			if _, err := st.Move("alice", tc.from, tc.to, []uint32{1}); !errors.Is(err, tc.want) {
				t.Errorf("Move = %v, want %v", err, tc.want)
			}
		})
	}
}
