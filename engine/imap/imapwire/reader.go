package imapwire

import (
	"bytes"
	"slices"
	"strconv"
)

// Default limits of a [Reader].
const (
	// DefaultMaxLine bounds one line of a command, outside literals and
	// without its CRLF. The RFCs set no limit; RFC 7162 §4 asks clients to
	// stay near 8192 octets, and 64 KiB, Dovecot's imap_max_line_length,
	// leaves room for the long UID sets of QRESYNC.
	DefaultMaxLine = 64 << 10
	// DefaultMaxLiteral bounds one literal: in practice an APPENDed message.
	DefaultMaxLiteral = 64 << 20
	// DefaultMaxLiterals bounds the literals of one command. LOGIN needs 2,
	// APPEND 1, a SEARCH with non-ASCII strings a few.
	DefaultMaxLiterals = 64
	// DefaultMaxCommand bounds a whole command, lines and literals together:
	// one maximal literal with room for the lines around it. Without it,
	// MaxLiterals maximal literals could be held at once.
	DefaultMaxCommand = DefaultMaxLiteral + 1<<20
	// LiteralMinusMax is the largest non-synchronizing literal a server that
	// advertises LITERAL- accepts (RFC 7888 §5); use it as
	// Limits.MaxNonSyncLiteral.
	LiteralMinusMax = 4096
)

// keepCapacity is the largest command buffer a Reader keeps between
// commands; a larger one (an APPEND) is released, not held for the session.
const keepCapacity = 1 << 20

// maxMarkerLen is the longest literal marker at the end of a line:
// "~{" 19 digits "+}" CR. A discarded line keeps this much of its tail.
const maxMarkerLen = 2 + 19 + 2 + 1

// Limits are the bounds a [Reader] enforces. A zero field takes its default.
type Limits struct {
	MaxLine           int   // octets of one line outside literals; DefaultMaxLine
	MaxLiteral        int64 // octets of one literal; DefaultMaxLiteral
	MaxNonSyncLiteral int64 // octets of one {n+} literal; MaxLiteral (LITERAL+) or LiteralMinusMax (LITERAL-)
	MaxLiterals       int   // literals in one command; DefaultMaxLiterals
	MaxCommand        int64 // octets of one command, lines and literals; DefaultMaxCommand
}

func (l Limits) withDefaults() Limits {
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultMaxLine
	}
	if l.MaxLiteral <= 0 {
		l.MaxLiteral = DefaultMaxLiteral
	}
	if l.MaxNonSyncLiteral <= 0 || l.MaxNonSyncLiteral > l.MaxLiteral {
		l.MaxNonSyncLiteral = l.MaxLiteral
	}
	if l.MaxLiterals <= 0 {
		l.MaxLiterals = DefaultMaxLiterals
	}
	if l.MaxCommand <= 0 {
		l.MaxCommand = DefaultMaxCommand
	}
	return l
}

// EventKind says what [Reader.Next] found.
type EventKind uint8

// The events of a Reader.
const (
	// EventNeedInput: nothing more can be done until Feed is called.
	EventNeedInput EventKind = iota
	// EventCommand: Event.Command holds a complete command.
	EventCommand
	// EventLiteral: the client announced a synchronizing literal and waits.
	// The server calls Accept and sends a continuation request ("+ Ready
	// for literal data", RFC 9051 §7.6), or calls Reject and sends a tagged
	// BAD, which ends the command for the client too (RFC 9051 §2.2.1) — or
	// NO [TOOBIG] for an APPEND over its size limit (RFC 7888 §4).
	EventLiteral
	// EventError: the command was dropped (Event.Err, a *CommandError);
	// the server answers BAD (or NO [TOOBIG]) and goes on with the next
	// command. The Reader skips what is left of the dropped command itself.
	EventError
)

