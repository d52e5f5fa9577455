package authority_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/authority"
)

const (
	soaCom = "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"
	soaOrg = "example.org. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600"
	mailA  = "mail.example.com. 3600 IN A 203.0.113.25"
	mailV6 = "mail.example.com. 3600 IN AAAA 2001:db8::25"
	web80  = "web.example.com. 3600 IN A 203.0.113.80"
	web81  = "web.example.com. 3600 IN A 203.0.113.81"
	web82  = "web.example.com. 3600 IN A 203.0.113.82"
)

// equate treats nil and empty sections alike.
var equate = cmpopts.EquateEmpty()

func TestQuery(t *testing.T) {
	tests := []struct {
		name   string
		server func(testing.TB) *authority.Server
		qname  string
		qtype  uint16
		want   result // Opcode, Question and Flags qr are filled in
	}{
		{
			name:  "CNAME followed to three A records",
			qname: "www.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{
				"www.example.com. 3600 IN CNAME web.example.com.", web80, web81, web82,
			}},
		},
		{
			name:  "the CNAME itself",
			qname: "www.example.com.", qtype: mdns.TypeCNAME,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{"www.example.com. 3600 IN CNAME web.example.com."}},
		},
		{
			name:  "names match without regard to case, the owner is spelled as asked",
			qname: "WEB.Example.COM.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{
				"WEB.Example.COM. 3600 IN A 203.0.113.80", "WEB.Example.COM. 3600 IN A 203.0.113.81", "WEB.Example.COM. 3600 IN A 203.0.113.82",
			}},
		},
		{
			name:  "MX with two preferences, targets' addresses in additional when ours",
			qname: "example.com.", qtype: mdns.TypeMX,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"example.com. 3600 IN MX 10 mail.example.com.", "example.com. 3600 IN MX 20 mail2.example.org."},
				Extra:  []string{mailA, mailV6, "mail2.example.org. 3600 IN A 198.51.100.25"},
			},
		},
		{
			name:  "NS at the apex with addresses",
			qname: "example.com.", qtype: mdns.TypeNS,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."},
				Extra: []string{
					"ns1.example.com. 3600 IN A 203.0.113.53",
					"ns2.example.com. 3600 IN A 203.0.113.54",
					"ns2.example.com. 3600 IN AAAA 2001:db8::54",
				},
			},
		},
		{
			name:  "SRV with its target's address",
			qname: "_sip._tcp.example.com.", qtype: mdns.TypeSRV,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"_sip._tcp.example.com. 3600 IN SRV 10 60 5060 sip.example.com."},
				Extra:  []string{"sip.example.com. 3600 IN A 203.0.113.60"},
			},
		},
		{
			name:  "a 30 s TTL",
			qname: "short.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{"short.example.com. 30 IN A 203.0.113.30"}},
		},
		{
			name:  "AAAA",
			qname: "v6.example.com.", qtype: mdns.TypeAAAA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{"v6.example.com. 3600 IN AAAA 2001:db8::1"}},
		},
		{
			name:  "NXDOMAIN with the SOA, TTL the SOA MINIMUM (RFC 2308 §3)",
			qname: "nope.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NXDOMAIN", Flags: "aa", Ns: []string{soaCom}},
		},
		{
			name:  "NXDOMAIN with the SOA, TTL the SOA's own TTL when lower",
			qname: "nope.example.org.", qtype: mdns.TypeA,
			want: result{Rcode: "NXDOMAIN", Flags: "aa", Ns: []string{soaOrg}},
		},
		{
			name:  "NODATA",
			qname: "web.example.com.", qtype: mdns.TypeMX,
			want: result{Rcode: "NOERROR", Flags: "aa", Ns: []string{soaCom}},
		},
		{
			name:  "NODATA after a CNAME",
			qname: "www.example.com.", qtype: mdns.TypeMX,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"www.example.com. 3600 IN CNAME web.example.com."}, Ns: []string{soaCom}},
		},
		{
			name:  "an empty non-terminal exists: NODATA, not NXDOMAIN (RFC 8020)",
			qname: "ent.wild.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Ns: []string{soaCom}},
		},
		{
			name:  "wildcard: the owner is the name asked (RFC 4592)",
			qname: "foo.wild.example.com.", qtype: mdns.TypeTXT,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{`foo.wild.example.com. 3600 IN TXT "wildcard"`}},
		},
		{
			name:  "wildcard several labels down, with additional addresses",
			qname: "a.b.wild.example.com.", qtype: mdns.TypeMX,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"a.b.wild.example.com. 3600 IN MX 10 mail.example.com."},
				Extra:  []string{mailA, mailV6}},
		},
		{
			name:  "wildcard without the type: NODATA",
			qname: "foo.wild.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Ns: []string{soaCom}},
		},
		{
			name:  "an empty non-terminal blocks the wildcard above it",
			qname: "x.ent.wild.example.com.", qtype: mdns.TypeTXT,
			want: result{Rcode: "NXDOMAIN", Flags: "aa", Ns: []string{soaCom}},
		},
		{
			name:  "a wildcard CNAME is synthesized and followed",
			qname: "x.alias.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{
				"x.alias.example.com. 3600 IN CNAME web.example.com.", web80, web81, web82,
			}},
		},
		{
			name:  "referral: no AA, NS in authority, only in-zone glue",
			qname: "host.sub.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR",
				Ns:    []string{"sub.example.com. 3600 IN NS ns.example.net.", "sub.example.com. 3600 IN NS ns.sub.example.com."},
				Extra: []string{"ns.sub.example.com. 3600 IN A 203.0.113.100"},
			},
		},
		{
			name:  "referral at the cut itself",
			qname: "sub.example.com.", qtype: mdns.TypeNS,
			want: result{Rcode: "NOERROR",
				Ns:    []string{"sub.example.com. 3600 IN NS ns.example.net.", "sub.example.com. 3600 IN NS ns.sub.example.com."},
				Extra: []string{"ns.sub.example.com. 3600 IN A 203.0.113.100"},
			},
		},
		{
			name:  "no wildcard across a cut: the glue name is below it",
			qname: "ns.sub.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR",
				Ns:    []string{"sub.example.com. 3600 IN NS ns.example.net.", "sub.example.com. 3600 IN NS ns.sub.example.com."},
				Extra: []string{"ns.sub.example.com. 3600 IN A 203.0.113.100"},
			},
		},
		{
			name:  "DS at the cut is the parent's: NODATA (RFC 4035 §3.1.4.1)",
			qname: "sub.example.com.", qtype: mdns.TypeDS,
			want: result{Rcode: "NOERROR", Flags: "aa", Ns: []string{soaCom}},
		},
		{
			name:  "a CNAME into a delegation: CNAME with AA, then the referral",
			qname: "into-sub.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"into-sub.example.com. 3600 IN CNAME host.sub.example.com."},
				Ns:     []string{"sub.example.com. 3600 IN NS ns.example.net.", "sub.example.com. 3600 IN NS ns.sub.example.com."},
				Extra:  []string{"ns.sub.example.com. 3600 IN A 203.0.113.100"},
			},
		},
		{
			name:  "a CNAME followed into another zone of the server",
			qname: "to-org.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{
				"to-org.example.com. 3600 IN CNAME www.example.org.", "www.example.org. 3600 IN A 198.51.100.80",
			}},
		},
		{
			name:  "a CNAME to a name that does not exist: NXDOMAIN from the target's zone (RFC 6604)",
			qname: "to-nowhere.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NXDOMAIN", Flags: "aa",
				Answer: []string{"to-nowhere.example.com. 3600 IN CNAME nothing.example.org."}, Ns: []string{soaOrg}},
		},
		{
			name:  "a CNAME out of the server's zones is left to the client",
			qname: "external.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{"external.example.com. 3600 IN CNAME www.example.net."}},
		},
		{
			name:  "a CNAME loop stops",
			qname: "loop1.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{
				"loop1.example.com. 3600 IN CNAME loop2.example.com.", "loop2.example.com. 3600 IN CNAME loop1.example.com.",
			}},
		},
		{
			name:  "a long chain stops at MaxCNAMEChain",
			qname: "c1.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{
				"c1.example.com. 3600 IN CNAME c2.example.com.",
				"c2.example.com. 3600 IN CNAME c3.example.com.",
				"c3.example.com. 3600 IN CNAME c4.example.com.",
				"c4.example.com. 3600 IN CNAME c5.example.com.",
				"c5.example.com. 3600 IN CNAME c6.example.com.",
				"c6.example.com. 3600 IN CNAME c7.example.com.",
				"c7.example.com. 3600 IN CNAME c8.example.com.",
				"c8.example.com. 3600 IN CNAME c9.example.com.",
			}},
		},
		{
			name:  "not our zone: REFUSED, no recursion",
			qname: "www.example.net.", qtype: mdns.TypeA,
			want: result{Rcode: "REFUSED"},
		},
		{
			name:  "ANY: one RRset (RFC 8482 §4.1)",
			qname: "example.com.", qtype: mdns.TypeANY,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."},
				Extra: []string{
					"ns1.example.com. 3600 IN A 203.0.113.53",
					"ns2.example.com. 3600 IN A 203.0.113.54",
					"ns2.example.com. 3600 IN AAAA 2001:db8::54",
				},
			},
		},
		{
			name:  "ANY at a CNAME: the CNAME",
			qname: "www.example.com.", qtype: mdns.TypeANY,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{"www.example.com. 3600 IN CNAME web.example.com."}},
		},
		{
			name: "ANY synthesized as HINFO (RFC 8482 §4.2)",
			server: func(t testing.TB) *authority.Server {
				s := authServer(t)
				s.SynthesizeANY = true
				return s
			},
			qname: "web.example.com.", qtype: mdns.TypeANY,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{`web.example.com. 3600 IN HINFO "RFC8482" ""`}},
		},
		{
			name: "minimal responses: no additional addresses",
			server: func(t testing.TB) *authority.Server {
				s := authServer(t)
				s.MinimalResponses = true
				return s
			},
			qname: "example.com.", qtype: mdns.TypeMX,
			want: result{Rcode: "NOERROR", Flags: "aa",
				Answer: []string{"example.com. 3600 IN MX 10 mail.example.com.", "example.com. 3600 IN MX 20 mail2.example.org."}},
		},
		{
			name: "minimal responses keep referral glue",
			server: func(t testing.TB) *authority.Server {
				s := authServer(t)
				s.MinimalResponses = true
				return s
			},
			qname: "host.sub.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR",
				Ns:    []string{"sub.example.com. 3600 IN NS ns.example.net.", "sub.example.com. 3600 IN NS ns.sub.example.com."},
				Extra: []string{"ns.sub.example.com. 3600 IN A 203.0.113.100"},
			},
		},
		{
			name:   "the root refers to com with glue",
			server: func(t testing.TB) *authority.Server { return newServer(t, ".", rootZone) },
			qname:  "www.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR",
				Ns:    []string{"com. 172800 IN NS a.gtld-servers.example.net."},
				Extra: []string{"a.gtld-servers.example.net. 86400 IN A 198.51.100.11"},
			},
		},
		{
			name:   "the root: NXDOMAIN for a TLD that does not exist",
			server: func(t testing.TB) *authority.Server { return newServer(t, ".", rootZone) },
			qname:  "www.example.invalid.", qtype: mdns.TypeA,
			want: result{Rcode: "NXDOMAIN", Flags: "aa",
				Ns: []string{". 86400 IN SOA a.root-servers.example.net. hostmaster.example.net. 2024010101 1800 900 604800 86400"}},
		},
		{
			name:   "com refers to example.com with A and AAAA glue",
			server: func(t testing.TB) *authority.Server { return newServer(t, "com.", comZone) },
			qname:  "www.example.com.", qtype: mdns.TypeAAAA,
			want: result{Rcode: "NOERROR",
				Ns: []string{"example.com. 172800 IN NS ns1.example.com.", "example.com. 172800 IN NS ns2.example.com."},
				Extra: []string{
					"ns1.example.com. 172800 IN A 203.0.113.53",
					"ns2.example.com. 172800 IN A 203.0.113.54",
					"ns2.example.com. 172800 IN AAAA 2001:db8::54",
				},
			},
		},
		{
			name: "the most specific zone answers",
			server: func(t testing.TB) *authority.Server {
				return newServer(t, ".", rootZone, "com.", comZone, "example.com.", exampleCom)
			},
			qname: "web.example.com.", qtype: mdns.TypeA,
			want: result{Rcode: "NOERROR", Flags: "aa", Answer: []string{web80, web81, web82}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			server := tc.server
			if server == nil {
				server = authServer
			}
			q := query(tc.qname, tc.qtype)
			got := summarize(ask(t, server(t), q, false))
			want := tc.want
			want.Opcode = "QUERY"
			want.Flags = join("qr", want.Flags)
			want.Question = []string{tc.qname + " IN " + mdns.TypeToString[tc.qtype]}
			if diff := cmp.Diff(want, got, equate); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}
