package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/transport"
)

// servedConn is the client end of a transport.Pipe on which Serve runs a
// session, on a virtual clock. The server's end records each Write, so
// that tests can check how responses are cut into segments.
type servedConn struct {
	tb   testing.TB
	clk  *clock.Virtual
	conn transport.Stream
	r    *bufio.Reader
	rec  *writeRecorder
	done chan servedResult
}

type servedResult struct {
	sess *imap.Session
	err  error
}

// writeRecorder is a stream that remembers the data of each Write.
type writeRecorder struct {
	transport.Stream
	mu     sync.Mutex
	writes []string
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, string(p))
	w.mu.Unlock()
	return w.Stream.Write(p)
}

// serve starts Serve over a fresh pipe with a virtual clock at
// clock.Epoch, unless opts has a clock. The test ends the session
// (LOGOUT, autologout, ctx) and may collect Serve's result with wait.
func (e *env) serve(tb testing.TB, ctx context.Context, opts imap.ServeOptions) *servedConn {
	tb.Helper()
	clk := clock.NewVirtual(clock.Epoch)
	if opts.Clock == nil {
		opts.Clock = clk
	} else if v, ok := opts.Clock.(*clock.Virtual); ok {
		clk = v
	}
	server, conn := transport.Pipe()
	rec := &writeRecorder{Stream: server}
	c := &servedConn{tb: tb, clk: clk, conn: conn, r: bufio.NewReader(conn), rec: rec, done: make(chan servedResult, 1)}
	go func() {
		sess, err := imap.Serve(ctx, e.cfg, rec, opts)
		c.done <- servedResult{sess, err}
	}()
	return c
}

// send writes lines, each with CRLF, in one Write.
func (c *servedConn) send(lines ...string) {
	c.tb.Helper()
	c.sendRaw(strings.Join(lines, "\r\n") + "\r\n")
}

// sendRaw writes s as it is, in one Write.
func (c *servedConn) sendRaw(s string) {
	c.tb.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.tb.Fatalf("client write: %v", err)
	}
}

// line reads one line, CRLF included.
func (c *servedConn) line() string {
	c.tb.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.tb.Fatalf("client read: got %q, %v", l, err)
	}
	return l
}

// rest reads until the server closes the connection.
func (c *servedConn) rest() string {
	c.tb.Helper()
	data, err := io.ReadAll(c.r)
	if err != nil {
		c.tb.Fatalf("client read to EOF: got %q, %v", data, err)
	}
	return string(data)
}

// quiet fails the test if the server has sent anything unread. Call it
// after synctest.Wait.
func (c *servedConn) quiet(when string) {
	c.tb.Helper()
	if n := c.r.Buffered(); n > 0 {
		c.tb.Errorf("%s: client has %d unread bytes", when, n)
	}
	if n, ready := transport.Buffered(c.conn); n > 0 || ready {
		c.tb.Errorf("%s: the server sent %d bytes (ready %v)", when, n, ready)
	}
}

// writes returns the data of the server's writes so far.
func (c *servedConn) writes() []string {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	return append([]string(nil), c.rec.writes...)
}

// wait returns what Serve returned.
func (c *servedConn) wait() servedResult { return <-c.done }

