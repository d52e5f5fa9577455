package conformance

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// pattern is a compiled S: line.
type pattern struct {
	re      *regexp.Regexp
	names   []string // capture names, "" for anonymous {*}
	literal bool     // no placeholders at all
}

// compilePattern turns an S: line into an anchored regular expression:
// {name} is (\S+), {*} is (.*?), {*name} is (.*), {{ is "{". A trailing
// " {*}" also matches nothing at all, space included: the text after a
// status such as "+OK" or "* BYE" is optional (RFC 1939 §3, RFC 9051 §7.1:
// resp-text may be empty), and servers do leave it out.
func compilePattern(text string) (*pattern, error) {
	var re strings.Builder
	p := &pattern{literal: true}
	re.WriteString("^")
	optionalTail := false
	if head, ok := strings.CutSuffix(text, " {*}"); ok && !strings.HasSuffix(head, "{") {
		text, optionalTail = head, true
	}
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
	if optionalTail {
		re.WriteString("(?: (.*?))?")
		p.names = append(p.names, "")
		p.literal = false
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

// imapCanon rewrites an IMAP line into a canonical form, so that an
// example matches a server that writes the same values another way:
//
//   - a quoted string that could be an atom is written as the atom
//     ("blurdybloop" and blurdybloop are the same mailbox name, RFC 9051
//     §4.3), except "NIL", which is not NIL; a quoted placeholder of an
//     S: line ("{sep}") stands for the value however it is written; the
//     words the grammar spells out for body structures are upper-cased
//     wherever a string holds one alone (bodyLiterals);
//   - the flags of FLAGS (...) and PERMANENTFLAGS (...) and the attributes
//     of a LIST or LSUB response are a set: they are sorted and, being
//     case-insensitive (RFC 9051 §2.3.2, §7.3.1), lowercased; \Recent, a
//     session flag the RFCs' examples leave out, is dropped;
//   - in LIST and LSUB, \NonExistent brings the \Noselect it implies,
//     and the attributes a server may add on its own (listExtras) are
//     dropped unless want names them.
//
// A list that holds a placeholder ("{") is left as written.
func imapCanon(line, want string) string {
	lw := strings.ToLower(want)
	var out strings.Builder
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == '"':
			end, content, ok := quotedAt(line, i)
			if !ok {
				out.WriteString(line[i:])
				return out.String()
			}
			if up := strings.ToUpper(content); bodyLiterals[up] {
				out.WriteString(up)
			} else if atomLike(content) && !strings.EqualFold(content, "NIL") || placeholderOnly(content) {
				out.WriteString(content)
			} else {
				out.WriteString(line[i:end])
			}
			i = end
		case c == '(' && flagListAt(line, i) != "":
			end := strings.IndexByte(line[i:], ')')
			if end < 0 || strings.ContainsRune(line[i:i+end], '{') {
				out.WriteByte(c)
				i++
				continue
			}
			list := flagListAt(line, i) == "list"
			fields := strings.Fields(strings.ToLower(line[i+1 : i+end]))
			if list && slices.Contains(fields, `\nonexistent`) && !slices.Contains(fields, `\noselect`) {
				fields = append(fields, `\noselect`) // RFC 9051 §7.3.1: \NonExistent implies \NoSelect
			}
			var flags []string
			for _, f := range fields {
				if f == `\recent` || list && listExtras[f] && !strings.Contains(lw, f) {
					continue
				}
				flags = append(flags, f)
			}
			sort.Strings(flags)
			out.WriteString("(" + strings.Join(flags, " ") + ")")
			i += end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String()
}

// bodyLiterals are the strings the grammar of a body structure spells out
// (RFC 9051 §9: media-basic, media-message, body-fld-enc): as ABNF
// literals they are case-insensitive (RFC 5234 §2.3), so "7bit" is
// "7BIT".
var bodyLiterals = map[string]bool{
	"7BIT": true, "8BIT": true, "BINARY": true, "BASE64": true, "QUOTED-PRINTABLE": true,
	"APPLICATION": true, "AUDIO": true, "IMAGE": true, "FONT": true, "MESSAGE": true, "MODEL": true, "VIDEO": true,
	"RFC822": true, "GLOBAL": true,
}

// listExtras are the mailbox attributes a server may add to a LIST or
// LSUB response that the RFCs' examples do not show: the children
// attributes (RFC 3348, RFC 9051 §7.3.1), the marked attributes, the
// special-use attributes (RFC 6154 §2), and \NonExistent, which a server
// may give a \Noselect name that is no mailbox (RFC 9051 §7.3.1; it
// implies \Noselect, which imapCanon adds), lowercased.
var listExtras = map[string]bool{
	`\haschildren`: true, `\hasnochildren`: true, `\marked`: true, `\unmarked`: true,
	`\all`: true, `\archive`: true, `\drafts`: true, `\flagged`: true, `\junk`: true,
	`\sent`: true, `\trash`: true, `\important`: true, `\nonexistent`: true,
}

// placeholderOnly reports a quoted string in an S: line that is one
// placeholder, "{sep}" or "{*}": it stands for the whole value, however the
// server writes it.
func placeholderOnly(s string) bool {
	return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' && !strings.ContainsAny(s[1:len(s)-1], "{} ")
}

// quotedAt reads the quoted string that starts at line[i]: where it ends,
// and its content with escapes undone.
func quotedAt(line string, i int) (end int, content string, ok bool) {
	var b strings.Builder
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			if j+1 < len(line) {
				j++
				b.WriteByte(line[j])
			}
		case '"':
			return j + 1, b.String(), true
		default:
			b.WriteByte(line[j])
		}
	}
	return 0, "", false
}

