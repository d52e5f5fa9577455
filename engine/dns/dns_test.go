package dns_test

import (
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
)

func TestIDsAreDeterministic(t *testing.T) {
	a, b := dns.NewIDs(7), dns.NewIDs(7)
	other := dns.NewIDs(8)
	same, differ := true, false
	for range 100 {
		x, y, z := a.Next(), b.Next(), other.Next()
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Errorf("same seed same IDs = %v, different seed differs = %v; want true, true", same, differ)
	}
}

func TestNewQueryPacks(t *testing.T) {
	q := dns.NewQuery(dns.NewIDs(1), "www.example.com", mdns.TypeA, false)
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var back mdns.Msg
	if err := back.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	if back.Id != q.Id || back.RecursionDesired || back.Question[0].Name != "www.example.com." || back.Question[0].Qtype != mdns.TypeA {
		t.Errorf("round trip gave %v", &back)
	}
}
