package authority_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
	"github.com/wirelab/wirelab/engine/dns/zone"
)

// The lab hierarchy in miniature: the root delegates com., com. delegates
// example.com., and example.com. has the records every case needs.
const rootZone = `$ORIGIN .
$TTL 86400
@ IN SOA a.root-servers.example.net. hostmaster.example.net. 2024010101 1800 900 604800 86400
@ IN NS a.root-servers.example.net.
com. 172800 IN NS a.gtld-servers.example.net.
net. 172800 IN NS c.gtld-servers.example.net.
a.root-servers.example.net. IN A 198.51.100.1
a.gtld-servers.example.net. IN A 198.51.100.11
c.gtld-servers.example.net. IN A 198.51.100.13
`

const comZone = `$ORIGIN com.
$TTL 172800
@ IN SOA a.gtld-servers.example.net. hostmaster.example.net. 2024010101 1800 900 604800 86400
@ IN NS a.gtld-servers.example.net.
example IN NS ns1.example.com.
example IN NS ns2.example.com.
ns1.example IN A 203.0.113.53
ns2.example IN A 203.0.113.54
ns2.example IN AAAA 2001:db8::54
`

const exampleCom = `$ORIGIN example.com.
$TTL 3600
@          IN SOA ns1 hostmaster (
                  2024010101 ; serial
                  7200 3600 1209600 300 )
@          IN NS    ns1
@          IN NS    ns2
@          IN MX    10 mail
@          IN MX    20 mail2.example.org.
ns1        IN A     203.0.113.53
ns2        IN A     203.0.113.54
ns2        IN AAAA  2001:db8::54
mail       IN A     203.0.113.25
mail       IN AAAA  2001:db8::25
www        IN CNAME web
web        IN A     203.0.113.80
web        IN A     203.0.113.81
web        IN A     203.0.113.82
short 30   IN A     203.0.113.30
v6         IN AAAA  2001:db8::1
*.wild     IN TXT   "wildcard"
*.wild     IN MX    10 mail
a.ent.wild IN A     203.0.113.99
*.alias    IN CNAME web
sub        IN NS    ns.sub
sub        IN NS    ns.example.net.
ns.sub     IN A     203.0.113.100
_sip._tcp  IN SRV   10 60 5060 sip
sip        IN A     203.0.113.60
loop1      IN CNAME loop2
loop2      IN CNAME loop1
into-sub   IN CNAME host.sub
to-org     IN CNAME www.example.org.
to-nowhere IN CNAME nothing.example.org.
external   IN CNAME www.example.net.
c1  IN CNAME c2
c2  IN CNAME c3
c3  IN CNAME c4
c4  IN CNAME c5
c5  IN CNAME c6
c6  IN CNAME c7
c7  IN CNAME c8
c8  IN CNAME c9
c9  IN CNAME c10
c10 IN CNAME web
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-01"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-02"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-03"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-04"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-05"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-06"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-07"
big IN TXT "0123456789012345678901234567890123456789012345678901234567890-08"
`

// exampleOrg has an SOA whose TTL is below its MINIMUM, so a negative
// answer's TTL comes from the TTL (RFC 2308 §3).
const exampleOrg = `$ORIGIN example.org.
$TTL 3600
@     60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 600
@        IN NS  ns1.example.com.
www      IN A   198.51.100.80
mail2    IN A   198.51.100.25
`

var (
	client  = netip.MustParseAddrPort("192.0.2.10:5353")
	primary = netip.MustParseAddrPort("203.0.113.53:53")
)

