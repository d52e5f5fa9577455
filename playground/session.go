package playground

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
)

// The protocols OpenSession offers.
const (
	POP3 = "pop3"
	IMAP = "imap"
)

// ErrNoSession is returned for a session id that is not open.
var ErrNoSession = errors.New("playground: no such session")

// session is one POP3 or IMAP server session, fed bytes by the learner's
// client: the playground is its driver, as engine/driver is on a socket.
type session struct {
	id     int
	proto  string
	device string
	pop    *pop3.Session
	imap   *imap.Session
	// timer is the autologout timer (RFC 1939 §3, RFC 9051 §5.4) on the
	// virtual clock.
	timer   clock.Timer
	timeout time.Duration
	// out holds what the server sent outside a Feed: IMAP IDLE updates and
	// the autologout line. The next call returns it in Pushed.
	out    []byte
	woken  bool
	closed bool
}

func (s *session) driver() driver.Session {
	if s.pop != nil {
		return s.pop
	}
	return s.imap
}

func (s *session) abort() {
	if s.closed {
		return
	}
	s.driver().Abort()
	s.finish()
}

func (s *session) finish() {
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// Bytes are protocol bytes in a result: Data is the bytes as text, with
// invalid UTF-8 replaced by U+FFFD; Base64 is set, with the exact bytes,
// only when the text is not exact.
type Bytes struct {
	Data   string `json:"data"`
	Base64 string `json:"base64,omitempty"`
}

func bytesOf(p []byte) Bytes {
	if utf8.Valid(p) {
		return Bytes{Data: string(p)}
	}
	return Bytes{Data: strings.ToValidUTF8(string(p), "\uFFFD"), Base64: base64.StdEncoding.EncodeToString(p)}
}

// OpenRequest opens a session as a client on a device would.
type OpenRequest struct {
	// Proto is "pop3" or "imap".
	Proto string `json:"proto"`
	// Device names the learner's client machine ("laptop", "phone"); it
	// is a label for the state panel.
	Device string `json:"device"`
}

// OpenResult is a new session and the server's greeting.
type OpenResult struct {
	Session  int         `json:"session"`
	Greeting Bytes       `json:"greeting"`
	Info     SessionInfo `json:"info"`
}

// OpenSession starts a server session; the greeting is the server's first
// bytes (RFC 1939 §4, RFC 9051 §7.1.1).
func (l *Lab) OpenSession(req OpenRequest) (*OpenResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	e.pristine = false
	e.nextID++
	s := &session{id: e.nextID, proto: strings.ToLower(req.Proto), device: req.Device}
	switch s.proto {
	case POP3:
		s.pop = pop3.NewSession(e.pop3, uint64(s.id), e.clk.Now())
		s.timeout = pop3.AutologoutTimeout
	case IMAP:
		s.imap = imap.NewSession(e.imap, uint64(s.id))
		s.imap.SetWake(func() { s.woken = true })
		s.timeout = imap.AutologoutTimeout
	default:
		e.nextID--
		return nil, fmt.Errorf("playground: open: proto is %q or %q, not %q", POP3, IMAP, req.Proto)
	}
	e.sessions[s.id] = s
	s.timer = e.clk.AfterFunc(s.timeout, func() { e.expire(s) })
	return &OpenResult{Session: s.id, Greeting: bytesOf(s.driver().Greeting()), Info: e.sessionInfo(s)}, nil
}

// expire runs when a session's autologout timer fires, inside the call that
// moved the clock.
func (e *env) expire(s *session) {
	if s.closed {
		return
	}
	r := s.driver().Expire()
	s.out = append(s.out, r.Data...)
	s.finish()
}

// FeedRequest hands a session the client's bytes: Data as text, or Base64
// for exact bytes (one of the two).
type FeedRequest struct {
	Session int    `json:"session"`
	Data    string `json:"data"`
	Base64  string `json:"base64"`
}

// FeedResult is what the server said and did.
type FeedResult struct {
	// Output is the server's bytes in answer, in order.
	Output Bytes `json:"output"`
	// Events are the session's state changes, the store's changes and
	// other sessions' events, in the order they happened.
	Events []Event `json:"events"`
	// Info is the session after the bytes.
	Info SessionInfo `json:"info"`
	// Pushed is what other sessions sent meanwhile (IDLE updates,
	// autologout).
	Pushed []Push `json:"pushed"`
	// Time is the virtual time after the call; a failed login moves it
	// by the delay the server imposes.
	Time string `json:"time"`
}

// Push is bytes a session sent outside a reply to its own client.
type Push struct {
	Session int   `json:"session"`
	Output  Bytes `json:"output"`
}

// Feed gives a session the client's bytes and returns the server's answer.
// Incomplete lines wait for the next Feed, as on a real connection.
func (l *Lab) Feed(req FeedRequest) (*FeedResult, error) {
	in := []byte(req.Data)
	if req.Base64 != "" {
		if req.Data != "" {
			return nil, errors.New("playground: feed: give data or base64, not both")
		}
		var err error
		if in, err = base64.StdEncoding.DecodeString(req.Base64); err != nil {
			return nil, fmt.Errorf("playground: feed: base64: %w", err)
		}
	}
	e := l.lock()
	defer l.mu.Unlock()
	s := e.sessions[req.Session]
	if s == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoSession, req.Session)
	}
	if s.closed {
		return nil, fmt.Errorf("playground: feed: session %d is closed", s.id)
	}
	e.pristine = false
	var out []byte
	for _, r := range s.driver().Feed(in, e.clk.Now()) {
		if r.Delay > 0 {
			// The server holds a failed login's answer back; on the
			// virtual clock that costs no wall time.
			e.clk.Advance(r.Delay)
		}
		out = append(out, r.Data...)
		if r.Close {
			s.finish()
			break
		}
	}
	if !s.closed {
		s.timer.Reset(s.timeout)
	}
	return &FeedResult{Output: bytesOf(out), Events: e.takeEvents(), Info: e.sessionInfo(s), Pushed: e.pushed(), Time: timeString(e.clk.Now())}, nil
}