// TestIdle drives IDLE through Feed and Poll, as the playground does:
// updates from other sessions reach the idling client as Poll output, at
// once; DONE ends the command.
func TestIdle(t *testing.T) {
	msg := "Subject: news\r\n\r\nnew mail\r\n"
	for _, tc := range []struct {
		name   string
		before func(e *env, other *imap.Session) // before IDLE
		during func(e *env, other *imap.Session) // while idling, before Poll
		start  []string                          // the response to IDLE
		poll   []string                          // what Poll returns
		end    string                            // the client's line to end it
		done   []string                          // the response to that line
	}{
		{"new mail", nil,
			func(e *env, o *imap.Session) {
				feed(o, fmt.Sprintf("o APPEND INBOX {%d+}\r\n%s", len(msg), msg))
			},
			[]string{"+ idling"}, []string{"* 10 EXISTS"},
			"DONE", []string{"i OK IDLE terminated"}},
		{"expunge and flags", nil,
			func(e *env, o *imap.Session) {
				feed(o, `o STORE 3 +FLAGS (\Deleted)`, "p EXPUNGE", `q UID STORE 7 +FLAGS (\Seen)`)
			},
			[]string{"+ idling"}, []string{"* 3 EXPUNGE", `* 6 FETCH (UID 7 FLAGS (\Seen))`},
			"DONE", []string{"i OK IDLE terminated"}},
		{"updates queued before IDLE go out with the continuation", func(e *env, o *imap.Session) {
			feed(o, `o STORE 3 +FLAGS (\Deleted)`, "p EXPUNGE")
		}, nil,
			[]string{"* 3 EXPUNGE", "+ idling"}, nil,
			"DONE", []string{"i OK IDLE terminated"}},
		{"updates after the last Poll go out before the tagged OK", nil, nil,
			[]string{"+ idling"}, nil,
			"DONE", []string{"i OK IDLE terminated"}},
		{"done in lower case", nil, nil,
			[]string{"+ idling"}, nil,
			"done", []string{"i OK IDLE terminated"}},
		{"a command instead of DONE", nil, nil,
			[]string{"+ idling"}, nil,
			"x NOOP", []string{"i BAD Expected DONE to end IDLE; the command was not run"}},
		{"a command waiting for its literal instead of DONE", nil, nil,
			[]string{"+ idling"}, nil,
			"x APPEND INBOX {5}", []string{"i BAD Expected DONE to end IDLE; the command was not run", "x BAD Command sent during IDLE"}},
		{"a line too long instead of DONE", nil, nil,
			[]string{"+ idling"}, nil,
			"x " + strings.Repeat("A", 70000), []string{"i BAD Expected DONE to end IDLE", "x BAD [LIMIT] Command line longer than 65536 octets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.opened(t, "alice", "INBOX", "IMAP4rev2")
			other := e.opened(t, "alice", "INBOX", "IMAP4rev2")
			if tc.before != nil {
				tc.before(e, other)
			}
			if diff := cmp.Diff(tc.start, respLines(feed(s, "i IDLE"))); diff != "" {
				t.Errorf("IDLE (-want +got):\n%s", diff)
			}
			if tc.during != nil {
				tc.during(e, other)
			}
			if diff := cmp.Diff(tc.poll, respLines(string(s.Poll(testNow)))); diff != "" {
				t.Errorf("Poll (-want +got):\n%s", diff)
			}
			if got := s.Poll(testNow); len(got) != 0 {
				t.Errorf("second Poll: %q", got)
			}
			if diff := cmp.Diff(tc.done, respLines(feed(s, tc.end))); diff != "" {
				t.Errorf("%.20s (-want +got):\n%s", tc.end, diff)
			}
			// The session takes commands again.
			if diff := cmp.Diff([]string{"n OK NOOP completed"}, respLines(feed(s, "n NOOP"))); diff != "" {
				t.Errorf("NOOP after IDLE (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIdleDoneFlushes: changes that arrive after the last Poll are sent
// with DONE's tagged response (RFC 2177: "the server MAY send any remaining
// queued untagged responses and then MUST immediately send the tagged
// response"), and nothing is sent by Poll outside IDLE.
func TestIdleDoneFlushes(t *testing.T) {
	e := newEnv(t)
	s := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	other := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	feed(s, "i IDLE")
	feed(other, `o STORE 9 -FLAGS (\Flagged)`)
	want := []string{`* 9 FETCH (UID 9 FLAGS ())`, "i OK IDLE terminated"}
	if diff := cmp.Diff(want, respLines(feed(s, "DONE"))); diff != "" {
		t.Errorf("DONE (-want +got):\n%s", diff)
	}
	feed(other, `p STORE 9 +FLAGS (\Flagged)`)
	if got := s.Poll(testNow); len(got) != 0 {
		t.Errorf("Poll outside IDLE: %q", got)
	}
	want = []string{`* 9 FETCH (UID 9 FLAGS (\Flagged))`, "n OK NOOP completed"}
	if diff := cmp.Diff(want, respLines(feed(s, "n NOOP"))); diff != "" {
		t.Errorf("NOOP (-want +got):\n%s", diff)
	}
}

// TestIdleStates: IDLE works in the authenticated state too (with
// nothing to report), not before login; it takes no arguments; IDLE and
// DONE may come pipelined in one segment.
func TestIdleStates(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name  string
		login bool
		in    string
		want  []string
	}{
		{"authenticated", true, "i IDLE\r\nDONE\r\n", []string{"+ idling", "i OK IDLE terminated"}},
		{"not authenticated", false, "i IDLE\r\n", []string{"i BAD IDLE is not valid in the NOT AUTHENTICATED state"}},
		{"argument", true, "i IDLE now\r\n", []string{"i BAD expected end of command after atom, found SP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := e.session(t)
			if tc.login {
				s = e.login(t, "alice")
			}
			var out strings.Builder
			for _, r := range s.Feed([]byte(tc.in), testNow) {
				out.Write(r.Data)
			}
			if diff := cmp.Diff(tc.want, respLines(out.String())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := s.Poll(testNow); len(got) != 0 {
				t.Errorf("Poll: %q", got)
			}
		})
	}
}

// TestIdleServe runs IDLE over Serve: one client idles on a pipe while
// another session APPENDs; the idling client gets "* 10 EXISTS" at once,
// without sending anything and without the virtual clock moving. Then it
// stays idle: the autologout timer still runs during IDLE (RFC 9051
// §6.3.13, RFC 2177 §3), and the session ends with BYE when it expires.
func TestIdleServe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.serve(t, t.Context(), imap.ServeOptions{ID: 1})
		c.line()
		c.send("a LOGIN alice wonderland", "b ENABLE IMAP4rev2", "c SELECT INBOX", "i IDLE")
		for l := ""; l != "+ idling\r\n"; {
			l = c.line()
		}
		synctest.Wait()
		c.quiet("while idling")

		start := c.clk.Now()
		other := e.opened(t, "alice", "INBOX", "IMAP4rev2")
		msg := "Subject: news\r\n\r\nnew mail\r\n"
		feed(other, fmt.Sprintf("o APPEND INBOX (\\Flagged) {%d+}\r\n%s", len(msg), msg))
		want := "* 10 EXISTS\r\n* 10 FETCH (UID 10 FLAGS (\\Flagged))\r\n"
		if got := c.line() + c.line(); got != want {
			t.Errorf("update during IDLE: %q, want %q", got, want)
		}
		if now := c.clk.Now(); !now.Equal(start) {
			t.Errorf("the update took %v of virtual time", now.Sub(start))
		}
		synctest.Wait()
		c.quiet("after the update")

		// Idle for a second less than the autologout timeout: nothing.
		c.clk.Advance(imap.AutologoutTimeout - time.Second)
		synctest.Wait()
		c.quiet("before the autologout")
		c.clk.Advance(time.Second)
		if got, want := c.rest(), "* BYE Autologout; idle for too long\r\n"; got != want {
			t.Errorf("at the autologout: %q, want %q", got, want)
		}
		res := c.wait()
		if res.err != nil || res.sess.EndReason() != "expired" {
			t.Errorf("Serve = %v, ended %q", res.err, res.sess.EndReason())
		}
	})
}

// TestIdleServeDone ends an IDLE over Serve with DONE, after an expunge
// reported while idling.
func TestIdleServeDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		if err := e.store.AddFlag("alice", "INBOX", []uint32{2}, mailstore.FlagDeleted); err != nil {
			t.Fatal(err)
		}
		c := e.serve(t, t.Context(), imap.ServeOptions{ID: 1})
		c.line()
		c.send("a LOGIN alice wonderland", "b ENABLE IMAP4rev2", "c SELECT INBOX", "i IDLE")
		for l := ""; l != "+ idling\r\n"; {
			l = c.line()
		}
		other := e.opened(t, "alice", "INBOX", "IMAP4rev2")
		feed(other, "x EXPUNGE")
		if got, want := c.line(), "* 2 EXPUNGE\r\n"; got != want {
			t.Errorf("update during IDLE: %q, want %q", got, want)
		}
		c.send("DONE", "s SEARCH 2", "z LOGOUT")
		want := "i OK IDLE terminated\r\n" + `* ESEARCH (TAG "s") ALL 2` + "\r\ns OK SEARCH completed\r\n* BYE wirelab IMAP server signing off\r\nz OK LOGOUT completed\r\n"
		if got := c.rest(); got != want {
			t.Errorf("after DONE: %q, want %q", got, want)
		}
		if res := c.wait(); res.err != nil {
			t.Errorf("Serve: %v", res.err)
		}
	})
}
