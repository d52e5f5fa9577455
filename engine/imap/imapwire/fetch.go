package imapwire

import (
	"strconv"
)

// Section specifiers (RFC 9051 §9 section-msgtext, section-text).
const (
	SectionHeader          = "HEADER"
	SectionHeaderFields    = "HEADER.FIELDS"
	SectionHeaderFieldsNot = "HEADER.FIELDS.NOT"
	SectionText            = "TEXT"
	SectionMIME            = "MIME"
)

// A Section is the section of BODY[...] and BINARY[...] (RFC 9051 §6.4.5,
// §9 section-spec): a part path, then a specifier. BODY[] is the zero
// Section: the whole message.
type Section struct {
	Part      []uint32 // 1.2.3 → [1 2 3]; empty for the top-level message
	Specifier string   // "", or one of the Section* constants
	Fields    []string // header field names of HEADER.FIELDS[.NOT], as sent
}

// AppendTo appends the section-spec as sent in a FETCH response, without
// brackets: "1.2.HEADER.FIELDS (DATE FROM)".
func (s Section) AppendTo(dst []byte) []byte {
	for i, p := range s.Part {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(p), 10)
	}
	if s.Specifier != "" {
		if len(s.Part) > 0 {
			dst = append(dst, '.')
		}
		dst = append(dst, s.Specifier...)
	}
	if len(s.Fields) > 0 {
		dst = append(dst, " ("...)
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = appendAString(dst, f, false)
		}
		dst = append(dst, ')')
	}
	return dst
}

func (s Section) String() string { return string(s.AppendTo(nil)) }

// A Partial is the <offset.count> of a FETCH (RFC 9051 §6.4.5, §9 partial).
type Partial struct {
	Offset int64 // 0-based offset of the first octet
	Count  int64 // octets wanted, at least 1
}

// A FetchAtt is one FETCH data item a client asked for (RFC 9051 §6.4.5,
// §9 fetch-att; MODSEQ of RFC 7162, EMAILID/THREADID of RFC 8474, SAVEDATE
// of RFC 8514).
type FetchAtt struct {
	// Name is the item in upper case: ENVELOPE, FLAGS, INTERNALDATE,
	// RFC822, RFC822.HEADER, RFC822.SIZE, RFC822.TEXT, BODY,
	// BODYSTRUCTURE, UID, BINARY, BINARY.SIZE, MODSEQ, EMAILID, THREADID,
	// SAVEDATE. BODY.PEEK and BINARY.PEEK are BODY and BINARY with Peek.
	Name string
	// Section is nil for BODY without brackets (the non-extensible
	// BODYSTRUCTURE) and for the items that take none; BODY[] has a zero
	// Section. BINARY sections have parts only.
	Section *Section
	Peek    bool     // .PEEK: do not set \Seen
	Partial *Partial // <offset.count>, or nil
}

// isFetchName reports whether name is a FETCH item without a section.
func isFetchName(name string) bool {
	switch name {
	case "ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER",
		"RFC822.SIZE", "RFC822.TEXT", "BODY", "BODYSTRUCTURE", "UID",
		"MODSEQ", "EMAILID", "THREADID", "SAVEDATE":
		return true
	}
	return false
}

