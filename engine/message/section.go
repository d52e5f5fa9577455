package message

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Specifier is the text part of a FETCH section (RFC 9051 §6.4.5.1).
type Specifier string

// The section specifiers. SpecifierNone means the part itself (or, with
// no part numbers, the whole message).
const (
	SpecifierNone            Specifier = ""
	SpecifierHeader          Specifier = "HEADER"
	SpecifierHeaderFields    Specifier = "HEADER.FIELDS"
	SpecifierHeaderFieldsNot Specifier = "HEADER.FIELDS.NOT"
	SpecifierText            Specifier = "TEXT"
	SpecifierMIME            Specifier = "MIME"
)

// Section is a FETCH section specification (RFC 9051 §6.4.5.1): the part
// numbers, then a specifier.
type Section struct {
	// Part holds the part numbers ([1, 2, 3] for "1.2.3"), none for the
	// message.
	Part []int
	// Specifier is what of the part: all of it, its header, ...
	Specifier Specifier
	// Fields are the field names of HEADER.FIELDS and HEADER.FIELDS.NOT.
	Fields []string
}

var errBadSection = errors.New("message: invalid section")

// ParseSection parses the text between the brackets of BODY[...], such as
// "1.2.HEADER.FIELDS (From To)" (RFC 9051 §9, section-spec), for tests and
// the playground; an IMAP server has its own wire decoder. Keywords are
// case-insensitive; field names are atoms or quoted strings.
func ParseSection(s string) (Section, error) {
	var sec Section
	rest := s
	for rest != "" && rest[0] >= '0' && rest[0] <= '9' {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		digits := rest[:j]
		n, err := strconv.Atoi(digits)
		if err != nil || n <= 0 || digits[0] == '0' {
			return Section{}, fmt.Errorf("%w %q: bad part number %q", errBadSection, s, digits)
		}
		sec.Part = append(sec.Part, n)
		rest = rest[j:]
		if rest == "" {
			break
		}
		if rest[0] != '.' || len(rest) == 1 {
			return Section{}, fmt.Errorf("%w %q", errBadSection, s)
		}
		rest = rest[1:]
	}
	if rest == "" {
		return sec, nil
	}
	keyword, list, _ := strings.Cut(rest, " ")
	switch sp := Specifier(strings.ToUpper(keyword)); sp {
	case SpecifierHeader, SpecifierText:
		sec.Specifier = sp
	case SpecifierMIME:
		if len(sec.Part) == 0 {
			return Section{}, fmt.Errorf("%w %q: MIME needs part numbers", errBadSection, s)
		}
		sec.Specifier = sp
	case SpecifierHeaderFields, SpecifierHeaderFieldsNot:
		sec.Specifier = sp
		fields, err := parseFieldList(list)
		if err != nil {
			return Section{}, fmt.Errorf("%w %q: %v", errBadSection, s, err)
		}
		sec.Fields = fields
		return sec, nil
	default:
		return Section{}, fmt.Errorf("%w %q: unknown specifier %q", errBadSection, s, keyword)
	}
	if list != "" {
		return Section{}, fmt.Errorf("%w %q: text after %s", errBadSection, s, keyword)
	}
	return sec, nil
}

// parseFieldList parses header-list: "(" header-fld-name *(SP
// header-fld-name) ")".
func parseFieldList(s string) ([]string, error) {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return nil, errors.New("expected a parenthesized list of field names")
	}
	s = s[1 : len(s)-1]
	var fields []string
	for s != "" {
		if s[0] == '"' {
			// quoted = DQUOTE *QUOTED-CHAR DQUOTE (RFC 9051 §9)
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, errors.New("unterminated quoted string")
			}
			fields = append(fields, b.String())
			s = strings.TrimLeft(s[i+1:], " ")
			continue
		}
		name, rest, _ := strings.Cut(s, " ")
		if name != "" {
			fields = append(fields, name)
		}
		s = rest
	}
	if len(fields) == 0 {
		return nil, errors.New("empty list of field names")
	}
	return fields, nil
}

