package pop3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/transport"
)

// The Serve tests run in synctest bubbles: synctest.Wait returns once the
// server goroutine is blocked (reading the pipe or waiting on the virtual
// clock), so a test can check that nothing was sent without sleeping.

// quiet fails the test if the server has sent anything the client has not
// read yet. Call it after synctest.Wait.
func (c *client) quiet(when string) {
	c.tb.Helper()
	if n := c.r.Buffered(); n > 0 {
		c.tb.Errorf("%s: client has %d unread bytes", when, n)
	}
	if n, ready := transport.Buffered(c.conn); n > 0 || ready {
		c.tb.Errorf("%s: the server sent %d bytes (ready %v)", when, n, ready)
	}
}

// storeState is what a session could change in a maildrop: which messages
// exist and which are \Seen.
func storeState(tb testing.TB, e *env, user string) []string {
	tb.Helper()
	var out []string
	for _, m := range e.inbox(tb, user) {
		out = append(out, fmt.Sprintf("%d seen=%v", m.UID, slices.Contains(m.Flags, mailstore.FlagSeen)))
	}
	return out
}

func TestServeSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		d := dropOf(t, e, "alice")
		c := e.dial(t, t.Context(), pop3.ServeOptions{ID: 7})
		wantGreeting := fmt.Sprintf("+OK wirelab POP3 server ready <7.%d@%s>\r\n", clock.Epoch.UnixNano(), testHost)
		if got := c.line(); got != wantGreeting {
			t.Errorf("greeting %q, want %q", got, wantGreeting)
		}
		c.login("alice", "wonderland")
		c.send("STAT")
		if got, want := c.line(), fmt.Sprintf("+OK %d %d\r\n", len(d.octets), d.total); got != want {
			t.Errorf("STAT: %q, want %q", got, want)
		}
		c.send("RETR 5")
		status, body, ok := multiBody(c.multi())
		if !ok || status != fmt.Sprintf("+OK %d octets", d.octets[4]) || body != crlf(e.raw(t, "alice", 5)) {
			t.Errorf("RETR 5 of %d octets: status %q, %d octets of body", d.octets[4], status, len(body))
		}
		c.send("DELE 1", "QUIT")
		got := c.line() + c.rest()
		want := lines("+OK Message 1 deleted", fmt.Sprintf("+OK wirelab POP3 server signing off (%d messages left)", len(d.octets)-1))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		res := c.wait()
		if res.err != nil || res.sess.State() != pop3.Closed || res.sess.User() != "alice" || res.sess.ID() != 7 {
			t.Errorf("Serve = session %d of %q in %v, %v", res.sess.ID(), res.sess.User(), res.sess.State(), res.err)
		}
		if n := len(e.inbox(t, "alice")); n != len(d.octets)-1 {
			t.Errorf("%d messages left in the store", n)
		}
		e.checkUnlocked(t, "alice")
	})
}

// TestServePipelined checks RFC 2449 §6.6: commands sent together are
// answered in order, also around a delayed failed login.
func TestServePipelined(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		d := dropOf(t, e, "alice")
		c := e.dial(t, t.Context(), pop3.ServeOptions{})
		c.line()
		c.send("USER alice", "PASS wonderlan", "USER alice", "PASS wonderland",
			"STAT", "LIST 1", "DELE 1", "LIST 1", "UIDL 2", "NOOP", "RETR 9", "RSET", "STAT", "QUIT")
		if got := c.line(); got != "+OK Send your password\r\n" {
			t.Fatalf("USER: %q", got)
		}
		// The failed PASS holds back its reply and everything after it.
		synctest.Wait()
		c.quiet("during the failed login delay")
		c.clk.Advance(pop3.AuthFailureDelay)
		msg9 := crlf(e.raw(t, "alice", 9))
		want := lines(
			"-ERR [AUTH] Authentication failed",
			"+OK Send your password",
			fmt.Sprintf("+OK alice's maildrop has %d messages (%d octets)", len(d.octets), d.total),
			fmt.Sprintf("+OK %d %d", len(d.octets), d.total),
			fmt.Sprintf("+OK 1 %d", d.octets[0]),
			"+OK Message 1 deleted",
			"-ERR Message 1 is deleted",
			"+OK 2 "+d.uidls[1],
			"+OK ",
			fmt.Sprintf("+OK %d octets", d.octets[8]),
		) + msg9 + lines(".",
			fmt.Sprintf("+OK Maildrop has %d messages (%d octets)", len(d.octets), d.total),
			fmt.Sprintf("+OK %d %d", len(d.octets), d.total),
			fmt.Sprintf("+OK wirelab POP3 server signing off (%d messages left)", len(d.octets)),
		)
		if diff := cmp.Diff(want, c.rest()); diff != "" {
			t.Errorf("replies (-want +got):\n%s", diff)
		}
		if res := c.wait(); res.err != nil {
			t.Errorf("Serve: %v", res.err)
		}
	})
}

