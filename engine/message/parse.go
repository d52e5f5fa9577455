package message

import (
	"bytes"
	"errors"
	"fmt"
)

// Limits on the MIME tree that Parse builds. They are Dovecot's defaults
// (message_max_nested_mime_parts, message_max_total_mime_parts), chosen there
// against messages built to exhaust a server, and they keep the recursion of
// Parse and of everything that walks its tree shallow.
const (
	// MaxDepth is how deeply multiparts and encapsulated messages may nest.
	// A multipart or message/rfc822 part at this depth is not descended
	// into: it becomes an opaque leaf (Part.Opaque).
	MaxDepth = 100
	// MaxParts is the most parts one message may have, counting the message
	// itself and every encapsulated message. Delimiters past the limit are
	// ignored, as if they were in the epilogue.
	MaxParts = 10000
	// MaxMessageSize is the longest message Parse accepts: body sizes in
	// BODYSTRUCTURE (body-fld-octets) and RFC822.SIZE are IMAP "number"s,
	// 32-bit unsigned (RFC 9051 §4.2 and §9).
	MaxMessageSize = 1<<32 - 1
)

// Errors callers test with errors.Is. (ErrTooLarge, declared with the mbox
// code, is returned by Parse too.)
var (
	// ErrUnknownCTE means a part's Content-Transfer-Encoding is not one this
	// package can decode; an IMAP server answers BINARY with
	// "NO [UNKNOWN-CTE]" (RFC 9051 §7.5.2, RFC 3516 §4.3).
	ErrUnknownCTE = errors.New("message: unknown content transfer encoding")
	// ErrNoPart means a section path names no part of the message.
	ErrNoPart = errors.New("message: no such part")
	// ErrNotLeaf means BINARY was asked of a multipart or message/rfc822
	// part; RFC 9051 §6.4.5 allows it only for leaf parts.
	ErrNotLeaf = errors.New("message: not a leaf part")
)

// Part is one node of a message's MIME tree (RFC 2045, RFC 2046): the
// message itself, a body part of a multipart, or a message encapsulated in a
// message/rfc822 part. Every Part of a tree points into the raw bytes given
// to Parse; nothing is copied or re-encoded, so sections are exact octets.
//
// The MIME fields are decoded with the RFC defaults applied (RFC 2045 §5.2:
// text/plain; charset=us-ascii when Content-Type is absent or invalid; §6.1:
// 7bit when Content-Transfer-Encoding is absent). The undecoded header stays
// available in Header.
type Part struct {
	// HeaderStart, BodyStart and End locate the part in the raw message: its
	// header is raw[HeaderStart:BodyStart], including the blank line that
	// ends it (absent when the part has no body and no blank line), and its
	// body is raw[BodyStart:End]. For a body part of a multipart, End stops
	// before the line break that precedes the next delimiter line, which
	// RFC 2046 §5.1.1 makes part of the delimiter.
	HeaderStart, BodyStart, End int

	// Header holds the part's header fields, in order.
	Header Header

	// ContentType is the media type, lower-cased, with its parameters
	// (RFC 2231 continuations joined and extended values decoded).
	ContentType MediaType
	// Encoding is the Content-Transfer-Encoding, lower-cased; "7bit" when
	// the field is absent (RFC 2045 §6.1).
	Encoding string
	// ID, Description, Location and MD5 are the values of Content-ID,
	// Content-Description, Content-Location (RFC 2557) and Content-MD5
	// (RFC 1864), unfolded and trimmed, or "" when absent. Encoded words are
	// left as they are, as IMAP returns them (RFC 9051 §7.5.2).
	ID, Description, Location, MD5 string
	// Disposition is the Content-Disposition (RFC 2183), or nil.
	Disposition *Disposition
	// Language holds the Content-Language tags (RFC 3282), if any.
	Language []string

	// Parts are the body parts of a multipart, in order; never empty for a
	// multipart that is not Opaque.
	Parts []*Part
	// Message is the message encapsulated in a message/rfc822 or
	// message/global part (RFC 2046 §5.2.1, RFC 6532 §3.7), spanning the
	// part's whole body, or nil.
	Message *Part
	// Opaque reports a multipart or message part that Parse did not look
	// into: MaxDepth or MaxParts was reached, its body holds no part (no
	// delimiter line of its boundary, or only the close delimiter), or
	// (message/*) its body is transfer-encoded, so the encapsulated
	// message is not in the raw octets.
	// BodyStructure describes it as application/octet-stream, so that the
	// IMAP grammar, which requires children and an envelope for those
	// types, is kept.
	Opaque bool

	raw   []byte // the whole message, shared by the tree
	blank int    // length of the blank line ending the header: 0, 1 or 2
}

