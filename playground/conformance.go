package playground

import (
	"errors"
	"time"

	"github.com/wirelab/wirelab/conformance"
	"github.com/wirelab/wirelab/engine/clock"
)

// ConformanceRequest gives one transcript as txtar text (the conformance
// package's format), or asks for the built-in corpus.
type ConformanceRequest struct {
	Transcript string `json:"transcript,omitempty"`
	// Name is the transcript's file name in messages; "" means
	// "transcript.txtar".
	Name   string `json:"name,omitempty"`
	Corpus bool   `json:"corpus,omitempty"`
}

// ConformanceResult is a run's outcome.
type ConformanceResult struct {
	Summary Summary            `json:"summary"`
	Results []TranscriptResult `json:"results"`
}

// Summary counts outcomes; Line is "N passed, N failed" as the CLI says it.
type Summary struct {
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
	XFailed int    `json:"xfailed"`
	Line    string `json:"line"`
}

// TranscriptResult is one transcript's outcome.
type TranscriptResult struct {
	File  string `json:"file"`
	Title string `json:"title"`
	// Status is pass, fail, xfail, xpass or skip.
	Status string `json:"status"`
	// Line is the transcript line of the first divergence, Diff its
	// cmp.Diff (-want +got), Message the reason in words.
	Line    int    `json:"line,omitempty"`
	Diff    string `json:"diff,omitempty"`
	Message string `json:"message,omitempty"`
	// Lines is the exchange as it happened.
	Lines []string `json:"lines"`
}

// RunConformance replays transcripts against the engine. Each runs in a
// fresh world of its own (the demo world or the transcript's inline one),
// so the learner's world is not touched.
func (l *Lab) RunConformance(req ConformanceRequest) (*ConformanceResult, error) {
	var ts []*conformance.Transcript
	switch {
	case req.Corpus && req.Transcript != "":
		return nil, errors.New("playground: conformance: give a transcript or ask for the corpus, not both")
	case req.Corpus:
		var err error
		if ts, err = conformance.LoadDir(conformance.Corpus, "testdata"); err != nil {
			return nil, err
		}
	case req.Transcript != "":
		name := req.Name
		if name == "" {
			name = "transcript.txtar"
		}
		t, err := conformance.Parse(name, []byte(req.Transcript))
		if err != nil {
			return nil, err
		}
		ts = []*conformance.Transcript{t}
	default:
		return nil, errors.New("playground: conformance: no transcript")
	}
	// Durations would differ run to run; a fixed clock makes them zero and
	// the result replayable.
	fixed := func() time.Time { return clock.Epoch }
	res := &ConformanceResult{Results: []TranscriptResult{}}
	var sum conformance.Summary
	for _, t := range ts {
		r := conformance.Run(t, conformance.Engine{}, fixed)
		sum.Add(r)
		lines := r.Lines
		if lines == nil {
			lines = []string{}
		}
		res.Results = append(res.Results, TranscriptResult{File: r.File, Title: r.Title, Status: string(r.Status),
			Line: r.Line, Diff: r.Diff, Message: r.Message, Lines: lines})
	}
	res.Summary = Summary{Passed: sum.Passed, Failed: sum.Failed, Skipped: sum.Skipped, XFailed: sum.XFailed, Line: sum.Line()}
	return res, nil
}