// String returns the section as IMAP writes it between the brackets.
func (s Section) String() string {
	var b strings.Builder
	for i, n := range s.Part {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if s.Specifier != SpecifierNone {
		if len(s.Part) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(string(s.Specifier))
	}
	if s.Specifier == SpecifierHeaderFields || s.Specifier == SpecifierHeaderFieldsNot {
		b.WriteString(" (")
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteByte(' ')
			}
			if f == "" || strings.ContainsAny(f, " ()\"\\{%*]") {
				f = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(f) + `"`
			}
			b.WriteString(f)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Find returns the part that the part numbers path name in the message p
// (RFC 9051 §6.4.5.1), or nil. The body parts of a multipart are numbered
// from 1; a message that is not multipart has only a part 1, its body, for
// which Find returns the message itself; the numbers after a
// message/rfc822 part number the parts of the encapsulated message. The
// numbers after any other leaf part name nothing.
func (p *Part) Find(path []int) *Part {
	cur := p
	inMessage := true // cur is a message whose body the next number numbers
	for _, n := range path {
		if !inMessage {
			switch {
			case cur.Message != nil:
				cur, inMessage = cur.Message, true
			case !cur.IsMultipart():
				return nil
			}
		}
		switch {
		case cur.IsMultipart():
			if n < 1 || n > len(cur.Parts) {
				return nil
			}
			cur = cur.Parts[n-1]
		case inMessage && n == 1:
			// The body of a non-multipart message is its part 1.
		default:
			return nil
		}
		inMessage = false
	}
	return cur
}

// Section returns the octets of a FETCH BODY[section] (RFC 9051 §6.4.5.1)
// of the message p: exact bytes of the raw message, except for
// HEADER.FIELDS and HEADER.FIELDS.NOT, which put the selected fields
// (with their continuation lines) and then the header's blank line
// together.
//
// ok is false, with no octets, when the section names nothing: a part
// number that does not exist, HEADER or TEXT after the number of a part
// that is not message/rfc822, MIME without part numbers. RFC 3501 and
// RFC 9051 do not say what a server returns then (neither forbids the
// request); the empty string is this package's suggestion, as nil octets
// print as "" (NIL, which the grammar also allows, is the other choice),
// and ok lets the server make its own.
//
// BODY[HEADER] includes the blank line that ends the header, and so do the
// header subsets, unless the message has no body and no blank line
// (RFC 9051 §6.4.5.1). BODY[n.MIME] is the part's MIME header, blank line
// included. Use Partial for <origin.count>.
func (p *Part) Section(s Section) (b []byte, ok bool) {
	target := p.Find(s.Part)
	if target == nil {
		return nil, false
	}
	var m *Part // the message whose header or text is wanted
	switch s.Specifier {
	case SpecifierNone:
		if len(s.Part) == 0 {
			return p.raw[p.HeaderStart:p.End], true
		}
		return target.Body(), true
	case SpecifierMIME:
		if len(s.Part) == 0 {
			return nil, false
		}
		return target.HeaderBytes(), true
	case SpecifierHeader, SpecifierText, SpecifierHeaderFields, SpecifierHeaderFieldsNot:
		m = p
		if len(s.Part) > 0 {
			m = target.Message
		}
		if m == nil {
			return nil, false
		}
	default:
		return nil, false
	}
	switch s.Specifier {
	case SpecifierHeader:
		return m.HeaderBytes(), true
	case SpecifierText:
		return m.Body(), true
	}
	return m.headerSubset(s.Fields, s.Specifier == SpecifierHeaderFieldsNot), true
}

// headerSubset returns the fields of p's header whose names are (or, with
// not, are not) in names, then the blank line. Lines of the header that
// are not fields have no name, so only HEADER.FIELDS.NOT returns them.
func (p *Part) headerSubset(names []string, not bool) []byte {
	var out []byte
	for _, f := range p.Header.Fields {
		match := false
		for _, n := range names {
			if f.Is(n) {
				match = true
				break
			}
		}
		if match != not {
			out = append(out, f.Raw...)
		}
	}
	if p.hasBlankLine() {
		out = append(out, p.raw[p.BodyStart-p.blank:p.BodyStart]...)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// Partial applies a FETCH <origin.count> to section octets (RFC 9051
// §6.4.5): count octets from origin, fewer when the text ends first, and
// none when origin is beyond the end. A negative origin counts as 0 and
// a negative count as 0.
func Partial(b []byte, origin, count int64) []byte {
	n := int64(len(b))
	origin = min(max(origin, 0), n)
	end := origin + min(max(count, 0), n-origin)
	return b[origin:end]
}

// ToCRLF returns b with every LF that does not follow a CR turned into
// CRLF, or b itself when there is none. IMAP sends messages with CRLF line
// endings (RFC 9051 §2.2); a server whose store keeps LF-only messages
// should convert with ToCRLF before Parse, so that sizes, line counts,
// sections and RFC822.SIZE agree with the octets it sends.
func ToCRLF(b []byte) []byte {
	bare := bareLFs(b)
	if bare == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+bare)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:i]...)
		if i == 0 || b[i-1] != '\r' {
			out = append(out, '\r')
		}
		out = append(out, '\n')
		b = b[i+1:]
	}
	return out
}

// CRLFLen returns len(ToCRLF(b)) without converting.
func CRLFLen(b []byte) int64 { return int64(len(b) + bareLFs(b)) }

func bareLFs(b []byte) int {
	n := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			n++
		}
	}
	return n
}
