package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/transport"
)

// echoServer is a sessionServer whose sessions greet, echo one line and
// end. Once a session has its line it tells entered, if anyone listens
// there, and waits for hold, if not nil, to be closed before it answers.
func echoServer(t *testing.T, entered chan<- struct{}, hold <-chan struct{}) (*sessionServer, net.Listener, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	srv := &sessionServer{proto: "echo", log: slog.New(slog.NewTextHandler(logs, nil)),
		serve: func(ctx context.Context, conn net.Conn, id uint64, _ func(transport.Stream) (transport.Stream, error)) (string, string, error) {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.WriteString(conn, "hello\n"); err != nil {
				return "", "", err
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				return "", "", err
			}
			select {
			case entered <- struct{}{}:
			default: // nobody counts any more
			}
			if hold != nil {
				select {
				case <-hold:
				case <-ctx.Done():
				}
			}
			_, err = io.WriteString(conn, line)
			return "u", "done", err
		}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return srv, ln, logs
}

// echoOnce greets, sends line and returns the echo.
func echoOnce(addr, line string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := r.ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

// TestSessionWorkers: sessions one after another (served by one worker
// in turn) and many at once (each on its own, none waiting for another
// to end) are all served and logged, and cancelling stops the accept
// loop and every worker, idle or not.
func TestSessionWorkers(t *testing.T) {
	const together = 8
	entered, hold := make(chan struct{}, together), make(chan struct{})
	srv, ln, logs := echoServer(t, entered, hold)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		srv.acceptLoop(ctx, ln)
		srv.sessions.Wait()
		close(done)
	}()
	addr := ln.Addr().String()

	// At once: every session holds until all have been greeted and have
	// sent their line, which a session queued behind another never is.
	var wg sync.WaitGroup
	got := make([]string, together)
	errs := make([]error, together)
	for i := range together {
		wg.Go(func() { got[i], errs[i] = echoOnce(addr, strings.Repeat("x", i+1)) })
	}
	for i := range together {
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d sessions at once are running: the others wait", i, together)
		}
	}
	close(hold)
	wg.Wait()
	for i := range together {
		if want := strings.Repeat("x", i+1); errs[i] != nil || got[i] != want {
			t.Errorf("session %d at once: %q, %v; want %q", i, got[i], errs[i], want)
		}
	}
	// One after another, on the workers left idle.
	for i := range 20 {
		want := strings.Repeat("y", i+1)
		if got, err := echoOnce(addr, want); err != nil || got != want {
			t.Errorf("session %d in turn: %q, %v; want %q", i, got, err, want)
		}
	}
	cancel()
	ln.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the accept loop or a worker did not stop when cancelled")
	}
	ids := map[string]bool{}
	for _, m := range sessionEnd.FindAllStringSubmatch(logs.String(), -1) {
		ids[m[1]] = true
	}
	if len(ids) != together+20 {
		t.Errorf("%d sessions' ends logged, want %d:\n%s", len(ids), together+20, logs.String())
	}
}

var sessionEnd = regexp.MustCompile(`msg="echo session end" id=(\d+) remote=127\.0\.0\.1:\d+ user=u end=done duration=`)

// chanWriter hands each write to a channel.
type chanWriter chan string

func (w chanWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// TestLogBuffer: info lines go out together after the delay, in order;
// a warning goes out at once with the lines before it; Flush leaves
// nothing behind; a line larger than the buffer still goes out whole.
func TestLogBuffer(t *testing.T) {
	out := make(chanWriter, 100)
	const delay = 200 * time.Millisecond
	logs := newLogBuffer(out, delay)
	log := slog.New(flushingHandler{slog.NewTextHandler(logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}), logs})
	next := func(within time.Duration) string {
		t.Helper()
		select {
		case s := <-out:
			return s
		case <-time.After(within):
			t.Fatalf("nothing written within %v", within)
			return ""
		}
	}
	nothing := func(within time.Duration) {
		t.Helper()
		select {
		case s := <-out:
			t.Fatalf("written too early: %q", s)
		case <-time.After(within):
		}
	}

	start := time.Now()
	log.Info("one")
	log.Info("two")
	nothing(delay / 4)
	if diff := cmp.Diff("level=INFO msg=one\nlevel=INFO msg=two\n", next(10*time.Second)); diff != "" {
		t.Errorf("first batch (-want +got):\n%s", diff)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("the batch went out after %v, before the delay %v", d, delay)
	}

	log.Info("three")
	log.Warn("blocked")
	if diff := cmp.Diff("level=INFO msg=three\nlevel=WARN msg=blocked\n", next(delay/2)); diff != "" {
		t.Errorf("a warning's batch (-want +got):\n%s", diff)
	}

	log.Info("four")
	if err := logs.Flush(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("level=INFO msg=four\n", next(time.Second)); diff != "" {
		t.Errorf("flushed (-want +got):\n%s", diff)
	}
	nothing(2 * delay) // the timer of a flushed batch writes nothing

	big := strings.Repeat("b", maxLogBuffer)
	log.Info("five")
	log.Info(big)
	if diff := cmp.Diff("level=INFO msg=five\n", next(time.Second)); diff != "" {
		t.Errorf("before a large line (-want +got):\n%s", diff)
	}
	if got := next(time.Second); got != "level=INFO msg="+big+"\n" {
		t.Errorf("a large line came out as %d bytes, want it whole", len(got))
	}
}
