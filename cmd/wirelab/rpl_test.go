package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceReplaysRPL runs testbound scenarios from the command
// line: a directory of them, with its EXPECTED file, and single files.
func TestConformanceReplaysRPL(t *testing.T) {
	dir := filepath.Join("..", "..", "conformance", "testdata", "rpl")
	out, code := runWirelab(t, "conformance", dir)
	if code != 0 || !strings.Contains(out, "PASS  "+dir+"/iter_resolve.rpl") || !strings.Contains(out, "XFAIL "+dir+"/ttl_msg.rpl:399") ||
		!strings.Contains(out, "SKIP  "+dir+"/iter_ns_spoof.rpl") || !strings.Contains(out, "harden-referral-path: yes") {
		t.Errorf("wirelab conformance %s exited %d:\n%s", dir, code, out)
	}
	// A single file gets its expectation from the EXPECTED beside it.
	out, code = runWirelab(t, "conformance", filepath.Join(dir, "ttl_msg.rpl"))
	if code != 0 || !strings.Contains(out, "0 passed, 0 failed, 1 expected failures") {
		t.Errorf("wirelab conformance ttl_msg.rpl exited %d:\n%s", code, out)
	}

	// A wrong expectation fails at its step, with the difference.
	data, err := os.ReadFile(filepath.Join(dir, "iter_resolve.rpl"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.rpl")
	wrong := strings.Replace(string(data), "www.example.com. IN A	10.20.30.40\nSECTION AUTHORITY\nexample.com.	IN NS	ns.example.com.\nSECTION ADDITIONAL\nns.example.com.		IN 	A	1.2.3.4\nENTRY_END\n\nSCENARIO_END",
		"www.example.com. IN A	10.20.30.41\nSECTION AUTHORITY\nexample.com.	IN NS	ns.example.com.\nSECTION ADDITIONAL\nns.example.com.		IN 	A	1.2.3.4\nENTRY_END\n\nSCENARIO_END", 1)
	if wrong == string(data) {
		t.Fatal("iter_resolve.rpl changed: the test's edit does not apply")
	}
	os.WriteFile(bad, []byte(wrong), 0o644)
	out, code = runWirelab(t, "conformance", bad)
	if code != 1 || !strings.Contains(out, "FAIL  "+bad+":109") || !strings.Contains(out, "STEP 10 CHECK_ANSWER") || !strings.Contains(out, "-want +got") {
		t.Errorf("a wrong CHECK_ANSWER gave exit %d:\n%s", code, out)
	}
	// A file that does not parse names its line.
	broken := filepath.Join(t.TempDir(), "broken.rpl")
	os.WriteFile(broken, []byte("server:\nCONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 QUERY\nSCENARIO_END\n"), 0o644)
	out, code = runWirelab(t, "conformance", broken)
	if code == 0 || !strings.Contains(out, broken+":4: STEP 1 QUERY has no ENTRY") {
		t.Errorf("an unparsable scenario gave exit %d:\n%s", code, out)
	}
}
