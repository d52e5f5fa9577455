package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"
)

// Header is the header of a message or body part (RFC 5322 §2.2).
type Header struct {
	// Fields are the header's fields in order, with lines that are not
	// fields kept as fields named "".
	Fields []Field
}

// Field is one header field.
type Field struct {
	// Name is the field name as written, without the white space some
	// agents put before the colon (obs-optional, RFC 5322 §4.5). It is ""
	// for a header line that is not a field: one without a colon, a name
	// with characters outside ftext (RFC 5322 §3.6.8), or a continuation
	// line with no field before it.
	Name string
	// Raw is the field's exact octets in the message: name, colon, value
	// and every continuation line, each with its line ending.
	Raw []byte
}

// Value returns the field's value: the text after the colon, unfolded
// (RFC 5322 §2.2.3: line breaks removed, the white space after them kept)
// and trimmed. It is not decoded: encoded words and 8-bit text are left as
// they are.
func (f Field) Value() string {
	i := bytes.IndexByte(f.Raw, ':')
	if i < 0 || f.Name == "" {
		return ""
	}
	return unfold(f.Raw[i+1:])
}

// Is reports whether the field is named name, compared in the ASCII range
// without regard to case (RFC 5322 §1.2.2; RFC 9051 §6.4.5.1 for
// HEADER.FIELDS).
func (f Field) Is(name string) bool { return f.Name != "" && asciiEqualFold(f.Name, name) }

// Get returns the value (see Field.Value) of the first field named name,
// or "".
func (h *Header) Get(name string) string {
	for _, f := range h.Fields {
		if f.Is(name) {
			return f.Value()
		}
	}
	return ""
}

// Has reports whether the header has a field named name.
func (h *Header) Has(name string) bool {
	for _, f := range h.Fields {
		if f.Is(name) {
			return true
		}
	}
	return false
}

// Values returns the values of all fields named name, in order.
func (h *Header) Values(name string) []string {
	var vs []string
	for _, f := range h.Fields {
		if f.Is(name) {
			vs = append(vs, f.Value())
		}
	}
	return vs
}

// Decoded returns the values of all fields named name with RFC 2047
// encoded words decoded by d (nil: the zero Decoder), for SEARCH HEADER,
// SUBJECT, FROM and the like (RFC 9051 §6.4.4) and for display.
func (h *Header) Decoded(name string, d *Decoder) []string {
	vs := h.Values(name)
	for i, v := range vs {
		vs[i] = d.Header(v)
	}
	return vs
}

// parseHeader reads the header that starts at raw[start:end]: lines up to
// and including the first blank line, or all of them when there is none
// (RFC 5322 §2.1). It returns where the body starts and the length of the
// blank line (0 when there is none).
func parseHeader(raw []byte, start, end int) (h Header, bodyStart, blank int) {
	pos := start
	for pos < end {
		lineEnd := end
		if i := bytes.IndexByte(raw[pos:end], '\n'); i >= 0 {
			lineEnd = pos + i + 1
		}
		line := raw[pos:lineEnd]
		if isBlank(line) {
			return h, lineEnd, len(line)
		}
		if (line[0] == ' ' || line[0] == '\t') && len(h.Fields) > 0 {
			// A continuation line (folding, RFC 5322 §2.2.3). Raw is a
			// slice of raw, so it extends in place.
			last := &h.Fields[len(h.Fields)-1]
			last.Raw = last.Raw[:len(last.Raw)+len(line)]
		} else {
			h.Fields = append(h.Fields, Field{Name: fieldName(line), Raw: line})
		}
		pos = lineEnd
	}
	return h, end, 0
}

// fieldName returns the name of the field that starts on line, or "".
func fieldName(line []byte) string {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return ""
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return ""
	}
	for _, c := range name {
		if c < 33 || c > 126 { // ftext; ':' cannot occur before i
			return ""
		}
	}
	return string(name)
}

// unfold removes the line breaks of a folded value and trims white space
// from both ends.
func unfold(b []byte) string {
	b = bytes.Trim(b, " \t\r\n")
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return string(out)
}

// asciiEqualFold is strings.EqualFold limited to the ASCII range, as field
// names are compared (RFC 9051 §6.4.5.1: "ASCII-range case insensitive").
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Decoder turns header text with RFC 2047 encoded words, RFC 2231
// parameter values and text bodies into UTF-8. The zero value (and a nil
// *Decoder) knows UTF-8, US-ASCII and ISO-8859-1, the charsets
// mime.WordDecoder knows.
type Decoder struct {
	// CharsetReader, if not nil, converts from other charsets, as
	// mime.WordDecoder.CharsetReader does; it gets the charset name
	// lower-cased. golang.org/x/text/encoding/htmlindex supplies one for
	// EUC-KR, ISO-2022-KR, windows-1252 and the rest. When it is nil or
	// fails, text in another charset is left as it is: encoded words stay
	// encoded, and bodies stay raw octets.
	CharsetReader func(charset string, input io.Reader) (io.Reader, error)
}

var errUnknownCharset = errors.New("message: unknown charset")

// DecodeHeader decodes the RFC 2047 encoded words in a header value with
// the zero Decoder. Words in unknown charsets, and malformed ones, are left
// as they are.
func DecodeHeader(value string) string { return (*Decoder)(nil).Header(value) }

