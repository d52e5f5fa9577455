package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLoginGuardCounts drives the per-source counter on an injected clock:
// MaxSourceFailures failures within SourceFailureWindow block the source
// until the oldest of them leaves the window; other sources are not
// affected; the table stays within MaxTrackedSources.
func TestLoginGuardCounts(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newLoginGuard(func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	fail := func(addr netip.Addr) {
		g.mu.Lock()
		g.sessions[sessionKey{"pop3", 1}] = addr
		g.mu.Unlock()
		g.failed("pop3", 1)
	}
	for i := range MaxSourceFailures {
		if _, blocked := g.blocked(a); blocked {
			t.Fatalf("blocked after %d failures, want %d", i, MaxSourceFailures)
		}
		fail(a)
		now = now.Add(time.Second)
	}
	wait, blocked := g.blocked(a)
	if want := SourceFailureWindow - MaxSourceFailures*time.Second; !blocked || wait != want {
		t.Errorf("after %d failures: blocked %v for %v, want true for %v", MaxSourceFailures, blocked, wait, want)
	}
	if _, blocked := g.blocked(b); blocked {
		t.Error("another source is blocked too")
	}
	// A failure of an untracked session (its connection ended) is lost,
	// not charged to someone else.
	g.failed("imap", 99)
	now = now.Add(wait)
	if _, blocked := g.blocked(a); blocked {
		t.Error("still blocked once the oldest failure left the window")
	}
	fail(a) // the tenth within the window again
	if _, blocked := g.blocked(a); !blocked {
		t.Error("not blocked again after one more failure within the window")
	}

	for i := range MaxTrackedSources + 5 {
		fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
		now = now.Add(time.Millisecond)
	}
	if n := len(g.failures); n > MaxTrackedSources {
		t.Errorf("%d sources tracked, want at most %d", n, MaxTrackedSources)
	}
}

// TestPlaintextDecision: passwords in the clear only on loopback listeners
// or with --allow-plaintext.
func TestPlaintextDecision(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	real := func(a netip.Addr) bool { return a.IsLoopback() }
	never := func(netip.Addr) bool { return false }
	tests := []struct {
		addr     net.Addr
		allow    bool
		loopback func(netip.Addr) bool
		want     bool
	}{
		{tcp("127.0.0.1:143"), false, real, false},
		{tcp("127.0.0.2:143"), false, real, false},
		{tcp("[::1]:143"), false, real, false},
		{tcp("[::ffff:127.0.0.1]:143"), false, real, false},
		{tcp("0.0.0.0:143"), false, real, true},
		{tcp("[::]:143"), false, real, true},
		{tcp("192.0.2.7:143"), false, real, true},
		{tcp("192.0.2.7:143"), true, real, false},
		{tcp("127.0.0.1:143"), false, never, true},
		{tcp("127.0.0.1:143"), true, never, false},
	}
	for _, tc := range tests {
		if got := plaintextNeedsTLS(tc.addr, tc.allow, tc.loopback); got != tc.want {
			t.Errorf("plaintextNeedsTLS(%v, allow %v) = %v, want %v", tc.addr, tc.allow, got, tc.want)
		}
	}
}

// TestSourceLimitAndLogs runs the real server: MaxSourceFailures failed
// logins from 127.0.0.1, over POP3, IMAP and submission, make its next
// connections be refused on each of those ports, while port 25 still
// takes mail; and no password, right or wrong, appears in the log.
func TestSourceLimitAndLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	srv := startServe(t)
	var passwords []string
	var wg sync.WaitGroup
	errs := make(chan error, MaxSourceFailures+3)
	// One failure per connection, all at once: each costs the engine's 2 s
	// delay, which the connections wait out together.
	for i := range MaxSourceFailures {
		pass := fmt.Sprintf("guess-%d-%d", i, time.Now().UnixNano())
		passwords = append(passwords, pass)
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				err = popLoginFails(srv.addrs["pop3"], "alice", pass)
			case 1:
				err = imapLoginFails(srv.addrs["imap"], "alice", pass)
			default:
				err = smtpAuthFails(srv.addrs["submission"], "alice", pass)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, tc := range []struct{ proto, want string }{
		{"pop3", "-ERR [SYS/TEMP] Too many failed logins from your address"},
		{"imap", "* BYE [UNAVAILABLE] Too many failed logins from your address"},
		{"submission", "421 4.7.0 Too many failed logins from your address"},
		{"smtp", "220 "},
	} {
		greeting, err := firstLine(srv.addrs[tc.proto])
		if err != nil || !strings.HasPrefix(greeting, tc.want) {
			t.Errorf("%s after %d failures: %q, %v; want it to start %q", tc.proto, MaxSourceFailures, greeting, err, tc.want)
		}
	}
	srv.stop(t)
	log := srv.stderr.String()
	if !strings.Contains(log, "refusing its connections") {
		t.Errorf("the log does not say the source was blocked:\n%s", log)
	}
	for _, p := range append(passwords, "wonderland", "builder") {
		if strings.Contains(log, p) {
			t.Errorf("the log holds the password %q:\n%s", p, log)
		}
	}
}

func firstLine(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(line, "\r\n"), err
}

// converse sends each line and returns the first line of each answer.
func converse(c net.Conn, r *bufio.Reader, lines ...string) ([]string, error) {
	var out []string
	for _, l := range lines {
		if _, err := io.WriteString(c, l+"\r\n"); err != nil {
			return out, err
		}
		ans, err := r.ReadString('\n')
		if err != nil {
			return out, err
		}
		out = append(out, strings.TrimSuffix(ans, "\r\n"))
	}
	return out, nil
}

func dialGreeted(addr string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, r, nil
}

func popLoginFails(addr, user, pass string) error {
	c, r, err := dialGreeted(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := converse(c, r, "USER "+user, "PASS "+pass)
	if err != nil || got[1] != "-ERR [AUTH] Authentication failed" {
		return fmt.Errorf("pop3 wrong password: %q, %v", got, err)
	}
	return nil
}

func imapLoginFails(addr, user, pass string) error {
	c, r, err := dialGreeted(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := converse(c, r, "a LOGIN "+user+" "+pass)
	if err != nil || !strings.HasPrefix(got[0], "a NO [AUTHENTICATIONFAILED]") {
		return fmt.Errorf("imap wrong password: %q, %v", got, err)
	}
	return nil
}

func smtpAuthFails(addr, user, pass string) error {
	c, r, err := dialGreeted(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "EHLO client.example\r\n"); err != nil {
		return err
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "250 ") {
			break
		}
	}
	got, err := converse(c, r, "AUTH PLAIN "+b64Plain(user, pass))
	if err != nil || !strings.HasPrefix(got[0], "535 ") {
		return fmt.Errorf("submission wrong password: %q, %v", got, err)
	}
	return nil
}

// TestPlaintextWiring runs serve in this process with its listeners taken
// for non-loopback ones: POP3, IMAP and submission refuse passwords in the
// clear and take them after STLS/STARTTLS.
func TestPlaintextWiring(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	old := isLoopback
	isLoopback = func(netip.Addr) bool { return false }
	t.Cleanup(func() { isLoopback = old })

	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- serve([]string{"--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0", "--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0", "--dns", "", "--http", ""}, pw, &lockedWriter{w: &stderr})
		pw.Close()
	}()
	addrs := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
			addrs[m[1]] = m[2]
		}
		if strings.HasPrefix(sc.Text(), "  logins:") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM) // serve's own signal handler takes it
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})

	t.Run("pop3", func(t *testing.T) {
		c, r, err := dialGreeted(addrs["pop3"])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, err := converse(c, r, "USER alice", "AUTH PLAIN "+b64Plain("alice", "wonderland"), "STLS")
		want := []string{
			"-ERR Plain-text login is disabled on this connection: send STLS first",
			"-ERR Plain-text login is disabled on this connection: send STLS first",
			"+OK Begin TLS negotiation",
		}
		if diff := cmp.Diff(want, got); err != nil || diff != "" {
			t.Fatalf("before TLS (-want +got):\n%s%v", diff, err)
		}
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		tr := bufio.NewReader(tc)
		got, err = converse(tc, tr, "USER alice", "PASS wonderland")
		if err != nil || got[0] != "+OK Send your password" || !strings.HasPrefix(got[1], "+OK alice's maildrop") {
			t.Errorf("on TLS: %q, %v", got, err)
		}
	})
	t.Run("imap", func(t *testing.T) {
		c, r, err := dialGreeted(addrs["imap"])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, err := converse(c, r, "a CAPABILITY")
		if err != nil || !strings.Contains(got[0], "LOGINDISABLED") || strings.Contains(got[0], "AUTH=PLAIN") {
			t.Fatalf("CAPABILITY before TLS: %q, %v", got, err)
		}
		r.ReadString('\n') // a OK
		got, err = converse(c, r, "b LOGIN alice wonderland", "c STARTTLS")
		if err != nil || !strings.HasPrefix(got[0], "b NO") || !strings.HasPrefix(got[1], "c OK") {
			t.Fatalf("before TLS: %q, %v", got, err)
		}
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		got, err = converse(tc, bufio.NewReader(tc), "d LOGIN alice wonderland")
		if err != nil || !strings.HasPrefix(got[0], "d OK") {
			t.Errorf("LOGIN on TLS: %q, %v", got, err)
		}
	})
	t.Run("submission", func(t *testing.T) {
		c, r, err := dialGreeted(addrs["submission"])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ehlo := func(c net.Conn, r *bufio.Reader) string {
			io.WriteString(c, "EHLO client.example\r\n")
			var all strings.Builder
			for {
				l, err := r.ReadString('\n')
				all.WriteString(l)
				if err != nil || strings.HasPrefix(l, "250 ") {
					return all.String()
				}
			}
		}
		if e := ehlo(c, r); strings.Contains(e, "AUTH") || !strings.Contains(e, "STARTTLS") {
			t.Fatalf("EHLO before TLS offers AUTH or lacks STARTTLS:\n%s", e)
		}
		got, err := converse(c, r, "AUTH PLAIN "+b64Plain("alice", "wonderland"), "STARTTLS")
		if err != nil || !strings.HasPrefix(got[0], "538 5.7.11") || !strings.HasPrefix(got[1], "220") {
			t.Fatalf("before TLS: %q, %v", got, err)
		}
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		tr := bufio.NewReader(tc)
		if e := ehlo(tc, tr); !strings.Contains(e, "AUTH PLAIN") {
			t.Fatalf("EHLO on TLS lacks AUTH PLAIN:\n%s", e)
		}
		got, err = converse(tc, tr, "AUTH PLAIN "+b64Plain("alice", "wonderland"))
		if err != nil || !strings.HasPrefix(got[0], "235") {
			t.Errorf("AUTH on TLS: %q, %v", got, err)
		}
	})
}

