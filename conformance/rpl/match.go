package rpl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"
)

// mismatch says why got does not match the entry e under e's MATCH rules,
// or returns "" when it matches. tcp says how got travelled. The rules are
// testbound's find_match: each keyword is one condition, and a message
// matches when all hold. With none, every message matches.
func (e *Entry) mismatch(got *mdns.Msg, tcp bool) string {
	m, want := e.Match, e.Msg
	switch {
	case m.Opcode && got.Opcode != want.Opcode:
		return fmt.Sprintf("opcode %s, want %s", opcodeString(got.Opcode), opcodeString(want.Opcode))
	case m.Qtype && qtype(got) != qtype(want):
		return fmt.Sprintf("qtype %s, want %s", mdns.Type(qtype(got)), mdns.Type(qtype(want)))
	case m.Qname && !strings.EqualFold(qname(got), qname(want)):
		return fmt.Sprintf("qname %s, want %s", qname(got), qname(want))
	case m.Subdomain && !mdns.IsSubDomain(strings.ToLower(qname(want)), strings.ToLower(qname(got))):
		return fmt.Sprintf("qname %s is not at or below %s", qname(got), qname(want))
	case m.HasSerial && serial(got) != m.Serial:
		return fmt.Sprintf("serial %d, want %d", serial(got), m.Serial)
	case m.DO && (got.IsEdns0() == nil || !got.IsEdns0().Do()):
		return "no DO bit"
	case m.NoEDNS && got.IsEdns0() != nil:
		return "an EDNS OPT record"
	case m.TCP && !tcp:
		return "over UDP, want TCP"
	case m.UDP && tcp:
		return "over TCP, want UDP"
	}
	g, w := render(got, m.TTL), render(want, m.TTL)
	checks := []struct {
		on    bool
		what  string
		parts []int
	}{
		{m.Rcode, "rcode", []int{partRcode}},
		{m.Flags, "flags", []int{partFlags}},
		{m.Question, "question section", []int{partQuestion}},
		{m.Answer, "answer section", []int{partAnswer}},
		{m.Authority, "authority section", []int{partAuthority}},
		{m.Additional, "additional section", []int{partAdditional}},
		{m.All, "message", []int{partHeader, partFlags, partQuestion, partAnswer, partAuthority, partAdditional, partEDNS}},
	}
	for _, c := range checks {
		if !c.on {
			continue
		}
		for _, p := range c.parts {
			if !slices.Equal(g[p], w[p]) {
				return fmt.Sprintf("%s differs (%s)", c.what, partNames[p])
			}
		}
	}
	return ""
}

// The parts of a rendered message.
const (
	partHeader = iota // opcode and rcode
	partRcode
	partFlags
	partQuestion
	partAnswer
	partAuthority
	partAdditional
	partEDNS
	numParts
)

var partNames = [numParts]string{"opcode or rcode", "rcode", "flags", "question", "answer", "authority", "additional", "EDNS"}

// render turns a message into the lines MATCH compares, part by part:
// names in lower case (RFC 4343: they compare without case), TTLs zero
// unless withTTL, the OPT record apart from the additional section, and
// no message ID (testbound gives queries and answers the same ID, 0).
func render(m *mdns.Msg, withTTL bool) [numParts][]string {
	var out [numParts][]string
	out[partHeader] = []string{"opcode " + opcodeString(m.Opcode) + ", rcode " + rcodeString(m.Rcode)}
	out[partRcode] = []string{"rcode " + rcodeString(m.Rcode)}
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Response, "QR"}, {m.Authoritative, "AA"}, {m.Truncated, "TC"}, {m.RecursionDesired, "RD"},
		{m.RecursionAvailable, "RA"}, {m.AuthenticatedData, "AD"}, {m.CheckingDisabled, "CD"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	out[partFlags] = []string{"flags " + strings.Join(flags, " ")}
	for _, q := range m.Question {
		out[partQuestion] = append(out[partQuestion], fmt.Sprintf("%s\t%s\t%s", strings.ToLower(q.Name), mdns.Class(q.Qclass), mdns.Type(q.Qtype)))
	}
	sec := func(rrs []mdns.RR) []string {
		var lines []string
		for _, rr := range rrs {
			if opt, ok := rr.(*mdns.OPT); ok {
				out[partEDNS] = []string{fmt.Sprintf("EDNS version %d, DO=%t", opt.Version(), opt.Do())}
				continue
			}
			lines = append(lines, rrLine(rr, withTTL))
		}
		return lines
	}
	out[partAnswer] = sec(m.Answer)
	out[partAuthority] = sec(m.Ns)
	out[partAdditional] = sec(m.Extra)
	return out
}

// text is a rendered message as one block, for diffs.
func text(m *mdns.Msg, withTTL bool) string {
	r := render(m, withTTL)
	var b strings.Builder
	b.WriteString(r[partHeader][0] + "\n")
	b.WriteString(r[partFlags][0] + "\n")
	for _, s := range []struct {
		p     int
		title string
	}{{partQuestion, "QUESTION"}, {partAnswer, "ANSWER"}, {partAuthority, "AUTHORITY"}, {partAdditional, "ADDITIONAL"}} {
		b.WriteString("SECTION " + s.title + "\n")
		for _, l := range r[s.p] {
			b.WriteString(l + "\n")
		}
	}
	for _, l := range r[partEDNS] {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// diff is cmp.Diff of two messages as MATCH sees them.
func diff(want, got *mdns.Msg, withTTL bool) string {
	return cmp.Diff(text(want, withTTL), text(got, withTTL))
}

// rrLine is an RR in presentation format with its names in lower case
// and, unless withTTL, TTL 0.
func rrLine(rr mdns.RR, withTTL bool) string {
	c := mdns.Copy(rr)
	h := c.Header()
	h.Name = strings.ToLower(h.Name)
	if !withTTL {
		h.Ttl = 0
	}
	switch r := c.(type) {
	case *mdns.NS:
		r.Ns = strings.ToLower(r.Ns)
	case *mdns.CNAME:
		r.Target = strings.ToLower(r.Target)
	case *mdns.DNAME:
		r.Target = strings.ToLower(r.Target)
	case *mdns.PTR:
		r.Ptr = strings.ToLower(r.Ptr)
	case *mdns.MX:
		r.Mx = strings.ToLower(r.Mx)
	case *mdns.SRV:
		r.Target = strings.ToLower(r.Target)
	case *mdns.SOA:
		r.Ns, r.Mbox = strings.ToLower(r.Ns), strings.ToLower(r.Mbox)
	}
	return c.String()
}

func qname(m *mdns.Msg) string {
	if len(m.Question) == 0 {
		return ""
	}
	return m.Question[0].Name
}

func qtype(m *mdns.Msg) uint16 {
	if len(m.Question) == 0 {
		return 0
	}
	return m.Question[0].Qtype
}

// serial is the serial of the first SOA in the authority section, as an
// IXFR query carries it (RFC 1995 §3).
func serial(m *mdns.Msg) uint32 {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			return soa.Serial
		}
	}
	return 0
}

func opcodeString(op int) string {
	if s, ok := mdns.OpcodeToString[op]; ok {
		return s
	}
	return fmt.Sprintf("OPCODE%d", op)
}

func rcodeString(rc int) string {
	if s, ok := mdns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}
