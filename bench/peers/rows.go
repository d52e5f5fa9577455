package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// progress tells the person waiting what is running.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// imapPhases are the IMAP rows, in the order the workload runs them.
var imapPhases = []struct{ key, label string }{
	{"append", "IMAP APPEND %d"},
	{"select", "IMAP SELECT (%d)"},
	{"fetch_flags", "IMAP FETCH 1:* (FLAGS RFC822.SIZE) (%d)"},
	{"fetch_body", "IMAP FETCH 1:* (BODY.PEEK[]) (%d)"},
	{"search_all", "IMAP SEARCH ALL (%d)"},
	{"search_subject", "IMAP SEARCH SUBJECT (%d)"},
	{"search_body", "IMAP SEARCH BODY (%d)"},
	{"search_unseen", "IMAP SEARCH UNSEEN (%d)"},
}

// mailRows starts wirelab on disk and in memory, Dovecot and go-imap's
// in-memory server once, and runs the IMAP, Nagle, POP3 and login-storm
// rows against them, interleaved.
func mailRows(c config, t tools, work string, res *results) error {
	dir := filepath.Join(work, "mail")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	progress("writing %d messages for wirelab and Dovecot", c.messages)
	worldPath := filepath.Join(dir, "world.txtar")
	if err := writeMailWorld(worldPath, c.messages); err != nil {
		return err
	}
	dovecotDir := filepath.Join(dir, "dovecot")
	if err := writeDovecotMail(dovecotDir, c.messages); err != nil {
		return err
	}
	progress("starting wirelab (disk and memory), Dovecot, imapmemserver")
	disk, err := startWirelab(wlDisk, t.wirelab, "--world", worldPath, "--data", filepath.Join(dir, "wirelab-data"), "--dns", "")
	if err != nil {
		return err
	}
	defer disk.stop()
	mem, err := startWirelab(wlMem, t.wirelab, "--world", worldPath, "--dns", "")
	if err != nil {
		return err
	}
	defer mem.stop()
	dc, err := startDovecot(t.dovecot, dovecotDir)
	if err != nil {
		return err
	}
	defer dc.proc.stop()
	im, err := startIMAPMem(t.imapmem)
	if err != nil {
		return err
	}
	defer im.proc.stop()
	imapServers := []*mailServer{
		{name: wlDisk, imap: disk.addrs["imap"], pop3: disk.addrs["pop3"]},
		{name: dovecot, imap: dc.imap, pop3: dc.pop3},
		{name: wlMem, imap: mem.addrs["imap"], pop3: mem.addrs["pop3"]},
		{name: imapMem, imap: im.imap},
	}
	imapScript := "bench/peers/imap_workload.py"
	pairs := [][2]string{{wlDisk, dovecot}, {wlMem, imapMem}}

	if c.only["imap"] {
		for _, ph := range imapPhases {
			res.define(&metric{key: "imap/" + ph.key, label: fmt.Sprintf(ph.label, c.messages), unit: "s", pairs: pairs})
		}
		for run := 1; run <= c.runs; run++ {
			for _, s := range imapServers {
				progress("IMAP run %d/%d: %s", run, c.runs, s.name)
				kv, err := imapWorkload(t.python, imapScript, s.imap, fmt.Sprintf("Run%d", run), c.messages, false)
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				for _, ph := range imapPhases {
					res.add("imap/"+ph.key, s.name, kv[ph.key])
				}
			}
		}
	}
	if c.only["nagle"] {
		res.define(&metric{key: "nagle", label: fmt.Sprintf("IMAP APPEND %d, Nagle on", c.nagleMessages), unit: "s", pairs: pairs})
		for run := 1; run <= c.runs; run++ {
			for _, s := range imapServers {
				progress("IMAP APPEND with Nagle, run %d/%d: %s", run, c.runs, s.name)
				kv, err := imapWorkload(t.python, imapScript, s.imap, fmt.Sprintf("Nagle%d", run), c.nagleMessages, true)
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				res.add("nagle", s.name, kv["append"])
			}
		}
	}
	if c.only["pop3"] {
		res.define(&metric{key: "pop3", label: fmt.Sprintf("POP3 STAT, UIDL, RETR %d", c.messages), unit: "s", pairs: [][2]string{{wlDisk, dovecot}}})
		pop3Servers := imapServers[:2]
		for run := 0; run <= c.runs; run++ {
			for _, s := range pop3Servers {
				progress("POP3 run %d/%d (0 is the warm-up): %s", run, c.runs, s.name)
				secs, err := pop3Workload(t.python, "bench/peers/pop3_workload.py", s.pop3, c.messages)
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				if run > 0 {
					res.add("pop3", s.name, secs)
				}
			}
		}
	}
	if c.only["storm"] {
		res.define(&metric{key: "storm", label: fmt.Sprintf("IMAP login storm, %d clients", c.stormClients), unit: "logins/s", higher: true, pairs: pairs})
		d := time.Duration(c.stormSeconds * float64(time.Second))
		for run := 1; run <= c.runs; run++ {
			for _, s := range imapServers {
				progress("login storm run %d/%d: %s", run, c.runs, s.name)
				rate, err := loginStorm(s.imap, c.stormClients, d)
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				res.add("storm", s.name, rate)
			}
		}
	}
	return nil
}

