// Package imap implements an IMAP server (IMAP4rev1, RFC 3501, and
// IMAP4rev2, RFC 9051) with the extensions real clients use, as a sans-I/O
// session: Feed takes the client's bytes and returns what to send, and Serve
// drives a session over a transport.Stream.
//
// One file per command (or per family of commands) holds its handler. Each
// handler parses its arguments fully with an imapwire.Decoder, then checks
// the state, then acts on the mail store. Errors that reach the client are
// protocol values (*Error: NO or BAD with a response code); any other error
// becomes "NO [SERVERBUG]" and an event.
package imap

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// Timers and limits.
const (
	// AutologoutTimeout closes an idle session: RFC 9051 §5.4 asks for at
	// least 30 minutes.
	AutologoutTimeout = 30 * time.Minute
	// AuthFailureDelay slows each failed login, as the POP3 server does.
	AuthFailureDelay = 2 * time.Second
	// MaxAuthFailures ends a session after this many failed logins.
	MaxAuthFailures = 3
	// MaxSessionsPerUser bounds the logged-in sessions one user may hold
	// at once across the sessions of a Config; the next LOGIN or
	// AUTHENTICATE gets NO [LIMIT] (RFC 5530 §3). Dovecot's
	// mail_max_userip_connections allows 10 per user and client address;
	// this limit counts every address of a user, so it is ten times that:
	// room for several mail clients each caching a handful of connections
	// (Thunderbird keeps up to 5 per account) and for the 50-session
	// stress tests, while a runaway client still cannot pin one user's
	// mailboxes with thousands of sessions.
	MaxSessionsPerUser = 100
)

// State is a session state (RFC 9051 §3).
type State int

// The states.
const (
	NotAuthenticated State = iota + 1
	Authenticated
	Selected
	Logout
)

func (s State) String() string {
	switch s {
	case NotAuthenticated:
		return "NOT AUTHENTICATED"
	case Authenticated:
		return "AUTHENTICATED"
	case Selected:
		return "SELECTED"
	case Logout:
		return "LOGOUT"
	}
	return "UNKNOWN"
}

// Config is shared by the sessions of one server.
type Config struct {
	Store *mailstore.Store
	Users *auth.Users
	// Hostname appears in the greeting.
	Hostname string
	// TLSAvailable says the driver can start TLS (STARTTLS is offered).
	TLSAvailable bool
	// PlaintextNeedsTLS refuses LOGIN and AUTHENTICATE PLAIN until TLS is
	// on, advertising LOGINDISABLED (RFC 9051 §6.2.3). Loopback listeners
	// leave it off.
	PlaintextNeedsTLS bool
	// Limits bound the commands a client may send; zero fields take
	// imapwire's defaults.
	Limits imapwire.Limits
	// OnEvent, when not nil, sees every state change and every command.
	OnEvent func(Event)

	// sessions counts the logged-in sessions of each user, for
	// MaxSessionsPerUser; a Config must not be copied once in use.
	sessMu   sync.Mutex
	sessions map[string]int
}

// claimSession counts a new logged-in session of user, or reports that the
// user already has MaxSessionsPerUser.
func (cfg *Config) claimSession(user string) bool {
	cfg.sessMu.Lock()
	defer cfg.sessMu.Unlock()
	if cfg.sessions[user] >= MaxSessionsPerUser {
		return false
	}
	if cfg.sessions == nil {
		cfg.sessions = map[string]int{}
	}
	cfg.sessions[user]++
	return true
}

// releaseSession uncounts a session claimSession counted.
func (cfg *Config) releaseSession(user string) {
	cfg.sessMu.Lock()
	defer cfg.sessMu.Unlock()
	if cfg.sessions[user]--; cfg.sessions[user] <= 0 {
		delete(cfg.sessions, user)
	}
}

// Reply is what a session asks its driver to do after one command.
type Reply = driver.Reply

