// Command peers runs wirelab side by side with the servers people would
// pick instead (Dovecot, go-imap's in-memory server, Unbound) on loopback,
// with the same workloads, runs interleaved (A B A B ...) so that drift hits
// every contender alike, and reports medians and ratios: a table on stdout,
// docs/benchmarks.md and a chart, docs/benchmarks.svg.
//
//	go run ./bench/peers [-runs 3] [-quick] [-only imap,nagle,pop3,storm,dns,cold]
//
// It installs missing peers with apt-get when run as root, and stops every
// process it started. Run it from the module root (make bench-peers does).
//
// The harness is Go because it manages processes, draws the chart and
// speaks DNS itself; the IMAP and POP3 clients are Python's imaplib and
// poplib (imap_workload.py, pop3_workload.py), the clients the rows name.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	runs          int
	quick         bool
	only          map[string]bool
	messages      int
	nagleMessages int
	stormClients  int
	stormSeconds  float64
	dnsSeconds    int
	hitNames      int
	coldNames     int
	docs          string
	install       bool
	keep          bool
}

func main() {
	var c config
	var only string
	flag.IntVar(&c.runs, "runs", 3, "interleaved runs per row (the median is reported)")
	flag.BoolVar(&c.quick, "quick", false, "smoke test: one run of small workloads (numbers not for comparison)")
	flag.StringVar(&only, "only", "imap,nagle,pop3,storm,dns,cold", "comma-separated rows to run")
	flag.IntVar(&c.messages, "messages", 10_000, "messages appended, fetched and retrieved")
	flag.IntVar(&c.nagleMessages, "nagle-messages", 1_000, "messages of the APPEND row with Nagle on (a server that stalls takes ~40 ms each)")
	flag.IntVar(&c.stormClients, "storm-clients", 10, "concurrent clients of the login storm")
	flag.Float64Var(&c.stormSeconds, "storm-seconds", 5, "length of one login storm")
	flag.IntVar(&c.dnsSeconds, "dns-seconds", 10, "length of one dnsperf run")
	flag.IntVar(&c.hitNames, "hit-names", 3000, "names in the cache-hit query set")
	flag.IntVar(&c.coldNames, "cold-names", 300, "never-seen names resolved per cold run")
	flag.StringVar(&c.docs, "docs", "docs", "where benchmarks.md and benchmarks.svg go (empty: nowhere; -quick writes none unless given)")
	flag.BoolVar(&c.install, "install", true, "apt-get install missing peers (as root)")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory")
	flag.Parse()
	if c.quick {
		c.runs, c.messages, c.nagleMessages, c.stormSeconds = 1, 300, 30, 1
		c.dnsSeconds, c.hitNames, c.coldNames = 2, 300, 20
		// A smoke test's numbers do not replace the report, unless asked.
		docsSet := false
		flag.Visit(func(f *flag.Flag) { docsSet = docsSet || f.Name == "docs" })
		if !docsSet {
			c.docs = ""
		}
	}
	c.only = map[string]bool{}
	for _, o := range strings.Split(only, ",") {
		c.only[strings.TrimSpace(o)] = true
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "bench/peers: interrupted; stopping every server started")
		stopAll()
		if d := removeOnExit.Load(); d != nil {
			os.RemoveAll(*d)
		}
		os.Exit(130)
	}()
	err := run(c)
	stopAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/peers:", err)
		os.Exit(1)
	}
}

// removeOnExit is the work directory, for the interrupt handler to remove.
var removeOnExit atomic.Pointer[string]

// tools are the programs the harness runs.
type tools struct {
	python, dovecot, unbound, dnsperf string
	wirelab, imapmem                  string
}

