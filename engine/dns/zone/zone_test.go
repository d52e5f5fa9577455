package zone_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/zone"
)

// exampleCom is the test zone: a CNAME to a name with three A records, MX
// records with two preferences, a delegation with glue, a wildcard, an
// empty non-terminal below it, AAAA records and a 30 s TTL.
const exampleCom = `$ORIGIN example.com.
$TTL 3600
; the apex
@          IN SOA ns1 hostmaster (
                  2024010101 ; serial
                  7200 3600 1209600 300 )
@          IN NS    ns1
@          IN NS    ns2
@          IN MX    10 mail
@          IN MX    20 mail2.example.net.
ns1        IN A     203.0.113.53
ns2        IN A     203.0.113.54
ns2        IN AAAA  2001:db8::54
mail       IN A     203.0.113.25
www        IN CNAME web
web        IN A     203.0.113.80
web        IN A     203.0.113.81
web        IN A     203.0.113.82
short 30   IN A     203.0.113.30
*.wild     IN TXT   "wildcard"
a.ent.wild IN A     203.0.113.99
sub        IN NS    ns.sub
sub        IN NS    ns.other.example.net.
ns.sub     IN A     203.0.113.100
`

func mustParse(t testing.TB, origin, text string) *zone.Zone {
	t.Helper()
	z, err := zone.Parse(origin, origin+"zone", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// strs renders records in presentation format.
func strs(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

func TestLookups(t *testing.T) {
	z := mustParse(t, "example.com.", exampleCom)
	if got := z.Serial(); got != 2024010101 {
		t.Errorf("Serial() = %d, want 2024010101", got)
	}
	if diff := cmp.Diff([]string{
		"web.example.com.\t3600\tIN\tA\t203.0.113.80",
		"web.example.com.\t3600\tIN\tA\t203.0.113.81",
		"web.example.com.\t3600\tIN\tA\t203.0.113.82",
	}, strs(z.RRset("WEB.Example.COM", dns.TypeA))); diff != "" {
		t.Errorf("RRset(web, A) (-want +got):\n%s", diff)
	}
	if got := z.RRset("www.example.com.", dns.TypeA); got != nil {
		t.Errorf("RRset(www, A) = %v, want nil", got)
	}
	if diff := cmp.Diff([]uint16{dns.TypeA, dns.TypeAAAA}, z.Types("ns2.example.com.")); diff != "" {
		t.Errorf("Types(ns2) (-want +got):\n%s", diff)
	}

	exists := map[string]bool{
		"example.com.":                   true,
		"www.example.com.":               true,
		"ent.wild.example.com.":          true, // empty non-terminal, RFC 8020
		"wild.example.com.":              true, // empty non-terminal above *.wild
		"*.wild.example.com.":            true,
		"a.ent.wild.example.com.":        true,
		"nope.example.com.":              false,
		"x.www.example.com.":             false,
		"example.org.":                   false,
		"deep.host.sub.example.com.":     false,
		"ns.sub.example.com.":            true,
		"NS.SUB.EXAMPLE.COM.":            true,
		"www.example.com.example.com.":   false,
		"other.ent.wild.example.com.":    false,
		"a.b.c.nothing.here.example.com": false,
	}
	for name, want := range exists {
		if got := z.Exists(name); got != want {
			t.Errorf("Exists(%s) = %v, want %v", name, got, want)
		}
	}

	encloser := map[string]string{
		"x.y.ent.wild.example.com.": "ent.wild.example.com.",
		"foo.wild.example.com.":     "wild.example.com.",
		"nope.example.com.":         "example.com.",
		"www.example.com.":          "www.example.com.",
		"www.example.org.":          "",
	}
	for name, want := range encloser {
		if got := z.ClosestEncloser(name); got != want {
			t.Errorf("ClosestEncloser(%s) = %q, want %q", name, got, want)
		}
	}

	type wc struct {
		source string
		ok     bool
	}
	wildcards := map[string]wc{
		"foo.wild.example.com.":       {"*.wild.example.com.", true},
		"a.b.wild.example.com.":       {"*.wild.example.com.", true},
		"x.ent.wild.example.com.":     {"*.ent.wild.example.com.", false}, // the ENT blocks *.wild (RFC 4592 §2.2.2)
		"nope.example.com.":           {"*.example.com.", false},
		"www.example.com.":            {"", false}, // exists: no synthesis
		"ent.wild.example.com.":       {"", false}, // exists as an ENT
		"www.example.org.":            {"", false},
		"*.wild.example.com.":         {"", false},
		"deeper.foo.wild.example.com": {"*.wild.example.com.", true},
	}
	for name, want := range wildcards {
		source, ok := z.Wildcard(name)
		if got := (wc{source, ok}); got != want {
			t.Errorf("Wildcard(%s) = %v, want %v", name, got, want)
		}
	}

	cuts := map[string]string{
		"host.sub.example.com.": "sub.example.com.",
		"sub.example.com.":      "sub.example.com.",
		"ns.sub.example.com.":   "sub.example.com.",
		"www.example.com.":      "",
		"example.com.":          "",
		"example.org.":          "",
	}
	for name, want := range cuts {
		cut, ok := z.Cut(name)
		if cut != want || ok != (want != "") {
			t.Errorf("Cut(%s) = %q, %v; want %q", name, cut, ok, want)
		}
	}
	if diff := cmp.Diff([]string{"sub.example.com."}, z.Cuts()); diff != "" {
		t.Errorf("Cuts() (-want +got):\n%s", diff)
	}
}

func TestNestedCutsOcclude(t *testing.T) {
	// Data below a cut is not the zone's, deeper NS records included: the
	// referral is to the cut nearest the apex (RFC 1034 §4.3.2 step 3b).
	z := mustParse(t, "example.com.", `$ORIGIN example.com.
@ 300 IN SOA ns hm 1 2 3 4 5
@ 300 IN NS ns
ns 300 IN A 192.0.2.1
sub 300 IN NS ns.sub
ns.sub 300 IN A 192.0.2.2
deeper.sub 300 IN NS ns.elsewhere.example.
`)
	if cut, _ := z.Cut("x.deeper.sub.example.com."); cut != "sub.example.com." {
		t.Errorf("Cut(x.deeper.sub) = %q, want sub.example.com.", cut)
	}
	if diff := cmp.Diff([]string{"sub.example.com."}, z.Cuts()); diff != "" {
		t.Errorf("Cuts() (-want +got):\n%s", diff)
	}
}

func TestRootZone(t *testing.T) {
	z := mustParse(t, ".", `$ORIGIN .
$TTL 86400
@ IN SOA a.root-servers.example.net. hostmaster.example.net. 1 1800 900 604800 86400
@ IN NS a.root-servers.example.net.
com. 172800 IN NS a.gtld-servers.example.net.
net. 172800 IN NS c.gtld-servers.example.net.
a.root-servers.example.net. IN A 198.51.100.1
a.gtld-servers.example.net. IN A 198.51.100.11
c.gtld-servers.example.net. IN A 198.51.100.13
`)
	if cut, _ := z.Cut("www.example.com."); cut != "com." {
		t.Errorf("Cut(www.example.com.) = %q, want com.", cut)
	}
	if source, ok := z.Wildcard("nope."); ok || source != "*." {
		t.Errorf("Wildcard(nope.) = %q, %v; want *., false", source, ok)
	}
	if diff := cmp.Diff([]string{"com.", "net."}, z.Cuts()); diff != "" {
		t.Errorf("Cuts() (-want +got):\n%s", diff)
	}
}

func TestRecordsCanonicalOrder(t *testing.T) {
	z := mustParse(t, "example.com.", `$ORIGIN example.com.
$TTL 300
z      IN A    192.0.2.9
@      IN NS   ns
Z.a    IN A    192.0.2.7
a      IN TXT  "t"
a      IN A    192.0.2.2
a      IN A    192.0.2.1
ns     IN A    192.0.2.53
@      IN SOA  ns hm 1 2 3 4 5
*.a    IN A    192.0.2.3
`)
	want := []string{
		"example.com.\t300\tIN\tSOA\tns.example.com. hm.example.com. 1 2 3 4 5",
		"example.com.\t300\tIN\tNS\tns.example.com.",
		"a.example.com.\t300\tIN\tA\t192.0.2.1",
		"a.example.com.\t300\tIN\tA\t192.0.2.2",
		"a.example.com.\t300\tIN\tTXT\t\"t\"",
		"*.a.example.com.\t300\tIN\tA\t192.0.2.3",
		"Z.a.example.com.\t300\tIN\tA\t192.0.2.7",
		"ns.example.com.\t300\tIN\tA\t192.0.2.53",
		"z.example.com.\t300\tIN\tA\t192.0.2.9",
	}
	if diff := cmp.Diff(want, strs(z.Records())); diff != "" {
		t.Errorf("Records() (-want +got):\n%s", diff)
	}
}

func TestStringRoundTrip(t *testing.T) {
	z := mustParse(t, "example.com.", exampleCom)
	back, err := zone.Parse("example.com.", "printed", []byte(z.String()))
	if err != nil {
		t.Fatalf("parsing String(): %v\n%s", err, z)
	}
	if diff := cmp.Diff(strs(z.Records()), strs(back.Records())); diff != "" {
		t.Errorf("Records after String/Parse (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(z.String(), "$ORIGIN example.com.\nexample.com.\t3600\tIN\tSOA\t") {
		t.Errorf("String() does not start with the SOA:\n%s", z)
	}
}

func TestNewFromRecords(t *testing.T) {
	z := mustParse(t, "example.com.", exampleCom)
	rrs := z.Records()
	nz, err := zone.New("example.com", rrs)
	if err != nil {
		t.Fatal(err)
	}
	rrs[0].(*dns.SOA).Serial = 7 // New copied the records
	if nz.Serial() != 2024010101 {
		t.Errorf("New kept the caller's record: serial %d", nz.Serial())
	}
	_, err = zone.New("example.com", rrs[1:])
	want := "zone: example.com.: no SOA record at the apex example.com. (RFC 1035 §5.2)"
	if err == nil || err.Error() != want {
		t.Errorf("New without SOA: %v, want %s", err, want)
	}
}

func TestDefaultTTL(t *testing.T) {
	z := mustParse(t, "example.com.", `@ IN SOA ns hm 1 2 3 4 5
@ IN NS ns
ns IN A 192.0.2.1
`)
	if ttl := z.SOA().Hdr.Ttl; ttl != zone.DefaultTTL {
		t.Errorf("TTL without $TTL = %d, want %d", ttl, zone.DefaultTTL)
	}
}

func TestLoadErrors(t *testing.T) {
	const apex = "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.53\n"
	tests := []struct {
		name, text string
		want       []string
	}{
		{
			name: "syntax",
			text: apex + "www IN A 192.0.2.300\n",
			want: []string{`zone: example.com.zone:6: bad A A: "192.0.2.300"`},
		},
		{
			name: "no SOA",
			text: "$ORIGIN example.com.\n$TTL 300\n@ IN NS ns\nns IN A 192.0.2.53\n",
			want: []string{"zone: example.com.zone: no SOA record at the apex example.com. (RFC 1035 §5.2)"},
		},
		{
			name: "SOA below the apex",
			text: apex + "sub IN SOA ns hm 1 2 3 4 5\n",
			want: []string{"zone: example.com.zone:6: SOA record at sub.example.com., not at the apex example.com. (RFC 1035 §5.2)"},
		},
		{
			name: "second SOA",
			text: apex + "\n; again\n@ IN SOA (\n  ns hm 2 2 3 4 5 )\n",
			want: []string{"zone: example.com.zone:8: second SOA record; a zone has exactly one (RFC 1035 §5.2)"},
		},
		{
			name: "no NS at the apex",
			text: "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hm 1 2 3 4 5\nns IN A 192.0.2.53\n",
			want: []string{"zone: example.com.zone: no NS records at the apex example.com. (RFC 1034 §4.2.1)"},
		},
		{
			name: "no glue for the apex",
			text: "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns.example.net.\n@ IN NS ns2\n",
			want: []string{"zone: example.com.zone:5: no glue: name server ns2.example.com. of example.com. is inside the zone but has no A or AAAA record (RFC 1034 §4.2.1)"},
		},
		{
			name: "no glue for a delegation",
			text: apex + "sub IN NS ns.sub\nsub IN NS ns.example.net.\n",
			want: []string{"zone: example.com.zone:6: no glue: name server ns.sub.example.com. of sub.example.com. is inside the zone but has no A or AAAA record (RFC 1034 §4.2.1)"},
		},
		{
			name: "AAAA glue is enough",
			text: apex + "sub IN NS ns.sub\nns.sub IN AAAA 2001:db8::1\n",
		},
		{
			name: "CNAME and other data",
			text: apex + "www IN A 192.0.2.1\nwww IN CNAME web\nweb IN A 192.0.2.2\n",
			want: []string{"zone: example.com.zone:7: CNAME and other data at www.example.com. (RFC 1034 §3.6.2, RFC 2181 §10.1)"},
		},
		{
			name: "other data after a CNAME",
			text: apex + "www IN CNAME web\nwww IN MX 10 mail\n",
			want: []string{"zone: example.com.zone:7: CNAME and other data at www.example.com. (RFC 1034 §3.6.2, RFC 2181 §10.1)"},
		},
		{
			name: "two CNAMEs",
			text: apex + "www IN CNAME web\nwww IN CNAME web2\n",
			want: []string{"zone: example.com.zone:7: second CNAME at www.example.com.; a name has at most one (RFC 2181 §10.1)"},
		},
		{
			name: "CNAME at the apex",
			text: apex + "@ IN CNAME example.net.\n",
			want: []string{"zone: example.com.zone:6: CNAME and other data at example.com. (RFC 1034 §3.6.2, RFC 2181 §10.1)"},
		},
		{
			name: "outside the zone",
			text: apex + "www.example.org. IN A 192.0.2.1\n",
			want: []string{"zone: example.com.zone:6: www.example.org. is outside the zone example.com."},
		},
		{
			name: "missing trailing dot stays inside",
			text: apex + "www IN CNAME web.example.org\n",
		},
		{
			name: "class CH",
			text: apex + "version CH TXT \"1\"\n",
			want: []string{"zone: example.com.zone:6: version.example.com. has class CH; wirelab zones are class IN"},
		},
		{
			name: "all problems, in line order",
			text: "$ORIGIN example.com.\n$TTL 300\n@ IN NS ns\nwww IN CNAME web\nwww IN A 192.0.2.1\nx.example.org. IN A 192.0.2.1\n",
			want: []string{
				"zone: example.com.zone: no SOA record at the apex example.com. (RFC 1035 §5.2)",
				"zone: example.com.zone:3: no glue: name server ns.example.com. of example.com. is inside the zone but has no A or AAAA record (RFC 1034 §4.2.1)",
				"zone: example.com.zone:5: CNAME and other data at www.example.com. (RFC 1034 §3.6.2, RFC 2181 §10.1)",
				"zone: example.com.zone:6: x.example.org. is outside the zone example.com.",
			},
		},
		{
			name: "records made by $GENERATE take its line",
			text: apex + "$GENERATE 1-2 h$.example.org. A 192.0.2.$\nok IN A 192.0.2.9\nbad.example.org. IN A 192.0.2.9\n",
			want: []string{
				"zone: example.com.zone:6: h1.example.org. is outside the zone example.com.",
				"zone: example.com.zone:6: h2.example.org. is outside the zone example.com.",
				"zone: example.com.zone:8: bad.example.org. is outside the zone example.com.",
			},
		},
		{
			name: "a record after a multi-line one, blanks and comments",
			text: "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hm (\n 1 ; serial\n 2 3 4 5 )\n\n  ; note\n\t\n@ IN NS ns\n  IN NS ns2 ; owner left out\nns IN A 192.0.2.53\n",
			want: []string{"zone: example.com.zone:10: no glue: name server ns2.example.com. of example.com. is inside the zone but has no A or AAAA record (RFC 1034 §4.2.1)"},
		},
		{
			name: "$INCLUDE is refused",
			text: apex + "$INCLUDE /etc/passwd\n",
			want: []string{`zone: example.com.zone:6: $INCLUDE directive not allowed: "/etc/passwd"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := zone.Parse("example.com.", "example.com.zone", []byte(tc.text))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var ze *zone.Error
			if err != nil && !errors.As(err, &ze) {
				t.Errorf("%T is not a *zone.Error", err)
			}
		})
	}
}

func TestSyntaxErrorUnwraps(t *testing.T) {
	_, err := zone.Parse("example.com.", "f", []byte("www IN A nonsense\n"))
	var pe *dns.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("error %v does not unwrap to *dns.ParseError", err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	z := mustParse(t, "example.com.", exampleCom)
	before := z.String()
	c := z.Clone()
	c.IncrementSerial()
	if _, err := c.Add(mustRR(t, "new.example.com. 60 IN A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	c.DeleteRRset("web.example.com.", dns.TypeA)
	if got := z.String(); got != before {
		t.Errorf("changing a clone changed the original:\n%s", cmp.Diff(before, got))
	}
	if z.Serial()+1 != c.Serial() {
		t.Errorf("serials: original %d, clone %d", z.Serial(), c.Serial())
	}
}

func TestLookupsReturnCopies(t *testing.T) {
	z := mustParse(t, "example.com.", exampleCom)
	z.RRset("web.example.com.", dns.TypeA)[0].Header().Ttl = 1
	z.SOA().Serial = 1
	z.Records()[1].Header().Name = "evil."
	if got := z.RRset("web.example.com.", dns.TypeA)[0].Header().Ttl; got != 3600 {
		t.Errorf("TTL after changing a returned record = %d, want 3600", got)
	}
	if z.Serial() != 2024010101 {
		t.Errorf("serial after changing the returned SOA = %d", z.Serial())
	}
	if !slices.Equal(strs(z.Records()), strs(mustParse(t, "example.com.", exampleCom).Records())) {
		t.Error("changing a record from Records changed the zone")
	}
}