// atomLike reports text IMAP could send as an atom or astring (RFC 9051
// §9: ATOM-CHAR, and "]" of ASTRING-CHAR).
func atomLike(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\`, c) >= 0 {
			return false
		}
	}
	return true
}

// flagListAt says whether the "(" at line[i] opens a list of flags
// ("flags") or of mailbox attributes ("list"), or neither ("").
func flagListAt(line string, i int) string {
	switch {
	case strings.HasSuffix(line[:i], "FLAGS "): // FLAGS and PERMANENTFLAGS
		return "flags"
	case i == len("* LIST ") && (strings.HasPrefix(line, "* LIST ") || strings.HasPrefix(line, "* LSUB ")):
		return "list"
	}
	return ""
}

// canonFetch sorts the data items of a complete "* n FETCH (...)" or
// "* STATUS name (...)" line by name, since a server may send them in any
// order, and drops those whose names are not in keep (when keep is not
// nil): a server may send FETCH items the client did not ask for, such as
// UID or changed FLAGS (RFC 9051 §7.5.2). It returns the names it found.
// Lines it cannot split into items are returned as they are.
func canonFetch(line string, keep map[string]bool) (string, map[string]bool) {
	var head, list string
	if rest, ok := strings.CutPrefix(line, "* STATUS "); ok {
		// "* STATUS mailbox (...)": the mailbox may be a quoted string.
		end := valueEnd(rest, 0)
		if end < 0 || end >= len(rest) || rest[end] != ' ' {
			return line, nil
		}
		head, list = line[:len("* STATUS ")+end], rest[end+1:]
	} else {
		f := strings.SplitN(line, " ", 4)
		if len(f) < 4 || f[0] != "*" || !strings.EqualFold(f[2], "FETCH") {
			return line, nil
		}
		head, list = strings.Join(f[:3], " "), f[3]
	}
	if !strings.HasPrefix(list, "(") || !strings.HasSuffix(list, ")") {
		return line, nil
	}
	inner := list[1 : len(list)-1]
	type item struct{ name, text string }
	var items []item
	names := map[string]bool{}
	for i := 0; i < len(inner); {
		nameEnd := itemNameEnd(inner, i)
		if nameEnd < 0 || nameEnd >= len(inner) || inner[nameEnd] != ' ' {
			return line, nil
		}
		name := strings.ToUpper(inner[i:nameEnd])
		if strings.ContainsAny(name, "{}") {
			return line, nil
		}
		end := valueEnd(inner, nameEnd+1)
		if end < 0 {
			return line, nil
		}
		names[name] = true
		if keep == nil || keep[name] {
			items = append(items, item{name, inner[i:end]})
		}
		i = end
		if i < len(inner) {
			if inner[i] != ' ' {
				return line, nil
			}
			i++
		}
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].name < items[b].name })
	texts := make([]string, len(items))
	for k, it := range items {
		texts[k] = it.text
	}
	return head + " (" + strings.Join(texts, " ") + ")", names
}

// itemNameEnd returns where a FETCH item's name that starts at s[i] ends:
// at the first space outside its [section] part.
func itemNameEnd(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '[':
			depth++
		case ']':
			depth--
		case ' ':
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// valueEnd returns where the IMAP value that starts at s[i] ends: a
// parenthesised list, a quoted string, or an atom or number; -1 if it does
// not end on this line.
func valueEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		end, _, ok := quotedAt(s, i)
		if !ok {
			return -1
		}
		return end
	case '(':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				end, _, ok := quotedAt(s, j)
				if !ok {
					return -1
				}
				j = end - 1
			case '(':
				depth++
			case ')':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != ')' {
		j++
	}
	return j
}
