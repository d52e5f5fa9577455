package imapwire

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Decoder reads the elements of one complete command (an Event.Command
// of a [Reader]: literals inline after their "{n}\r\n", no final CRLF).
//
// Its methods are named after the grammar of RFC 9051 §9. A method named
// after an element (Tag, Atom, AString, Number, SequenceSet, Mailbox ...)
// requires that element: if it is not there, the Decoder records a
// [*SyntaxError] and the method returns the zero value. Once an error is
// recorded every method does nothing and returns zero values, so a command
// handler reads like the ABNF and checks Err (or End) once:
//
//	tag := d.Tag()
//	d.ExpectSP()
//	name := d.Keyword() // "SELECT"
//	d.ExpectSP()
//	mbox := d.Mailbox()
//	if err := d.End(); err != nil { ... BAD ... }
//
// Punctuation has an Expect form that requires it (ExpectSP, ExpectSpecial,
// ExpectEOL, ExpectKeyword) and a form that takes it only if present and
// reports whether it did (SP, Special, EOL, AcceptKeyword, NIL), for the
// optional parts of the grammar. Peek looks ahead without consuming.
//
// Strings returned by Literal alias the command's bytes; all other results
// are copies.
type Decoder struct {
	// UTF8 is set once the client has enabled UTF8=ACCEPT (RFC 6855) or
	// IMAP4rev2 (RFC 9051): mailbox names are then UTF-8, not modified
	// UTF-7.
	UTF8 bool

	buf   []byte
	pos   int
	err   *SyntaxError
	depth int
	last  string // what was read last, for "expected SP after tag"
}

// NewDecoder returns a Decoder over cmd.
func NewDecoder(cmd []byte) *Decoder { return &Decoder{buf: cmd} }

// Reset makes d decode cmd from its start, keeping the UTF8 setting. A
// Decoder reused with Reset does not allocate.
func (d *Decoder) Reset(cmd []byte) {
	*d = Decoder{UTF8: d.UTF8, buf: cmd}
}

// Err returns the first error, a *SyntaxError, or nil.
func (d *Decoder) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Pos returns the offset of the next octet to decode.
func (d *Decoder) Pos() int { return d.pos }

// Rest returns the octets not yet decoded.
func (d *Decoder) Rest() []byte { return d.buf[d.pos:] }

// Errorf records an error at the current position, unless one is recorded
// already; for the grammar a command handler checks itself, e.g.
// d.Errorf("unknown command %q", name).
func (d *Decoder) Errorf(format string, args ...any) {
	d.fail(d.pos, "", fmt.Sprintf(format, args...), nil)
}

func (d *Decoder) fail(pos int, expected, msg string, err error) {
	if d.err == nil {
		d.err = &SyntaxError{Pos: pos, Expected: expected, Msg: msg, Err: err}
	}
}

// expect records "expected what, found ...".
func (d *Decoder) expect(what string) {
	d.fail(d.pos, what, "expected "+what+", found "+d.found(d.pos), nil)
}

// found describes the octet at pos for an error message.
func (d *Decoder) found(pos int) string {
	if pos >= len(d.buf) {
		return "end of command"
	}
	c := d.buf[pos]
	switch {
	case c == ' ':
		if pos > 0 && d.buf[pos-1] == ' ' {
			return "a second SP (arguments are separated by exactly one SP)"
		}
		return "SP"
	case c == '\r' || c == '\n':
		return "end of line"
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character 0x%02X", c)
	case c >= 0x80:
		return fmt.Sprintf("8-bit octet 0x%02X", c)
	}
	return strconv.Quote(string(rune(c)))
}

func (d *Decoder) peekIs(c byte) bool { return d.pos < len(d.buf) && d.buf[d.pos] == c }

// Peek returns the next octet without consuming it, or 0 at the end of the
// command or after an error.
func (d *Decoder) Peek() byte {
	if d.err != nil || d.pos >= len(d.buf) {
		return 0
	}
	return d.buf[d.pos]
}

// SP consumes a SP if one is next and is not the last octet of the command
// (see ExpectEOL), and reports whether it did.
func (d *Decoder) SP() bool {
	if d.err != nil || !d.peekIs(' ') || d.pos == len(d.buf)-1 {
		return false
	}
	d.pos++
	return true
}

// ExpectSP requires a SP: exactly one separates arguments (RFC 9051 §9,
// note 2).
func (d *Decoder) ExpectSP() bool {
	if d.err != nil {
		return false
	}
	if d.peekIs(' ') {
		d.pos++
		return true
	}
	msg := "expected SP"
	if d.last != "" {
		msg += " after " + d.last
	}
	d.fail(d.pos, "SP", msg+", found "+d.found(d.pos), nil)
	return false
}

// Special consumes c if it is next, and reports whether it did.
func (d *Decoder) Special(c byte) bool {
	if d.err != nil || !d.peekIs(c) {
		return false
	}
	d.pos++
	return true
}

// ExpectSpecial requires the octet c, such as '(' or ')'.
func (d *Decoder) ExpectSpecial(c byte) bool {
	if d.Special(c) {
		return true
	}
	if d.err == nil {
		d.expect(strconv.Quote(string(rune(c))))
	}
	return false
}

// EOL reports whether the command has been decoded to its end (a single
// trailing SP aside, see ExpectEOL).
func (d *Decoder) EOL() bool {
	return d.err == nil && (d.pos == len(d.buf) || d.pos == len(d.buf)-1 && d.buf[d.pos] == ' ')
}

// ExpectEOL requires the end of the command. One trailing SP is tolerated:
// the ABNF has none, but peers send one (Exchange's STATUS responses,
// go-imap issue #540; imap-codec and Ruby's net-imap accept it too) and
// nothing can be misread because of it.
func (d *Decoder) ExpectEOL() bool {
	if d.EOL() {
		d.pos = len(d.buf)
		return true
	}
	if d.err == nil {
		msg := "expected end of command"
		if d.last != "" {
			msg += " after " + d.last
		}
		d.fail(d.pos, "CRLF", msg+", found "+d.found(d.pos), nil)
	}
	return false
}

// End is ExpectEOL followed by Err.
func (d *Decoder) End() error {
	d.ExpectEOL()
	return d.Err()
}

// Tag reads the tag that starts a command (RFC 9051 §9: 1*<any ASTRING-CHAR
// except "+">). The tag must be followed by SP or the end of the command.
func (d *Decoder) Tag() string {
	if d.err != nil {
		return ""
	}
	start := d.pos
	end := start
	for end < len(d.buf) && d.buf[end] != ' ' && d.buf[end] != '\r' {
		end++
	}
	if end == start {
		d.fail(start, "tag", "missing tag", nil)
		return ""
	}
	for i := start; i < end; i++ {
		if c := d.buf[i]; !isTagChar(c) {
			d.fail(i, "tag", "invalid character "+d.found(i)+" in tag", nil)
			return ""
		}
	}
	d.pos = end
	d.last = "tag"
	return string(d.buf[start:end])
}

func (d *Decoder) atomBytes() []byte {
	start := d.pos
	for d.pos < len(d.buf) && isAtomChar(d.buf[d.pos]) {
		d.pos++
	}
	return d.buf[start:d.pos]
}

// Atom reads an atom (1*ATOM-CHAR), as sent.
func (d *Decoder) Atom() string {
	if d.err != nil {
		return ""
	}
	b := d.atomBytes()
	if len(b) == 0 {
		d.expect("atom")
		return ""
	}
	d.last = "atom"
	return internBytes(b)
}

// Keyword reads an atom and returns it in upper case: command names,
// FETCH items, search keys, options — the grammar's case-insensitive
// tokens (RFC 9051 §9, note 1). The usual ones do not allocate.
func (d *Decoder) Keyword() string {
	if d.err != nil {
		return ""
	}
	b := d.atomBytes()
	if len(b) == 0 {
		d.expect("atom")
		return ""
	}
	s := upperIntern(b)
	d.last = s
	if len(s) > 32 {
		d.last = "atom"
	}
	return s
}

func upperIntern(b []byte) string {
	var tmp [32]byte
	if len(b) > len(tmp) {
		return strings.ToUpper(string(b))
	}
	u := tmp[:len(b)]
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		u[i] = c
	}
	return internBytes(u)
}

