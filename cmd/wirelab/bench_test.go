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
//
// The client is bench/peers's POP3 workload, the one the peer comparison
// runs against Dovecot.
func BenchmarkPoplibRetrieve10k(b *testing.B) {
	python := needTool(b, "python3", "python3")
	srv := startServe(b, "--world", writeBenchWorld(b, benchMessages), "--data", b.TempDir())
	host, port := hostPort(srv.addrs["pop3"])
	var total float64
	runs := 0
	for b.Loop() {
		out, err := exec.Command(python, "../../bench/peers/pop3_workload.py", host, port, "bench", "bench").CombinedOutput()
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

// BenchmarkDNSPerfCacheHit measures the native local DNS server answering
// from its cache: dnsperf sends demo-world names over UDP on loopback for
// a few seconds after a warm-up round has filled the cache.
func BenchmarkDNSPerfCacheHit(b *testing.B) {
	dnsperf := needTool(b, "dnsperf", "dnsperf")
	srv := startServe(b)
	host, port := hostPort(srv.addrs["dns"])
	queries := filepath.Join(b.TempDir(), "queries")
	os.WriteFile(queries, []byte(strings.Join([]string{
		"www.example.com A", "web.example.com A", "example.com MX", "mail.example.com AAAA",
		"www.example.org A", "www.example.edu AAAA", "www.example.kr A", "pc1.lab.example.com A",
		"ftp.example.com A", "nosuch.example.com A",
	}, "\n")+"\n"), 0o600)
	run := func(seconds string) float64 {
		out, err := exec.Command(dnsperf, "-s", host, "-p", port, "-d", queries, "-l", seconds, "-c", "4", "-q", "64").CombinedOutput()
		if err != nil {
			b.Fatalf("dnsperf: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Queries per second:"); ok {
				qps, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					b.Fatal(err)
				}
				if !strings.Contains(string(out), "Queries lost:         0") {
					b.Logf("dnsperf lost queries:\n%s", out)
				}
				return qps
			}
		}
		b.Fatalf("dnsperf printed no rate:\n%s", out)
		return 0
	}
	run("1") // warm the cache
	var total float64
	n := 0
	for b.Loop() {
		total += run("5")
		n++
	}
	b.ReportMetric(total/float64(n), "qps")
}

// imaplibBenchMessages is how many messages BenchmarkImaplibImport10k
// appends per run: a mailbox import of realistic size that finishes in
// seconds.
const imaplibBenchMessages = 10_000

// BenchmarkImaplibImport10k imports imaplibBenchMessages small messages
// into a fresh mailbox of a store kept on disk (--data) with Python's
// imaplib over loopback (one synchronizing-literal APPEND each, TCP_NODELAY
// on), then fetches FLAGS and RFC822.SIZE of all of them and runs one
// SEARCH SUBJECT. It reports each phase's wall time as the client saw it.
func BenchmarkImaplibImport10k(b *testing.B) {
	python := needTool(b, "python3", "python3")
	srv := startServe(b, "--world", writeBenchWorld(b, 1), "--data", b.TempDir())
	host, port := hostPort(srv.addrs["imap"])
	var appendS, fetchS, searchS float64
	runs := 0
	for b.Loop() {
		mailbox := fmt.Sprintf("Import%d", runs)
		out, err := exec.Command(python, "testdata/imaplib_bench.py", host, port, "bench", "bench", mailbox, strconv.Itoa(imaplibBenchMessages)).CombinedOutput()
		if err != nil {
			b.Fatalf("imaplib: %v\n%s", err, out)
		}
		got := map[string]string{}
		for _, f := range strings.Fields(string(out)) {
			k, v, _ := strings.Cut(f, "=")
			got[k] = v
		}
		if got["messages"] != strconv.Itoa(imaplibBenchMessages) || got["hits"] != "1" {
			b.Fatalf("imaplib said %q", out)
		}
		for k, dst := range map[string]*float64{"append": &appendS, "fetch": &fetchS, "search": &searchS} {
			v, err := strconv.ParseFloat(got[k], 64)
			if err != nil {
				b.Fatalf("imaplib said %q: %v", out, err)
			}
			*dst += v
		}
		runs++
	}
	b.ReportMetric(appendS/float64(runs), "append-s/10k")
	b.ReportMetric(fetchS/float64(runs), "fetch-s/10k")
	b.ReportMetric(searchS/float64(runs), "search-s")
}
