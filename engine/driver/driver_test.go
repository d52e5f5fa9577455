package driver_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

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

// streamer answers "big" in three parts (More) and everything else as echo
// does, and records the chunk size it was given.
type streamer struct {
	echo
	chunk int
	parts []string // what is left of the response under way
	feeds []string // the input of each Feed call
}

func (s *streamer) Stream(chunk int) { s.chunk = chunk }

func (s *streamer) Feed(p []byte, now time.Time) []driver.Reply {
	s.feeds = append(s.feeds, string(p))
	var out []driver.Reply
	if len(s.parts) > 0 {
		out = append(out, driver.Reply{Data: []byte(s.parts[0]), More: len(s.parts) > 1})
		s.parts = s.parts[1:]
		if len(s.parts) > 0 {
			return out
		}
	}
	s.buf.Write(p)
	for {
		str := s.buf.String()
		i := strings.Index(str, "\n")
		if i < 0 {
			return out
		}
		line := strings.TrimSpace(str[:i])
		s.buf.Reset()
		s.buf.WriteString(str[i+1:])
		if line == "big" {
			s.parts = []string{"part 2\r\n", "part 3\r\n"}
			return append(out, driver.Reply{Data: []byte("part 1\r\n"), More: true})
		}
		out = append(out, driver.Reply{Data: []byte("ok " + line + "\r\n"), Close: line == "bye"})
	}
}

// A streamed response is sent part by part, each asked for with Feed(nil),
// and the command pipelined behind it is answered after its last part.
func TestRunStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := transport.Pipe()
		sess := &streamer{}
		done := make(chan error, 1)
		go func() {
			done <- driver.Run(context.Background(), sess, server, driver.Options{
				Name: "test", Clock: clock.NewVirtual(time.Time{}), Timeout: time.Minute,
			})
		}()
		go client.Write([]byte("big\r\nafter\r\nbye\r\n"))
		all, err := io.ReadAll(client)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		want := "hello\r\npart 1\r\npart 2\r\npart 3\r\nok after\r\nok bye\r\n"
		if diff := cmp.Diff(want, string(all)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if sess.chunk <= 0 {
			t.Errorf("Stream(%d): the driver did not switch streaming on", sess.chunk)
		}
		if diff := cmp.Diff([]string{"big\r\nafter\r\nbye\r\n", "", ""}, sess.feeds); diff != "" {
			t.Errorf("Feed calls (-want +got):\n%s", diff)
		}
	})
}
