package zone_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/zone"
)

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestSerialLess(t *testing.T) {
	tests := []struct {
		a, b uint32
		want bool
	}{
		{1, 2, true},
		{2, 1, false},
		{5, 5, false},
		{0xffffffff, 0, true}, // wraps: RFC 1982 §3.2
		{0, 0xffffffff, false},
		{0xfffffff0, 5, true},
		{1, 1 << 31, true},        // 2^31 - 1 ahead
		{0, 1 << 31, false},       // exactly 2^31 apart: undefined
		{1 << 31, 0, false},       // ... in both orders
		{100, 100 + 1<<31, false}, // undefined too
	}
	for _, tc := range tests {
		if got := zone.SerialLess(tc.a, tc.b); got != tc.want {
			t.Errorf("SerialLess(%d, %d) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestIncrementSerialWraps(t *testing.T) {
	z := mustParse(t, "example.com.", "@ 300 IN SOA ns hm 4294967295 2 3 4 5\n@ 300 IN NS ns.example.net.\n")
	if got := z.IncrementSerial(); got != 0 {
		t.Errorf("IncrementSerial() from 2^32-1 = %d, want 0", got)
	}
	if got := z.IncrementSerial(); got != 1 {
		t.Errorf("IncrementSerial() = %d, want 1", got)
	}
}

const small = `$ORIGIN example.com.
$TTL 300
@     IN SOA   ns hm 10 2 3 4 5
@     IN NS    ns
@     IN NS    ns2.example.net.
ns    IN A     192.0.2.53
www   IN A     192.0.2.1
alias IN CNAME www
`

func TestChanges(t *testing.T) {
	base := []string{
		"example.com.\t300\tIN\tSOA\tns.example.com. hm.example.com. 10 2 3 4 5",
		"example.com.\t300\tIN\tNS\tns.example.com.",
		"example.com.\t300\tIN\tNS\tns2.example.net.",
		"alias.example.com.\t300\tIN\tCNAME\twww.example.com.",
		"ns.example.com.\t300\tIN\tA\t192.0.2.53",
		"www.example.com.\t300\tIN\tA\t192.0.2.1",
	}
	with := func(i int, s string) []string { // base with s inserted at i
		out := append([]string{}, base[:i]...)
		out = append(out, s)
		return append(out, base[i:]...)
	}
	without := func(idx ...int) []string {
		var out []string
	next:
		for i, s := range base {
			for _, j := range idx {
				if i == j {
					continue next
				}
			}
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, z *zone.Zone) bool
		changed bool
		want    []string
	}{
		{
			name: "add to an RRset: the RRset takes the new TTL",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "www.example.com. 60 IN A 192.0.2.2")
			},
			changed: true,
			want: []string{
				base[0], base[1], base[2], base[3], base[4],
				"www.example.com.\t60\tIN\tA\t192.0.2.1",
				"www.example.com.\t60\tIN\tA\t192.0.2.2",
			},
		},
		{
			name: "add a new name",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "mail.example.com. 300 IN A 192.0.2.25")
			},
			changed: true,
			want:    with(4, "mail.example.com.\t300\tIN\tA\t192.0.2.25"),
		},
		{
			name: "a duplicate changes nothing",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "WWW.example.com. 300 IN A 192.0.2.1")
			},
			want: base,
		},
		{
			name: "a duplicate with another TTL replaces the record",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "www.example.com. 30 IN A 192.0.2.1")
			},
			changed: true,
			want:    append(base[:5:5], "www.example.com.\t30\tIN\tA\t192.0.2.1"),
		},
		{
			name: "a CNAME beside other data is ignored",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "www.example.com. 300 IN CNAME elsewhere.example.net.")
			},
			want: base,
		},
		{
			name: "other data beside a CNAME is ignored",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "alias.example.com. 300 IN TXT \"no\"")
			},
			want: base,
		},
		{
			name: "a CNAME replaces the CNAME",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "alias.example.com. 300 IN CNAME ns.example.com.")
			},
			changed: true,
			want:    append(append(base[:3:3], "alias.example.com.\t300\tIN\tCNAME\tns.example.com."), base[4:]...),
		},
		{
			name: "an SOA with a greater serial replaces the SOA",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "example.com. 300 IN SOA ns.example.com. hm.example.com. 11 2 3 4 5")
			},
			changed: true,
			want:    append([]string{"example.com.\t300\tIN\tSOA\tns.example.com. hm.example.com. 11 2 3 4 5"}, base[1:]...),
		},
		{
			name: "an SOA with an equal serial is ignored",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "example.com. 300 IN SOA ns.example.com. other.example.com. 10 2 3 4 5")
			},
			want: base,
		},
		{
			name: "an SOA with a serial behind in RFC 1982 terms is ignored",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "example.com. 300 IN SOA ns.example.com. hm.example.com. 2147483659 2 3 4 5")
			},
			want: base,
		},
		{
			name: "an SOA below the apex is ignored",
			change: func(t *testing.T, z *zone.Zone) bool {
				return add(t, z, "www.example.com. 300 IN SOA ns.example.com. hm.example.com. 99 2 3 4 5")
			},
			want: base,
		},
		{
			name:    "delete an RRset",
			change:  func(t *testing.T, z *zone.Zone) bool { return z.DeleteRRset("www.example.com.", dns.TypeA) },
			changed: true,
			want:    base[:5],
		},
		{
			name:   "deleting a missing RRset changes nothing",
			change: func(t *testing.T, z *zone.Zone) bool { return z.DeleteRRset("www.example.com.", dns.TypeMX) },
			want:   base,
		},
		{
			name:   "the apex NS RRset is not deleted",
			change: func(t *testing.T, z *zone.Zone) bool { return z.DeleteRRset("example.com.", dns.TypeNS) },
			want:   base,
		},
		{
			name:   "the SOA is not deleted",
			change: func(t *testing.T, z *zone.Zone) bool { return z.DeleteRRset("example.com.", dns.TypeSOA) },
			want:   base,
		},
		{
			name: "delete all at the apex keeps SOA and NS",
			change: func(t *testing.T, z *zone.Zone) bool {
				add(t, z, "example.com. 300 IN MX 10 www.example.com.")
				return z.DeleteName("example.com.")
			},
			changed: true,
			want:    base,
		},
		{
			name:    "delete all at a name",
			change:  func(t *testing.T, z *zone.Zone) bool { return z.DeleteName("ALIAS.example.com.") },
			changed: true,
			want:    without(3),
		},
		{
			name: "delete one RR (class NONE, TTL 0 as in an update)",
			change: func(t *testing.T, z *zone.Zone) bool {
				return z.DeleteRR(mustRR(t, "example.com. 0 NONE NS ns2.example.net."))
			},
			changed: true,
			want:    without(2),
		},
		{
			name: "the last apex NS is kept",
			change: func(t *testing.T, z *zone.Zone) bool {
				z.DeleteRR(mustRR(t, "example.com. 0 NONE NS ns2.example.net."))
				return z.DeleteRR(mustRR(t, "example.com. 0 NONE NS ns.example.com."))
			},
			changed: false,
			want:    without(2),
		},
		{
			name: "the SOA is never deleted as an RR",
			change: func(t *testing.T, z *zone.Zone) bool {
				return z.DeleteRR(mustRR(t, "example.com. 0 NONE SOA ns.example.com. hm.example.com. 10 2 3 4 5"))
			},
			want: base,
		},
		{
			name: "deleting an RR that is not there changes nothing",
			change: func(t *testing.T, z *zone.Zone) bool {
				return z.DeleteRR(mustRR(t, "www.example.com. 0 NONE A 192.0.2.99"))
			},
			want: base,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := mustParse(t, "example.com.", small)
			if got := tc.change(t, z); got != tc.changed {
				t.Errorf("changed = %v, want %v", got, tc.changed)
			}
			if diff := cmp.Diff(tc.want, strs(z.Records())); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if z.Serial() != 10 && tc.name != "an SOA with a greater serial replaces the SOA" {
				t.Errorf("serial = %d; changes leave it to the caller", z.Serial())
			}
		})
	}
}

