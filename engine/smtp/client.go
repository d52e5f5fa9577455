package smtp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/wirelab/wirelab/engine/transport"
)

// Error is a reply the server gave that the client treats as a failure.
type Error struct {
	Code     int    // the reply code, 400-599
	Enhanced string // the RFC 3463 status code, "" if none
	Msg      string // the text after the codes, lines joined with "\n"
}

func (e *Error) Error() string {
	if e.Enhanced != "" {
		return fmt.Sprintf("smtp: %d %s %s", e.Code, e.Enhanced, e.Msg)
	}
	return fmt.Sprintf("smtp: %d %s", e.Code, e.Msg)
}

// Temporary reports a 4yz reply: the client may try again later.
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// ProtocolError is a reply that is not well-formed SMTP.
type ProtocolError string

func (e ProtocolError) Error() string { return "smtp: protocol error: " + string(e) }

// Client is the sending side of an SMTP session (RFC 5321 §3), over any
// stream. It is not safe for concurrent use.
type Client struct {
	s    transport.Stream
	r    *bufio.Reader
	ext  map[string]string // EHLO keywords, upper-cased, and their parameters
	ehlo bool
}

// NewClient reads the server's greeting from s.
func NewClient(s transport.Stream) (*Client, error) {
	c := &Client{s: s, r: bufio.NewReader(s)}
	if _, _, err := c.expect(220); err != nil {
		return nil, err
	}
	return c, nil
}

// readReply reads one reply, multiline or not (RFC 5321 §4.2.1).
func (c *Client) readReply() (code int, lines []string, err error) {
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, nil, fmt.Errorf("smtp: reading reply: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return 0, nil, ProtocolError("short reply " + strconv.Quote(line))
		}
		n, err := strconv.Atoi(line[:3])
		if err != nil || n < 200 || n > 599 {
			return 0, nil, ProtocolError("bad reply code " + strconv.Quote(line))
		}
		if code != 0 && n != code {
			return 0, nil, ProtocolError("reply code changed inside a multiline reply")
		}
		code = n
		if len(line) == 3 {
			return code, append(lines, ""), nil
		}
		lines = append(lines, line[4:])
		switch line[3] {
		case ' ':
			return code, lines, nil
		case '-':
		default:
			return 0, nil, ProtocolError("bad reply separator " + strconv.Quote(line))
		}
	}
}

// expect reads a reply and turns any code but want into an *Error.
func (c *Client) expect(want int) (int, []string, error) {
	code, lines, err := c.readReply()
	if err != nil {
		return 0, nil, err
	}
	if code != want {
		return code, lines, replyErr(code, lines)
	}
	return code, lines, nil
}

func replyErr(code int, lines []string) *Error {
	e := &Error{Code: code}
	text := strings.Join(lines, "\n")
	if enh, rest, ok := strings.Cut(text, " "); ok && isEnhanced(enh) {
		e.Enhanced, text = enh, rest
	}
	e.Msg = text
	return e
}

// isEnhanced recognises class.subject.detail (RFC 3463 §2).
func isEnhanced(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func (c *Client) cmd(want int, format string, args ...any) ([]string, error) {
	if _, err := fmt.Fprintf(c.s, format+"\r\n", args...); err != nil {
		return nil, fmt.Errorf("smtp: sending: %w", err)
	}
	_, lines, err := c.expect(want)
	return lines, err
}

// Hello sends EHLO, and HELO if the server does not know EHLO
// (RFC 5321 §3.2).
func (c *Client) Hello(domain string) error {
	lines, err := c.cmd(250, "EHLO %s", domain)
	if err == nil {
		c.ehlo = true
		c.ext = make(map[string]string)
		for _, l := range lines[1:] {
			k, v, _ := strings.Cut(l, " ")
			c.ext[strings.ToUpper(k)] = v
		}
		return nil
	}
	if e, ok := err.(*Error); !ok || (e.Code != 500 && e.Code != 502) {
		return err
	}
	_, err = c.cmd(250, "HELO %s", domain)
	return err
}

// Extension reports whether the server announced an EHLO keyword, and its
// parameters.
func (c *Client) Extension(name string) (bool, string) {
	v, ok := c.ext[strings.ToUpper(name)]
	return ok, v
}

// Auth logs in with SASL PLAIN and an initial response (RFC 4954).
func (c *Client) Auth(user, pass string) error {
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	_, err := c.cmd(235, "AUTH PLAIN %s", ir)
	return err
}

// Mail starts a transaction (RFC 5321 §4.1.1.2). from may be "" for the
// null reverse-path.
func (c *Client) Mail(from string) error {
	if strings.ContainsAny(from, "\r\n<>") {
		return fmt.Errorf("smtp: bad address %q", from)
	}
	_, err := c.cmd(250, "MAIL FROM:<%s>", from)
	return err
}

// Rcpt adds a recipient (RFC 5321 §4.1.1.3).
func (c *Client) Rcpt(to string) error {
	if to == "" || strings.ContainsAny(to, "\r\n<>") {
		return fmt.Errorf("smtp: bad address %q", to)
	}
	_, err := c.cmd(250, "RCPT TO:<%s>", to)
	return err
}

// Data sends the message (RFC 5321 §4.1.1.4): every line end becomes CRLF,
// lines that begin with "." are dot-stuffed (§4.5.2), and the final "."
// ends it. It returns the server's final reply text (with the queue id).
func (c *Client) Data(msg []byte) (string, error) {
	if _, err := c.cmd(354, "DATA"); err != nil {
		return "", err
	}
	if _, err := c.s.Write(DotStuff(msg)); err != nil {
		return "", fmt.Errorf("smtp: sending message: %w", err)
	}
	_, lines, err := c.expect(250)
	return strings.Join(lines, "\n"), err
}

// DotStuff returns msg as DATA sends it: CRLF line ends, a "." doubled at
// the start of a line, and the terminating ".\r\n" (RFC 5321 §4.5.2).
func DotStuff(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/32+8)
	for len(msg) > 0 {
		line := msg
		i := bytes.IndexByte(msg, '\n')
		if i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			out = append(out, '.')
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
	}
	return append(out, '.', '\r', '\n')
}

// Reset aborts the current transaction (RSET).
func (c *Client) Reset() error {
	_, err := c.cmd(250, "RSET")
	return err
}

// Quit ends the session politely and closes the stream.
func (c *Client) Quit() error {
	_, err := c.cmd(221, "QUIT")
	if cerr := c.s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close closes the stream without QUIT.
func (c *Client) Close() error { return c.s.Close() }

// DefaultHelloName is the domain Deliver gives in EHLO.
const DefaultHelloName = "client.wirelab.example"

// Deliver sends one message over s, to every recipient in to, and quits.
// Any refused recipient fails the delivery before DATA.
func Deliver(s transport.Stream, from string, to []string, msg []byte) error {
	c, err := NewClient(s)
	if err != nil {
		s.Close()
		return err
	}
	if err := c.Hello(DefaultHelloName); err != nil {
		c.Close()
		return err
	}
	if err := c.Mail(from); err != nil {
		c.Close()
		return err
	}
	for _, addr := range to {
		if err := c.Rcpt(addr); err != nil {
			c.Close()
			return err
		}
	}
	if _, err := c.Data(msg); err != nil {
		c.Close()
		return err
	}
	return c.Quit()
}
