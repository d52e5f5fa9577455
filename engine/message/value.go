package message

import (
	"strconv"
	"strings"
)

// Value is an IMAP data value in a form that does not depend on any IMAP
// encoder (RFC 9051 §4): a String, a Number, a List, or nil for NIL. An
// IMAP server maps it onto its own encoder, which chooses between quoted
// string and literal for each String.
type Value interface{ imapValue() }

type (
	// String is an IMAP string. It may hold any octets, 8-bit and line
	// breaks included; the encoder decides how to send it.
	String string
	// Number is an IMAP number (or number64).
	Number int64
	// List is a parenthesized list.
	List []Value
)

func (String) imapValue() {}
func (Number) imapValue() {}
func (List) imapValue()   {}

// nstring returns s as a String, or nil (NIL) when it is empty.
func nstring(s string) Value {
	if s == "" {
		return nil
	}
	return String(s)
}

// String renders the list as IMAP-like text for tests, logs and the
// playground: NIL, numbers, and strings quoted with "\" before "\" and
// `"`, except that a string holding CR, LF or NUL is written as a literal
// "{n}\r\n" followed by its octets. 8-bit octets are written as they are,
// as in an IMAP4rev2 quoted string (RFC 9051 §4.3); a real encoder sends
// them as literals to IMAP4rev1 clients.
func (l List) String() string {
	var b strings.Builder
	appendValue(&b, l)
	return b.String()
}

func appendValue(b *strings.Builder, v Value) {
	switch v := v.(type) {
	case nil:
		b.WriteString("NIL")
	case Number:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case String:
		if strings.ContainsAny(string(v), "\r\n\x00") {
			b.WriteByte('{')
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteString("}\r\n")
			b.WriteString(string(v))
			return
		}
		b.WriteByte('"')
		for i := 0; i < len(v); i++ {
			if v[i] == '"' || v[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteByte('"')
	case List:
		b.WriteByte('(')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			appendValue(b, e)
		}
		b.WriteByte(')')
	}
}
