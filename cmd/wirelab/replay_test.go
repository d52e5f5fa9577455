package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirelab/wirelab/conformance/capture"
)

// droppedRE is tcpdump's closing count of packets the kernel dropped.
var droppedRE = regexp.MustCompile(`(\d+) packets? dropped by kernel`)

// startTcpdump captures loopback traffic that matches filter into file
// until the returned function stops it, waits for the file to be complete
// and returns how many packets the kernel dropped.
func startTcpdump(t *testing.T, iface, file, filter string) func() int {
	t.Helper()
	tcpdump := needTool(t, "tcpdump", "tcpdump")
	// --immediate-mode hands each packet over as it comes, and -U writes
	// it at once: otherwise packets still in the kernel's buffer when
	// tcpdump is stopped are lost. -Z root keeps the right to write into
	// the test's directory, which tcpdump's own user lacks.
	args := []string{"-i", iface, "--immediate-mode", "-B", "8192", "-U", "-n", "-w", file}
	if os.Geteuid() == 0 {
		args = append(args, "-Z", "root")
	}
	cmd := exec.Command(tcpdump, append(args, filter)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says "listening on lo" once the capture runs.
	var log strings.Builder
	listening := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !said && strings.Contains(sc.Text(), "listening on") {
				said = true
				listening <- true
			}
		}
		if !said {
			listening <- false
		}
	}()
	select {
	case ok := <-listening:
		if !ok {
			cmd.Wait()
			<-done
			if os.Getenv("CI") != "true" && strings.Contains(log.String(), "ermission") {
				t.Skipf("tcpdump may not capture here (run as root):\n%s", log.String())
			}
			t.Fatalf("tcpdump did not start:\n%s", log.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("tcpdump did not start listening in 30 s")
	}
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		// The connection's last packets reach the file a moment after the
		// client returns: wait until it stops growing.
		size, still := int64(-1), 0
		for deadline := time.Now().Add(10 * time.Second); still < 3 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			info, err := os.Stat(file)
			if err == nil && info.Size() == size {
				still++
			} else if err == nil {
				size, still = info.Size(), 0
			}
		}
		// SIGINT makes tcpdump flush the file and exit.
		cmd.Process.Signal(syscall.SIGINT)
		exited := make(chan error, 1)
		go func() { <-done; exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("tcpdump: %v\n%s", err, log.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("tcpdump did not stop:\n%s", log.String())
		}
		t.Logf("tcpdump: %s", strings.TrimSpace(log.String()))
		dropped := 0
		if m := droppedRE.FindStringSubmatch(log.String()); m != nil {
			dropped, _ = strconv.Atoi(m[1])
		}
		return dropped
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestReplayCapture captures a real client's session with wirelab serve
// on loopback, replays it against the engine with no divergence, finds
// exactly one divergence at the right packet when one server line of the
// capture is altered, and turns the capture into a transcript that
// wirelab conformance passes.
func TestReplayCapture(t *testing.T) {
	for _, tc := range []struct {
		proto, server string
		// iface is where tcpdump listens: lo gives Ethernet frames, any
		// Linux "cooked" ones (SLL or SLL2).
		iface string
		// program is the python3 client; it gets host and port.
		program string
		// The first server line matching line after the client line
		// holding after is altered: its first digit changes.
		after string
		line  *regexp.Regexp
	}{{
		proto: "pop3", server: "pop3", iface: "lo",
		program: `import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]))
p.capa()
p.user("alice"); p.pass_("wonderland")
p.stat(); p.list(); p.uidl(); p.uidl(3)
p.retr(6); p.top(2, 3)
p.quit()
`,
		after: "STAT", line: regexp.MustCompile(`^\+OK \d+ \d+$`),
	}, {
		proto: "imap", server: "imap", iface: "any",
		program: `import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login("alice", "wonderland")
m.select("INBOX")
m.fetch("1:4", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
m.fetch("6", "(BODY.PEEK[HEADER.FIELDS (Subject)])")
m.status("Sent", "(MESSAGES UIDVALIDITY)")
m.uid("SEARCH", "ALL")
m.logout()
`,
		after: "SELECT", line: regexp.MustCompile(`^\* \d+ EXISTS$`),
	}} {
		t.Run(tc.proto, func(t *testing.T) {
			python := needTool(t, "python3", "python3")
			dir := t.TempDir()
			var file string
			// A busy machine's kernel drops a packet now and then; the
			// session is then captured again, on a fresh server.
			for attempt := 1; ; attempt++ {
				srv := startServe(t)
				host, port := hostPort(srv.addrs[tc.server])
				file = filepath.Join(dir, fmt.Sprintf("%s-%d.pcap", tc.proto, attempt))
				stop := startTcpdump(t, tc.iface, file, "tcp port "+port)
				if out, err := exec.Command(python, "-c", tc.program, host, port).CombinedOutput(); err != nil {
					t.Fatalf("python %s: %v\n%s", tc.proto, err, out)
				}
				dropped := stop()
				if dropped == 0 {
					break
				}
				if attempt == 3 {
					t.Fatalf("the kernel dropped packets in %d captures", attempt)
				}
				t.Logf("the kernel dropped %d packets; capturing again", dropped)
			}

			out, code := runWirelab(t, "replay", file, "--proto", tc.proto)
			if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
				t.Fatalf("replay of the capture exited %d:\n%s", code, out)
			}

			// The same capture against a fresh live server: the one it was
			// made on has changed since (IMAP's \Recent went, RFC 3501
			// §2.3.2).
			fresh := startServe(t)
			out, code = runWirelab(t, "replay", "--target", tc.proto+"://"+fresh.addrs[tc.server], "--proto", tc.proto, file)
			if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
				t.Fatalf("replay against %s exited %d:\n%s", fresh.addrs[tc.server], code, out)
			}

			// --to-transcript, then wirelab conformance on it.
			tx := filepath.Join(dir, tc.proto+".txtar")
			if out, code := runWirelab(t, "replay", "--to-transcript", tx, "--proto", tc.proto, file); code != 0 {
				t.Fatalf("--to-transcript exited %d:\n%s", code, out)
			}
			if out, code := runWirelab(t, "conformance", tx); code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
				text, _ := os.ReadFile(tx)
				t.Fatalf("conformance on the written transcript exited %d:\n%s\n%s", code, out, text)
			}

			// Alter one server line in the capture's bytes, the same length
			// so that TCP stays whole.
			sessions, err := capture.ReadFile(file, capture.Options{Protocol: tc.proto})
			if err != nil {
				t.Fatal(err)
			}
			var target capture.Line
			for i, l := range sessions[0].Lines {
				if l.Dir == 'C' && strings.Contains(l.Text, tc.after) {
					for _, s := range sessions[0].Lines[i+1:] {
						if s.Dir == 'S' && tc.line.MatchString(s.Text) {
							target = s
							break
						}
					}
					break
				}
			}
			if target.Text == "" {
				t.Fatalf("no server line matching %s after %q in the capture", tc.line, tc.after)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			line := []byte(target.Text + "\r\n")
			if bytes.Count(data, line) != 1 {
				t.Fatalf("%q is %d times in the capture, want once", line, bytes.Count(data, line))
			}
			altered := filepath.Join(dir, "altered.pcap")
			newLine := bytes.Clone(line)
			d := bytes.IndexAny(newLine, "0123456789")
			newLine[d] = '0' + (newLine[d]-'0'+1)%10
			if err := os.WriteFile(altered, bytes.Replace(data, line, newLine, 1), 0o644); err != nil {
				t.Fatal(err)
			}
			out, code = runWirelab(t, "replay", "--proto", tc.proto, altered)
			place := regexp.QuoteMeta(altered + ": packet " + strings.TrimPrefix(target.Place.String(), file+": packet "))
			if code != 1 || strings.Count(out, "FAIL ") != 1 || !strings.Contains(out, "0 passed, 1 failed") ||
				!regexp.MustCompile(`(?m)^      at `+place+`$`).MatchString(out) || !strings.Contains(out, "-want +got") {
				t.Errorf("the altered capture (%s at %s) gave exit %d:\n%s", newLine, target.Place, code, out)
			}
		})
	}
}

