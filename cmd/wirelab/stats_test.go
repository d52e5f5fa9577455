package main

import (
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

var dnsStatsLine = regexp.MustCompile(`msg="dns stats" authoritative_queries=(\d+)`)

// TestServeLogsDNSStats: on SIGUSR1 serve logs how many queries the
// world's authoritative servers have answered. A first lookup of a name
// costs some; asking again is answered from the local server's cache and
// costs none.
func TestServeLogsDNSStats(t *testing.T) {
	srv := startServe(t)
	stats := func() int {
		t.Helper()
		before := len(dnsStatsLine.FindAllString(srv.stderr.String(), -1))
		if err := srv.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if all := dnsStatsLine.FindAllStringSubmatch(srv.stderr.String(), -1); len(all) > before {
				n, _ := strconv.Atoi(all[len(all)-1][1])
				return n
			}
		}
		t.Fatalf("no dns stats logged after SIGUSR1; stderr:\n%s", srv.stderr)
		return 0
	}
	ask := func() {
		t.Helper()
		q := new(mdns.Msg)
		q.SetQuestion("www.example.com.", mdns.TypeA)
		c := &mdns.Client{Timeout: 5 * time.Second}
		r, _, err := c.Exchange(q, srv.addrs["dns"])
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != mdns.RcodeSuccess || len(r.Answer) == 0 {
			t.Fatalf("www.example.com: %s", r)
		}
	}
	start := stats()
	ask()
	cold := stats()
	if cold <= start {
		t.Errorf("a first lookup cost no upstream queries: %d, then %d", start, cold)
	}
	ask()
	if warm := stats(); warm != cold {
		t.Errorf("a cached lookup cost %d upstream queries", warm-cold)
	}
}
