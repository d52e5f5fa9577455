package conformance_test

import (
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/conformance"
)

// TestRPLCorpus replays the sample of Unbound's scenarios in
// testdata/rpl: each passes, or fails or is skipped exactly as the
// EXPECTED file beside them says, at the line it names.
func TestRPLCorpus(t *testing.T) {
	const dir = "testdata/rpl"
	exp, err := conformance.ReadExpected(conformance.Corpus, dir)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := conformance.LoadDir(conformance.Corpus, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < 10 {
		t.Fatalf("%s holds %d scenarios; the sample has 14", dir, len(ts))
	}
	// The scenarios are Unbound's, under its BSD licence, which must
	// travel with them.
	if lic, err := fs.ReadFile(conformance.Corpus, dir+"/LICENSE"); err != nil || !strings.Contains(string(lic), "NLnet Labs") {
		t.Errorf("%s/LICENSE: %v; the BSD notice must stay with the scenarios", dir, err)
	}
	seen := map[string]bool{}
	for _, tr := range ts {
		name := path.Base(tr.File)
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".rpl"), func(t *testing.T) {
			t.Parallel()
			if tr.Protocol != conformance.RPL {
				t.Fatalf("%s: protocol %q, want %q", tr.File, tr.Protocol, conformance.RPL)
			}
			r := conformance.Run(tr, conformance.Engine{}, time.Now)
			type verdict struct {
				Status conformance.Status
				Line   int
			}
			want := verdict{conformance.Pass, 0}
			if e, ok := exp[name]; ok {
				want = verdict{e.Status, e.Line}
			}
			got := verdict{r.Status, r.Line}
			if got.Status == conformance.Pass {
				got.Line = 0
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s\n%s\n%s\nlog:\n%s", tr.File, diff, r.Message, r.Diff, strings.Join(r.Lines, "\n"))
			}
		})
	}
	for name := range exp {
		if !seen[name] {
			t.Errorf("%s/EXPECTED lists %s, which is not there", dir, name)
		}
	}
}

func TestReadExpectedErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"short line", "a.rpl xfail 3\n", "EXPECTED:1: want FILE STATUS LINE REASON"},
		{"bad line", "# comment\na.rpl xfail x why\n", `EXPECTED:2: bad line number "x"`},
		{"bad status", "a.rpl fail 3 why\n", `EXPECTED:1: status "fail" is not xfail or skip`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"d/EXPECTED": {Data: []byte(tc.text)}}
			_, err := conformance.ReadExpected(fsys, "d")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadExpected error = %v, want %q", err, tc.want)
			}
		})
	}
}