// fetchMacros are the FETCH macros (RFC 9051 §6.4.5).
var fetchMacros = map[string][]string{
	"ALL":  {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
	"FAST": {"FLAGS", "INTERNALDATE", "RFC822.SIZE"},
	"FULL": {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"},
}

// AppendTo appends the item as a client sends it:
// "BODY.PEEK[1.HEADER]<0.100>".
func (a FetchAtt) AppendTo(dst []byte) []byte {
	dst = append(dst, a.Name...)
	if a.Peek {
		dst = append(dst, ".PEEK"...)
	}
	if a.Section != nil {
		dst = append(dst, '[')
		dst = a.Section.AppendTo(dst)
		dst = append(dst, ']')
	}
	if a.Partial != nil {
		dst = append(dst, '<')
		dst = strconv.AppendInt(dst, a.Partial.Offset, 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, a.Partial.Count, 10)
		dst = append(dst, '>')
	}
	return dst
}

func (a FetchAtt) String() string { return string(a.AppendTo(nil)) }

// AppendResponseName appends the name under which the server returns the
// item (RFC 9051 §7.5.2): without .PEEK, and with only the origin octet of
// a partial, "BODY[1.HEADER]<0>".
func (a FetchAtt) AppendResponseName(dst []byte) []byte {
	dst = append(dst, a.Name...)
	if a.Section != nil {
		dst = append(dst, '[')
		dst = a.Section.AppendTo(dst)
		dst = append(dst, ']')
	}
	if a.Partial != nil {
		dst = append(dst, '<')
		dst = strconv.AppendInt(dst, a.Partial.Offset, 10)
		dst = append(dst, '>')
	}
	return dst
}

// FetchAtts reads the items of FETCH (RFC 9051 §9): a macro (ALL, FAST,
// FULL), expanded; one fetch-att; or a parenthesized list of them.
func (d *Decoder) FetchAtts() []FetchAtt {
	if d.err != nil {
		return nil
	}
	if !d.peekIs('(') {
		start := d.pos
		if kw := d.fetchName(); d.err == nil {
			if names, ok := fetchMacros[kw]; ok && !d.peekIs('[') {
				atts := make([]FetchAtt, len(names))
				for i, n := range names {
					atts[i].Name = n
				}
				d.last = kw
				return atts
			}
		}
		d.pos = start
		a := d.FetchAtt()
		if d.err != nil {
			return nil
		}
		return []FetchAtt{a}
	}
	if !d.enterList() {
		return nil
	}
	defer func() { d.depth-- }()
	atts := make([]FetchAtt, 0, 4)
	for {
		a := d.FetchAtt()
		if d.err != nil {
			return nil
		}
		atts = append(atts, a)
		if d.Special(')') {
			d.last = "FETCH items"
			return atts
		}
		if !d.peekIs(' ') {
			d.expect("SP or \")\"")
			return nil
		}
		d.pos++
	}
}

// fetchName reads the name of a fetch-att, up to "[" or a delimiter, in
// upper case.
func (d *Decoder) fetchName() string {
	start := d.pos
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if c == '[' || !isAtomChar(c) {
			break
		}
		d.pos++
	}
	if d.pos == start {
		d.expect("FETCH item")
		return ""
	}
	return upperIntern(d.buf[start:d.pos])
}

// FetchAtt reads one fetch-att (RFC 9051 §9).
func (d *Decoder) FetchAtt() FetchAtt {
	if d.err != nil {
		return FetchAtt{}
	}
	start := d.pos
	name := d.fetchName()
	if d.err != nil {
		return FetchAtt{}
	}
	a := FetchAtt{Name: name}
	bracket := d.peekIs('[')
	switch name {
	case "BODY.PEEK":
		a.Name, a.Peek = "BODY", true
	case "BINARY.PEEK":
		a.Name, a.Peek = "BINARY", true
	}
	switch a.Name {
	case "BODY", "BINARY", "BINARY.SIZE":
		if !bracket {
			if a.Name == "BODY" && !a.Peek {
				d.last = name
				return a
			}
			d.fail(d.pos, "section", name+` must be followed by a section, as `+name+`[]`, nil)
			return FetchAtt{}
		}
		var sec Section
		if a.Name == "BODY" {
			sec = d.section()
		} else {
			sec = d.sectionBinary()
		}
		if d.err != nil {
			return FetchAtt{}
		}
		a.Section = &sec
		if a.Name != "BINARY.SIZE" && d.peekIs('<') {
			p := d.partial()
			if d.err != nil {
				return FetchAtt{}
			}
			a.Partial = &p
		}
	default:
		if !isFetchName(name) {
			d.fail(start, "fetch-att", "unknown FETCH item "+strconv.Quote(d.token(start)), nil)
			return FetchAtt{}
		}
		if bracket {
			d.fail(d.pos, "", name+" takes no section", nil)
			return FetchAtt{}
		}
	}
	d.last = name
	return a
}

// Section reads a section: "[" [section-spec] "]" (RFC 9051 §9).
func (d *Decoder) Section() Section {
	if d.err != nil {
		return Section{}
	}
	return d.section()
}

// partNumber reads one nz-number of a section-part.
func (d *Decoder) partNumber() (uint32, bool) {
	start := d.pos
	var v uint64
	for d.pos < len(d.buf) && d.buf[d.pos] >= '0' && d.buf[d.pos] <= '9' {
		v = v*10 + uint64(d.buf[d.pos]-'0')
		d.pos++
		if v > 1<<32-1 {
			d.fail(start, "section-part", "section part number is larger than 4294967295", nil)
			return 0, false
		}
	}
	if d.pos == start || d.buf[start] == '0' {
		d.fail(start, "section-part", "invalid section part "+strconv.Quote(d.sectionToken(start))+" (parts are numbered from 1)", nil)
		return 0, false
	}
	return uint32(v), true
}

func (d *Decoder) sectionToken(start int) string {
	end := start
	for end < len(d.buf) && end-start < 40 && d.buf[end] != ']' && d.buf[end] != ' ' && d.buf[end] != '\r' {
		end++
	}
	return string(d.buf[start:end])
}

func (d *Decoder) section() Section {
	var s Section
	if !d.ExpectSpecial('[') {
		return s
	}
	if d.Special(']') {
		return s
	}
	if c := d.Peek(); c >= '0' && c <= '9' {
		for {
			n, ok := d.partNumber()
			if !ok {
				return Section{}
			}
			s.Part = append(s.Part, n)
			if !d.peekIs('.') {
				break
			}
			d.pos++
			if c := d.Peek(); c < '0' || c > '9' {
				break // section-text follows
			}
		}
		if d.Special(']') {
			return s
		}
		if d.buf[d.pos-1] != '.' {
			d.expect(`"." or "]"`)
			return Section{}
		}
	}
	start := d.pos
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '.') {
			break
		}
		d.pos++
	}
	spec := upperIntern(d.buf[start:d.pos])
	switch spec {
	case SectionHeader, SectionText:
	case SectionMIME:
		if len(s.Part) == 0 {
			d.fail(start, "section-text", "MIME needs a part number, as 1.MIME", nil)
			return Section{}
		}
	case SectionHeaderFields, SectionHeaderFieldsNot:
		d.last = spec
		if !d.ExpectSP() {
			return Section{}
		}
		for range d.List() {
			f := d.AString()
			if d.err == nil {
				s.Fields = append(s.Fields, f)
			}
		}
		if d.err != nil {
			return Section{}
		}
		if len(s.Fields) == 0 {
			d.fail(d.pos-2, "header-list", spec+" needs at least one header field name", nil)
			return Section{}
		}
	default:
		d.fail(start, "section-spec", "invalid section "+strconv.Quote(d.sectionToken(start))+" (expected HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME)", nil)
		return Section{}
	}
	s.Specifier = spec
	if !d.ExpectSpecial(']') {
		return Section{}
	}
	return s
}

