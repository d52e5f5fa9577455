//go:build !js

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPersistsInIndexedDB builds the WebAssembly main and runs it in Node
// over an in-memory IndexedDB: a world changed in one page load is there in
// the next, and "reset" clears it. It needs node and the fake-indexeddb
// package where Node's require finds it (NODE_PATH).
func TestPersistsInIndexedDB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WebAssembly main; skipped in -short mode")
	}
	// In CI (.ci/run installs both) a missing tool is a failure.
	skip := t.Skipf
	if os.Getenv("CI") == "true" {
		skip = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node not found: install Node.js to run the WebAssembly build")
	}
	if out, err := exec.Command(node, "-e", "require.resolve('fake-indexeddb/auto')").CombinedOutput(); err != nil {
		skip("fake-indexeddb not found: `make node-deps` (or `npm install fake-indexeddb` with its node_modules in NODE_PATH) (%s)", firstLine(out))
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not found on PATH")
	}
	goroot, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	wasmExec := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	bin := filepath.Join(t.TempDir(), "main.wasm")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js go build: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	run := exec.Command(node, filepath.Join("testdata", "persist.js"), wasmExec, bin)
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}

	type ready struct {
		Persistent, Restored bool
		Error                string
	}
	type load struct {
		Ready ready
		Bob   []int
		Blog  bool
	}
	type result struct {
		First              load
		Quit, Update       string
		Reload, AfterReset load
	}
	var got result
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	want := result{
		First:      load{Ready: ready{Persistent: true}, Bob: []int{1, 2, 3}},
		Quit:       "CLOSED",
		Update:     "NOERROR",
		Reload:     load{Ready: ready{Persistent: true, Restored: true}, Bob: []int{2}, Blog: true},
		AfterReset: load{Ready: ready{Persistent: true}, Bob: []int{1, 2, 3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("page loads (-want +got):\n%s", diff)
	}
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}
