package mailstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/mailstore"
)

func TestListMailboxes(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	mustCreate(t, st, "alice", "Sent", "Drafts", "Trash", "Junk", "Archive/2025", "a/b/c", "Lists/go.nuts", "INBOX/x", "sent")
	// A directory with no cur/ is a hierarchy level too.
	if err := hackpadfs.MkdirAll(fsys, "alice/.Empty", 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := st.ListMailboxes("alice")
	if err != nil {
		t.Fatal(err)
	}
	want := []mailstore.MailboxInfo{
		{Name: "INBOX", HasChildren: true},
		{Name: "Archive", NoSelect: true, HasChildren: true},
		{Name: "Archive/2025"},
		{Name: "Drafts", SpecialUse: mailstore.SpecialDrafts},
		{Name: "Empty", NoSelect: true},
		{Name: "INBOX/x"},
		{Name: "Junk", SpecialUse: mailstore.SpecialJunk},
		{Name: "Lists", NoSelect: true, HasChildren: true},
		{Name: "Lists/go.nuts"},
		{Name: "Sent", SpecialUse: mailstore.SpecialSent},
		{Name: "Trash", SpecialUse: mailstore.SpecialTrash},
		{Name: "a", NoSelect: true, HasChildren: true},
		{Name: "a/b", NoSelect: true, HasChildren: true},
		{Name: "a/b/c"},
		{Name: "sent"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListMailboxes (-want +got):\n%s", diff)
	}
	attrs := map[string]string{}
	for _, info := range got {
		attrs[info.Name] = strings.Join(info.Attributes(), " ")
	}
	for name, want := range map[string]string{
		"INBOX":   `\HasChildren`,
		"a":       `\Noselect \HasChildren`,
		"a/b/c":   `\HasNoChildren`,
		"Sent":    `\HasNoChildren \Sent`,
		"Archive": `\Noselect \HasChildren`,
	} {
		if attrs[name] != want {
			t.Errorf("%s attributes = %q, want %q", name, attrs[name], want)
		}
	}
	// Deleting a parent with children leaves a \Noselect level.
	mustCreate(t, st, "alice", "Lists")
	if err := st.DeleteMailbox("alice", "Lists"); err != nil {
		t.Fatal(err)
	}
	got, _ = st.ListMailboxes("alice")
	for _, info := range got {
		if info.Name == "Lists" && !info.NoSelect {
			t.Errorf("Lists after DELETE = %+v, want \\Noselect", info)
		}
	}
	if _, err := st.ListMailboxes("nobody"); !errors.Is(err, mailstore.ErrNoUser) {
		t.Errorf("ListMailboxes(nobody) = %v, want ErrNoUser", err)
	}
}

func TestSubscriptions(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	mustCreate(t, st, "alice", "Sent")
	for _, name := range []string{"Sent", "inbox", "Not/Yet/Created", "Sent", "Gone"} {
		if err := st.Subscribe("alice", name); err != nil {
			t.Fatalf("Subscribe(%q): %v", name, err)
		}
	}
	for _, name := range []string{"Gone", "never-subscribed"} {
		if err := st.Unsubscribe("alice", name); err != nil {
			t.Fatalf("Unsubscribe(%q): %v", name, err)
		}
	}
	want := []string{"INBOX", "Not/Yet/Created", "Sent"}
	for _, s := range []*mailstore.Store{st, reopen(fsys, mailstore.Options{})} {
		got, err := s.Subscriptions("alice")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("subscriptions (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff("INBOX\nNot/Yet/Created\nSent\n", readFile(t, fsys, "alice/subscriptions")); diff != "" {
		t.Errorf("subscriptions file (-want +got):\n%s", diff)
	}
	// Deleting a mailbox keeps its subscription (RFC 3501 §6.3.6).
	if err := st.DeleteMailbox("alice", "Sent"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Subscriptions("alice"); !cmp.Equal(got, want) {
		t.Errorf("after DELETE: %v, want %v", got, want)
	}
	for _, bad := range []string{"../bob", "a//b", "x\ny", ""} {
		if err := st.Subscribe("alice", bad); !errors.Is(err, mailstore.ErrBadMailboxName) {
			t.Errorf("Subscribe(%q) = %v, want ErrBadMailboxName", bad, err)
		}
	}
	if err := st.Subscribe("nobody", "INBOX"); !errors.Is(err, mailstore.ErrNoUser) {
		t.Errorf("Subscribe for nobody = %v, want ErrNoUser", err)
	}
	if _, err := st.Subscriptions("../alice"); !errors.Is(err, mailstore.ErrNoUser) {
		t.Errorf("Subscriptions(../alice) = %v, want ErrNoUser", err)
	}

	// Dovecot 2's format.
	writeFile(t, fsys, "alice/subscriptions", "V\t2\n\nINBOX\nArchive\t2025\n")
	if got, _ := st.Subscriptions("alice"); !cmp.Equal(got, []string{"Archive/2025", "INBOX"}) {
		t.Errorf("Dovecot subscriptions = %v", got)
	}
}

// Names that would leave the user's directory, or that Maildir++ cannot
// hold, are refused by every operation that takes a name; '.' and '%'
// inside a name are escaped and come back.
func TestMailboxNamesStayInside(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	mustCreate(t, st, "alice", "ok")
	bad := []string{"../bob", "a/../../bob", "/etc", "", ".", "..", "a/.", "a/..", "a//b", "x\x00y", "tab\there", "nl\nx", "del\x7f", `back\slash`, strings.Repeat("x", 201)}
	for _, name := range bad {
		checks := map[string]error{
			"create":      st.CreateMailbox("alice", name),
			"delete":      st.DeleteMailbox("alice", name),
			"rename from": st.Rename("alice", name, "fine"),
			"rename to":   st.Rename("alice", "ok", name),
			"subscribe":   st.Subscribe("alice", name),
		}
		_, checks["status"] = st.Status("alice", name)
		_, checks["select"] = st.Select("alice", name, false)
		_, checks["copy"] = st.Copy("alice", "INBOX", name, []uint32{1})
		_, checks["move"] = st.Move("alice", name, "INBOX", []uint32{1})
		_, _, checks["store"] = st.StoreFlags("alice", name, []uint32{1}, mailstore.StoreAdd, nil, mailstore.Unconditional)
		_, checks["vanished"] = st.Vanished("alice", name, 1)
		for op, err := range checks {
			if !errors.Is(err, mailstore.ErrBadMailboxName) {
				t.Errorf("%s %q = %v, want ErrBadMailboxName", op, name, err)
			}
		}
	}
	for _, name := range []string{"go.nuts", "100%", "a.b/c%2E", "Entwürfe", "日本語"} {
		if err := st.CreateMailbox("alice", name); err != nil {
			t.Errorf("CreateMailbox(%q): %v", name, err)
		}
	}
	names, _ := reopen(fsys, mailstore.Options{}).Mailboxes("alice")
	want := []string{"INBOX", "100%", "Entwürfe", "a.b/c%2E", "go.nuts", "ok", "日本語"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names after restart (-want +got):\n%s", diff)
	}
	dirs := fileNames(t, fsys, "alice")
	for _, d := range []string{".100%25", ".go%2Enuts", ".a%2Eb.c%252E"} {
		found := false
		for _, x := range dirs {
			found = found || x == d
		}
		if !found {
			t.Errorf("no directory %q in %v", d, dirs)
		}
	}
}
