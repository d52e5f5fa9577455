package zone

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// DefaultTTL is the TTL of records that come before any $TTL directive
// (RFC 2308 §4) and any record with an explicit TTL (RFC 1035 §5.1). Left
// alone, miekg's parser would give them 0, which caches nothing and hides
// the mistake; BIND uses the SOA minimum and warns.
const DefaultTTL = 3600

// Error is a zone that failed to load: a syntax error in its master file, or
// a check the zone did not pass. Its message names the file and, when the
// problem is on one line, the line: "zone: example.com.zone:12: ...".
type Error struct {
	File string // the name given to Parse, or the origin for New
	Line int    // 1-based; 0 when the problem is not on one line
	Msg  string
	err  error // the parser's error, if any
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("zone: %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("zone: %s: %s", e.File, e.Msg)
}

// Unwrap returns the master-file parser's error (a *dns.ParseError) for a
// syntax error, and nil for a failed check.
func (e *Error) Unwrap() error { return e.err }

// Parse reads a zone from an RFC 1035 §5 master file. origin is the zone's
// apex and the initial $ORIGIN; file names the source in errors. $INCLUDE is
// refused: a zone is one file, and the engine reads nothing it was not
// given.
//
// The zone is checked before it is returned (see New). A syntax error stops
// the parse and is reported alone; failed checks are all reported, in line
// order, joined with errors.Join, each an *Error.
func Parse(origin, file string, data []byte) (*Zone, error) {
	if file == "" {
		file = dns.Fqdn(origin)
	}
	if origin == "" {
		return nil, &Error{File: file, Msg: "no origin"}
	}
	lr := &lineReader{r: bytes.NewReader(data), line: 1, atLineStart: true}
	zp := dns.NewZoneParser(lr, origin, file)
	zp.SetDefaultTTL(DefaultTTL)
	var rrs []dns.RR
	lines := map[dns.RR]int{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
		lines[rr] = lr.entryLine()
		lr.nextEntry()
	}
	if err := zp.Err(); err != nil {
		return nil, parseError(file, err)
	}
	return build(origin, file, rrs, lines)
}

// New builds a zone from records, as a secondary does from a zone transfer.
// The records are copied. The zone must pass the same checks as a parsed one
// (RFC 1034 §4.2.1, RFC 2181 §10.1):
//
//   - every owner name is at or below origin, and every record is class IN;
//   - exactly one SOA, at the apex;
//   - NS records at the apex;
//   - no CNAME beside other data at the same name, and at most one CNAME;
//   - every name server inside the zone, for the apex or for a delegation
//     below it, has an A or AAAA record in the zone (glue).
//
// Duplicate records are dropped, and an RRset takes the TTL of its first
// record (RFC 2181 §5, §5.2).
func New(origin string, rrs []dns.RR) (*Zone, error) {
	origin = dns.Fqdn(origin)
	if _, ok := dns.IsDomainName(origin); !ok {
		return nil, &Error{File: origin, Msg: "bad origin name"}
	}
	return build(origin, origin, copyAll(rrs), nil)
}

// parseError turns the master-file parser's error into an *Error naming the
// file and line.
func parseError(file string, err error) error {
	var pe *dns.ParseError
	if !errors.As(err, &pe) {
		return &Error{File: file, Msg: err.Error(), err: err}
	}
	// miekg writes "file: dns: what: "token" at line: L:C".
	msg := strings.TrimPrefix(pe.Error(), file+": ")
	msg = strings.TrimPrefix(msg, "dns: ")
	line := 0
	if i := strings.LastIndex(msg, " at line: "); i >= 0 {
		l, _, _ := strings.Cut(msg[i+len(" at line: "):], ":")
		line, _ = strconv.Atoi(l)
		msg = msg[:i]
	}
	return &Error{File: file, Line: line, Msg: msg, err: err}
}

// lineReader gives miekg's master-file lexer its input and notes the line on
// which each entry begins, so that errors found after parsing can name it.
// The lexer reads byte by byte from an io.ByteReader and stops at the newline
// that ends an entry, so the first byte read after an entry that is not a
// blank, a comment or part of a directive line starts the next entry.
type lineReader struct {
	r           io.ByteReader
	line        int  // the line of the next byte
	start       int  // the line the current entry began on; 0 until known
	directive   int  // the line of the last $ directive ($GENERATE makes records)
	inComment   bool // inside a ; comment
	inDirective bool // inside a $ORIGIN, $TTL or $GENERATE line
	atLineStart bool
}

func (r *lineReader) ReadByte() (byte, error) {
	b, err := r.r.ReadByte()
	if err != nil {
		return b, err
	}
	if r.start == 0 {
		switch {
		case r.inComment || r.inDirective:
			if b == '\n' {
				r.inComment, r.inDirective = false, false
			}
		case b == ';':
			r.inComment = true
		case b == '$' && r.atLineStart:
			r.inDirective, r.directive = true, r.line
		case b == ' ' || b == '\t' || b == '\r' || b == '\n':
		default:
			r.start = r.line
		}
	}
	r.atLineStart = b == '\n'
	if b == '\n' {
		r.line++
	}
	return b, nil
}

// Read is there for io.Reader; the lexer uses ReadByte.
func (r *lineReader) Read(p []byte) (int, error) {
	for i := range p {
		b, err := r.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}

// entryLine returns the line the entry just parsed began on.
func (r *lineReader) entryLine() int {
	if r.start == 0 { // a record made by $GENERATE
		return r.directive
	}
	return r.start
}

// nextEntry starts watching for the next entry.
func (r *lineReader) nextEntry() {
	r.start = 0
	r.inComment, r.inDirective = false, false
}
