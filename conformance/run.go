package conformance

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Status is a transcript's outcome.
type Status string

// The outcomes.
const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	XFail Status = "xfail" // failed, as its xfail header expected
	XPass Status = "xpass" // passed although marked xfail: a failure too
	Skip  Status = "skip"
)

// Result is what running one transcript gave.
type Result struct {
	File   string
	Title  string
	Status Status
	// Line is the transcript line of the first divergence.
	Line int
	// Diff shows the first divergence as cmp.Diff (-want +got).
	Diff string
	// Message says what went wrong in words.
	Message string
	// Lines is the whole exchange as it happened, C: and S: lines.
	Lines    []string
	Duration time.Duration
}

// Failed reports whether the result counts as a failure.
func (r Result) Failed() bool { return r.Status == Fail || r.Status == XPass }

// Conn is a connection to the server under test, line by line. The engine
// and live servers implement it; the runner itself has no socket.
type Conn interface {
	// Send writes one line; the Conn adds CRLF.
	Send(line string) error
	// ReadLine returns the next line without its CRLF. It returns
	// ErrNoMoreLines when the server has nothing more to say, at once for
	// the engine or after a timeout for a live server.
	ReadLine() (string, error)
	Close() error
}

// ErrNoMoreLines is returned by Conn.ReadLine when the server is silent.
var ErrNoMoreLines = errors.New("conformance: the server sent nothing more")

// Target runs transcripts: it opens connections for line protocols and
// DNS clients for DNS cases.
type Target interface {
	// Dial opens a session for the transcript: a fresh world in the
	// engine, or a connection to a live server.
	Dial(t *Transcript) (Conn, error)
	// DNS opens a client that sends a DNS case's queries, to a fresh
	// world's local DNS server in the engine or to a live server.
	DNS(t *Transcript) (DNSClient, error)
}

// Run replays one transcript against a target.
func Run(t *Transcript, target Target, now func() time.Time) Result {
	start := now()
	var r Result
	switch t.Protocol {
	case POP3, IMAP, SMTP:
		if missing := missingCapabilities(t, target); missing != "" {
			r = Result{Status: Skip, Message: missing}
			break
		}
		r = runLines(t, target)
	case DNS:
		r = runDNS(t, target)
	case RPL:
		r = runRPL(t, target)
	}
	r.File, r.Title = t.File, t.Title
	r.Duration = now().Sub(start)
	if t.XFail != "" {
		switch r.Status {
		case Fail:
			r.Status = XFail
		case Pass:
			r.Status = XPass
			r.Message = "passed, but is marked xfail: " + t.XFail
		}
	}
	return r
}

func failAt(r *Result, step Step, want, got string, msg string) {
	r.Status = Fail
	r.Line = step.Line
	r.Message = msg
	r.Diff = cmp.Diff(want, got)
}

// connectionEvent reports lines that describe the connection rather than
// carry protocol text: "<open connection>", "<wait for ...>".
func connectionEvent(text string) bool {
	return strings.HasPrefix(text, "<") && strings.HasSuffix(text, ">") && strings.Contains(text, " ") &&
		(strings.Contains(text, "connection") || strings.HasPrefix(text, "<wait"))
}

// elision is an S: line in angle brackets that stands for lines the RFC
// does not spell out ("<the POP3 server sends message 1>").
func elision(text string) bool {
	return strings.HasPrefix(text, "<") && strings.HasSuffix(text, ">") && strings.Contains(text, " ") && !connectionEvent(text)
}

// maxElided bounds the server lines one elision may skip.
const maxElided = 1_000_000

// Opener is implemented by a Conn whose target cannot simply be dialled
// again for a transcript's further connections: the engine builds a fresh
// world on each Dial, so a second client of the same world is opened from
// the first connection. A live server is dialled again instead.
type Opener interface {
	Open() (Conn, error)
}

// lineConn is one of a transcript's connections, with the server line an
// elision or an untagged run read ahead.
type lineConn struct {
	conn        Conn
	pending     string
	havePending bool
	// sent and verb say whether a line was sent yet and the first word
	// of the last, for SMTP: the greeting and the reply to EHLO or HELO
	// name the server's domain.
	sent bool
	verb string
}

