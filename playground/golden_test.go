package playground_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/playground"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the calls' results")

// call is one step of a golden scenario: a method and its parameters, as
// the browser sends them.
type call struct{ method, params string }

// goldenScenarios are replays whose every result, byte for byte, is kept in
// testdata/<name>.golden. `make test-js` runs this test compiled to
// WebAssembly too, so the traces the browser gets are the ones a native
// build gives.
var goldenScenarios = []struct {
	name  string
	calls []call
}{
	{"dns", []call{
		{"resolve", `{"name":"www.example.com"}`},
		{"resolve", `{"name":"www.example.com","from":"phone"}`},
		{"resolve", `{"name":"example.com","type":"MX","mode":"recursive","from":"lab-pc"}`},
		{"advance", `{"duration":"31s"}`},
		{"cache", `{"server":"laptop"}`},
		{"updateRecord", `{"zone":"example.com","remove":["news 30 IN A 198.51.100.90"],"add":["news 30 IN A 198.51.100.91"]}`},
		{"resolve", `{"name":"news.example.com","from":"lab-pc"}`},
		{"servers", ``},
	}},
	{"mail", []call{
		{"openSession", `{"proto":"pop3","device":"laptop"}`},
		{"feed", `{"session":1,"data":"USER bob\r\nPASS builder\r\nLIST\r\nUIDL\r\nTOP 2 0\r\n"}`},
		{"feed", `{"session":1,"data":"DELE 1\r\nQUIT\r\n"}`},
		{"openSession", `{"proto":"imap","device":"phone"}`},
		{"feed", `{"session":2,"data":"a1 LOGIN bob builder\r\na2 SELECT INBOX\r\na3 UID STORE 2 +FLAGS (\\Seen)\r\na4 UID FETCH 1:* (FLAGS RFC822.SIZE)\r\n"}`},
		{"state", ``},
		{"closeSession", `{"session":2}`},
	}},
}

func TestGolden(t *testing.T) {
	for _, sc := range goldenScenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := replay(t, sc.calls)
			if again := replay(t, sc.calls); again != got {
				t.Fatal("two replays in one process differ")
			}
			file := filepath.Join("testdata", sc.name+".golden")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				saved := filepath.Join(t.ArtifactDir(), sc.name+".golden")
				os.WriteFile(saved, []byte(got), 0o644)
				t.Errorf("%s differs (-want +got), output saved in %s:\n%s", file, saved, diff)
			}
		})
	}
}

// replay runs calls on a fresh lab and returns each call and its result,
// indented so that a diff points at the field that changed.
func replay(t *testing.T, calls []call) string {
	t.Helper()
	l, err := playground.New()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range calls {
		out, _ := l.Call(c.method, []byte(c.params))
		if bytes.HasPrefix(out, []byte(`{"error"`)) {
			t.Fatalf("%s %s: %s", c.method, c.params, out)
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, out, "", "  "); err != nil {
			t.Fatal(err)
		}
		b.WriteString("> " + c.method + " " + c.params + "\n")
		b.Write(ind.Bytes())
		b.WriteString("\n")
	}
	return b.String()
}
