package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestAppendWithNagleDoesNotStall appends messages the way imaplib does
// with Nagle's algorithm on: the literal and its closing CRLF in two
// writes, the second held by the client's kernel until the first is
// acknowledged. A server that delays that ACK stalls about 40 ms per
// APPEND; wirelab acknowledges at once (quickAckConn).
func TestAppendWithNagleDoesNotStall(t *testing.T) {
	srv := startServe(t)
	c, err := net.Dial("tcp", srv.addrs["imap"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.(*net.TCPConn).SetNoDelay(false); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	expect := func(prefix string) {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %q: %v", prefix, err)
			}
			if strings.HasPrefix(line, prefix) {
				return
			}
			if !strings.HasPrefix(line, "* ") {
				t.Fatalf("waiting for %q, got %q", prefix, line)
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	expect("* OK")
	send("a LOGIN alice wonderland\r\n")
	expect("a OK")
	const n = 20
	msg := "Subject: nagle\r\n\r\nA small message.\r\n"
	start := time.Now()
	for i := range n {
		send(fmt.Sprintf("b%d APPEND INBOX {%d}\r\n", i, len(msg)))
		expect("+")
		send(msg)    // RFC 3501 §4.3: the literal ...
		send("\r\n") // ... and the end of the command, a second small write
		expect(fmt.Sprintf("b%d OK", i))
	}
	// Stalling costs at least n × 40 ms; not stalling, well under a
	// millisecond each, so half the stall bound leaves room for a busy
	// machine.
	if d := time.Since(start); d > n*20*time.Millisecond {
		t.Errorf("%d APPENDs with Nagle on took %s: the server delays its ACKs", n, d)
	}
}