func runLines(t *Transcript, target Target) Result {
	r := Result{Status: Pass}
	first, err := target.Dial(t)
	if err != nil {
		r.Status, r.Message = Fail, err.Error()
		if errors.Is(err, ErrUnsupported) {
			r.Status = Skip
		}
		return r
	}
	conns := map[int]*lineConn{1: {conn: first}}
	defer func() {
		for _, c := range conns {
			c.conn.Close()
		}
	}()
	// connFor returns the step's connection, opening it at its first line.
	connFor := func(step Step) (*lineConn, error) {
		if c, ok := conns[step.Conn]; ok {
			return c, nil
		}
		var conn Conn
		var err error
		if o, ok := first.(Opener); ok {
			conn, err = o.Open()
		} else {
			conn, err = target.Dial(t)
		}
		if err != nil {
			return nil, fmt.Errorf("opening connection %d: %w", step.Conn, err)
		}
		c := &lineConn{conn: conn}
		conns[step.Conn] = c
		return c, nil
	}
	// prefix marks a further connection's lines in the exchange.
	prefix := func(dir byte, conn int) string {
		if conn == 1 {
			return string(dir) + ": "
		}
		return fmt.Sprintf("%c%d: ", dir, conn)
	}
	vars := map[string]string{}
	for i := 0; i < len(t.Steps); i++ {
		step := t.Steps[i]
		lc, err := connFor(step)
		if err != nil {
			r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
			return r
		}
		read := func() (string, error) {
			if lc.havePending {
				lc.havePending = false
				return lc.pending, nil
			}
			l, err := lc.conn.ReadLine()
			if err == nil {
				r.Lines = append(r.Lines, prefix('S', step.Conn)+l)
			}
			return l, err
		}
		switch {
		case connectionEvent(step.Text):
			if step.Dir == 'C' && strings.Contains(step.Text, "close") {
				lc.conn.Close()
			}
			continue
		case step.Dir == 'C':
			line, err := substitute(step.Text, vars)
			if err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
				return r
			}
			r.Lines = append(r.Lines, prefix('C', step.Conn)+line)
			lc.sent = true
			lc.verb, _, _ = strings.Cut(line, " ")
			if err := lc.conn.Send(line); err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, "sending: "+err.Error()
				return r
			}
		case elision(step.Text):
			// Skip server lines until one matches the next S: line.
			next := nextServerLine(t.Steps, i+1)
			if next == nil {
				continue
			}
			if _, err := compilePattern(next.Text); err != nil {
				r.Status, r.Line, r.Message = Fail, next.Line, err.Error()
				return r
			}
			for n := 0; ; n++ {
				got, err := read()
				if err != nil {
					failAt(&r, *next, next.Text, "", "the server ended before sending what the elision stands for")
					return r
				}
				if n > maxElided {
					failAt(&r, step, step.Text, got, "too many lines in an elision")
					return r
				}
				if ok, _ := matchLine(t.Protocol, next.Text, got, vars); ok {
					lc.pending, lc.havePending = got, true
					break
				}
			}
		case t.Protocol == SMTP && step.Dir == 'S':
			// One reply, perhaps of several lines (RFC 5321 §4.2.1).
			end, line, err := replyEnd(t.Steps, i)
			if err != nil {
				r.Status, r.Line, r.Message = Fail, line, err.Error()
				return r
			}
			got, err := readReply(read)
			if err != nil {
				failAt(&r, step, step.Text, strings.Join(got, "\n"), err.Error())
				return r
			}
			var want []string
			for _, s := range t.Steps[i:end] {
				want = append(want, s.Text)
			}
			ok, perr := smtpReplyMatch(want, got, !lc.sent || smtpNamesDomain(lc.verb), vars)
			if perr != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, perr.Error()
				return r
			}
			if !ok {
				failAt(&r, step, strings.Join(want, "\n"), strings.Join(got, "\n"), "the server's reply differs")
				return r
			}
			i = end - 1
		case t.Protocol == IMAP && isUntagged(step.Text):
			// A run of untagged lines, matched in any order.
			j := i
			for j < len(t.Steps) && t.Steps[j].Dir == 'S' && t.Steps[j].Conn == step.Conn && isUntagged(t.Steps[j].Text) {
				j++
			}
			run := t.Steps[i:j]
			// Read the server's whole run of untagged lines: a server may
			// send more untagged data than the example shows, which a
			// client must accept (RFC 9051 §7).
			// Lines are read only until every expected one has matched, so
			// that a run at the end of what the server has to say does not
			// wait for more.
			var gotLines []string
			for n := 0; n <= maxElided; n++ {
				got, err := read()
				if err != nil {
					if len(gotLines) == 0 {
						failAt(&r, step, step.Text, "", err.Error())
						return r
					}
					break
				}
				if !isUntagged(got) {
					lc.pending, lc.havePending = got, true
					break
				}
				gotLines = append(gotLines, got)
				if len(gotLines) >= len(run) {
					if unmatched, _ := matchRun(t.Protocol, run, gotLines, copyVars(vars)); unmatched == nil {
						break
					}
				}
			}
			if bad, got := matchRun(t.Protocol, run, gotLines, vars); bad != nil {
				failAt(&r, *bad, bad.Text, got, "no untagged line of the server matches this one")
				return r
			}
			i = j - 1
		default:
			got, err := read()
			// An IMAP server may send untagged data the example does not
			// show (RFC 9051 §7); before a line that is not untagged,
			// such extras are passed over.
			for n := 0; err == nil && t.Protocol == IMAP && isUntagged(got) && n < maxElided; n++ {
				got, err = read()
			}
			if err != nil {
				failAt(&r, step, step.Text, "", err.Error())
				return r
			}
			ok, perr := matchLine(t.Protocol, step.Text, got, vars)
			if perr != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, perr.Error()
				return r
			}
			if !ok {
				failAt(&r, step, step.Text, got, "the server's line differs")
				return r
			}
		}
	}
	return r
}

