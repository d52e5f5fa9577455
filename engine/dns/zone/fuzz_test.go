package zone_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/zone"
	"github.com/wirelab/wirelab/engine/world"
)

// rfc1035Example is the master file of RFC 1035 §5.3, loaded with the
// origin ISI.EDU, without its $INCLUDE (which Parse refuses) and with glue
// for A.ISI.EDU, which the check asks for.
const rfc1035Example = `@   IN  SOA     VENERA      Action\.domains (
                                 20     ; SERIAL
                                 7200   ; REFRESH
                                 600    ; RETRY
                                 3600000; EXPIRE
                                 60)    ; MINIMUM

        NS      A.ISI.EDU.
        NS      VENERA
        NS      VAXA
        MX      10      VENERA
        MX      20      VAXA

A       A       26.3.0.103

VENERA  A       10.1.0.52
        A       128.9.0.32

VAXA    A       10.2.0.27
        A       128.9.0.33
`

// FuzzParse reads arbitrary master files. It must not panic; a file it
// refuses gets only *Error values naming the file and a line inside it; a
// zone it loads passes its own check, has one SOA, at the apex, and every
// record at or below the origin, and prints as a master file that loads
// back to the same records.
func FuzzParse(f *testing.F) {
	f.Add("ISI.EDU.", []byte(rfc1035Example))
	f.Add("ISI.EDU.", []byte(rfc1035Example+"\n$INCLUDE <SUBSYS>ISI-MAILBOXES.TXT\n"))
	f.Add("example.com.", []byte(exampleCom))
	f.Add("example.com.", []byte(exampleCom+"www IN A 192.0.2.1\n$GENERATE 1-3 h$ A 192.0.2.$\n"))
	f.Add("example.com.", []byte("$TTL 1h\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nx CNAME y\nx A 192.0.2.2\n"))
	f.Add("example.com.", []byte("@ SOA ns h 1 2 3 4 5\n@ NS ns.sub\nsub NS ns.sub\nout.example.org. A 192.0.2.9\n( \"\n"))
	for name, data := range world.Demo().DNSFiles {
		if origin, ok := strings.CutSuffix(strings.TrimPrefix(name, "dns/zones/"), ".zone"); ok {
			if origin == "root" {
				origin = ""
			}
			f.Add(origin+".", data)
		}
	}
	f.Fuzz(func(t *testing.T, origin string, data []byte) {
		const file = "fuzz.zone"
		z, err := zone.Parse(origin, file, data)
		if err != nil {
			checkErrors(t, err, file, bytes.Count(data, []byte("\n"))+1)
			return
		}
		if want := dns.CanonicalName(origin); z.Origin() != want {
			t.Fatalf("origin %q, want %q", z.Origin(), want)
		}
		if err := z.Check(); err != nil {
			t.Fatalf("a loaded zone fails its check: %v", err)
		}
		recs := z.Records()
		if len(recs) != z.Len() {
			t.Fatalf("%d records, Len says %d", len(recs), z.Len())
		}
		for i, rr := range recs {
			h := rr.Header()
			if !z.Contains(h.Name) {
				t.Fatalf("%q outside %s", rr, z.Origin())
			}
			if isSOA := h.Rrtype == dns.TypeSOA; isSOA != (i == 0) {
				t.Fatalf("record %d is %q: the SOA, and only it, comes first", i, rr)
			}
		}
		if dns.CanonicalName(recs[0].Header().Name) != z.Origin() {
			t.Fatalf("SOA %q not at the apex %s", recs[0], z.Origin())
		}
		text := z.String()
		again, err := zone.Parse(origin, file, []byte(text))
		if err != nil {
			t.Fatalf("the zone's own master file does not load: %v\n%s", err, text)
		}
		if diff := cmp.Diff(strs(recs), strs(again.Records())); diff != "" {
			t.Fatalf("records changed through String and Parse (-first +again):\n%s\n%s", diff, text)
		}
		if c := z.Clone().String(); c != text {
			t.Fatalf("clone prints differently:\n%s\n%s", text, c)
		}
	})
}

// checkErrors checks that err is made of *zone.Error values for file, each
// on a line of a file of lines lines, or on none.
func checkErrors(t *testing.T, err error, file string, lines int) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ze *zone.Error
		if !errors.As(e, &ze) {
			t.Fatalf("error %v (%T) is not a *zone.Error", e, e)
		}
		if ze.File != file {
			t.Fatalf("error %v names file %q, want %q", e, ze.File, file)
		}
		if ze.Line < 0 || ze.Line > lines {
			t.Fatalf("error %v on line %d of a %d-line file", e, ze.Line, lines)
		}
		if !strings.HasPrefix(e.Error(), "zone: ") {
			t.Fatalf("error %q lacks the package prefix", e)
		}
	}
}

// TestNoRDATA: records whose RDATA is missing are refused, wherever they
// come from: a master file (found by FuzzParse, which saw "  NS " load as
// an NS record that printed as a line no parser reads), a zone transfer
// (New), or Add. miekg's parser gives them their type's zero RDATA.
func TestNoRDATA(t *testing.T) {
	const apex = "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.53\n"
	for _, tc := range []struct{ name, line, want string }{
		{"NS at the end of the file, owner left out", "  NS ", "zone: example.com.zone:6: ns.example.com. has no RDATA"},
		{"A", "www IN A\n", "zone: example.com.zone:6: www.example.com. has no RDATA"},
		{"MX", "@ MX\n", "zone: example.com.zone:6: example.com. has no RDATA"},
		{"generic form", "www NS \\# 0\n", "zone: example.com.zone:6: www.example.com. has no RDATA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := zone.Parse("example.com.", "example.com.zone", []byte(apex+tc.line))
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse: %v, want %s", err, tc.want)
			}
		})
	}
	z := mustParse(t, "example.com.", apex)
	empty := []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}}}
	if _, err := zone.New("example.com.", append(z.Records(), empty...)); err == nil {
		t.Error("New took an NS record without RDATA")
	}
	if changed, err := z.Add(empty[0]); err == nil || changed {
		t.Errorf("Add of an NS record without RDATA: %v, %v", changed, err)
	}
}
