package imap_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/transport"
)

// streamEnv gives alice a mailbox "Many" of n messages of about 1 KB.
func streamEnv(t *testing.T, n int) *env {
	t.Helper()
	e := newEnv(t)
	if err := e.store.CreateMailbox("alice", "Many"); err != nil {
		t.Fatal(err)
	}
	var msgs []mailstore.NewMessage
	for i := range n {
		msgs = append(msgs, mailstore.NewMessage{
			Raw:          fmt.Appendf(nil, "Subject: message %d\r\n\r\n%s", i, strings.Repeat("streamed body line\r\n", 50)),
			InternalDate: testNow,
		})
	}
	if _, err := e.store.DeliverBatch("alice", "Many", msgs); err != nil {
		t.Fatal(err)
	}
	return e
}

// A streamed FETCH says exactly what a whole one says, in parts of about
// the chunk size, and a command pipelined behind it is answered after its
// last part.
func TestStreamedFetch(t *testing.T) {
	const n, chunk = 300, 16 << 10
	e := streamEnv(t, n)
	// EXAMINE: both sessions see the same \Recent.
	input := "s EXAMINE Many\r\nf FETCH 1:* (UID FLAGS BODY.PEEK[])\r\nn NOOP\r\n"

	whole := e.login(t, "alice")
	var want bytes.Buffer
	for _, r := range whole.Feed([]byte(input), testNow) {
		if r.More {
			t.Fatal("a session not asked to stream answered in parts")
		}
		want.Write(r.Data)
	}

	parted := e.login(t, "alice")
	parted.Stream(chunk)
	var got bytes.Buffer
	parts := 0
	p := []byte(input)
	for {
		rs := parted.Feed(p, testNow)
		p = nil
		for i, r := range rs {
			if r.More && i != len(rs)-1 {
				t.Fatalf("reply %d of %d says More", i, len(rs))
			}
			got.Write(r.Data)
		}
		if len(rs) == 0 || !rs[len(rs)-1].More {
			break
		}
		parts++
		if size := len(rs[len(rs)-1].Data); size < chunk || size > chunk+4<<10 {
			t.Errorf("part %d is %d octets; want about %d", parts, size, chunk)
		}
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("streamed FETCH differs from the whole one (-whole +streamed):\n%s", diff)
	}
	if min := want.Len() / (chunk + 4<<10); parts < min {
		t.Errorf("%d parts for %d octets; want at least %d", parts, want.Len(), min)
	}
	if !strings.HasSuffix(got.String(), "f OK FETCH completed\r\nn OK NOOP completed\r\n") {
		t.Errorf("end of the stream: %q", got.String()[max(0, got.Len()-200):])
	}
}

// A session that goes away in the middle of a streamed FETCH lets go of it:
// nothing of the command keeps running.
func TestStreamedFetchAbort(t *testing.T) {
	e := streamEnv(t, 300)
	before := runtime.NumGoroutine()
	s := e.login(t, "alice")
	s.Stream(4 << 10)
	feed(s, "s SELECT Many")
	rs := s.Feed([]byte("f FETCH 1:* BODY.PEEK[]\r\n"), testNow)
	if len(rs) != 1 || !rs[0].More {
		t.Fatalf("FETCH did not stream: %d replies", len(rs))
	}
	s.Abort()
	if rs := s.Feed(nil, testNow); len(rs) != 0 {
		t.Errorf("after Abort, Feed gave %d replies", len(rs))
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("goroutines: %d before, %d after the abort", before, runtime.NumGoroutine())
}

// Over a connection, Serve streams long responses and the client gets every
// message whole.
func TestServeStreamsFetch(t *testing.T) {
	const n = 400
	e := streamEnv(t, n)
	client, server := transport.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := imap.Serve(context.Background(), e.cfg, server, imap.ServeOptions{})
		done <- err
	}()
	go func() {
		io.WriteString(client, "a LOGIN alice wonderland\r\nb SELECT Many\r\nc FETCH 1:* BODY.PEEK[]\r\nd LOGOUT\r\n")
	}()
	all, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := string(all)
	if got := strings.Count(out, "streamed body line\r\n"); got != n*50 {
		t.Errorf("%d body lines arrived; want %d", got, n*50)
	}
	for _, want := range []string{fmt.Sprintf("* %d FETCH (BODY[] {", n), "c OK FETCH completed\r\n", "d OK LOGOUT completed\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the session", want)
		}
	}
}