// Parse builds the MIME tree of the message raw (RFC 5322, RFC 2045,
// RFC 2046). It accepts what mail stores really hold: LF or CRLF line
// endings (offsets and sizes are always of raw's own octets; see ToCRLF),
// missing or invalid header fields, 8-bit header text, unknown charsets,
// missing final delimiters. It fails only when raw is longer than
// MaxMessageSize, with an error wrapping ErrTooLarge.
//
// The returned tree shares raw, which must not be modified while it is in
// use.
func Parse(raw []byte) (*Part, error) {
	return parse(raw, limits{depth: MaxDepth, parts: MaxParts, size: MaxMessageSize})
}

// limits are the named limits, lowered by tests.
type limits struct {
	depth, parts int
	size         int64
}

func parse(raw []byte, lim limits) (*Part, error) {
	if int64(len(raw)) > lim.size {
		return nil, fmt.Errorf("%w: %d octets, over %d", ErrTooLarge, len(raw), lim.size)
	}
	ps := parser{raw: raw, lim: lim}
	return ps.part(0, len(raw), 0, false), nil
}

type parser struct {
	raw   []byte
	lim   limits
	parts int // parts created so far
}

// part parses raw[start:end] as a header and body. inDigest says the part
// is a body part of a multipart/digest, whose default type is
// message/rfc822 (RFC 2046 §5.1.5).
func (ps *parser) part(start, end, depth int, inDigest bool) *Part {
	ps.parts++
	p := &Part{raw: ps.raw, HeaderStart: start, End: end}
	p.Header, p.BodyStart, p.blank = parseHeader(ps.raw, start, end)
	p.setMIME(inDigest)

	composite := p.ContentType.Type == "multipart" || p.isMessage()
	if composite && (depth >= ps.lim.depth || ps.parts >= ps.lim.parts) {
		p.Opaque = true
		return p
	}
	switch {
	case p.ContentType.Type == "multipart":
		ps.multipart(p, depth)
	case p.isMessage():
		// RFC 2046 §5.2.1 allows only 7bit, 8bit and binary for
		// message/rfc822; an encoded body (and a base64 message/global,
		// RFC 6532 §3.5) holds no message in its raw octets.
		if !identityEncoding(p.Encoding) {
			p.Opaque = true
			return p
		}
		p.Message = ps.part(p.BodyStart, p.End, depth+1, false)
	}
	return p
}

// isMessage reports whether p's type encapsulates a message whose parts
// IMAP numbers and whose envelope BODYSTRUCTURE shows (RFC 9051 §6.4.5).
func (p *Part) isMessage() bool {
	return p.ContentType.Type == "message" && (p.ContentType.Subtype == "rfc822" || p.ContentType.Subtype == "global")
}

func identityEncoding(enc string) bool {
	return enc == "7bit" || enc == "8bit" || enc == "binary"
}

// multipart splits p's body at the delimiter lines of its boundary
// (RFC 2046 §5.1.1). The preamble before the first delimiter and the
// epilogue after the close delimiter belong to no part. A missing close
// delimiter ends the last part at the end of p's body.
func (ps *parser) multipart(p *Part, depth int) {
	boundary := p.ContentType.Param("boundary")
	delim := make([]byte, 0, 2+len(boundary))
	delim = append(append(delim, "--"...), boundary...)
	inDigest := p.ContentType.Subtype == "digest"

	childStart := -1 // start of the part being scanned, after a delimiter line
	pos := p.BodyStart
	closed := false
	for !closed && pos <= p.End {
		line, next, isClose, ok := findDelimiter(ps.raw, pos, p.BodyStart, p.End, delim)
		if !ok {
			break
		}
		if childStart >= 0 && !ps.addPart(p, childStart, lineBreakStart(ps.raw, childStart, line), depth, inDigest) {
			childStart = -1 // MaxParts: the rest is ignored
			break
		}
		childStart, pos, closed = next, next, isClose
	}
	if childStart >= 0 && !closed {
		ps.addPart(p, childStart, p.End, depth, inDigest)
	}
	if len(p.Parts) == 0 {
		// Not one part: there is nothing to number, and
		// body-type-mpart needs at least one body (RFC 9051 §9).
		p.Opaque = true
	}
}

