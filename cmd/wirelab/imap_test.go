package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImaplib drives the IMAP server with Python's imaplib: STARTTLS,
// LOGIN, LIST, SELECT, FETCH of every message compared byte for byte with
// the world, ENVELOPE and BODYSTRUCTURE, a body part, SEARCH, STORE,
// CREATE, COPY, MOVE, EXPUNGE, APPEND with a literal, RENAME, STATUS, and
// IDLE seeing another session's APPEND.
func TestImaplib(t *testing.T) {
	python := needTool(t, "python3", "python3")
	srv := startServe(t)
	dir := t.TempDir()
	for i, m := range demoInbox(t, "alice") {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.eml", i+1)), m, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	host, port := hostPort(srv.addrs["imap"])
	out, err := exec.Command(python, "testdata/imaplib_session.py", host, port, dir).CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil {
		t.Fatalf("imaplib session failed: %v\nserver log:\n%s", err, srv.stderr)
	}
}

// TestCurlIMAP lists mailboxes and fetches a message with curl's imap://.
func TestCurlIMAP(t *testing.T) {
	curl := needTool(t, "curl", "curl")
	srv := startServe(t)
	base := []string{"--silent", "--show-error", "--max-time", "20", "--user", "alice:wonderland"}
	out, err := exec.Command(curl, append(base, "imap://"+srv.addrs["imap"]+"/")...).Output()
	if err != nil {
		t.Fatalf("curl LIST: %v", err)
	}
	for _, name := range []string{"INBOX", "Sent", "Archive"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("curl LIST lacks %s:\n%s", name, out)
		}
	}
	inbox := demoInbox(t, "alice")
	for _, tls := range [][]string{nil, {"--ssl-reqd", "--insecure"}} {
		out, err = exec.Command(curl, append(append(base, tls...), "imap://"+srv.addrs["imap"]+"/INBOX;UID=2")...).Output()
		if err != nil {
			t.Fatalf("curl %v FETCH: %v", tls, err)
		}
		if !bytes.Equal(out, inbox[1]) {
			t.Errorf("curl %v UID 2: got %d octets, want %d; first difference at %d", tls, len(out), len(inbox[1]), firstDiff(out, inbox[1]))
		}
	}
}
