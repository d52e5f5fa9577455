package authority_test

import (
	"encoding/binary"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
	"github.com/wirelab/wirelab/engine/dns/zone"
)

// FuzzServeDNS feeds the server arbitrary bytes as they would arrive from
// the network. It must never panic, must never answer a response or a runt,
// and every answer must pack, be a response with the request's ID, and fit
// the transport: 512 bytes or the client's EDNS size over UDP, 64 KiB over
// TCP.
func FuzzServeDNS(f *testing.F) {
	seed := func(m *mdns.Msg) {
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire, false)
		f.Add(wire, true)
	}
	seed(query("www.example.com.", mdns.TypeA))
	seed(query("big.example.com.", mdns.TypeTXT))
	seed(query("foo.wild.example.com.", mdns.TypeANY))
	seed(withEDNS(query("example.com.", mdns.TypeMX), 4096, 0, true))
	seed(withEDNS(query("example.com.", mdns.TypeMX), 4096, 3, true))
	seed(query("example.com.", mdns.TypeAXFR))
	seed(query("example.org.", mdns.TypeIXFR))
	u := newUpdate("example.com.")
	u.Insert([]mdns.RR{&mdns.A{Hdr: mdns.RR_Header{Name: "new.example.com.", Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 60}, A: []byte{192, 0, 2, 1}}})
	u.RemoveRRset([]mdns.RR{&mdns.ANY{Hdr: mdns.RR_Header{Name: "web.example.com.", Rrtype: mdns.TypeA}}})
	u.NameUsed([]mdns.RR{&mdns.ANY{Hdr: mdns.RR_Header{Name: "www.example.com."}}})
	seed(u)
	seed(authority.NotifyMsg(ids, "example.net.", nil))
	f.Add([]byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c}, false) // a pointer loop
	f.Add([]byte{0x12, 0x34, 0x81}, false)

	zones := []*zone.Zone{
		mustZone(f, "example.com.", exampleCom),
		mustZone(f, "example.org.", exampleOrg),
	}
	f.Fuzz(func(t *testing.T, wire []byte, tcp bool) {
		s := &authority.Server{}
		for _, z := range zones {
			if err := s.AddPrimary(z); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddSecondary("example.net."); err != nil {
			t.Fatal(err)
		}
		var req *mdns.Msg
		if m := new(mdns.Msg); m.Unpack(wire) == nil {
			req = m
		}
		var w recorder
		s.ServeDNS(&w, &dns.Request{Msg: req, Wire: wire, From: client, To: primary, TCP: tcp})

		if len(wire) < 12 || wire[2]&0x80 != 0 {
			if len(w.msgs) != 0 {
				t.Fatalf("answered a runt or a response: %v", w.msgs)
			}
			return
		}
		if len(w.msgs) == 0 {
			t.Fatal("no answer")
		}
		if len(w.msgs) > 1 && !tcp {
			t.Fatalf("%d answers over UDP", len(w.msgs))
		}
		limit := 512
		if req != nil {
			if opt := req.IsEdns0(); opt != nil {
				limit = max(limit, int(opt.UDPSize()))
			}
		}
		if tcp {
			limit = 65535
		}
		for _, m := range w.msgs {
			out, err := m.Pack()
			if err != nil {
				t.Fatalf("answer does not pack: %v\n%v", err, m)
			}
			if len(out) > limit {
				t.Fatalf("answer of %d bytes, limit %d", len(out), limit)
			}
			if !m.Response || m.Id != binary.BigEndian.Uint16(wire) {
				t.Fatalf("answer header %v to ID %d", &m.MsgHdr, binary.BigEndian.Uint16(wire))
			}
		}
	})
}
