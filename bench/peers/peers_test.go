package main

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/world"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestAdvantage(t *testing.T) {
	for _, tc := range []struct {
		wl, peer float64
		higher   bool
		want     float64
	}{
		{2, 8, false, 4},    // wirelab takes a quarter of the time
		{8, 2, false, 0.25}, // wirelab takes four times as long
		{300, 100, true, 3}, // wirelab answers three times the rate
		{100, 300, true, 1.0 / 3},
		{2, 2, false, 1},
		{0, 0, false, 1},
	} {
		if got := advantage(tc.wl, tc.peer, tc.higher); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("advantage(%v, %v, %v) = %v, want %v", tc.wl, tc.peer, tc.higher, got, tc.want)
		}
	}
	if !math.IsNaN(advantage(math.NaN(), 1, false)) {
		t.Error("a missing median gives an advantage")
	}
}

func TestParseKV(t *testing.T) {
	got, err := parseKV("noise\nmessages=3 append=1.5 select=0.25\n")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]float64{"messages": 3, "append": 1.5, "select": 0.25}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"messages", "append=fast"} {
		if _, err := parseKV(bad); err == nil {
			t.Errorf("parseKV(%q) accepted", bad)
		}
	}
}

// sampleResults has one row wirelab wins and one it loses.
func sampleResults() *results {
	r := newResults()
	r.define(&metric{key: "t", label: "time row", unit: "s", pairs: [][2]string{{"wl", "peer"}}})
	r.define(&metric{key: "q", label: "rate row", unit: "q/s", higher: true, pairs: [][2]string{{"wl", "peer"}}})
	for _, v := range []float64{1, 2, 3} {
		r.add("t", "wl", v)
		r.add("t", "peer", 4*v)
		r.add("q", "wl", 100*v)
		r.add("q", "peer", 200*v)
	}
	return r
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	sampleResults().writeTable(&b)
	want := `| Workload | Unit | wirelab | median | Peer | median | wirelab's advantage |
|---|---|---|---:|---|---:|---:|
| time row | s (lower is better) | wl | 2.00 | peer | 8.00 | 4.00× |
| rate row | q/s (higher is better) | wl | 200.0 | peer | 400.0 | 0.50× (loses) |
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWriteMarkdownKeepsProse: a second run replaces only the generated
// part, keeping what was written around it.
func TestWriteMarkdownKeepsProse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	h := header{date: "2026-01-01 00:00 UTC", cpu: "test cpu", cpus: 2, runs: 3}
	r := sampleResults()
	if err := r.writeMarkdown(path, h); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	edited := "# Title\n\nIntro by hand.\n\n" + string(first[strings.Index(string(first), markBegin):]) + "\n## Analysis\n\nBy hand.\n"
	os.WriteFile(path, []byte(edited), 0o644)
	h.date = "2026-02-02 00:00 UTC"
	if err := r.writeMarkdown(path, h); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	s := string(second)
	for _, want := range []string{"Intro by hand.", "## Analysis\n\nBy hand.\n", "2026-02-02", "| time row |"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "2026-01-01") || strings.Count(s, markBegin) != 1 {
		t.Errorf("old generated part kept:\n%s", s)
	}
}

// TestWriteSVG: the chart is well-formed XML with one bar per comparison,
// green for a win and red for a loss.
func TestWriteSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.svg")
	if err := sampleResults().writeSVG(path, header{date: "d", cpus: 2, runs: 3}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rects []struct {
			Fill string `xml:"fill,attr"`
		} `xml:"rect"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	var fills []string
	for _, r := range doc.Rects[1:] { // the first is the background
		fills = append(fills, r.Fill)
	}
	if diff := cmp.Diff([]string{"#2a9d4b", "#d1495b"}, fills); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
}

// TestDNSWorldResolves: the world every resolver is benchmarked on builds,
// and its cache-hit names (addresses and CNAMEs) and cold names resolve
// through the three levels.
func TestDNSWorldResolves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dns.txtar")
	if err := writeDNSWorld(path, 6, 3); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := world.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Build(w, lab.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, name := range append(hitNames(6), coldNames(3)...) {
		res, err := l.Resolve("client", name, mdns.TypeA, resolver.Iterated)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d", name, mdns.RcodeToString[res.Rcode], len(res.Answer)))
	}
	want := []string{
		"host0.hits.test NOERROR 3", "host1.hits.test NOERROR 3", "alias2.hits.test NOERROR 4",
		"host3.hits.test NOERROR 3", "host4.hits.test NOERROR 3", "alias5.hits.test NOERROR 4",
		"www.cold0.test NOERROR 1", "www.cold1.test NOERROR 1", "www.cold2.test NOERROR 1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// TestMailWorld: the POP3 maildrop wirelab loads holds the same messages
// the Dovecot Maildir does.
func TestMailWorld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.txtar")
	if err := writeMailWorld(path, 5); err != nil {
		t.Fatal(err)
	}
	if err := writeDovecotMail(dir, 5); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	w, err := world.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	var fromWorld, fromMaildir []string
	for _, m := range w.Mailboxes[benchUser][0].Messages {
		fromWorld = append(fromWorld, strings.ReplaceAll(string(m.Raw), "\r\n", "\n"))
	}
	entries, err := os.ReadDir(filepath.Join(dir, "mail", benchUser, "cur"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, "mail", benchUser, "cur", e.Name()))
		fromMaildir = append(fromMaildir, string(b))
	}
	slices.Sort(fromWorld)
	slices.Sort(fromMaildir)
	if diff := cmp.Diff(fromWorld, fromMaildir); diff != "" {
		t.Errorf("wirelab's and Dovecot's maildrops differ (-wirelab +dovecot):\n%s", diff)
	}
}

// TestServeHas reads wirelab serve's flags from its usage text, value
// flags and switches alike.
func TestServeHas(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "wirelab")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/wirelab").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for flag, want := range map[string]bool{"http": true, "minimal-responses": true, "minimal": false, "no-such-flag": false} {
		if got := serveHas(bin, flag); got != want {
			t.Errorf("serveHas(%q) = %v, want %v", flag, got, want)
		}
	}
}
