package authority_test

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
)

const serial0 = 2024010101

// newUpdate starts an UPDATE for zone with an ID from ids.
func newUpdate(zone string) *mdns.Msg {
	u := new(mdns.Msg)
	u.SetUpdate(zone)
	u.Id = ids.Next()
	return u
}

// change is an observed OnChange call.
type change struct {
	Zone   string
	Serial uint32
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name   string
		update func(t *testing.T) *mdns.Msg
		// server adjusts the server; nil leaves authServer as it is.
		server func(s *authority.Server)
		rcode  string
		serial uint32 // after; 0 means unchanged
		// look lists name/type pairs whose RRsets are compared after.
		look []lookup
	}{
		{
			name: "add a record: the serial moves by one",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"new.example.com.", mdns.TypeA, []string{"new.example.com. 300 IN A 192.0.2.1"}}},
		},
		{
			name: "several changes: the serial still moves once",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1"), rr(t, "new.example.com. 300 IN A 192.0.2.2")})
				u.RemoveRRset([]mdns.RR{rr(t, "short.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{
				{"new.example.com.", mdns.TypeA, []string{"new.example.com. 300 IN A 192.0.2.1", "new.example.com. 300 IN A 192.0.2.2"}},
				{"short.example.com.", mdns.TypeA, nil},
			},
		},
		{
			name: "an update that changes nothing leaves the serial",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "short.example.com. 30 IN A 203.0.113.30")})
				return u
			},
			rcode: "NOERROR",
		},
		{
			name: "prerequisite RRset exists (value independent), met",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RRsetUsed([]mdns.RR{rr(t, "web.example.com. 0 IN A 0.0.0.0")})
				u.Insert([]mdns.RR{rr(t, "web.example.com. 3600 IN A 203.0.113.83")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"web.example.com.", mdns.TypeA, []string{web80, web81, web82, "web.example.com. 3600 IN A 203.0.113.83"}}},
		},
		{
			name: "prerequisite RRset exists (value independent), not met: NXRRSET",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RRsetUsed([]mdns.RR{rr(t, "web.example.com. 0 IN AAAA ::")})
				u.Insert([]mdns.RR{rr(t, "web.example.com. 3600 IN A 203.0.113.83")})
				return u
			},
			rcode: "NXRRSET",
			look:  []lookup{{"web.example.com.", mdns.TypeA, []string{web80, web81, web82}}},
		},
		{
			name: "prerequisite RRset exists (value dependent), the whole set",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Used([]mdns.RR{rr(t, "web.example.com. 0 IN A 203.0.113.82"), rr(t, "web.example.com. 0 IN A 203.0.113.80"), rr(t, "WEB.example.com. 0 IN A 203.0.113.81")})
				u.RemoveRRset([]mdns.RR{rr(t, "web.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"web.example.com.", mdns.TypeA, nil}},
		},
		{
			name: "prerequisite RRset exists (value dependent), a subset: NXRRSET",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Used([]mdns.RR{rr(t, "web.example.com. 0 IN A 203.0.113.80"), rr(t, "web.example.com. 0 IN A 203.0.113.81")})
				u.RemoveRRset([]mdns.RR{rr(t, "web.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NXRRSET",
			look:  []lookup{{"web.example.com.", mdns.TypeA, []string{web80, web81, web82}}},
		},
		{
			name: "prerequisite RRset does not exist, met",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RRsetNotUsed([]mdns.RR{rr(t, "web.example.com. 0 IN AAAA ::")})
				u.Insert([]mdns.RR{rr(t, "web.example.com. 3600 IN AAAA 2001:db8::80")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"web.example.com.", mdns.TypeAAAA, []string{"web.example.com. 3600 IN AAAA 2001:db8::80"}}},
		},
		{
			name: "prerequisite RRset does not exist, not met: YXRRSET",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RRsetNotUsed([]mdns.RR{rr(t, "web.example.com. 0 IN A 0.0.0.0")})
				u.Insert([]mdns.RR{rr(t, "web.example.com. 3600 IN AAAA 2001:db8::80")})
				return u
			},
			rcode: "YXRRSET",
			look:  []lookup{{"web.example.com.", mdns.TypeAAAA, nil}},
		},
		{
			name: "prerequisite name is in use, met",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameUsed([]mdns.RR{rr(t, "web.example.com. 0 IN A 0.0.0.0")})
				u.Insert([]mdns.RR{rr(t, "web.example.com. 3600 IN TXT \"in use\"")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"web.example.com.", mdns.TypeTXT, []string{`web.example.com. 3600 IN TXT "in use"`}}},
		},
		{
			name: "prerequisite name is in use, not met: NXDOMAIN",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameUsed([]mdns.RR{rr(t, "nope.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NXDOMAIN",
		},
		{
			name: "an empty non-terminal is not in use (RFC 2136 §2.4.4)",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameUsed([]mdns.RR{rr(t, "ent.wild.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NXDOMAIN",
		},
		{
			name: "prerequisite name is not in use, met (an empty non-terminal too)",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameNotUsed([]mdns.RR{rr(t, "new.example.com. 0 IN A 0.0.0.0"), rr(t, "ent.wild.example.com. 0 IN A 0.0.0.0")})
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"new.example.com.", mdns.TypeA, []string{"new.example.com. 300 IN A 192.0.2.1"}}},
		},
		{
			name: "prerequisite name is not in use, not met: YXDOMAIN",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameNotUsed([]mdns.RR{rr(t, "www.example.com. 0 IN A 0.0.0.0")})
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
				return u
			},
			rcode: "YXDOMAIN",
			look:  []lookup{{"new.example.com.", mdns.TypeA, nil}},
		},
		{
			name: "a prerequisite with a TTL: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Answer = []mdns.RR{&mdns.ANY{Hdr: mdns.RR_Header{Name: "web.example.com.", Rrtype: mdns.TypeA, Class: mdns.ClassANY, Ttl: 5}}}
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "a class ANY prerequisite with RDATA: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				a := rr(t, "web.example.com. 0 IN A 203.0.113.80")
				a.Header().Class = mdns.ClassANY
				u.Answer = []mdns.RR{a}
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "a prerequisite of class CH: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Answer = []mdns.RR{rr(t, "web.example.com. 0 CH A 203.0.113.80")}
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "a prerequisite outside the zone: NOTZONE",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameUsed([]mdns.RR{rr(t, "www.example.org. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NOTZONE",
		},
		{
			name: "an update outside the zone: NOTZONE",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1"), rr(t, "www.example.org. 300 IN A 192.0.2.1")})
				return u
			},
			rcode: "NOTZONE",
			look:  []lookup{{"new.example.com.", mdns.TypeA, nil}},
		},
		{
			name: "no zone section: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Question = nil
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "a zone section of type A: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Question[0].Qtype = mdns.TypeA
				return u
			},
			rcode: "FORMERR",
		},
		{
			name:   "a zone that is not ours: NOTAUTH",
			update: func(t *testing.T) *mdns.Msg { return newUpdate("example.net.") },
			rcode:  "NOTAUTH",
		},
		{
			name:   "a name in the zone is not a zone: NOTAUTH",
			update: func(t *testing.T) *mdns.Msg { return newUpdate("www.example.com.") },
			rcode:  "NOTAUTH",
		},
		{
			name: "a zone of class CH: NOTAUTH",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Question[0].Qclass = mdns.ClassCHAOS
				return u
			},
			rcode: "NOTAUTH",
		},
		{
			name: "adding a meta type: FORMERR (prescan)",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
				u.Ns = append(u.Ns, &mdns.ANY{Hdr: mdns.RR_Header{Name: "new.example.com.", Rrtype: mdns.TypeANY, Class: mdns.ClassINET, Ttl: 300}})
				return u
			},
			rcode: "FORMERR",
			look:  []lookup{{"new.example.com.", mdns.TypeA, nil}},
		},
		{
			name: "deleting an RRset with a TTL: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Ns = []mdns.RR{&mdns.ANY{Hdr: mdns.RR_Header{Name: "web.example.com.", Rrtype: mdns.TypeA, Class: mdns.ClassANY, Ttl: 1}}}
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "deleting an RR of type ANY: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Ns = []mdns.RR{&mdns.ANY{Hdr: mdns.RR_Header{Name: "web.example.com.", Rrtype: mdns.TypeANY, Class: mdns.ClassNONE}}}
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "an update of class CH: FORMERR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Ns = []mdns.RR{rr(t, "web.example.com. 0 CH A 192.0.2.1")}
				return u
			},
			rcode: "FORMERR",
		},
		{
			name: "delete an RRset",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RemoveRRset([]mdns.RR{rr(t, "ns2.example.com. 0 IN AAAA ::")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{
				{"ns2.example.com.", mdns.TypeAAAA, nil},
				{"ns2.example.com.", mdns.TypeA, []string{"ns2.example.com. 3600 IN A 203.0.113.54"}},
			},
		},
		{
			name: "delete all RRsets of a name",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RemoveName([]mdns.RR{rr(t, "mail.example.com. 0 IN A 0.0.0.0")})
				u.RemoveName([]mdns.RR{rr(t, "example.com. 0 IN A 0.0.0.0")}) // the apex keeps SOA and NS
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{
				{"mail.example.com.", mdns.TypeA, nil},
				{"mail.example.com.", mdns.TypeAAAA, nil},
				{"example.com.", mdns.TypeMX, nil},
				{"example.com.", mdns.TypeNS, []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."}},
			},
		},
		{
			name: "delete one RR",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Remove([]mdns.RR{rr(t, "web.example.com. 3600 IN A 203.0.113.81")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"web.example.com.", mdns.TypeA, []string{web80, web82}}},
		},
		{
			name: "the apex NS RRset is not deleted",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.RemoveRRset([]mdns.RR{rr(t, "example.com. 0 IN NS .")})
				u.RemoveRRset([]mdns.RR{rr(t, "example.com. 0 IN SOA . . 0 0 0 0 0")})
				return u
			},
			rcode: "NOERROR",
			look:  []lookup{{"example.com.", mdns.TypeNS, []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."}}},
		},
		{
			name: "the last apex NS stays",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Remove([]mdns.RR{rr(t, "example.com. 3600 IN NS ns2.example.com."), rr(t, "example.com. 3600 IN NS ns1.example.com.")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"example.com.", mdns.TypeNS, []string{"example.com. 3600 IN NS ns1.example.com."}}},
		},
		{
			name: "a CNAME beside other data is ignored",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "web.example.com. 300 IN CNAME www.example.org.")})
				return u
			},
			rcode: "NOERROR",
			look:  []lookup{{"web.example.com.", mdns.TypeCNAME, nil}},
		},
		{
			name: "other data beside a CNAME is ignored",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "www.example.com. 300 IN A 192.0.2.1")})
				return u
			},
			rcode: "NOERROR",
			look:  []lookup{{"www.example.com.", mdns.TypeA, nil}},
		},
		{
			name: "an SOA with a greater serial sets the serial, with no increment on top",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024020101 7200 3600 1209600 300")})
				return u
			},
			rcode: "NOERROR", serial: 2024020101,
		},
		{
			name: "an SOA with a lower serial is ignored (RFC 2136 §3.6)",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300")})
				return u
			},
			rcode: "NOERROR",
		},
		{
			name: "atomic: a change that leaves a name server without glue is undone whole",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
				u.RemoveName([]mdns.RR{rr(t, "ns.sub.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "REFUSED",
			look: []lookup{
				{"new.example.com.", mdns.TypeA, nil},
				{"ns.sub.example.com.", mdns.TypeA, []string{"ns.sub.example.com. 3600 IN A 203.0.113.100"}},
			},
		},
		{
			name: "a delegation with its glue in one update",
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "lab.example.com. 300 IN NS ns.lab.example.com."), rr(t, "ns.lab.example.com. 300 IN A 192.0.2.5")})
				return u
			},
			rcode: "NOERROR", serial: serial0 + 1,
			look: []lookup{{"lab.example.com.", mdns.TypeNS, []string{"lab.example.com. 300 IN NS ns.lab.example.com."}}},
		},
		{
			name: "the policy refuses",
			server: func(s *authority.Server) {
				s.UpdatePolicy = func(r *dns.Request, zone string) bool { return r.From.Addr() == netip.MustParseAddr("192.0.2.99") }
			},
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
				return u
			},
			rcode: "REFUSED",
			look:  []lookup{{"new.example.com.", mdns.TypeA, nil}},
		},
		{
			name: "prerequisites are checked before the policy (RFC 2136 §3.3)",
			server: func(s *authority.Server) {
				s.UpdatePolicy = func(*dns.Request, string) bool { return false }
			},
			update: func(t *testing.T) *mdns.Msg {
				u := newUpdate("example.com.")
				u.NameUsed([]mdns.RR{rr(t, "nope.example.com. 0 IN A 0.0.0.0")})
				return u
			},
			rcode: "NXDOMAIN",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := authServer(t)
			var changes []change
			s.OnChange = func(zone string, serial uint32) { changes = append(changes, change{zone, serial}) }
			if tc.server != nil {
				tc.server(s)
			}
			u := tc.update(t)
			got := summarize(ask(t, s, u, false))
			want := result{Opcode: "UPDATE", Rcode: tc.rcode, Flags: "qr"}
			if len(u.Question) == 1 && u.Question[0].Qtype == mdns.TypeSOA {
				q := u.Question[0]
				want.Question = []string{q.Name + " " + mdns.ClassToString[q.Qclass] + " " + mdns.TypeToString[q.Qtype]}
			}
			if diff := cmp.Diff(want, got, equate); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			serial, _ := s.Serial("example.com.")
			wantSerial := tc.serial
			var wantChanges []change
			if wantSerial == 0 {
				wantSerial = serial0
			} else {
				wantChanges = []change{{"example.com.", wantSerial}}
			}
			if serial != wantSerial {
				t.Errorf("serial = %d, want %d", serial, wantSerial)
			}
			if diff := cmp.Diff(wantChanges, changes, equate); diff != "" {
				t.Errorf("OnChange calls (-want +got):\n%s", diff)
			}
			for _, l := range tc.look {
				if diff := cmp.Diff(l.want, sorted(s.Zone("example.com.").RRset(l.name, l.t)), equate); diff != "" {
					t.Errorf("%s %s after (-want +got):\n%s", l.name, mdns.TypeToString[l.t], diff)
				}
			}
		})
	}
}

