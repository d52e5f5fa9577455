package driver_test

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/driver"
	"github.com/wirelab/wirelab/engine/transport"
)

// echo answers each line "ok <line>"; "slow" is answered after a delay,
// "bye" closes, and it counts how it ended.
type echo struct {
	buf      strings.Builder
	aborted  bool
	expired  bool
	pollData string
}

func (e *echo) Greeting() []byte { return []byte("hello\r\n") }
func (e *echo) SetTLS()          {}
func (e *echo) Abort()           { e.aborted = true }
func (e *echo) Expire() driver.Reply {
	e.expired = true
	return driver.Reply{Close: true}
}

func (e *echo) Feed(p []byte, _ time.Time) []driver.Reply {
	e.buf.Write(p)
	var out []driver.Reply
	for {
		s := e.buf.String()
		i := strings.Index(s, "\n")
		if i < 0 {
			return out
		}
		line := strings.TrimSpace(s[:i])
		e.buf.Reset()
		e.buf.WriteString(s[i+1:])
		r := driver.Reply{Data: []byte("ok " + line + "\r\n")}
		switch line {
		case "slow":
			r.Delay = 2 * time.Second
		case "bye":
			r.Close = true
		}
		out = append(out, r)
	}
}

func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual(time.Time{})
		client, server := transport.Pipe()
		sess := &echo{}
		wake := make(chan struct{}, 1)
		done := make(chan error, 1)
		go func() {
			done <- driver.Run(context.Background(), sess, server, driver.Options{
				Name: "test", Clock: clk, Timeout: time.Minute, ExpireLine: []byte("timeout\r\n"),
				Wake: wake, Poll: func(time.Time) []byte { return []byte(sess.pollData) },
			})
		}()
		r := bufio.NewReader(client)
		line := func() string {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			return l
		}
		if got := line(); got != "hello\r\n" {
			t.Fatalf("greeting %q", got)
		}
		// Pipelined lines are answered in order.
		client.Write([]byte("a\r\nb\r\n"))
		if got := line() + line(); got != "ok a\r\nok b\r\n" {
			t.Errorf("pipelined: %q", got)
		}
		// A delayed reply waits on the injected clock.
		client.Write([]byte("slow\r\n"))
		synctest.Wait()
		if n, _ := transport.Buffered(client); n > 0 || r.Buffered() > 0 {
			t.Error("delayed reply sent before the clock moved")
		}
		clk.Advance(2 * time.Second)
		if got := line(); got != "ok slow\r\n" {
			t.Errorf("after the delay: %q", got)
		}
		// Poll's data goes out between commands.
		sess.pollData = "news\r\n"
		wake <- struct{}{}
		if got := line(); got != "news\r\n" {
			t.Errorf("polled: %q", got)
		}
		client.Write([]byte("bye\r\n"))
		if got := line(); got != "ok bye\r\n" {
			t.Errorf("close reply: %q", got)
		}
		if err := <-done; err != nil || !sess.aborted {
			t.Errorf("Run = %v, aborted %v", err, sess.aborted)
		}
	})
}

func TestRunIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual(time.Time{})
		client, server := transport.Pipe()
		sess := &echo{}
		done := make(chan error, 1)
		go func() {
			done <- driver.Run(context.Background(), sess, server, driver.Options{
				Name: "test", Clock: clk, Timeout: time.Minute, ExpireLine: []byte("timeout\r\n"),
			})
		}()
		r := bufio.NewReader(client)
		r.ReadString('\n') // greeting
		synctest.Wait()
		clk.Advance(time.Minute - time.Nanosecond)
		synctest.Wait()
		if n, _ := transport.Buffered(client); n > 0 || r.Buffered() > 0 {
			t.Fatal("expired before the timeout")
		}
		clk.Advance(time.Nanosecond)
		if got, _ := r.ReadString('\n'); got != "timeout\r\n" {
			t.Errorf("expire line %q", got)
		}
		if err := <-done; err != nil || !sess.expired {
			t.Errorf("Run = %v, expired %v", err, sess.expired)
		}
	})
}
