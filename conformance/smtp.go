package conformance

import (
	"fmt"
	"strings"
)

// SMTP replies are compared whole, as RFC 5321 §4.2 defines them: a code,
// then "-" on every line but the last and " " (or nothing) on the last.

// maxReplyLines bounds the lines of one server reply the runner reads.
const maxReplyLines = 1000

// replyLine splits an SMTP reply line into its code, whether it is the
// last line of its reply, and its text (RFC 5321 §4.2: "ddd-text" or
// "ddd text", and a last line may be the bare code).
func replyLine(line string) (code string, last bool, text string, ok bool) {
	if len(line) < 3 || !isDigits(line[:3]) {
		return "", false, "", false
	}
	if len(line) == 3 {
		return line, true, "", true
	}
	switch line[3] {
	case ' ':
		return line[:3], true, line[4:], true
	case '-':
		return line[:3], false, line[4:], true
	}
	return "", false, "", false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// replyEnd returns the index after the last S: step of the reply that
// starts at steps[i]: the step whose code is followed by a space. An error
// is a transcript's mistake, at the line given.
func replyEnd(steps []Step, i int) (end, line int, err error) {
	first := steps[i]
	for j := i; j < len(steps); j++ {
		s := steps[j]
		if s.Dir != 'S' || s.Conn != first.Conn || connectionEvent(s.Text) || elision(s.Text) {
			break
		}
		code, last, _, ok := replyLine(s.Text)
		if !ok {
			return 0, s.Line, fmt.Errorf("%q is not an SMTP reply line (\"ddd text\", or \"ddd-text\" before the last line)", s.Text)
		}
		if code != first.Text[:3] {
			return 0, s.Line, fmt.Errorf("the lines of one reply have one code (RFC 5321 §4.2.1): %s after %s", code, first.Text[:3])
		}
		if last {
			return j + 1, 0, nil
		}
	}
	return 0, first.Line, fmt.Errorf("the reply that starts here has no last line (\"%s text\")", first.Text[:3])
}

// readReply reads one reply of the server, up to its last line.
func readReply(read func() (string, error)) ([]string, error) {
	var lines []string
	for len(lines) < maxReplyLines {
		l, err := read()
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
		code, last, _, ok := replyLine(l)
		if !ok {
			return lines, fmt.Errorf("the server's line %q is not an SMTP reply line", l)
		}
		if code != lines[0][:3] {
			return lines, fmt.Errorf("the server's reply changes code from %s to %s within a reply", lines[0][:3], code)
		}
		if last {
			return lines, nil
		}
	}
	return lines, fmt.Errorf("a reply of more than %d lines", maxReplyLines)
}

// smtpReplyMatch reports whether the server's reply got fits the
// transcript's reply want: see the package doc. withDomain says the reply
// is the greeting or the answer to EHLO or HELO, whose first word is the
// server's domain.
func smtpReplyMatch(want, got []string, withDomain bool, vars map[string]string) (bool, error) {
	if len(want) == 0 || len(got) == 0 {
		return false, nil
	}
	if ok, err := smtpFirstLine(want[0], got[0], withDomain, vars); !ok || err != nil {
		return false, err
	}
	// The further lines: those with placeholders must each match a line of
	// the server's; the others are the server's own business (the EHLO
	// keywords it offers, RFC 5321 §4.1.1.1).
	for _, w := range want[1:] {
		p, err := compilePattern(canonReply(w))
		if err != nil {
			return false, err
		}
		if p.literal {
			continue
		}
		found := false
		for _, g := range got[1:] {
			if p.match(canonReply(g), vars) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// smtpFirstLine matches the first line of a reply: by code, and by domain
// where withDomain says so, or, if it has placeholders, as a pattern.
func smtpFirstLine(want, got string, withDomain bool, vars map[string]string) (bool, error) {
	p, err := compilePattern(canonReply(want))
	if err != nil {
		return false, err
	}
	if !p.literal {
		return p.match(canonReply(got), vars), nil
	}
	if len(want) < 3 || len(got) < 3 || want[:3] != got[:3] {
		return false, nil
	}
	if !withDomain {
		return true, nil
	}
	_, _, wantText, _ := replyLine(want)
	_, _, gotText, _ := replyLine(got)
	wantDomain, gotDomain := firstWord(wantText), firstWord(gotText)
	// Domain names compare without case (RFC 5321 §2.4).
	return wantDomain == "" || strings.EqualFold(wantDomain, gotDomain), nil
}

// canonReply writes a reply line as "ddd text", whichever separator it
// had, so that a pattern matches a reply's first line whether or not more
// lines follow.
func canonReply(line string) string {
	code, _, text, ok := replyLine(line)
	if !ok {
		return line
	}
	return code + " " + text
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// smtpLineMatch matches one server line to one S: line, for an elision's
// end: by code, or as a pattern.
func smtpLineMatch(want, got string, vars map[string]string) (bool, error) {
	return smtpFirstLine(want, got, false, vars)
}

// smtpNamesDomain reports whether the reply to a command is one whose
// first word is the server's domain: the reply to EHLO or HELO (RFC 5321
// §4.1.1.1). verb is the command's first word.
func smtpNamesDomain(verb string) bool {
	return strings.EqualFold(verb, "EHLO") || strings.EqualFold(verb, "HELO")
}