// CloseRequest names a session.
type CloseRequest struct {
	Session int `json:"session"`
}

// CloseResult is the session as it ended.
type CloseResult struct {
	Info   SessionInfo `json:"info"`
	Events []Event     `json:"events"`
	Pushed []Push      `json:"pushed"`
}

// CloseSession drops the connection. A session still open ends as a
// dropped connection: a POP3 session commits no deletion (RFC 1939 §6).
func (l *Lab) CloseSession(req CloseRequest) (*CloseResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	s := e.sessions[req.Session]
	if s == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoSession, req.Session)
	}
	e.pristine = false
	s.abort()
	delete(e.sessions, s.id)
	return &CloseResult{Info: e.sessionInfo(s), Events: e.takeEvents(), Pushed: e.pushed()}, nil
}

// pushed collects what sessions sent on their own: IMAP sessions woken by
// the change feed are polled (RFC 2177 IDLE), and autologout lines that
// fired meanwhile are taken.
func (e *env) pushed() []Push {
	out := []Push{}
	now := e.clk.Now()
	for _, id := range e.sessionIDs() {
		s := e.sessions[id]
		if s.imap != nil && s.woken && !s.closed {
			s.woken = false
			s.out = append(s.out, s.imap.Poll(now)...)
		}
		if len(s.out) > 0 {
			out = append(out, Push{Session: id, Output: bytesOf(s.out)})
			s.out = nil
		}
	}
	return out
}

// SessionInfo is a session's state for the state panel.
type SessionInfo struct {
	ID     int    `json:"id"`
	Proto  string `json:"proto"`
	Device string `json:"device"`
	// User is the logged-in user, "" before login.
	User string `json:"user"`
	// State is the protocol state: POP3's AUTHORIZATION, TRANSACTION,
	// UPDATE, CLOSED (RFC 1939 §3); IMAP's NOT AUTHENTICATED,
	// AUTHENTICATED, SELECTED, LOGOUT (RFC 9051 §3).
	State string `json:"state"`
	// Mailbox is the IMAP session's selected mailbox.
	Mailbox string `json:"mailbox,omitempty"`
	// Commands are the commands valid in State, for buttons.
	Commands []string `json:"commands"`
	// Messages is the POP3 maildrop as the session sees it, with deleted
	// marks (TRANSACTION state only).
	Messages  []POP3Message `json:"messages,omitempty"`
	Closed    bool          `json:"closed"`
	EndReason string        `json:"endReason,omitempty"`
}

// POP3Message is one message of a POP3 session's maildrop.
type POP3Message struct {
	Number    int    `json:"number"`
	UID       uint32 `json:"uid"`
	UIDL      string `json:"uidl"`
	Octets    int64  `json:"octets"`
	Deleted   bool   `json:"deleted"`
	Retrieved bool   `json:"retrieved"`
}

