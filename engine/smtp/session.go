// Package smtp implements the Simple Mail Transfer Protocol (RFC 5321) with
// the extensions a mail lab meets first: SIZE (RFC 1870), 8BITMIME
// (RFC 6152), PIPELINING (RFC 2920), ENHANCEDSTATUSCODES (RFC 2034, codes
// from RFC 3463), SMTPUTF8 (RFC 6531), STARTTLS (RFC 3207) and AUTH PLAIN
// (RFC 4954) on a message submission port (RFC 6409).
//
// The server session is sans-I/O: Feed takes the client's bytes and the
// current time and returns the replies to send, each possibly followed by a
// TLS upgrade or the end of the connection. Serve is the thin driver that
// runs a session over a transport.Stream with an injected clock. Mail for the
// configured domains is delivered into the mailstore; nothing is ever relayed
// outside the world: other recipients go to the Config.Relay hook, or are
// refused. Client speaks the protocol from the other end over a blocking
// stream, and Delivery does the same as a sans-I/O state machine, for a
// mail queue driven by a clock.
package smtp

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// Limits and timers.
const (
	// MaxCommandLine is the longest command line, CRLF included
	// (RFC 5321 §4.5.3.1.4).
	MaxCommandLine = 512
	// MaxTextLine is the longest line of message text, CRLF included
	// (RFC 5321 §4.5.3.1.6).
	MaxTextLine = 1000
	// MaxSASLLine bounds an AUTH command line or a SASL response line:
	// RFC 4954 §4 exempts them from the 512-octet limit and asks servers
	// to take at least 12288 octets.
	MaxSASLLine = 12288
	// MaxRecipients is the recipient buffer RFC 5321 §4.5.3.1.8 requires
	// at least; more recipients get 452 4.5.3.
	MaxRecipients = 100
	// DefaultMaxMessageSize is the SIZE a server announces when the
	// Config sets none (RFC 1870).
	DefaultMaxMessageSize = 10 << 20
	// ServerTimeout closes a session idle between commands or inside a
	// message: RFC 5321 §4.5.3.2.7 asks for at least 5 minutes.
	ServerTimeout = 5 * time.Minute
)

// State is where a session is in the SMTP dialogue (RFC 5321 §4.1.4).
type State int

// The states of a session.
const (
	// Connected: greeted, waiting for EHLO or HELO.
	Connected State = iota + 1
	// Ready: the client said hello; no mail transaction is open.
	Ready
	// Mail: MAIL was accepted; RCPT commands follow.
	Mail
	// Rcpt: at least one recipient was accepted; DATA may follow.
	Rcpt
	// Data: the session is reading message text.
	Data
	// Closed: QUIT, timeout or dropped connection.
	Closed
)

func (s State) String() string {
	switch s {
	case Connected:
		return "CONNECTED"
	case Ready:
		return "READY"
	case Mail:
		return "MAIL"
	case Rcpt:
		return "RCPT"
	case Data:
		return "DATA"
	case Closed:
		return "CLOSED"
	}
	return "UNKNOWN"
}

// Config is shared by all sessions of one server.
type Config struct {
	Store *mailstore.Store
	// Users are the accounts; user U of the store has the address U@D for
	// every D in Domains.
	Users *auth.Users
	// Hostname names the server in the greeting and in Received: headers.
	Hostname string
	// Domains are the local mail domains, compared without case.
	Domains []string
	// Submission makes the server a message submission agent (RFC 6409):
	// AUTH PLAIN is offered, MAIL needs a login and the reverse-path must
	// be the user's own address.
	Submission bool
	// TLSAvailable says the adapter can upgrade the stream; STARTTLS is
	// then offered until the session is on TLS.
	TLSAvailable bool
	// PlaintextNeedsTLS refuses AUTH PLAIN until the session is on TLS
	// (538 5.7.11, RFC 4954 §4 and §6) and leaves AUTH out of the EHLO
	// reply until then, so no password crosses a network in the clear.
	PlaintextNeedsTLS bool
	// MaxMessageSize is the SIZE limit in octets; zero means
	// DefaultMaxMessageSize.
	MaxMessageSize int64
	// Postmaster, when not empty, is the user who receives mail for the
	// reserved mailbox "postmaster" (RFC 5321 §4.5.1).
	Postmaster string
	// Relay is handed each accepted message for non-local recipients, with
	// the reverse-path and those recipients. Relaying is allowed only to a
	// session authenticated on the submission port, and nil refuses it
	// (550 5.7.1). A non-nil error fails the message with 451 4.4.0.
	Relay func(from string, to []string, msg []byte) error
	// RelayDomains are domains the server accepts mail for from anyone and
	// hands to Relay, as a backup MX does for the domains that list it
	// (RFC 5321 §5.1, Appendix D.3). Nil Relay refuses them too.
	RelayDomains []string
	// Verify answers VRFY. Nil answers 252 2.1.5 "Cannot VRFY user" to
	// everything, so the accounts are not revealed (RFC 5321 §3.5.3).
	Verify func(arg string) (code int, enhanced, text string)
	// OnEvent, when not nil, is called for every state change and every
	// delivered or refused message, from the goroutine that calls Feed.
	OnEvent func(Event)
}

