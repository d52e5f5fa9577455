package message

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// MediaType is a Content-Type (RFC 2045 §5.1).
type MediaType struct {
	// Type and Subtype are lower-cased ("text", "plain").
	Type, Subtype string
	// Params are the parameters in the order they first appear.
	Params []Param
}

// Param is one parameter of a Content-Type or Content-Disposition. RFC 2231
// continuations (name*0, name*1*, ...) are joined into one Param, placed
// where the first of them was.
type Param struct {
	// Name is the lower-cased attribute, without RFC 2231's "*" and
	// section numbers.
	Name string
	// Value is the value with quoting removed. For an extended value
	// (Extended), it is percent-decoded and converted from Charset to UTF-8
	// when Charset is one the zero Decoder knows; otherwise it holds the
	// decoded octets as they are.
	Value string
	// Extended reports an RFC 2231 extended value (name*=charset'lang'...
	// or continuations with name*0*=); Charset and Language are its
	// charset and language, as written.
	Extended          bool
	Charset, Language string

	converted bool // Value was converted to UTF-8
}

// Disposition is a Content-Disposition (RFC 2183).
type Disposition struct {
	Type   string // lower-cased: "inline", "attachment", ...
	Params []Param
}

// defaultType is RFC 2045 §5.2's default: text/plain; charset=us-ascii.
func defaultType() MediaType {
	return MediaType{Type: "text", Subtype: "plain", Params: []Param{{Name: "charset", Value: "us-ascii"}}}
}

// String returns "type/subtype".
func (m MediaType) String() string { return m.Type + "/" + m.Subtype }

// Param returns the value of the parameter named name (case-insensitive),
// or "". When a message gives both a plain and an RFC 2231 extended value,
// the extended one wins, as RFC 2231 §4 intends it for agents that know
// it.
func (m MediaType) Param(name string) string { return paramValue(m.Params, name) }

// Param returns the value of the parameter named name, as MediaType.Param.
func (d *Disposition) Param(name string) string { return paramValue(d.Params, name) }

func paramValue(params []Param, name string) string {
	v, found := "", false
	for _, p := range params {
		if asciiEqualFold(p.Name, name) {
			if p.Extended {
				return p.Value
			}
			if !found {
				v, found = p.Value, true
			}
		}
	}
	return v
}

// setMIME fills in p's MIME fields from its header (RFC 2045 §5-§8,
// RFC 2183, RFC 3282, RFC 2557, RFC 1864).
func (p *Part) setMIME(inDigest bool) {
	var ct, cte, cdisp, clang string
	var haveCT bool
	for _, f := range p.Header.Fields {
		if len(f.Name) < 8 || !asciiEqualFold(f.Name[:8], "content-") {
			continue
		}
		// The first field of each name counts; later ones are ignored.
		switch strings.ToLower(f.Name[8:]) {
		case "type":
			if !haveCT {
				ct, haveCT = f.Value(), true
			}
		case "transfer-encoding":
			setOnce(&cte, f)
		case "id":
			setOnce(&p.ID, f)
		case "description":
			setOnce(&p.Description, f)
		case "disposition":
			setOnce(&cdisp, f)
		case "language":
			setOnce(&clang, f)
		case "location":
			setOnce(&p.Location, f)
		case "md5":
			setOnce(&p.MD5, f)
		}
	}

	p.ContentType = defaultType()
	if inDigest {
		p.ContentType = MediaType{Type: "message", Subtype: "rfc822"} // RFC 2046 §5.1.5
	}
	if haveCT {
		// RFC 2045 §5.2: an invalid Content-Type is treated as absent.
		if m, ok := parseMediaType(ct); ok {
			p.ContentType = m
		}
	}
	if p.ContentType.Type == "multipart" && p.ContentType.Param("boundary") == "" {
		// A multipart without a boundary cannot be split (RFC 2046
		// §5.1.1 makes the parameter mandatory): invalid, so the default.
		p.ContentType = defaultType()
	}

	p.Encoding = "7bit" // RFC 2045 §6.1
	l := newLexer(cte)
	l.skipCFWS()
	if t := l.token(); t != "" {
		p.Encoding = strings.ToLower(t)
	}

	if cdisp != "" {
		l = newLexer(cdisp)
		l.skipCFWS()
		// A disposition without a type is dropped: body-fld-dsp needs one.
		if t := l.token(); t != "" {
			p.Disposition = &Disposition{Type: strings.ToLower(t), Params: l.params()}
		}
	}

	if clang != "" {
		p.Language = parseLanguage(clang)
	}
}