// TestServeFailedLoginDelay checks that the failed-login delay runs on the
// session's clock: the reply waits until the virtual clock has moved by
// AuthFailureDelay, and MaxAuthFailures ends the connection.
func TestServeFailedLoginDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		c := e.dial(t, t.Context(), pop3.ServeOptions{})
		c.line()
		for i := 1; i <= pop3.MaxAuthFailures; i++ {
			start := c.clk.Now()
			c.send("USER alice", "PASS guess")
			if got := c.line(); got != "+OK Send your password\r\n" {
				t.Fatalf("USER: %q", got)
			}
			synctest.Wait()
			c.quiet("before the delay")
			c.clk.Advance(pop3.AuthFailureDelay - time.Nanosecond)
			synctest.Wait()
			c.quiet("just before the end of the delay")
			c.clk.Advance(time.Nanosecond)
			want := "-ERR [AUTH] Authentication failed\r\n"
			if i == pop3.MaxAuthFailures {
				want = "-ERR [AUTH] Authentication failed; too many failures, closing the connection\r\n"
			}
			if got := c.line(); got != want {
				t.Errorf("failure %d: %q, want %q", i, got, want)
			}
			if waited := c.clk.Now().Sub(start); waited != pop3.AuthFailureDelay {
				t.Errorf("failure %d answered after %v", i, waited)
			}
		}
		if got := c.rest(); got != "" {
			t.Errorf("after %d failures: %q", pop3.MaxAuthFailures, got)
		}
		res := c.wait()
		if res.err != nil || res.sess.State() != pop3.Closed {
			t.Errorf("Serve = %v, %v", res.sess.State(), res.err)
		}
	})
}

// TestServeAutologout covers the autologout timer of RFC 1939 §3: an idle
// session is closed, without entering UPDATE.
func TestServeAutologout(t *testing.T) {
	tests := []struct {
		name       string
		autologout time.Duration // ServeOptions.Autologout
		timeout    time.Duration // when the session should end
		login      bool
		activity   bool // a command just before the timeout restarts it
	}{
		{name: "TRANSACTION", timeout: pop3.AutologoutTimeout, login: true},
		{name: "AUTHORIZATION", timeout: pop3.AutologoutTimeout},
		{name: "activity restarts the timer", timeout: pop3.AutologoutTimeout, login: true, activity: true},
		{name: "shorter timeout", autologout: 30 * time.Second, timeout: 30 * time.Second, login: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := demoEnv(t)
				before := storeState(t, e, "alice")
				c := e.dial(t, t.Context(), pop3.ServeOptions{Autologout: tc.autologout})
				c.line()
				if tc.login {
					c.login("alice", "wonderland")
					c.send("RETR 4", "DELE 1", "DELE 2")
					c.multi()
					c.line()
					c.line()
				}
				if tc.activity {
					synctest.Wait()
					c.clk.Advance(tc.timeout - time.Second)
					c.send("NOOP")
					if got := c.line(); got != "+OK \r\n" {
						t.Fatalf("NOOP: %q", got)
					}
				}
				start := c.clk.Now()
				synctest.Wait()
				c.clk.Advance(tc.timeout - time.Nanosecond)
				synctest.Wait()
				c.quiet("just before the timeout")
				c.clk.Advance(time.Nanosecond)
				if got := c.rest(); got != "-ERR Disconnected for inactivity.\r\n" {
					t.Errorf("at the timeout, %v after the last command: %q", c.clk.Now().Sub(start), got)
				}
				res := c.wait()
				if res.err != nil || res.sess.State() != pop3.Closed {
					t.Errorf("Serve = %v, %v", res.sess.State(), res.err)
				}
				if diff := cmp.Diff(before, storeState(t, e, "alice")); diff != "" {
					t.Errorf("store changed (-before +after):\n%s", diff)
				}
				e.checkUnlocked(t, "alice")
			})
		})
	}
}

