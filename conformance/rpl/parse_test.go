package rpl

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mdns "github.com/miekg/dns"
)

// small is a complete scenario exercising every part of the format.
const small = `; a comment
server:
	qname-minimisation: no   # a trailing comment
	access-control: 127.0.0.1 allow_snoop
forward-zone: name: "." forward-addr: 192.0.2.1@53
CONFIG_END

SCENARIO_BEGIN A small scenario
RANGE_BEGIN 0 100
	ADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname ttl serial=7
ADJUST copy_id copy_query
REPLY QR RA AA NXDOMAIN DO
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. 300 IN A 10.20.30.40
SECTION AUTHORITY
$TTL 60
example.com IN NS ns.example.com.
SECTION ADDITIONAL
ns.example.com. IN AAAA 2001:db8::1
ENTRY_END
RANGE_END

STEP 1 QUERY
ENTRY_BEGIN
REPLY RD CD
SECTION QUESTION
www.example.com. A
ENTRY_END
STEP 5 TIME_PASSES ELAPSE 1.5
STEP 10 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA NOERROR
SECTION QUESTION
www.example.com. IN A
ENTRY_END
STEP 20 CHECK_OUT_QUERY
ENTRY_BEGIN
MATCH qname
SECTION QUESTION
example.com. IN NS
ENTRY_END
SCENARIO_END
`