// dnsHitRows measures cache hits: Unbound with one and two threads warmed
// through wirelab serve --expose-dns, which is then stopped, against
// wirelab's local DNS server warmed the same way.
func dnsHitRows(c config, t tools, work string, res *results) error {
	dir := filepath.Join(work, "dns")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	worldPath := filepath.Join(dir, "world.txtar")
	if err := writeDNSWorld(worldPath, c.hitNames, c.coldNames); err != nil {
		return err
	}
	queries := filepath.Join(dir, "queries")
	var q strings.Builder
	for _, n := range hitNames(c.hitNames) {
		fmt.Fprintf(&q, "%s A\n", n)
	}
	if err := os.WriteFile(queries, []byte(q.String()), 0o644); err != nil {
		return err
	}
	res.define(&metric{key: "dns", label: fmt.Sprintf("DNS cache hits, %d names", c.hitNames), unit: "queries/s", higher: true,
		pairs: [][2]string{{wlDNS, unbound1}, {wlDNS, unbound2}}})

	type resolverUnderTest struct {
		name string
		addr string
	}
	var under []resolverUnderTest
	warm := func(name, addr string) error {
		for pass := range 2 {
			r, err := dnsperf(t.dnsperf, addr, queries, 0, 1, 20)
			if err != nil {
				return fmt.Errorf("%s warm-up: %w", name, err)
			}
			if pass == 1 && (r.lost != 0 || r.noerror != "100.00%") {
				return fmt.Errorf("%s warm-up: lost %d, NOERROR %s:\n%s", name, r.lost, r.noerror, r.output)
			}
		}
		return nil
	}

	progress("starting wirelab's local DNS server")
	wl, err := startWirelab(wlDNS, t.wirelab, append([]string{"--world", worldPath, "--dns", "127.0.0.1:0"}, minimalResponses(t.wirelab)...)...)
	if err != nil {
		return err
	}
	defer wl.stop()
	if err := warm(wlDNS, wl.addrs["dns"]); err != nil {
		return err
	}
	under = append(under, resolverUnderTest{wlDNS, wl.addrs["dns"]})

	if os.Geteuid() != 0 {
		res.note("Unbound rows skipped: wirelab serve --expose-dns binds port 53 and needs root")
	} else {
		progress("starting the authoritative side (--expose-dns) and Unbound with 1 and 2 threads")
		hints := filepath.Join(dir, "root.hints")
		auth, err := startWirelab("authoritative side", t.wirelab, "--world", worldPath, "--dns", "127.0.0.1:0", "--expose-dns", "--root-hints", hints)
		if err != nil {
			return err
		}
		defer auth.stop()
		for _, th := range []struct {
			name    string
			threads int
		}{{unbound1, 1}, {unbound2, 2}} {
			p, addr, err := startUnbound(t.unbound, filepath.Join(dir, fmt.Sprintf("unbound%d", th.threads)), hints, th.threads)
			if err != nil {
				return err
			}
			defer p.stop()
			if err := warm(th.name, addr); err != nil {
				return err
			}
			under = append(under, resolverUnderTest{th.name, addr})
		}
		// From here on, every answer Unbound gives comes from its cache.
		auth.stop()
	}

	before, err := wl.authoritativeQueries()
	if err != nil {
		return err
	}
	for run := 1; run <= c.runs; run++ {
		for _, u := range under {
			progress("dnsperf run %d/%d: %s", run, c.runs, u.name)
			r, err := dnsperf(t.dnsperf, u.addr, queries, c.dnsSeconds, 4, 100)
			if err != nil {
				return fmt.Errorf("%s: %w", u.name, err)
			}
			if r.lost != 0 || r.noerror != "100.00%" {
				res.note("dnsperf run %d against %s: %d queries lost, NOERROR %s", run, u.name, r.lost, r.noerror)
			}
			res.add("dns", u.name, r.qps)
		}
	}
	after, err := wl.authoritativeQueries()
	if err != nil {
		return err
	}
	if after != before {
		res.note("wirelab's world servers answered %d queries during the cache-hit runs: not every answer came from the cache", after-before)
	}
	return nil
}