// TestServeDroppedConnection covers RFC 1939 §6: a connection that ends
// without QUIT deletes nothing and unlocks the maildrop.
func TestServeDroppedConnection(t *testing.T) {
	tests := []struct {
		name string
		last string // sent, without waiting for a reply, before the client hangs up
	}{
		{name: "between commands"},
		{name: "in the middle of a command", last: "DELE 4"},
		{name: "right after a command", last: "DELE 4\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := demoEnv(t)
				before := storeState(t, e, "alice")
				c := e.dial(t, t.Context(), pop3.ServeOptions{})
				c.line()
				c.login("alice", "wonderland")
				c.send("RETR 4", "DELE 1", "DELE 2", "DELE 3")
				c.multi()
				for range 3 {
					c.line()
				}
				if tc.last != "" {
					if _, err := c.conn.Write([]byte(tc.last)); err != nil {
						t.Fatal(err)
					}
				}
				c.conn.Close()
				res := c.wait()
				// Answering a command the client no longer waits for may
				// fail; that is the only error expected.
				if (res.err != nil && !errors.Is(res.err, io.ErrClosedPipe)) || res.sess.State() != pop3.Closed {
					t.Errorf("Serve = %v, %v", res.sess.State(), res.err)
				}
				if diff := cmp.Diff(before, storeState(t, e, "alice")); diff != "" {
					t.Errorf("store changed (-before +after):\n%s", diff)
				}
				e.checkUnlocked(t, "alice")
			})
		})
	}
}

// TestServeCancel checks that cancelling the context ends Serve, also while
// it waits out a failed-login delay, and that nothing is deleted.
func TestServeCancel(t *testing.T) {
	tests := []struct {
		name  string
		input []string // sent after login
		delay bool     // the last command is a failed login
	}{
		{name: "idle", input: []string{"DELE 1"}},
		{name: "during a failed login delay", input: []string{"USER bob", "PASS guess"}, delay: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := demoEnv(t)
				before := storeState(t, e, "alice")
				ctx, cancel := context.WithCancel(t.Context())
				c := e.dial(t, ctx, pop3.ServeOptions{})
				c.line()
				if tc.delay {
					c.send(tc.input...)
					c.line() // USER
				} else {
					c.login("alice", "wonderland")
					c.send(tc.input...)
					c.line()
				}
				synctest.Wait()
				start := c.clk.Now()
				cancel()
				res := c.wait()
				if res.err != nil && !errors.Is(res.err, context.Canceled) {
					t.Errorf("Serve returned %v", res.err)
				}
				if res.sess.State() != pop3.Closed {
					t.Errorf("session state %v", res.sess.State())
				}
				if got := c.rest(); got != "" {
					t.Errorf("client read %q after the cancel", got)
				}
				if !c.clk.Now().Equal(start) {
					t.Errorf("the clock moved")
				}
				if diff := cmp.Diff(before, storeState(t, e, "alice")); diff != "" {
					t.Errorf("store changed (-before +after):\n%s", diff)
				}
				e.checkUnlocked(t, "alice")
			})
		})
	}
}

// TestServeSTLS covers STLS (RFC 2595 §4) through the driver: the upgrade
// function is called once, and plain-text commands pipelined after STLS are
// dropped.
func TestServeSTLS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		upgrades := 0
		c := e.dial(t, t.Context(), pop3.ServeOptions{
			StartTLS: func(s transport.Stream) (transport.Stream, error) {
				upgrades++
				return s, nil // a stand-in for tls.Server
			},
		})
		c.line()
		c.send("CAPA")
		if capa := c.multi(); !strings.Contains(capa, "\r\nSTLS\r\n") {
			t.Errorf("CAPA before STLS does not offer it:\n%s", capa)
		}
		c.send("STLS", "USER alice", "PASS wonderland")
		if got := c.line(); got != "+OK Begin TLS negotiation\r\n" {
			t.Fatalf("STLS: %q", got)
		}
		synctest.Wait()
		c.quiet("after STLS")
		c.send("CAPA")
		if capa := c.multi(); strings.Contains(capa, "STLS") {
			t.Errorf("CAPA on TLS offers STLS:\n%s", capa)
		}
		c.send("PASS wonderland", "STLS", "QUIT")
		want := lines("-ERR Send USER first", "-ERR TLS is already active", "+OK wirelab POP3 server signing off")
		if diff := cmp.Diff(want, c.rest()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if res := c.wait(); res.err != nil {
			t.Errorf("Serve: %v", res.err)
		}
		if upgrades != 1 {
			t.Errorf("StartTLS called %d times", upgrades)
		}
	})
}