func add(t *testing.T, z *zone.Zone, s string) bool {
	t.Helper()
	changed, err := z.Add(mustRR(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

func TestAddRejects(t *testing.T) {
	z := mustParse(t, "example.com.", small)
	for _, s := range []string{"www.example.org. 300 IN A 192.0.2.1", "www.example.com. 300 CH A 192.0.2.1"} {
		if _, err := z.Add(mustRR(t, s)); err == nil {
			t.Errorf("Add(%s) succeeded", s)
		}
	}
}

// TestAddCopies is the trap: miekg's Msg.Remove and Msg.Insert rewrite the
// class and TTL of the records they are given, so a zone that kept the
// request's record would change when the client reused it.
func TestAddCopies(t *testing.T) {
	z := mustParse(t, "example.com.", small)
	rr := mustRR(t, "new.example.com. 300 IN A 192.0.2.7")
	add(t, z, "new.example.com. 300 IN A 192.0.2.8")
	if _, err := z.Add(rr); err != nil {
		t.Fatal(err)
	}
	u := new(dns.Msg)
	u.SetUpdate("example.com.")
	u.Remove([]dns.RR{rr}) // sets rr's class to NONE and TTL to 0
	rr.(*dns.A).A[3] = 99
	want := []string{"new.example.com.\t300\tIN\tA\t192.0.2.8", "new.example.com.\t300\tIN\tA\t192.0.2.7"}
	if diff := cmp.Diff(want, strs(z.RRset("new.example.com.", dns.TypeA))); diff != "" {
		t.Errorf("zone changed with the caller's record (-want +got):\n%s", diff)
	}
}

func TestCheckAfterChanges(t *testing.T) {
	z := mustParse(t, "example.com.", small)
	if err := z.Check(); err != nil {
		t.Fatal(err)
	}
	z.DeleteRRset("ns.example.com.", dns.TypeA)
	want := "zone: example.com.zone: no glue: name server ns.example.com. of example.com. is inside the zone but has no A or AAAA record (RFC 1034 §4.2.1)"
	if err := z.Check(); err == nil || err.Error() != want {
		t.Errorf("Check() = %v, want %s", err, want)
	}
}