// addPart appends the body part raw[start:end] to p, unless MaxParts is
// reached.
func (ps *parser) addPart(p *Part, start, end, depth int, inDigest bool) bool {
	if ps.parts >= ps.lim.parts {
		return false
	}
	p.Parts = append(p.Parts, ps.part(start, end, depth+1, inDigest))
	return true
}

// findDelimiter finds the first delimiter line at or after pos, before end:
// a line that starts with delim ("--" boundary), optionally followed by
// "--" (the close delimiter), then only transport padding (spaces and tabs,
// RFC 2046 §5.1.1) before the line ending. A boundary that merely starts
// another one ("--abc" in "--abc-1") does not match, which keeps nested
// multiparts with prefix-related boundaries apart. It returns the start of
// the line and of the line after it.
func findDelimiter(raw []byte, pos, bodyStart, end int, delim []byte) (line, next int, isClose, ok bool) {
	for pos < end {
		i := bytes.Index(raw[pos:end], delim)
		if i < 0 {
			return 0, 0, false, false
		}
		k := pos + i
		pos = k + 1
		if k != bodyStart && raw[k-1] != '\n' {
			continue // not at the start of a line
		}
		j := k + len(delim)
		isClose = j+1 < end && raw[j] == '-' && raw[j+1] == '-'
		if isClose {
			j += 2
		}
		for j < end && (raw[j] == ' ' || raw[j] == '\t') {
			j++
		}
		switch {
		case j == end:
			return k, end, isClose, true
		case raw[j] == '\n':
			return k, j + 1, isClose, true
		case raw[j] == '\r' && (j+1 == end || raw[j+1] == '\n'):
			return k, min(j+2, end), isClose, true
		}
	}
	return 0, 0, false, false
}

// lineBreakStart returns where the line break that ends just before line
// starts, not before from: the CRLF (or LF) preceding a delimiter belongs to
// the delimiter (RFC 2046 §5.1.1).
func lineBreakStart(raw []byte, from, line int) int {
	end := line
	if end > from && raw[end-1] == '\n' {
		end--
		if end > from && raw[end-1] == '\r' {
			end--
		}
	}
	return end
}

// Raw returns the whole message that p belongs to.
func (p *Part) Raw() []byte { return p.raw }

// Bytes returns the part's header and body: raw[HeaderStart:End].
func (p *Part) Bytes() []byte { return p.raw[p.HeaderStart:p.End] }

// HeaderBytes returns the part's header, with the blank line that ends it.
func (p *Part) HeaderBytes() []byte { return p.raw[p.HeaderStart:p.BodyStart] }

// Body returns the part's body, still transfer-encoded.
func (p *Part) Body() []byte { return p.raw[p.BodyStart:p.End] }

// Size is the body's size in octets, as BODYSTRUCTURE reports it (RFC 9051
// §7.5.2: in its transfer encoding, not decoded).
func (p *Part) Size() int64 { return int64(p.End - p.BodyStart) }

// Lines is the number of lines of the body: its LF characters, plus one for
// a last line without a line ending. BODYSTRUCTURE reports it for text/*
// and message/rfc822 parts (RFC 9051 §7.5.2).
func (p *Part) Lines() int64 { return countLines(p.Body()) }

func countLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte{'\n'}))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// IsMultipart reports whether p is a multipart with body parts.
func (p *Part) IsMultipart() bool { return len(p.Parts) > 0 }

// hasBlankLine reports whether p's header ends with a blank line.
func (p *Part) hasBlankLine() bool { return p.blank > 0 }

// Walk calls fn for p and every part below it, depth first in part order,
// with each part's path relative to p as IMAP numbers it (RFC 9051
// §6.4.5.1): nil for p itself; for an encapsulated message, the path of its
// message/rfc822 part. The path slice is reused between calls. Walk stops
// when fn returns false.
func (p *Part) Walk(fn func(path []int, q *Part) bool) {
	p.walk(nil, fn)
}

func (p *Part) walk(path []int, fn func([]int, *Part) bool) bool {
	if !fn(path, p) {
		return false
	}
	if p.Message != nil && !p.Message.walk(path, fn) {
		return false
	}
	for i, c := range p.Parts {
		if !c.walk(append(path, i+1), fn) {
			return false
		}
	}
	return true
}
