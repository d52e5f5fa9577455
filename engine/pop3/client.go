package pop3

// The client side of RFC 1939: one command line out, one reply in, with the
// multi-line replies (RFC 1939 §3) undone from their byte-stuffing. It is
// the part a mail user agent contains; device.go builds one on top.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/transport"
)

// Limits on what the client accepts from a server. They bound the memory a
// broken or hostile server can make the client use; they are not a
// conformance check.
const (
	// MaxStatusLine bounds the first line of a reply, greeting included,
	// CRLF included. RFC 2449 §4 limits it to 512 octets; servers that pad
	// their greeting overshoot, so the client accepts 8 times as much.
	MaxStatusLine = 4096
	// MaxBodyLine bounds one line of a multi-line reply, CRLF included.
	// RFC 5322 §2.1.1 caps message lines at 1000 octets, but generated
	// mail (unwrapped HTML, long base64) ignores it, and a client that
	// refuses to download such a message is useless: 1 MiB.
	MaxBodyLine = 1 << 20
	// MaxReplyBody bounds the body of a multi-line reply after
	// byte-stuffing is undone. The largest body is one message: the store
	// refuses messages over mailstore.MaxMessageSize octets as stored, and
	// a message stored with bare LFs can double when sent with CRLF.
	MaxReplyBody = 2 * mailstore.MaxMessageSize
)

// Errors callers test with errors.Is.
var (
	// ErrClosed is returned by every method once the client has quit, has
	// been closed, or has closed the stream after a protocol or I/O error.
	ErrClosed = errors.New("pop3: client is closed")
	// ErrNoAPOPTimestamp is returned by APOP when the server's greeting
	// carried no timestamp, so the server does not offer APOP
	// (RFC 1939 §7).
	ErrNoAPOPTimestamp = errors.New("pop3: greeting has no APOP timestamp")
	// ErrInvalidArgument is returned, before anything is sent, for an
	// argument that is empty or would break the command line: a CR, LF or
	// NUL anywhere, or a space where RFC 1939 §3 separates arguments.
	ErrInvalidArgument = errors.New("pop3: invalid command argument")
)

// Error is a -ERR reply (RFC 1939 §3). A client method returns it wrapped
// with the command for context ("pop3: RETR 3: -ERR No such message");
// errors.As finds it.
type Error struct {
	// Code is the response code in square brackets at the start of the
	// text (RFC 2449 §8), upper-cased since codes are case-insensitive:
	// "IN-USE", "AUTH" (RFC 3206), "SYS/TEMP", or "" when there is none.
	Code string
	// Text is the human-readable rest of the line.
	Text string
}

func (e *Error) Error() string {
	s := "-ERR"
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	if e.Text != "" {
		s += " " + e.Text
	}
	return s
}

// ProtocolError is a reply that breaks POP3's grammar: a line that starts
// with neither +OK nor -ERR, a line over the limits above, a multi-line reply
// cut short by the end of the connection, or a listing that cannot be
// parsed. After one that leaves the client unsure where the next reply
// starts, the client closes the stream.
type ProtocolError struct {
	Msg string
	// Err is the underlying cause, such as io.ErrUnexpectedEOF, or nil.
	Err error
}

func (e *ProtocolError) Error() string {
	if e.Err != nil {
		return "protocol error: " + e.Msg + ": " + e.Err.Error()
	}
	return "protocol error: " + e.Msg
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// Direction says who sent a line of a dialogue.
type Direction int

// The two directions, named after the "C:" and "S:" of RFC 1939's examples.
const (
	ClientToServer Direction = iota + 1
	ServerToClient
)

// String returns "C" or "S", as RFC transcripts write them.
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "C"
	case ServerToClient:
		return "S"
	}
	return "?"
}

// ClientOptions configure a client.
type ClientOptions struct {
	// Trace, when not nil, is called with every line the client sends and
	// every line it receives, in wire order, without the CRLF. Body lines
	// are given as on the wire, still byte-stuffed, and the final "." too.
	// PASS, APOP and AUTH lines carry the credentials as a packet capture
	// would show them: that POP3 sends them in the clear is the point.
	Trace func(dir Direction, line string)
	// MaxReplyBody overrides MaxReplyBody when positive, for a device with
	// little memory.
	MaxReplyBody int64
}

