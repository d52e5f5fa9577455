package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/wirelab/wirelab/conformance/rpl"
)

// RPL is the protocol of resolver scenarios in testbound's replay format
// (see package conformance/rpl): they run against the engine's resolver
// only, each on its own simulated network.
const RPL = "rpl"

// ExpectedFile names the side file, beside .rpl scenarios, that lists
// those expected not to pass (the scenarios themselves stay as their
// authors wrote them).
const ExpectedFile = "EXPECTED"

// Expectation is one line of an EXPECTED file:
//
//	# FILE           STATUS LINE REASON
//	ttl_msg.rpl      xfail  399  the engine ...
//	iter_ns_spoof.rpl skip  3    harden-referral-path: yes ...
//
// STATUS is xfail (the replay fails at LINE, for REASON) or skip (lines
// the replay does not understand, the first at LINE). A scenario not
// listed must pass.
type Expectation struct {
	File   string
	Status Status
	Line   int
	Reason string
}

// ReadExpected reads dir's EXPECTED file, keyed by scenario file name; no
// file means no expectations.
func ReadExpected(fsys fs.FS, dir string) (map[string]Expectation, error) {
	name := path.Join(dir, ExpectedFile)
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	out := map[string]Expectation{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) < 4 {
			return nil, &ParseError{File: name, Line: n, Err: errors.New("want FILE STATUS LINE REASON")}
		}
		line, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, &ParseError{File: name, Line: n, Err: fmt.Errorf("bad line number %q", f[2])}
		}
		e := Expectation{File: f[0], Status: Status(f[1]), Line: line, Reason: strings.Join(f[3:], " ")}
		if e.Status != XFail && e.Status != Skip {
			return nil, &ParseError{File: name, Line: n, Err: fmt.Errorf("status %q is not xfail or skip", f[1])}
		}
		out[e.File] = e
	}
	return out, nil
}

// LoadFile parses one transcript or scenario of fsys; a scenario gets the
// xfail reason its directory's EXPECTED file gives it.
func LoadFile(fsys fs.FS, name string) (*Transcript, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	t, err := Parse(path.Clean(name), data)
	if err != nil {
		return nil, err
	}
	if err := ApplyExpected(fsys, path.Dir(name), t); err != nil {
		return nil, err
	}
	return t, nil
}

// ApplyExpected marks a scenario xfail when the EXPECTED file in dir of
// fsys says so, with its reason. Transcripts other than scenarios are left
// alone: they carry their own xfail header.
func ApplyExpected(fsys fs.FS, dir string, t *Transcript) error {
	if t.Protocol != RPL {
		return nil
	}
	exp, err := ReadExpected(fsys, dir)
	if err != nil {
		return err
	}
	if e, ok := exp[path.Base(t.File)]; ok && e.Status == XFail {
		t.XFail = e.Reason
	}
	return nil
}

// parseRPL wraps a scenario as a transcript.
func parseRPL(file string, data []byte) (*Transcript, error) {
	s, err := rpl.Parse(file, data)
	if err != nil {
		return nil, err
	}
	return &Transcript{File: file, Title: s.Title, Protocol: RPL, Scenario: s}, nil
}

// runRPL replays a scenario against the engine's resolver.
func runRPL(t *Transcript, target Target) Result {
	if _, ok := target.(Engine); !ok {
		return Result{Status: Skip, Message: "rpl scenarios replay against the engine only: they need its virtual clock and simulated upstream servers"}
	}
	o := rpl.Replay(t.Scenario)
	r := Result{Line: o.Line, Message: o.Message, Diff: o.Diff}
	switch o.Status {
	case rpl.Passed:
		r.Status = Pass
	case rpl.Failed:
		r.Status = Fail
	default:
		r.Status = Skip
	}
	for _, n := range o.Used {
		r.Lines = append(r.Lines, "config: "+n.String())
	}
	for _, n := range o.Ignored {
		r.Lines = append(r.Lines, "config ignored: "+n.String())
	}
	r.Lines = append(r.Lines, o.Log...)
	return r
}