// TestReplayDNSCapture captures dig's queries to wirelab serve's DNS
// server and replays them.
func TestReplayDNSCapture(t *testing.T) {
	dig := needTool(t, "dig", "bind9-dnsutils")
	srv := startServe(t)
	host, port := hostPort(srv.addrs["dns"])
	dir := t.TempDir()
	file := filepath.Join(dir, "dns.pcap")
	stop := startTcpdump(t, "lo", file, "udp port "+port)
	for _, q := range [][]string{{"www.example.com", "A"}, {"example.com", "MX"}, {"nonexistent.example.com", "A"}} {
		if out, err := exec.Command(dig, "@"+host, "-p", port, "+tries=1", "+time=5", q[0], q[1]).CombinedOutput(); err != nil {
			t.Fatalf("dig %v: %v\n%s", q, err, out)
		}
	}
	stop()
	out, code := runWirelab(t, "replay", "--proto", "dns", file)
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		text, _ := exec.Command(binPath, "replay", "--proto", "dns", "--to-transcript", "-", file).CombinedOutput()
		t.Fatalf("replay of dig's queries exited %d:\n%s\n%s", code, out, text)
	}
}

func TestReplayLogErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.log")
	os.WriteFile(bad, []byte("S: +OK hi\nC: USER alice\nthis is not a log line\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"replay", bad}, 1, "capture: " + bad + ":3: a line starts with"},
		{[]string{"replay", filepath.Join(dir, "missing.pcap")}, 1, "no such file"},
		{[]string{"replay", "--proto", "smtp", bad}, 1, `unknown protocol "smtp"`},
		{[]string{"replay"}, 2, "usage: wirelab replay"},
	} {
		out, code := runWirelab(t, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("wirelab %v exited %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.want, out)
		}
	}
}

// TestReplayLog replays a C:/S: log of a session against the engine, and
// the same log with one server line changed.
func TestReplayLog(t *testing.T) {
	dir := t.TempDir()
	inbox := demoInbox(t, "alice")
	size := 0
	for _, m := range inbox {
		size += len(m)
	}
	stat := fmt.Sprintf("+OK %d %d", len(inbox), size)
	log := "S: +OK wirelab ready <1.2@somewhere>\nC: USER alice\nS: +OK\nC: PASS wonderland\nS: +OK logged in\nC: STAT\nS: " + stat + "\nC: QUIT\nS: +OK bye\n"
	good := filepath.Join(dir, "good.log")
	os.WriteFile(good, []byte(log), 0o644)
	if out, code := runWirelab(t, "replay", good); code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Fatalf("replay of %s exited %d:\n%s", good, code, out)
	}
	bad := filepath.Join(dir, "bad.log")
	wrong := fmt.Sprintf("+OK %d %d", len(inbox)+1, size)
	os.WriteFile(bad, []byte(strings.Replace(log, stat, wrong, 1)), 0o644)
	out, code := runWirelab(t, "replay", "--json", bad)
	var r struct{ Status, Place string }
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &r); err != nil || code != 1 || r.Status != "fail" || r.Place != bad+":7" {
		t.Errorf("replay --json of %s exited %d, %v:\n%s", bad, code, err, out)
	}
	out, code = runWirelab(t, "replay", bad)
	if code != 1 || !strings.Contains(out, "      at "+bad+":7\n") || !strings.Contains(out, fmt.Sprintf("%q", wrong)) || !strings.Contains(out, "-want +got") {
		t.Errorf("replay of %s exited %d:\n%s", bad, code, out)
	}
}
