package engine_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forbiddenImports may not appear in engine code: they open sockets or
// serve HTTP, which belongs to the adapters in cmd/ and wasm/.
var forbiddenImports = map[string]string{
	"net/http":      "HTTP belongs in cmd/",
	"net/rpc":       "RPC opens sockets",
	"net/smtp":      "net/smtp dials",
	"net":           "the net package opens sockets; use engine/transport and net/netip",
	"os/exec":       "engine code starts no processes",
	"math/rand":     "randomness must be injected (a seeded math/rand/v2 source)",
	"crypto/rand":   "randomness must be injected",
	"syscall":       "engine code makes no system calls",
	"os/signal":     "signals belong in cmd/",
	"log":           "engine code reports through events and errors, not global logs",
	"net/textproto": "textproto's Dial opens sockets; use bufio over a transport.Stream",
}

// forbiddenSelectors are package members engine code may not use. For dns
// (github.com/miekg/dns) and os the names match by prefix (dns.Client,
// dns.ClientConfig..., os.OpenFile...).
var forbiddenSelectors = map[string][]string{
	"time":                 {"Sleep", "Now", "After", "Tick", "NewTimer", "NewTicker", "AfterFunc", "Since", "Until"},
	"github.com/miekg/dns": {"Client", "Server", "Exchange", "ListenAndServe", "ActivateAndServe", "Dial"},
	"os":                   {"Open", "Create", "ReadFile", "WriteFile", "Mkdir", "Remove", "Rename", "Getenv", "Exit", "Stdin", "Stdout"},
	"math/rand/v2":         {"Int", "Uint", "Float", "N", "Perm", "Shuffle", "ExpFloat64", "NormFloat64"},
}

// wallClockFiles may read the system time: the one real clock.
var wallClockFiles = map[string]bool{"clock/real.go": true}

// violations lists the sans-I/O rule breaks in one file's source.
func violations(fset *token.FileSet, path string, src []byte) ([]string, error) {
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	names := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if why, bad := forbiddenImports[p]; bad {
			out = append(out, fset.Position(imp.Pos()).String()+": imports "+p+": "+why)
		}
		local := p[strings.LastIndex(p, "/")+1:]
		switch p {
		case "github.com/miekg/dns":
			local = "dns"
		case "math/rand/v2":
			local = "rand"
		}
		if imp.Name != nil {
			local = imp.Name.Name
		}
		names[local] = p
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		p := names[id.Name]
		if p == "time" && wallClockFiles[filepath.ToSlash(path)] {
			return true
		}
		for _, bad := range forbiddenSelectors[p] {
			exact := p == "time" || p == "math/rand/v2"
			if sel.Sel.Name == bad || (!exact && strings.HasPrefix(sel.Sel.Name, bad)) {
				out = append(out, fset.Position(sel.Pos()).String()+": uses "+id.Name+"."+sel.Sel.Name)
			}
		}
		return true
	})
	return out, nil
}

// TestEngineIsSansIO parses every non-test Go file under engine/ and fails on
// imports or calls that would give the engine I/O, a wall clock or global
// randomness of its own (DESIGN.md, principle 1).
func TestEngineIsSansIO(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("the source tree is checked natively")
	}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v, err := violations(fset, path, src)
		if err != nil {
			return err
		}
		checked++
		for _, line := range v {
			t.Error(line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; is the walk rooted at engine/?", checked)
	}
}

// TestViolationsCatchesIO shows the checker is not vacuous.
func TestViolationsCatchesIO(t *testing.T) {
	src := `package x

import (
	"net"
	mdns "github.com/miekg/dns"
	"math/rand/v2"
	"time"
)

func f() {
	net.Dial("tcp", "x")
	time.Sleep(time.Second)
	_ = time.Now()
	_ = new(mdns.Client)
	_ = rand.N(3)
	_ = rand.New(nil)
}
`
	got, err := violations(token.NewFileSet(), "x.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"x.go:4:2: imports net: the net package opens sockets; use engine/transport and net/netip",
		"x.go:12:2: uses time.Sleep",
		"x.go:13:6: uses time.Now",
		"x.go:14:10: uses mdns.Client",
		"x.go:15:6: uses rand.N",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}
