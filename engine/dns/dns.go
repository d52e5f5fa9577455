// Package dns holds what wirelab's DNS components share: deterministic
// message IDs and query construction over github.com/miekg/dns messages.
//
// The components live in subpackages: zone (RFC 1035 master files and their
// checks), authority (authoritative answers, RFC 1034 §4.3.2, with UPDATE,
// NOTIFY and AXFR), dnsnet (servers and queries over the simulated network)
// and resolver (the local DNS server, iterated and recursive, with its
// cache). Every message on every hop is packed to real wire format.
package dns

import (
	"math/rand/v2"
	"sync"

	mdns "github.com/miekg/dns"
)

// IDs hands out DNS message IDs (RFC 1035 §4.1.1) from a seeded source.
// miekg/dns's Msg.SetQuestion and Msg.Id draw from the process's random
// source, which would make a replay differ run to run, so engine code always
// takes IDs from here. It is safe for concurrent use.
type IDs struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

// NewIDs returns an ID source seeded with seed.
func NewIDs(seed uint64) *IDs {
	return &IDs{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the next message ID.
func (s *IDs) Next() uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint16(s.rnd.Uint32())
}

// NewQuery builds a standard query for name and type with an ID from ids.
// RD (recursion desired, RFC 1035 §4.1.1) is set as asked.
func NewQuery(ids *IDs, name string, qtype uint16, rd bool) *mdns.Msg {
	m := new(mdns.Msg)
	m.Id = ids.Next()
	m.Opcode = mdns.OpcodeQuery
	m.RecursionDesired = rd
	m.Question = []mdns.Question{{Name: mdns.Fqdn(name), Qtype: qtype, Qclass: mdns.ClassINET}}
	return m
}
