package world

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hack-pad/hackpadfs/mem"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// FuzzParse loads arbitrary world archives. It must not panic; a world it
// refuses gets a *LoadError placed on a line of the archive; a world it
// loads has an INBOX first for every user and mailboxes only for users,
// loads the same from a directory, and populates a store with every
// mailbox and message it lists.
func FuzzParse(f *testing.F) {
	mbox := "From bob@example.com Thu Jan  1 09:00:00 2026\nSubject: hi\nStatus: RO\n\nhello\n>From the mbox\n\n" +
		"From carol@example.com Fri Jan  2 09:00:00 2026\r\nSubject: two\r\n\r\nbody\r\n"
	for _, s := range []string{
		"A world.\n-- users --\nalice:{PLAIN}wonderland\nbob:builder:1000:1000::/home/bob\n-- mail/alice/INBOX.mbox --\n" + mbox +
			"-- mail/alice/Archive/2025.mbox --\n" + mbox + "-- mail/bob/inbox.mbox --\n-- dns/servers --\nx\n",
		"-- users --\n# comment\n\ncarol:{SHA256}VeFRYvzAPcCz3eB1jH88esSboz7LNtbt+f4OG0nGDD8=\n-- description --\nhi\n",
		"-- users --\nalice:x\nalice:y\n",
		"-- users --\nalice:x\n-- mail/alice/INBOX.mbox --\nSubject: no From line\n",
		"-- users --\nalice:x\n-- mail/alice/INBOX.mbox --\n" + mbox + "-- mail/alice/INBOX.mbox --\n",
		"-- users --\nalice:x\n-- mail/alice/a/../b.mbox --\n-- mail/alice/\x01.mbox --\n-- mail/dave/INBOX.mbox --\n",
		"comment\n-- user --\n-- dns --\n-- ./users --\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.txtar"
		w, err := Parse(name, data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LoadError", err, err)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; le.File != name || le.Line < 0 || le.Line > lines {
				t.Fatalf("error %v placed at %s:%d, in a %d-line %s", err, le.File, le.Line, lines, name)
			}
			if !strings.HasPrefix(err.Error(), "world: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			return
		}
		users := w.Users.Names()
		for _, u := range users {
			boxes := w.Mailboxes[u]
			if len(boxes) == 0 || boxes[0].Name != Inbox {
				t.Fatalf("%s's mailboxes do not start with INBOX: %v", u, boxes)
			}
			seen := map[string]bool{}
			for _, b := range boxes {
				if seen[b.Name] || validMailboxName(b.Name) != nil {
					t.Fatalf("%s has mailbox %q twice or with a bad name", u, b.Name)
				}
				seen[b.Name] = true
			}
		}
		if len(w.Mailboxes) != len(users) {
			t.Fatalf("mailboxes for %d users, %d users", len(w.Mailboxes), len(users))
		}
		for p := range w.DNSFiles {
			if !strings.HasPrefix(p, "dns/") {
				t.Fatalf("DNS file %q outside dns/", p)
			}
		}
		checkLoadDir(t, w, data)
		checkPopulate(t, w)
	})
}

// checkLoadDir loads the archive's files as a directory and compares.
// Archives whose files a directory cannot hold (a file and a directory of
// one name) or would skip (names starting with '.') are left out.
func checkLoadDir(t *testing.T, w *World, data []byte) {
	t.Helper()
	a := txtar.Parse(data)
	fsys := fstest.MapFS{"w": {Mode: fs.ModeDir | 0o755}} // there even with no files
	for _, f := range a.Files {
		for p := f.Name; p != "."; p = path.Dir(p) {
			if strings.HasPrefix(path.Base(p), ".") {
				return
			}
		}
		fsys["w/"+f.Name] = &fstest.MapFile{Data: f.Data}
	}
	for p := range fsys {
		for d := path.Dir(p); d != "w" && d != "."; d = path.Dir(d) {
			if fsys[d] != nil {
				return
			}
		}
	}
	if strings.TrimSpace(string(a.Comment)) != "" {
		// Parse took the comment as the description (and so there is
		// no description file).
		fsys["w/description"] = &fstest.MapFile{Data: a.Comment}
	}
	got, err := LoadDir(fsys, "w")
	if err != nil {
		t.Fatalf("the archive loads, its directory does not: %v", err)
	}
	if diff := cmp.Diff(w, got, fuzzWorldOpts...); diff != "" {
		t.Fatalf("LoadDir (-Parse +LoadDir):\n%s", diff)
	}
}

// fuzzWorldOpts compare Worlds as worldOpts do, without EquateEmpty, which
// collides with the []byte transformer on an empty message (and the same
// files give the same slices either way).
var fuzzWorldOpts = []cmp.Option{
	cmpopts.IgnoreUnexported(World{}),
	cmp.Transformer("string", func(b []byte) string { return string(b) }),
	cmp.Transformer("users", func(u *auth.Users) map[string]string {
		m := map[string]string{}
		for _, name := range u.Names() {
			p, _ := u.Lookup(name)
			m[name] = p.PasswdField()
		}
		return m
	}),
}

// checkPopulate fills a store and counts what it holds.
func checkPopulate(t *testing.T, w *World) {
	t.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	filled, err := w.Populate(st)
	if err != nil {
		t.Fatalf("Populate: %v", err)
	}
	if diff := cmp.Diff(w.Users.Names(), filled, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("users filled (-want +got):\n%s", diff)
	}
	for u, boxes := range w.Mailboxes {
		for _, b := range boxes {
			msgs, _, err := st.List(u, b.Name)
			if err != nil {
				t.Fatalf("%s/%s: %v", u, b.Name, err)
			}
			if len(msgs) != len(b.Messages) {
				t.Fatalf("%s/%s holds %d messages, the world %d", u, b.Name, len(msgs), len(b.Messages))
			}
		}
	}
}
