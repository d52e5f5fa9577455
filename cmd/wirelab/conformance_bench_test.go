package main

import (
	"testing"
	"time"

	"github.com/wirelab/wirelab/conformance"
)

// BenchmarkConformanceLive replays the built-in corpus's POP3 and IMAP
// transcripts against wirelab serve over loopback sockets and reports
// transcripts per second, to set beside conformance's BenchmarkCorpusEngine.
// A live server keeps what transcripts change, so only those that pass when
// run a second time on the same server are timed; they are listed in the
// "transcripts" metric.
func BenchmarkConformanceLive(b *testing.B) {
	srv := startServe(b)
	ts, err := conformance.LoadDir(conformance.Corpus, "testdata")
	if err != nil {
		b.Fatal(err)
	}
	type job struct {
		tr  *conformance.Transcript
		tgt conformance.Target
	}
	var jobs []job
	for _, tr := range ts {
		if tr.World != nil || (tr.Protocol != conformance.POP3 && tr.Protocol != conformance.IMAP) {
			continue
		}
		tgt, err := newLiveTarget(tr.Protocol + "://" + srv.addrs[tr.Protocol])
		if err != nil {
			b.Fatal(err)
		}
		// Three passes in a row on the same server show the transcript can
		// be repeated; failed logins are delayed by design and would time
		// the delay, so slow ones are left out.
		repeatable := true
		for range 3 {
			if r := conformance.Run(tr, tgt, time.Now); r.Status != conformance.Pass || r.Duration > time.Second {
				repeatable = false
				break
			}
		}
		if repeatable {
			jobs = append(jobs, job{tr, tgt})
		}
	}
	if len(jobs) == 0 {
		b.Fatal("no transcript of the corpus can be replayed twice on one live server")
	}
	start := time.Now()
	for b.Loop() {
		for _, j := range jobs {
			if r := conformance.Run(j.tr, j.tgt, time.Now); r.Status != conformance.Pass {
				b.Fatalf("%s:%d: %s: %s", r.File, r.Line, r.Status, r.Message)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(jobs))/time.Since(start).Seconds(), "transcripts/s")
	b.ReportMetric(float64(len(jobs)), "transcripts")
}
