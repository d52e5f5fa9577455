// Package message reads Internet messages (RFC 5322, MIME RFC 2045/2046)
// for the mail protocols: Parse builds a zero-copy MIME tree from which
// IMAP's ENVELOPE, BODY/BODYSTRUCTURE, BODY[section] and BINARY are computed
// (RFC 9051 §6.4.5, §7.5.2), with header decoding and search helpers; and it
// imports and exports mbox files (RFC 4155): the mboxrd variant, in which a
// body line matching ^>*From  is quoted with one more '>' on writing and
// unquoted on reading, so that any message survives a round trip.
package message

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxMboxMessageSize bounds one message read from an mbox. Messages are held
// in memory; no mail server this project talks to accepts more than this.
const MaxMboxMessageSize = 64 << 20

// Errors callers test with errors.Is.
var (
	// ErrTooLarge means a message in an mbox exceeds MaxMboxMessageSize.
	ErrTooLarge = errors.New("message: message too large")
)

var (
	errNoFromLine = errors.New(`does not start with a "From " line`)
	errBadSender  = errors.New("sender contains a space or a line break")
)

// MboxError locates a problem in an mbox file.
type MboxError struct {
	Line int // 1-based line in the mbox file
	Err  error
}

func (e *MboxError) Error() string {
	// Err may be one of this package's prefixed errors; say "message: " once.
	return fmt.Sprintf("message: mbox line %d: %s", e.Line, strings.TrimPrefix(e.Err.Error(), "message: "))
}
func (e *MboxError) Unwrap() error { return e.Err }

// MboxMessage is one message of an mbox file.
type MboxMessage struct {
	// Sender is the address on the "From " separator line (the envelope
	// sender), which may be empty.
	Sender string
	// Date is the separator line's timestamp, in UTC, or the zero time if it
	// is not in asctime form.
	Date time.Time
	// Flags are the IMAP flags given by mutt's Status and X-Status header
	// fields, in the order \Seen \Answered \Flagged \Deleted \Draft. They are
	// derived from Raw: WriteMbox ignores them.
	Flags []string
	// Raw is the message as stored, with ">From " quoting undone and without
	// the blank line that ends each mbox entry. Line endings are kept as they
	// were (LF or CRLF); a last line without one is given "\n".
	Raw []byte
}

// fromDateLayouts are the separator timestamps in use: asctime, which RFC 4155
// Appendix A prescribes, and the zone-carrying forms some agents write.
var fromDateLayouts = []string{
	time.ANSIC,                       // Mon Jan _2 15:04:05 2006
	time.UnixDate,                    // Mon Jan _2 15:04:05 MST 2006
	"Mon Jan _2 15:04:05 2006 -0700", // exim, some procmail setups
	"Mon Jan _2 15:04:05 -0700 2006",
}

// parseFromLine splits a separator line ("From " already checked, line ending
// removed) into sender and date.
func parseFromLine(line string) (string, time.Time) {
	rest := line[len("From "):]
	sender, date, _ := strings.Cut(rest, " ")
	date = strings.TrimSpace(date)
	for _, layout := range fromDateLayouts {
		t, err := time.Parse(layout, date)
		if err != nil {
			continue
		}
		t = t.UTC()
		// asctime has four-digit years; anything else could not be written back.
		if t.Year() < 0 || t.Year() > 9999 {
			break
		}
		return sender, t
	}
	return sender, time.Time{}
}

// MboxReader reads messages from an mbox one at a time.
type MboxReader struct {
	br      *bufio.Reader
	line    int    // lines consumed so far
	next    []byte // a separator line read ahead, without its line ending
	nextNum int    // its line number
	err     error  // sticky
	started bool
	// prevBlank is the blank line held back while deciding whether it ends
	// the message (before a separator or EOF) or belongs to it.
	prevBlank []byte
	maxSize   int // MaxMboxMessageSize; tests lower it
}

// NewMboxReader returns a reader of the mbox in r.
func NewMboxReader(r io.Reader) *MboxReader {
	return &MboxReader{br: bufio.NewReader(r), maxSize: MaxMboxMessageSize}
}

// readLine returns the next line with its line ending, or an empty line at
// the end of the input. A line longer than limit bytes is reported with
// tooLong instead, before it is read whole.
func (mr *MboxReader) readLine(limit int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := mr.br.ReadSlice('\n')
		if len(frag) > 0 && len(line)+len(frag) > limit {
			return nil, true, nil
		}
		line = append(line, frag...)
		switch err {
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			err = nil
		}
		if len(line) > 0 {
			mr.line++
		}
		return line, false, err
	}
}