func TestParseSmall(t *testing.T) {
	s, err := Parse("small.rpl", []byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "A small scenario" || s.Line != 8 {
		t.Errorf("title %q at line %d, want %q at 8", s.Title, s.Line, "A small scenario")
	}
	wantCfg := []Option{
		{Line: 3, Clause: "server", ClauseLine: 2, Key: "qname-minimisation", Value: "no"},
		{Line: 4, Clause: "server", ClauseLine: 2, Key: "access-control", Value: "127.0.0.1 allow_snoop"},
		{Line: 5, Clause: "forward-zone", ClauseLine: 5, Key: "name", Value: "."},
		{Line: 5, Clause: "forward-zone", ClauseLine: 5, Key: "forward-addr", Value: "192.0.2.1@53"},
	}
	if diff := cmp.Diff(wantCfg, s.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if len(s.Ranges) != 1 || len(s.Ranges[0].Entries) != 1 {
		t.Fatalf("ranges %+v, want one with one entry", s.Ranges)
	}
	rg := s.Ranges[0]
	if diff := cmp.Diff([]netip.Addr{netip.MustParseAddr("192.0.2.1")}, rg.Addrs, cmpopts.EquateComparable(netip.Addr{})); diff != "" || rg.Start != 0 || rg.End != 100 || rg.Line != 9 {
		t.Errorf("range %d-%d at line %d, addrs (-want +got):\n%s", rg.Start, rg.End, rg.Line, diff)
	}
	e := rg.Entries[0]
	if want := (Match{Opcode: true, Qtype: true, Qname: true, TTL: true, Serial: 7, HasSerial: true}); e.Match != want {
		t.Errorf("match %+v, want %+v", e.Match, want)
	}
	if want := (Adjust{CopyID: true, CopyQuery: true}); e.Adjust != want {
		t.Errorf("adjust %+v, want %+v", e.Adjust, want)
	}
	m := e.Msg
	if !m.Response || !m.RecursionAvailable || !m.Authoritative || m.RecursionDesired || m.Rcode != mdns.RcodeNameError {
		t.Errorf("header %+v", m.MsgHdr)
	}
	if opt := m.IsEdns0(); opt == nil || !opt.Do() {
		t.Errorf("REPLY DO: no OPT record with DO in %v", m.Extra)
	}
	got := []string{m.Question[0].String()}
	for _, rr := range append(append(append([]mdns.RR{}, m.Answer...), m.Ns...), m.Extra[:len(m.Extra)-1]...) {
		got = append(got, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	want := []string{
		";www.example.com.\tIN\t A",
		"www.example.com. 300 IN A 10.20.30.40",
		"example.com. 60 IN NS ns.example.com.", // relative owner, $TTL
		"ns.example.com. 60 IN AAAA 2001:db8::1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	type step struct {
		Line, N int
		Kind    StepKind
		Elapse  float64
		Entry   int // line of the entry, 0 for none
	}
	var steps []step
	for _, st := range s.Steps {
		x := step{st.Line, st.N, st.Kind, st.Elapse, 0}
		if st.Entry != nil {
			x.Entry = st.Entry.Line
		}
		steps = append(steps, x)
	}
	wantSteps := []step{{27, 1, Query, 0, 28}, {33, 5, TimePasses, 1.5, 0}, {34, 10, CheckAnswer, 0, 35}, {41, 20, "CHECK_OUT_QUERY", 0, 42}}
	if diff := cmp.Diff(wantSteps, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	q := s.Steps[0].Entry.Msg
	if !q.RecursionDesired || !q.CheckingDisabled || q.Response || q.Question[0].Qtype != mdns.TypeA {
		t.Errorf("query %v", q)
	}
}

func TestParseErrors(t *testing.T) {
	const cfg = "server:\nCONFIG_END\n"
	const begin = cfg + "SCENARIO_BEGIN t\n" // lines 1-3
	tests := []struct {
		name, text string
		line       int
		want       string
	}{
		{"no CONFIG_END", "server:\n", 0, "no CONFIG_END"},
		{"unterminated quote", "server:\n\tname: \"x\nCONFIG_END\n", 2, "unterminated quote"},
		{"value before option", "yes\nCONFIG_END\n", 1, `value "yes" before any option`},
		{"no scenario", cfg, 2, "no SCENARIO_BEGIN"},
		{"not a scenario", cfg + "RANGE_BEGIN 0 1\n", 3, "want SCENARIO_BEGIN"},
		{"no SCENARIO_END", begin + "STEP 1 NOTHING\n", 4, "no SCENARIO_END"},
		{"bad range", begin + "RANGE_BEGIN 5 1\n", 4, "bad step range"},
		{"range without end", begin + "RANGE_BEGIN 0 1\nSCENARIO_END\n", 5, "SCENARIO_END inside the RANGE of line 4"},
		{"address outside range", begin + "ADDRESS 1.2.3.4\n", 4, "ADDRESS outside a RANGE"},
		{"bad address", begin + "RANGE_BEGIN 0 1\n\tADDRESS 1.2.3\n", 5, "ADDRESS:"},
		{"entry without end", begin + "RANGE_BEGIN 0 1\nENTRY_BEGIN\nMATCH qname\n", 5, "ENTRY_BEGIN without ENTRY_END"},
		{"bad record", begin + "RANGE_BEGIN 0 1\nENTRY_BEGIN\nSECTION ANSWER\nwww.example.com. IN A 300.1.2.3\n", 7, "record:"},
		{"bad question", begin + "RANGE_BEGIN 0 1\nENTRY_BEGIN\nSECTION QUESTION\nwww.example.com. IN BOGUS\n", 7, `unknown class or type "BOGUS"`},
		{"bad section", begin + "RANGE_BEGIN 0 1\nENTRY_BEGIN\nSECTION EXTRA\n", 6, "unknown section"},
		{"bad reply word", begin + "RANGE_BEGIN 0 1\nENTRY_BEGIN\nREPLY QR MAYBE\n", 6, `REPLY: unknown word "MAYBE"`},
		{"bad serial", begin + "RANGE_BEGIN 0 1\nENTRY_BEGIN\nMATCH serial=x\n", 6, "MATCH serial"},
		{"entry nowhere", begin + "ENTRY_BEGIN\nENTRY_END\n", 4, "ENTRY_BEGIN outside a RANGE"},
		{"query without entry", begin + "STEP 1 QUERY\nSTEP 2 NOTHING\n", 4, "STEP 1 QUERY has no ENTRY"},
		{"steps out of order", begin + "STEP 2 NOTHING\nSTEP 1 NOTHING\n", 5, "steps must increase"},
		{"bad elapse", begin + "STEP 1 TIME_PASSES ELAPSE soon\n", 4, `bad ELAPSE "soon"`},
		{"time passes without elapse", begin + "STEP 1 TIME_PASSES\n", 4, "want STEP N TIME_PASSES ELAPSE"},
		{"bad step number", begin + "STEP one QUERY\n", 4, "bad step number"},
		{"step in range", begin + "RANGE_BEGIN 0 1\nSTEP 1 NOTHING\n", 5, "STEP inside the RANGE"},
		{"stray line", begin + "HELLO\n", 4, `unexpected "HELLO"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("case.rpl", []byte(tc.text))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want an *Error", err)
			}
			if pe.File != "case.rpl" || pe.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %q (line %d), want case.rpl:%d and %q", err, pe.Line, tc.line, tc.want)
			}
		})
	}
}

// Deckard and newer testbound keywords the replay does not honour are
// parsed, and kept on the entry with their lines.
func TestParseUnsupported(t *testing.T) {
	text := "server:\nCONFIG_END\nSCENARIO_BEGIN t\nRANGE_BEGIN 0 1\nENTRY_BEGIN\nMATCH qname ednsdata\nADJUST copy_id sleep=2\nEXTRA_PACKET\nENTRY_END\nRANGE_END\nSCENARIO_END\n"
	s, err := Parse("u.rpl", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []Note{{6, "MATCH ednsdata"}, {7, "ADJUST sleep=2"}, {8, "EXTRA_PACKET"}}
	if diff := cmp.Diff(want, s.Ranges[0].Entries[0].Unsupported); diff != "" {
		t.Errorf("unsupported (-want +got):\n%s", diff)
	}
}
