package conformance_test

import (
	"testing"
	"time"

	"github.com/wirelab/wirelab/conformance"
)

// BenchmarkCorpusEngine replays the whole built-in corpus against the
// engine, one transcript after another, and reports transcripts per second.
func BenchmarkCorpusEngine(b *testing.B) {
	ts, err := conformance.LoadDir(conformance.Corpus, "testdata")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		for _, tr := range ts {
			if r := conformance.Run(tr, conformance.Engine{}, time.Now); r.Failed() {
				b.Fatalf("%s:%d: %s: %s", r.File, r.Line, r.Status, r.Message)
			}
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*len(ts))/elapsed.Seconds(), "transcripts/s")
	b.ReportMetric(float64(len(ts)), "transcripts")
}
