package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"
)

// Each U: line must become the record RFC 2136 §2.4 or §2.5 prescribes:
// the class and type say which prerequisite or update it is, TTL and RDATA
// are empty where the RFC says so. (miekg/dns prints class ANY as CLASS255
// .)
func TestParseUpdateLines(t *testing.T) {
	for _, tc := range []struct {
		line    string
		section string // "prereq" or "update"
		want    string // the record in presentation format
	}{
		{"prereq yxrrset www.example.com A", "prereq", "www.example.com.\t0\tCLASS255\tA\t"},
		{"prereq yxrrset www.example.com 3600 IN A 192.0.2.1", "prereq", "www.example.com.\t0\tIN\tA\t192.0.2.1"},
		{"prereq yxrrset www.example.com A 192.0.2.1", "prereq", "www.example.com.\t0\tIN\tA\t192.0.2.1"},
		{"prereq nxrrset www.example.com AAAA", "prereq", "www.example.com.\t0\tNONE\tAAAA\t"},
		{"prereq yxdomain www.example.com", "prereq", "www.example.com.\t0\tCLASS255\tANY\t"},
		{"prereq nxdomain new.example.com", "prereq", "new.example.com.\t0\tNONE\tANY\t"},
		{"add new.example.com 600 IN A 192.0.2.9", "update", "new.example.com.\t600\tIN\tA\t192.0.2.9"},
		{"add example.com 600 MX 10 mail.example.com.", "update", "example.com.\t600\tIN\tMX\t10 mail.example.com."},
		{"delete www.example.com A", "update", "www.example.com.\t0\tCLASS255\tA\t"},
		{"delete www.example.com", "update", "www.example.com.\t0\tCLASS255\tANY\t"},
		{"delete www.example.com A 192.0.2.1", "update", "www.example.com.\t0\tNONE\tA\t192.0.2.1"},
		{`delete mail.example.com TXT "a b"`, "update", "mail.example.com.\t0\tNONE\tTXT\t\"a b\""},
	} {
		t.Run(tc.line, func(t *testing.T) {
			u := &DNSUpdate{Zone: "example.com."}
			if err := u.parseLine(tc.line); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rr := range u.Prereq {
				got = append(got, "prereq "+rr.String())
			}
			for _, rr := range u.Update {
				got = append(got, "update "+rr.String())
			}
			if diff := cmp.Diff([]string{tc.section + " " + tc.want}, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseUpdateErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"prereq maybe www.example.com", "unknown prerequisite"},
		{"prereq yxrrset www.example.com NOTATYPE", "unknown type"},
		{"prereq nxrrset www.example.com", "want NAME TYPE"},
		{"prereq yxdomain", "want NAME TYPE"},
		{"add www.example.com A", "no RDATA"},
		{"add www.example.com 3600 IN A not-an-address", "add:"},
		{"delete", "want NAME, NAME TYPE or a record"},
		{"replace www.example.com A", "unknown update line"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			u := &DNSUpdate{Zone: "example.com."}
			err := u.parseLine(tc.line)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseLine(%q) = %v, want an error containing %q", tc.line, err, tc.want)
			}
		})
	}
}

func TestParseUpdateZone(t *testing.T) {
	for _, tc := range []struct {
		line    string
		want    *DNSUpdate
		wantErr string
	}{
		{"zone example.com", &DNSUpdate{Zone: "example.com."}, ""},
		{"zone example.com. to=ns2.example.com from=laptop", &DNSUpdate{Zone: "example.com.", To: "ns2.example.com", From: "laptop"}, ""},
		{"zone", nil, "an update starts with"},
		{"add www.example.com A 192.0.2.1", nil, "an update starts with"},
		{"zone example.com via=ns1", nil, "unknown update option"},
		{"zone example.com to=", nil, "unknown update option"},
		{"zone bad..name", nil, "not a domain name"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got, err := parseUpdateZone(tc.line)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("update (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseQueryTo(t *testing.T) {
	q, err := parseQuery("SRI-NIC.ARPA A to=C.ISI.EDU norecurse")
	if err != nil {
		t.Fatal(err)
	}
	want := DNSQuery{Name: "SRI-NIC.ARPA.", Type: 1, To: "C.ISI.EDU", NoRecurse: true}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if _, err := parseQuery("SRI-NIC.ARPA A to="); err == nil {
		t.Error("to= without a server parsed")
	}
}

// Names compare without regard to case; the text of TXT records does not.
func TestRRKeyCase(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"SRI-NIC.ARPA. 86400 IN MX 0 SRI-NIC.ARPA.", "sri-nic.arpa. 86400 IN MX 0 sri-nic.arpa.", true},
		{". 86400 IN SOA SRI-NIC.ARPA. HOSTMASTER.SRI-NIC.ARPA. 1 2 3 4 5", ". 86400 IN SOA sri-nic.arpa. hostmaster.sri-nic.arpa. 1 2 3 4 5", true},
		{"a.example. 60 IN TXT \"Hello\"", "A.EXAMPLE. 60 IN TXT \"hello\"", false},
		{"a.example. 60 IN A 192.0.2.1", "a.example. 30 IN A 192.0.2.1", true},
	} {
		a, b := mustRR(t, tc.a), mustRR(t, tc.b)
		if got := rrKey(a, false) == rrKey(b, false); got != tc.same {
			t.Errorf("rrKey(%q) == rrKey(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
	if rrKey(mustRR(t, "a.example. 60 IN A 192.0.2.1"), true) == rrKey(mustRR(t, "a.example. 30 IN A 192.0.2.1"), true) {
		t.Error("exact TTLs compared equal")
	}
}

func mustRR(t *testing.T, s string) mdns.RR {
	t.Helper()
	rr, err := mdns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}
