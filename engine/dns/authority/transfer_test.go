package authority_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
)

// transfer asks p for an AXFR of zone over TCP, as a secondary would.
func transfer(t *testing.T, p *authority.Server, zone string) []*mdns.Msg {
	t.Helper()
	q := query(zone, mdns.TypeAXFR)
	msgs, err := p.Transfer(&dns.Request{Msg: q, From: client, To: primary, TCP: true})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

type notified struct {
	Zone string
	From netip.AddrPort
}

// TestNotifyAndTransfer walks a change from the primary to the secondary
// in-process: UPDATE on the primary, OnChange, NOTIFY to the secondary,
// OnNotify, the serial check and the transfer. Until the transfer is
// applied the secondary serves its old copy.
func TestNotifyAndTransfer(t *testing.T) {
	p := newServer(t, "example.com.", exampleCom)
	var changes []change
	p.OnChange = func(zone string, serial uint32) { changes = append(changes, change{zone, serial}) }

	sec := &authority.Server{}
	if err := sec.AddSecondary("example.com.", primary.Addr()); err != nil {
		t.Fatal(err)
	}
	var notifies []notified
	sec.OnNotify = func(zone string, from netip.AddrPort) { notifies = append(notifies, notified{zone, from}) }
	var secChanges []change
	sec.OnChange = func(zone string, serial uint32) { secChanges = append(secChanges, change{zone, serial}) }

	// The first load.
	pSerial, _ := p.Serial("example.com.")
	if !sec.NeedsTransfer("example.com.", pSerial) {
		t.Fatal("a secondary without a copy does not need a transfer")
	}
	if err := sec.ApplyTransfer("example.com.", transfer(t, p, "example.com.")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Zone("example.com.").String(), sec.Zone("example.com.").String()); diff != "" {
		t.Errorf("secondary's copy (-primary +secondary):\n%s", diff)
	}
	if sec.NeedsTransfer("example.com.", pSerial) {
		t.Error("NeedsTransfer with the same serial")
	}
	got := summarize(ask(t, sec, query("www.example.com.", mdns.TypeA), false))
	if diff := cmp.Diff([]string{"www.example.com. 3600 IN CNAME web.example.com.", web80, web81, web82}, got.Answer); diff != "" || got.Flags != "qr aa" {
		t.Errorf("secondary's answer %s (-want +got):\n%s", got.Flags, diff)
	}

	// A change on the primary.
	u := newUpdate("example.com.")
	u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
	if got := ask(t, p, u, false); got.Rcode != mdns.RcodeSuccess {
		t.Fatalf("update: %v", got)
	}
	if diff := cmp.Diff([]change{{"example.com.", serial0 + 1}}, changes); diff != "" {
		t.Fatalf("primary's OnChange (-want +got):\n%s", diff)
	}

	// The network layer sends NOTIFY.
	n := authority.NotifyMsg(ids, changes[0].Zone, p.Zone("example.com.").SOA())
	resp := summarize(exchangeFrom(t, sec, n, false, primary)[0])
	want := result{Opcode: "NOTIFY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"example.com. IN SOA"}}
	if diff := cmp.Diff(want, resp, equate); diff != "" {
		t.Errorf("NOTIFY answer (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]notified{{"example.com.", primary}}, notifies, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("OnNotify (-want +got):\n%s", diff)
	}

	// The secondary still serves its old copy.
	if got := summarize(ask(t, sec, query("new.example.com.", mdns.TypeA), false)); got.Rcode != "NXDOMAIN" {
		t.Errorf("before the transfer the secondary answered %s, want NXDOMAIN from its old copy", got.Rcode)
	}
	// The network layer asks the primary for its SOA, compares, transfers.
	soa := ask(t, p, query("example.com.", mdns.TypeSOA), false).Answer[0].(*mdns.SOA)
	if !sec.NeedsTransfer("example.com.", soa.Serial) {
		t.Fatalf("NeedsTransfer(%d) = false with the secondary at %d", soa.Serial, serial0)
	}
	if err := sec.ApplyTransfer("example.com.", transfer(t, p, "example.com.")); err != nil {
		t.Fatal(err)
	}
	got = summarize(ask(t, sec, query("new.example.com.", mdns.TypeA), false))
	if diff := cmp.Diff([]string{"new.example.com. 300 IN A 192.0.2.1"}, got.Answer); diff != "" {
		t.Errorf("after the transfer (-want +got):\n%s", diff)
	}
	if sec.NeedsTransfer("example.com.", soa.Serial) {
		t.Error("NeedsTransfer after the transfer")
	}
	if diff := cmp.Diff([]change{{"example.com.", serial0}, {"example.com.", serial0 + 1}}, secChanges); diff != "" {
		t.Errorf("secondary's OnChange (-want +got):\n%s", diff)
	}
}

func TestNotify(t *testing.T) {
	s := newServer(t, "example.org.", exampleOrg)
	if err := s.AddSecondary("example.com.", primary.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSecondary("example.net."); err != nil { // NOTIFY from anyone
		t.Fatal(err)
	}
	calls := 0
	s.OnNotify = func(string, netip.AddrPort) { calls++ }
	stranger := netip.MustParseAddrPort("198.51.100.99:53")
	tests := []struct {
		name  string
		zone  string
		qtype uint16
		from  netip.AddrPort
		rcode string
		calls int
	}{
		{"from the primary", "example.com.", mdns.TypeSOA, primary, "NOERROR", 1},
		{"IPv4-mapped primary", "example.com.", mdns.TypeSOA, netip.AddrPortFrom(netip.AddrFrom16(primary.Addr().As16()), 53), "NOERROR", 1},
		{"from a stranger: REFUSED (RFC 1996 §3.10)", "example.com.", mdns.TypeSOA, stranger, "REFUSED", 0},
		{"no primaries listed: anyone", "example.net.", mdns.TypeSOA, stranger, "NOERROR", 1},
		{"a zone we are primary for: NOTAUTH", "example.org.", mdns.TypeSOA, primary, "NOTAUTH", 0},
		{"a zone we do not serve: NOTAUTH", "example.edu.", mdns.TypeSOA, primary, "NOTAUTH", 0},
		{"QTYPE other than SOA: NOTIMP (RFC 1996 §3.11)", "example.com.", mdns.TypeA, primary, "NOTIMP", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			n := authority.NotifyMsg(ids, tc.zone, nil)
			n.Question[0].Qtype = tc.qtype
			got := summarize(exchangeFrom(t, s, n, false, tc.from)[0])
			if got.Rcode != tc.rcode || got.Opcode != "NOTIFY" || len(got.Question) != 1 {
				t.Errorf("answer %+v, want %s", got, tc.rcode)
			}
			if calls != tc.calls {
				t.Errorf("OnNotify called %d times, want %d", calls, tc.calls)
			}
		})
	}
}

func TestNotifyMsg(t *testing.T) {
	soa := rr(t, "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 5 7200 3600 1209600 300").(*mdns.SOA)
	m := authority.NotifyMsg(dns.NewIDs(3), "example.com", soa)
	soa.Serial = 6 // the message holds a copy
	got := summarize(m)
	want := result{Opcode: "NOTIFY", Rcode: "NOERROR", Flags: "aa", Question: []string{"example.com. IN SOA"},
		Answer: []string{"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 5 7200 3600 1209600 300"}}
	if diff := cmp.Diff(want, got, equate); diff != "" {
		t.Errorf("NotifyMsg (-want +got):\n%s", diff)
	}
	if m.Id != dns.NewIDs(3).Next() {
		t.Error("the ID does not come from ids")
	}
}

func TestTransfer(t *testing.T) {
	denied := netip.MustParseAddrPort("192.0.2.66:5353")
	s := authServer(t)
	s.TransferPolicy = func(r *dns.Request, zone string) bool { return r.From != denied }
	if err := s.AddSecondary("example.net."); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		q     func() *mdns.Msg
		tcp   bool
		from  netip.AddrPort
		want  result
		count int // messages
	}{
		{
			name: "AXFR over UDP: FORMERR",
			q:    func() *mdns.Msg { return query("example.com.", mdns.TypeAXFR) },
			want: result{Opcode: "QUERY", Rcode: "FORMERR", Flags: "qr", Question: []string{"example.com. IN AXFR"}},
		},
		{
			name: "IXFR over UDP: the SOA alone (RFC 1995 §2)",
			q:    func() *mdns.Msg { return query("example.org.", mdns.TypeIXFR) },
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"example.org. IN IXFR"},
				Answer: []string{"example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600"}},
		},
		{
			name: "a zone we do not serve: NOTAUTH",
			q:    func() *mdns.Msg { return query("example.edu.", mdns.TypeAXFR) },
			tcp:  true,
			want: result{Opcode: "QUERY", Rcode: "NOTAUTH", Flags: "qr", Question: []string{"example.edu. IN AXFR"}},
		},
		{
			name: "a name inside a zone is not a zone: NOTAUTH",
			q:    func() *mdns.Msg { return query("www.example.com.", mdns.TypeAXFR) },
			tcp:  true,
			want: result{Opcode: "QUERY", Rcode: "NOTAUTH", Flags: "qr", Question: []string{"www.example.com. IN AXFR"}},
		},
		{
			name: "a secondary with no copy: NOTAUTH",
			q:    func() *mdns.Msg { return query("example.net.", mdns.TypeAXFR) },
			tcp:  true,
			want: result{Opcode: "QUERY", Rcode: "NOTAUTH", Flags: "qr", Question: []string{"example.net. IN AXFR"}},
		},
		{
			name: "the policy refuses",
			q:    func() *mdns.Msg { return query("example.com.", mdns.TypeAXFR) },
			tcp:  true,
			from: denied,
			want: result{Opcode: "QUERY", Rcode: "REFUSED", Flags: "qr", Question: []string{"example.com. IN AXFR"}},
		},
		{
			name: "over TCP: SOA first and last",
			q:    func() *mdns.Msg { return query("example.org.", mdns.TypeAXFR) },
			tcp:  true,
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"example.org. IN AXFR"},
				Answer: []string{
					"example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600",
					"example.org. 3600 IN NS ns1.example.com.",
					"mail2.example.org. 3600 IN A 198.51.100.25",
					"www.example.org. 3600 IN A 198.51.100.80",
					"example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600",
				}},
		},
		{
			name: "IXFR over TCP: a full transfer (RFC 1995 §4)",
			q:    func() *mdns.Msg { return withEDNS(query("example.org.", mdns.TypeIXFR), 1232, 0, false) },
			tcp:  true,
			want: result{Opcode: "QUERY", Rcode: "NOERROR", Flags: "qr aa", Question: []string{"example.org. IN IXFR"},
				Answer: []string{
					"example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600",
					"example.org. 3600 IN NS ns1.example.com.",
					"mail2.example.org. 3600 IN A 198.51.100.25",
					"www.example.org. 3600 IN A 198.51.100.80",
					"example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600",
				},
				EDNS: "version 0 udp 1232"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := tc.from
			if !from.IsValid() {
				from = client
			}
			out := exchangeFrom(t, s, tc.q(), tc.tcp, from)
			if len(out) != 1 {
				t.Fatalf("%d messages, want 1", len(out))
			}
			if diff := cmp.Diff(tc.want, summarize(out[0]), equate); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	if got := s.Stats().Requests["QUERY"]; got != uint64(len(tests)) {
		t.Errorf("Stats: %d queries, want one per transfer: %d", got, len(tests))
	}
	if _, err := s.Transfer(&dns.Request{Msg: query("example.com.", mdns.TypeA), TCP: true}); err == nil {
		t.Error("Transfer of an A query: no error")
	}
}

// TestTransferSplits moves a zone too big for one message: the messages
// are each under 64 KiB, the first opens with the SOA and alone echoes the
// question, the last closes with the SOA, and the secondary rebuilds the
// zone from them.
func TestTransferSplits(t *testing.T) {
	var b strings.Builder
	b.WriteString(exampleOrg)
	const records = 3000
	for i := range records {
		fmt.Fprintf(&b, "host%04d IN TXT \"%s\"\n", i, strings.Repeat("x", 100))
	}
	p := newServer(t, "example.org.", b.String())
	msgs := exchange(t, p, query("example.org.", mdns.TypeAXFR), true)
	if len(msgs) < 2 {
		t.Fatalf("%d messages for a zone of about %d bytes", len(msgs), records*130)
	}
	total := 0
	for i, m := range msgs {
		wire, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if len(wire) >= 64*1024 {
			t.Errorf("message %d is %d bytes", i, len(wire))
		}
		if (i == 0) != (len(m.Question) == 1) {
			t.Errorf("message %d has %d questions", i, len(m.Question))
		}
		if !m.Authoritative || m.Rcode != mdns.RcodeSuccess {
			t.Errorf("message %d: %v", i, &m.MsgHdr)
		}
		total += len(m.Answer)
	}
	if _, ok := msgs[0].Answer[0].(*mdns.SOA); !ok {
		t.Errorf("the first record is %v", msgs[0].Answer[0])
	}
	last := msgs[len(msgs)-1].Answer
	if _, ok := last[len(last)-1].(*mdns.SOA); !ok {
		t.Errorf("the last record is %v", last[len(last)-1])
	}
	if want := records + 4 + 1; total != want {
		t.Errorf("%d records, want %d", total, want)
	}
	sec := &authority.Server{}
	if err := sec.AddSecondary("example.org."); err != nil {
		t.Fatal(err)
	}
	if err := sec.ApplyTransfer("example.org.", msgs); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Zone("example.org.").String(), sec.Zone("example.org.").String()); diff != "" {
		t.Errorf("secondary's copy (-primary +secondary):\n%s", diff)
	}
}

