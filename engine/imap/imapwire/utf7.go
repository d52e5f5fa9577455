package imapwire

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Modified UTF-7 (RFC 3501 §5.1.3) is how IMAP4rev1 sends mailbox names
// outside US-ASCII: printable US-ASCII stands for itself except "&", which
// is "&-"; any other run of characters is "&", their UTF-16 in BASE64 with
// "," for "/" and no padding, then "-".

const mbase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

var mbase64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(mbase64); i++ {
		t[mbase64[i]] = int8(i)
	}
	return t
}()

// printable reports whether r is printable US-ASCII, which modified UTF-7
// must send as itself.
func printable(r rune) bool { return r >= 0x20 && r <= 0x7e }

// EncodeModifiedUTF7 encodes a UTF-8 mailbox name in modified UTF-7. Invalid
// UTF-8 sequences are encoded as U+FFFD.
func EncodeModifiedUTF7(s string) string {
	return string(AppendModifiedUTF7(make([]byte, 0, len(s)+8), s))
}

// AppendModifiedUTF7 appends the modified UTF-7 form of s to dst.
func AppendModifiedUTF7(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c <= 0x7e {
			dst = append(dst, c)
			if c == '&' {
				dst = append(dst, '-')
			}
			i++
			continue
		}
		// A run of characters to encode: everything up to the next
		// printable US-ASCII octet, in one shift so that the result is the
		// canonical form a strict decoder accepts.
		dst = append(dst, '&')
		var bits uint32
		var nbits uint
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if printable(r) {
				break
			}
			i += size
			var units [2]uint16
			n := 1
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				units[0], units[1], n = uint16(r1), uint16(r2), 2
			} else {
				units[0] = uint16(r)
			}
			for _, u := range units[:n] {
				bits = bits<<16 | uint32(u)
				nbits += 16
				for nbits >= 6 {
					nbits -= 6
					dst = append(dst, mbase64[(bits>>nbits)&0x3f])
				}
			}
		}
		if nbits > 0 {
			dst = append(dst, mbase64[(bits<<(6-nbits))&0x3f])
		}
		dst = append(dst, '-')
	}
	return dst
}

// DecodeModifiedUTF7 decodes a modified UTF-7 mailbox name into UTF-8. It
// accepts only the canonical encoding, as RFC 3501 §5.1.3 defines it, and
// returns an error wrapping ErrModifiedUTF7 for anything else: octets
// outside printable US-ASCII, "&" without a closing "-", characters outside
// the modified BASE64 alphabet, BASE64 that does not end on a UTF-16 unit
// boundary with zero padding bits, an unpaired surrogate, printable
// US-ASCII encoded in BASE64, and two encoded runs in a row (which a
// canonical encoder makes one).
func DecodeModifiedUTF7(s string) (string, error) {
	// Fast path: nothing to decode.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	afterRun := false // the previous octet closed an encoded run
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", utf7Error(i, "octet 0x%02x is not printable US-ASCII", c)
		}
		if c != '&' {
			out = append(out, c)
			i++
			afterRun = false
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != '-' {
			j++
		}
		if j == len(s) {
			return "", utf7Error(i, `"&" starts an encoded run that no "-" ends`)
		}
		if j == i+1 {
			out = append(out, '&')
			i = j + 1
			afterRun = false
			continue
		}
		if afterRun {
			return "", utf7Error(i, "two encoded runs in a row (non-canonical: they must be one)")
		}
		var err error
		if out, err = decodeRun(out, s, i+1, j); err != nil {
			return "", err
		}
		i = j + 1
		afterRun = true
	}
	return string(out), nil
}

// decodeRun appends the UTF-8 of the modified BASE64 s[start:end].
func decodeRun(out []byte, s string, start, end int) ([]byte, error) {
	var bits uint32
	var nbits uint
	var high uint16 // a pending high surrogate
	highAt := 0
	for k := start; k < end; k++ {
		v := mbase64Value[s[k]]
		if v < 0 {
			return nil, utf7Error(k, "%q is not a modified BASE64 character", s[k])
		}
		bits = bits<<6 | uint32(v)
		nbits += 6
		if nbits < 16 {
			continue
		}
		nbits -= 16
		u := uint16(bits >> nbits)
		bits &= 1<<nbits - 1
		switch {
		case high != 0:
			if !utf16.IsSurrogate(rune(u)) || u < 0xdc00 {
				return nil, utf7Error(highAt, "unpaired UTF-16 high surrogate")
			}
			out = utf8.AppendRune(out, utf16.DecodeRune(rune(high), rune(u)))
			high = 0
		case u >= 0xd800 && u < 0xdc00:
			high, highAt = u, k
		case u >= 0xdc00 && u < 0xe000:
			return nil, utf7Error(k, "unpaired UTF-16 low surrogate")
		case printable(rune(u)):
			return nil, utf7Error(k, "printable US-ASCII %q is encoded (it must represent itself)", rune(u))
		default:
			out = utf8.AppendRune(out, rune(u))
		}
	}
	if high != 0 {
		return nil, utf7Error(highAt, "unpaired UTF-16 high surrogate")
	}
	if nbits >= 6 || bits != 0 {
		return nil, utf7Error(end, "modified BASE64 does not end on a UTF-16 boundary with zero padding bits")
	}
	return out, nil
}

func utf7Error(pos int, format string, args ...any) error {
	return fmt.Errorf("%w: at octet %d: %s", ErrModifiedUTF7, pos, fmt.Sprintf(format, args...))
}
