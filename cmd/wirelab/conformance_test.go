package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runWirelab(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(binPath, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestConformanceCorpusOnTheEngine(t *testing.T) {
	out, code := runWirelab(t, "conformance")
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("wirelab conformance exited %d:\n%s", code, out)
	}
	if strings.Count(out, "PASS ") < 8 {
		t.Errorf("fewer than 8 transcripts passed:\n%s", out)
	}
}

// TestConformanceAgainstLiveServer points the runner at wirelab serve over
// real sockets: transcripts on the demo world pass, those that bring their
// own world are skipped, those of another protocol left out, and nothing
// fails.
func TestConformanceAgainstLiveServer(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	junit := filepath.Join(dir, "report.xml")
	out, code := runWirelab(t, "conformance", "--target", "pop3://"+srv.addrs["pop3"], "--junit", junit)
	if code != 0 || !strings.Contains(out, " 0 failed") || !strings.Contains(out, "PASS  testdata/wirelab/pop3-bad-input.txtar") {
		t.Fatalf("against pop3://%s exited %d:\n%s", srv.addrs["pop3"], code, out)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &suite); err != nil || suite.Tests < 4 || suite.Failures != 0 {
		t.Errorf("JUnit report: %+v, %v\n%s", suite, err, data)
	}
	// Transcripts change the mailbox they run on; against one live server
	// only one of them runs here.
	out, code = runWirelab(t, "conformance", "--target", "imap://"+srv.addrs["imap"], "--run", "imap-basic")
	if code != 0 || !strings.Contains(out, "PASS  testdata/wirelab/imap-basic-session.txtar") {
		t.Fatalf("against imap://%s exited %d:\n%s", srv.addrs["imap"], code, out)
	}
	// SMTP: the demo-world cases pass; the RFC's, on worlds and servers of
	// their own, are skipped.
	out, code = runWirelab(t, "conformance", "--target", "smtp://"+srv.addrs["smtp"])
	if code != 0 || !strings.Contains(out, "PASS  testdata/wirelab/smtp-bad-sequence.txtar") || !strings.Contains(out, "SKIP  testdata/rfc/rfc5321-d1-typical.txtar") || strings.Contains(out, "pop3") {
		t.Fatalf("against smtp://%s exited %d:\n%s", srv.addrs["smtp"], code, out)
	}
	out, code = runWirelab(t, "conformance", "--target", "dns://"+srv.addrs["dns"], "--run", "dns-", "--json")
	if code != 0 {
		t.Fatalf("against dns://%s exited %d:\n%s", srv.addrs["dns"], code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		var r struct{ File, Status string }
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.File == "" {
			t.Errorf("--json line %q: %v", l, err)
		}
	}
}

func TestConformanceReportsDivergence(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.txtar")
	os.WriteFile(bad, []byte("a wrong expectation\nprotocol: pop3\n-- transcript --\nS: +OK {*}\nC: USER alice\nS: +OK {*}\nC: PASS wonderland\nS: +OK {*}\nC: STAT\nS: +OK 1 10\n"), 0o644)
	out, code := runWirelab(t, "conformance", bad)
	if code != 1 || !strings.Contains(out, bad+":10") || !strings.Contains(out, "0 passed, 1 failed") || !strings.Contains(out, "-want +got") {
		t.Errorf("a failing transcript gave exit %d:\n%s", code, out)
	}
	broken := filepath.Join(t.TempDir(), "broken.txtar")
	os.WriteFile(broken, []byte("no protocol\n-- transcript --\nS: x\n"), 0o644)
	out, code = runWirelab(t, "conformance", broken)
	if code != 1 || !strings.Contains(out, broken) {
		t.Errorf("an unparsable transcript gave exit %d:\n%s", code, out)
	}
}
