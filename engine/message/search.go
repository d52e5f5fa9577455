package message

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// BodyText returns the text of every text/* leaf part below p (p
// included), in part order and separated by "\n", with the transfer
// encoding removed and converted to UTF-8 by d (nil: the zero Decoder), for
// SEARCH BODY and TEXT (RFC 9051 §6.4.4). Text in a charset d does not
// know is returned as raw octets; a part with an unknown transfer encoding
// is searched as it is. Headers, including those of encapsulated
// messages, are not included: SEARCH TEXT adds the header itself.
func (p *Part) BodyText(d *Decoder) string {
	var b strings.Builder
	p.Walk(func(_ []int, q *Part) bool {
		if q.ContentType.Type != "text" || q.IsMultipart() || q.Message != nil || q.Opaque {
			return true
		}
		body, err := DecodeTransfer(q.Encoding, q.Body())
		if err != nil {
			body = q.Body()
		}
		text, _ := d.convert(q.ContentType.Param("charset"), body)
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(text)
		return true
	})
	return b.String()
}

// ContainsFold reports whether substr is within s, comparing without
// regard to case under Unicode simple case folding, as SEARCH matches
// strings (RFC 9051 §6.4.4: "case-insensitive substring"). Invalid UTF-8
// octets match only themselves.
func ContainsFold(s, substr string) bool {
	if substr == "" {
		return true
	}
	for i := 0; i < len(s); {
		if hasPrefixFold(s[i:], substr) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if r1 == utf8.RuneError && n1 == 1 || r2 == utf8.RuneError && n2 == 1 {
			if n1 != n2 || s[0] != prefix[0] {
				return false
			}
		} else if r1 != r2 && !equalFoldRune(r1, r2) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

// equalFoldRune reports whether a and b are in the same simple case
// folding orbit.
func equalFoldRune(a, b rune) bool {
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
