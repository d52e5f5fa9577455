package resolver

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"
)

// TestOPTRecord: the OPT record the fast path appends is the one
// writeReply's SetEdns0 packs.
func TestOPTRecord(t *testing.T) {
	m := new(mdns.Msg)
	m.SetEdns0(DefaultUDPSize, false)
	wire, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if got := wire[headerLen:]; !bytes.Equal(got, optRecord) {
		t.Errorf("SetEdns0 packs %x, optRecord is %x", got, optRecord)
	}
}

// parsedQuery is what parseStubQuery reads, in comparable form.
type parsedQuery struct {
	ID           uint16
	RD, CD, OPT  bool
	Size         int
	Name, QName  string
	QType        uint16
	CheckQueryOK bool
}

// FuzzParseStubQuery: whatever parseStubQuery takes, Msg.Unpack takes too,
// checkQuery accepts, and both read the same ID, flags, question and OPT
// record, so AnswerCached answers exactly the queries ServeDNS would answer
// the same way.
func FuzzParseStubQuery(f *testing.F) {
	add := func(m *mdns.Msg) {
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire, false)
		f.Add(wire, true)
	}
	q := new(mdns.Msg)
	q.SetQuestion("WWW.Example.com.", mdns.TypeA)
	q.Id = 4242
	add(q)
	q = q.Copy()
	q.SetEdns0(4096, true)
	q.IsEdns0().Option = append(q.IsEdns0().Option, &mdns.EDNS0_COOKIE{Code: mdns.EDNS0COOKIE, Cookie: "0102030405060708"})
	add(q)
	q = q.Copy()
	q.IsEdns0().SetUDPSize(100)
	q.CheckingDisabled = true
	add(q)
	root := new(mdns.Msg)
	root.SetQuestion(".", mdns.TypeNS)
	add(root)
	f.Fuzz(func(t *testing.T, wire []byte, tcp bool) {
		var name [maxNameWire]byte
		sq, n, ok := parseStubQuery(wire, tcp, &name)
		if !ok {
			return
		}
		m := new(mdns.Msg)
		if err := m.Unpack(wire); err != nil {
			t.Fatalf("parseStubQuery takes %x, Unpack does not: %v", wire, err)
		}
		var qname [maxNameWire]byte
		qlen, err := mdns.PackDomainName(m.Question[0].Name, qname[:], 0, nil, false)
		if err != nil {
			t.Fatalf("the name %q does not pack: %v", m.Question[0].Name, err)
		}
		want := parsedQuery{
			ID: m.Id, RD: m.RecursionDesired, CD: m.CheckingDisabled, OPT: m.IsEdns0() != nil,
			Size: replySize(m, tcp), Name: lower(m.Question[0].Name), QName: string(qname[:qlen]),
			QType: m.Question[0].Qtype, CheckQueryOK: !m.Response && checkQuery(m) == mdns.RcodeSuccess,
		}
		got := parsedQuery{
			ID: sq.id, RD: sq.rd, CD: sq.cd, OPT: sq.opt, Size: sq.size,
			Name: string(name[:n]), QName: string(sq.qname), QType: sq.qtype, CheckQueryOK: true,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%x: (-Unpack +parseStubQuery):\n%s", wire, diff)
		}
	})
}