// ListEntry is one line of a LIST reply: a scan listing (RFC 1939 §5).
type ListEntry struct {
	Number int
	Octets int64
}

// UIDLEntry is one line of a UIDL reply: a unique-id listing (RFC 1939 §7).
type UIDLEntry struct {
	Number int
	UID    string
}

// Client is a POP3 client over a stream. Its methods send one command each
// and wait for the reply; there is no timeout, so a caller that must not
// wait forever closes the stream from another goroutine. A Client is not
// safe for concurrent use.
type Client struct {
	s         transport.Stream
	r         *bufio.Reader
	trace     func(Direction, string)
	maxBody   int64
	greeting  string
	timestamp string
	closed    bool
}

// NewClient reads the server's greeting from s and returns a client in the
// AUTHORIZATION state (RFC 1939 §4). If the greeting is -ERR or malformed it
// closes s and returns the error.
func NewClient(s transport.Stream) (*Client, error) {
	return NewClientOptions(s, ClientOptions{})
}

// NewClientOptions is NewClient with options.
func NewClientOptions(s transport.Stream, opts ClientOptions) (*Client, error) {
	c := &Client{
		s:       s,
		r:       bufio.NewReader(s),
		trace:   opts.Trace,
		maxBody: opts.MaxReplyBody,
	}
	if c.maxBody <= 0 {
		c.maxBody = MaxReplyBody
	}
	text, err := c.status()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("pop3: greeting: %w", err)
	}
	c.greeting = text
	c.timestamp = apopTimestamp(text)
	return c, nil
}

// apopTimestamp finds the timestamp of the greeting (RFC 1939 §7, RFC 2449
// §3: "<" *VCHAR ">"), or "" when there is none.
func apopTimestamp(greeting string) string {
	i := strings.IndexByte(greeting, '<')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(greeting[i:], '>')
	if j < 2 || strings.ContainsAny(greeting[i:i+j], " \t") {
		return ""
	}
	return greeting[i : i+j+1]
}

// Greeting returns the text of the server's greeting, after "+OK ".
func (c *Client) Greeting() string { return c.greeting }

// Timestamp returns the APOP timestamp of the greeting, angle brackets
// included, or "" if the server sent none.
func (c *Client) Timestamp() string { return c.timestamp }

// Capa asks for the server's capabilities (RFC 2449 §5), one per line:
// "TOP", "SASL PLAIN", "IMPLEMENTATION wirelab".
func (c *Client) Capa() ([]string, error) {
	_, body, err := c.multi("CAPA", "CAPA")
	if err != nil {
		return nil, err
	}
	return splitLines(body), nil
}

// User sends USER (RFC 1939 §7).
func (c *Client) User(name string) error {
	if err := checkArg(name, false); err != nil {
		return fmt.Errorf("%w: USER", err)
	}
	_, err := c.single("USER "+name, "USER "+name)
	return err
}

// Pass sends PASS (RFC 1939 §7). RFC 1939 lets the password contain
// spaces, so they are sent as they are; the error never shows the password.
func (c *Client) Pass(password string) error {
	if err := checkArg(password, true); err != nil {
		return fmt.Errorf("%w: PASS", err)
	}
	_, err := c.single("PASS", "PASS "+password)
	return err
}

// Login sends USER and then PASS, the plain-text login of RFC 1939 §7.
func (c *Client) Login(user, password string) error {
	if err := c.User(user); err != nil {
		return err
	}
	return c.Pass(password)
}

// APOP logs in with the digest of the greeting's timestamp and the shared
// secret (RFC 1939 §7), so the secret never crosses the wire.
func (c *Client) APOP(user, secret string) error {
	label := "APOP " + user
	if err := checkArg(user, false); err != nil {
		return fmt.Errorf("%w: APOP", err)
	}
	if c.timestamp == "" {
		return fmt.Errorf("%w: %s", ErrNoAPOPTimestamp, label)
	}
	_, err := c.single(label, "APOP "+user+" "+auth.APOPDigest(c.timestamp, secret))
	return err
}