// ExpectKeyword requires the atom kw, compared case-insensitively.
func (d *Decoder) ExpectKeyword(kw string) bool {
	if d.err != nil {
		return false
	}
	start := d.pos
	if b := d.atomBytes(); !strings.EqualFold(string(b), kw) {
		d.pos = start
		d.expect(kw)
		return false
	}
	d.last = kw
	return true
}

// AcceptKeyword consumes the atom kw (case-insensitively) if it is next,
// and reports whether it did.
func (d *Decoder) AcceptKeyword(kw string) bool {
	if d.err != nil {
		return false
	}
	start := d.pos
	if b := d.atomBytes(); strings.EqualFold(string(b), kw) {
		d.last = kw
		return true
	}
	d.pos = start
	return false
}

// NIL consumes "NIL" if it is next and reports whether it did.
func (d *Decoder) NIL() bool { return d.AcceptKeyword("NIL") }

// AString reads an astring: an atom that may contain "]", a quoted string
// or a literal (RFC 9051 §9).
func (d *Decoder) AString() string {
	if d.err != nil {
		return ""
	}
	switch d.Peek() {
	case '"':
		return d.Quoted()
	case '{':
		return d.literalString("astring")
	}
	start := d.pos
	for d.pos < len(d.buf) && isAStringChar(d.buf[d.pos]) {
		d.pos++
	}
	if d.pos == start {
		d.expect("astring")
		return ""
	}
	d.last = "astring"
	return internBytes(d.buf[start:d.pos])
}

