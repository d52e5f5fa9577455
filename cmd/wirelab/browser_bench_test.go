package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Benchmarks of the playground as a browser gets it (make bench): what it
// transfers, how soon the terminal is usable, and the engine's speed inside
// Chromium (compare playground's BenchmarkDNSColdLookup and
// BenchmarkPOP3Session, the same calls natively).

// BenchmarkPlaygroundSize reports the built site's sizes: main.wasm raw,
// gzip and brotli, and every file the page can load, as a browser that
// accepts each encoding transfers them.
func BenchmarkPlaygroundSize(b *testing.B) {
	needPlayground(b)
	s, err := newSite(webFS, "web")
	if err != nil {
		b.Fatal(err)
	}
	wasm := s.assets["main.wasm"]
	for b.Loop() {
		s.totalSize("br")
	}
	b.ReportMetric(float64(len(wasm.pick("").data)), "wasm-B")
	b.ReportMetric(float64(len(wasm.pick("gzip").data)), "wasm-gzip-B")
	b.ReportMetric(float64(len(wasm.pick("br").data)), "wasm-br-B")
	b.ReportMetric(float64(s.totalSize("")), "site-B")
	b.ReportMetric(float64(s.totalSize("gzip")), "site-gzip-B")
	b.ReportMetric(float64(s.totalSize("br")), "site-br-B")
}

// loadSamples is how many navigations each load benchmark takes the
// median of.
const loadSamples = 5

// timeToReady navigates and returns the time until the page says it is
// interactive (body[data-ready]), and the bytes the browser received for
// the page and everything it loaded.
func timeToReady(b *browser, url string) (time.Duration, int) {
	b.t.Helper()
	start := time.Now()
	b.run("load", chromedp.Navigate(url), chromedp.Poll[chromedp.Void](`document.body?.dataset.ready === "true"`,
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	elapsed := time.Since(start)
	// transferSize: what came over the network, headers included; a
	// revalidated file (304) costs only its headers.
	bytes := eval[int](b, `performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).reduce((n, e) => n + e.transferSize, 0)`)
	return elapsed, bytes
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPlaygroundLoad measures navigation to an interactive terminal
// in headless Chromium. cold: a fresh profile each time (no HTTP cache, no
// compiled-code cache, nothing in IndexedDB); warm: reloads in one
// profile, where the ETags turn the downloads into 304s and Chromium
// reuses the compiled engine.
func BenchmarkPlaygroundLoad(b *testing.B) {
	exe := chromiumPath(b)
	needPlayground(b)
	srv := startServe(b)
	url := "http://" + srv.addrs["http"] + "/"
	b.Run("cold", func(b *testing.B) {
		var times []time.Duration
		var transfer int
		for b.Loop() {
			for range loadSamples {
				br := newBrowser(b, exe, url)
				d, n := timeToReady(br, url)
				br.close()
				times = append(times, d)
				transfer = n
			}
		}
		b.ReportMetric(float64(median(times).Milliseconds()), "median-ms")
		b.ReportMetric(float64(transfer), "transfer-B")
	})
	b.Run("warm", func(b *testing.B) {
		br := newBrowser(b, exe, url)
		timeToReady(br, url)
		var times []time.Duration
		var transfer int
		for b.Loop() {
			for range loadSamples {
				d, n := timeToReady(br, url)
				times = append(times, d)
				transfer = n
			}
		}
		b.ReportMetric(float64(median(times).Milliseconds()), "median-ms")
		b.ReportMetric(float64(transfer), "transfer-B")
	})
}

// BenchmarkPlaygroundEngine runs the engine's calls from JavaScript for
// two seconds each, after a second of warm-up, and reports their rate.
func BenchmarkPlaygroundEngine(b *testing.B) {
	exe := chromiumPath(b)
	needPlayground(b)
	srv := startServe(b)
	url := "http://" + srv.addrs["http"] + "/"
	br := newBrowser(b, exe, url)
	br.open(url)
	loop := func(body string) string {
		return fmt.Sprintf(`(() => {
			const call = (m, p) => { const r = JSON.parse(wirelab[m](p)); if (r.error) throw new Error(m + ": " + r.error); return r; };
			const rate = (ms) => {
				const t0 = performance.now();
				let n = 0;
				while (performance.now() - t0 < ms) { %s; n++; }
				return n / ((performance.now() - t0) / 1000);
			};
			rate(1000); // let V8 tier the engine up from its baseline compiler
			return rate(2000);
		})()`, body)
	}
	tests := []struct{ name, body, unit string }{
		{"dns-cold", `call("flushCache"); call("resolve", {name: "www.example.com", type: "A", mode: "iterated"})`, "lookups/s"},
		{"pop3-session", `const s = call("openSession", {proto: "pop3", device: "bench"}).session;
			if (!call("feed", {session: s, data: "USER alice\r\nPASS wonderland\r\nSTAT\r\nRETR 1\r\nQUIT\r\n"}).output.data.includes("signing off")) throw new Error("no QUIT");
			call("closeSession", {session: s})`, "sessions/s"},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			var rate float64
			for b.Loop() {
				rate = eval[float64](br, loop(tt.body))
			}
			b.ReportMetric(rate, tt.unit)
		})
	}
}
