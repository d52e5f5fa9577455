package mailstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// TestSymlinksNotFollowed lays links inside alice's Maildir that lead out of
// the store or into bob's Maildir: none of them may show bob's mail or the
// outside file, and nothing may be written through them.
func TestSymlinksNotFollowed(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "windows" {
		t.Skip("needs symbolic links on an os file system")
	}
	top := t.TempDir()
	root := filepath.Join(top, "store")
	outside := filepath.Join(top, "outside")
	for _, d := range []string{root, filepath.Join(outside, "cur"), filepath.Join(outside, "new"), filepath.Join(outside, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(top, "secret")
	if err := os.WriteFile(secret, []byte("Subject: secret\r\n\r\nnot mail\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsys, err := osfs.NewFS().Sub(strings.TrimPrefix(root, "/"))
	if err != nil {
		t.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(time.Time{}), Sync: true})
	for _, u := range []string{"alice", "bob"} {
		if err := st.EnsureUser(u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Deliver("bob", mailstore.Inbox, []byte("Subject: bob's\r\n\r\nprivate\r\n"), nil, clock.Epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Deliver("alice", mailstore.Inbox, []byte("Subject: alice's\r\n\r\nhers\r\n"), nil, clock.Epoch); err != nil {
		t.Fatal(err)
	}
	alice := filepath.Join(root, "alice")
	links := map[string]string{
		filepath.Join(alice, ".Bob"):                  "../bob",        // another user's Maildir
		filepath.Join(alice, ".Etc"):                  outside,         // out of the store
		filepath.Join(alice, "cur", "1.leak.host:2,"): secret,          // a message file out of the store
		filepath.Join(alice, "new", "2.bob.host"):     "../../bob/cur", // a directory among messages
	}
	if err := os.MkdirAll(filepath.Join(alice, ".Half", "cur"), 0o700); err != nil {
		t.Fatal(err)
	}
	links[filepath.Join(alice, ".Half", "new")] = filepath.Join(outside, "new") // one subdirectory out
	links[filepath.Join(alice, ".Half", "tmp")] = filepath.Join(outside, "tmp")
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}

	msgs, _, err := st.List("alice", mailstore.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Errorf("alice's INBOX has %d messages, want her 1 (links must not count)", len(msgs))
	}
	for _, m := range msgs {
		data, err := st.Read("alice", mailstore.Inbox, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "alice's") {
			t.Errorf("alice's INBOX serves %q", data)
		}
	}
	names, err := st.Mailboxes("alice")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, "Bob") || slices.Contains(names, "Etc") {
		t.Errorf("Mailboxes lists linked folders: %q", names)
	}
	infos, err := st.ListMailboxes("alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range infos {
		if i.Name == "Bob" || i.Name == "Etc" {
			t.Errorf("ListMailboxes lists linked folder %q", i.Name)
		}
	}
	for _, name := range []string{"Bob", "Etc", "Half"} {
		if _, err := st.Status("alice", name); !errors.Is(err, mailstore.ErrNoMailbox) {
			t.Errorf("Status(%s) = %v, want ErrNoMailbox", name, err)
		}
		if _, _, err := st.List("alice", name); !errors.Is(err, mailstore.ErrNoMailbox) {
			t.Errorf("List(%s) = %v, want ErrNoMailbox", name, err)
		}
		if _, err := st.Deliver("alice", name, []byte("Subject: x\r\n\r\nx\r\n"), nil, clock.Epoch); err == nil {
			t.Errorf("Deliver into %s succeeded", name)
		}
		if err := st.CreateMailbox("alice", name); err == nil {
			t.Errorf("CreateMailbox(%s) succeeded", name)
		}
	}
	// Nothing was written through the links.
	for _, d := range []string{filepath.Join(outside, "cur"), filepath.Join(outside, "new"), filepath.Join(outside, "tmp")} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("%s got %d entries through a link", d, len(entries))
		}
	}
	bob, _, err := st.List("bob", mailstore.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(1, len(bob)); diff != "" {
		t.Errorf("bob's INBOX (-want +got):\n%s", diff)
	}
}
