package resolver_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// recorder is a ResponseWriter that keeps what was written.
type recorder struct {
	msgs []*mdns.Msg
}

func (r *recorder) WriteMsg(m *mdns.Msg) error {
	// The message must pack, as it would on the wire.
	if _, err := m.Pack(); err != nil {
		return err
	}
	r.msgs = append(r.msgs, m)
	return nil
}

// serve sends req to h as a stub on the network would and runs the clock
// until it has answered (or nothing is left to run).
func serve(w *world, h dns.Handler, req *mdns.Msg, tcp bool) *recorder {
	rec := &recorder{}
	wire, err := req.Pack()
	if err != nil {
		w.t.Fatal(err)
	}
	h.ServeDNS(rec, &dns.Request{
		Msg: req, Wire: wire, TCP: tcp,
		From: netip.MustParseAddrPort("10.0.0.10:5353"), To: netip.MustParseAddrPort(localAddr + ":53"),
	})
	for len(rec.msgs) == 0 && w.clk.RunUntilIdle(1) > 0 {
	}
	return rec
}

func stubQuery(name string, qtype uint16, rd bool) *mdns.Msg {
	m := dns.NewQuery(dns.NewIDs(7), name, qtype, rd)
	m.Id = 4242
	return m
}

// reply is what the tests compare of a stub's answer.
type reply struct {
	Rcode                       string
	QR, AA, TC, RD, RA          bool
	ID                          uint16
	Question                    string
	Answer, Authority, Addition []string
	OPT                         bool
}

func summarizeReply(m *mdns.Msg) reply {
	r := reply{
		Rcode: mdns.RcodeToString[m.Rcode], QR: m.Response, AA: m.Authoritative, TC: m.Truncated,
		RD: m.RecursionDesired, RA: m.RecursionAvailable, ID: m.Id,
		Answer: rrStrings(m.Answer), Authority: rrStrings(m.Ns),
	}
	if len(m.Question) == 1 {
		r.Question = m.Question[0].Name + " " + mdns.TypeToString[m.Question[0].Qtype]
	}
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == mdns.TypeOPT {
			r.OPT = true
			continue
		}
		r.Addition = append(r.Addition, rrStrings([]mdns.RR{rr})...)
	}
	return r
}

