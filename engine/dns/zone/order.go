package zone

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// CompareNames orders domain names canonically (RFC 4034 §6.1): label by
// label from the root, each label compared as lower-case bytes, a name
// sorting before its descendants. It returns -1, 0 or +1. Escaped labels
// (\065, \.) are compared in their presentation form.
func CompareNames(a, b string) int {
	la := dns.SplitDomainName(canon(a))
	lb := dns.SplitDomainName(canon(b))
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(la), len(lb))
}

// compareRdata orders the records of one RRset by their RDATA in wire form
// (RFC 4034 §6.3).
func compareRdata(a, b dns.RR) int {
	return bytes.Compare(rdata(a), rdata(b))
}

// rootHeaderLen is the size of a packed RR header whose owner is the root:
// one byte of name, then TYPE, CLASS, TTL and RDLENGTH (RFC 1035 §4.1.3).
const rootHeaderLen = 1 + 10

// rdata returns rr's RDATA in wire form, uncompressed.
func rdata(rr dns.RR) []byte {
	c := dns.Copy(rr)
	c.Header().Name = "."
	buf := make([]byte, dns.Len(c)+1)
	off, err := dns.PackRR(c, buf, 0, nil, false)
	if err != nil || off < rootHeaderLen {
		return []byte(rr.String()) // unpackable: still a stable order
	}
	return buf[rootHeaderLen:off]
}

// SerialLess reports whether serial a is less than b in sequence space
// arithmetic (RFC 1982 §3.2): b is ahead of a by less than 2^31. When the two
// are exactly 2^31 apart the comparison is undefined and both orders report
// false. Secondaries use it to decide whether a primary's copy is newer
// (RFC 1996 §3.11), UPDATE to accept a new SOA (RFC 2136 §3.4.2.2).
func SerialLess(a, b uint32) bool { return int32(b-a) > 0 }

// serialIncrement is the amount a change adds to the serial; RFC 1982 §3.1
// allows adding any n up to 2^31-1, wrapping modulo 2^32.
const serialIncrement = 1

// IncrementSerial adds one to the SOA serial in RFC 1982 §3.1 arithmetic
// (2^32-1 wraps to 0) and returns the new serial. A zone without an SOA is
// left alone.
func (z *Zone) IncrementSerial() uint32 {
	set := z.rrset(z.origin, dns.TypeSOA)
	if len(set) == 0 {
		return 0
	}
	soa := set[0].(*dns.SOA)
	soa.Serial += serialIncrement
	return soa.Serial
}

// sortedNames returns the zone's owner names in canonical order.
func (z *Zone) sortedNames() []string {
	names := make([]string, 0, len(z.nodes))
	for name := range z.nodes {
		names = append(names, name)
	}
	slices.SortFunc(names, CompareNames)
	return names
}
