package main

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/world"
)

// udpFrontend runs the demo world's local DNS server on a real UDP socket
// on 127.0.0.1, with its rate limit on the clock now and limiting loopback
// sources too unless exemptLoopback.
func udpFrontend(t *testing.T, now func() time.Time, exemptLoopback bool) netip.AddrPort {
	t.Helper()
	l, err := lab.Build(world.Demo(), lab.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	fe, err := newDNSFrontend(l, firstResolver(l), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	exempt := func(netip.Addr) bool { return false }
	if exemptLoopback {
		exempt = func(a netip.Addr) bool { return a.IsLoopback() }
	}
	fe.limit = newDNSLimiter(now, exempt)
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { fe.serveUDP(t.Context(), pc) })
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return addrPort(pc.LocalAddr())
}

// udpAsk sends one query from conn and returns the answer, or nil when
// none came within wait.
func udpAsk(t *testing.T, conn *net.UDPConn, server netip.AddrPort, name string, qtype uint16, id uint16, wait time.Duration) *mdns.Msg {
	t.Helper()
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	q.Id = id
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteToUDPAddrPort(wire, server); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	for {
		conn.SetReadDeadline(time.Now().Add(wait))
		n, _, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil
		}
		m := new(mdns.Msg)
		if m.Unpack(buf[:n]) == nil && m.Id == id {
			return m
		}
	}
}

func clientFrom(t *testing.T, local string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local+":0")))
	if err != nil {
		t.Skipf("cannot send from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDNSNotOpenResolver: names outside the world's zones are REFUSED at
// once; the world's names, and the root itself, are answered from the
// world's data alone.
func TestDNSNotOpenResolver(t *testing.T) {
	srv := udpFrontend(t, time.Now, true)
	c := clientFrom(t, "127.0.0.1")
	for i, tc := range []struct {
		name  string
		qtype uint16
		rcode int
	}{
		{"www.example.com.", mdns.TypeA, mdns.RcodeSuccess},
		{"WWW.Example.COM.", mdns.TypeA, mdns.RcodeSuccess},
		{"nosuch.example.com.", mdns.TypeA, mdns.RcodeNameError},
		{"example.kr.", mdns.TypeSOA, mdns.RcodeSuccess},
		{".", mdns.TypeNS, mdns.RcodeSuccess},
		// com is the world's: its com zone says google.com is not there.
		{"www.google.com.", mdns.TypeA, mdns.RcodeNameError},
		{"www.example.co.uk.", mdns.TypeA, mdns.RcodeRefused},
		{"example.invalid.", mdns.TypeA, mdns.RcodeRefused},
		{"com.evil.", mdns.TypeANY, mdns.RcodeRefused},
		{"1.2.0.192.in-addr.arpa.", mdns.TypePTR, mdns.RcodeRefused},
	} {
		m := udpAsk(t, c, srv, tc.name, tc.qtype, uint16(i+1), 5*time.Second)
		if m == nil {
			t.Errorf("%s %s: no answer", tc.name, mdns.TypeToString[tc.qtype])
			continue
		}
		if m.Rcode != tc.rcode {
			t.Errorf("%s %s: %s, want %s", tc.name, mdns.TypeToString[tc.qtype], mdns.RcodeToString[m.Rcode], mdns.RcodeToString[tc.rcode])
		}
	}
}

// TestDNSRateLimit floods the UDP listener from one source on a frozen
// clock: the first DNSBurstPerSource queries are answered, then every
// DNSSlip-th gets an empty truncated answer and the rest nothing; another
// source is not affected; a second of refill answers DNSRatePerSource
// more. Loopback sources, as serve runs it, are not limited at all.
func TestDNSRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := udpFrontend(t, clock, false)
	c := clientFrom(t, "127.0.0.1")
	id := uint16(0)
	ask := func(c *net.UDPConn, wait time.Duration) *mdns.Msg {
		id++
		return udpAsk(t, c, srv, "www.example.com.", mdns.TypeA, id, wait)
	}
	for i := range DNSBurstPerSource {
		if m := ask(c, 5*time.Second); m == nil || m.Truncated || len(m.Answer) == 0 {
			t.Fatalf("query %d within the burst: %v", i+1, m)
		}
	}
	const over = 10
	var slipped, dropped int
	for range over {
		// A dropped query is told from a slow answer by waiting long
		// enough for a loaded machine.
		switch m := ask(c, time.Second); {
		case m == nil:
			dropped++
		case m.Truncated && len(m.Answer) == 0 && len(m.Question) == 1:
			slipped++
		default:
			t.Errorf("over the limit: a full answer %v", m)
		}
	}
	if slipped != over/DNSSlip || dropped != over-over/DNSSlip {
		t.Errorf("over the limit: %d truncated, %d dropped; want %d and %d", slipped, dropped, over/DNSSlip, over-over/DNSSlip)
	}
	if other := clientFrom(t, "127.0.0.2"); ask(other, 5*time.Second) == nil {
		t.Error("another source got no answer")
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	for i := range DNSRatePerSource {
		if m := ask(c, 5*time.Second); m == nil || m.Truncated {
			t.Fatalf("query %d after a second's refill: %v", i+1, m)
		}
	}
	if m := ask(c, 200*time.Millisecond); m != nil && !m.Truncated {
		t.Error("the refill gave more than DNSRatePerSource")
	}

	t.Run("loopback exempt", func(t *testing.T) {
		srv := udpFrontend(t, clock, true)
		c := clientFrom(t, "127.0.0.1")
		for i := range DNSBurstPerSource + 50 {
			id++
			if m := udpAsk(t, c, srv, "www.example.com.", mdns.TypeA, id, 5*time.Second); m == nil || m.Truncated {
				t.Fatalf("loopback query %d: %v", i+1, m)
			}
		}
	})
}

// TestDNSLimiterTable: the table of sources stays bounded.
func TestDNSLimiterTable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newDNSLimiter(func() time.Time { return now }, func(netip.Addr) bool { return false })
	for i := range DNSMaxRateSources + 100 {
		l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	if n := len(l.buckets); n > DNSMaxRateSources {
		t.Errorf("%d sources tracked, want at most %d", n, DNSMaxRateSources)
	}
}