// lockedWriter serialises writes from serve's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// b64Plain is a SASL PLAIN response (RFC 4616).
func b64Plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// TestMaxSessions: a listener serves --max-sessions connections at once;
// the next is refused in its protocol's words, and once one ends a new
// one is served again.
func TestMaxSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	const max = 3
	srv := startServe(t, "--max-sessions", fmt.Sprint(max))
	for _, tc := range []struct{ proto, greeting, refusal string }{
		{"imap", "* OK", "* BYE [UNAVAILABLE] Too many connections"},
		{"pop3", "+OK", "-ERR [SYS/TEMP] Too many connections"},
		{"smtp", "220 ", "421 4.3.2 Too many connections"},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			var open []net.Conn
			defer func() {
				for _, c := range open {
					c.Close()
				}
			}()
			for i := range max {
				c, _, err := dialGreeted(srv.addrs[tc.proto])
				if err != nil {
					t.Fatalf("connection %d: %v", i+1, err)
				}
				open = append(open, c)
			}
			if got, err := firstLine(srv.addrs[tc.proto]); err != nil || !strings.HasPrefix(got, tc.refusal) {
				t.Errorf("connection %d: %q, %v; want %q", max+1, got, err, tc.refusal)
			}
			open[0].Close()
			open = open[1:]
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, err := firstLine(srv.addrs[tc.proto])
				if err == nil && strings.HasPrefix(got, tc.greeting) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after one closed: %q, %v; want %q", got, err, tc.greeting)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