func run(c config) error {
	if _, err := os.Stat("bench/peers/imap_workload.py"); err != nil {
		return errors.New("run from the module root (make bench-peers)")
	}
	work, err := os.MkdirTemp("", "wirelab-bench-peers.")
	if err != nil {
		return err
	}
	// Dovecot's auth and mail processes (other users) read beneath it.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintln(os.Stderr, "work directory:", work)
	} else {
		removeOnExit.Store(&work)
		defer os.RemoveAll(work)
	}
	t, err := findTools(c, work)
	if err != nil {
		return err
	}
	res := newResults()
	h := header{
		date:  time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		cpus:  runtime.NumCPU(),
		cpu:   cpuModel(),
		runs:  c.runs,
		quick: c.quick,
	}
	h.versions = [][2]string{
		{"wirelab", "this tree, built with " + runtime.Version()},
		{"Dovecot", version(t.dovecot, "--version")},
		{"go-imap imapmemserver", goModVersion("github.com/emersion/go-imap/v2")},
		{"Unbound", version(t.unbound, "-V")},
		{"dnsperf", dnsperfVersion(t.dnsperf)},
		{"Python", version(t.python, "--version")},
	}
	h.method = methods(c)

	// A group that fails is noted and the others still run: one run is
	// long, and what it measured is worth keeping.
	var failed []string
	for _, g := range []struct {
		name string
		on   bool
		run  func(config, tools, string, *results) error
	}{
		{"mail", c.only["imap"] || c.only["nagle"] || c.only["pop3"] || c.only["storm"], mailRows},
		{"dns", c.only["dns"], dnsHitRows},
		{"cold", c.only["cold"], coldRows},
	} {
		if !g.on {
			continue
		}
		if err := g.run(c, t, work, res); err != nil {
			failed = append(failed, g.name)
			res.note("the %s rows stopped early: %v", g.name, firstLine(err.Error()))
			fmt.Fprintf(os.Stderr, "bench/peers: %s rows: %v\n", g.name, err)
		}
		stopAll() // a failed group may leave its servers behind
		res.writeTable(os.Stderr)
	}

	fmt.Println()
	res.writeTable(os.Stdout)
	for _, n := range res.notes {
		fmt.Println("note:", n)
	}
	if c.docs == "" {
		if len(failed) > 0 {
			return fmt.Errorf("rows that failed: %s", strings.Join(failed, ", "))
		}
		return nil
	}
	if err := os.MkdirAll(c.docs, 0o755); err != nil {
		return err
	}
	if err := res.writeMarkdown(filepath.Join(c.docs, "benchmarks.md"), h); err != nil {
		return err
	}
	if err := res.writeSVG(filepath.Join(c.docs, "benchmarks.svg"), h); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(c.docs, "benchmarks.md"), filepath.Join(c.docs, "benchmarks.svg"))
	if len(failed) > 0 {
		return fmt.Errorf("rows that failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// findTools finds (or installs) the peers and builds wirelab and go-imap's
// in-memory server into work.
func findTools(c config, work string) (tools, error) {
	var t tools
	var missing []string
	need := map[string]string{"dovecot": "dovecot-imapd dovecot-pop3d", "unbound": "unbound", "dnsperf": "dnsperf", "python3": "python3"}
	for _, prog := range []string{"dovecot", "unbound", "dnsperf", "python3"} {
		if _, err := lookPath(prog); err != nil {
			missing = append(missing, need[prog])
		}
	}
	if len(missing) > 0 {
		if !c.install || os.Geteuid() != 0 {
			return t, fmt.Errorf("missing peers; install them with: apt-get install %s", strings.Join(missing, " "))
		}
		fmt.Fprintln(os.Stderr, "installing:", strings.Join(missing, " "))
		cmd := exec.Command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, strings.Fields(strings.Join(missing, " "))...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return t, fmt.Errorf("apt-get install: %w", err)
		}
	}
	var err error
	for _, p := range []struct {
		dst  *string
		name string
	}{{&t.python, "python3"}, {&t.dovecot, "dovecot"}, {&t.unbound, "unbound"}, {&t.dnsperf, "dnsperf"}} {
		if *p.dst, err = lookPath(p.name); err != nil {
			return t, err
		}
	}
	t.wirelab = filepath.Join(work, "wirelab")
	t.imapmem = filepath.Join(work, "imapmemserver")
	for _, b := range [][2]string{{t.wirelab, "./cmd/wirelab"}, {t.imapmem, "github.com/emersion/go-imap/v2/cmd/imapmemserver"}} {
		out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput()
		if err != nil {
			return t, fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
		}
	}
	return t, nil
}

func goModVersion(mod string) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", mod).Output()
	if err != nil {
		return "unknown"
	}
	return mod + " " + strings.TrimSpace(string(out))
}

func dnsperfVersion(bin string) string {
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "Version") {
			return strings.TrimSpace(l)
		}
	}
	return "unknown"
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// Contender names, as the table prints them.
const (
	wlDisk   = "wirelab --data"
	wlMem    = "wirelab (memory)"
	dovecot  = "Dovecot"
	imapMem  = "imapmemserver"
	wlDNS    = "wirelab"
	unbound1 = "Unbound 1 thread"
	unbound2 = "Unbound 2 threads"
)

func methods(c config) []string {
	return []string{
		fmt.Sprintf("IMAP rows: Python's imaplib over one connection with TCP_NODELAY: APPEND of %d small messages (one synchronizing literal each) into a fresh mailbox, SELECT, FETCH 1:* (FLAGS RFC822.SIZE), FETCH 1:* (BODY.PEEK[]), SEARCH ALL, SUBJECT, BODY, UNSEEN. wirelab --data and Dovecot keep mail in a Maildir on disk (both fsync); wirelab (memory) and imapmemserver in memory.", c.messages),
		fmt.Sprintf("APPEND with Nagle on: the same APPEND phase, %d messages, client without TCP_NODELAY (imaplib writes the literal and its CRLF separately).", c.nagleMessages),
		fmt.Sprintf("POP3: Python's poplib: USER/PASS, STAT, UIDL, RETR of all %d messages of a Maildir INBOX (about 1.5 KB each), QUIT; after one untimed warm-up run per server.", c.messages),
		fmt.Sprintf("Login storm: %d concurrent Go clients, each connecting, LOGIN, LOGOUT, closing, for %.0f s; completed cycles per second. Dovecot runs with its default login service (a process per login).", c.stormClients, c.stormSeconds),
		fmt.Sprintf("DNS cache hits: dnsperf over UDP on loopback, %d s per run, 4 clients, 100 outstanding, on %d names (two in three round robin RRsets of three addresses, one in three CNAMEs to them), after two warm-up passes; both answer with the answer section alone (Unbound's default minimal-responses, wirelab serve --minimal-responses); Unbound's authoritative side (wirelab serve --expose-dns) is stopped before the measurement, and wirelab's world servers answered no query during it.", c.dnsSeconds, c.hitNames),
		fmt.Sprintf("Cold resolution: %d never-seen names, each in its own zone under test. (root, TLD, authoritative: three levels), asked one at a time by a Go client of a freshly started resolver whose root and TLD are primed; upstream queries counted by the world's authoritative servers. Unbound asks wirelab serve --expose-dns over loopback sockets; wirelab's local DNS server asks the same servers in process, on a virtual network.", c.coldNames),
	}
}