// Str reads a string: quoted or literal (RFC 9051 §9 "string"). It is not
// named String so that a Decoder is not a fmt.Stringer.
func (d *Decoder) Str() string {
	if d.err != nil {
		return ""
	}
	switch d.Peek() {
	case '"':
		return d.Quoted()
	case '{':
		return d.literalString("string")
	}
	d.expect("string (quoted or literal)")
	return ""
}

// NString reads an nstring: a string, or NIL, for which ok is false.
func (d *Decoder) NString() (s string, ok bool) {
	if d.err != nil {
		return "", false
	}
	if d.NIL() {
		d.last = "NIL"
		return "", false
	}
	if p := d.Peek(); p != '"' && p != '{' {
		d.expect("string or NIL")
		return "", false
	}
	s = d.Str()
	return s, d.err == nil
}

// Quoted reads a quoted string (RFC 9051 §9): DQUOTE, characters other
// than CR, LF and NUL with DQUOTE and "\" escaped by "\", DQUOTE. Octets
// above 0x7F are accepted in either mode: RFC 9051 allows UTF-8, and
// IMAP4rev1 clients send 8-bit SEARCH strings with a CHARSET.
func (d *Decoder) Quoted() string {
	if d.err != nil {
		return ""
	}
	if !d.peekIs('"') {
		d.expect("quoted string")
		return ""
	}
	start := d.pos
	i := start + 1
	escaped := false
	for ; ; i++ {
		if i >= len(d.buf) || d.buf[i] == '\r' || d.buf[i] == '\n' {
			d.fail(start, "quoted", "unterminated quoted string", nil)
			return ""
		}
		c := d.buf[i]
		if c == '"' {
			break
		}
		switch c {
		case 0:
			d.fail(i, "quoted", "NUL in quoted string", nil)
			return ""
		case '\\':
			i++
			if i < len(d.buf) && (d.buf[i] == '"' || d.buf[i] == '\\') {
				escaped = true
				continue
			}
			if i >= len(d.buf) || d.buf[i] == '\r' || d.buf[i] == '\n' {
				d.fail(start, "quoted", "unterminated quoted string", nil)
				return ""
			}
			d.fail(i-1, "quoted", `invalid escape "\`+string(rune(d.buf[i]))+`" in quoted string (only \" and \\ are allowed)`, nil)
			return ""
		}
	}
	d.pos = i + 1
	d.last = "quoted string"
	body := d.buf[start+1 : i]
	if !escaped {
		return string(body)
	}
	out := make([]byte, 0, len(body))
	for k := 0; k < len(body); k++ {
		if body[k] == '\\' {
			k++
		}
		out = append(out, body[k])
	}
	return string(out)
}

// literal reads literal (binary false) or literal8 (binary true, "~{")
// and returns its octets, aliasing the command.
func (d *Decoder) literal(what string, allowBinary bool) (data []byte, binary, ok bool) {
	if d.err != nil {
		return nil, false, false
	}
	start := d.pos
	i := start
	if allowBinary && d.peekIs('~') {
		binary = true
		i++
	}
	if i >= len(d.buf) || d.buf[i] != '{' {
		d.expect(what)
		return nil, false, false
	}
	i++
	j := i
	for j < len(d.buf) && d.buf[j] >= '0' && d.buf[j] <= '9' {
		j++
	}
	size := parseNumber64(d.buf[i:j])
	if j == i {
		d.fail(j, "number64", "expected the literal's octet count after \"{\", found "+d.found(j), nil)
		return nil, false, false
	}
	if size < 0 {
		d.fail(i, "number64", "literal octet count "+string(d.buf[i:j])+" is too large", nil)
		return nil, false, false
	}
	if j < len(d.buf) && d.buf[j] == '+' {
		j++
	}
	if j >= len(d.buf) || d.buf[j] != '}' {
		d.fail(j, "\"}\"", "expected \"}\" after the literal's octet count, found "+d.found(j), nil)
		return nil, false, false
	}
	j++
	if j+1 >= len(d.buf) || d.buf[j] != '\r' || d.buf[j+1] != '\n' {
		d.fail(j, "CRLF", "expected CRLF after literal "+string(d.buf[start:j])+", found "+d.found(j), nil)
		return nil, false, false
	}
	j += 2
	if int64(len(d.buf)-j) < size {
		d.fail(j, "literal", fmt.Sprintf("literal announces %d octets but only %d follow", size, len(d.buf)-j), nil)
		return nil, false, false
	}
	d.pos = j + int(size)
	d.last = "literal"
	return d.buf[j:d.pos], binary, true
}

func (d *Decoder) literalString(what string) string {
	start := d.pos
	b, _, ok := d.literal(what, false)
	if !ok {
		return ""
	}
	for i, c := range b {
		if c == 0 {
			d.fail(start, what, "NUL at octet "+strconv.Itoa(i)+" of a literal (only literal8, ~{n}, may carry NUL)", nil)
			return ""
		}
	}
	return string(b)
}

// Literal reads a literal, "{n}" or "{n+}" (RFC 9051 §4.3, RFC 7888), and
// returns its octets, which alias the command: copy them to keep them
// beyond the command's life. Octets are not checked: APPEND's handler
// decides about NUL (RFC 3516 §4.2: NO without BINARY).
func (d *Decoder) Literal() []byte {
	b, _, _ := d.literal("literal", false)
	return b
}

// Literal8 reads a literal or a literal8, "~{n}" (RFC 3516 §4.2, RFC 9051
// §4.3), and reports which; APPEND accepts both.
func (d *Decoder) Literal8() (data []byte, binary bool) {
	b, bin, _ := d.literal("literal or literal8", true)
	return b, bin
}

// numberToken reads what should be a number: the run of ATOM-CHARs, so
// that "12a" is reported whole.
func (d *Decoder) numberToken(what string) []byte {
	if d.err != nil {
		return nil
	}
	b := d.atomBytes()
	if len(b) == 0 {
		d.expect(what)
	}
	return b
}

// checkDigits reports whether tok is 1*DIGIT, else records an error.
func (d *Decoder) checkDigits(tok []byte, what string) bool {
	for _, c := range tok {
		if c < '0' || c > '9' {
			d.fail(d.pos-len(tok), what, "invalid "+what+" "+strconv.Quote(string(tok)), nil)
			return false
		}
	}
	return true
}

// Number reads a number: 1*DIGIT, 0 to 4294967295 (RFC 9051 §9).
func (d *Decoder) Number() uint32 {
	tok := d.numberToken("number")
	if d.err != nil || !d.checkDigits(tok, "number") {
		return 0
	}
	v, err := strconv.ParseUint(string(tok), 10, 32)
	if err != nil {
		d.fail(d.pos-len(tok), "number", "number "+string(tok)+" is out of range (0 to 4294967295)", nil)
		return 0
	}
	d.last = "number"
	return uint32(v)
}

// NZNumber reads an nz-number: 1 to 4294967295, no leading zero (RFC 9051
// §9), as a UID or UIDVALIDITY is.
func (d *Decoder) NZNumber() uint32 {
	tok := d.numberToken("nz-number")
	if d.err != nil || !d.checkDigits(tok, "nz-number") {
		return 0
	}
	if tok[0] == '0' {
		d.fail(d.pos-len(tok), "nz-number", "invalid nz-number "+strconv.Quote(string(tok))+" (must be 1 or more, without leading zeros)", nil)
		return 0
	}
	v, err := strconv.ParseUint(string(tok), 10, 32)
	if err != nil {
		d.fail(d.pos-len(tok), "nz-number", "number "+string(tok)+" is out of range (1 to 4294967295)", nil)
		return 0
	}
	d.last = "number"
	return uint32(v)
}

// Number64 reads a number64: 0 to 2^63-1 (RFC 9051 §9), as RFC822.SIZE,
// LARGER and partial offsets are.
func (d *Decoder) Number64() uint64 {
	tok := d.numberToken("number64")
	if d.err != nil || !d.checkDigits(tok, "number64") {
		return 0
	}
	v := parseNumber64(tok)
	if v < 0 {
		d.fail(d.pos-len(tok), "number64", "number "+string(tok)+" is out of range (0 to 9223372036854775807)", nil)
		return 0
	}
	d.last = "number"
	return uint64(v)
}

// ModSeq reads a mod-sequence-value: 1 to 2^63-1 (RFC 7162 §7), as
// CHANGEDSINCE takes. For UNCHANGEDSINCE, whose mod-sequence-valzer may be
// 0, use Number64.
func (d *Decoder) ModSeq() uint64 {
	start := d.pos
	v := d.Number64()
	if d.err == nil && v == 0 {
		d.fail(start, "mod-sequence-value", "mod-sequence must be 1 or more", nil)
	}
	return v
}

// List iterates over a parenthesized list: it reads "(", yields once per
// element — the loop body reads the element — with SP between elements,
// and reads ")". "()" yields nothing. The iteration stops at the first
// error. Lists nest at most MaxListDepth deep.
//
//	for range d.List() {
//		flags = append(flags, d.Flag())
//	}
func (d *Decoder) List() iter.Seq[int] {
	return func(yield func(int) bool) {
		if !d.enterList() {
			return
		}
		defer func() { d.depth-- }()
		if d.Special(')') {
			return
		}
		for i := 0; ; i++ {
			if !yield(i) || d.err != nil {
				return
			}
			if d.Special(')') {
				d.last = "list"
				return
			}
			if !d.peekIs(' ') {
				d.expect("SP or \")\"")
				return
			}
			d.pos++
		}
	}
}

func (d *Decoder) enterList() bool {
	if !d.ExpectSpecial('(') {
		return false
	}
	if d.depth >= MaxListDepth {
		d.fail(d.pos-1, "", "parenthesized lists nested deeper than "+strconv.Itoa(MaxListDepth), nil)
		return false
	}
	d.depth++
	return true
}

// systemFlags maps the lower-case system flags to their RFC spelling.
var systemFlags = map[string]string{
	`\answered`: `\Answered`, `\flagged`: `\Flagged`, `\deleted`: `\Deleted`,
	`\seen`: `\Seen`, `\draft`: `\Draft`, `\recent`: `\Recent`,
}

// Flag reads a flag (RFC 9051 §9): a system flag, returned in its RFC
// spelling ("\seen" gives `\Seen`); a flag-extension "\" atom; or a keyword
// atom, returned as sent (keywords compare case-insensitively, which is the
// store's business).
func (d *Decoder) Flag() string { return d.flag(false) }

// FlagPerm reads a flag-perm: a flag or "\*", as in the PERMANENTFLAGS
// response code, which a client decodes.
func (d *Decoder) FlagPerm() string { return d.flag(true) }

func (d *Decoder) flag(perm bool) string {
	if d.err != nil {
		return ""
	}
	start := d.pos
	if d.Special('\\') {
		if d.peekIs('*') {
			if !perm {
				d.fail(start, "flag", `"\*" is not a flag (it only appears in PERMANENTFLAGS)`, nil)
				return ""
			}
			d.pos++
			d.last = "flag"
			return `\*`
		}
		b := d.atomBytes()
		if len(b) == 0 {
			d.fail(start, "flag", `expected a flag name after "\", found `+d.found(d.pos), nil)
			return ""
		}
		d.last = "flag"
		var low [16]byte
		if len(b) < len(low) {
			low[0] = '\\'
			n := 1
			for _, c := range b {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				low[n] = c
				n++
			}
			if f, ok := systemFlags[string(low[:n])]; ok {
				return f
			}
		}
		return string(d.buf[start:d.pos])
	}
	b := d.atomBytes()
	if len(b) == 0 {
		d.expect("flag")
		return ""
	}
	d.last = "flag"
	return string(b)
}

// FlagList reads a flag-list: "(" [flag *(SP flag)] ")".
func (d *Decoder) FlagList() []string {
	var flags []string
	for range d.List() {
		if f := d.Flag(); d.err == nil {
			flags = append(flags, f)
		}
	}
	if d.err != nil {
		return nil
	}
	d.last = "flag list"
	return flags
}

// SequenceSet reads a sequence-set, or "$" (RFC 5182).
func (d *Decoder) SequenceSet() SeqSet {
	if d.err != nil {
		return SeqSet{}
	}
	start := d.pos
	for d.pos < len(d.buf) && charClass[d.buf[d.pos]]&cSeq != 0 {
		d.pos++
	}
	if d.pos == start {
		d.expect("sequence set")
		return SeqSet{}
	}
	var s SeqSet
	if err := s.parse(string(d.buf[start:d.pos])); err != nil {
		d.fail(start, "sequence-set", "invalid sequence set "+strconv.Quote(string(d.buf[start:d.pos]))+": "+err.Error(), nil)
		return SeqSet{}
	}
	d.last = "sequence set"
	return s
}

// Mailbox reads a mailbox name (RFC 9051 §9 mailbox): an astring, with any
// case of "INBOX" returned as "INBOX". Unless UTF8 is set the name is
// decoded from modified UTF-7 (RFC 3501 §5.1.3), strictly; with UTF8 it must
// be valid UTF-8. Names with control characters are refused (RFC 9051
// §5.1: Net-Unicode).
func (d *Decoder) Mailbox() string {
	start := d.pos
	name := d.AString()
	if d.err != nil {
		return ""
	}
	if strings.EqualFold(name, "INBOX") {
		d.last = "mailbox name"
		return "INBOX"
	}
	name = d.decodeName(start, name, "mailbox name")
	d.last = "mailbox name"
	return name
}

// ListMailbox reads a list-mailbox, the pattern of LIST (RFC 9051 §9): like
// Mailbox, with the wildcards "%" and "*" allowed unquoted. It is decoded as
// Mailbox is, but "inbox" is not normalised: matching INBOX
// case-insensitively is the server's business (RFC 9051 §6.3.9).
func (d *Decoder) ListMailbox() string {
	if d.err != nil {
		return ""
	}
	start := d.pos
	var name string
	switch d.Peek() {
	case '"':
		name = d.Quoted()
	case '{':
		name = d.literalString("list-mailbox")
	default:
		for d.pos < len(d.buf) && charClass[d.buf[d.pos]]&cList != 0 {
			d.pos++
		}
		if d.pos == start {
			d.expect("mailbox name or pattern")
			return ""
		}
		name = string(d.buf[start:d.pos])
	}
	if d.err != nil {
		return ""
	}
	name = d.decodeName(start, name, "mailbox pattern")
	d.last = "mailbox pattern"
	return name
}

func (d *Decoder) decodeName(start int, name, what string) string {
	if d.UTF8 {
		if !utf8.ValidString(name) {
			d.fail(start, what, what+" "+strconv.Quote(name)+" is not valid UTF-8", nil)
			return ""
		}
	} else {
		dec, err := DecodeModifiedUTF7(name)
		if err != nil {
			d.fail(start, what, what+" "+strconv.Quote(name)+" is not valid modified UTF-7 (RFC 3501 §5.1.3): "+strings.TrimPrefix(err.Error(), ErrModifiedUTF7.Error()+": "), err)
			return ""
		}
		name = dec
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			d.fail(start, what, what+" "+strconv.Quote(name)+" contains a control character", nil)
			return ""
		}
	}
	return name
}
