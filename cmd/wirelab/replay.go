package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wirelab/wirelab/conformance"
	"github.com/wirelab/wirelab/conformance/capture"
)

// replayCmd replays captured sessions: each POP3 or IMAP connection, and
// each DNS server's queries, becomes a transcript that runs against the
// engine (a fresh demo world each) or a live server, and the first place
// the server's answers diverge is reported where it was captured.
func replayCmd(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	target := fl.String("target", "", "replay against a live server: pop3://host:port, imap://host:port or dns://host:port (default: the engine)")
	proto := fl.String("proto", "", "take the capture's sessions as `pop3|imap|dns` whatever their ports (default: by port, or a log's greeting)")
	toTranscript := fl.String("to-transcript", "", "write the sessions as transcripts to `file` (- for standard output) instead of replaying them")
	asJSON := fl.Bool("json", false, "print one JSON object per session instead of text")
	users, passes := mappings{}, mappings{}
	fl.Var(users, "user", "map a captured user to a real account: `name=account` (repeatable)")
	fl.Var(passes, "pass", "the real account's password for a captured user: `name=password` (repeatable)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: wirelab replay [flags] CAPTURE...\n\nReplays the client side of captured sessions (pcap, pcapng, C:/S: logs, Dovecot rawlogs)\nand reports where the server's answers diverge from the capture.")
		fl.PrintDefaults()
	}
	// Flags may come before or after the captures: "replay FILE --proto
	// pop3"; after "--" everything is a capture.
	var files, tail []string
	for i, a := range args {
		if a == "--" {
			tail, args = args[i+1:], args[:i]
			break
		}
	}
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fl.NArg() == 0 {
			break
		}
		files = append(files, fl.Arg(0))
		args = fl.Args()[1:]
	}
	files = append(files, tail...)
	if len(files) == 0 {
		fl.Usage()
		return errUsage
	}
	opt := capture.Options{Protocol: strings.ToLower(*proto)}
	type item struct {
		c *capture.Case
		t *conformance.Transcript
	}
	var items []item
	for _, path := range files {
		sessions, err := capture.ReadFile(path, opt)
		if err != nil {
			return err
		}
		for _, s := range sessions {
			c, err := s.Transcript(nil)
			if err != nil {
				return err
			}
			name := s.File
			if s.Name != "" {
				name += " (" + s.Name + ")"
			}
			t, err := conformance.Parse(name, c.Text)
			if err != nil {
				return fmt.Errorf("replay: the transcript made of %s does not parse: %w", name, err)
			}
			items = append(items, item{c, t})
		}
	}
	if *toTranscript != "" {
		var texts [][]byte
		for _, it := range items {
			texts = append(texts, it.c.Text)
		}
		return writeTranscripts(*toTranscript, texts, stdout)
	}

	var tgt conformance.Target = conformance.Engine{}
	if *target != "" {
		var err error
		if tgt, err = newLiveTarget(*target); err != nil {
			return err
		}
	}
	var ts []*conformance.Transcript
	for _, it := range items {
		if len(users) > 0 || len(passes) > 0 {
			mapAccounts(it.t, users, passes)
		}
		ts = append(ts, it.t)
	}
	// Sessions run one after another: against a live server, a session may
	// change the mail the next one sees, as it did when captured.
	var sum conformance.Summary
	for i, t := range ts {
		r := conformance.Run(t, tgt, time.Now)
		sum.Add(r)
		var place string
		if r.Line > 0 {
			if p, ok := items[i].c.Places[r.Line]; ok {
				place = p.String()
			}
		}
		if *asJSON {
			printReplayJSON(stdout, r, place)
			continue
		}
		printReplay(stdout, r, place)
	}
	fmt.Fprintln(stdout, sum.Line())
	if sum.Failed > 0 {
		return errSilentFailure
	}
	return nil
}

// printReplay prints one session's outcome: the place in the capture
// where it diverged, the message and the (-want +got) diff.
func printReplay(w io.Writer, r conformance.Result, place string) {
	fmt.Fprintf(w, "%-5s %s (%s)\n", strings.ToUpper(string(r.Status)), r.File, r.Duration.Round(time.Microsecond))
	if r.Status == conformance.Pass {
		return
	}
	if place != "" {
		fmt.Fprintf(w, "      at %s\n", place)
	}
	for i := len(r.Lines) - 1; i >= 0; i-- {
		if c, ok := strings.CutPrefix(r.Lines[i], "C: "); ok {
			fmt.Fprintf(w, "      after the client sent: %s\n", c)
			break
		}
	}
	if r.Message != "" {
		fmt.Fprintf(w, "      %s\n", r.Message)
	}
	if r.Diff != "" {
		fmt.Fprintf(w, "      (-want +got):\n%s", indent(r.Diff, "      "))
	}
}

func printReplayJSON(w io.Writer, r conformance.Result, place string) {
	type out struct {
		conformance.Result
		Place string `json:",omitempty"`
	}
	json.NewEncoder(w).Encode(out{r, place})
}

// writeTranscripts writes one transcript per session: to standard output
// one after another, or to path, and with several sessions to path with
// -2, -3, ... before its extension for the second and later ones.
func writeTranscripts(path string, texts [][]byte, stdout io.Writer) error {
	if path == "-" {
		for i, t := range texts {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			stdout.Write(t)
		}
		return nil
	}
	ext := filepath.Ext(path)
	for i, t := range texts {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), i+1, ext)
		}
		if err := os.WriteFile(p, t, 0o644); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}