// AuthPlain logs in with SASL PLAIN (RFC 5034, RFC 4616), sending the
// credentials as the initial response in the AUTH command itself.
func (c *Client) AuthPlain(user, password string) error {
	const label = "AUTH PLAIN"
	if user == "" || password == "" || strings.ContainsRune(user+password, 0) {
		// NUL separates the PLAIN fields; base64 hides any other byte.
		return fmt.Errorf("%w: %s", ErrInvalidArgument, label)
	}
	if c.closed {
		return fmt.Errorf("%w: %s", ErrClosed, label)
	}
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.send("AUTH PLAIN " + ir); err != nil {
		return fmt.Errorf("pop3: %s: %w", label, err)
	}
	line, err := c.readLine(MaxStatusLine)
	if err != nil {
		return fmt.Errorf("pop3: %s: %w", label, c.fail(err, "connection closed before the reply"))
	}
	if line == "+" || strings.HasPrefix(line, "+ ") {
		// A challenge after the initial response makes no sense for
		// PLAIN. Cancel the exchange (RFC 5034 §4) so the server is not
		// left waiting for a SASL line, and report the server's fault.
		if err := c.send("*"); err != nil {
			return fmt.Errorf("pop3: %s: %w", label, err)
		}
		if _, err := c.status(); err != nil && !isServerError(err) {
			return fmt.Errorf("pop3: %s: %w", label, err)
		}
		return fmt.Errorf("pop3: %s: %w", label, &ProtocolError{Msg: "server sent a SASL challenge after the initial response"})
	}
	if _, err := c.parseStatus(line); err != nil {
		return fmt.Errorf("pop3: %s: %w", label, err)
	}
	return nil
}

// Stat returns the number of messages in the maildrop and their size
// (RFC 1939 §5: "+OK nn mm").
func (c *Client) Stat() (count int, octets int64, err error) {
	text, err := c.single("STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	n, size, ok := parseListing(text)
	if !ok {
		return 0, 0, fmt.Errorf("pop3: STAT: %w", &ProtocolError{Msg: "malformed drop listing " + quote(text)})
	}
	return n, size, nil
}

// List returns the scan listing of every message not marked deleted
// (RFC 1939 §5).
func (c *Client) List() ([]ListEntry, error) {
	_, body, err := c.multi("LIST", "LIST")
	if err != nil {
		return nil, err
	}
	var out []ListEntry
	for _, line := range splitLines(body) {
		n, size, ok := parseListing(line)
		if !ok {
			return nil, fmt.Errorf("pop3: LIST: %w", &ProtocolError{Msg: "malformed scan listing " + quote(line)})
		}
		out = append(out, ListEntry{Number: n, Octets: size})
	}
	return out, nil
}

// ListOne returns the scan listing of message n (RFC 1939 §5).
func (c *Client) ListOne(n int) (ListEntry, error) {
	label := fmt.Sprintf("LIST %d", n)
	text, err := c.single(label, label)
	if err != nil {
		return ListEntry{}, err
	}
	num, size, ok := parseListing(text)
	if !ok {
		return ListEntry{}, fmt.Errorf("pop3: %s: %w", label, &ProtocolError{Msg: "malformed scan listing " + quote(text)})
	}
	return ListEntry{Number: num, Octets: size}, nil
}

// UIDL returns the unique-id listing of every message not marked deleted
// (RFC 1939 §7). A unique-id stays the same across sessions, which is how
// a client that leaves mail on the server knows what it has already seen.
func (c *Client) UIDL() ([]UIDLEntry, error) {
	_, body, err := c.multi("UIDL", "UIDL")
	if err != nil {
		return nil, err
	}
	var out []UIDLEntry
	for _, line := range splitLines(body) {
		e, ok := parseUIDL(line)
		if !ok {
			return nil, fmt.Errorf("pop3: UIDL: %w", &ProtocolError{Msg: "malformed unique-id listing " + quote(line)})
		}
		out = append(out, e)
	}
	return out, nil
}

// UIDLOne returns the unique-id listing of message n (RFC 1939 §7).
func (c *Client) UIDLOne(n int) (UIDLEntry, error) {
	label := fmt.Sprintf("UIDL %d", n)
	text, err := c.single(label, label)
	if err != nil {
		return UIDLEntry{}, err
	}
	e, ok := parseUIDL(text)
	if !ok {
		return UIDLEntry{}, fmt.Errorf("pop3: %s: %w", label, &ProtocolError{Msg: "malformed unique-id listing " + quote(text)})
	}
	return e, nil
}

// Retr returns message n (RFC 1939 §5) as it crossed the wire, with CRLF
// line endings and byte-stuffing undone.
func (c *Client) Retr(n int) ([]byte, error) {
	label := fmt.Sprintf("RETR %d", n)
	_, body, err := c.multi(label, label)
	return body, err
}

// Top returns the header of message n, the blank line after it and the
// first lines lines of its body (RFC 1939 §7).
func (c *Client) Top(n, lines int) ([]byte, error) {
	label := fmt.Sprintf("TOP %d %d", n, lines)
	_, body, err := c.multi(label, label)
	return body, err
}

// Dele marks message n deleted (RFC 1939 §5). The server removes it only
// when the session ends with QUIT.
func (c *Client) Dele(n int) error {
	label := fmt.Sprintf("DELE %d", n)
	_, err := c.single(label, label)
	return err
}

// Noop does nothing but get a +OK (RFC 1939 §5).
func (c *Client) Noop() error {
	_, err := c.single("NOOP", "NOOP")
	return err
}

// Rset removes every deletion mark of the session (RFC 1939 §5).
func (c *Client) Rset() error {
	_, err := c.single("RSET", "RSET")
	return err
}

// Quit ends the session and closes the stream (RFC 1939 §6). From the
// TRANSACTION state the server then removes the messages marked deleted; a
// -ERR reply means some of them were not removed.
func (c *Client) Quit() error {
	_, err := c.single("QUIT", "QUIT")
	c.Close()
	return err
}

// Close closes the stream without QUIT: the server enters no UPDATE state
// and deletes nothing (RFC 1939 §6). Closing twice is harmless.
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.s.Close()
}

