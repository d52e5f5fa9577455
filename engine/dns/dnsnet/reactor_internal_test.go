package dnsnet

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/transport"
)

// Once a clock's streams are closed its reactor leaves the table, so the
// table holds no clock longer than its connections.
func TestReactorLeavesTable(t *testing.T) {
	clk := clock.NewVirtual(time.Time{})
	n := transport.NewNetwork(clk, rand.New(rand.NewPCG(1, 1)))
	n.DefaultLink = transport.Link{Latency: 5 * time.Millisecond}
	a, _ := n.AddHost("a", netip.MustParseAddr("192.0.2.1"))
	b, _ := n.AddHost("b", netip.MustParseAddr("192.0.2.2"))
	srv, err := Serve(b, 53, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Request) {
		m := new(mdns.Msg)
		m.SetReply(r.Msg)
		w.WriteMsg(m)
	}), ServerOptions{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := &Client{Node: a, Clock: clk, TCP: true}
	var got error = ErrTimeout
	c.Exchange(netip.MustParseAddrPort("192.0.2.2:53"), dns.NewQuery(dns.NewIDs(1), "x.example", mdns.TypeA, false), func(_ *mdns.Msg, err error) { got = err })
	inTable := func() bool {
		reactors.mu.Lock()
		defer reactors.mu.Unlock()
		return reactors.m[clk] != nil
	}
	if !inTable() {
		t.Fatal("no reactor while a stream is open")
	}
	clk.RunUntilIdle(1000)
	if got != nil {
		t.Fatal(got)
	}
	if inTable() {
		t.Error("reactor still in the table after every stream closed")
	}
	if p := clk.Pending(); p != 0 {
		t.Errorf("%d timers pending", p)
	}
}

func TestFramer(t *testing.T) {
	var f framer
	msg := func(b ...byte) []byte { return append([]byte{0, byte(len(b))}, b...) }
	stream := append(append(msg(1, 2, 3), msg()...), msg(9, 9)...)
	var got [][]byte
	for _, c := range stream { // one octet at a time
		got = append(got, f.push([]byte{c})...)
	}
	if len(got) != 3 || string(got[0]) != "\x01\x02\x03" || len(got[1]) != 0 || string(got[2]) != "\x09\x09" || f.pending() != 0 {
		t.Errorf("got %q, %d pending", got, f.pending())
	}
}
