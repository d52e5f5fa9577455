package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirSymlinks lays symbolic links inside alice's Maildir under
// --data, one to bob's Maildir and one message file to a file outside the
// store, and restarts the server on it: over IMAP and POP3 alice sees her
// own mail only, and the linked folder does not exist for her.
func TestDataDirSymlinks(t *testing.T) {
	data := t.TempDir()
	srv := startServe(t, "--data", data)
	c := dialIMAPTest(t, srv.addrs["imap"])
	c.mustOK(t, "LOGIN alice wonderland")
	want := c.statusItem(t, "INBOX", "MESSAGES")
	c.close()
	srv.stop(t)

	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("Subject: not mail\r\n\r\nsecret-outside-the-store\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	alice := filepath.Join(data, "alice")
	for link, target := range map[string]string{
		filepath.Join(alice, ".Bob"):                  "../bob",
		filepath.Join(alice, "cur", "1.leak.host:2,"): secret,
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}

	srv = startServe(t, "--data", data)
	c = dialIMAPTest(t, srv.addrs["imap"])
	defer c.close()
	c.mustOK(t, "LOGIN alice wonderland")
	if got := c.statusItem(t, "INBOX", "MESSAGES"); got != want {
		t.Errorf("INBOX has %s messages with the links, want %s", got, want)
	}
	list, _ := c.mustOK(t, `LIST "" "*"`)
	for _, l := range list {
		if strings.Contains(l, "Bob") {
			t.Errorf("LIST shows the linked folder: %q", l)
		}
	}
	// A failed SELECT leaves the session unselected (RFC 9051 §6.3.2), so
	// each command is sent with INBOX examined.
	for _, cmd := range []string{"SELECT Bob", "STATUS Bob (MESSAGES)", "DELETE Bob", "RENAME Bob Stolen", "COPY 1 Bob", "APPEND Bob {9+}\r\nSubject: "} {
		c.mustOK(t, "EXAMINE INBOX")
		if _, status, err := c.cmd(cmd); err != nil || !strings.Contains(status, " NO ") {
			t.Errorf("%s: %q, %v", cmd, status, err)
		}
	}
	c.mustOK(t, "EXAMINE INBOX")
	fetched, _ := c.mustOK(t, "FETCH 1:* BODY.PEEK[TEXT]")
	if strings.Contains(strings.Join(fetched, "\n"), "secret-outside-the-store") {
		t.Error("FETCH served the file outside the store")
	}
	pc, r, err := dialGreeted(srv.addrs["pop3"])
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got, err := converse(pc, r, "USER alice", "PASS wonderland", "STAT")
	if err != nil || !strings.HasPrefix(got[2], "+OK "+want+" ") {
		t.Errorf("POP3 STAT: %q, %v; want %s messages", got, err, want)
	}
	// bob's mail is where it was, all of it.
	entries, err := os.ReadDir(filepath.Join(data, "bob", "cur"))
	if err != nil || len(entries) == 0 {
		t.Errorf("bob's cur: %d entries, %v", len(entries), err)
	}
}