func (c *Config) maxSize() int64 {
	if c.MaxMessageSize > 0 {
		return c.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

func (c *Config) hostname() string {
	if c.Hostname != "" {
		return c.Hostname
	}
	return "wirelab.example"
}

// Reply is what a session asks its driver to do after one command.
type Reply = driver.Reply

// Session is one SMTP server session. It is not safe for concurrent use.
type Session struct {
	cfg   *Config
	id    uint64
	peer  string // the client's address as the driver knows it
	state State

	in driver.Lines // unprocessed input

	heloName string // the domain from EHLO or HELO
	esmtp    bool
	tls      bool
	authUser string
	saslWait bool

	from      string
	local     []string // users to deliver to
	relay     []string // non-local recipients for Config.Relay
	nrcpt     int
	rcpts     []string // accepted addresses, for the Received: header
	body      bytes.Buffer
	tooBig    bool
	lineLong  bool
	delivered int
	ended     string
}

// NewSession starts a session. id numbers it (queue ids derive from it),
// peer is the client's address as the driver knows it, for Received:
// headers and events.
func NewSession(cfg *Config, id uint64, peer string) *Session {
	return &Session{cfg: cfg, id: id, peer: peer, state: Connected}
}

// ID returns the session's id.
func (s *Session) ID() uint64 { return s.id }

// State returns the session's current state.
func (s *Session) State() State { return s.state }

// User returns the authenticated user, or "".
func (s *Session) User() string { return s.authUser }

// EndReason says how a closed session ended: "quit", "dropped" or
// "expired"; "" while it is open.
func (s *Session) EndReason() string { return s.ended }

// SetTLS tells the session the stream is now encrypted.
func (s *Session) SetTLS() { s.tls = true }

// Greeting returns the 220 greeting (RFC 5321 §4.2, §3.1).
func (s *Session) Greeting() []byte {
	return []byte("220 " + s.cfg.hostname() + " ESMTP wirelab ready\r\n")
}

// Expire ends an idle session with 421 (RFC 5321 §4.5.3.2).
func (s *Session) Expire() Reply {
	s.end("expired")
	return Reply{Data: s.expireLine(), Close: true}
}

// Abort ends the session when the connection went away; an open
// transaction is dropped undelivered.
func (s *Session) Abort() { s.end("dropped") }

func (s *Session) end(reason string) {
	if s.state == Closed {
		return
	}
	s.ended = reason
	s.setState(Closed)
}

func (s *Session) setState(st State) {
	if s.state == st {
		return
	}
	from := s.state
	s.state = st
	s.emit(Event{Kind: EventState, From: from, State: st})
}

func (s *Session) emit(e Event) {
	if s.cfg.OnEvent == nil {
		return
	}
	e.Session = s.id
	e.User = s.authUser
	if e.State == 0 {
		e.State = s.state
	}
	s.cfg.OnEvent(e)
}

// Feed hands the session bytes from the client and returns the replies to
// the complete commands among them, in order: pipelined commands
// (RFC 2920) are answered one after another. Incomplete input is kept.
func (s *Session) Feed(p []byte, now time.Time) []Reply {
	if s.state == Closed {
		return nil
	}
	s.in.Write(p)
	return s.in.Feed(s.lineLimit, func(line string, tooLong bool) (Reply, bool) {
		if s.state == Data {
			return s.dataLine(line, tooLong, now)
		}
		if tooLong {
			s.saslWait = false
			return reply(500, "5.5.2", "Line too long"), true
		}
		return s.handle(line, now), true
	})
}

// lineLimit is the longest line the session takes next, CRLF included:
// message text, a SASL line or a command (RFC 5321 §4.5.3.1).
func (s *Session) lineLimit() int {
	switch {
	case s.state == Data:
		return MaxTextLine
	case s.saslWait || s.in.HasPrefixFold("AUTH "):
		return MaxSASLLine
	}
	return MaxCommandLine
}

// reset ends any mail transaction (RFC 5321 §4.1.1.5).
func (s *Session) reset() {
	s.from = ""
	s.local = nil
	s.relay = nil
	s.nrcpt = 0
	s.rcpts = nil
	s.body.Reset()
	s.tooBig = false
	s.lineLong = false
	if s.state == Mail || s.state == Rcpt || s.state == Data {
		s.setState(Ready)
	}
}

// handle parses one command line and runs it: parse, check the state, act.
func (s *Session) handle(line string, now time.Time) Reply {
	if s.saslWait {
		return s.saslResponse(line)
	}
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	cmd, ok := commands[verb]
	if !ok {
		if verb == "" {
			return reply(500, "5.5.2", "Error: bad syntax")
		}
		return reply(500, "5.5.2", "Error: command not recognized")
	}
	return cmd(s, strings.TrimSpace(arg), now)
}

var commands map[string]func(*Session, string, time.Time) Reply

func init() {
	// Built in init because the handlers refer back to the table.
	commands = map[string]func(*Session, string, time.Time) Reply{
		"EHLO":     (*Session).ehlo,
		"HELO":     (*Session).helo,
		"MAIL":     (*Session).mail,
		"RCPT":     (*Session).rcpt,
		"DATA":     (*Session).data,
		"RSET":     (*Session).rset,
		"NOOP":     (*Session).noop,
		"QUIT":     (*Session).quit,
		"VRFY":     (*Session).vrfy,
		"EXPN":     (*Session).expn,
		"HELP":     (*Session).help,
		"STARTTLS": (*Session).starttls,
		"AUTH":     (*Session).authCmd,
	}
}

// reply builds a one-line reply: code, enhanced status code, text.
func reply(code int, enhanced, text string) Reply {
	return Reply{Data: replyLine(code, enhanced, text)}
}

func replyLine(code int, enhanced, text string) []byte {
	if enhanced == "" {
		return fmt.Appendf(nil, "%03d %s\r\n", code, text)
	}
	return fmt.Appendf(nil, "%03d %s %s\r\n", code, enhanced, text)
}

// multiline builds a reply of several lines, "ddd-" on all but the last
// (RFC 5321 §4.2.1).
func multiline(code int, lines []string) []byte {
	var b []byte
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b = fmt.Appendf(b, "%03d%s%s\r\n", code, sep, l)
	}
	return b
}

// sanitize keeps a client-supplied word printable and short.
func sanitize(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
