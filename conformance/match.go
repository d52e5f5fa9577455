package conformance

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// pattern is a compiled S: line.
type pattern struct {
	re      *regexp.Regexp
	names   []string // capture names, "" for anonymous {*}
	literal bool     // no placeholders at all
}

// compilePattern turns an S: line into an anchored regular expression:
// {name} is (\S+), {*} is (.*?), {*name} is (.*), {{ is "{".
func compilePattern(text string) (*pattern, error) {
	var re strings.Builder
	p := &pattern{literal: true}
	re.WriteString("^")
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "{{"):
			re.WriteString(regexp.QuoteMeta("{"))
			i += 2
		case text[i] == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed { in %q", text)
			}
			name := text[i+1 : i+end]
			if isLiteralMarker(name) {
				// "{310}" announces an IMAP literal; it is text.
				re.WriteString(regexp.QuoteMeta(text[i : i+end+1]))
				i += end + 1
				continue
			}
			i += end + 1
			p.literal = false
			switch {
			case name == "*":
				re.WriteString("(.*?)")
				p.names = append(p.names, "")
			case strings.HasPrefix(name, "*"):
				re.WriteString("(.*)")
				p.names = append(p.names, name[1:])
			case validName(name):
				re.WriteString(`(\S+)`)
				p.names = append(p.names, name)
			default:
				return nil, fmt.Errorf("bad placeholder {%s} (want {name}, {*} or {*name})", name)
			}
		default:
			j := strings.IndexByte(text[i:], '{')
			if j < 0 {
				j = len(text) - i
			}
			re.WriteString(regexp.QuoteMeta(text[i : i+j]))
			i += j
		}
	}
	re.WriteString("$")
	r, err := regexp.Compile(re.String())
	if err != nil {
		return nil, err
	}
	p.re = r
	return p, nil
}

// isLiteralMarker reports an IMAP literal's octet count, "310" or "310+"
// (RFC 9051 §4.3, RFC 7888), which transcripts write as the RFCs do.
func isLiteralMarker(s string) bool {
	s = strings.TrimSuffix(s, "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// match reports whether line fits the pattern, adding captures to vars. A
// name captured before must match the same text again: a UID or unique-id
// that must not change is written with the same name.
func (p *pattern) match(line string, vars map[string]string) bool {
	m := p.re.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	for i, name := range p.names {
		if old, seen := vars[name]; seen && name != "" && old != m[i+1] {
			return false
		}
	}
	for i, name := range p.names {
		if name != "" {
			vars[name] = m[i+1]
		}
	}
	return true
}

// substitute fills a C: line's {name} and {apop name secret} forms.
func substitute(text string, vars map[string]string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "{{"):
			out.WriteByte('{')
			i += 2
		case text[i] == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed { in %q", text)
			}
			inner := text[i+1 : i+end]
			if isLiteralMarker(inner) {
				out.WriteString(text[i : i+end+1])
				i += end + 1
				continue
			}
			expr := strings.Fields(inner)
			i += end + 1
			switch {
			case len(expr) == 1:
				v, ok := vars[expr[0]]
				if !ok {
					return "", fmt.Errorf("{%s} was not captured by an earlier S: line", expr[0])
				}
				out.WriteString(v)
			case len(expr) == 3 && expr[0] == "apop":
				ts, ok := vars[expr[1]]
				if !ok {
					return "", fmt.Errorf("{apop %s ...}: %s was not captured", expr[1], expr[1])
				}
				sum := md5.Sum([]byte(ts + expr[2]))
				out.WriteString(hex.EncodeToString(sum[:]))
			default:
				return "", fmt.Errorf("bad substitution {%s}", strings.Join(expr, " "))
			}
		default:
			out.WriteByte(text[i])
			i++
		}
	}
	return out.String(), nil
}

var (
	numberRE    = regexp.MustCompile(`\d+`)
	timestampRE = regexp.MustCompile(`<[^<>]*@[^<>]*>`)
)

// pop3StatusMatch compares a POP3 status line the way RFC 1939 §3 lets
// servers differ: the indicator must match; for +OK the numbers and the
// <...> timestamps too, in order; the words are the server's own.
func pop3StatusMatch(want, got string) bool {
	wantOK, gotOK := strings.HasPrefix(want, "+OK"), strings.HasPrefix(got, "+OK")
	wantErr, gotErr := strings.HasPrefix(want, "-ERR"), strings.HasPrefix(got, "-ERR")
	if wantErr {
		return gotErr
	}
	if !wantOK || !gotOK {
		return want == got
	}
	w, g := strings.TrimPrefix(want, "+OK"), strings.TrimPrefix(got, "+OK")
	// Timestamps first, then numbers outside them.
	wts, gts := timestampRE.FindAllString(w, -1), timestampRE.FindAllString(g, -1)
	if strings.Join(wts, " ") != strings.Join(gts, " ") {
		return false
	}
	w, g = timestampRE.ReplaceAllString(w, ""), timestampRE.ReplaceAllString(g, "")
	return strings.Join(numberRE.FindAllString(w, -1), " ") == strings.Join(numberRE.FindAllString(g, -1), " ")
}
