package mailstore_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/mailstore"
)

func TestRenameWithChildren(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	mustCreate(t, st, "alice", "Work", "Work/2025", "Work/2025/Q1", "Workshop", "x/y")
	for _, mb := range []string{"Work", "Work/2025/Q1"} {
		deliverN(t, st, "alice", mb, 2, mailstore.FlagSeen, "$Task")
	}
	type state struct {
		Msgs   []mailstore.Message
		Status mailstore.Status
	}
	snapshot := func(s *mailstore.Store, name string) state {
		msgs, status := mustList(t, s, "alice", name)
		return state{msgs, status}
	}
	work, q1 := snapshot(st, "Work"), snapshot(st, "Work/2025/Q1")
	rec := watch(t, st, "alice", "Work", "Work/2025/Q1", "Work/2025")

	if err := st.Rename("alice", "Work", "Jobs/Old"); err != nil {
		t.Fatal(err)
	}
	names, err := st.Mailboxes("alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"INBOX", "Jobs/Old", "Jobs/Old/2025", "Jobs/Old/2025/Q1", "Workshop", "x/y"}, names); diff != "" {
		t.Errorf("mailboxes (-want +got):\n%s", diff)
	}
	// Same messages, same UIDVALIDITY, UIDs and mod-sequences.
	for _, s := range []*mailstore.Store{st, reopen(fsys, mailstore.Options{})} {
		if diff := cmp.Diff(work, snapshot(s, "Jobs/Old")); diff != "" {
			t.Errorf("Jobs/Old (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(q1, snapshot(s, "Jobs/Old/2025/Q1")); diff != "" {
			t.Errorf("Jobs/Old/2025/Q1 (-want +got):\n%s", diff)
		}
		if kw, _ := s.Keywords("alice", "Jobs/Old"); !cmp.Equal(kw, []mailstore.Flag{"$Task"}) {
			t.Errorf("keywords = %v", kw)
		}
	}
	if _, err := st.Status("alice", "Work"); !errors.Is(err, mailstore.ErrNoMailbox) {
		t.Errorf("Status(Work) after rename = %v, want ErrNoMailbox", err)
	}
	want := []mailstore.Change{
		{User: "alice", Mailbox: "Work", Kind: mailstore.MailboxRenamed, NewName: "Jobs/Old"},
		{User: "alice", Mailbox: "Work/2025", Kind: mailstore.MailboxRenamed, NewName: "Jobs/Old/2025"},
		{User: "alice", Mailbox: "Work/2025/Q1", Kind: mailstore.MailboxRenamed, NewName: "Jobs/Old/2025/Q1"},
	}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
	// A mailbox created under the old name starts afresh.
	mustCreate(t, st, "alice", "Work")
	if s, _ := st.Status("alice", "Work"); s.UIDValidity == work.Status.UIDValidity || s.UIDNext != 1 {
		t.Errorf("new Work = %+v, want a new UIDVALIDITY", s)
	}
	// A \Noselect level renames what is below it.
	if err := st.Rename("alice", "x", "z"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Status("alice", "z/y"); err != nil {
		t.Errorf("z/y after renaming x: %v", err)
	}
}

func TestRenameErrors(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	mustCreate(t, st, "alice", "a", "a/b", "c", "d/b")
	for _, tc := range []struct {
		name, from, to string
		want           error
	}{
		{"onto existing", "a", "c", mailstore.ErrMailboxExists},
		{"child onto existing", "a", "d", mailstore.ErrMailboxExists}, // a/b -> d/b exists
		{"onto itself", "a", "a", mailstore.ErrMailboxExists},
		{"onto INBOX", "a", "inbox", mailstore.ErrMailboxExists},
		{"below itself", "a", "a/b/c", mailstore.ErrBadMailboxName},
		{"missing", "nope", "other", mailstore.ErrNoMailbox},
		{"bad new name", "a", "../escape", mailstore.ErrBadMailboxName},
		{"bad old name", "../a", "z", mailstore.ErrBadMailboxName},
		{"INBOX onto existing", "INBOX", "c", mailstore.ErrMailboxExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.Rename("alice", tc.from, tc.to); !errors.Is(err, tc.want) {
				t.Errorf("Rename(%q, %q) = %v, want %v", tc.from, tc.to, err, tc.want)
			}
		})
	}
	names, _ := st.Mailboxes("alice")
	if diff := cmp.Diff([]string{"INBOX", "a", "a/b", "c", "d/b"}, names); diff != "" {
		t.Errorf("mailboxes after failed renames (-want +got):\n%s", diff)
	}
}

// Renaming INBOX moves its messages to a new mailbox and leaves INBOX empty,
// with its UIDVALIDITY and UIDNEXT; INBOX's children stay (RFC 3501 §6.3.5).
func TestRenameInbox(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	mustCreate(t, st, "alice", "INBOX/bar")
	deliverN(t, st, "alice", "INBOX", 3, mailstore.FlagAnswered)
	deliverN(t, st, "alice", "INBOX/bar", 1)
	before, beforeStatus := mustList(t, st, "alice", "INBOX")
	bodies := keptOf(t, st, "INBOX", before)

	if err := st.Rename("alice", "inbox", "old-mail"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*mailstore.Store{st, reopen(fsys, mailstore.Options{})} {
		names, _ := s.Mailboxes("alice")
		if diff := cmp.Diff([]string{"INBOX", "INBOX/bar", "old-mail"}, names); diff != "" {
			t.Errorf("mailboxes (-want +got):\n%s", diff)
		}
		inbox, status := mustList(t, s, "alice", "INBOX")
		if len(inbox) != 0 || status.UIDValidity != beforeStatus.UIDValidity || status.UIDNext != beforeStatus.UIDNext {
			t.Errorf("INBOX after rename: %d messages, %+v; want none, UIDVALIDITY %d, UIDNEXT %d",
				len(inbox), status, beforeStatus.UIDValidity, beforeStatus.UIDNext)
		}
		moved, _ := mustList(t, s, "alice", "old-mail")
		got := keptOf(t, s, "old-mail", moved)
		for i, m := range before {
			if diff := cmp.Diff(bodies[m.UID], got[moved[i].UID]); diff != "" {
				t.Errorf("message %d (-want +got):\n%s", m.UID, diff)
			}
		}
		if bar, _ := mustList(t, s, "alice", "INBOX/bar"); len(bar) != 1 {
			t.Errorf("INBOX/bar has %d messages, want 1", len(bar))
		}
	}
	// New mail still goes to INBOX, with the next UID.
	uid, err := st.Deliver("alice", "INBOX", []byte("Subject: new\n\n"), nil, atNow)
	if err != nil || uid != beforeStatus.UIDNext {
		t.Errorf("Deliver after rename = %d, %v; want UID %d", uid, err, beforeStatus.UIDNext)
	}
}
