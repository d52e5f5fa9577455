package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirelab/wirelab/internal/loginstorm"
)

// The login storm: stormClients clients, each in a loop connecting,
// reading the greeting, LOGIN, LOGOUT and closing, as bench/peers' storm
// row does. It measures what a connection costs the server from accept to
// teardown.
const (
	stormClients = 10
	stormUser    = "bench"
	stormPass    = "bench"
)

var (
	stormCPUProfile = flag.String("storm.cpuprofile", "", "BenchmarkLoginStorm: write wirelab serve's CPU profile to `file`")
	stormPeer       = flag.Bool("storm.peer", false, "BenchmarkLoginStorm: also run go-imap's imapmemserver")
	stormRounds     = flag.Int("storm.rounds", 1, "BenchmarkLoginStorm: rounds of wirelab then imapmemserver, one server started for all")
)

// BenchmarkLoginStorm runs the login storm against wirelab serve, mail in
// memory, and, with -storm.peer, against go-imap's imapmemserver too. With
// -storm.rounds N the two alternate, so that both see the same machine.
// It reports logins/s, the server's CPU time per login and, for wirelab,
// what the server allocated per login.
//
//	go test ./cmd/wirelab -run '^$' -bench LoginStorm -benchtime 10000x -storm.rounds 5 -storm.peer
func BenchmarkLoginStorm(b *testing.B) {
	world := filepath.Join(b.TempDir(), "storm.txtar")
	data := fmt.Sprintf("login storm world\n-- users --\n%s:{PLAIN}%s\n-- mail/%s/INBOX.mbox --\nFrom sender@example.org Mon Dec  1 16:15:00 2025\nFrom: sender@example.org\nSubject: storm\n\nbody\n", stormUser, stormPass, stormUser)
	if err := os.WriteFile(world, []byte(data), 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"--world", world, "--dns", "", "--http", "", "--debug-addr", "127.0.0.1:0"}
	if *stormCPUProfile != "" {
		args = append(args, "--cpuprofile", *stormCPUProfile)
	}
	wl := startServe(b, args...)
	var peer string
	var peerPID int
	if *stormPeer {
		peer, peerPID = startIMAPMem(b)
	}
	for range *stormRounds {
		b.Run("wirelab", func(b *testing.B) {
			before := serverMallocs(b, wl.addrs["debug"])
			runStorm(b, wl.addrs["imap"], wl.cmd.Process.Pid)
			after := serverMallocs(b, wl.addrs["debug"])
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "srv-allocs/login")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "srv-B/login")
		})
		if peer != "" {
			b.Run("imapmemserver", func(b *testing.B) { runStorm(b, peer, peerPID) })
		}
	}
}

// runStorm runs b.N login cycles on stormClients connections at once
// against addr, served by process pid.
func runStorm(b *testing.B, addr string, pid int) {
	b.Helper()
	cpuBefore, cpuOK := processCPU(pid)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, stormClients)
	b.ResetTimer()
	start := time.Now()
	for c := range stormClients {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				if err := loginstorm.Cycle(addr, fmt.Sprintf("c%di%d", c, i), stormUser, stormPass); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logins/s")
	if cpuAfter, ok := processCPU(pid); ok && cpuOK {
		b.ReportMetric(float64((cpuAfter-cpuBefore).Microseconds())/float64(b.N), "srv-cpu-µs/login")
	}
}

// processCPU returns the CPU time (user and system) process pid has used,
// from /proc; ok is false where there is no /proc.
func processCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is the first, utime and stime the 12th and 13th.
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// Clock ticks; USER_HZ is 100 on every Linux this runs on.
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// memCounters are the cumulative allocation counters of runtime.MemStats.
type memCounters struct {
	Mallocs, TotalAlloc uint64
}

// serverMallocs reads wirelab serve's allocation counters from
// --debug-addr.
func serverMallocs(b *testing.B, addr string) memCounters {
	b.Helper()
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Memstats memCounters `json:"memstats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		b.Fatal(err)
	}
	return v.Memstats
}

// startIMAPMem builds and starts go-imap's imapmemserver with the storm's
// user and returns its address; it is stopped when the benchmark ends.
func startIMAPMem(b *testing.B) (string, int) {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "imapmemserver")
	build := exec.Command("go", "build", "-o", bin, "github.com/emersion/go-imap/v2/cmd/imapmemserver")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building imapmemserver: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-listen", addr, "-username", stormUser, "-password", stormPass, "-insecure-auth")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr, cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			b.Fatalf("imapmemserver does not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