// Session is one IMAP server session. Feed, Poll and Abort are called from
// one driver goroutine; store changes made by other sessions reach it from
// theirs, through the change feed, and are queued under mu.
type Session struct {
	cfg      *Config
	id       uint64
	state    State
	reader   *imapwire.Reader
	user     string
	tls      bool
	failures int
	// tlsAvailable: STARTTLS is offered (Config.TLSAvailable, or what
	// Serve's driver can do).
	tlsAvailable bool
	// counted: the session holds one of its user's MaxSessionsPerUser
	// slots, released when it ends.
	counted bool
	// Extensions the client ENABLEd (RFC 5161).
	rev2, utf8, qresync bool
	// condstore: the client has sent a CONDSTORE enabling command (RFC
	// 7162 §3.1): untagged FETCH responses carry MODSEQ from then on.
	condstore bool

	sel *selection

	// An IDLE command in progress (RFC 2177): its tag, and whether the
	// client may be sent updates as they happen.
	idleTag string

	// The search result variable of SEARCH RETURN (SAVE) (RFC 9051
	// §6.4.4.1, RFC 5182): UIDs, valid while searchResSel is the
	// selection, so that selecting a mailbox empties it.
	searchRes    []uint32
	searchResSel *selection

	// A multi-step AUTHENTICATE in progress.
	authTag string

	// streamChunk > 0 lets long commands answer in parts (Stream);
	// stream is the one under way.
	streamChunk int
	stream      *stream

	mu    sync.Mutex
	wake  func() // tells the driver there is something to send
	ended string
}

// NewSession starts a session in the not-authenticated state.
func NewSession(cfg *Config, id uint64) *Session {
	return &Session{cfg: cfg, id: id, state: NotAuthenticated, reader: imapwire.NewReader(cfg.Limits), tlsAvailable: cfg.TLSAvailable}
}

// ID returns the session's id.
func (s *Session) ID() uint64 { return s.id }

// State returns the session's state.
func (s *Session) State() State { return s.state }

// User returns the logged-in user, or "".
func (s *Session) User() string { return s.user }

// Mailbox returns the selected mailbox, or "".
func (s *Session) Mailbox() string {
	if s.sel == nil {
		return ""
	}
	return s.sel.name
}

// EndReason says how the session ended ("logout", "dropped", "expired",
// "too many failed logins"), or "" while it runs.
func (s *Session) EndReason() string { return s.ended }

// SetTLS records that the stream is encrypted.
func (s *Session) SetTLS() { s.tls = true }

// SetWake installs the function the session calls, from any goroutine,
// when it has something to send outside a command (updates during IDLE).
func (s *Session) SetWake(f func()) {
	s.mu.Lock()
	s.wake = f
	s.mu.Unlock()
}

// Greeting returns the untagged OK greeting with the capabilities
// (RFC 9051 §7.1.1).
func (s *Session) Greeting() []byte {
	e := imapwire.NewEncoder(nil)
	e.Untagged().Atom("OK").SP().Code("CAPABILITY")
	for _, c := range s.capabilities() {
		e.SP().Atom(c)
	}
	e.CodeEnd().Text("wirelab IMAP server ready").CRLF()
	return e.Bytes()
}

// Feed hands the session client bytes and returns the replies to the
// complete commands among them, in order.
func (s *Session) Feed(p []byte, now time.Time) []Reply {
	if s.state == Logout {
		return nil
	}
	s.reader.Feed(p)
	var out []Reply
	if s.stream != nil {
		// The rest of a streamed response comes before the next command.
		r := s.resume(s.stream)
		out = append(out, r)
		if r.More || r.StartTLS || r.Close {
			return out
		}
	}
	for s.state != Logout {
		ev := s.reader.Next()
		if s.authTag != "" && ev.Kind == imapwire.EventCommand {
			out = append(out, s.authenticateResponse(string(ev.Command), now))
			continue
		}
		if s.idleTag != "" && ev.Kind != imapwire.EventNeedInput {
			// While IDLE runs, the client's next line is "DONE" (RFC 2177).
			out = append(out, s.idleInput(ev, now))
			continue
		}
		switch ev.Kind {
		case imapwire.EventNeedInput:
			return out
		case imapwire.EventLiteral:
			out = append(out, s.literalRequest(ev.Literal))
		case imapwire.EventError:
			out = append(out, s.commandError(ev.Err))
		case imapwire.EventCommand:
			r := s.command(ev.Command, now)
			out = append(out, r)
			if r.More || r.StartTLS || r.Close {
				return out
			}
		}
	}
	return out
}

// literalRequest decides on a synchronizing literal before the client sends
// it: a command the server cannot run (no tag, an unknown name, or a
// command not valid in this state) is refused with BAD, so that the client
// does not send the literal (RFC 9051 §7.5, RFC 3501 §7.5's BLURDYBLOOP
// example); APPEND over the store's size limit is refused at once (RFC
// 7888 §4, RFC 9051 §7.1 TOOBIG); everything else within the Reader's
// limits is welcome.
func (s *Session) literalRequest(lr imapwire.LiteralRequest) Reply {
	if lr.Index == 1 {
		if text := s.unrunnable(lr.Prefix); text != "" {
			s.reader.Reject()
			if lr.Tag == "" {
				return Reply{Data: []byte("* BAD " + text + "\r\n")}
			}
			return Reply{Data: tagged(lr.Tag, "BAD", "", text)}
		}
	}
	if lr.Size > mailstore.MaxMessageSize && isAppend(lr.Prefix) {
		s.reader.Reject()
		return Reply{Data: tagged(lr.Tag, "NO", "TOOBIG", fmt.Sprintf("Message of %d octets exceeds the limit of %d", lr.Size, mailstore.MaxMessageSize))}
	}
	s.reader.Accept()
	return Reply{Data: []byte("+ Ready for literal data\r\n")}
}

