package dnsnet_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	mdns "github.com/miekg/dns"
)

// FuzzServerUDP feeds arbitrary datagrams to a server and checks the
// bad-input policy: at most one reply; none to less than a header or to a
// response; a reply carries the query's ID with QR set.
func FuzzServerUDP(f *testing.F) {
	q := new(mdns.Msg)
	q.SetQuestion("example.com.", mdns.TypeA)
	q.SetEdns0(1232, false)
	valid, _ := q.Pack()
	f.Add(valid)
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x'})
	f.Add(append([]byte{0, 1, 0x80, 0}, valid[4:]...))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 1500 {
			return
		}
		l := newQuietLab(t)
		l.serve(answerA(1))
		var replies [][]byte
		ln, err := l.client.ListenPacket(5353, func(_, _ netip.AddrPort, p []byte) { replies = append(replies, p) })
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if err := l.client.SendPacket(5353, serverAP, payload); err != nil {
			t.Fatal(err)
		}
		l.run()
		silent := len(payload) < 12 || payload[2]&0x80 != 0
		switch {
		case len(replies) > 1:
			t.Fatalf("%d replies to one datagram", len(replies))
		case silent && len(replies) > 0:
			t.Fatalf("replied to a datagram it must ignore: % x", payload)
		case !silent && len(replies) == 0:
			t.Fatalf("no reply to % x", payload)
		case len(replies) == 1:
			r := replies[0]
			if len(r) < 12 || binary.BigEndian.Uint16(r) != binary.BigEndian.Uint16(payload) || r[2]&0x80 == 0 {
				t.Fatalf("reply % x does not answer % x", r, payload)
			}
		}
	})
}
