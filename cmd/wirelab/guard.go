package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/smtp"
	"github.com/wirelab/wirelab/engine/transport"
)

// Limits on failed logins per source address. Each connection already
// closes after its protocol's MaxAuthFailures (3) failures, each answered
// after a 2 s delay; these bound what one address can try across many
// connections.
const (
	// MaxSourceFailures failed logins from one address within
	// SourceFailureWindow make the next connections from it be refused,
	// until the oldest of those failures is older than the window.
	MaxSourceFailures   = 10
	SourceFailureWindow = 5 * time.Minute
	// MaxTrackedSources bounds the table of addresses with recent
	// failures; past it, the address whose last failure is oldest is
	// forgotten.
	MaxTrackedSources = 10_000
)

// loginGuard counts failed logins per source address for the listeners
// where users log in (POP3, IMAP, submission) and refuses connections from
// an address that failed too often. now is the clock, injected in tests.
type loginGuard struct {
	now func() time.Time
	log *slog.Logger

	mu       sync.Mutex
	failures map[netip.Addr][]time.Time // the last MaxSourceFailures, oldest first
	sessions map[sessionKey]netip.Addr  // live sessions' sources, for their events
}

type sessionKey struct {
	proto string
	id    uint64
}

func newLoginGuard(now func() time.Time, log *slog.Logger) *loginGuard {
	return &loginGuard{now: now, log: log, failures: map[netip.Addr][]time.Time{}, sessions: map[sessionKey]netip.Addr{}}
}

// blocked says whether addr has used up its failures, and for how long
// still.
func (g *loginGuard) blocked(addr netip.Addr) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fs := g.failures[addr]
	if len(fs) < MaxSourceFailures {
		return 0, false
	}
	left := fs[0].Add(SourceFailureWindow).Sub(g.now())
	if left <= 0 {
		return 0, false
	}
	return left, true
}

// failed records a failed login of the session proto/id.
func (g *loginGuard) failed(proto string, id uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	addr, ok := g.sessions[sessionKey{proto, id}]
	if !ok {
		return
	}
	now := g.now()
	fs := g.failures[addr]
	if fs == nil && len(g.failures) >= MaxTrackedSources {
		g.forgetOldestLocked()
	}
	fs = append(fs, now)
	if len(fs) > MaxSourceFailures {
		fs = append(fs[:0], fs[len(fs)-MaxSourceFailures:]...)
	}
	g.failures[addr] = fs
	if len(fs) == MaxSourceFailures && now.Sub(fs[0]) < SourceFailureWindow {
		g.log.Warn("login failures from one source: refusing its connections", "source", addr.String(), "failures", len(fs), "window", SourceFailureWindow)
	}
}

// forgetOldestLocked drops the address whose last failure is the oldest.
func (g *loginGuard) forgetOldestLocked() {
	var oldest netip.Addr
	var at time.Time
	for a, fs := range g.failures {
		if last := fs[len(fs)-1]; !oldest.IsValid() || last.Before(at) {
			oldest, at = a, last
		}
	}
	delete(g.failures, oldest)
}

// guard wraps srv's serve function: a connection from a blocked source
// gets refusal (the protocol's way of saying "not now", with the seconds
// left) and is closed; any other is tracked so that its login failures
// count against its source.
func (g *loginGuard) guard(srv *sessionServer, refusal func(wait time.Duration) string) {
	inner := srv.serve
	srv.serve = func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (string, string, error) {
		addr := addrPort(conn.RemoteAddr()).Addr().Unmap()
		if wait, ok := g.blocked(addr); ok {
			conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			conn.Write([]byte(refusal(wait)))
			conn.Close()
			return "", "refused: too many failed logins from " + addr.String(), nil
		}
		key := sessionKey{srv.proto, id}
		g.mu.Lock()
		g.sessions[key] = addr
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			delete(g.sessions, key)
			g.mu.Unlock()
		}()
		return inner(ctx, conn, id, startTLS)
	}
}

