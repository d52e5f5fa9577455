package authority_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
)

// withEDNS adds an OPT record to q.
func withEDNS(q *mdns.Msg, size uint16, version uint8, do bool) *mdns.Msg {
	q.SetEdns0(size, do)
	q.IsEdns0().SetVersion(version)
	return q
}

func TestProtocol(t *testing.T) {
	bigTXT := func() []string {
		var out []string
		for i := 1; i <= 8; i++ {
			out = append(out, "big.example.com. 3600 IN TXT \"0123456789012345678901234567890123456789012345678901234567890-0"+string(rune('0'+i))+"\"")
		}
		return out
	}()
	tests := []struct {
		name string
		q    func() *mdns.Msg
		tcp  bool
		want result
	}{
		{
			name: "RD is echoed, RA stays clear",
			q:    func() *mdns.Msg { return dnsQuery("web.example.com.", mdns.TypeA, true) },
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa rd",
				Question: []string{"web.example.com. IN A"}, Answer: []string{web80, web81, web82}},
		},
		{
			name: "no question: FORMERR",
			q: func() *mdns.Msg {
				m := query("web.example.com.", mdns.TypeA)
				m.Question = nil
				return m
			},
			want: result{Opcode: "QUERY", Rcode: "FORMERR", Flags: "qr"},
		},
		{
			name: "two questions: FORMERR",
			q: func() *mdns.Msg {
				m := query("web.example.com.", mdns.TypeA)
				m.Question = append(m.Question, mdns.Question{Name: "www.example.com.", Qtype: mdns.TypeA, Qclass: mdns.ClassINET})
				return m
			},
			want: result{Opcode: "QUERY", Rcode: "FORMERR", Flags: "qr"},
		},
		{
			name: "IQUERY: NOTIMP",
			q: func() *mdns.Msg {
				m := query("web.example.com.", mdns.TypeA)
				m.Opcode = mdns.OpcodeIQuery
				return m
			},
			want: result{Opcode: "IQUERY", Rcode: "NOTIMP", Flags: "qr", Question: []string{"web.example.com. IN A"}},
		},
		{
			name: "STATUS: NOTIMP",
			q: func() *mdns.Msg {
				m := query("web.example.com.", mdns.TypeA)
				m.Opcode = mdns.OpcodeStatus
				return m
			},
			want: result{Opcode: "STATUS", Rcode: "NOTIMP", Flags: "qr", Question: []string{"web.example.com. IN A"}},
		},
		{
			name: "class CH: REFUSED",
			q: func() *mdns.Msg {
				m := query("version.bind.", mdns.TypeTXT)
				m.Question[0].Qclass = mdns.ClassCHAOS
				return m
			},
			want: result{Opcode: "QUERY", Rcode: "REFUSED", Flags: "qr", Question: []string{"version.bind. CH TXT"}},
		},
		{
			name: "EDNS: the server's OPT echoes DO and gives its own size",
			q:    func() *mdns.Msg { return withEDNS(query("short.example.com.", mdns.TypeA), 4096, 0, true) },
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"short.example.com. IN A"},
				Answer: []string{"short.example.com. 30 IN A 203.0.113.30"}, EDNS: "version 0 udp 1232 do"},
		},
		{
			name: "EDNS version 1: BADVERS with version 0 (RFC 6891 §6.1.3)",
			q:    func() *mdns.Msg { return withEDNS(query("short.example.com.", mdns.TypeA), 4096, 1, false) },
			want: result{Opcode: "QUERY", Rcode: "BADVERS", Flags: "qr", Question: []string{"short.example.com. IN A"},
				EDNS: "version 0 udp 1232"},
		},
		{
			name: "two OPT records: FORMERR (RFC 6891 §6.1.1)",
			q: func() *mdns.Msg {
				m := withEDNS(query("short.example.com.", mdns.TypeA), 4096, 0, false)
				m.Extra = append(m.Extra, mdns.Copy(m.Extra[0]))
				return m
			},
			want: result{Opcode: "QUERY", Rcode: "FORMERR", Flags: "qr"},
		},
		{
			name: "too big for 512 bytes over UDP: TC, empty sections",
			q:    func() *mdns.Msg { return query("big.example.com.", mdns.TypeTXT) },
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa tc", Question: []string{"big.example.com. IN TXT"}},
		},
		{
			name: "an EDNS size below 512 counts as 512",
			q:    func() *mdns.Msg { return withEDNS(query("big.example.com.", mdns.TypeTXT), 100, 0, false) },
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa tc", Question: []string{"big.example.com. IN TXT"},
				EDNS: "version 0 udp 1232"},
		},
		{
			name: "the client's EDNS size is honoured",
			q:    func() *mdns.Msg { return withEDNS(query("big.example.com.", mdns.TypeTXT), 1232, 0, false) },
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"big.example.com. IN TXT"},
				Answer: bigTXT, EDNS: "version 0 udp 1232"},
		},
		{
			name: "over TCP nothing is truncated",
			q:    func() *mdns.Msg { return query("big.example.com.", mdns.TypeTXT) },
			tcp:  true,
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"big.example.com. IN TXT"},
				Answer: bigTXT},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summarize(ask(t, authServer(t), tc.q(), tc.tcp))
			if diff := cmp.Diff(tc.want, got, equate); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func dnsQuery(name string, qtype uint16, rd bool) *mdns.Msg {
	return dns.NewQuery(ids, name, qtype, rd)
}

