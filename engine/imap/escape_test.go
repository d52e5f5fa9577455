package imap_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

// treeOf lists every path under dir except those under skip, with sizes,
// so that a test can tell whether anything there changed.
func treeOf(t *testing.T, dir, skip string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size := info.Size()
		if d.IsDir() {
			size = -1
		}
		out[strings.TrimPrefix(p, dir)] = size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoEscape sends alice's session every mailbox-naming command with
// names that read as paths out of her Maildir (into bob's or out of the
// store), or that hold NUL, CR, LF and other control characters. Each must
// fail, and nothing outside alice's Maildir may change; LIST patterns with
// path tricks list her mailboxes only.
func TestNoEscape(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("needs an os file system")
	}
	top := t.TempDir()
	root := filepath.Join(top, "store")
	if err := os.MkdirAll(filepath.Join(top, "etc"), 0o700); err != nil {
		t.Fatal(err)
	}
	fsys, err := osfs.NewFS().Sub(strings.TrimPrefix(root, "/"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(time.Time{})})
	w := world.Demo()
	if _, err := w.Populate(st); err != nil {
		t.Fatal(err)
	}
	e := &env{store: st, cfg: &imap.Config{Store: st, Users: w.Users, Hostname: "imap.example"}, w: w}
	alice := filepath.Join(root, "alice")
	before := treeOf(t, top, alice)

	bad := []string{
		`"../bob"`, `"../bob/INBOX"`, `".."`, `"."`, `"/etc"`, `"/etc/passwd"`, `"../../etc"`,
		// "a/" is not here: CREATE "a/" creates "a" (RFC 3501 §6.3.3).
		`"Sent/../../bob"`, `"INBOX/../../bob"`, `"a//b"`, `"../*"`, `"%/../bob"`,
		"{7+}\r\na\x00b/../",                                                       // NUL, as a literal: quoted strings cannot hold it
		"{4+}\r\na\r\nb", "{3+}\r\na\x01b", "{3+}\r\na\x7fb", "{4+}\r\na\xc2\x85b", // CR LF, C0, DEL, C1
		"{6+}\r\n..\x00bob",
	}
	tagged := regexp.MustCompile(`(?m)^x (OK|NO|BAD)\b.*$`)
	for _, name := range bad {
		s := e.login(t, "alice")
		feed(s, "s SELECT INBOX")
		for _, cmd := range []string{
			"x CREATE " + name,
			"x SELECT " + name,
			"x EXAMINE " + name,
			"x STATUS " + name + " (MESSAGES UIDNEXT)",
			"x DELETE " + name,
			"x SUBSCRIBE " + name,
			"x RENAME Sent " + name,
			"x RENAME " + name + " Moved",
			"x COPY 1 " + name,
			"x MOVE 1 " + name,
			"x APPEND " + name + " {14+}\r\nSubject: x\r\n\r\n",
		} {
			out := feed(s, cmd)
			m := tagged.FindStringSubmatch(out)
			if m == nil || m[1] == "OK" {
				t.Errorf("%q: %q, want NO or BAD", cmd, out)
			}
		}
		// The session goes on: the bad command did not break it.
		if out := feed(s, "n NOOP"); !strings.Contains(out, "n OK") {
			t.Fatalf("after %q: NOOP got %q", name, out)
		}
		feed(s, "z LOGOUT")
	}

	s := e.login(t, "alice")
	want := feed(s, `l LIST "" "*"`)
	for _, args := range []string{`"../" "*"`, `"" "../*"`, `"/" "*"`, `"" "/*"`, `"../bob/" "*"`, `"" "*/../*"`, `"" "%/../%"`, `".." "%"`} {
		got := feed(s, `l LIST `+args)
		for _, line := range strings.Split(got, "\r\n") {
			if !strings.HasPrefix(line, "* LIST") {
				continue
			}
			if !strings.Contains(want, line) {
				t.Errorf("LIST %s lists %q, which is not one of alice's mailboxes", args, line)
			}
		}
		if !strings.Contains(got, "l OK") {
			t.Errorf("LIST %s: %q", args, got)
		}
	}
	feed(s, "z LOGOUT")

	if diff := cmp.Diff(before, treeOf(t, top, alice)); diff != "" {
		t.Errorf("files outside alice's Maildir changed (-before +after):\n%s", diff)
	}
}

// TestUserNameEscape: a user name that reads as a path logs nobody in.
func TestUserNameEscape(t *testing.T) {
	e := newEnv(t)
	for _, user := range []string{`"../alice"`, `"alice/../bob"`, `"/alice"`, `"./alice"`, `"alice/"`, "{6+}\r\nalice\x00"} {
		s := e.session(t)
		out := feed(s, "x LOGIN "+user+" wonderland")
		if !strings.Contains(out, "x NO") && !strings.Contains(out, "x BAD") {
			t.Errorf("LOGIN %q: %q", user, out)
		}
	}
}
