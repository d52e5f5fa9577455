package pop3_test

// Helpers shared by the server tests: a demo world in a fresh in-memory
// store, a session fed line by line, and a client on the other end of a
// transport.Pipe that Serve drives.

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/transport"
	"github.com/wirelab/wirelab/engine/world"
)

// testHost is the hostname of every test server.
const testHost = "pop.example.com"

// env is a server configuration over its own in-memory store.
type env struct {
	cfg   *pop3.Config
	store *mailstore.Store
	fs    *mem.FS
}

// newEnv returns a server for users (name and password in passwd-file
// form, e.g. "{PLAIN}secret") with empty maildrops.
func newEnv(tb testing.TB, users map[string]string) *env {
	tb.Helper()
	db := auth.NewUsers()
	for name, pass := range users {
		p, err := auth.ParsePassword(pass)
		if err != nil {
			tb.Fatal(err)
		}
		if err := db.Add(name, p); err != nil {
			tb.Fatal(err)
		}
	}
	return newEnvUsers(tb, db)
}

func newEnvUsers(tb testing.TB, users *auth.Users) *env {
	tb.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		tb.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	return &env{
		cfg:   &pop3.Config{Store: st, Users: users, Hostname: testHost},
		store: st,
		fs:    fsys,
	}
}

// demoEnv returns a server holding the demo world (alice/wonderland,
// bob/builder, carol/office-hours).
func demoEnv(tb testing.TB) *env {
	tb.Helper()
	w := world.Demo()
	e := newEnvUsers(tb, w.Users)
	if _, err := w.Populate(e.store); err != nil {
		tb.Fatal(err)
	}
	return e
}

// deliver puts messages into user's INBOX and returns their UIDs.
func (e *env) deliver(tb testing.TB, user string, msgs ...string) []uint32 {
	tb.Helper()
	if err := e.store.EnsureUser(user); err != nil {
		tb.Fatal(err)
	}
	var uids []uint32
	for _, m := range msgs {
		uid, err := e.store.Deliver(user, mailstore.Inbox, []byte(m), nil, clock.Epoch)
		if err != nil {
			tb.Fatal(err)
		}
		uids = append(uids, uid)
	}
	return uids
}

// inbox returns user's INBOX as the store has it now.
func (e *env) inbox(tb testing.TB, user string) []mailstore.Message {
	tb.Helper()
	msgs, _, err := e.store.List(user, mailstore.Inbox)
	if err != nil {
		tb.Fatal(err)
	}
	return msgs
}

