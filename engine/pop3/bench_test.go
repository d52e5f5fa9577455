package pop3_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
)

// BenchmarkRETR measures the session alone: RETR of the demo world's
// lecture notes (over 100 KB) through Session.Feed, read from the store and
// byte-stuffed each time.
func BenchmarkRETR(b *testing.B) {
	e, s := aliceSession(b)
	n, octets := 0, int64(0)
	for i, m := range e.inbox(b, "alice") {
		if m.VSize > 100_000 {
			n, octets = i+1, m.VSize
		}
	}
	if n == 0 {
		b.Fatal("the demo world has no message over 100 KB")
	}
	cmd := []byte(fmt.Sprintf("RETR %d\r\n", n))
	b.SetBytes(octets)
	b.ReportAllocs()
	for b.Loop() {
		r := s.Feed(cmd, clock.Epoch)
		if len(r) != 1 || int64(len(r[0].Data)) < octets {
			b.Fatalf("RETR %d: %d replies", n, len(r))
		}
	}
}

// BenchmarkSession measures whole connections through Serve over a pipe,
// the client waiting for each answer as a mail client does: login, STAT,
// LIST, UIDL, RETR of every message, QUIT.
func BenchmarkSession(b *testing.B) {
	e := demoEnv(b)
	n := len(e.inbox(b, "alice"))
	sessions := 0
	b.ReportAllocs()
	for b.Loop() {
		c := e.dial(b, b.Context(), pop3.ServeOptions{})
		c.line()
		c.login("alice", "wonderland")
		c.send("STAT")
		c.line()
		c.send("LIST")
		c.multi()
		c.send("UIDL")
		c.multi()
		for i := 1; i <= n; i++ {
			c.send(fmt.Sprintf("RETR %d", i))
			c.multi()
		}
		c.send("QUIT")
		c.line()
		c.rest()
		if res := c.wait(); res.err != nil {
			b.Fatal(res.err)
		}
		sessions++
	}
	b.ReportMetric(float64(sessions)/b.Elapsed().Seconds(), "sessions/s")
}

// BenchmarkRETRAll10k measures a session that downloads a maildrop of
// 10,000 messages: login (which lists the maildrop), RETR of each message
// and QUIT.
func BenchmarkRETRAll10k(b *testing.B) {
	const count = 10_000
	e := newEnv(b, map[string]string{"bulk": "{PLAIN}pw"})
	if err := e.store.EnsureUser("bulk"); err != nil {
		b.Fatal(err)
	}
	batch := make([]mailstore.NewMessage, count)
	var total int64
	for i := range batch {
		// Messages of 1 to 4 KB, one line in eight starting with a dot.
		var body strings.Builder
		for l := range 20 + i%60 {
			if l%8 == 0 {
				body.WriteString(".")
			}
			fmt.Fprintf(&body, "line %d of message %d, padded to look like prose.\n", l, i+1)
		}
		raw := fmt.Sprintf("From: list@example.org\nTo: bulk@example.com\nSubject: digest %d\n\n%s", i+1, body.String())
		// Already \Seen, so QUIT has nothing to rename after the first run
		// either.
		batch[i] = mailstore.NewMessage{Raw: []byte(raw), Flags: []mailstore.Flag{mailstore.FlagSeen}, InternalDate: clock.Epoch}
		total += int64(len(crlf([]byte(raw))))
	}
	if _, err := e.store.DeliverBatch("bulk", mailstore.Inbox, batch); err != nil {
		b.Fatal(err)
	}
	cmds := make([][]byte, count)
	for i := range cmds {
		cmds[i] = []byte(fmt.Sprintf("RETR %d\r\n", i+1))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		s := e.session()
		login(b, s, "bulk", "pw")
		var got int64
		for _, cmd := range cmds {
			r := s.Feed(cmd, clock.Epoch)
			if len(r) != 1 {
				b.Fatalf("%q: %d replies", cmd, len(r))
			}
			got += int64(len(r[0].Data))
		}
		if got < total {
			b.Fatalf("received %d octets, the maildrop has %d", got, total)
		}
		if r := s.Feed([]byte("QUIT\r\n"), clock.Epoch); len(r) != 1 || !r[0].Close {
			b.Fatalf("QUIT: %+v", r)
		}
	}
}
