package resolver_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

func TestRecursing(t *testing.T) {
	comNS := []string{"com. 172800 IN NS a.gtld-servers.net.", "com. 172800 IN NS b.gtld-servers.net."}
	comGlue := []string{"a.gtld-servers.net. 172800 IN A 192.5.6.30", "b.gtld-servers.net. 172800 IN A 192.33.14.30"}
	wwwA := []string{"www.example.com. 300 IN A 192.0.2.80"}
	exampleNS := []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."}
	exampleGlue := []string{"ns1.example.com. 3600 IN A 192.0.2.53", "ns2.example.com. 3600 IN A 198.51.100.53"}
	tests := []struct {
		name   string
		server string
		chain  bool // wrap every server, not only the one asked
		silent []string
		req    *mdns.Msg
		want   reply
		sent   uint64
		log    []string
		note   string
	}{
		{
			name:   "RD=0: the server's own referral, with RA=1",
			server: "a.root-servers.net.",
			req:    stubQuery("www.example.com", mdns.TypeA, false),
			want:   reply{Rcode: "NOERROR", QR: true, RA: true, ID: 4242, Question: "www.example.com. A", Authority: comNS, Addition: comGlue},
		},
		{
			name:   "RD=1 for its own data: the authoritative answer, with RA=1",
			server: "ns1.example.com.",
			req:    stubQuery("www.example.com", mdns.TypeA, true),
			want:   reply{Rcode: "NOERROR", QR: true, AA: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A", Answer: wwwA, Authority: exampleNS, Addition: exampleGlue},
		},
		{
			name:   "RD=1, chain of recursing servers: the answer travels back",
			server: "a.root-servers.net.",
			chain:  true,
			req:    stubQuery("WWW.Example.COM", mdns.TypeA, true),
			want:   reply{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 4242, Question: "WWW.Example.COM. A", Answer: wwwA, Authority: exampleNS, Addition: exampleGlue},
			sent:   1,
			log: []string{
				"stub -> a.root-servers.net.: WWW.Example.COM. A RD=1",
				"a.root-servers.net. -> a.gtld-servers.net.: WWW.Example.COM. A RD=1",
				"a.gtld-servers.net. -> ns1.example.com.: WWW.Example.COM. A RD=1",
			},
		},
		{
			name:   "RD=1, the next server does not recurse: its referral comes back",
			server: "a.root-servers.net.",
			req:    stubQuery("www.example.com", mdns.TypeA, true),
			want:   reply{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A", Authority: []string{"example.com. 172800 IN NS ns1.example.com.", "example.com. 172800 IN NS ns2.example.com."}, Addition: []string{"ns1.example.com. 172800 IN A 192.0.2.53", "ns2.example.com. 172800 IN A 198.51.100.53"}},
			sent:   1,
		},
		{
			name:   "a silent referred server: the next one of the referral answers",
			server: "a.root-servers.net.",
			chain:  true,
			silent: []string{"a.gtld-servers.net."},
			req:    stubQuery("www.example.com", mdns.TypeA, true),
			want:   reply{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A", Answer: wwwA, Authority: exampleNS, Addition: exampleGlue},
			sent:   2,
			log: []string{
				"stub -> a.root-servers.net.: www.example.com. A RD=1",
				"a.root-servers.net. -> b.gtld-servers.net.: www.example.com. A RD=1",
				"b.gtld-servers.net. -> ns1.example.com.: www.example.com. A RD=1",
			},
		},
		{
			name:   "every referred server silent: SERVFAIL",
			server: "a.root-servers.net.",
			silent: []string{"a.gtld-servers.net.", "b.gtld-servers.net."},
			req:    stubQuery("www.example.com", mdns.TypeA, true),
			want:   reply{Rcode: "SERVFAIL", QR: true, RD: true, RA: true, ID: 4242, Question: "www.example.com. A"},
			sent:   2,
			note:   "no referred server answered: SERVFAIL",
		},
		{
			name:   "a referral without glue goes back as it is",
			server: "a.gtld-servers.net.",
			req:    stubQuery("www.glueless.com", mdns.TypeA, true),
			want:   reply{Rcode: "NOERROR", QR: true, RD: true, RA: true, ID: 4242, Question: "www.glueless.com. A", Authority: []string{"glueless.com. 172800 IN NS ns1.example.net."}},
			note:   "referral without glue: returned to the client as it is",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			var rc *resolver.Recurser
			var events []dns.TraceEvent
			h := w.host(tc.server)
			if tc.chain {
				rc = w.recursing()[tc.server]
			}
			if rc == nil || tc.note != "" {
				rc = resolver.Recursing(h.handler, w.from(h.name, h.addr.String()), resolver.RecursingOptions{
					Clock: w.clk, Name: h.name, OnEvent: func(ev dns.TraceEvent) { events = append(events, ev) },
				})
			}
			for _, name := range tc.silent {
				w.host(name).silent = true
			}
			w.log = append(w.log, "stub -> "+tc.server+": "+tc.req.Question[0].Name+" "+mdns.TypeToString[tc.req.Question[0].Qtype]+" RD=1")
			rec := serve(w, rc, tc.req, false)
			if len(rec.msgs) != 1 {
				t.Fatalf("got %d replies, want 1", len(rec.msgs))
			}
			if diff := cmp.Diff(tc.want, summarizeReply(rec.msgs[0])); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if got := rc.Counters(); got.Received != 1 || got.Sent != tc.sent {
				t.Errorf("Counters() = %+v, want 1 received, %d sent", got, tc.sent)
			}
			if tc.log != nil {
				if diff := cmp.Diff(tc.log, w.log); diff != "" {
					t.Errorf("who asked whom (-want +got):\n%s", diff)
				}
			}
			if tc.note != "" {
				var got []string
				for _, ev := range events {
					got = append(got, ev.Summary)
				}
				if !hasLine(got, tc.note) {
					t.Errorf("events lack %q:\n%s", tc.note, strings.Join(got, "\n"))
				}
			}
		})
	}
}