func nextServerLine(steps []Step, from int) *Step {
	for j := from; j < len(steps); j++ {
		if steps[j].Conn != steps[from-1].Conn {
			return nil
		}
		if steps[j].Dir == 'S' && !connectionEvent(steps[j].Text) {
			return &steps[j]
		}
		if steps[j].Dir == 'C' {
			return nil
		}
	}
	return nil
}

func matchLine(protocol, want, got string, vars map[string]string) (bool, error) {
	p, err := compilePattern(want)
	if err != nil {
		return false, err
	}
	if p.literal && protocol == POP3 && (strings.HasPrefix(want, "+OK") || strings.HasPrefix(want, "-ERR")) {
		return pop3StatusMatch(want, got), nil
	}
	if protocol == SMTP {
		return smtpLineMatch(want, got, vars)
	}
	if protocol == POP3 && (got == "+OK" || got == "-ERR") {
		// The text after the status indicator is optional (RFC 1939 §3):
		// a bare "+OK" matches "+OK {*}" as "+OK " would.
		got += " "
	}
	if protocol == IMAP {
		if matchIMAP(p, want, got, vars) {
			return true, nil
		}
		// Then as IMAP means it: the same values written another way.
		cw, names := canonFetch(imapCanon(want, want), nil)
		cg, _ := canonFetch(imapCanon(got, want), names)
		if cw == want && cg == got {
			return false, nil
		}
		cp, err := compilePattern(cw)
		if err != nil {
			return false, err
		}
		return matchIMAP(cp, cw, cg, vars), nil
	}
	return p.match(got, vars), nil
}

// matchIMAP matches one IMAP line: a status response without placeholders
// by tag, condition and code, anything else by its pattern.
func matchIMAP(p *pattern, want, got string, vars map[string]string) bool {
	if p.literal {
		if w, ok := imapStatus(want); ok {
			g, ok := imapStatus(got)
			if ok && !strings.Contains(w, "[") {
				// No code in the example: the server's code is its own.
				g, _, _ = strings.Cut(g, " [")
			}
			return ok && w == g
		}
	}
	return p.match(got, vars)
}