func setOnce(dst *string, f Field) {
	if *dst == "" {
		*dst = f.Value()
	}
}

// parseMediaType parses a Content-Type value. It reports false when there
// is no type "/" subtype.
func parseMediaType(v string) (MediaType, bool) {
	l := newLexer(v)
	l.skipCFWS()
	typ := l.token()
	l.skipCFWS()
	if typ == "" || !l.consume('/') {
		return MediaType{}, false
	}
	l.skipCFWS()
	sub := l.token()
	if sub == "" {
		return MediaType{}, false
	}
	return MediaType{Type: strings.ToLower(typ), Subtype: strings.ToLower(sub), Params: l.params()}, true
}

// parseLanguage parses a Content-Language list (RFC 3282 §2).
func parseLanguage(v string) []string {
	var tags []string
	l := newLexer(v)
	for {
		l.skipCFWS()
		if l.eof() {
			return tags
		}
		if t := l.token(); t != "" {
			tags = append(tags, t)
		} else {
			l.i++ // ',' or junk
		}
	}
}

// lexer reads the structured MIME fields: RFC 2045 tokens and quoted
// strings, with RFC 5322 comments and folding white space between them.
type lexer struct {
	s string
	i int
}

func newLexer(s string) *lexer { return &lexer{s: s} }

func (l *lexer) eof() bool { return l.i >= len(l.s) }

func (l *lexer) consume(c byte) bool {
	if l.i < len(l.s) && l.s[l.i] == c {
		l.i++
		return true
	}
	return false
}

// skipCFWS skips white space and comments, which nest (RFC 5322 §3.2.2).
func (l *lexer) skipCFWS() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case ' ', '\t', '\r', '\n':
			l.i++
		case '(':
			l.comment()
		default:
			return
		}
	}
}