func mustZone(t testing.TB, origin, text string) *zone.Zone {
	t.Helper()
	z, err := zone.Parse(origin, origin+"zone", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// newServer serves the zones given as origin, text pairs as primary.
func newServer(t testing.TB, zones ...string) *authority.Server {
	t.Helper()
	s := &authority.Server{}
	for i := 0; i < len(zones); i += 2 {
		if err := s.AddPrimary(mustZone(t, zones[i], zones[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// authServer is ns1.example.com: example.com and example.org.
func authServer(t testing.TB) *authority.Server {
	return newServer(t, "example.com.", exampleCom, "example.org.", exampleOrg)
}

// recorder is a ResponseWriter that keeps what it is given.
type recorder struct{ msgs []*mdns.Msg }

func (r *recorder) WriteMsg(m *mdns.Msg) error {
	r.msgs = append(r.msgs, m)
	return nil
}

// exchange sends q to s as the network would, packed, and returns the
// answers as the client would see them, packed and unpacked again.
func exchange(t testing.TB, s dns.Handler, q *mdns.Msg, tcp bool) []*mdns.Msg {
	t.Helper()
	return exchangeFrom(t, s, q, tcp, client)
}

func exchangeFrom(t testing.TB, s dns.Handler, q *mdns.Msg, tcp bool, from netip.AddrPort) []*mdns.Msg {
	t.Helper()
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var in mdns.Msg
	if err := in.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	var w recorder
	s.ServeDNS(&w, &dns.Request{Msg: &in, Wire: wire, From: from, To: primary, TCP: tcp})
	var out []*mdns.Msg
	for _, m := range w.msgs {
		b, err := m.Pack()
		if err != nil {
			t.Fatalf("packing the answer: %v\n%v", err, m)
		}
		if !tcp && len(b) > 512 && q.IsEdns0() == nil {
			t.Errorf("a UDP answer of %d bytes to a query without EDNS", len(b))
		}
		var back mdns.Msg
		if err := back.Unpack(b); err != nil {
			t.Fatalf("unpacking the answer: %v", err)
		}
		out = append(out, &back)
	}
	return out
}

// ask sends one query and expects one answer.
func ask(t testing.TB, s dns.Handler, q *mdns.Msg, tcp bool) *mdns.Msg {
	t.Helper()
	out := exchange(t, s, q, tcp)
	if len(out) != 1 {
		t.Fatalf("%d answers, want 1", len(out))
	}
	return out[0]
}

var ids = dns.NewIDs(1)

// query builds a query without RD, as resolvers send to authoritative
// servers.
func query(name string, qtype uint16) *mdns.Msg {
	return dns.NewQuery(ids, name, qtype, false)
}

// result is an answer in the form the tests compare: flags, rcode and
// sections in presentation format. Sections whose order is free are sorted.
type result struct {
	Opcode   string
	Rcode    string
	Flags    string
	Question []string
	Answer   []string
	Ns       []string
	Extra    []string
	EDNS     string
}

func summarize(m *mdns.Msg) result {
	r := result{Opcode: mdns.OpcodeToString[m.Opcode], Rcode: rcode(m.Rcode)}
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	r.Flags = strings.Join(flags, " ")
	for _, q := range m.Question {
		r.Question = append(r.Question, fmt.Sprintf("%s %s %s", q.Name, mdns.ClassToString[q.Qclass], mdns.TypeToString[q.Qtype]))
	}
	r.Answer = inOrder(m.Answer) // a CNAME precedes its target's data
	r.Ns = sorted(m.Ns)
	var extra []mdns.RR
	for _, rr := range m.Extra {
		if opt, ok := rr.(*mdns.OPT); ok {
			r.EDNS = edns(opt)
			continue
		}
		extra = append(extra, rr)
	}
	r.Extra = sorted(extra)
	return r
}

func edns(opt *mdns.OPT) string {
	s := fmt.Sprintf("version %d udp %d", opt.Version(), opt.UDPSize())
	if opt.Do() {
		s += " do"
	}
	return s
}

func rcode(rc int) string {
	if rc == mdns.RcodeBadVers {
		return "BADVERS"
	}
	return mdns.RcodeToString[rc]
}

// inOrder renders records in presentation format, fields separated by one
// space.
func inOrder(rrs []mdns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(strings.Split(rr.String(), "\t"), " "))
	}
	return out
}

// sorted renders records sorted, for sections whose order is free.
func sorted(rrs []mdns.RR) []string {
	out := inOrder(rrs)
	slices.Sort(out)
	return out
}

// rr parses one record in presentation format.
func rr(t testing.TB, s string) mdns.RR {
	t.Helper()
	r, err := mdns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