// sectionBinary reads section-binary: "[" [section-part] "]" (RFC 9051 §9).
func (d *Decoder) sectionBinary() Section {
	var s Section
	if !d.ExpectSpecial('[') {
		return s
	}
	if d.Special(']') {
		return s
	}
	for {
		n, ok := d.partNumber()
		if !ok {
			return Section{}
		}
		s.Part = append(s.Part, n)
		if !d.Special('.') {
			break
		}
	}
	if !d.ExpectSpecial(']') {
		return Section{}
	}
	return s
}

// partial reads "<" number64 "." nz-number64 ">".
func (d *Decoder) partial() Partial {
	start := d.pos
	d.pos++ // "<"
	bad := func() Partial {
		d.fail(start, "partial", "invalid partial "+strconv.Quote(d.sectionToken(start))+" (expected <offset.count>, count 1 or more)", nil)
		return Partial{}
	}
	num := func() int64 {
		i := d.pos
		for d.pos < len(d.buf) && d.buf[d.pos] >= '0' && d.buf[d.pos] <= '9' {
			d.pos++
		}
		return parseNumber64(d.buf[i:d.pos])
	}
	off := num()
	if off < 0 || !d.Special('.') {
		return bad()
	}
	if d.peekIs('0') {
		return bad()
	}
	n := num()
	if n <= 0 || !d.Special('>') {
		return bad()
	}
	return Partial{Offset: off, Count: n}
}
