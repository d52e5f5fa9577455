package world

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/message"
	"golang.org/x/tools/txtar"
)

const okMbox = "From bob@example.com Thu Jan  1 09:00:00 2026\nSubject: hi\n\nhello\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		archive string
		want    string // the whole error message
	}{
		{
			name:    "user line without colon",
			archive: "A world.\n-- users --\nalice:wonderland\nbob\n",
			want:    `world: lab.txtar:4: users: line 2: want "name:password"`,
		},
		{
			name: "unknown password scheme",
			archive: "A world\nwith a two-line comment.\n-- users --\n# comment\nalice:wonderland\ncarol:{MD9}abc\n" +
				"-- mail/alice/INBOX.mbox --\n" + okMbox,
			want: `world: lab.txtar:6: users: line 3: auth: unknown password scheme "{MD9}"`,
		},
		{
			name:    "bad user name",
			archive: "-- users --\n\n\na/b:x\n",
			want:    `world: lab.txtar:4: users: line 3: auth: user name "a/b" contains '/'`,
		},
		{
			name:    "duplicate user",
			archive: "-- users --\nalice:x\nalice:y\n",
			want:    `world: lab.txtar:3: users: line 2: auth: duplicate user "alice"`,
		},
		{
			name: "mailbox for unknown user",
			archive: "-- users --\nalice:x\n-- mail/alice/INBOX.mbox --\n" + okMbox +
				"-- mail/dave/INBOX.mbox --\n" + okMbox,
			want: `world: lab.txtar:8: mail/dave/INBOX.mbox: mailbox for unknown user "dave" (not in users)`,
		},
		{
			name:    "mailbox without users file",
			archive: "-- mail/alice/INBOX.mbox --\n" + okMbox,
			want:    `world: lab.txtar:1: mail/alice/INBOX.mbox: mailbox for unknown user "alice" (not in users)`,
		},
		{
			name:    "unknown top-level file",
			archive: "comment\n-- users --\nalice:x\n-- user --\nbob:y\n",
			want:    `world: lab.txtar:4: user: unknown file (a world has users, description, mail/<user>/<mailbox>.mbox and dns/...)`,
		},
		{
			name:    "mbox not starting with From",
			archive: "-- users --\nalice:x\n-- mail/alice/INBOX.mbox --\nSubject: hi\n\nhello\n",
			want:    `world: lab.txtar:4: mail/alice/INBOX.mbox: line 1: does not start with a "From " line`,
		},
		{
			name:    "mail file without .mbox",
			archive: "-- users --\nalice:x\n-- mail/alice/INBOX --\n" + okMbox,
			want:    `world: lab.txtar:3: mail/alice/INBOX: want mail/<user>/<mailbox>.mbox`,
		},
		{
			name:    "mail file directly under user",
			archive: "-- users --\nalice:x\n-- mail/alice.mbox --\n",
			want:    `world: lab.txtar:3: mail/alice.mbox: want mail/<user>/<mailbox>.mbox`,
		},
		{
			name:    "empty mailbox name element",
			archive: "-- users --\nalice:x\n-- mail/alice/Archive//2025.mbox --\n",
			want:    `world: lab.txtar:3: mail/alice/Archive//2025.mbox: file name is not a clean relative path`,
		},
		{
			name:    "dot-dot in a name",
			archive: "-- users --\nalice:x\n-- dns/../users --\n",
			want:    `world: lab.txtar:3: dns/../users: file name is not a clean relative path`,
		},
		{
			name:    "inbox twice in different case",
			archive: "-- users --\nalice:x\n-- mail/alice/INBOX.mbox --\n-- mail/alice/inbox.mbox --\n",
			want:    `world: lab.txtar:4: mail/alice/inbox.mbox: mailbox "INBOX" given twice`,
		},
		{
			name:    "member twice",
			archive: "-- users --\nalice:x\n-- dns/a --\n-- dns/a --\n",
			want:    `world: lab.txtar:4: dns/a: file appears twice`,
		},
		{
			name:    "description twice",
			archive: "Comment.\n-- description --\nMore.\n",
			want:    `world: lab.txtar:2: description: description given twice (the archive comment is one)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Parse("lab.txtar", []byte(tc.archive))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", w)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n got %s\nwant %s", got, tc.want)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.File != "lab.txtar" || le.Line < 1 {
				t.Errorf("error is not a *LoadError with a line: %#v", err)
			}
		})
	}
}

func TestLoadDirErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name:  "unknown scheme",
			files: map[string]string{"users": "alice:x\n\ncarol:{MD9}abc\n"},
			want:  `world: lab/users:3: auth: unknown password scheme "{MD9}"`,
		},
		{
			name:  "mailbox for unknown user",
			files: map[string]string{"users": "alice:x\n", "mail/dave/INBOX.mbox": okMbox},
			want:  `world: lab/mail/dave/INBOX.mbox: mailbox for unknown user "dave" (not in users)`,
		},
		{
			name:  "malformed mbox",
			files: map[string]string{"users": "alice:x\n", "mail/alice/Sent.mbox": "Subject: x\n"},
			want:  `world: lab/mail/alice/Sent.mbox:1: does not start with a "From " line`,
		},
		{
			name:  "unknown top-level file",
			files: map[string]string{"users": "alice:x\n", "README": "hi\n"},
			want:  `world: lab/README: unknown file (a world has users, description, mail/<user>/<mailbox>.mbox and dns/...)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys["lab/"+name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := LoadDir(fsys, "lab")
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
	if _, err := LoadDir(fstest.MapFS{}, "missing"); err == nil || !strings.HasPrefix(err.Error(), "world: missing: ") {
		t.Errorf("LoadDir of a missing directory: %v", err)
	}
}

func TestMemberError(t *testing.T) {
	w, err := Parse("lab.txtar", []byte("two\nlines\n-- users --\nalice:x\n-- dns/root.zone --\n. 3600 IN SOA\n. NS\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := w.MemberError("dns/root.zone", 2, errors.New("dns: NS without data")).Error()
	if want := "world: lab.txtar:7: dns/root.zone: line 2: dns: NS without data"; got != want {
		t.Errorf("MemberError:\n got %s\nwant %s", got, want)
	}
	d, err := LoadDir(fstest.MapFS{"dns/root.zone": {Data: []byte(". NS\n")}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	got = d.MemberError("dns/root.zone", 1, errors.New("dns: NS without data")).Error()
	if want := "world: dns/root.zone:1: dns: NS without data"; got != want {
		t.Errorf("MemberError:\n got %s\nwant %s", got, want)
	}
}

func TestParseWorld(t *testing.T) {
	archive := `A test world.

-- users --
alice:{PLAIN}wonderland:1000:1000::/home/alice
 # indented comment
bob:builder
carol:{PLAIN}x
-- mail/alice/Sent.mbox --
` + okMbox + `-- mail/alice/Archive/2025.mbox --
` + okMbox + `-- mail/alice/inbox.mbox --
-- mail/alice/Archive.mbox --
-- mail/bob/Trash.mbox --
-- dns/root.zone --
. 3600 IN NS a.root-servers.example.net.
-- dns/hosts/alice --
192.0.2.10
`
	w, err := Parse("lab.txtar", []byte(archive))
	if err != nil {
		t.Fatal(err)
	}
	msg := message.MboxMessage{Sender: "bob@example.com", Date: date("Thu Jan  1 09:00:00 2026"), Raw: []byte("Subject: hi\n\nhello\n")}
	want := &World{
		Description: "A test world.",
		Users:       usersOf(t, "alice", "{PLAIN}wonderland", "bob", "builder", "carol", "x"),
		Mailboxes: map[string][]Mailbox{
			"alice": {
				{Name: "INBOX"},
				{Name: "Archive"},
				{Name: "Archive/2025", Messages: []message.MboxMessage{msg}},
				{Name: "Sent", Messages: []message.MboxMessage{msg}},
			},
			"bob":   {{Name: "INBOX"}, {Name: "Trash"}},
			"carol": {{Name: "INBOX"}},
		},
		DNSFiles: map[string][]byte{
			"dns/root.zone":   []byte(". 3600 IN NS a.root-servers.example.net.\n"),
			"dns/hosts/alice": []byte("192.0.2.10\n"),
		},
	}
	if diff := cmp.Diff(want, w, worldOpts...); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func usersOf(t *testing.T, namePass ...string) *auth.Users {
	t.Helper()
	u := auth.NewUsers()
	for i := 0; i < len(namePass); i += 2 {
		p, err := auth.ParsePassword(namePass[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if err := u.Add(namePass[i], p); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// worldOpts compare Worlds by content: users by name and password (with
// Password.Equal), not by where the world was loaded from.
var worldOpts = []cmp.Option{
	cmpopts.IgnoreUnexported(World{}),
	cmpopts.EquateEmpty(),
	// Comparing messages byte by byte is slow; as strings they diff well.
	cmp.Transformer("string", func(b []byte) string { return string(b) }),
	cmp.Transformer("users", func(u *auth.Users) map[string]auth.Password {
		m := map[string]auth.Password{}
		for _, name := range u.Names() {
			m[name], _ = u.Lookup(name)
		}
		return m
	}),
}

func TestLoadDirMatchesParse(t *testing.T) {
	archive := txtar.Parse(DemoArchive())
	fsys := fstest.MapFS{
		"worlds/demo/description":     {Data: archive.Comment},
		"worlds/demo/.git/config":     {Data: []byte("ignored")},
		"worlds/demo/mail/.DS_Store":  {Data: []byte("ignored")},
		"worlds/demo/dns/root.zone":   {Data: []byte(". NS a.root-servers.example.net.\n")},
		"worlds/other/users":          {Data: []byte("not: loaded\n")},
		"worlds/demo/mail/carol/.tmp": {Data: []byte("ignored")},
	}
	for _, f := range archive.Files {
		fsys["worlds/demo/"+f.Name] = &fstest.MapFile{Data: f.Data}
	}
	archive.Files = append(archive.Files, txtar.File{Name: "dns/root.zone", Data: fsys["worlds/demo/dns/root.zone"].Data})
	want, err := Parse("demo.txtar", txtar.Format(archive))
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadDir(fsys, "worlds/demo")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, worldOpts...); diff != "" {
		t.Errorf("LoadDir (-Parse +LoadDir):\n%s", diff)
	}
}
