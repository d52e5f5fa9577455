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

// pyIMAP runs a short imaplib program against addr, logged in as alice, and
// returns what it prints.
func pyIMAP(t *testing.T, addr, program string) string {
	t.Helper()
	python := needTool(t, "python3", "python3")
	host, port := hostPort(addr)
	src := "import imaplib, sys\nm = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))\nm.login('alice', 'wonderland')\n" + program + "\nm.logout()\n"
	out, err := exec.Command(python, "-c", src, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestIMAPStateSurvivesRestart keeps the server's state on disk with
// --data: folders, subscriptions, flags (system and keywords), UIDs and
// UIDVALIDITY are the same after a restart, and a mailbox deleted and
// created again gets a new UIDVALIDITY.
func TestIMAPStateSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	srv := startServe(t, "--data", data)
	const probe = `
m.select('INBOX')
print(m.status('INBOX', '(UIDVALIDITY UIDNEXT MESSAGES)')[1][0].decode())
print(m.fetch('1:3', '(UID FLAGS)')[1])
print(m.lsub()[1])
print(m.list('""', 'Lab*')[1])
`
	before := pyIMAP(t, srv.addrs["imap"], `
m.create('Lab/2026')
m.subscribe('Lab/2026')
m.select('INBOX')
m.store('2', '+FLAGS', '(\\Flagged $Graded)')
m.store('3', '-FLAGS', '(\\Seen)')
`+probe)
	srv.stop(t)
	srv2 := startServe(t, "--data", data)
	after := pyIMAP(t, srv2.addrs["imap"], probe)
	t.Logf("state:\n%s", after)
	if before != after {
		t.Errorf("state differs across restart:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, want := range []string{"$Graded", `\\Flagged`, "Lab/2026"} {
		if !strings.Contains(after, want) {
			t.Errorf("after restart the state lacks %s:\n%s", want, after)
		}
	}
	recreated := pyIMAP(t, srv2.addrs["imap"], `
v1 = m.status('Lab/2026', '(UIDVALIDITY)')[1][0]
m.delete('Lab/2026')
m.create('Lab/2026')
v2 = m.status('Lab/2026', '(UIDVALIDITY)')[1][0]
print(v1 != v2)
`)
	if recreated != "True" {
		t.Errorf("a mailbox deleted and created again kept its UIDVALIDITY: %s", recreated)
	}
}
