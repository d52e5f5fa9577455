// Package pop3 implements the Post Office Protocol version 3 (RFC 1939) with
// its extension mechanism (RFC 2449), SASL authentication (RFC 5034) and STLS
// (RFC 2595): a server session as a state machine over bytes, a driver that
// runs it over a transport.Stream, and a client that downloads mail the way a
// mail user agent does.
//
// The session is sans-I/O: Feed takes the client's bytes and the current time
// and returns the replies to send, each possibly to be delayed (a failed
// login is slowed down) or followed by a TLS upgrade or the end of the
// connection. Serve is the thin driver that does those things on a real or
// simulated stream.
package pop3

import (
	"fmt"
	"slices"
	"time"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// Limits and timers.
const (
	// MaxCommandLine is the longest command line, CRLF included, that a
	// client may send (RFC 2449 §4). Longer lines are answered with -ERR
	// and skipped; the session goes on.
	MaxCommandLine = 255
	// MaxSASLLine bounds an AUTH command line or a SASL continuation line.
	// RFC 5034 §4 exempts them from the 255-octet limit; 8 KiB holds any
	// PLAIN response with room to spare.
	MaxSASLLine = 8192
	// MaxArgLength is the longest argument RFC 1939 §3 allows.
	MaxArgLength = 40
	// AutologoutTimeout closes an idle session. RFC 1939 §3 requires at
	// least 10 minutes.
	AutologoutTimeout = 10 * time.Minute
	// AuthFailureDelay slows every failed login, as Dovecot's
	// auth_failure_delay does, so that guessing passwords is slow.
	AuthFailureDelay = 2 * time.Second
	// MaxAuthFailures ends a session after this many failed logins.
	MaxAuthFailures = 3
)

// State is a POP3 session state (RFC 1939 §3).
type State int

// The states of a session.
const (
	Authorization State = iota + 1
	Transaction
	Update
	Closed
)

func (s State) String() string {
	switch s {
	case Authorization:
		return "AUTHORIZATION"
	case Transaction:
		return "TRANSACTION"
	case Update:
		return "UPDATE"
	case Closed:
		return "CLOSED"
	}
	return "UNKNOWN"
}

// Config is shared by all sessions of one server.
type Config struct {
	Store *mailstore.Store
	Users *auth.Users
	// Hostname appears in the greeting and the APOP timestamp.
	Hostname string
	// TLSAvailable says the adapter can upgrade the stream (STLS is then
	// offered until the session is on TLS).
	TLSAvailable bool
	// PlaintextNeedsTLS refuses USER, PASS and AUTH PLAIN until the session
	// is on TLS (RFC 2595 §2.1); APOP, which sends no password, still works.
	// POP3 has no capability to say so, so CAPA leaves USER and SASL PLAIN
	// out and the refusal's text says to send STLS. Loopback listeners
	// leave it off.
	PlaintextNeedsTLS bool
	// OnEvent, when not nil, is called for every state change and every
	// change to the session's view of the maildrop. It is called from the
	// goroutine that calls Feed.
	OnEvent func(Event)
}

// Implementation is what CAPA's IMPLEMENTATION line says (RFC 2449 §6.9).
const Implementation = "wirelab"

// Reply is what a session asks its driver to do after one command: send
// Data, possibly after Delay (a failed login), then perhaps start TLS or
// close.
type Reply = driver.Reply

// Message is one message as a POP3 session sees it.
type Message struct {
	Number  int // 1-based message number (RFC 1939 §5)
	UID     uint32
	UIDL    string
	Octets  int64
	Deleted bool
	// Retrieved is set once RETR has sent the message in this session.
	Retrieved bool
}

// Session is one POP3 server session. It is not safe for concurrent use;
// Feed, Expire and Abort are called from one driver goroutine.
type Session struct {
	cfg       *Config
	id        uint64
	state     State
	timestamp string // APOP timestamp from the greeting (RFC 1939 §7)

	in driver.Lines // unprocessed input

	user     string // name given by USER, waiting for PASS
	authUser string // authenticated user
	saslWait bool   // waiting for the client's AUTH PLAIN response
	failures int
	tls      bool
	unlock   func()
	msgs     []Message
	validity uint32
	ended    string // why the session closed, for logs
}

// NewSession starts a session in the AUTHORIZATION state. The id makes the
// APOP timestamp unique; now is the time of the connection.
func NewSession(cfg *Config, id uint64, now time.Time) *Session {
	host := cfg.Hostname
	if host == "" {
		host = "wirelab.example"
	}
	return &Session{
		cfg:       cfg,
		id:        id,
		state:     Authorization,
		timestamp: fmt.Sprintf("<%d.%d@%s>", id, now.UnixNano(), host),
	}
}

// ID returns the session's id.
func (s *Session) ID() uint64 { return s.id }

// State returns the session's current state.
func (s *Session) State() State { return s.state }

// User returns the authenticated user, or "" before login.
func (s *Session) User() string { return s.authUser }

// Messages returns the maildrop as the session sees it, deleted marks
// included. It is empty outside the TRANSACTION state.
func (s *Session) Messages() []Message { return append([]Message(nil), s.msgs...) }

// SetTLS tells the session that the stream is now encrypted, either because
// STLS completed or because the listener speaks TLS from the start.
func (s *Session) SetTLS() { s.tls = true }

// Greeting returns the server's first line, carrying the APOP timestamp
// (RFC 1939 §4, §7).
func (s *Session) Greeting() []byte {
	return []byte("+OK wirelab POP3 server ready " + s.timestamp + "\r\n")
}

// Feed hands the session bytes from the client and returns the replies to
// the complete command lines among them, in order: pipelined commands
// (RFC 2449 §6.6) are answered one after another. Incomplete input is kept
// for the next call.
func (s *Session) Feed(p []byte, now time.Time) []Reply {
	if s.state == Closed || s.state == Update {
		return nil
	}
	s.in.Write(p)
	return s.in.Feed(s.lineLimit, func(line string, tooLong bool) (Reply, bool) {
		if tooLong {
			// An overlong SASL response fails the AUTH command too
			// (RFC 5034 §4); the next line is a command again.
			s.saslWait = false
			return Reply{Data: errLine("", "Line too long")}, true
		}
		return s.handle(line, now), true
	})
}

// lineLimit is the longest line the session takes next, CRLF included: a
// SASL line (RFC 5034 §4) or a command (RFC 2449 §4).
func (s *Session) lineLimit() int {
	if s.saslWait || s.in.HasPrefixFold("AUTH ") {
		return MaxSASLLine
	}
	return MaxCommandLine
}

// EndReason says how a closed session ended: "quit", "dropped" (the
// connection went away without QUIT), "expired" (autologout) or "too many
// failed logins". It is "" while the session is open.
func (s *Session) EndReason() string { return s.ended }

// Expire ends an idle session (RFC 1939 §3 autologout): no UPDATE state, so
// nothing is deleted.
func (s *Session) Expire() Reply {
	s.end("expired")
	return Reply{Data: s.expireLine(), Close: true}
}

// Abort ends the session when the connection is gone without QUIT: the
// maildrop is unlocked and no message is deleted (RFC 1939 §6).
func (s *Session) Abort() { s.end("dropped") }

func (s *Session) end(reason string) {
	if s.state == Closed {
		return
	}
	s.ended = reason
	s.release()
	s.setState(Closed)
}

func (s *Session) release() {
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
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

// handle parses one command line and runs it: parse fully, then check the
// state, then act.
func (s *Session) handle(line string, now time.Time) Reply {
	if s.saslWait {
		return s.saslResponse(line)
	}
	name, args, err := parseCommand(line)
	if err != nil {
		return errReply("", err.Error())
	}
	cmd, ok := commands[name]
	if !ok {
		return errReply("", "Unknown command: "+sanitize(name))
	}
	if cmd.states&stateBit(s.state) == 0 {
		return errReply("", fmt.Sprintf("%s is not valid in the %s state", name, s.state))
	}
	if len(args) < cmd.minArgs || len(args) > cmd.maxArgs {
		return errReply("", fmt.Sprintf("Wrong number of arguments for %s", name))
	}
	return cmd.run(s, args, now)
}

type command struct {
	states           int
	minArgs, maxArgs int
	run              func(s *Session, args []string, now time.Time) Reply
}

func stateBit(st State) int { return 1 << int(st) }

var (
	inAuth  = stateBit(Authorization)
	inTrans = stateBit(Transaction)
)

var commands map[string]command

func init() {
	// Built in init because the handlers refer back to the table's users.
	commands = map[string]command{
		"CAPA": {inAuth | inTrans, 0, 0, (*Session).capa},
		"QUIT": {inAuth | inTrans, 0, 0, (*Session).quit},
		"USER": {inAuth, 1, 1, (*Session).userCmd},
		"PASS": {inAuth, 1, 1, (*Session).pass},
		"APOP": {inAuth, 2, 2, (*Session).apop},
		"AUTH": {inAuth, 0, 2, (*Session).authCmd},
		"STLS": {inAuth, 0, 0, (*Session).stls},
		"STAT": {inTrans, 0, 0, (*Session).stat},
		"LIST": {inTrans, 0, 1, (*Session).list},
		"RETR": {inTrans, 1, 1, (*Session).retr},
		"DELE": {inTrans, 1, 1, (*Session).dele},
		"NOOP": {inTrans, 0, 0, (*Session).noop},
		"RSET": {inTrans, 0, 0, (*Session).rset},
		"TOP":  {inTrans, 2, 2, (*Session).top},
		"UIDL": {inTrans, 0, 1, (*Session).uidl},
	}
}

// Commands returns the command names valid in a state, sorted; the
// playground shows them as buttons.
func Commands(st State) []string {
	var out []string
	for name, c := range commands {
		if c.states&stateBit(st) != 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
