package message

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// Binary returns the content of a FETCH BINARY[path] (RFC 9051 §6.4.5 and
// §7.5.2, RFC 3516) of the message p: the part's body with its
// Content-Transfer-Encoding removed. Text parts (text/*) come with CRLF
// line endings, as RFC 9051 §7.5.2 requires of textual data, whatever the
// message had. An empty path means the whole message, as it is.
//
// Errors: ErrNoPart when path names no part, ErrNotLeaf for a multipart or
// message/rfc822 part (BINARY is for leaf parts only), ErrUnknownCTE for
// an encoding other than 7bit, 8bit, binary, base64 and quoted-printable.
// Malformed base64 and quoted-printable do not fail: they are decoded as
// mail readers decode them (see DecodeTransfer).
func (p *Part) Binary(path []int) ([]byte, error) {
	if len(path) == 0 {
		return p.raw[p.HeaderStart:p.End], nil
	}
	q := p.Find(path)
	switch {
	case q == nil:
		return nil, ErrNoPart
	case q.Message != nil || q.IsMultipart():
		return nil, ErrNotLeaf
	}
	return q.Decoded()
}

// BinarySize returns the size of Binary(path), for FETCH BINARY.SIZE.
func (p *Part) BinarySize(path []int) (int64, error) {
	b, err := p.Binary(path)
	return int64(len(b)), err
}

// Decoded returns p's body with its Content-Transfer-Encoding removed, with
// CRLF line endings for text/* parts (see Binary).
func (p *Part) Decoded() ([]byte, error) {
	b, err := DecodeTransfer(p.Encoding, p.Body())
	if err != nil {
		return nil, err
	}
	if p.ContentType.Type == "text" {
		b = ToCRLF(b)
	}
	return b, nil
}

// DecodeTransfer removes the Content-Transfer-Encoding enc (lower-case)
// from body (RFC 2045 §6). 7bit, 8bit and binary (and "") return body
// itself. base64 skips characters outside its alphabet and decodes each
// "="-padded run separately, so that concatenated encodings survive
// (RFC 2045 §6.8 asks decoders to ignore such characters). Quoted-
// printable follows RFC 2045 §6.7 leniently: trailing white space is
// removed, a "=" not followed by two hex digits or a line break is kept
// literally, LF works like CRLF. Other encodings fail with ErrUnknownCTE.
//
// mime/quotedprintable is not used because it fails on control characters
// and stray "=" that real mail has, and a server must not refuse BINARY
// for a part it serves with BODY.
func DecodeTransfer(enc string, body []byte) ([]byte, error) {
	switch enc {
	case "", "7bit", "8bit", "binary":
		return body, nil
	case "base64":
		return decodeBase64(body), nil
	case "quoted-printable":
		return decodeQP(body), nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownCTE, enc)
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

func decodeBase64(b []byte) []byte {
	out := make([]byte, 0, len(b)*3/4)
	chunk := make([]byte, 0, len(b))
	flush := func() {
		if len(chunk)%4 == 1 {
			chunk = chunk[:len(chunk)-1] // 6 bits make no octet
		}
		n := base64.RawStdEncoding.DecodedLen(len(chunk))
		out = append(out, make([]byte, n)...)
		// Never fails: chunk holds only alphabet characters, and its
		// length is not 1 mod 4.
		m, _ := base64.RawStdEncoding.Decode(out[len(out)-n:], chunk)
		out = out[:len(out)-n+m]
		chunk = chunk[:0]
	}
	for _, c := range b {
		switch {
		case isBase64(c):
			chunk = append(chunk, c)
		case c == '=':
			if len(chunk) > 0 {
				flush()
			}
		}
	}
	flush()
	return out
}

func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		line := b
		var eol []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
			eol = []byte("\r\n")
			if len(line) == 0 || line[len(line)-1] != '\r' {
				eol = eol[1:]
			}
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, " \t\r") // RFC 2045 §6.7 rule (3)
		if bytes.HasSuffix(line, []byte("=")) {
			line, eol = line[:len(line)-1], nil // soft line break, rule (5)
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		out = append(out, eol...)
	}
	return out
}