// comment skips a comment and returns its text; an unterminated one runs
// to the end.
func (l *lexer) comment() string {
	var b strings.Builder
	depth := 0
	for l.i < len(l.s) {
		c := l.s[l.i]
		l.i++
		switch {
		case c == '\\' && l.i < len(l.s):
			b.WriteByte(l.s[l.i])
			l.i++
			continue
		case c == '(':
			depth++
			if depth == 1 {
				continue
			}
		case c == ')':
			depth--
			if depth == 0 {
				return b.String()
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isTSpecial reports the RFC 2045 §5.1 tspecials.
func isTSpecial(c byte) bool {
	return strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0
}

// isTokenChar reports RFC 2045 token characters, and octets over 127,
// which real mail puts in unquoted values.
func isTokenChar(c byte) bool {
	return c > ' ' && c != 0x7f && !isTSpecial(c)
}

func (l *lexer) token() string {
	start := l.i
	for l.i < len(l.s) && isTokenChar(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i]
}

// quoted reads a quoted string at l.i (the opening quote), removes its
// quoting and folding, and returns its content. An unterminated one runs
// to the end.
func (l *lexer) quoted() string {
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		l.i++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if l.i < len(l.s) {
				b.WriteByte(l.s[l.i])
				l.i++
			}
		case '\r', '\n':
			// folding inside the quoted string
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rawParam is a parameter as written, before RFC 2231 processing.
type rawParam struct{ attr, value string }

// params reads "; attribute=value" pairs to the end of the field
// (RFC 2045 §5.1) and processes their RFC 2231 forms. It is lenient as
// mail readers are: a missing ";" between parameters, an unquoted value
// with spaces or tspecials (name=foo bar.txt), a trailing ";", and stray
// characters are accepted; an attribute without "=" is dropped.
func (l *lexer) params() []Param {
	var raw []rawParam
	for {
		l.skipCFWS()
		if l.eof() {
			break
		}
		if l.consume(';') {
			continue
		}
		attr := l.token()
		if attr == "" {
			l.i++ // stray character
			continue
		}
		l.skipCFWS()
		if !l.consume('=') {
			continue
		}
		l.skipCFWS()
		var value string
		if l.i < len(l.s) && l.s[l.i] == '"' {
			value = l.quoted()
		} else {
			value = l.unquotedValue()
		}
		raw = append(raw, rawParam{attr, value})
	}
	return joinParams(raw)
}

// unquotedValue reads a value that should be a token up to the next ";"
// or the start of what looks like the next attribute=, keeping single
// spaces between its words and dropping comments.
func (l *lexer) unquotedValue() string {
	var words []string
	for {
		start := l.i
		for l.i < len(l.s) {
			c := l.s[l.i]
			if c == ';' || c == '(' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			l.i++
		}
		if l.i > start {
			words = append(words, l.s[start:l.i])
		}
		l.skipCFWS()
		if l.eof() || l.s[l.i] == ';' || l.looksLikeAttribute() {
			return strings.Join(words, " ")
		}
	}
}

// looksLikeAttribute reports whether a token followed by "=" starts at
// l.i.
func (l *lexer) looksLikeAttribute() bool {
	j := l.i
	for j < len(l.s) && isTokenChar(l.s[j]) {
		j++
	}
	for j < len(l.s) && (l.s[j] == ' ' || l.s[j] == '\t') {
		j++
	}
	return j > l.i && j < len(l.s) && l.s[j] == '='
}

// section is one piece of an RFC 2231 parameter.
type section struct {
	n       int
	encoded bool // percent-encoded (the attribute ends in "*")
	value   string
}

// joinParams applies RFC 2231: "name*" is an extended value
// (charset'language'percent-encoded), "name*N" and "name*N*" are
// continuations joined in the order of N. A plain "name" next to an
// extended one is kept as its own Param.
func joinParams(raw []rawParam) []Param {
	if len(raw) == 0 {
		return nil
	}
	type group struct {
		index    int // position in out
		sections []section
	}
	var out []Param
	var groups map[string]*group
	for _, rp := range raw {
		attr := strings.ToLower(rp.attr)
		star := strings.IndexByte(attr, '*')
		if star <= 0 {
			out = append(out, Param{Name: attr, Value: rp.value})
			continue
		}
		name, rest := attr[:star], attr[star+1:]
		sec := section{value: rp.value}
		switch {
		case rest == "":
			sec.encoded = true
		default:
			digits := strings.TrimSuffix(rest, "*")
			n, err := strconv.Atoi(digits)
			if err != nil || n < 0 || digits == "" || digits[0] == '+' {
				// Not an RFC 2231 form ("a*b"): an ordinary name.
				out = append(out, Param{Name: attr, Value: rp.value})
				continue
			}
			sec.n, sec.encoded = n, len(digits) < len(rest)
		}
		if groups == nil {
			groups = make(map[string]*group)
		}
		g := groups[name]
		if g == nil {
			g = &group{index: len(out)}
			groups[name] = g
			out = append(out, Param{Name: name})
		}
		g.sections = append(g.sections, sec)
	}
	for _, g := range groups {
		out[g.index] = join2231(out[g.index].Name, g.sections)
	}
	return out
}

func join2231(name string, secs []section) Param {
	slices.SortStableFunc(secs, func(a, b section) int { return cmp.Compare(a.n, b.n) })
	p := Param{Name: name}
	var b []byte
	for i, s := range secs {
		if i > 0 && s.n == secs[i-1].n {
			continue // a repeated section: the first one counts
		}
		v := s.value
		if s.encoded {
			p.Extended = true
			if i == 0 && s.n == 0 {
				// charset'language'value; without the quotes, take it
				// all as the value. Only section 0 has them.
				if cs, rest, ok := strings.Cut(v, "'"); ok {
					if lang, val, ok := strings.Cut(rest, "'"); ok {
						p.Charset, p.Language, v = cs, lang, val
					}
				}
			}
			b = percentDecode(b, v)
		} else {
			b = append(b, v...)
		}
	}
	if p.Extended {
		p.Value, p.converted = (*Decoder)(nil).convert(p.Charset, b)
	} else {
		p.Value = string(b)
	}
	return p
}

// percentDecode appends the octets of an RFC 2231 extended value to b. A
// "%" not followed by two hex digits is taken literally.
func percentDecode(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// encoded2231 returns p's value in RFC 2231 extended form,
// charset'language'percent-encoded, with the charset "utf-8" when the
// value was converted.
func (p Param) encoded2231() string {
	charset := p.Charset
	if p.converted {
		charset = "utf-8"
	}
	var b strings.Builder
	b.WriteString(charset)
	b.WriteByte('\'')
	b.WriteString(p.Language)
	b.WriteByte('\'')
	const hexdigits = "0123456789ABCDEF"
	for i := 0; i < len(p.Value); i++ {
		c := p.Value[i]
		// attribute-char (RFC 2231 §7): a token char other than "*",
		// "'" and "%".
		if c < 0x80 && isTokenChar(c) && c != '*' && c != '\'' && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}