type lookup struct {
	name string
	t    uint16
	want []string
}

func TestUpdateOnSecondaryRefused(t *testing.T) {
	s := &authority.Server{}
	if err := s.AddSecondary("example.com."); err != nil {
		t.Fatal(err)
	}
	u := newUpdate("example.com.")
	u.Insert([]mdns.RR{rr(t, "new.example.com. 300 IN A 192.0.2.1")})
	if got := summarize(ask(t, s, u, false)); got.Rcode != "REFUSED" {
		t.Errorf("UPDATE to a secondary: %s, want REFUSED", got.Rcode)
	}
}

// TestUpdateCopiesRecords is the trap: miekg's Msg.Insert, Msg.Remove and
// Msg.Used rewrite the class and TTL of the records they are given, and a
// client in the same process often reuses a record for the next message.
// A server that kept the request's pointer would see its zone change under
// it.
func TestUpdateCopiesRecords(t *testing.T) {
	s := authServer(t)
	rec := rr(t, "new.example.com. 300 IN A 192.0.2.1")
	u := newUpdate("example.com.")
	u.Insert([]mdns.RR{rec})
	// Served without a wire round trip: the server sees the client's records.
	var w recorder
	s.ServeDNS(&w, &dns.Request{Msg: u, From: client, To: primary})
	if len(w.msgs) != 1 || w.msgs[0].Rcode != mdns.RcodeSuccess {
		t.Fatalf("update answered %v", w.msgs)
	}
	u2 := newUpdate("example.com.")
	u2.Remove([]mdns.RR{rec}) // class NONE, TTL 0, on the same record
	rec.(*mdns.A).A = rec.(*mdns.A).A.To16()
	rec.(*mdns.A).A[15] = 99
	want := []string{"new.example.com. 300 IN A 192.0.2.1"}
	if diff := cmp.Diff(want, sorted(s.Zone("example.com.").RRset("new.example.com.", mdns.TypeA))); diff != "" {
		t.Errorf("the zone changed with the client's record (-want +got):\n%s", diff)
	}
	got := summarize(ask(t, s, query("new.example.com.", mdns.TypeA), false))
	if diff := cmp.Diff(want, got.Answer); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

// TestConcurrentQueriesAndUpdates runs under -race: queries see either the
// zone before an update or after it, never a half-changed one.
func TestConcurrentQueriesAndUpdates(t *testing.T) {
	s := authServer(t)
	serve := func(m *mdns.Msg) *mdns.Msg { // t.Fatal may not run off the test goroutine
		var w recorder
		s.ServeDNS(&w, &dns.Request{Msg: m, From: client, To: primary, TCP: true})
		if len(w.msgs) != 1 {
			t.Errorf("%d answers to %v", len(w.msgs), m)
			return new(mdns.Msg)
		}
		return w.msgs[0]
	}
	txt := rr(t, `new.example.com. 300 IN TXT "x"`)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				if i%2 == 0 {
					u := newUpdate("example.com.")
					u.Insert([]mdns.RR{mdns.Copy(txt)})
					u.RemoveRRset([]mdns.RR{txt})
					u.Insert([]mdns.RR{&mdns.A{
						Hdr: mdns.RR_Header{Name: "new.example.com.", Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 300},
						A:   netip.AddrFrom4([4]byte{192, 0, 2, byte(i*20 + j + 1)}).AsSlice(),
					}})
					if m := serve(u); m.Rcode != mdns.RcodeSuccess {
						t.Errorf("update: %v", m)
					}
					continue
				}
				m := serve(query("new.example.com.", mdns.TypeA))
				if m.Rcode == mdns.RcodeSuccess && len(m.Answer) == 0 {
					t.Errorf("saw new.example.com without its A record: %v", m)
				}
			}
		})
	}
	wg.Wait()
	if serial, _ := s.Serial("example.com."); serial != serial0+40 {
		t.Errorf("serial = %d after 40 updates, want %d", serial, serial0+40)
	}
}
