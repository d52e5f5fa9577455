package imapwire

import (
	"strconv"
	"time"
)

// DateTimeLayout is the time.Layout of an INTERNALDATE date-time (RFC 9051
// §9), quotes included: the day is padded with a space, as RFC 3501's
// date-day-fixed allows and servers send.
const DateTimeLayout = `"_2-Jan-2006 15:04:05 -0700"`

// DateLayout is the time.Layout of a date-text in SEARCH (RFC 9051 §9).
const DateLayout = "2-Jan-2006"

var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// month reads date-month, case-insensitively.
func (d *Decoder) month(i int) (time.Month, bool) {
	if i+3 > len(d.buf) {
		return 0, false
	}
	var m [3]byte
	for k := range m {
		c := d.buf[i+k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		m[k] = c
	}
	for k, name := range months {
		if string(m[:]) == name {
			return time.Month(k + 1), true
		}
	}
	return 0, false
}

// digits reads exactly n digits at i.
func (d *Decoder) digits(i, n int) (int, bool) {
	if i+n > len(d.buf) {
		return 0, false
	}
	v := 0
	for _, c := range d.buf[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// token returns the text from start to the next SP, ")" or end, for error
// messages.
func (d *Decoder) token(start int) string {
	end := start
	for end < len(d.buf) && end-start < 40 && d.buf[end] != ' ' && d.buf[end] != ')' && d.buf[end] != '\r' {
		end++
	}
	return string(d.buf[start:end])
}

// Date reads a date (RFC 9051 §9): date-text "d-Mon-yyyy" with a day of one
// or two digits, optionally in DQUOTEs, as SEARCH SINCE takes. The result is
// midnight UTC of that day; comparing it with a message's date in the
// server's time zone is the server's business (RFC 9051 §6.4.4).
func (d *Decoder) Date() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	start := d.pos
	i := start
	quoted := d.peekIs('"')
	if quoted {
		i++
	}
	bad := func(why string) time.Time {
		d.fail(start, "date", "invalid date "+strconv.Quote(d.token(start))+" ("+why+")", nil)
		return time.Time{}
	}
	day, ok := d.digits(i, 2)
	if ok {
		i += 2
	} else if day, ok = d.digits(i, 1); ok {
		i++
	} else {
		return bad("expected d-Mon-yyyy, as 1-Feb-1994")
	}
	if i >= len(d.buf) || d.buf[i] != '-' {
		return bad("expected d-Mon-yyyy, as 1-Feb-1994")
	}
	mon, ok := d.month(i + 1)
	if !ok {
		return bad("unknown month; expected Jan, Feb, ... Dec")
	}
	i += 4
	if i >= len(d.buf) || d.buf[i] != '-' {
		return bad("expected d-Mon-yyyy, as 1-Feb-1994")
	}
	year, ok := d.digits(i+1, 4)
	if !ok {
		return bad("the year must have 4 digits")
	}
	i += 5
	if quoted {
		if i >= len(d.buf) || d.buf[i] != '"' {
			return bad("missing closing quote")
		}
		i++
	}
	t := time.Date(year, mon, day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return bad("no such day")
	}
	d.pos = i
	d.last = "date"
	return t
}

// DateTime reads a date-time (RFC 9051 §9), as APPEND takes:
// "dd-Mon-yyyy hh:mm:ss +zzzz" in DQUOTEs. The day may be two digits or SP
// and a digit (date-day-fixed); a single digit is accepted too, as some
// clients send it and it is unambiguous. The result carries the given zone
// offset.
func (d *Decoder) DateTime() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	start := d.pos
	bad := func(why string) time.Time {
		d.fail(start, "date-time", "invalid date-time "+strconv.Quote(d.quotedToken(start))+" ("+why+")", nil)
		return time.Time{}
	}
	const form = `expected "dd-Mon-yyyy hh:mm:ss +zzzz"`
	if !d.peekIs('"') {
		d.expect("date-time")
		return time.Time{}
	}
	i := start + 1
	var day int
	var ok bool
	switch {
	case i < len(d.buf) && d.buf[i] == ' ':
		day, ok = d.digits(i+1, 1)
		i += 2
	default:
		if day, ok = d.digits(i, 2); ok {
			i += 2
		} else if day, ok = d.digits(i, 1); ok {
			i++
		}
	}
	if !ok || i >= len(d.buf) || d.buf[i] != '-' {
		return bad(form)
	}
	mon, ok := d.month(i + 1)
	if !ok {
		return bad("unknown month; expected Jan, Feb, ... Dec")
	}
	i += 4
	if i >= len(d.buf) || d.buf[i] != '-' {
		return bad(form)
	}
	year, ok := d.digits(i+1, 4)
	if !ok {
		return bad("the year must have 4 digits")
	}
	i += 5
	// SP hh ":" mm ":" ss SP ("+" / "-") hhmm DQUOTE
	if i+16 > len(d.buf) || d.buf[i] != ' ' || d.buf[i+3] != ':' || d.buf[i+6] != ':' || d.buf[i+9] != ' ' || d.buf[i+15] != '"' {
		return bad(form)
	}
	hh, ok1 := d.digits(i+1, 2)
	mm, ok2 := d.digits(i+4, 2)
	ss, ok3 := d.digits(i+7, 2)
	zone, ok4 := d.digits(i+11, 4)
	sign := d.buf[i+10]
	if !ok1 || !ok2 || !ok3 || !ok4 || (sign != '+' && sign != '-') {
		return bad(form)
	}
	if hh > 23 || mm > 59 || ss > 60 {
		return bad("no such time of day")
	}
	if zone%100 > 59 {
		return bad("the zone's minutes must be below 60")
	}
	offset := (zone/100*60 + zone%100) * 60
	if sign == '-' {
		offset = -offset
	}
	loc := time.UTC
	if offset != 0 {
		loc = time.FixedZone("", offset)
	}
	t := time.Date(year, mon, day, hh, mm, ss, 0, loc)
	if t.Day() != day && ss != 60 {
		return bad("no such day")
	}
	if time.Date(year, mon, day, 0, 0, 0, 0, time.UTC).Day() != day {
		return bad("no such day")
	}
	d.pos = i + 16
	d.last = "date-time"
	return t
}

// quotedToken returns the quoted text at start for an error message.
func (d *Decoder) quotedToken(start int) string {
	end := start + 1
	for end < len(d.buf) && end-start < 40 && d.buf[end] != '"' && d.buf[end] != '\r' {
		end++
	}
	if end < len(d.buf) && d.buf[end] == '"' {
		end++
	}
	return string(d.buf[start:end])
}

// AppendDateTime appends t as an INTERNALDATE date-time, quotes included.
func AppendDateTime(dst []byte, t time.Time) []byte {
	return t.AppendFormat(dst, DateTimeLayout)
}

// AppendDate appends the date-text of t ("1-Feb-1994").
func AppendDate(dst []byte, t time.Time) []byte {
	return t.AppendFormat(dst, DateLayout)
}
