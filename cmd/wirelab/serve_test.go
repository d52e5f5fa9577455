package main

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/world"
)

// binPath is the wirelab binary the tests run, built once in TestMain so
// that the real command line, signals and exit codes are what is tested.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wirelab-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "wirelab")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building wirelab:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needTool skips a test whose real client is missing, except in CI where
// .ci/run installs it and a missing tool is a failure.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (CI must install Debian's %s)", name, pkg)
	}
	t.Skipf("%s is not installed; apt-get install %s to run this test", name, pkg)
	return ""
}

// server is a running `wirelab serve`.
type server struct {
	cmd    *exec.Cmd
	addrs  map[string]string
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenLine = regexp.MustCompile(`^  (\w+)\s+(127\.0\.0\.1:\d+)`)

// startServe runs `wirelab serve` on ephemeral loopback ports and waits
// until it prints where it listens. The server is stopped with SIGTERM when
// the test ends, and must exit cleanly.
func startServe(t testing.TB, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"serve", "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0", "--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0", "--dns", "127.0.0.1:0", "--http", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addrs: map[string]string{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				s.addrs[m[1]] = m[2]
			}
			if strings.HasPrefix(sc.Text(), "  logins:") && !signalled {
				signalled = true
				close(ready)
			}
		}
		if !signalled {
			close(ready)
		}
		io.Copy(io.Discard, stdout)
		s.done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("wirelab serve did not start; stderr:\n%s", s.stderr)
	}
	if s.addrs["pop3"] == "" {
		t.Fatalf("wirelab serve printed no pop3 address; stderr:\n%s", s.stderr)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop sends SIGTERM and checks the server exits with status 0.
func (s *server) stop(t testing.TB) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("wirelab serve exited with %v; stderr:\n%s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		t.Errorf("wirelab serve did not stop within 30s of SIGTERM; stderr:\n%s", s.stderr)
	}
}

// crlf converts a message's line endings to CRLF, as POP3 sends it.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

