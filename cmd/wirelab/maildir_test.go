package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/conformance"
)

func parseTranscript(t *testing.T, name, text string) *conformance.Transcript {
	t.Helper()
	tr, err := conformance.Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

const maildirTranscript = `A two-message maildrop and a folder
protocol: pop3
world: inline
-- world/users --
mrose:{PLAIN}tanstaaf
-- world/mail/mrose/INBOX.mbox --
From a@example.com Tue Feb 15 09:00:00 1994
Subject: one

first

From a@example.com Tue Feb 15 09:05:00 1994
Subject: two

second
-- world/mail/mrose/Sent.mbox --
From mrose@example.com Tue Feb 15 10:00:00 1994
Subject: sent

sent
-- transcript --
S: +OK {*}
`

func TestMaildirWorlds(t *testing.T) {
	dir := t.TempDir()
	m := &maildirWorlds{dir: dir}
	first := parseTranscript(t, "first.txtar", maildirTranscript)
	if err := m.prepare(first); err != nil {
		t.Fatal(err)
	}

	users, err := os.ReadFile(filepath.Join(dir, "users"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("mrose:{PLAIN}tanstaaf\n", string(users)); diff != "" {
		t.Errorf("users file (-want +got):\n%s", diff)
	}

	// Each mailbox's dovecot-uidlist numbers its files as wirelab did.
	for _, tc := range []struct {
		dir  string
		msgs int
	}{{"mrose", 2}, {"mrose/.Sent", 1}} {
		data, err := os.ReadFile(filepath.Join(dir, "mail", tc.dir, "dovecot-uidlist"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if !regexp.MustCompile(`^3 V\d+ N` + string(rune('1'+tc.msgs)) + `$`).MatchString(lines[0]) {
			t.Errorf("%s: header %q, want 3 V<validity> N%d", tc.dir, lines[0], tc.msgs+1)
		}
		var files []string
		for _, sub := range []string{"cur", "new"} {
			ents, _ := os.ReadDir(filepath.Join(dir, "mail", tc.dir, sub))
			for _, e := range ents {
				base, _, _ := strings.Cut(e.Name(), ":")
				files = append(files, base)
			}
		}
		var listed []string
		for i, l := range lines[1:] {
			uid, key, ok := strings.Cut(l, " :")
			if !ok || uid != string(rune('1'+i)) {
				t.Errorf("%s: line %q, want UID %d", tc.dir, l, i+1)
			}
			listed = append(listed, key)
		}
		if diff := cmp.Diff(files, listed); diff != "" {
			t.Errorf("%s: uidlist keys against the files (-files +uidlist):\n%s", tc.dir, diff)
		}
	}

	// A second connection of the same transcript finds its changes.
	marker := filepath.Join(dir, "mail", "mrose", "marker")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.prepare(first); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("preparing the same transcript again reset its world: %v", err)
	}

	// The next transcript starts from its own world: the demo world's users,
	// and nothing of mrose's.
	next := parseTranscript(t, "next.txtar", "demo\nprotocol: pop3\n-- transcript --\nS: +OK {*}\n")
	if err := m.prepare(next); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mail", "mrose")); !os.IsNotExist(err) {
		t.Errorf("mrose's mail survived into the next transcript (stat: %v)", err)
	}
	users, _ = os.ReadFile(filepath.Join(dir, "users"))
	if !strings.Contains(string(users), "alice:{PLAIN}wonderland\n") || strings.Contains(string(users), "mrose") {
		t.Errorf("users file for the demo world:\n%s", users)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%s holds %d entries after two worlds, want mail and users only", dir, len(entries))
	}
}
