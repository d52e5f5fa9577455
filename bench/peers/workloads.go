package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/internal/loginstorm"
)

// parseKV reads the "key=value ..." line a workload script prints.
func parseKV(out string) (map[string]float64, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	kv := map[string]float64{}
	for _, f := range strings.Fields(lines[len(lines)-1]) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("workload printed %q", out)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("workload printed %q: %w", out, err)
		}
		kv[k] = x
	}
	return kv, nil
}

// runScript runs a Python workload and parses what it prints.
func runScript(python string, args ...string) (map[string]float64, error) {
	out, err := exec.Command(python, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return parseKV(string(out))
}

func hostPort(addr string) (string, string) {
	h, p, _ := net.SplitHostPort(addr)
	return h, p
}

// imapWorkload runs imap_workload.py: with all phases, or the APPEND phase
// alone with Nagle's algorithm left on.
func imapWorkload(python, script, addr, mailbox string, n int, nagle bool) (map[string]float64, error) {
	h, p := hostPort(addr)
	nodelay, phases := "1", "all"
	if nagle {
		nodelay, phases = "0", "append"
	}
	kv, err := runScript(python, script, h, p, benchUser, benchPass, mailbox, strconv.Itoa(n), nodelay, phases)
	if err != nil {
		return nil, err
	}
	if int(kv["messages"]) != n {
		return nil, fmt.Errorf("imap workload appended %v messages, not %d", kv["messages"], n)
	}
	delete(kv, "messages")
	return kv, nil
}

// pop3Workload runs pop3_workload.py and returns its wall time.
func pop3Workload(python, script, addr string, n int) (float64, error) {
	h, p := hostPort(addr)
	kv, err := runScript(python, script, h, p, benchUser, benchPass)
	if err != nil {
		return 0, err
	}
	if int(kv["messages"]) != n {
		return 0, fmt.Errorf("pop3 workload retrieved %v messages, not %d", kv["messages"], n)
	}
	return kv["seconds"], nil
}

// loginStorm has clients connect, LOGIN, LOGOUT and close, over and over,
// for d, and returns the completed cycles per second. The client is Go, so
// that the servers, not the client, are what the row measures.
func loginStorm(addr string, clients int, d time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var cycles atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if err := loginstorm.Cycle(addr, fmt.Sprintf("c%di%d", c, i), benchUser, benchPass); err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				cycles.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("login storm: %w", err)
	}
	return float64(cycles.Load()) / elapsed.Seconds(), nil
}

// dnsperfResult is what one dnsperf run reported.
type dnsperfResult struct {
	qps     float64
	lost    int
	noerror string // the NOERROR share dnsperf printed, e.g. "100.00%"
	output  string
}

// dnsperf runs dnsperf over UDP against addr: for seconds if seconds > 0,
// else once through the query file.
func dnsperf(bin, addr, queries string, seconds int, clients, outstanding int) (dnsperfResult, error) {
	h, p := hostPort(addr)
	args := []string{"-s", h, "-p", p, "-d", queries, "-c", strconv.Itoa(clients), "-q", strconv.Itoa(outstanding)}
	if seconds > 0 {
		args = append(args, "-l", strconv.Itoa(seconds))
	} else {
		args = append(args, "-n", "1")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	res := dnsperfResult{output: string(out)}
	if err != nil {
		return res, fmt.Errorf("dnsperf: %w\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "Queries per second:"); ok {
			res.qps, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		if v, ok := strings.CutPrefix(line, "Queries lost:"); ok {
			fmt.Sscan(strings.TrimSpace(v), &res.lost)
		}
		if v, ok := strings.CutPrefix(line, "Response codes:"); ok {
			for _, part := range strings.Split(v, ",") {
				if f := strings.Fields(part); len(f) >= 3 && f[0] == "NOERROR" {
					res.noerror = strings.Trim(f[2], "()")
				}
			}
		}
	}
	if res.qps == 0 {
		return res, fmt.Errorf("dnsperf printed no rate:\n%s", out)
	}
	return res, nil
}

// resolveEach asks addr for each name's A record, one query at a time, and
// returns the mean wall time per name. Every answer must be NOERROR with
// an address.
func resolveEach(addr string, names []string) (time.Duration, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, 65535)
	start := time.Now()
	for i, name := range names {
		q := new(mdns.Msg)
		q.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
		q.Id = uint16(i + 1)
		wire, err := q.Pack()
		if err != nil {
			return 0, err
		}
		var reply *mdns.Msg
		for try := 0; try < 3 && reply == nil; try++ {
			if _, err := c.Write(wire); err != nil {
				return 0, err
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				n, err := c.Read(buf)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				if err != nil {
					return 0, err
				}
				m := new(mdns.Msg)
				if m.Unpack(buf[:n]) == nil && m.Id == q.Id {
					reply = m
					break
				}
			}
		}
		if reply == nil {
			return 0, fmt.Errorf("%s: no answer", name)
		}
		if reply.Rcode != mdns.RcodeSuccess || len(reply.Answer) == 0 {
			return 0, fmt.Errorf("%s: %s with %d answers", name, mdns.RcodeToString[reply.Rcode], len(reply.Answer))
		}
	}
	return time.Since(start) / time.Duration(len(names)), nil
}
