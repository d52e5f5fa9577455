package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxLogLine bounds one line of a log: a message's longest line, with room.
const maxLogLine = 1 << 20

// ReadText reads a log of "C:" and "S:" lines, the RFCs' notation; blank
// lines and lines starting with "#" are skipped. One space after the colon
// separates; the rest of the line is the protocol's text, spaces and all.
func ReadText(file string, r io.Reader, opt Options) (*Session, error) {
	if err := checkProtocol(opt.Protocol); err != nil {
		return nil, err
	}
	if opt.Protocol == DNS {
		return nil, &Error{Place{File: file}, errors.New("DNS sessions are read from packet captures, not from C:/S: logs")}
	}
	s := &Session{File: file, Protocol: opt.Protocol}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLogLine)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		place := Place{File: file, Line: n}
		if len(text) < 2 || text[1] != ':' || (text[0] != 'C' && text[0] != 'S') {
			return nil, &Error{place, fmt.Errorf(`a line starts with "C:" or "S:", not %q`, prefix(text, 10))}
		}
		body := strings.TrimSuffix(strings.TrimPrefix(text[2:], " "), "\r")
		s.Lines = append(s.Lines, Line{Dir: text[0], Text: body, Place: place})
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Place{File: file}, err}
	}
	if err := settleProtocol(s); err != nil {
		return nil, err
	}
	cutAtTLS(s)
	return s, nil
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// settleProtocol tells POP3 from IMAP by the greeting, the server's first
// line (RFC 1939 §4, RFC 9051 §7.1), unless the caller said.
func settleProtocol(s *Session) error {
	if len(s.Lines) == 0 {
		return &Error{Place{File: s.File}, errors.New("no C: or S: lines")}
	}
	if s.Protocol != "" {
		return nil
	}
	for _, l := range s.Lines {
		if l.Dir != 'S' {
			continue
		}
		switch {
		case strings.HasPrefix(l.Text, "+OK"):
			s.Protocol = POP3
		case strings.HasPrefix(l.Text, "* OK"), strings.HasPrefix(l.Text, "* PREAUTH"), strings.HasPrefix(l.Text, "* BYE"):
			s.Protocol = IMAP
		default:
			return &Error{l.Place, fmt.Errorf("the greeting %q is neither POP3's nor IMAP's: say which protocol (--proto)", prefix(l.Text, 40))}
		}
		return nil
	}
	return &Error{Place{File: s.File}, errors.New("no S: line to tell the protocol by: say which (--proto)")}
}

// rawlogStamp is the time Dovecot's rawlog puts before each line when
// asked to: seconds.microseconds and a space, and in its buffered mode
// "I: " or "O: " after it ("I> " for a line that goes on).
var rawlogStamp = regexp.MustCompile(`^(\d+)\.(\d{6}) (?:[IO][:>] )?`)

type rawLine struct {
	text  string
	line  int
	stamp int64 // microseconds, when the log has them
}

func readRawLines(file string, r io.Reader) ([]rawLine, error) {
	var out []rawLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLogLine)
	for n := 1; sc.Scan(); n++ {
		out = append(out, rawLine{text: strings.TrimSuffix(sc.Text(), "\r"), line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Place{File: file}, err}
	}
	return out, nil
}

// stamped strips rawlog timestamps when every line has one.
func stamped(lines []rawLine) bool {
	for _, l := range lines {
		if !rawlogStamp.MatchString(l.text) {
			return false
		}
	}
	for i, l := range lines {
		m := rawlogStamp.FindStringSubmatch(l.text)
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		usec, _ := strconv.ParseInt(m[2], 10, 64)
		lines[i].stamp = sec*1_000_000 + usec
		lines[i].text = l.text[len(m[0]):]
	}
	return len(lines) > 0
}