var eventNames = [...]string{"EventNeedInput", "EventCommand", "EventLiteral", "EventError"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// An Event is what [Reader.Next] returns.
type Event struct {
	Kind EventKind
	// Command is the complete command for EventCommand: its lines joined by
	// CRLF, each literal's octets right after its "{n}\r\n" marker, no final
	// CRLF — the input of a Decoder. Bare LF line endings have become CRLF.
	// It is valid until the next call of Next or Feed.
	Command []byte
	// Literal describes the literal for EventLiteral.
	Literal LiteralRequest
	// Err is a *CommandError for EventError.
	Err error
}

// A LiteralRequest is a synchronizing literal the client has announced and
// for which it awaits the server's decision.
type LiteralRequest struct {
	Tag    string // the command's tag, or "" if the line did not start with one
	Size   int64  // octets announced
	Binary bool   // a literal8, "~{n}" (RFC 3516)
	Index  int    // 1 for the command's first literal
	// Prefix is the command so far, up to and including "{n}\r\n", so that
	// the server can decode its start (APPEND's mailbox) before deciding.
	// It is valid until the next call of Next, Feed, Accept or Reject.
	Prefix []byte
}

// A CommandError is a command the Reader dropped because it broke a limit.
type CommandError struct {
	Tag   string // the command's tag, or "" (answer "* BAD") if none could be read
	Err   error  // ErrLineTooLong, ErrLiteralTooLarge, ErrTooManyLiterals or ErrCommandTooLarge
	Size  int64  // literal size (-1 if not a number64), literal count or command size; 0 for a line, skipped unread
	Limit int64  // the limit it broke
	// Synchronizing is true when the error is about a synchronizing literal:
	// the client has sent none of it and waits, so the tagged response ends
	// the command for the client (RFC 9051 §2.2.1).
	Synchronizing bool
}

func (e *CommandError) Error() string { return e.Err.Error() + ": " + e.Text() }

func (e *CommandError) Unwrap() error { return e.Err }

// Text is the human-readable part of the response, e.g. "Literal of
// 100000000 octets exceeds the limit of 67108864".
func (e *CommandError) Text() string {
	lim := strconv.FormatInt(e.Limit, 10)
	switch e.Err {
	case ErrLineTooLong:
		return "Command line longer than " + lim + " octets"
	case ErrLiteralTooLarge:
		if e.Size < 0 {
			return "Literal size is not a number below 2^63"
		}
		return "Literal of " + strconv.FormatInt(e.Size, 10) + " octets exceeds the limit of " + lim
	case ErrTooManyLiterals:
		return "More than " + lim + " literals in one command"
	case ErrCommandTooLarge:
		return "Command larger than " + lim + " octets"
	}
	return e.Err.Error()
}

// Code is the response code a server would put in its answer: "TOOBIG"
// (RFC 4469, RFC 7888 §5) for a literal or command too large, "LIMIT"
// (RFC 9051 §7.1) for the other limits.
func (e *CommandError) Code() string {
	if e.Err == ErrLiteralTooLarge || e.Err == ErrCommandTooLarge {
		return "TOOBIG"
	}
	return "LIMIT"
}

type readState uint8

const (
	stLine           readState = iota // reading a line of a command
	stLiteral                         // copying a literal's octets into the command
	stAwait                           // a synchronizing literal awaits Accept or Reject
	stDiscardLine                     // skipping the rest of a dropped command's line
	stDiscardLiteral                  // skipping a dropped command's {n+} literal
)

// A Reader frames the byte stream a client sends to a server into commands.
// It is sans-I/O: the caller feeds it what it reads from the connection and
// calls Next until it returns EventNeedInput.
//
// Lines end at LF; a CR before it is dropped. A line that ends with
// "{n}", "{n+}", "~{n}" or "~{n+}" announces a literal of n octets, after
// which the command continues (RFC 9051 §4.3, RFC 7888 §3). The Reader does
// not otherwise parse the command: a literal marker inside an unterminated
// quoted string is a syntax error the Decoder reports, as RFC 7888 §3
// prescribes a check of line ends only.
//
// Memory stays bounded by the Limits: an overlong line is reported as soon
// as it exceeds MaxLine and skipped as it arrives; a non-synchronizing
// literal over its limit is skipped octet by octet.
//
// While the session is in IDLE or AUTHENTICATE, the lines the client sends
// ("DONE", SASL responses) come out as commands too. A client reading
// server responses can use a Reader as well, calling Accept on every
// EventLiteral.
type Reader struct {
	lim Limits

	in      []byte // input; in[off:] is unconsumed
	off     int
	scanned int // in[off:off+scanned] holds no LF

	cmd     []byte // the command being assembled, once it has a literal
	multi   bool   // cmd holds the command (it has a literal)
	done    bool   // the last event handed out cmd or a slice of in
	cmdSize int64
	nlit    int

	state   readState
	litLeft int64
	pending LiteralRequest

	tail    [maxMarkerLen]byte // stDiscardLine: the last octets of the line
	tailLen int
}

// NewReader returns a Reader enforcing lim.
func NewReader(lim Limits) *Reader {
	return &Reader{lim: lim.withDefaults()}
}

// Limits returns the limits in force, defaults filled in.
func (r *Reader) Limits() Limits { return r.lim }

// Feed appends p, which the Reader copies, to the input. It invalidates the
// slices of earlier events.
func (r *Reader) Feed(p []byte) {
	if r.off > 0 && (r.off == len(r.in) || r.off >= cap(r.in)/2) {
		n := copy(r.in, r.in[r.off:])
		r.in = r.in[:n]
		r.off = 0
	}
	r.in = append(r.in, p...)
}

// Buffered returns the number of fed octets not yet consumed.
func (r *Reader) Buffered() int { return len(r.in) - r.off }

// Accept lets the pending synchronizing literal come: the server sends a
// continuation request, and the next calls of Next read the literal.
// It panics if no EventLiteral is pending.
func (r *Reader) Accept() {
	if r.state != stAwait {
		panic("imapwire: Reader.Accept without a pending literal")
	}
	r.state = stLiteral
	r.litLeft = r.pending.Size
	r.pending = LiteralRequest{}
}

// Reject refuses the pending synchronizing literal: the server sends a
// tagged NO or BAD, the client will not send the literal, and the command is
// dropped. It panics if no EventLiteral is pending.
func (r *Reader) Reject() {
	if r.state != stAwait {
		panic("imapwire: Reader.Reject without a pending literal")
	}
	r.pending = LiteralRequest{}
	r.endCommand()
}

// endCommand forgets the current command; the next line starts a new one.
func (r *Reader) endCommand() {
	r.state = stLine
	r.multi = false
	r.cmdSize = 0
	r.nlit = 0
	if cap(r.cmd) > keepCapacity {
		r.cmd = nil
	} else {
		r.cmd = r.cmd[:0]
	}
}

// Next returns the next event. Call it until it returns EventNeedInput, then
// Feed more input.
func (r *Reader) Next() Event {
	if r.done {
		r.done = false
		r.endCommand()
	}
	for {
		switch r.state {
		case stAwait:
			return Event{Kind: EventLiteral, Literal: r.pending}

		case stLiteral, stDiscardLiteral:
			n := int64(len(r.in) - r.off)
			if n > r.litLeft {
				n = r.litLeft
			}
			if r.state == stLiteral {
				r.growFor(n)
				r.cmd = append(r.cmd, r.in[r.off:r.off+int(n)]...)
			}
			r.off += int(n)
			r.litLeft -= n
			if r.litLeft > 0 {
				return Event{Kind: EventNeedInput}
			}
			if r.state == stLiteral {
				r.state = stLine
			} else {
				r.state = stDiscardLine
				r.tailLen = 0
			}

		case stDiscardLine:
			buf := r.in[r.off:]
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				r.keepTail(buf)
				r.off = len(r.in)
				return Event{Kind: EventNeedInput}
			}
			r.keepTail(buf[:i])
			r.off += i + 1
			m := parseMarker(trimCR(r.tail[:r.tailLen]))
			if m.ok && m.nonSync && m.size >= 0 {
				// The client sends this literal regardless: skip it and
				// the rest of the command after it.
				r.state = stDiscardLiteral
				r.litLeft = m.size
				continue
			}
			// A synchronizing literal waits for a "+" that will not come:
			// the tagged response already sent ends the command.
			r.endCommand()

		case stLine:
			if ev, ok := r.line(); ok {
				return ev
			}
		}
	}
}