// single sends a command with a one-line reply and returns the reply's
// text. label names the command in errors; it leaves out secrets.
func (c *Client) single(label, line string) (string, error) {
	if c.closed {
		return "", fmt.Errorf("%w: %s", ErrClosed, label)
	}
	if err := c.send(line); err != nil {
		return "", fmt.Errorf("pop3: %s: %w", label, err)
	}
	text, err := c.status()
	if err != nil {
		return "", fmt.Errorf("pop3: %s: %w", label, err)
	}
	return text, nil
}

// multi sends a command whose +OK reply is multi-line (RFC 1939 §3) and
// returns the status text and the body. A -ERR reply has no body.
func (c *Client) multi(label, line string) (string, []byte, error) {
	text, err := c.single(label, line)
	if err != nil {
		return "", nil, err
	}
	body, err := c.body()
	if err != nil {
		return "", nil, fmt.Errorf("pop3: %s: %w", label, err)
	}
	return text, body, nil
}

// send writes one command line with its CRLF in a single Write.
func (c *Client) send(line string) error {
	if c.closed {
		return ErrClosed
	}
	if c.trace != nil {
		c.trace(ClientToServer, line)
	}
	if _, err := io.WriteString(c.s, line+"\r\n"); err != nil {
		c.Close()
		return err
	}
	return nil
}

// status reads a status line and returns its text for +OK or an *Error for
// -ERR (RFC 1939 §3).
func (c *Client) status() (string, error) {
	line, err := c.readLine(MaxStatusLine)
	if err != nil {
		return "", c.fail(err, "connection closed before the reply")
	}
	return c.parseStatus(line)
}

func (c *Client) parseStatus(line string) (string, error) {
	// RFC 2449 §3: status = "+OK" / "-ERR", then SP text or the end; ABNF
	// strings are case-insensitive.
	word, text, _ := strings.Cut(line, " ")
	switch strings.ToUpper(word) {
	case "+OK":
		return text, nil
	case "-ERR":
		return "", parseError(text)
	}
	// Where this reply ends, and so where the next one starts, is unknown.
	c.Close()
	return "", &ProtocolError{Msg: "reply does not start with +OK or -ERR: " + quote(line)}
}

// parseError splits a -ERR text into its response code and the rest
// (RFC 2449 §3: resp-code = "[" resp-level *("/" resp-level) "]").
func parseError(text string) *Error {
	if rest, ok := strings.CutPrefix(text, "["); ok {
		if code, after, ok := strings.Cut(rest, "]"); ok && validRespCode(code) {
			return &Error{Code: strings.ToUpper(code), Text: strings.TrimPrefix(after, " ")}
		}
	}
	return &Error{Text: text}
}

