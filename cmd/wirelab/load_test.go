package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// Load test sizes: bounded in count and time, loopback only.
const (
	loadIMAP       = 300 // concurrent IMAP connections
	loadPOP3       = 200 // concurrent POP3 connections
	loadCycles     = 3   // login ... logout cycles each
	loadDNSSockets = 4
	loadDNSQueries = 5000 // per socket
	loadDNSWindow  = 16   // queries in flight per socket
	loadDeadline   = 3 * time.Minute
)

// manyUsersWorld writes the demo world's DNS with n users, user000 to user(n-1),
// each with password pw-NNN and three small messages, and returns its path.
func manyUsersWorld(t testing.TB, n int) string {
	t.Helper()
	demo, err := txtar.ParseFile(filepath.Join("..", "..", "engine", "world", "demo.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	a := &txtar.Archive{Comment: []byte("load-test world: the demo world's DNS, many users\n")}
	var users strings.Builder
	for i := range n {
		fmt.Fprintf(&users, "user%03d:{PLAIN}pw-%03d\n", i, i)
		var mbox strings.Builder
		for j := range 3 {
			fmt.Fprintf(&mbox, "From sender@example.org Mon Dec  1 16:15:0%d 2025\nFrom: sender@example.org\nTo: user%03d@example.com\nSubject: load %d/%d\nMessage-ID: <load-%d-%d@example.org>\n\n%s\n\n", j, i, i, j, i, j, strings.Repeat("A line of a load-test message body.\n", 20))
		}
		a.Files = append(a.Files, txtar.File{Name: fmt.Sprintf("mail/user%03d/INBOX.mbox", i), Data: []byte(mbox.String())})
	}
	a.Files = append(a.Files, txtar.File{Name: "users", Data: []byte(users.String())})
	for _, f := range demo.Files {
		if strings.HasPrefix(f.Name, "dns/") {
			a.Files = append(a.Files, f)
		}
	}
	path := filepath.Join(t.TempDir(), "load.txtar")
	if err := os.WriteFile(path, txtar.Format(a), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// debugVars reads the goroutine count and live heap from --debug-addr,
// after a garbage collection.
func debugVars(t testing.TB, addr string) (goroutines int, heap uint64) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/debug/gc", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Goroutines int `json:"goroutines"`
		Memstats   struct {
			HeapAlloc uint64
		} `json:"memstats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Goroutines, v.Memstats.HeapAlloc
}

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  map[string][]time.Duration
}

func (l *latencies) add(kind string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.d == nil {
		l.d = map[string][]time.Duration{}
	}
	l.d[kind] = append(l.d[kind], d)
}

// quantile returns the q-quantile (0..1) of kind's durations.
func (l *latencies) quantile(kind string, q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := slices.Clone(l.d[kind])
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// imapCycle logs in, selects, fetches every message, and logs out, timing
// each command.
func imapCycle(addr, user, pass string, lat *latencies) error {
	start := time.Now()
	c, err := dialIMAP(addr)
	if err != nil {
		return fmt.Errorf("imap connect: %w", err)
	}
	defer c.close()
	c.c.SetDeadline(time.Now().Add(loadDeadline))
	lat.add("imap connect", time.Since(start))
	for _, cmd := range []string{"LOGIN " + user + " " + pass, "SELECT INBOX", "FETCH 1:* (FLAGS BODY.PEEK[])", "LOGOUT"} {
		t0 := time.Now()
		lines, status, err := c.cmd(cmd)
		if err != nil || !strings.Contains(status, " OK") {
			return fmt.Errorf("imap %s %s: %q, %v", user, cmd, status, err)
		}
		if strings.HasPrefix(cmd, "FETCH") && len(lines) != 3 {
			return fmt.Errorf("imap %s FETCH: %d messages, want 3", user, len(lines))
		}
		lat.add("imap "+strings.Fields(cmd)[0], time.Since(t0))
	}
	return nil
}

func pop3Cycle(addr, user, pass string, lat *latencies) error {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("pop3 connect: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(loadDeadline))
	r := bufio.NewReader(c)
	if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
		return fmt.Errorf("pop3 greeting: %q, %v", l, err)
	}
	lat.add("pop3 connect", time.Since(start))
	for _, cmd := range []string{"USER " + user, "PASS " + pass, "STAT", "RETR 1", "QUIT"} {
		t0 := time.Now()
		fmt.Fprintf(c, "%s\r\n", cmd)
		l, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(l, "+OK") {
			return fmt.Errorf("pop3 %s %s: %q, %v", user, cmd, l, err)
		}
		if cmd == "RETR 1" {
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return fmt.Errorf("pop3 %s RETR: %w", user, err)
				}
				if l == ".\r\n" {
					break
				}
			}
		}
		lat.add("pop3 "+strings.Fields(cmd)[0], time.Since(t0))
	}
	return nil
}

// dnsFlood sends n queries for the world's names from one socket, at most
// window at a time, and returns how many went unanswered.
func dnsFlood(addr string, n, window int, lat *latencies) (lost int, err error) {
	server, err := netip.ParseAddrPort(addr)
	if err != nil {
		return 0, err
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	names := []string{"www.example.com.", "example.com.", "mail.example.com.", "www.example.org.", "pc1.lab.example.com.", "www.example.kr."}
	sent := map[uint16]time.Time{}
	buf := make([]byte, 65535)
	next := 0
	for next < n || len(sent) > 0 {
		for next < n && len(sent) < window {
			q := new(mdns.Msg)
			q.SetQuestion(names[next%len(names)], mdns.TypeA)
			q.Id = uint16(next)
			wire, _ := q.Pack()
			if _, err := conn.WriteToUDPAddrPort(wire, server); err != nil {
				return lost, err
			}
			sent[q.Id] = time.Now()
			next++
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, _, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			// Whatever is still out is lost.
			lost += len(sent)
			clear(sent)
			continue
		}
		m := new(mdns.Msg)
		if m.Unpack(buf[:k]) != nil {
			continue
		}
		if t0, ok := sent[m.Id]; ok {
			if m.Rcode != mdns.RcodeSuccess || len(m.Answer) == 0 {
				return lost, fmt.Errorf("dns %s: %s", m.Question[0].Name, mdns.RcodeToString[m.Rcode])
			}
			lat.add("dns query", time.Since(t0))
			delete(sent, m.Id)
		}
	}
	return lost, nil
}

// loadResult is one round of load: the latencies, and the server's
// goroutines and live heap before and after.
type loadResult struct {
	lat                    *latencies
	goroutines0, goroutine int
	heap0, heap            uint64
	elapsed                time.Duration
	dnsLost                int
}

// startLoadServer starts a server on the many-users world, with short
// slow-client timeouts, and runs each kind of session once, so that what
// is allocated for good at first use (pools, the lab's caches) is in the
// baseline.
func startLoadServer(t testing.TB) *server {
	t.Helper()
	world := manyUsersWorld(t, loadIMAP+loadPOP3)
	srv := startServe(t, "--world", world, "--debug-addr", "127.0.0.1:0", "--line-timeout", "3s", "--write-timeout", "3s")
	if srv.addrs["debug"] == "" {
		t.Fatalf("no debug address; stderr:\n%s", srv.stderr)
	}
	lat := &latencies{}
	if err := imapCycle(srv.addrs["imap"], "user000", "pw-000", lat); err != nil {
		t.Fatal(err)
	}
	if err := pop3Cycle(srv.addrs["pop3"], fmt.Sprintf("user%03d", loadIMAP), fmt.Sprintf("pw-%03d", loadIMAP), lat); err != nil {
		t.Fatal(err)
	}
	if _, err := dnsFlood(srv.addrs["dns"], 50, 4, lat); err != nil {
		t.Fatal(err)
	}
	return srv
}

// loadRound runs the whole load once against srv; extra starts more
// clients just before it.
func loadRound(t testing.TB, srv *server, extra func(srv *server)) loadResult {
	t.Helper()
	var r loadResult
	r.goroutines0, r.heap0 = debugVars(t, srv.addrs["debug"])

	lat := &latencies{}
	r.lat = lat
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, loadIMAP+loadPOP3+loadDNSSockets)
	var ready sync.WaitGroup
	ready.Add(1)
	for i := range loadIMAP {
		wg.Go(func() {
			ready.Wait()
			for range loadCycles {
				if err := imapCycle(srv.addrs["imap"], fmt.Sprintf("user%03d", i), fmt.Sprintf("pw-%03d", i), lat); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := loadIMAP; i < loadIMAP+loadPOP3; i++ {
		wg.Go(func() {
			ready.Wait()
			for range loadCycles {
				if err := pop3Cycle(srv.addrs["pop3"], fmt.Sprintf("user%03d", i), fmt.Sprintf("pw-%03d", i), lat); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var lost atomic.Int64
	for range loadDNSSockets {
		wg.Go(func() {
			ready.Wait()
			n, err := dnsFlood(srv.addrs["dns"], loadDNSQueries, loadDNSWindow, lat)
			lost.Add(int64(n))
			if err != nil {
				errs <- err
			}
		})
	}
	if extra != nil {
		extra(srv)
	}
	ready.Done()
	wg.Wait()
	r.elapsed = time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r.dnsLost = int(lost.Load())

	// Let the server finish the sessions' ends (it answers LOGOUT before
	// the session's goroutines are gone), then measure.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.goroutine, r.heap = debugVars(t, srv.addrs["debug"])
		if r.goroutine <= r.goroutines0+5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return r
}

func (r loadResult) report(logf func(string, ...any)) {
	logf("load: %d IMAP + %d POP3 connections x %d cycles, %d DNS queries, in %v", loadIMAP, loadPOP3, loadCycles, loadDNSSockets*loadDNSQueries, r.elapsed.Round(time.Millisecond))
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range r.lat.d {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range kinds {
		logf("  %-14s n=%-6d p50 %-10v p99 %v", k, len(r.lat.d[k]), r.lat.quantile(k, 0.50).Round(time.Microsecond), r.lat.quantile(k, 0.99).Round(time.Microsecond))
	}
	logf("  server goroutines %d -> %d, heap %.1f MB -> %.1f MB; DNS lost %d", r.goroutines0, r.goroutine, float64(r.heap0)/1e6, float64(r.heap)/1e6, r.dnsLost)
}

// TestLoad: hundreds of concurrent IMAP and POP3 sessions and a DNS flood
// against wirelab serve finish without an error, and afterwards the
// server's goroutines and heap are back near where they started. Slow
// clients during the load do not hold the others back and are timed out.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	srv := startLoadServer(t)
	slow := make(chan string, 2)
	r := loadRound(t, srv, func(srv *server) {
		go func() { slow <- trickle(srv.addrs["imap"]) }()
		go func() { slow <- neverRead(srv) }()
	})
	r.report(t.Logf)
	for range 2 {
		select {
		case s := <-slow:
			if s != "" {
				t.Error(s)
			}
		case <-time.After(30 * time.Second):
			t.Error("a slow client was not timed out")
		}
	}
	// The same load again: a leak grows with each round, a cache does not.
	r2 := loadRound(t, srv, nil)
	r2.report(t.Logf)
	for _, r := range []loadResult{r, r2} {
		if r.dnsLost > loadDNSSockets*loadDNSQueries/1000 {
			t.Errorf("%d DNS queries unanswered", r.dnsLost)
		}
		// A session's goroutines, left behind by each of thousands of
		// sessions, would show far above this margin.
		if r.goroutine > r.goroutines0+5 {
			t.Errorf("server goroutines: %d before, %d after a round", r.goroutines0, r.goroutine)
		}
	}
	// The first round fills the message cache (at most its 32 MB); the
	// second must not add to it.
	if r.heap > r.heap0+mailstore.DefaultCacheBytes+16<<20 {
		t.Errorf("server heap: %d before, %d after the first round", r.heap0, r.heap)
	}
	if r2.heap > r.heap+8<<20 {
		t.Errorf("server heap grew from %d to %d in the second round", r.heap, r2.heap)
	}
	// How long the others waited is measured by BenchmarkLoad (p50, p99),
	// not asserted here: a timed assertion fails on a busy machine.
}

// trickle logs in and sends a command a byte a second: the server must
// close the connection within the line timeout (3 s here), not wait. It
// returns "" when it was closed in time.
func trickle(addr string) string {
	c, err := dialIMAP(addr)
	if err != nil {
		return err.Error()
	}
	defer c.close()
	if _, status, err := c.cmd("LOGIN user000 pw-000"); err != nil || !strings.Contains(status, " OK") {
		return fmt.Sprintf("trickle login: %q, %v", status, err)
	}
	start := time.Now()
	for _, b := range []byte("t1 SELECT INBOX\r\n") {
		if _, err := c.c.Write([]byte{b}); err != nil {
			break
		}
		time.Sleep(time.Second)
	}
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(c.r)
	if d := time.Since(start); err != nil || d > 8*time.Second {
		return fmt.Sprintf("a byte-a-second client was cut off after %v (err %v), want about 3 s", d, err)
	}
	return ""
}

// neverRead asks for large FETCHes and reads nothing: the server's writes
// block, and it must end the session within the write timeout (3 s here),
// which its log says.
func neverRead(srv *server) string {
	c, err := dialIMAP(srv.addrs["imap"])
	if err != nil {
		return err.Error()
	}
	defer c.close()
	if _, status, err := c.cmd("LOGIN user001 pw-001"); err != nil || !strings.Contains(status, " OK") {
		return fmt.Sprintf("never-read login: %q, %v", status, err)
	}
	if _, status, err := c.cmd("SELECT INBOX"); err != nil || !strings.Contains(status, " OK") {
		return fmt.Sprintf("never-read select: %q, %v", status, err)
	}
	// Enough answers to fill both sides' socket buffers many times over;
	// the write itself blocks once they are full.
	c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c.c, strings.Repeat("f FETCH 1:* (BODY.PEEK[])\r\n", 20000))
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if strings.Contains(srv.stderr.String(), "client did not read its answers in time") {
			return ""
		}
	}
	return "a client that never read was not cut off within 15 s"
}

// BenchmarkLoad runs the load test's rounds and reports p50 and p99
// latencies of an IMAP FETCH, a POP3 RETR and a DNS query under that load
// (make bench prints them), with the whole round's log.
func BenchmarkLoad(b *testing.B) {
	srv := startLoadServer(b)
	var r loadResult
	b.ResetTimer()
	for b.Loop() {
		r = loadRound(b, srv, nil)
	}
	b.StopTimer()
	r.report(b.Logf)
	for _, m := range []struct{ kind, unit string }{
		{"imap FETCH", "imap-fetch"}, {"imap LOGIN", "imap-login"}, {"pop3 RETR", "pop3-retr"}, {"dns query", "dns"},
	} {
		b.ReportMetric(float64(r.lat.quantile(m.kind, 0.50).Microseconds())/1000, m.unit+"-p50-ms")
		b.ReportMetric(float64(r.lat.quantile(m.kind, 0.99).Microseconds())/1000, m.unit+"-p99-ms")
	}
}