// coldRows resolves never-seen names through freshly started resolvers,
// interleaved: wirelab, Unbound, wirelab, Unbound, ...
func coldRows(c config, t tools, work string, res *results) error {
	dir := filepath.Join(work, "cold")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	worldPath := filepath.Join(dir, "world.txtar")
	if err := writeDNSWorld(worldPath, 3, c.coldNames); err != nil {
		return err
	}
	names := coldNames(c.coldNames)
	pairs := [][2]string{{wlDNS, unbound1}}
	res.define(&metric{key: "cold/time", label: fmt.Sprintf("DNS cold resolution, %d names", c.coldNames), unit: "ms/name", pairs: pairs})
	res.define(&metric{key: "cold/upstream", label: "DNS cold resolution", unit: "upstream queries/name", pairs: pairs})
	prime := []string{"ns.nic.test"} // primes the root and the TLD

	measure := func(name, addr string, counter *wirelabProc) error {
		if _, err := resolveEach(addr, prime); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		before, err := counter.authoritativeQueries()
		if err != nil {
			return err
		}
		per, err := resolveEach(addr, names)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		after, err := counter.authoritativeQueries()
		if err != nil {
			return err
		}
		res.add("cold/time", name, per.Seconds()*1000)
		res.add("cold/upstream", name, float64(after-before)/float64(len(names)))
		return nil
	}
	for run := 1; run <= c.runs; run++ {
		progress("cold resolution run %d/%d: %s", run, c.runs, wlDNS)
		wl, err := startWirelab(wlDNS, t.wirelab, append([]string{"--world", worldPath, "--dns", "127.0.0.1:0"}, minimalResponses(t.wirelab)...)...)
		if err != nil {
			return err
		}
		err = measure(wlDNS, wl.addrs["dns"], wl)
		wl.stop()
		if err != nil {
			return err
		}
		if os.Geteuid() != 0 {
			if run == 1 {
				res.note("Unbound cold rows skipped: wirelab serve --expose-dns binds port 53 and needs root")
			}
			continue
		}
		progress("cold resolution run %d/%d: %s", run, c.runs, unbound1)
		hints := filepath.Join(dir, "root.hints")
		auth, err := startWirelab("authoritative side", t.wirelab, "--world", worldPath, "--dns", "127.0.0.1:0", "--expose-dns", "--root-hints", hints)
		if err != nil {
			return err
		}
		p, addr, err := startUnbound(t.unbound, filepath.Join(dir, fmt.Sprintf("unbound-run%d", run)), hints, 1)
		if err != nil {
			auth.stop()
			return err
		}
		err = measure(unbound1, addr, auth)
		p.stop()
		auth.stop()
		if err != nil {
			return err
		}
	}
	return nil
}