func (e *env) sessionInfo(s *session) SessionInfo {
	info := SessionInfo{ID: s.id, Proto: s.proto, Device: s.device, Closed: s.closed}
	if p := s.pop; p != nil {
		info.User, info.State, info.EndReason = p.User(), p.State().String(), p.EndReason()
		info.Commands = pop3.Commands(p.State())
		// The maildrop is the session's only while it is open.
		if p.State() == pop3.Transaction {
			for _, m := range p.Messages() {
				info.Messages = append(info.Messages, POP3Message{m.Number, m.UID, m.UIDL, m.Octets, m.Deleted, m.Retrieved})
			}
		}
	} else {
		m := s.imap
		info.User, info.State, info.Mailbox, info.EndReason = m.User(), m.State().String(), m.Mailbox(), m.EndReason()
		info.Commands = imap.Commands(m.State())
	}
	if info.Commands == nil {
		info.Commands = []string{}
	}
	return info
}

// Event is something a session or the store did. Source says which:
//
//	"pop3"   Kind: state, login-failed, retrieved, marked-deleted,
//	         unmarked, updated; From and State, Msg (message number)
//	"imap"   Kind: state, command, login-failed, server-error; From and
//	         State, Command, Tag
//	"store"  Kind: appended, flags, expunged, mailbox-deleted, keywords,
//	         mailbox-renamed; User, Mailbox, UIDs, Flags, Keywords, NewName
type Event struct {
	Source   string         `json:"source"`
	Kind     string         `json:"kind"`
	Session  int            `json:"session,omitempty"`
	User     string         `json:"user,omitempty"`
	From     string         `json:"from,omitempty"`
	State    string         `json:"state,omitempty"`
	Msg      int            `json:"msg,omitempty"`
	Command  string         `json:"command,omitempty"`
	Tag      string         `json:"tag,omitempty"`
	Detail   string         `json:"detail,omitempty"`
	Mailbox  string         `json:"mailbox,omitempty"`
	NewName  string         `json:"newName,omitempty"`
	UIDs     []uint32       `json:"uids,omitempty"`
	Flags    []MessageFlags `json:"flags,omitempty"`
	Keywords []string       `json:"keywords,omitempty"`
	ModSeq   uint64         `json:"modseq,omitempty"`
}

// MessageFlags is a message's flags after a change.
type MessageFlags struct {
	UID   uint32   `json:"uid"`
	Flags []string `json:"flags"`
}

func (e *env) takeEvents() []Event {
	ev := e.events
	e.events = nil
	if ev == nil {
		ev = []Event{}
	}
	return ev
}

// stateName is a state's name, "" for the zero state (no "from" on a
// session's first event).
func stateName[S ~int](s S, name func(S) string) string {
	if s == 0 {
		return ""
	}
	return name(s)
}

func (e *env) onPOP3(ev pop3.Event) {
	e.events = append(e.events, Event{Source: POP3, Kind: string(ev.Kind), Session: int(ev.Session), User: ev.User,
		From: stateName(ev.From, pop3.State.String), State: stateName(ev.State, pop3.State.String), Msg: ev.Msg, Detail: ev.Detail})
}

func (e *env) onIMAP(ev imap.Event) {
	e.events = append(e.events, Event{Source: IMAP, Kind: string(ev.Kind), Session: int(ev.Session), User: ev.User,
		From: stateName(ev.From, imap.State.String), State: stateName(ev.State, imap.State.String), Command: ev.Command, Tag: ev.Tag, Detail: ev.Detail})
}

// onChange sees the store's change feed. It runs on the goroutine that made
// the change, which is inside a call.
func (e *env) onChange(c mailstore.Change) {
	ev := Event{Source: "store", Kind: c.Kind.String(), User: c.User, Mailbox: c.Mailbox, UIDs: c.UIDs, ModSeq: c.ModSeq, NewName: c.NewName}
	for _, m := range c.Messages {
		ev.Flags = append(ev.Flags, MessageFlags{UID: m.UID, Flags: flagStrings(m.Flags)})
	}
	if c.Kind == mailstore.KeywordsChanged {
		ev.Keywords = flagStrings(c.Keywords)
	}
	e.events = append(e.events, ev)
}

func flagStrings(flags []mailstore.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}