// waitText says how long a refused client should wait, in whole seconds.
func waitText(wait time.Duration) string {
	return fmt.Sprintf("Too many failed logins from your address; try again in %d seconds", int(wait.Round(time.Second)/time.Second)+1)
}

// The refusals of a blocked source, sent instead of the greeting:
// IMAP's BYE greeting (RFC 9051 §7.1.5) with UNAVAILABLE (RFC 5530 §3);
// POP3's -ERR with SYS/TEMP (RFC 2449 §8.1.2: try again later); SMTP's
// 421 with 4.7.0 (RFC 5321 §3.8, RFC 3463: security or policy status).
func imapRefusal(wait time.Duration) string { return "* BYE [UNAVAILABLE] " + waitText(wait) + "\r\n" }
func pop3Refusal(wait time.Duration) string { return "-ERR [SYS/TEMP] " + waitText(wait) + "\r\n" }
func smtpRefusal(wait time.Duration) string { return "421 4.7.0 " + waitText(wait) + "\r\n" }

// imapEvent, pop3Event and smtpEvent are the engines' OnEvent hooks. An
// IMAP login refused because the user has too many sessions is no
// guessing and does not count.
func (g *loginGuard) imapEvent(e imap.Event) {
	if e.Kind == imap.EventLoginFailed && !strings.HasSuffix(e.Detail, ": too many sessions") {
		g.failed("imap", e.Session)
	}
}

func (g *loginGuard) pop3Event(e pop3.Event) {
	if e.Kind == pop3.EventLoginFailed {
		g.failed("pop3", e.Session)
	}
}

func (g *loginGuard) smtpEvent(proto string) func(smtp.Event) {
	return func(e smtp.Event) {
		if e.Kind == smtp.EventAuthFailed {
			g.failed(proto, e.Session)
		}
	}
}

// plaintextNeedsTLS decides whether a listener refuses passwords in the
// clear until TLS is up: yes, unless it listens on a loopback address only
// or the operator allowed it (--allow-plaintext). An unspecified address
// (0.0.0.0, [::]) listens on every interface and so is not loopback.
func plaintextNeedsTLS(addr net.Addr, allow bool, isLoopback func(netip.Addr) bool) bool {
	if allow {
		return false
	}
	ap := addrPort(addr)
	return !ap.IsValid() || !isLoopback(ap.Addr().Unmap())
}

// isLoopback is the "is loopback" check serve uses. A test replaces it to
// run the non-loopback wiring on loopback: traffic to the machine's other
// addresses is not for tests.
var isLoopback = func(a netip.Addr) bool { return a.IsLoopback() }

// DefaultMaxSessions bounds the connections one listener serves at once;
// past it, a new connection gets the protocol's "not now" and is closed,
// so that a flood of connections cannot take every file descriptor.
const DefaultMaxSessions = 1000

// limitSessions wraps srv's serve function with the cap of max sessions
// at once; refusal is what a connection over it is sent.
func limitSessions(srv *sessionServer, max int, refusal string) {
	inner := srv.serve
	var live atomic.Int64
	srv.serve = func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (string, string, error) {
		defer live.Add(-1)
		if live.Add(1) > int64(max) {
			conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			conn.Write([]byte(refusal))
			conn.Close()
			return "", fmt.Sprintf("refused: over %d sessions", max), nil
		}
		return inner(ctx, conn, id, startTLS)
	}
}

// sessionsRefusal is what each protocol says when a listener is full:
// IMAP's BYE greeting with UNAVAILABLE (RFC 9051 §7.1.5, RFC 5530 §3),
// POP3's -ERR with SYS/TEMP (RFC 2449 §8.1.2), SMTP's 421 with 4.3.2,
// "system not accepting network messages" (RFC 5321 §3.8, RFC 3463).
var sessionsRefusal = map[string]string{
	"imap":       "* BYE [UNAVAILABLE] Too many connections; try again later\r\n",
	"pop3":       "-ERR [SYS/TEMP] Too many connections; try again later\r\n",
	"smtp":       "421 4.3.2 Too many connections; try again later\r\n",
	"submission": "421 4.3.2 Too many connections; try again later\r\n",
}