// ReadRawlog reads a Dovecot rawlog pair: in is what the client sent
// (FILE.in) and out what the server sent (FILE.out). With timestamps the
// lines are merged by time; without, by the protocol's turns: a POP3
// command's response is one line or, for RETR, TOP, CAPA and LIST or UIDL
// without an argument, a multi-line response up to "." (RFC 1939 §3); an
// IMAP command's responses run up to its tagged completion (RFC 9051
// §2.2.2), with "+" continuations for literals and AUTHENTICATE.
func ReadRawlog(base string, in, out io.Reader, opt Options) (*Session, error) {
	if err := checkProtocol(opt.Protocol); err != nil {
		return nil, err
	}
	if opt.Protocol == DNS {
		return nil, &Error{Place{File: base}, errors.New("a rawlog holds POP3 or IMAP, not DNS")}
	}
	inFile, outFile := base+".in", base+".out"
	cl, err := readRawLines(inFile, in)
	if err != nil {
		return nil, err
	}
	sl, err := readRawLines(outFile, out)
	if err != nil {
		return nil, err
	}
	// The rawlog program marks idle time in the output with "* TIMESTAMP"
	// lines of its own, which the server never sent.
	sl = slices.DeleteFunc(sl, func(l rawLine) bool { return strings.HasPrefix(l.text, "* TIMESTAMP") })
	s := &Session{File: base, Protocol: opt.Protocol}
	toLine := func(dir byte, file string, l rawLine) Line {
		return Line{Dir: dir, Text: l.text, Place: Place{File: file, Line: l.line}}
	}
	if stamped(cl) && stamped(sl) {
		for _, l := range cl {
			s.Lines = append(s.Lines, toLine('C', inFile, l))
		}
		for _, l := range sl {
			s.Lines = append(s.Lines, toLine('S', outFile, l))
		}
		stamps := map[Place]int64{}
		for _, l := range cl {
			stamps[Place{File: inFile, Line: l.line}] = l.stamp
		}
		for _, l := range sl {
			stamps[Place{File: outFile, Line: l.line}] = l.stamp
		}
		// Stable: each file keeps its order; at the same instant the
		// server's line goes first.
		slices.SortStableFunc(s.Lines, func(a, b Line) int {
			if d := stamps[a.Place] - stamps[b.Place]; d != 0 {
				if d < 0 {
					return -1
				}
				return 1
			}
			return int(b.Dir) - int(a.Dir)
		})
	} else {
		// The greeting tells the protocol before the turns can be taken.
		probe := &Session{File: base, Protocol: opt.Protocol}
		for _, l := range sl {
			probe.Lines = append(probe.Lines, toLine('S', outFile, l))
		}
		if err := settleProtocol(probe); err != nil {
			return nil, err
		}
		s.Protocol = probe.Protocol
		t := &turns{c: cl, s: sl, inFile: inFile, outFile: outFile}
		if s.Protocol == POP3 {
			t.pop3()
		} else {
			t.imap()
		}
		s.Lines = t.out
	}
	if err := settleProtocol(s); err != nil {
		return nil, err
	}
	cutAtTLS(s)
	return s, nil
}

// turns interleaves an unstamped rawlog's two sides.
type turns struct {
	c, s            []rawLine
	ci, si          int
	inFile, outFile string
	out             []Line
}

func (t *turns) client() (string, bool) {
	if t.ci >= len(t.c) {
		return "", false
	}
	l := t.c[t.ci]
	t.ci++
	t.out = append(t.out, Line{Dir: 'C', Text: l.text, Place: Place{File: t.inFile, Line: l.line}})
	return l.text, true
}

func (t *turns) server() (string, bool) {
	if t.si >= len(t.s) {
		return "", false
	}
	l := t.s[t.si]
	t.si++
	t.out = append(t.out, Line{Dir: 'S', Text: l.text, Place: Place{File: t.outFile, Line: l.line}})
	return l.text, true
}

// rest appends what one side said after the other fell silent.
func (t *turns) rest() {
	for {
		if _, ok := t.server(); !ok {
			break
		}
	}
	for {
		if _, ok := t.client(); !ok {
			break
		}
	}
}

// pop3MultiLine reports commands whose positive answer is multi-line
// (RFC 1939 §5, RFC 2449 §5).
func pop3MultiLine(cmd string) bool {
	f := strings.Fields(strings.ToUpper(cmd))
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "RETR", "TOP", "CAPA":
		return true
	case "LIST", "UIDL", "AUTH":
		return len(f) == 1
	}
	return false
}