// line handles stLine. It returns ok=false to continue the loop in Next.
func (r *Reader) line() (Event, bool) {
	buf := r.in[r.off:]
	i := bytes.IndexByte(buf[r.scanned:], '\n')
	if i < 0 {
		r.scanned = len(buf)
		// MaxLine octets and a CR may still be followed by a valid LF.
		if len(buf) > r.lim.MaxLine+1 {
			ev := r.fail(ErrLineTooLong, 0, int64(r.lim.MaxLine), false, r.firstLine(buf))
			r.endCommand()
			r.state = stDiscardLine
			r.tailLen = 0
			r.keepTail(buf)
			r.off = len(r.in)
			r.scanned = 0
			return ev, true
		}
		return Event{Kind: EventNeedInput}, true
	}
	end := r.scanned + i
	r.scanned = 0
	line := trimCR(buf[:end])
	r.off += end + 1
	m := parseMarker(line)

	if len(line) > r.lim.MaxLine {
		ev := r.fail(ErrLineTooLong, 0, int64(r.lim.MaxLine), false, r.firstLine(line))
		r.dropAfter(m)
		return ev, true
	}
	r.cmdSize += int64(len(line))
	if r.cmdSize > r.lim.MaxCommand {
		ev := r.fail(ErrCommandTooLarge, r.cmdSize, r.lim.MaxCommand, m.ok && !m.nonSync, r.firstLine(line))
		r.dropAfter(m)
		return ev, true
	}

	if !m.ok {
		if !r.multi {
			r.done = true
			return Event{Kind: EventCommand, Command: line}, true
		}
		r.cmd = append(r.cmd, line...)
		r.done = true
		return Event{Kind: EventCommand, Command: r.cmd}, true
	}

	// The line announces a literal.
	r.multi = true
	r.cmd = append(r.cmd, line...)
	r.cmd = append(r.cmd, '\r', '\n')
	r.cmdSize += 2
	r.nlit++
	sync := !m.nonSync
	limit := r.lim.MaxLiteral
	if m.nonSync {
		limit = r.lim.MaxNonSyncLiteral
	}
	var ev Event
	switch {
	case m.size < 0:
		ev = r.fail(ErrLiteralTooLarge, -1, limit, sync, r.cmd)
	case r.nlit > r.lim.MaxLiterals:
		ev = r.fail(ErrTooManyLiterals, int64(r.nlit), int64(r.lim.MaxLiterals), sync, r.cmd)
	case m.size > limit:
		ev = r.fail(ErrLiteralTooLarge, m.size, limit, sync, r.cmd)
	case r.cmdSize+m.size > r.lim.MaxCommand:
		ev = r.fail(ErrCommandTooLarge, r.cmdSize+m.size, r.lim.MaxCommand, sync, r.cmd)
	}
	if ev.Kind == EventError {
		r.dropAfter(m)
		return ev, true
	}
	r.cmdSize += m.size
	if sync {
		r.state = stAwait
		r.pending = LiteralRequest{Tag: tagOf(r.cmd), Size: m.size, Binary: m.binary, Index: r.nlit, Prefix: r.cmd}
		return Event{Kind: EventLiteral, Literal: r.pending}, true
	}
	r.state = stLiteral
	r.litLeft = m.size
	return Event{}, false
}