func TestResponsesAreNotAnswered(t *testing.T) {
	s := authServer(t)
	m := query("web.example.com.", mdns.TypeA)
	m.Response = true
	if out := exchange(t, s, m, false); len(out) != 0 {
		t.Errorf("answered a response: %v", out)
	}
	if got := s.Stats().Dropped; got != 1 {
		t.Errorf("Dropped = %d, want 1", got)
	}
}

func TestFormErr(t *testing.T) {
	q, err := query("web.example.com.", mdns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	q[2] |= 0x01 // RD
	tests := []struct {
		name string
		wire []byte
		want []byte
	}{
		{"shorter than a header: nothing", q[:11], nil},
		{"empty: nothing", nil, nil},
		{"a header with a broken question", append(q[:12:12], 3, 'w', 'w'), []byte{q[0], q[1], 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"the opcode is kept", []byte{0xab, 0xcd, 0x28, 0, 0, 1, 0, 0, 0, 0, 0, 0}, []byte{0xab, 0xcd, 0xa8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"a response: nothing", []byte{0xab, 0xcd, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := authority.FormErr(tc.wire); !bytes.Equal(got, tc.want) {
				t.Errorf("FormErr(% x) = % x, want % x", tc.wire, got, tc.want)
			}
		})
	}
}

func TestServeUnparsedWire(t *testing.T) {
	s := authServer(t)
	q, err := query("web.example.com.", mdns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	var w recorder
	s.ServeDNS(&w, &dns.Request{Wire: q[:20], From: client, To: primary})
	if len(w.msgs) != 1 {
		t.Fatalf("%d answers to a broken message, want 1", len(w.msgs))
	}
	if got := summarize(w.msgs[0]); got.Rcode != "FORMERR" || w.msgs[0].Id != uint16(q[0])<<8|uint16(q[1]) {
		t.Errorf("answer %+v, id %d", got, w.msgs[0].Id)
	}
	w.msgs = nil
	s.ServeDNS(&w, &dns.Request{Wire: q, From: client, To: primary}) // a Request with only wire bytes
	if len(w.msgs) != 1 || len(w.msgs[0].Answer) != 3 {
		t.Errorf("answer to wire bytes: %v", w.msgs)
	}
	w.msgs = nil
	s.ServeDNS(&w, &dns.Request{Wire: q[:5]})
	if len(w.msgs) != 0 {
		t.Errorf("answered a runt: %v", w.msgs)
	}
}

func TestStats(t *testing.T) {
	s := authServer(t)
	ask(t, s, query("web.example.com.", mdns.TypeA), false)
	ask(t, s, query("web.example.com.", mdns.TypeA), false)
	ask(t, s, query("nope.example.com.", mdns.TypeA), false)
	ask(t, s, query("www.example.net.", mdns.TypeA), false)
	m := query("web.example.com.", mdns.TypeA)
	m.Opcode = mdns.OpcodeStatus
	ask(t, s, m, false)
	r := query("web.example.com.", mdns.TypeA)
	r.Response = true
	exchange(t, s, r, false)
	want := authority.Stats{
		Requests:  map[string]uint64{"QUERY": 4, "STATUS": 1},
		Responses: map[string]uint64{"NOERROR": 2, "NXDOMAIN": 1, "REFUSED": 1, "NOTIMP": 1},
		Dropped:   1,
	}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats() (-want +got):\n%s", diff)
	}
}

func TestSecondaryWithoutCopyFails(t *testing.T) {
	s := &authority.Server{}
	if err := s.AddSecondary("example.com.", primary.Addr()); err != nil {
		t.Fatal(err)
	}
	got := summarize(ask(t, s, query("www.example.com.", mdns.TypeA), false))
	if got.Rcode != "SERVFAIL" || got.Flags != "qr" {
		t.Errorf("a secondary with no copy answered %+v, want SERVFAIL", got)
	}
	if err := s.AddPrimary(mustZone(t, "example.com.", exampleCom)); err == nil {
		t.Error("serving example.com twice succeeded")
	}
}

func TestZonesAndSerial(t *testing.T) {
	s := newServer(t, "example.com.", exampleCom, ".", rootZone, "com.", comZone)
	if diff := cmp.Diff([]string{".", "com.", "example.com."}, s.Zones()); diff != "" {
		t.Errorf("Zones() (-want +got):\n%s", diff)
	}
	if serial, ok := s.Serial("Example.COM"); !ok || serial != 2024010101 {
		t.Errorf("Serial(example.com) = %d, %v", serial, ok)
	}
	if _, ok := s.Serial("example.org."); ok {
		t.Error("Serial(example.org) found a zone")
	}
	z := s.Zone("example.com.")
	z.IncrementSerial() // a copy: the server's zone does not move
	if serial, _ := s.Serial("example.com."); serial != 2024010101 {
		t.Errorf("changing Zone()'s result changed the server: serial %d", serial)
	}
}