func (t *turns) pop3() {
	t.server() // the greeting
	for {
		cmd, ok := t.client()
		if !ok {
			break
		}
		for {
			resp, ok := t.server()
			if !ok {
				break
			}
			if strings.HasPrefix(resp, "+ ") || resp == "+" {
				// A SASL challenge (RFC 5034 §4): the client's next line
				// answers it.
				if _, ok := t.client(); !ok {
					break
				}
				continue
			}
			if strings.HasPrefix(resp, "+OK") && pop3MultiLine(cmd) {
				for {
					l, ok := t.server()
					if !ok || l == "." {
						break
					}
				}
			}
			break
		}
	}
	t.rest()
}

// literalAt reports an IMAP line that ends announcing a literal, "{n}" or
// the non-synchronizing "{n+}" (RFC 9051 §4.3, RFC 7888).
var literalAt = regexp.MustCompile(`\{(\d+)(\+?)\}$`)

// skipLiteral passes over n octets of literal data from next, which
// returns whole lines; it returns the last line read, which may hold text
// after the literal.
func skipLiteral(n int, next func() (string, bool)) (string, bool) {
	for n > 0 {
		l, ok := next()
		if !ok {
			return "", false
		}
		n -= len(l) + 2
		if n < 0 {
			// The literal ended inside this line; the rest is protocol.
			return l, true
		}
	}
	// The literal ended with a line's CRLF: the next line goes on with
	// the protocol.
	return next()
}

func (t *turns) imap() {
	t.server() // the greeting
	for {
		line, ok := t.client()
		if !ok {
			break
		}
		tag, _, _ := strings.Cut(line, " ")
		// The command's literals: wait for "+" before each synchronizing
		// one.
		for {
			m := literalAt.FindStringSubmatch(line)
			if m == nil {
				break
			}
			n, _ := strconv.Atoi(m[1])
			if m[2] == "" {
				t.serverUntil(func(l string) bool { return strings.HasPrefix(l, "+") || strings.HasPrefix(l, tag+" ") })
			}
			rest, ok := skipLiteral(n, t.client)
			if !ok {
				break
			}
			line = rest
		}
		// Responses up to the tagged one; "+" asks for another client line
		// (AUTHENTICATE, IDLE).
		for {
			l, ok := t.serverUntil(func(l string) bool { return strings.HasPrefix(l, "+") || strings.HasPrefix(l, tag+" ") })
			if !ok || strings.HasPrefix(l, tag+" ") {
				break
			}
			if _, ok := t.client(); !ok {
				break
			}
		}
	}
	t.rest()
}

// serverUntil emits server lines, passing over literals, up to and
// including the first that stop accepts.
func (t *turns) serverUntil(stop func(string) bool) (string, bool) {
	for {
		l, ok := t.server()
		if !ok {
			return "", false
		}
		for {
			m := literalAt.FindStringSubmatch(l)
			if m == nil {
				break
			}
			n, _ := strconv.Atoi(m[1])
			rest, ok := skipLiteral(n, t.server)
			if !ok {
				break
			}
			l = rest
		}
		if stop(l) {
			return l, true
		}
	}
}

// cutAtTLS ends a session where STLS (RFC 2595 §4) or STARTTLS (RFC 9051
// §6.2.1) succeeded: what follows is TLS, which a capture cannot read.
func cutAtTLS(s *Session) {
	pending := ""
	for i, l := range s.Lines {
		if l.Dir == 'C' {
			f := strings.Fields(strings.ToUpper(l.Text))
			pending = ""
			switch {
			case s.Protocol == POP3 && len(f) == 1 && f[0] == "STLS":
				pending = "+OK"
			case s.Protocol == IMAP && len(f) == 2 && f[1] == "STARTTLS":
				pending = strings.Fields(l.Text)[0] + " OK"
			}
			continue
		}
		if pending != "" && strings.HasPrefix(strings.ToUpper(l.Text), strings.ToUpper(pending)) {
			if i+1 < len(s.Lines) {
				s.Notes = append(s.Notes, fmt.Sprintf("the session goes on in TLS after %s, which is not replayed", l.Place))
			}
			s.Lines = s.Lines[:i+1]
			return
		}
	}
}
