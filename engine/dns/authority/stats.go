package authority

import (
	"maps"
	"strconv"

	mdns "github.com/miekg/dns"
)

// Stats counts the requests a server has seen and the answers it gave, for
// the playground's per-server counters.
type Stats struct {
	// Requests counts the requests answered, by opcode mnemonic ("QUERY",
	// "NOTIFY", "UPDATE", "IQUERY", ...).
	Requests map[string]uint64
	// Responses counts the answers, by rcode mnemonic ("NOERROR",
	// "NXDOMAIN", "REFUSED", ...). A zone transfer counts once.
	Responses map[string]uint64
	// Dropped counts the messages not answered: responses (QR set) and
	// messages shorter than a header.
	Dropped uint64
}

// Stats returns a copy of the server's counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return Stats{
		Requests:  maps.Clone(s.stats.Requests),
		Responses: maps.Clone(s.stats.Responses),
		Dropped:   s.stats.Dropped,
	}
}

// count records one request and its answer; an opcode below 0 records a
// dropped message.
func (s *Server) count(opcode, rcode int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if opcode < 0 {
		s.stats.Dropped++
		return
	}
	if s.stats.Requests == nil {
		s.stats.Requests = map[string]uint64{}
		s.stats.Responses = map[string]uint64{}
	}
	s.stats.Requests[opcodeName(opcode)]++
	s.stats.Responses[rcodeName(rcode)]++
}

// opcodeName returns an opcode's mnemonic (RFC 6895 §2.2).
func opcodeName(op int) string {
	if name, ok := mdns.OpcodeToString[op]; ok {
		return name
	}
	return "OPCODE" + strconv.Itoa(op)
}

// rcodeName returns an rcode's mnemonic (RFC 6895 §2.3). 16 is BADVERS:
// the server sends no TSIG, whose BADSIG shares the value.
func rcodeName(rcode int) string {
	if rcode == mdns.RcodeBadVers {
		return "BADVERS"
	}
	if name, ok := mdns.RcodeToString[rcode]; ok {
		return name
	}
	return "RCODE" + strconv.Itoa(rcode)
}