// growFor makes room in cmd for n more octets of the current literal,
// doubling the buffer but never beyond what the literal still needs: a
// large literal then costs about twice its size in allocations, and memory
// follows what the client has actually sent, not what it announced.
func (r *Reader) growFor(n int64) {
	if len(r.cmd)+int(n) <= cap(r.cmd) {
		return
	}
	want := max(2*cap(r.cmd), len(r.cmd)+int(n))
	want = min(want, len(r.cmd)+int(r.litLeft))
	r.cmd = slices.Grow(r.cmd, want-len(r.cmd))
}

// firstLine returns the start of the command for tagOf: the assembled part
// if the command already has one, else the current line.
func (r *Reader) firstLine(line []byte) []byte {
	if r.multi {
		return r.cmd
	}
	return line
}

// fail builds an EventError. The tag is looked for in the first MaxLine+1
// octets only, which an overlong line reported before its end always has:
// the error must not depend on how the input was cut.
func (r *Reader) fail(err error, size, limit int64, sync bool, start []byte) Event {
	if len(start) > r.lim.MaxLine+1 {
		start = start[:r.lim.MaxLine+1]
	}
	return Event{Kind: EventError, Err: &CommandError{
		Tag: tagOf(start), Err: err, Size: size, Limit: limit, Synchronizing: sync,
	}}
}