func validRespCode(code string) bool {
	for _, level := range strings.Split(code, "/") {
		if level == "" {
			return false
		}
		for i := 0; i < len(level); i++ {
			if level[i] < 0x21 || level[i] > 0x7e {
				return false
			}
		}
	}
	return true
}

func isServerError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// body reads the rest of a multi-line reply up to the line holding only the
// termination octet, removing the extra '.' of byte-stuffed lines
// (RFC 1939 §3). Every line is returned with CRLF.
func (c *Client) body() ([]byte, error) {
	var out []byte
	for {
		line, err := c.readLine(MaxBodyLine)
		if err != nil {
			return nil, c.fail(err, "multi-line reply ended before its terminating line")
		}
		if strings.HasPrefix(line, ".") {
			if len(line) == 1 {
				return out, nil
			}
			line = line[1:]
		}
		if int64(len(out))+int64(len(line))+2 > c.maxBody {
			c.Close()
			return nil, &ProtocolError{Msg: fmt.Sprintf("multi-line reply longer than %d octets", c.maxBody)}
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
	}
}

// fail turns a read error into what the caller returns. The end of the
// stream where a reply was due is the server's fault, a ProtocolError; any
// error leaves the stream unusable, so it is closed.
func (c *Client) fail(err error, eofMsg string) error {
	c.Close()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &ProtocolError{Msg: eofMsg, Err: io.ErrUnexpectedEOF}
	}
	return err
}

// readLine reads one line of at most limit octets, its end included, and
// returns it without CR LF. A bare LF is accepted as a line end. It looks at
// every chunk as soon as it arrives, so a server that sends an endless line
// is caught at the limit, not waited for. It returns io.EOF at the end of
// the stream and io.ErrUnexpectedEOF in the middle of a line.
func (c *Client) readLine(limit int) (string, error) {
	if c.closed {
		return "", ErrClosed
	}
	var line []byte
	for {
		if _, err := c.r.Peek(1); err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		buf, _ := c.r.Peek(c.r.Buffered())
		i := bytes.IndexByte(buf, '\n')
		n := len(buf)
		if i >= 0 {
			n = i + 1
		}
		// Without its LF yet, a line already at the limit can only
		// end over it.
		if len(line)+n > limit || (i < 0 && len(line)+n >= limit) {
			c.Close()
			return "", &ProtocolError{Msg: fmt.Sprintf("line longer than %d octets", limit)}
		}
		line = append(line, buf[:n]...)
		c.r.Discard(n)
		if i >= 0 {
			break
		}
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
	s := string(line)
	if c.trace != nil {
		c.trace(ServerToClient, s)
	}
	return s, nil
}

// checkArg refuses an argument that is empty or would end the command line
// early or split it into more arguments than intended.
func checkArg(arg string, spaceOK bool) error {
	if arg == "" || strings.ContainsAny(arg, "\r\n\x00") || (!spaceOK && strings.Contains(arg, " ")) {
		return ErrInvalidArgument
	}
	return nil
}

// parseListing reads "nn mm", a drop or scan listing (RFC 1939 §5). RFC
// 1939 lets a server add information after the size, which is ignored.
func parseListing(s string) (int, int64, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, 0, false
	}
	n, ok1 := parseDecimal(f[0])
	size, ok2 := parseDecimal(f[1])
	if !ok1 || !ok2 || n > int64(^uint(0)>>1) {
		return 0, 0, false
	}
	return int(n), size, true
}

// parseUIDL reads "nn unique-id" (RFC 1939 §7).
func parseUIDL(s string) (UIDLEntry, bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return UIDLEntry{}, false
	}
	n, ok := parseDecimal(f[0])
	if !ok || n > int64(^uint(0)>>1) {
		return UIDLEntry{}, false
	}
	return UIDLEntry{Number: int(n), UID: f[1]}, true
}

// parseDecimal accepts digits only: no sign, no space.
func parseDecimal(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// splitLines splits a body read by (*Client).body into its lines.
func splitLines(body []byte) []string {
	s := strings.TrimSuffix(string(body), "\r\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\r\n")
}

// quote shows a server's line in an error, cut short and escaped.
func quote(s string) string {
	const maxQuoted = 60
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	return strconv.Quote(s)
}