func demoInbox(t testing.TB, user string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, mb := range world.Demo().Mailboxes[user] {
		if mb.Name == "INBOX" {
			for _, m := range mb.Messages {
				out = append(out, crlf(m.Raw))
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("demo world gives %s no messages", user)
	}
	return out
}

func hostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	return addr[:i], addr[i+1:]
}

// TestPoplib drives the server with Python's poplib: CAPA, STLS, USER/PASS,
// STAT, LIST, UIDL, TOP, RETR of every message compared byte for byte with
// the world, the maildrop lock, DELE/RSET, QUIT, APOP, and a reconnect that
// sees the count drop.
func TestPoplib(t *testing.T) {
	python := needTool(t, "python3", "python3")
	srv := startServe(t)
	dir := t.TempDir()
	for i, m := range demoInbox(t, "alice") {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.eml", i+1)), m, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	host, port := hostPort(srv.addrs["pop3"])
	out, err := exec.Command(python, "testdata/poplib_session.py", host, port, dir).CombinedOutput()
	t.Logf("poplib:\n%s", out)
	if err != nil {
		t.Fatalf("poplib session failed: %v\nserver log:\n%s", err, srv.stderr)
	}
}

// TestCurlPOP3 lists and retrieves with curl's pop3:// support, in plain
// text and over STLS.
func TestCurlPOP3(t *testing.T) {
	curl := needTool(t, "curl", "curl")
	srv := startServe(t)
	inbox := demoInbox(t, "alice")
	if len(inbox) < 6 {
		t.Fatalf("demo world gives alice only %d messages", len(inbox))
	}
	var wantList strings.Builder
	for i, m := range inbox {
		fmt.Fprintf(&wantList, "%d %d\r\n", i+1, len(m))
	}
	for _, tls := range [][]string{nil, {"--ssl-reqd", "--insecure"}} {
		base := append([]string{"--silent", "--show-error", "--max-time", "20", "--user", "alice:wonderland"}, tls...)
		out, err := exec.Command(curl, append(base, "pop3://"+srv.addrs["pop3"]+"/")...).Output()
		if err != nil {
			t.Fatalf("curl %v list: %v", tls, err)
		}
		if diff := cmp.Diff(wantList.String(), string(out)); diff != "" {
			t.Errorf("curl %v LIST (-want +got):\n%s", tls, diff)
		}
		for _, n := range []int{1, 5, 6} {
			out, err := exec.Command(curl, append(base, fmt.Sprintf("pop3://%s/%d", srv.addrs["pop3"], n))...).Output()
			if err != nil {
				t.Fatalf("curl %v retr %d: %v", tls, n, err)
			}
			if !bytes.Equal(out, inbox[n-1]) {
				t.Errorf("curl %v RETR %d: got %d octets, want %d; first difference at %d", tls, n, len(out), len(inbox[n-1]), firstDiff(out, inbox[n-1]))
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// pyPOP3 runs a short poplib program against addr and returns its output.
func pyPOP3(t testing.TB, addr, program string) string {
	t.Helper()
	python := needTool(t, "python3", "python3")
	host, port := hostPort(addr)
	src := "import poplib, sys\np = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)\n" + program
	out, err := exec.Command(python, "-c", src, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestDataDirSurvivesRestart keeps mail on disk with --data: a DELE and
// QUIT is remembered across a restart, UIDLs stay the same, and a session
// cut off by the server's shutdown deletes nothing.
func TestDataDirSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	srv := startServe(t, "--data", data)
	before := pyPOP3(t, srv.addrs["pop3"], "p.user('alice'); p.pass_('wonderland'); print(p.stat()[0], p.uidl()[1]); p.dele(1); p.quit()")

	// A session that marks everything deleted but never sends QUIT: the
	// server is stopped under it.
	python := needTool(t, "python3", "python3")
	host, port := hostPort(srv.addrs["pop3"])
	pending := exec.Command(python, "-c", `
import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=30)
p.user('bob'); p.pass_('builder')
for i in range(1, p.stat()[0] + 1):
    p.dele(i)
print('marked', flush=True)
sys.stdin.read()
`, host, port)
	pendingOut, _ := pending.StdoutPipe()
	stdin, _ := pending.StdinPipe()
	if err := pending.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(pendingOut).ReadString('\n')
	if strings.TrimSpace(line) != "marked" {
		t.Fatalf("pending session said %q", line)
	}
	srv.stop(t)
	stdin.Close()
	pending.Wait()

	srv2 := startServe(t, "--data", data)
	after := pyPOP3(t, srv2.addrs["pop3"], "p.user('alice'); p.pass_('wonderland'); print(p.stat()[0], p.uidl()[1]); p.quit()")
	var n1, n2 int
	var ids1, ids2 string
	fmt.Sscanf(before, "%d", &n1)
	fmt.Sscanf(after, "%d", &n2)
	ids1 = before[strings.Index(before, "["):]
	ids2 = after[strings.Index(after, "["):]
	if n2 != n1-1 {
		t.Errorf("after restart alice has %d messages, want %d", n2, n1-1)
	}
	// The UIDL listing after the restart is the old one without message 1,
	// renumbered: compare the ids alone.
	re := regexp.MustCompile(`[0-9A-F]{16}`)
	if diff := cmp.Diff(re.FindAllString(ids1, -1)[1:], re.FindAllString(ids2, -1)); diff != "" {
		t.Errorf("UIDLs across restart (-want +got):\n%s", diff)
	}
	bob := pyPOP3(t, srv2.addrs["pop3"], "p.user('bob'); p.pass_('builder'); print(p.stat()[0]); p.quit()")
	if bob != "3" {
		t.Errorf("bob has %s messages after a session cut off by shutdown, want 3 (nothing deleted)", bob)
	}
}

func TestServeBadWorld(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.txtar")
	os.WriteFile(bad, []byte("a world\n-- users --\nalice:{PLAIN}x\nbob:{MD9}y\n"), 0o600)
	out, err := exec.Command(binPath, "serve", "--pop3", "127.0.0.1:0", "--world", bad).CombinedOutput()
	if err == nil {
		t.Fatalf("serve with a bad world succeeded:\n%s", out)
	}
	if want := bad + ":4:"; !strings.Contains(string(out), want) {
		t.Errorf("error does not name %s:\n%s", want, out)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: wirelab"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"serve", "--tls-cert", "x.pem"}, 1, "--tls-cert and --tls-key go together"},
		{[]string{"version"}, 0, "wirelab"},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			var out bytes.Buffer
			code := run(tc.args, &out, &out)
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("run(%q) = %d, %q; want %d and %q", tc.args, code, out.String(), tc.code, tc.want)
			}
		})
	}
}

// TestSTLSWithCertificateFiles serves STLS with the operator's certificate:
// curl trusts only that certificate, so the handshake succeeds only if the
// server uses it.
func TestSTLSWithCertificateFiles(t *testing.T) {
	curl := needTool(t, "curl", "curl")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	conf, err := tlsConfig("", "", "pop3.example")
	if err != nil {
		t.Fatal(err)
	}
	cert := conf.Certificates[0]
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	srv := startServe(t, "--tls-cert", certFile, "--tls-key", keyFile)
	out, err := exec.Command(curl, "--silent", "--show-error", "--max-time", "20", "--ssl-reqd", "--cacert", certFile,
		"--user", "bob:builder", "pop3://"+srv.addrs["pop3"]+"/").CombinedOutput()
	if err != nil {
		t.Fatalf("curl over STLS with the operator's certificate: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "\r\n"); n != len(demoInbox(t, "bob")) {
		t.Errorf("LIST over STLS gave %d lines:\n%s", n, out)
	}
	// A server with another certificate is refused by the same curl.
	other := startServe(t)
	if out, err := exec.Command(curl, "--silent", "--max-time", "20", "--ssl-reqd", "--cacert", certFile,
		"--user", "bob:builder", "pop3://"+other.addrs["pop3"]+"/").CombinedOutput(); err == nil {
		t.Errorf("curl trusted a certificate that was not the operator's:\n%s", out)
	}
}
