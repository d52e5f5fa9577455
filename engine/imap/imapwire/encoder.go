package imapwire

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Status conditions of responses (RFC 9051 §7.1).
const (
	OK      = "OK"
	NO      = "NO"
	BAD     = "BAD"
	PREAUTH = "PREAUTH"
	BYE     = "BYE"
)

// An Encoder builds server responses by appending to a byte slice: no I/O
// and, once its buffer has grown, no allocation. Methods return the Encoder
// so that a response is one chain:
//
//	e.Untagged().Number(12345).SP().Atom("FETCH").SP().BeginList().
//		Atom("UID").SP().Number(67890).SP().
//		Atom("FLAGS").SP().FlagList(flags).EndList().CRLF()
//
// Data values are written in a form the client's parser accepts: Str picks
// quoted or literal, AString an atom when it can, Mailbox the encoding the
// session has enabled. The caller writes SP between values, and is trusted
// with what it passes to Atom and Raw.
type Encoder struct {
	// UTF8 is set once the client has enabled UTF8=ACCEPT (RFC 6855) or
	// IMAP4rev2 (RFC 9051): strings may then carry UTF-8 in quoted form,
	// and mailbox names are sent as UTF-8 instead of modified UTF-7.
	UTF8 bool

	buf []byte
}

// NewEncoder returns an Encoder appending to buf[:0].
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf[:0]} }

// Bytes returns what has been encoded. It aliases the Encoder's buffer until
// the next Reset.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of octets encoded.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the Encoder, keeping its buffer and UTF8 setting.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// Raw appends p as is.
func (e *Encoder) Raw(p []byte) *Encoder {
	e.buf = append(e.buf, p...)
	return e
}

// Untagged starts an untagged response: "* ".
func (e *Encoder) Untagged() *Encoder {
	e.buf = append(e.buf, '*', ' ')
	return e
}

// Tagged starts a tagged response: tag and SP.
func (e *Encoder) Tagged(tag string) *Encoder {
	e.buf = append(e.buf, tag...)
	e.buf = append(e.buf, ' ')
	return e
}

// Continue writes a whole continuation request (RFC 9051 §7.6):
// "+ text\r\n", e.g. Continue("Ready for literal data").
func (e *Encoder) Continue(text string) *Encoder {
	e.buf = append(e.buf, '+', ' ')
	return e.Text(text).CRLF()
}

// StatusStart starts a status response: tag ("" for untagged "*"), SP,
// the condition (OK, NO, BAD, PREAUTH, BYE) and SP. A response code
// (Code ... CodeEnd) and Text follow, then CRLF.
func (e *Encoder) StatusStart(tag, cond string) *Encoder {
	if tag == "" {
		tag = "*"
	}
	e.buf = append(e.buf, tag...)
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, cond...)
	e.buf = append(e.buf, ' ')
	return e
}

// Status writes a whole status response: "tag OK [CODE] text\r\n". code is
// the response code's atom, "" for none; codes with arguments are written
// with StatusStart, Code, CodeEnd and Text. RFC 3501 requires text: give
// some.
func (e *Encoder) Status(tag, cond, code, text string) *Encoder {
	e.StatusStart(tag, cond)
	if code != "" {
		e.Code(code).CodeEnd()
	}
	return e.Text(text).CRLF()
}

// Code opens a response code: "[" and its name, e.g. Code("UIDVALIDITY"),
// then SP and the arguments, then CodeEnd.
func (e *Encoder) Code(name string) *Encoder {
	e.buf = append(e.buf, '[')
	e.buf = append(e.buf, name...)
	return e
}

// CodeEnd closes a response code: "] ".
func (e *Encoder) CodeEnd() *Encoder {
	e.buf = append(e.buf, ']', ' ')
	return e
}

// Text appends resp-text text (RFC 9051 §9): CR, LF and NUL become SP, and
// octets the client cannot take become "?" (8-bit ones unless UTF8, invalid
// UTF-8 in any case). Text without a response code before it must not start
// with "[", which a client would read as one.
func (e *Encoder) Text(s string) *Encoder {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\r' || c == '\n' || c == 0:
			e.buf = append(e.buf, ' ')
		case c < 0x80:
			e.buf = append(e.buf, c)
		default:
			// One "?" per character, not per octet.
			r, size := utf8.DecodeRuneInString(s[i:])
			if e.UTF8 && !(r == utf8.RuneError && size == 1) {
				e.buf = append(e.buf, s[i:i+size]...)
			} else {
				e.buf = append(e.buf, '?')
			}
			i += size
			continue
		}
		i++
	}
	return e
}

// CRLF ends a response line.
func (e *Encoder) CRLF() *Encoder {
	e.buf = append(e.buf, '\r', '\n')
	return e
}

// SP appends a space.
func (e *Encoder) SP() *Encoder {
	e.buf = append(e.buf, ' ')
	return e
}

// Atom appends s as is: a keyword, a response name, a capability. The
// caller makes sure it is an atom (see IsAtom).
func (e *Encoder) Atom(s string) *Encoder {
	e.buf = append(e.buf, s...)
	return e
}

// NIL appends NIL, the nil of nstring and friends.
func (e *Encoder) NIL() *Encoder {
	e.buf = append(e.buf, "NIL"...)
	return e
}

// Number appends a number.
func (e *Encoder) Number(n uint32) *Encoder {
	e.buf = strconv.AppendUint(e.buf, uint64(n), 10)
	return e
}

// Number64 appends a number64 or mod-sequence.
func (e *Encoder) Number64(n uint64) *Encoder {
	e.buf = strconv.AppendUint(e.buf, n, 10)
	return e
}

