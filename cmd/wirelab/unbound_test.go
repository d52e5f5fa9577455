package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// freeUDPPort finds a loopback port nobody is using.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// sortedLines makes answers comparable whatever order round robin chose.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines)
	return lines
}

// TestUnboundWalksTheWorld starts wirelab serve --expose-dns, then Unbound
// with root hints pointing at the exposed root servers: Unbound walks the
// demo world's hierarchy over real sockets and must give the same answers
// as wirelab's own local DNS server.
func TestUnboundWalksTheWorld(t *testing.T) {
	unbound := needTool(t, "unbound", "unbound")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("--expose-dns binds port 53 and needs root, which CI has")
		}
		t.Skip("--expose-dns binds port 53 on 127.53.0.0/16 and needs root; run as root (CI does)")
	}
	dir := t.TempDir()
	hints := filepath.Join(dir, "root.hints")
	srv := startServe(t, "--expose-dns", "--root-hints", hints)

	port := freeUDPPort(t)
	conf := filepath.Join(dir, "unbound.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`server:
	interface: 127.0.0.1
	port: %d
	do-ip6: no
	do-not-query-localhost: no
	root-hints: %q
	module-config: "iterator"
	username: ""
	chroot: ""
	directory: %q
	pidfile: %q
	use-syslog: no
	verbosity: 1
	access-control: 127.0.0.0/8 allow
	qname-minimisation: no
remote-control:
	control-enable: no
`, port, hints, dir, filepath.Join(dir, "unbound.pid"))), 0o644)
	cmd := exec.Command(unbound, "-d", "-c", conf)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	digPath := needTool(t, "dig", "bind9-dnsutils")
	ask := func(server string, port int, args ...string) string {
		out, err := exec.Command(digPath, append([]string{"@" + server, "-p", fmt.Sprint(port), "+time=3", "+tries=2", "+short"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig @%s:%d %v: %v\n%s\nunbound:\n%s", server, port, args, err, out, logs.String())
		}
		return string(out)
	}
	// Unbound takes a moment to bind; until then dig fails, which is not
	// yet an error.
	ready := func() bool {
		out, err := exec.Command(digPath, "@127.0.0.1", "-p", fmt.Sprint(port), "+time=1", "+tries=1", "+short", "example.com", "SOA").Output()
		return err == nil && strings.TrimSpace(string(out)) != ""
	}
	deadline := time.Now().Add(20 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("unbound did not answer; its log:\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	host, wlPort := hostPort(srv.addrs["dns"])
	var wp int
	fmt.Sscan(wlPort, &wp)
	for _, q := range [][]string{
		{"www.example.com", "A"},
		{"example.com", "MX"},
		{"mail.example.com", "AAAA"},
		{"ftp.example.com", "A"},
		{"pc1.lab.example.com", "A"},
		{"anyone.users.example.com", "A"},
		{"www.example.org", "A"},
		{"www.example.edu", "AAAA"},
		{"www.example.kr", "A"},
		{"nosuch.example.com", "A"},
		{"news.example.com", "TXT"},
	} {
		want := sortedLines(ask(host, wp, q...))
		got := sortedLines(ask("127.0.0.1", port, q...))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: Unbound differs from wirelab (-wirelab +unbound):\n%s", q, diff)
		}
	}
}