func isBlank(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

func isFromLine(line []byte) bool { return bytes.HasPrefix(line, []byte("From ")) }

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// isQuotedFrom reports whether line matches ^>+From .
func isQuotedFrom(line []byte) bool {
	rest := bytes.TrimLeft(line, ">")
	return len(rest) < len(line) && isFromLine(rest)
}

// Next returns the next message, or io.EOF after the last one. Other errors
// are *MboxError and are returned again by later calls.
func (mr *MboxReader) Next() (MboxMessage, error) {
	if mr.err != nil {
		return MboxMessage{}, mr.err
	}
	m, err := mr.next1()
	if err != nil {
		if err != io.EOF {
			var me *MboxError
			if !errors.As(err, &me) {
				err = &MboxError{Line: mr.line + 1, Err: err}
			}
		}
		mr.err = err
	}
	return m, err
}

func (mr *MboxReader) next1() (MboxMessage, error) {
	if !mr.started {
		mr.started = true
		line, tooLong, err := mr.readLine(mr.maxSize)
		if tooLong {
			return MboxMessage{}, &MboxError{Line: 1, Err: fmt.Errorf("%w: separator line over %d bytes", ErrTooLarge, mr.maxSize)}
		}
		if err != nil {
			return MboxMessage{}, err
		}
		if len(line) == 0 {
			return MboxMessage{}, io.EOF // an empty mbox holds no messages
		}
		if !isFromLine(line) {
			return MboxMessage{}, &MboxError{Line: 1, Err: errNoFromLine}
		}
		mr.next, mr.nextNum = trimEOL(line), mr.line
	}
	if mr.next == nil {
		return MboxMessage{}, io.EOF
	}
	var m MboxMessage
	m.Sender, m.Date = parseFromLine(string(mr.next))
	start := mr.nextNum
	mr.next = nil

	var raw []byte
	var blank bool // whether the last line read was blank; it is held back
	for {
		limit := mr.maxSize - len(raw) + 1 // +1: a quoting '>' is not kept
		line, tooLong, err := mr.readLine(limit)
		if tooLong {
			return MboxMessage{}, &MboxError{Line: start, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, mr.maxSize)}
		}
		if err != nil {
			return MboxMessage{}, err
		}
		if len(line) == 0 {
			break // end of file; a held-back blank line is the terminator
		}
		if blank && isFromLine(line) {
			mr.next, mr.nextNum = trimEOL(line), mr.line
			break
		}
		if blank {
			raw = append(raw, mr.prevBlank...)
		}
		blank = isBlank(line)
		if blank {
			mr.prevBlank = append(mr.prevBlank[:0], line...)
			continue
		}
		if isQuotedFrom(line) {
			line = line[1:]
		}
		raw = append(raw, line...)
		if len(raw) > mr.maxSize {
			return MboxMessage{}, &MboxError{Line: start, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, mr.maxSize)}
		}
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		raw = append(raw, '\n')
	}
	m.Raw = raw
	m.Flags = mboxFlags(raw)
	return m, nil
}

// ReadMbox reads every message of an mbox (RFC 4155 Appendix A, mboxrd
// quoting). A separator is a line starting "From " at the start of the file
// or after a blank line.
func ReadMbox(r io.Reader) ([]MboxMessage, error) {
	mr := NewMboxReader(r)
	var msgs []MboxMessage
	for {
		m, err := mr.Next()
		if err == io.EOF {
			return msgs, nil
		}
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
}

// WriteMbox writes msgs as an mboxrd file that ReadMbox reads back to the same
// Sender, Date and Raw. Dates are written in UTC asctime form; lines matching
// ^>*From  get one more '>'; each entry ends with a blank line.
func WriteMbox(w io.Writer, msgs []MboxMessage) error {
	bw := bufio.NewWriter(w)
	for i, m := range msgs {
		if strings.ContainsAny(m.Sender, " \n") {
			return fmt.Errorf("message: mbox message %d: %w", i+1, errBadSender)
		}
		fmt.Fprintf(bw, "From %s %s\n", m.Sender, m.Date.UTC().Format(time.ANSIC))
		for raw := m.Raw; len(raw) > 0; {
			line := raw
			if i := bytes.IndexByte(raw, '\n'); i >= 0 {
				line = raw[:i+1]
			}
			raw = raw[len(line):]
			if isFromLine(bytes.TrimLeft(line, ">")) {
				bw.WriteByte('>')
			}
			bw.Write(line)
		}
		if len(m.Raw) > 0 && m.Raw[len(m.Raw)-1] != '\n' {
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// IMAP system flags (RFC 9051 §2.3.2), in the order Flags lists them.
var flagOrder = []struct {
	header string // "Status" or "X-Status"
	letter byte
	flag   string
}{
	{"status", 'R', `\Seen`},
	{"x-status", 'A', `\Answered`},
	{"x-status", 'F', `\Flagged`},
	{"x-status", 'D', `\Deleted`},
	{"x-status", 'T', `\Draft`},
}

// mboxFlags reads the Status and X-Status fields that mutt and other mbox
// agents keep in the header. "O" (old, i.e. not \Recent) has no stored IMAP
// flag and is ignored.
func mboxFlags(raw []byte) []string {
	values := map[string]string{}
	var last string
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		line = trimEOL(line)
		if len(line) == 0 {
			break // end of header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				values[last] += string(line)
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		last = ""
		if !ok {
			continue
		}
		key := strings.ToLower(string(bytes.TrimRight(name, " \t")))
		if key == "status" || key == "x-status" {
			last = key
			values[key] += string(value)
		}
	}
	var flags []string
	for _, f := range flagOrder {
		if strings.IndexByte(values[f.header], f.letter) >= 0 {
			flags = append(flags, f.flag)
		}
	}
	return flags
}