// raw returns the stored bytes of the n-th (1-based) message of user's INBOX.
func (e *env) raw(tb testing.TB, user string, n int) []byte {
	tb.Helper()
	msgs := e.inbox(tb, user)
	data, err := e.store.Read(user, mailstore.Inbox, msgs[n-1].UID)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// checkUnlocked fails unless user's maildrop can be locked, that is, no
// session still holds it.
func (e *env) checkUnlocked(tb testing.TB, user string) {
	tb.Helper()
	unlock, err := e.store.LockMaildrop(user)
	if err != nil {
		tb.Errorf("maildrop of %s is still locked: %v", user, err)
		return
	}
	unlock()
}

// session starts a session with id 1 at clock.Epoch.
func (e *env) session() *pop3.Session {
	return pop3.NewSession(e.cfg, 1, clock.Epoch)
}

// feed hands each line, with CRLF added, to the session in its own Feed
// call and returns the replies' bytes joined.
func feed(s *pop3.Session, lines ...string) string {
	var out strings.Builder
	for _, l := range lines {
		for _, r := range s.Feed([]byte(l+"\r\n"), clock.Epoch) {
			out.Write(r.Data)
		}
	}
	return out.String()
}

// feedRaw hands input to the session in one Feed call and returns the
// replies.
func feedRaw(s *pop3.Session, input string) []pop3.Reply {
	return s.Feed([]byte(input), clock.Epoch)
}

// joined returns the bytes of replies, concatenated.
func joined(replies []pop3.Reply) string {
	var out strings.Builder
	for _, r := range replies {
		out.Write(r.Data)
	}
	return out.String()
}

// login authenticates s with USER and PASS and fails the test unless it
// reaches the TRANSACTION state.
func login(tb testing.TB, s *pop3.Session, user, pass string) {
	tb.Helper()
	got := feed(s, "USER "+user, "PASS "+pass)
	if !strings.HasPrefix(got, "+OK Send your password\r\n+OK ") || s.State() != pop3.Transaction {
		tb.Fatalf("login as %s: got %q, state %v", user, got, s.State())
	}
}

// aliceSession returns a session on the demo world logged in as alice.
func aliceSession(tb testing.TB) (*env, *pop3.Session) {
	tb.Helper()
	e := demoEnv(tb)
	s := e.session()
	login(tb, s, "alice", "wonderland")
	return e, s
}

// crlf converts bare LF line endings to CRLF.
func crlf(data []byte) string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// multiBody splits a multi-line response into its status line and its
// body, byte-unstuffed, with the terminating line removed. ok is false if
// the response is not a complete multi-line response.
func multiBody(resp string) (status, body string, ok bool) {
	status, rest, found := strings.Cut(resp, "\r\n")
	if !found || !strings.HasSuffix(rest, ".\r\n") {
		return status, "", false
	}
	rest = rest[:len(rest)-len(".\r\n")]
	if rest != "" && !strings.HasSuffix(rest, "\r\n") {
		return status, "", false
	}
	var b strings.Builder
	for line := range strings.Lines(rest) {
		if strings.HasPrefix(line, ".") {
			if line == ".\r\n" {
				return status, "", false // a terminator inside the body
			}
			line = line[1:]
		}
		b.WriteString(line)
	}
	return status, b.String(), true
}

// client is the far end of a transport.Pipe on which Serve runs a session.
type client struct {
	tb   testing.TB
	clk  *clock.Virtual
	conn transport.Stream
	r    *bufio.Reader
	done chan served
}

// served is what Serve returned.
type served struct {
	sess *pop3.Session
	err  error
}

// dial starts Serve in a goroutine over a fresh pipe, with a virtual clock
// at clock.Epoch. The caller must make Serve end (QUIT, closing the
// client, cancelling ctx) and may collect its result with wait.
func (e *env) dial(tb testing.TB, ctx context.Context, opts pop3.ServeOptions) *client {
	tb.Helper()
	clk := clock.NewVirtual(clock.Epoch)
	if opts.Clock == nil {
		opts.Clock = clk
	} else if v, ok := opts.Clock.(*clock.Virtual); ok {
		clk = v
	}
	server, conn := transport.Pipe()
	c := &client{tb: tb, clk: clk, conn: conn, r: bufio.NewReader(conn), done: make(chan served, 1)}
	go func() {
		sess, err := pop3.Serve(ctx, e.cfg, server, opts)
		c.done <- served{sess, err}
	}()
	return c
}

// send writes lines, each with CRLF, in one Write: the commands arrive
// pipelined.
func (c *client) send(lines ...string) {
	c.tb.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		c.tb.Fatalf("client write: %v", err)
	}
}

// line reads one line and returns it with its CRLF.
func (c *client) line() string {
	c.tb.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.tb.Fatalf("client read: got %q, %v", l, err)
	}
	return l
}

// multi reads a multi-line response (status line included) up to and
// including its terminating ".\r\n".
func (c *client) multi() string {
	c.tb.Helper()
	var b strings.Builder
	for {
		l := c.line()
		b.WriteString(l)
		if l == ".\r\n" {
			return b.String()
		}
	}
}

// rest reads until the server closes the connection.
func (c *client) rest() string {
	c.tb.Helper()
	data, err := io.ReadAll(c.r)
	if err != nil {
		c.tb.Fatalf("client read to EOF: got %q, %v", data, err)
	}
	return string(data)
}

// login authenticates as user with USER and PASS.
func (c *client) login(user, pass string) {
	c.tb.Helper()
	c.send("USER "+user, "PASS "+pass)
	if l := c.line(); !strings.HasPrefix(l, "+OK") {
		c.tb.Fatalf("USER %s: %q", user, l)
	}
	if l := c.line(); !strings.HasPrefix(l, "+OK") {
		c.tb.Fatalf("PASS for %s: %q", user, l)
	}
}

// wait returns what Serve returned.
func (c *client) wait() served {
	return <-c.done
}
