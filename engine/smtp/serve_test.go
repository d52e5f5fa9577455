package smtp_test

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/smtp"
	"github.com/wirelab/wirelab/engine/transport"
)

// serve starts Serve on one end of a pipe and returns the other end and a
// channel that yields Serve's result.
func serve(t *testing.T, cfg *smtp.Config, opts smtp.ServeOptions) (transport.Stream, <-chan error) {
	t.Helper()
	srv, cli := transport.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := smtp.Serve(t.Context(), cfg, srv, opts)
		done <- err
	}()
	return cli, done
}

// TestClientDotStuffingRoundTrip sends messages whose lines start with dots
// through Client and Serve, and checks the store holds them unstuffed.
func TestClientDotStuffingRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		clk := clock.NewVirtual(clock.Epoch)
		cli, done := serve(t, e.cfg, smtp.ServeOptions{Clock: clk, ID: 9, Peer: "192.0.2.9"})
		msg := "Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nend\r\n"
		if err := smtp.Deliver(cli, "sender@b.example", []string{"alice@example.com"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := e.inbox(t, "alice")
		if len(got) != 1 {
			t.Fatalf("%d messages, want 1", len(got))
		}
		_, body, _ := strings.Cut(got[0], "\r\nSubject: dots")
		if want := "\r\n\r\n.\r\n..\r\n.x\r\nend\r\n"; body != want {
			t.Errorf("stored body %q, want %q", body, want)
		}
		wantHdr := "Received: from " + smtp.DefaultHelloName + " (192.0.2.9)\r\n\tby mx.example.com with ESMTP id 90000\r\n\tfor <alice@example.com>; Thu, 01 Jan 2026 09:00:00 +0000\r\n"
		if !strings.HasPrefix(got[0], wantHdr) {
			t.Errorf("message %q, want prefix %q", got[0], wantHdr)
		}
	})
}

func TestDotStuff(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ".\r\n"},
		{"a", "a\r\n.\r\n"},
		{".a\n.\nb\r\n", "..a\r\n..\r\nb\r\n.\r\n"},
	} {
		if got := string(smtp.DotStuff([]byte(tc.in))); got != tc.want {
			t.Errorf("DotStuff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClientErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.cfg.MaxMessageSize = 50
		cli, done := serve(t, e.cfg, smtp.ServeOptions{Clock: clock.NewVirtual(clock.Epoch)})
		c, err := smtp.NewClient(cli)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("a@b.example"); !isCode(err, 503, "5.5.1") {
			t.Errorf("MAIL before EHLO: %v", err)
		}
		if err := c.Hello("c.example"); err != nil {
			t.Fatal(err)
		}
		if ok, v := c.Extension("size"); !ok || v != "50" {
			t.Errorf("Extension(SIZE) = %v, %q", ok, v)
		}
		if err := c.Auth("alice", "wonderland"); !isCode(err, 502, "5.5.1") {
			t.Errorf("AUTH on MX: %v", err)
		}
		if err := c.Mail("a@b.example"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("nobody@example.com"); !isCode(err, 550, "5.1.1") {
			t.Errorf("RCPT unknown: %v", err)
		}
		if err := c.Rcpt("alice@example.com"); err != nil {
			t.Fatal(err)
		}
		var se *smtp.Error
		if _, err := c.Data([]byte(strings.Repeat("z", 60))); !errors.As(err, &se) || se.Code != 552 || se.Temporary() {
			t.Errorf("DATA too big: %v", err)
		}
		if err := c.Reset(); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func isCode(err error, code int, enhanced string) bool {
	var se *smtp.Error
	return errors.As(err, &se) && se.Code == code && se.Enhanced == enhanced
}

func TestClientSubmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.cfg.Submission = true
		var relayed []string
		e.cfg.Relay = func(from string, to []string, msg []byte) error {
			relayed = append(relayed, from+" -> "+strings.Join(to, ","))
			return nil
		}
		cli, done := serve(t, e.cfg, smtp.ServeOptions{Clock: clock.NewVirtual(clock.Epoch)})
		c, err := smtp.NewClient(cli)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("laptop"); err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("bob@example.com"); !isCode(err, 530, "5.7.0") {
			t.Errorf("MAIL without AUTH: %v", err)
		}
		if err := c.Auth("bob", "builder"); err != nil {
			t.Fatal(err)
		}
		for _, step := range []func() error{
			func() error { return c.Mail("bob@example.com") },
			func() error { return c.Rcpt("friend@far.example") },
			func() error { return c.Rcpt("alice@example.org") },
			func() error { _, err := c.Data([]byte("Subject: x\n\nhello\n")); return err },
			c.Quit,
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"bob@example.com -> friend@far.example"}, relayed); diff != "" {
			t.Errorf("relayed (-want +got):\n%s", diff)
		}
		if n := len(e.inbox(t, "alice")); n != 1 {
			t.Errorf("alice has %d messages, want 1", n)
		}
	})
}

// TestServeTimeout checks the idle timer runs on the injected clock.
func TestServeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		clk := clock.NewVirtual(clock.Epoch)
		cli, done := serve(t, e.cfg, smtp.ServeOptions{Clock: clk})
		r := bufio.NewReader(cli)
		if l, _ := r.ReadString('\n'); l != "220 mx.example.com ESMTP wirelab ready\r\n" {
			t.Errorf("greeting %q", l)
		}
		synctest.Wait()
		clk.Advance(smtp.ServerTimeout - time.Second)
		synctest.Wait()
		if n, _ := transport.Buffered(cli); n > 0 {
			t.Fatal("server spoke before the timeout")
		}
		clk.Advance(time.Second)
		if l, _ := r.ReadString('\n'); l != "421 4.4.2 mx.example.com Error: timeout exceeded\r\n" {
			t.Errorf("timeout reply %q", l)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestServeStartTLS checks the upgrade hook runs and that the session
// forgets the EHLO, as RFC 3207 §4.2 says.
func TestServeStartTLS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		upgraded := false
		cli, done := serve(t, e.cfg, smtp.ServeOptions{
			Clock:    clock.NewVirtual(clock.Epoch),
			StartTLS: func(s transport.Stream) (transport.Stream, error) { upgraded = true; return s, nil },
		})
		r := bufio.NewReader(cli)
		r.ReadString('\n')
		cli.Write([]byte("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\n"))
		var got []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.TrimSuffix(l, "\r\n"))
			if strings.HasPrefix(l, "220 ") {
				break
			}
		}
		if !cmp.Equal(got[len(got)-2:], []string{"250 HELP", "220 2.0.0 Ready to start TLS"}) || !strings.Contains(strings.Join(got, "|"), "250-STARTTLS") {
			t.Errorf("replies %q", got)
		}
		cli.Write([]byte("MAIL FROM:<a@b.example>\r\nEHLO c\r\nQUIT\r\n"))
		var after []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				break
			}
			after = append(after, strings.TrimSuffix(l, "\r\n"))
		}
		want := []string{"503 5.5.1 Error: send HELO/EHLO first", "250-mx.example.com greets c"}
		if len(after) < 3 || !cmp.Equal(after[:2], want) || strings.Contains(strings.Join(after, "|"), "STARTTLS") {
			t.Errorf("after TLS %q", after)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !upgraded {
			t.Error("StartTLS hook not called")
		}
	})
}