// BeginList appends "(".
func (e *Encoder) BeginList() *Encoder {
	e.buf = append(e.buf, '(')
	return e
}

// EndList appends ")".
func (e *Encoder) EndList() *Encoder {
	e.buf = append(e.buf, ')')
	return e
}

// Str appends s as a string: quoted when that is safe and short, otherwise
// as a literal (RFC 9051 §4.3). It is named Str to match Decoder.Str.
func (e *Encoder) Str(s string) *Encoder {
	e.buf = appendString(e.buf, s, e.UTF8)
	return e
}

// StrBytes is Str for a byte slice.
func (e *Encoder) StrBytes(b []byte) *Encoder {
	e.buf = appendString(e.buf, b, e.UTF8)
	return e
}

// NBytes appends an nstring: NIL for a nil b, else StrBytes(b).
func (e *Encoder) NBytes(b []byte) *Encoder {
	if b == nil {
		return e.NIL()
	}
	return e.StrBytes(b)
}

// AString appends s as an astring: an atom when it is one (and is not
// "NIL", which a client could take for nil), else as Str.
func (e *Encoder) AString(s string) *Encoder {
	e.buf = appendAString(e.buf, s, e.UTF8)
	return e
}

// Literal appends b as a literal, "{n}\r\n" and the octets. A literal
// carries any octet but NUL (CHAR8); data that may hold NUL goes as
// Literal8 in BINARY responses, and elsewhere should be cleaned by the
// caller (Dovecot, for one, replaces NUL by 0x80 in BODY[]).
func (e *Encoder) Literal(b []byte) *Encoder {
	e.buf = appendLiteral(e.buf, "{", b)
	return e
}

// Literal8 appends b as a literal8, "~{n}\r\n" and the octets (RFC 3516):
// for BINARY[] data that holds NUL.
func (e *Encoder) Literal8(b []byte) *Encoder {
	e.buf = appendLiteral(e.buf, "~{", b)
	return e
}

// Flag appends a flag as is: `\Seen`, `$Forwarded`, `\*`.
func (e *Encoder) Flag(f string) *Encoder {
	e.buf = append(e.buf, f...)
	return e
}

// FlagList appends "(" flags separated by SP ")".
func (e *Encoder) FlagList(flags []string) *Encoder {
	e.buf = append(e.buf, '(')
	for i, f := range flags {
		if i > 0 {
			e.buf = append(e.buf, ' ')
		}
		e.buf = append(e.buf, f...)
	}
	e.buf = append(e.buf, ')')
	return e
}

// SeqSet appends s in canonical compact form. An empty set is not a valid
// sequence-set and appends nothing.
func (e *Encoder) SeqSet(s SeqSet) *Encoder {
	e.buf = s.AppendTo(e.buf)
	return e
}

// DateTime appends t as an INTERNALDATE date-time: "17-Jul-1996 02:44:25
// -0700" in DQUOTEs, the day padded with a space.
func (e *Encoder) DateTime(t time.Time) *Encoder {
	e.buf = AppendDateTime(e.buf, t)
	return e
}

// Date appends the date-text of t: 1-Feb-1994.
func (e *Encoder) Date(t time.Time) *Encoder {
	e.buf = AppendDate(e.buf, t)
	return e
}

// Mailbox appends a mailbox name: "INBOX" as is, other names in modified
// UTF-7 (RFC 3501 §5.1.3) unless UTF8, as a quoted string or literal.
func (e *Encoder) Mailbox(name string) *Encoder {
	if e.UTF8 || !needsUTF7(name) {
		e.buf = appendString(e.buf, name, e.UTF8)
		return e
	}
	var tmp [128]byte
	enc := AppendModifiedUTF7(tmp[:0], name)
	e.buf = appendString(e.buf, enc, false)
	return e
}

func needsUTF7(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '&' {
			return true
		}
	}
	return false
}

// FetchAttName appends the name of a FETCH item as the response gives it
// (FetchAtt.AppendResponseName).
func (e *Encoder) FetchAttName(a FetchAtt) *Encoder {
	e.buf = a.AppendResponseName(e.buf)
	return e
}

// quotable reports whether s can be sent as a quoted string: not too long,
// no CR, LF or NUL, and no 8-bit octets unless utf8 is set and s is valid
// UTF-8.
func quotable[T string | []byte](s T, utf8OK bool) bool {
	if len(s) > maxQuotedLength {
		return false
	}
	high := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r' || c == '\n' || c == 0:
			return false
		case c >= 0x80:
			if !utf8OK {
				return false
			}
			high = true
		}
	}
	if high {
		return utf8.ValidString(string(s))
	}
	return true
}

func appendString[T string | []byte](dst []byte, s T, utf8OK bool) []byte {
	if !quotable(s, utf8OK) {
		return appendLiteral(dst, "{", s)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

func appendAString(dst []byte, s string, utf8OK bool) []byte {
	if s != "" && len(s) <= maxQuotedLength && !eqFoldNIL(s) {
		atom := true
		for i := 0; i < len(s); i++ {
			if !isAStringChar(s[i]) {
				atom = false
				break
			}
		}
		if atom {
			return append(dst, s...)
		}
	}
	return appendString(dst, s, utf8OK)
}

func eqFoldNIL(s string) bool {
	return len(s) == 3 && s[0]|0x20 == 'n' && s[1]|0x20 == 'i' && s[2]|0x20 == 'l'
}

func appendLiteral[T string | []byte](dst []byte, open string, b T) []byte {
	dst = append(dst, open...)
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '}', '\r', '\n')
	return append(dst, b...)
}