// Header decodes the RFC 2047 encoded words in a header value. White space
// between two adjacent encoded words is dropped (RFC 2047 §6.2). Words in
// charsets d cannot convert, and malformed ones, are left as they are.
// Words are also decoded where RFC 2047 §5 does not allow them (inside
// quoted strings, run into other text), as mail clients do.
func (d *Decoder) Header(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	wd := mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		if d == nil || d.CharsetReader == nil {
			return nil, errUnknownCharset
		}
		return d.CharsetReader(strings.ToLower(charset), input)
	}}
	var b strings.Builder
	prevWord := false // the last thing written was a decoded word
	for {
		i := strings.Index(v, "=?")
		if i < 0 {
			break
		}
		n := encodedWordLen(v[i:])
		var dec string
		var err error = errUnknownCharset
		if n > 0 {
			dec, err = wd.Decode(v[i : i+n])
		}
		if err != nil {
			b.WriteString(v[:i+2])
			v = v[i+2:]
			prevWord = false
			continue
		}
		if between := v[:i]; !prevWord || strings.Trim(between, " \t\r\n") != "" {
			b.WriteString(between)
		}
		b.WriteString(dec)
		v = v[i+n:]
		prevWord = true
	}
	b.WriteString(v)
	return b.String()
}

// encodedWordLen returns the length of the encoded word
// "=?charset?encoding?encoded-text?=" at the start of s (RFC 2047 §2), or
// 0. Encoded words hold no white space.
func encodedWordLen(s string) int {
	q1 := strings.IndexByte(s[2:], '?')
	if q1 < 0 {
		return 0
	}
	q1 += 2
	q2 := strings.IndexByte(s[q1+1:], '?')
	if q2 < 0 {
		return 0
	}
	q2 += q1 + 1
	e := strings.Index(s[q2+1:], "?=")
	if e < 0 {
		return 0
	}
	n := q2 + 1 + e + 2
	if strings.ContainsAny(s[:n], " \t\r\n") {
		return 0
	}
	return n
}

// convert converts b from charset to UTF-8. It reports false, and returns
// b unchanged, for a charset it does not know.
func (d *Decoder) convert(charset string, b []byte) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "us-ascii", "ascii", "utf-8", "utf8":
		// Mislabelled 8-bit text is common; it is kept as it is.
		return string(b), true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), true
	}
	if d != nil && d.CharsetReader != nil {
		if r, err := d.CharsetReader(strings.ToLower(charset), bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out), true
			}
		}
	}
	return string(b), false
}

// ParseDate parses an RFC 5322 date-time (§3.3), accepting the obsolete
// forms of §4.3 as net/mail does, and beyond them what real mail holds:
// comments anywhere ("(PDT)"), a missing or misspelled day of the week, a
// zone name after the offset, no zone at all (taken as UTC, like RFC
// 5322's "-0000"), ISO 8601 and asctime dates, "-" between date parts.
// SEARCH SENTBEFORE, SENTON and SENTSINCE use it (RFC 9051 §6.4.4).
func ParseDate(s string) (time.Time, error) {
	if t, err := mail.ParseDate(s); err == nil {
		return fixZone(t), nil
	}
	c := cleanDate(s)
	if t, err := mail.ParseDate(c); err == nil {
		return fixZone(t), nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, c); err == nil {
			return fixZone(t), nil
		}
	}
	return time.Time{}, fmt.Errorf("message: unparsable date %q", s)
}

// obsZones are the zone names of RFC 5322 §4.3 (obs-zone) and their
// offsets in hours. time.Parse knows a name's offset only when it is the
// local zone's, and otherwise takes it as UTC; the military letters mean
// nothing certain (§4.3 says to take them as -0000), so UTC is right for
// them.
var obsZones = map[string]int{
	"UT": 0, "GMT": 0,
	"EST": -5, "EDT": -4,
	"CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6,
	"PST": -8, "PDT": -7,
}

// fixZone gives a time parsed with a zone name the offset RFC 5322
// gives that name.
func fixZone(t time.Time) time.Time {
	name, off := t.Zone()
	if h, ok := obsZones[name]; ok && off != h*3600 {
		y, mo, d := t.Date()
		return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, h*3600))
	}
	return t
}

// dateLayouts are tried, in order, on a date without comments and without
// a day of the week.
var dateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700 MST",
	"2 Jan 2006 15:04:05 -07:00",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04",
	"2 January 2006 15:04:05 -0700",
	"Jan 2 15:04:05 2006",            // asctime
	"Jan 2 15:04:05 MST 2006",        // date(1)
	"Jan 2 15:04:05 -0700 2006",      // some mbox tools
	"2006-01-02T15:04:05Z07:00",      // ISO 8601
	"2006-01-02 15:04:05 -0700",      //
	"2006-01-02 15:04:05",            //
	"2 Jan 06 15:04:05 -0700",        // two-digit year, without mail.ParseDate's day name
	"January 2, 2006 15:04:05 -0700", // US style
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// cleanDate drops comments and a leading day name, turns the "-" between
// day, month and year into spaces and collapses white space.
func cleanDate(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == ',':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	fields := strings.Fields(b.String())
	if len(fields) > 0 {
		first := strings.ToLower(strings.TrimRight(fields[0], "."))
		for _, w := range weekdays {
			if strings.HasPrefix(first, w) {
				fields = fields[1:]
				break
			}
		}
	}
	// "2-Jan-2006" (the IMAP date-time style) as the date.
	if len(fields) > 0 && strings.Count(fields[0], "-") == 2 && !strings.Contains(fields[0][1:], "--") {
		if parts := strings.Split(fields[0], "-"); len(parts[1]) == 3 {
			fields = append(parts, fields[1:]...)
		}
	}
	return strings.Join(fields, " ")
}