// unrunnable says why the command that starts with prefix cannot run
// whatever its literal holds, or "" if it may.
func (s *Session) unrunnable(prefix []byte) string {
	f := strings.Fields(string(prefix))
	if len(f) < 2 || strings.HasPrefix(f[0], "{") {
		return "Missing tag or command name"
	}
	name := strings.ToUpper(f[1])
	if name == "UID" && len(f) >= 3 {
		name += " " + strings.ToUpper(f[2])
	}
	entry, ok := commands[name]
	switch {
	case !ok:
		return "Unknown command " + sanitize(name)
	case entry.states&bit(s.state) == 0:
		return fmt.Sprintf("%s is not valid in the %s state", name, s.state)
	}
	return ""
}

func isAppend(prefix []byte) bool {
	f := strings.Fields(string(prefix))
	return len(f) >= 2 && strings.EqualFold(f[1], "APPEND")
}

func (s *Session) commandError(err error) Reply {
	var ce *imapwire.CommandError
	if !errors.As(err, &ce) {
		return Reply{Data: []byte("* BAD " + err.Error() + "\r\n")}
	}
	tag, cond := ce.Tag, "BAD"
	if ce.Code() == "TOOBIG" && ce.Synchronizing {
		cond = "NO"
	}
	if tag == "" {
		return Reply{Data: []byte("* BAD [" + ce.Code() + "] " + ce.Text() + "\r\n")}
	}
	return Reply{Data: tagged(tag, cond, ce.Code(), ce.Text())}
}

// Error is a command's failure as the client sees it: NO or BAD with an
// optional response code (RFC 9051 §7.1).
type Error struct {
	Cond string // "NO" or "BAD"
	Code string // e.g. "TRYCREATE", "NONEXISTENT"; "" for none
	Text string
}

func (e *Error) Error() string { return e.Cond + " " + e.Text }

func no(code, format string, args ...any) *Error {
	return &Error{Cond: "NO", Code: code, Text: fmt.Sprintf(format, args...)}
}

func bad(format string, args ...any) *Error {
	return &Error{Cond: "BAD", Text: fmt.Sprintf(format, args...)}
}

// tagged formats a tagged status response.
func tagged(tag, cond, code, text string) []byte {
	var b strings.Builder
	b.WriteString(tag)
	b.WriteByte(' ')
	b.WriteString(cond)
	b.WriteByte(' ')
	if code != "" {
		b.WriteString("[" + code + "] ")
	}
	b.WriteString(text)
	b.WriteString("\r\n")
	return []byte(b.String())
}

// handler runs one command. It writes untagged data to e and returns the
// tagged response's code and text on success, or an error.
type handler func(s *Session, c *cmd) error

// cmd is a command being run.
type cmd struct {
	tag  string
	name string // upper case, "UID FETCH" for UID commands
	uid  bool
	dec  *imapwire.Decoder
	out  *imapwire.Encoder // untagged responses, written before the tagged one
	now  time.Time
	// okCode and okText override the tagged OK's code and text.
	okCode, okText string
	// reply fields set by handlers that end or upgrade the connection.
	delay    time.Duration
	close    bool
	startTLS bool
	// deferred: the command goes on after this reply (AUTHENTICATE
	// waiting for the client's response, IDLE); no tagged response yet.
	deferred bool
	// noExpunge keeps pending expunges from being reported after this
	// command: FETCH, STORE and SEARCH by sequence number may not be
	// followed by EXPUNGE (RFC 9051 §7.5.1).
	noExpunge bool
	// part, while a streamed command runs, hands out what is in out once
	// it is large enough; an error means the session is gone.
	part func() error
}

type command struct {
	states int
	run    handler
}

func bit(st State) int { return 1 << int(st) }

var (
	anyState   = bit(NotAuthenticated) | bit(Authenticated) | bit(Selected)
	notAuth    = bit(NotAuthenticated)
	authed     = bit(Authenticated) | bit(Selected)
	inSelected = bit(Selected)
)

// commands maps command names to handlers; handlers register themselves
// from their files' init functions.
var commands = map[string]command{}

func register(name string, states int, run handler) { commands[name] = command{states, run} }

