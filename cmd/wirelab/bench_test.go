package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchMessages is the maildrop size of the native POP3 benchmark.
const benchMessages = 10_000

// writeBenchWorld writes a world whose user "bench" (password "bench") has
// n small messages of realistic shape, about 1.5 KB each.
func writeBenchWorld(tb testing.TB, n int) string {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("benchmark world\n-- users --\nbench:{PLAIN}bench\n-- mail/bench/INBOX.mbox --\n")
	body := strings.Repeat("The quick brown fox jumps over the lazy dog, again and again.\n", 20)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		d := start.Add(time.Duration(i) * time.Minute)
		fmt.Fprintf(&b, "From sender@example.org %s\n", d.Format("Mon Jan _2 15:04:05 2006"))
		fmt.Fprintf(&b, "Date: %s\nFrom: Sender <sender@example.org>\nTo: bench@example.com\nSubject: message %d\nMessage-ID: <%d@example.org>\n\n%s\n", d.Format(time.RFC1123Z), i+1, i+1, body)
	}
	path := filepath.Join(tb.TempDir(), "bench.txtar")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkPoplibRetrieve10k retrieves a 10,000-message maildrop kept on
// disk (--data) completely with Python's poplib over loopback: login, STAT,
// UIDL, RETR of every message, QUIT. It reports the client's wall time.
func BenchmarkPoplibRetrieve10k(b *testing.B) {
	python := needTool(b, "python3", "python3")
	srv := startServe(b, "--world", writeBenchWorld(b, benchMessages), "--data", b.TempDir())
	host, port := hostPort(srv.addrs["pop3"])
	var total float64
	runs := 0
	for b.Loop() {
		out, err := exec.Command(python, "testdata/poplib_bench.py", host, port, "bench", "bench").CombinedOutput()
		if err != nil {
			b.Fatalf("poplib: %v\n%s", err, out)
		}
		fields := strings.Fields(string(out))
		if len(fields) != 3 || fields[0] != fmt.Sprintf("messages=%d", benchMessages) {
			b.Fatalf("poplib said %q", out)
		}
		secs, err := strconv.ParseFloat(strings.TrimPrefix(fields[2], "seconds="), 64)
		if err != nil {
			b.Fatal(err)
		}
		total += secs
		runs++
	}
	b.ReportMetric(total/float64(runs), "poplib-s/10k")
}
