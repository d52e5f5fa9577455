package conformance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wirelab/wirelab/conformance"
)

// TestCorpus replays every built-in transcript against the engine, one
// subtest each, so `go test ./conformance/...` covers the corpus.
func TestCorpus(t *testing.T) {
	ts, err := conformance.LoadDir(conformance.Corpus, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < 5 {
		t.Fatalf("the corpus has %d transcripts; an empty corpus tests nothing", len(ts))
	}
	for _, tr := range ts {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(tr.File, "testdata/"), ".txtar"), func(t *testing.T) {
			t.Parallel()
			r := conformance.Run(tr, conformance.Engine{}, time.Now)
			switch r.Status {
			case conformance.Pass, conformance.XFail:
			case conformance.Skip:
				t.Skip(r.Message)
			default:
				t.Errorf("%s:%d: %s: %s\n%s\nexchange:\n%s", r.File, r.Line, r.Status, r.Message, r.Diff, strings.Join(r.Lines, "\n"))
			}
		})
	}
}