// Commands lists the commands valid in a state, sorted, for the
// playground's buttons.
func Commands(st State) []string {
	var out []string
	for name, c := range commands {
		if c.states&bit(st) != 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// command parses the tag and name of one complete command and runs it.
func (s *Session) command(raw []byte, now time.Time) Reply {
	dec := imapwire.NewDecoder(raw)
	// IMAP4rev2 and UTF8=ACCEPT both carry mailbox names and strings as
	// UTF-8 instead of modified UTF-7 (RFC 9051 §5.1, RFC 6855 §3).
	dec.UTF8 = s.utf8 || s.rev2
	tag := dec.Tag()
	if dec.Err() != nil {
		return Reply{Data: []byte("* BAD " + syntaxText(dec.Err()) + "\r\n")}
	}
	c := &cmd{tag: tag, dec: dec, out: imapwire.NewEncoder(nil), now: now}
	c.out.UTF8 = dec.UTF8
	if !dec.ExpectSP() {
		return Reply{Data: tagged(tag, "BAD", "", syntaxText(dec.Err()))}
	}
	c.name = strings.ToUpper(dec.Atom())
	if c.name == "UID" {
		if !dec.ExpectSP() {
			return Reply{Data: tagged(tag, "BAD", "", syntaxText(dec.Err()))}
		}
		c.uid = true
		c.name = "UID " + strings.ToUpper(dec.Atom())
	}
	if dec.Err() != nil {
		return Reply{Data: tagged(tag, "BAD", "", syntaxText(dec.Err()))}
	}
	entry, ok := commands[c.name]
	if !ok {
		return Reply{Data: tagged(tag, "BAD", "", "Unknown command "+sanitize(c.name))}
	}
	s.emit(Event{Kind: EventCommand, Command: c.name, Tag: tag})
	if entry.states&bit(s.state) == 0 {
		return Reply{Data: s.finish(c, bad("%s is not valid in the %s state", c.name, s.state))}
	}
	if s.streamChunk > 0 && streams(c.name) {
		return s.runStreaming(entry.run, c)
	}
	err := s.safeRun(entry.run, c)
	if c.deferred && err == nil {
		return Reply{Data: c.out.Bytes()}
	}
	return Reply{Data: s.finish(c, err), Delay: c.delay, Close: c.close, StartTLS: c.startTLS}
}

// safeRun recovers a panicking handler: one bad command must not take the
// server down (the error becomes NO [SERVERBUG]).
func (s *Session) safeRun(run handler, c *cmd) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("imap: panic in %s: %v", c.name, p)
		}
	}()
	return run(s, c)
}

// finish writes pending updates and the tagged response.
func (s *Session) finish(c *cmd, err error) []byte {
	if err == nil && c.dec.Err() != nil {
		err = bad("%s", syntaxText(c.dec.Err()))
	}
	if s.sel != nil && s.state == Selected && !c.close {
		s.flushUpdates(c.out, !c.noExpunge)
	}
	out := c.out.Bytes()
	var pe *Error
	switch {
	case err == nil:
		text := c.okText
		if text == "" {
			text = c.name + " completed"
		}
		out = append(out, tagged(c.tag, "OK", c.okCode, text)...)
	case errors.As(err, &pe):
		out = append(out, tagged(c.tag, pe.Cond, pe.Code, pe.Text)...)
	default:
		s.emit(Event{Kind: EventServerError, Command: c.name, Tag: c.tag, Detail: err.Error()})
		out = append(out, tagged(c.tag, "NO", "SERVERBUG", "Internal error; the server log says more")...)
	}
	return out
}

func syntaxText(err error) string {
	var se *imapwire.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}

// sanitize keeps a client-supplied word printable and short before echoing
// it.
func sanitize(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, s)
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
	e.User = s.user
	if e.State == 0 {
		e.State = s.state
	}
	s.cfg.OnEvent(e)
}

// Abort ends a session whose connection is gone.
func (s *Session) Abort() { s.end("dropped") }

// autologoutBye is the untagged BYE of an idle session (RFC 9051 §5.4).
const autologoutBye = "* BYE Autologout; idle for too long\r\n"

// Expire ends an idle session (autologout, RFC 9051 §5.4) and returns the
// untagged BYE to send.
func (s *Session) Expire() Reply {
	s.end("expired")
	return Reply{Data: []byte(autologoutBye), Close: true}
}

func (s *Session) end(reason string) {
	s.stopStream()
	if s.state == Logout {
		return
	}
	s.ended = reason
	s.closeSelection()
	if s.counted {
		s.counted = false
		s.cfg.releaseSession(s.user)
	}
	s.setState(Logout)
}