func TestServeSTLSOptions(t *testing.T) {
	handshakeErr := errors.New("handshake failure")
	tests := []struct {
		name     string
		opts     pop3.ServeOptions
		want     string
		wantErr  error
		hasSTLS  bool
		loggedIn bool
	}{
		{
			name: "no StartTLS",
			opts: pop3.ServeOptions{},
			want: lines("-ERR TLS is not available", "+OK wirelab POP3 server signing off"),
		},
		{
			name: "POP3S",
			opts: pop3.ServeOptions{TLS: true, StartTLS: func(s transport.Stream) (transport.Stream, error) { return s, nil }},
			want: lines("-ERR TLS is already active", "+OK wirelab POP3 server signing off"),
		},
		{
			name:    "handshake fails",
			opts:    pop3.ServeOptions{StartTLS: func(transport.Stream) (transport.Stream, error) { return nil, handshakeErr }},
			hasSTLS: true,
			want:    lines("+OK Begin TLS negotiation"),
			wantErr: handshakeErr,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := demoEnv(t)
				c := e.dial(t, t.Context(), tc.opts)
				c.line()
				c.send("CAPA")
				if capa := c.multi(); strings.Contains(capa, "STLS") != tc.hasSTLS {
					t.Errorf("CAPA:\n%s", capa)
				}
				c.send("STLS", "QUIT")
				if diff := cmp.Diff(tc.want, c.rest()); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				res := c.wait()
				if !errors.Is(res.err, tc.wantErr) {
					t.Errorf("Serve returned %v, want %v", res.err, tc.wantErr)
				}
			})
		})
	}
}

// TestServeInUse checks the maildrop lock between two connections.
func TestServeInUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		first := e.dial(t, t.Context(), pop3.ServeOptions{ID: 1})
		second := e.dial(t, t.Context(), pop3.ServeOptions{ID: 2})
		first.line()
		second.line()
		first.login("alice", "wonderland")
		second.send("USER alice", "PASS wonderland")
		second.line()
		if got := second.line(); got != "-ERR [IN-USE] Maildrop is locked by another POP3 session\r\n" {
			t.Errorf("second login: %q", got)
		}
		first.send("DELE 1", "QUIT")
		first.line()
		first.rest()
		first.wait()
		second.login("alice", "wonderland")
		second.send("LIST 1", "QUIT")
		if got := second.line(); got != fmt.Sprintf("+OK 1 %d\r\n", e.inbox(t, "alice")[0].VSize) {
			t.Errorf("LIST 1 after the first session deleted message 1: %q", got)
		}
		second.rest()
		second.wait()
	})
}

// transcript runs one scripted session through Serve on a fresh demo world
// and returns what the client sent and received. The APOP digest is made
// from the greeting, as a client would.
func transcript(t *testing.T) (sent, received string) {
	e := demoEnv(t)
	c := e.dial(t, t.Context(), pop3.ServeOptions{ID: 3})
	greeting := c.line()
	input := lines(
		"USER alice", "PASS wrong",
		"APOP alice "+auth.APOPDigest(apopTimestamp(t, []byte(greeting)), "wonderland"),
		"STAT", "LIST", "UIDL", "TOP 5 3", "RETR 6", "DELE 2", "RETR 4", "NOOP", "QUIT",
	)
	c.send(strings.TrimSuffix(input, "\r\n"))
	synctest.Wait()
	c.clk.Advance(pop3.AuthFailureDelay)
	out := greeting + c.rest()
	if res := c.wait(); res.err != nil {
		t.Fatal(res.err)
	}
	// The store ends up the same too.
	return input, out + strings.Join(storeState(t, e, "alice"), "\n")
}

// TestServeDeterminism checks that the same input on a virtual clock from
// the same start gives the same bytes, APOP timestamp included.
func TestServeDeterminism(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in1, out1 := transcript(t)
		in2, out2 := transcript(t)
		if diff := cmp.Diff(in1, in2); diff != "" {
			t.Errorf("client input differs between runs (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(out1, out2); diff != "" {
			t.Errorf("server output differs between runs (-first +second):\n%s", diff)
		}
		if !strings.Contains(out1, "+OK alice's maildrop has") {
			t.Errorf("APOP login failed:\n%.300s", out1)
		}
	})
}

// TestServeAddsNothing checks that Serve sends exactly the session's bytes:
// the driver frames nothing of its own.
func TestServeAddsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		input, viaServe := transcript(t)
		e := demoEnv(t)
		s := pop3.NewSession(e.cfg, 3, clock.Epoch)
		var direct strings.Builder
		direct.Write(s.Greeting())
		direct.WriteString(joined(feedRaw(s, input)))
		direct.WriteString(strings.Join(storeState(t, e, "alice"), "\n"))
		if diff := cmp.Diff(direct.String(), viaServe); diff != "" {
			t.Errorf("(-Session.Feed +Serve):\n%s", diff)
		}
	})
}