func TestServeDNS(t *testing.T) {
	wwwA := []string{"www.example.com. 300 IN A 192.0.2.80"}
	exampleNS := []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."}
	exampleGlue := []string{"ns1.example.com. 3600 IN A 192.0.2.53", "ns2.example.com. 3600 IN A 198.51.100.53"}
	withOPT := func(m *mdns.Msg, size uint16, version uint8) *mdns.Msg {
		m.SetEdns0(size, false)
		m.IsEdns0().SetVersion(version)
		return m
	}
	tests := []struct {
		name    string
		warm    bool // resolve www.example.com first
		opts    resolver.Options
		req     *mdns.Msg
		tcp     bool
		want    *reply
		answers int // only count the answer records (large answers)
		// truncated: only check TC=1 and a message of at most 512 octets
		truncated bool
	}{
		{
			name: "RD=1: resolved, RA=1",
			req:  stubQuery("www.example.com", mdns.TypeA, true),
			want: &reply{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A", Answer: wwwA, Authority: exampleNS, Addition: exampleGlue},
		},
		{
			name: "RD=1 with minimal responses",
			opts: resolver.Options{Switches: resolver.Switches{MinimalResponses: true}},
			req:  stubQuery("www.example.com", mdns.TypeA, true),
			want: &reply{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A", Answer: wwwA},
		},
		{
			name: "NXDOMAIN carries the SOA",
			opts: resolver.Options{Switches: resolver.Switches{MinimalResponses: true}},
			req:  stubQuery("nx.example.com", mdns.TypeA, true),
			want: &reply{Rcode: "NXDOMAIN", QR: true, RD: true, RA: true, ID: 4242, Question: "nx.example.com. A",
				Authority: []string{"example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"}},
		},
		{
			name: "RD=0 on a cold cache: a referral to the root hints",
			req:  stubQuery("www.example.com", mdns.TypeA, false),
			want: &reply{Rcode: "NOERROR", QR: true, RA: true, ID: 4242, Question: "www.example.com. A",
				Authority: []string{". 3600000 IN NS a.root-servers.net.", ". 3600000 IN NS b.root-servers.net."},
				Addition:  []string{"a.root-servers.net. 3600000 IN A 198.41.0.4", "b.root-servers.net. 3600000 IN A 199.9.14.201"}},
		},
		{
			name: "RD=0 on a cold cache: one NS record for a root server with two addresses",
			opts: resolver.Options{RootHints: []resolver.Hint{
				{Name: "a.root-servers.net.", Addr: netip.MustParseAddr("198.41.0.4")},
				{Name: "a.root-servers.net.", Addr: netip.MustParseAddr("2001:503:ba3e::2:30")},
				{Name: "b.root-servers.net.", Addr: netip.MustParseAddr("199.9.14.201")},
			}},
			req: stubQuery("www.example.com", mdns.TypeA, false),
			want: &reply{Rcode: "NOERROR", QR: true, RA: true, ID: 4242, Question: "www.example.com. A",
				Authority: []string{". 3600000 IN NS a.root-servers.net.", ". 3600000 IN NS b.root-servers.net."},
				Addition: []string{"a.root-servers.net. 3600000 IN A 198.41.0.4", "a.root-servers.net. 3600000 IN AAAA 2001:503:ba3e::2:30",
					"b.root-servers.net. 3600000 IN A 199.9.14.201"}},
		},
		{
			name: "RD=0 on a warm cache: the cached answer",
			warm: true,
			req:  stubQuery("www.example.com", mdns.TypeA, false),
			want: &reply{Rcode: "NOERROR", QR: true, RA: true, ID: 4242, Question: "www.example.com. A", Answer: wwwA, Authority: exampleNS, Addition: exampleGlue},
		},
		{
			name: "RD=0, another name of a cached zone: a referral to its servers",
			warm: true,
			req:  stubQuery("ftp.example.com", mdns.TypeA, false),
			want: &reply{Rcode: "NOERROR", QR: true, RA: true, ID: 4242, Question: "ftp.example.com. A", Authority: exampleNS, Addition: exampleGlue},
		},
		{
			name: "NOTIFY: NOTIMP",
			req: func() *mdns.Msg {
				m := stubQuery("example.com", mdns.TypeSOA, false)
				m.Opcode = mdns.OpcodeNotify
				return m
			}(),
			want: &reply{Rcode: "NOTIMP", QR: true, RA: true, ID: 4242, Question: "example.com. SOA"},
		},
		{
			name: "two questions: FORMERR",
			req: func() *mdns.Msg {
				m := stubQuery("www.example.com", mdns.TypeA, true)
				m.Question = append(m.Question, m.Question[0])
				return m
			}(),
			want: &reply{Rcode: "FORMERR", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A"},
		},
		{
			name: "class CH: REFUSED",
			req: func() *mdns.Msg {
				m := stubQuery("version.bind", mdns.TypeTXT, true)
				m.Question[0].Qclass = mdns.ClassCHAOS
				return m
			}(),
			want: &reply{Rcode: "REFUSED", QR: true, RD: true, RA: true, ID: 4242, Question: "version.bind. TXT"},
		},
		{
			name: "AXFR: REFUSED",
			req:  stubQuery("example.com", mdns.TypeAXFR, true),
			tcp:  true,
			want: &reply{Rcode: "REFUSED", QR: true, RD: true, RA: true, ID: 4242, Question: "example.com. AXFR"},
		},
		{
			name: "EDNS version 1: BADVERS (RFC 6891 §6.1.3)",
			req:  withOPT(stubQuery("www.example.com", mdns.TypeA, true), 4096, 1),
			want: &reply{Rcode: "BADSIG", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A", OPT: true},
		},
		{
			name: "a response gets no reply",
			req: func() *mdns.Msg {
				m := stubQuery("www.example.com", mdns.TypeA, true)
				m.Response = true
				return m
			}(),
		},
		{
			name:      "a large answer over UDP without EDNS is truncated to 512 octets",
			opts:      resolver.Options{Switches: resolver.Switches{MinimalResponses: true}},
			req:       stubQuery("big.example.com", mdns.TypeA, true),
			truncated: true,
		},
		{
			name:    "a large answer over UDP with EDNS fits",
			opts:    resolver.Options{Switches: resolver.Switches{MinimalResponses: true}},
			req:     withOPT(stubQuery("big.example.com", mdns.TypeA, true), 4096, 0),
			answers: 40,
		},
		{
			name:    "a large answer over TCP fits",
			opts:    resolver.Options{Switches: resolver.Switches{MinimalResponses: true}},
			req:     stubQuery("big.example.com", mdns.TypeA, true),
			tcp:     true,
			answers: 40,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			var big []string
			for i := range 40 {
				big = append(big, fmt.Sprintf("big.example.com. 300 IN A 192.0.2.%d", 100+i))
			}
			w.exampleCom.set(t, big...)
			r := w.resolver(tc.opts)
			if tc.warm {
				resolve(t, r, "www.example.com", mdns.TypeA, resolver.Iterated)
			}
			rec := serve(w, r, tc.req, tc.tcp)
			if tc.want == nil && tc.answers == 0 && !tc.truncated {
				if len(rec.msgs) != 0 {
					t.Errorf("got a reply: %v", rec.msgs[0])
				}
				return
			}
			if len(rec.msgs) != 1 {
				t.Fatalf("got %d replies, want 1", len(rec.msgs))
			}
			m := rec.msgs[0]
			if tc.truncated {
				wire, _ := m.Pack()
				if !m.Truncated || len(wire) > mdns.MinMsgSize {
					t.Errorf("TC=%v, %d octets; want TC=1 and at most %d", m.Truncated, len(wire), mdns.MinMsgSize)
				}
				return
			}
			if tc.answers > 0 {
				if len(m.Answer) != tc.answers || m.Truncated {
					t.Errorf("%d answers, TC=%v; want %d, TC=false", len(m.Answer), m.Truncated, tc.answers)
				}
				return
			}
			if diff := cmp.Diff(*tc.want, summarizeReply(m)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServeDNSCounts(t *testing.T) {
	w := newWorld(t)
	r := w.resolver(resolver.Options{})
	serve(w, r, stubQuery("www.example.com", mdns.TypeA, true), false)
	serve(w, r, stubQuery("www.example.com", mdns.TypeA, true), false)
	serve(w, r, stubQuery("www.example.com", mdns.TypeA, false), false)
	want := resolver.Counters{Received: 3, Sent: 3, CacheHits: 2, CacheMisses: 1}
	if diff := cmp.Diff(want, r.Counters()); diff != "" {
		t.Errorf("Counters() (-want +got):\n%s", diff)
	}
}
