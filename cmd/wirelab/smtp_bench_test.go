package main

import (
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// How many messages one benchmark iteration sends, spread evenly over the
// clients: enough for a steady rate at -benchtime 1x, fewer on disk, where
// every message is a file written and synced.
const (
	smtpBenchMessages     = 2000
	smtpBenchDiskMessages = 500
)

// smtpBenchBody is the message each transaction carries, about 1.5 KB.
var smtpBenchBody = "From: carol@example.com\r\nTo: bob@example.org\r\nSubject: benchmark\r\n" +
	"Message-ID: <bench@example.com>\r\n\r\n" +
	strings.Repeat("The quick brown fox jumps over the lazy dog, again and again.\r\n", 22)

// BenchmarkSMTPAccept measures messages accepted per second by wirelab
// serve's SMTP listener over loopback, with one and with 50 concurrent
// clients, keeping mail in memory or on disk (--data). Each client opens
// one connection, says EHLO once and then runs one transaction per
// message on it (MAIL, RCPT, DATA, the text, "."; a successful DATA ends
// the transaction, RFC 5321 §4.1.1.4), waiting for each reply: no
// PIPELINING, as most clients send. The "conn-per-message" case opens a
// connection for every message instead (greeting, EHLO, transaction,
// QUIT). Every message goes to bob, so the store's append path is
// measured too.
func BenchmarkSMTPAccept(b *testing.B) {
	for _, tc := range []struct {
		name       string
		clients    int
		data       bool
		connPerMsg bool
	}{
		{name: "memory/clients=1", clients: 1},
		{name: "memory/clients=50", clients: 50},
		{name: "memory/clients=1/conn-per-message", clients: 1, connPerMsg: true},
		{name: "data/clients=1", clients: 1, data: true},
		{name: "data/clients=50", clients: 50, data: true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var args []string
			if tc.data {
				args = append(args, "--data", b.TempDir())
			}
			srv := startServe(b, args...)
			addr := srv.addrs["smtp"]
			n := smtpBenchMessages
			if tc.data {
				n = smtpBenchDiskMessages
			}
			var elapsed time.Duration
			sent := 0
			for b.Loop() {
				start := time.Now()
				if err := smtpBenchRound(addr, tc.clients, n, tc.connPerMsg); err != nil {
					b.Fatalf("%v\nserver log:\n%s", err, srv.stderr)
				}
				elapsed += time.Since(start)
				sent += n
			}
			b.ReportMetric(float64(sent)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// smtpBenchRound sends n messages over clients concurrent clients and
// returns the first error any of them met.
func smtpBenchRound(addr string, clients, n int, connPerMsg bool) error {
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		count := n / clients
		if c < n%clients {
			count++
		}
		wg.Go(func() {
			var err error
			if connPerMsg {
				for i := 0; i < count && err == nil; i++ {
					err = smtpBenchSession(addr, 1)
				}
			} else {
				err = smtpBenchSession(addr, count)
			}
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", c, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// smtpBenchSession connects, says EHLO, sends count messages to bob, one
// transaction each, and quits.
func smtpBenchSession(addr string, count int) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c := textproto.NewConn(nc)
	defer c.Close()
	if _, _, err := c.ReadResponse(220); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	cmd := func(code int, format string, args ...any) error {
		id, err := c.Cmd(format, args...)
		if err != nil {
			return err
		}
		c.StartResponse(id)
		defer c.EndResponse(id)
		if _, msg, err := c.ReadResponse(code); err != nil {
			return fmt.Errorf("%s: %w (%s)", fmt.Sprintf(format, args...), err, msg)
		}
		return nil
	}
	if err := cmd(250, "EHLO bench.example.net"); err != nil {
		return err
	}
	for range count {
		if err := cmd(250, "MAIL FROM:<carol@example.com>"); err != nil {
			return err
		}
		if err := cmd(250, "RCPT TO:<bob@example.org>"); err != nil {
			return err
		}
		if err := cmd(354, "DATA"); err != nil {
			return err
		}
		// The body has no line starting with ".", and DotWriter would
		// stuff one if it had (RFC 5321 §4.5.2).
		w := c.DotWriter()
		if _, err := w.Write([]byte(smtpBenchBody)); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		if _, msg, err := c.ReadResponse(250); err != nil {
			return fmt.Errorf("end of data: %w (%s)", err, msg)
		}
	}
	return cmd(221, "QUIT")
}