// dropAfter drops the current command after its complete line ending with
// marker m: a non-synchronizing literal the client sends anyway is skipped,
// with the rest of the command; otherwise the command has ended.
func (r *Reader) dropAfter(m marker) {
	if m.ok && m.nonSync && m.size >= 0 {
		r.endCommand()
		r.state = stDiscardLiteral
		r.litLeft = m.size
		return
	}
	r.endCommand()
}

// keepTail remembers the last octets of a line being discarded, where a
// literal marker would be.
func (r *Reader) keepTail(p []byte) {
	if len(p) >= len(r.tail) {
		r.tailLen = copy(r.tail[:], p[len(p)-len(r.tail):])
		return
	}
	if r.tailLen+len(p) > len(r.tail) {
		drop := r.tailLen + len(p) - len(r.tail)
		copy(r.tail[:], r.tail[drop:r.tailLen])
		r.tailLen -= drop
	}
	r.tailLen += copy(r.tail[r.tailLen:], p)
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// A marker is a literal announcement at the end of a line.
type marker struct {
	ok      bool
	nonSync bool  // "{n+}"
	binary  bool  // "~{n}"
	size    int64 // -1 if the digits are not a number64
}

// parseMarker looks for "{" number64 ["+"] "}" (and literal8's "~{") at the
// end of line (RFC 9051 §9 literal, RFC 7888 §3).
func parseMarker(line []byte) marker {
	n := len(line)
	if n < 3 || line[n-1] != '}' {
		return marker{}
	}
	var m marker
	j := n - 2
	if line[j] == '+' {
		m.nonSync = true
		j--
	}
	end := j + 1
	for j >= 0 && line[j] >= '0' && line[j] <= '9' {
		j--
	}
	if j < 0 || j+1 == end || line[j] != '{' {
		return marker{}
	}
	m.ok = true
	m.binary = j > 0 && line[j-1] == '~'
	m.size = -1
	// A number64 has at most 19 digits. Longer counts (leading zeros) are
	// refused, so that a marker always fits the tail a discarded line keeps.
	if end-(j+1) <= 19 {
		m.size = parseNumber64(line[j+1 : end])
	}
	return m
}

// parseNumber64 parses number64 (RFC 9051 §9: 0 to 2^63-1), or returns -1.
func parseNumber64(digits []byte) int64 {
	if len(digits) == 0 {
		return -1
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return -1
		}
		d := int64(c - '0')
		if v > (1<<63-1-d)/10 {
			return -1
		}
		v = v*10 + d
	}
	return v
}

// tagOf returns the tag that starts a command, if it is followed by SP.
func tagOf(b []byte) string {
	for i, c := range b {
		if c == ' ' && i > 0 {
			return string(b[:i])
		}
		if !isTagChar(c) {
			return ""
		}
	}
	return ""
}
