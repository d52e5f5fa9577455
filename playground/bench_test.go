package playground

import (
	"encoding/json"
	"strings"
	"testing"
)

// The engine's speed through the JSON API, the path the browser takes:
// cmd/wirelab's BenchmarkPlaygroundEngine runs the same calls inside
// headless Chromium, so the two can be compared.

// mustCall runs a method and fails the benchmark on an error result.
func mustCall(b *testing.B, l *Lab, method, params string) []byte {
	out, _ := l.Call(method, []byte(params))
	var e errorResult
	if json.Unmarshal(out, &e) == nil && e.Error != "" {
		b.Fatalf("%s(%s): %s", method, params, e.Error)
	}
	return out
}

// BenchmarkDNSColdLookup resolves www.example.com iterated with the local
// server's cache emptied first: every lookup walks root, TLD and the
// authoritative servers.
func BenchmarkDNSColdLookup(b *testing.B) {
	l, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		mustCall(b, l, "flushCache", "")
		out := mustCall(b, l, "resolve", `{"name": "www.example.com", "type": "A", "mode": "iterated"}`)
		if !strings.Contains(string(out), `"rcode":"NOERROR"`) {
			b.Fatalf("resolve: %s", out)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkPOP3Session runs one POP3 session per iteration: log in, STAT,
// RETR the first message, QUIT (nothing deleted, so every session sees the
// same maildrop).
func BenchmarkPOP3Session(b *testing.B) {
	l, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var open OpenResult
		if err := json.Unmarshal(mustCall(b, l, "openSession", `{"proto": "pop3", "device": "bench"}`), &open); err != nil {
			b.Fatal(err)
		}
		id, _ := json.Marshal(open.Session)
		out := mustCall(b, l, "feed", `{"session": `+string(id)+`, "data": "USER alice\r\nPASS wonderland\r\nSTAT\r\nRETR 1\r\nQUIT\r\n"}`)
		if !strings.Contains(string(out), "signing off") {
			b.Fatalf("feed: %.300s", out)
		}
		mustCall(b, l, "closeSession", `{"session": `+string(id)+`}`)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}