func isUntagged(text string) bool { return strings.HasPrefix(text, "* ") }

func copyVars(vars map[string]string) map[string]string {
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// matchRun matches a run of untagged server lines to the expected ones,
// in any order. For IMAP, a run of EXPUNGE responses matches another that
// removes the same messages: a server may report the removals in any
// order, and each renumbers the ones after it (RFC 9051 §7.5.1), so the
// RFC's "3, 3, 5, 8" is also "11, 7, 4, 3".
func matchRun(protocol string, want []Step, got []string, vars map[string]string) (*Step, string) {
	if protocol == IMAP {
		var wantN, gotN []int
		var restWant []Step
		var restGot []string
		for _, st := range want {
			if n, ok := expungeNumber(st.Text); ok {
				wantN = append(wantN, n)
				continue
			}
			restWant = append(restWant, st)
		}
		for _, g := range got {
			if n, ok := expungeNumber(g); ok {
				gotN = append(gotN, n)
				continue
			}
			restGot = append(restGot, g)
		}
		if len(wantN) > 0 && slices.Equal(expunged(wantN), expunged(gotN)) {
			want, got = restWant, restGot
		}
	}
	return matchSet(protocol, want, got, vars)
}

var expungeRE = regexp.MustCompile(`^\* ([0-9]+) EXPUNGE$`)

// expungeNumber reads "* n EXPUNGE".
func expungeNumber(line string) (int, bool) {
	m := expungeRE.FindStringSubmatch(line)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// expunged turns EXPUNGE responses, each a sequence number at its moment,
// into the sorted positions the messages had before the first.
func expunged(seqs []int) []int {
	var gone []int // sorted
	for _, n := range seqs {
		o := n
		for {
			// o is n plus the removed messages at or before it.
			next := n + sort.SearchInts(gone, o+1)
			if next == o {
				break
			}
			o = next
		}
		i := sort.SearchInts(gone, o)
		gone = slices.Insert(gone, i, o)
	}
	return gone
}

// matchSet matches server lines to a run of expected lines in any order.
// It returns the first expected step nothing matched, and the server lines
// left over, joined.
func matchSet(protocol string, want []Step, got []string, vars map[string]string) (*Step, string) {
	used := make([]bool, len(got))
	for k := range want {
		found := false
		for g := range got {
			if used[g] {
				continue
			}
			if ok, _ := matchLine(protocol, want[k].Text, got[g], vars); ok {
				used[g], found = true, true
				break
			}
		}
		if !found {
			var left []string
			for g := range got {
				if !used[g] {
					left = append(left, got[g])
				}
			}
			return &want[k], strings.Join(left, "\n")
		}
	}
	return nil, ""
}

// imapStatus reduces an IMAP status response to what must match: tag,
// condition and response code (RFC 9051 §7.1). ok is false for other
// lines.
func imapStatus(line string) (string, bool) {
	f := strings.SplitN(line, " ", 3)
	if len(f) < 2 {
		return "", false
	}
	switch strings.ToUpper(f[1]) {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
	default:
		return "", false
	}
	key := f[0] + " " + strings.ToUpper(f[1])
	if len(f) == 3 && strings.HasPrefix(f[2], "[") {
		if end := strings.IndexByte(f[2], ']'); end > 0 {
			key += " " + strings.ToUpper(f[2][:end+1])
		}
	}
	return key, true
}

// Summary counts results, and Line is the closing line of a run.
type Summary struct {
	Passed, Failed, Skipped, XFailed int
}

// Add counts one result.
func (s *Summary) Add(r Result) {
	switch r.Status {
	case Pass:
		s.Passed++
	case Fail, XPass:
		s.Failed++
	case XFail:
		s.XFailed++
	case Skip:
		s.Skipped++
	}
}

// Line is "N passed, N failed" with skipped and expected failures after.
func (s Summary) Line() string {
	line := fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed)
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	if s.XFailed > 0 {
		line += fmt.Sprintf(", %d expected failures", s.XFailed)
	}
	return line
}