func TestApplyTransferErrors(t *testing.T) {
	p := newServer(t, "example.org.", exampleOrg)
	good := func(t *testing.T) []*mdns.Msg { return transfer(t, p, "example.org.") }
	soa := func(serial uint32) mdns.RR {
		return rr(t, fmt.Sprintf("example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. %d 7200 3600 1209600 600", serial))
	}
	tests := []struct {
		name string
		zone string
		msgs func(t *testing.T) []*mdns.Msg
		want string
	}{
		{
			name: "not a secondary zone",
			zone: "example.com.",
			msgs: func(t *testing.T) []*mdns.Msg {
				return transfer(t, newServer(t, "example.com.", exampleCom), "example.com.")
			},
			want: "authority: transfer of example.com.: not a zone this server is secondary for",
		},
		{
			name: "an error rcode",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Rcode = mdns.RcodeRefused
				return m
			},
			want: "authority: transfer of example.org.: message 0 has rcode REFUSED",
		},
		{
			name: "no closing SOA",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Answer = m[0].Answer[:len(m[0].Answer)-1]
				return m
			},
			want: "authority: transfer of example.org.: it does not end with the zone's SOA",
		},
		{
			name: "no opening SOA",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Answer = m[0].Answer[1:]
				return m
			},
			want: "authority: transfer of example.org.: it does not begin with the zone's SOA",
		},
		{
			name: "serials differ",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Answer[len(m[0].Answer)-1] = soa(8)
				return m
			},
			want: "authority: transfer of example.org.: opening serial 7 and closing serial 8 differ",
		},
		{
			name: "an SOA inside",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Answer = append(m[0].Answer[:2:2], append([]mdns.RR{soa(7)}, m[0].Answer[2:]...)...)
				return m
			},
			want: "authority: transfer of example.org.: an SOA inside the transfer",
		},
		{
			name: "a zone that fails the checks",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Answer = append(m[0].Answer[:1:1], m[0].Answer[2:]...) // drop the NS
				return m
			},
			want: "authority: transfer of example.org.: zone: example.org.: no NS records at the apex example.org. (RFC 1034 §4.2.1)",
		},
		{
			name: "empty",
			msgs: func(t *testing.T) []*mdns.Msg { return nil },
			want: "authority: transfer of example.org.: 0 records; a transfer begins and ends with the SOA",
		},
		{
			name: "older than the copy",
			msgs: func(t *testing.T) []*mdns.Msg {
				m := good(t)
				m[0].Answer[0], m[0].Answer[len(m[0].Answer)-1] = soa(6), soa(6)
				return m
			},
			want: "authority: transfer of example.org.: serial 6 is older than the copy's 7",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sec := &authority.Server{}
			if err := sec.AddSecondary("example.org."); err != nil {
				t.Fatal(err)
			}
			if err := sec.ApplyTransfer("example.org.", good(t)); err != nil {
				t.Fatal(err)
			}
			before := sec.Zone("example.org.").String()
			zone := tc.zone
			if zone == "" {
				zone = "example.org."
			}
			err := sec.ApplyTransfer(zone, tc.msgs(t))
			if err == nil || err.Error() != tc.want {
				t.Errorf("ApplyTransfer: %v, want %s", err, tc.want)
			}
			if after := sec.Zone("example.org.").String(); after != before {
				t.Errorf("a failed transfer changed the copy:\n%s", cmp.Diff(before, after))
			}
		})
	}
}
