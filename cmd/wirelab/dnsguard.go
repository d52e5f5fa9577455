package main

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
)

// Limits of the native DNS listener against abuse: it answers for the
// world's names only (REFUSED for the rest, so it is no open resolver and
// costs no walk of the simulated hierarchy for them), and answers each
// non-loopback source over UDP at most at a steady rate.
const (
	// DNSRatePerSource queries a second, with bursts of DNSBurstPerSource,
	// are answered over UDP for one source address.
	DNSRatePerSource  = 100
	DNSBurstPerSource = 200
	// DNSSlip: of the UDP queries over the limit, every DNSSlip-th gets
	// an empty truncated answer (TC=1, no larger than the query) and the
	// rest are dropped. A real client whose address someone spoofs to
	// flood it still gets through, over TCP, which needs a handshake and
	// is not limited; the flooded victim gets nothing bigger than what was
	// sent. This is response-rate limiting's "slip".
	DNSSlip = 2
	// DNSMaxRateSources bounds the table of sources; past it, sources
	// whose buckets are full again are forgotten first.
	DNSMaxRateSources = 10_000
)

// worldZones lists the apexes of the zones the world's authoritative
// servers hold, except the root: a name under the root only is not the
// world's.
func worldZones(l *lab.Lab) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l.Servers() {
		if s.Authority == nil {
			continue
		}
		for _, z := range s.Authority.Zones() {
			z = strings.ToLower(mdns.Fqdn(z))
			if z != "." && !seen[z] {
				seen[z] = true
				out = append(out, z)
			}
		}
	}
	return out
}

// inWorld says whether qname is the root itself or lies in one of zones.
func inWorld(zones []string, qname string) bool {
	qname = strings.ToLower(mdns.Fqdn(qname))
	if qname == "." {
		return true
	}
	for _, z := range zones {
		if mdns.IsSubDomain(z, qname) {
			return true
		}
	}
	return false
}

// refused is the answer to a question outside the world (RFC 1035 §4.1.1
// REFUSED: the server will not answer it, by policy).
func refused(req *mdns.Msg) []byte {
	m := new(mdns.Msg)
	m.SetRcode(req, mdns.RcodeRefused)
	out, err := m.Pack()
	if err != nil {
		return nil
	}
	return out
}

// truncated is the slip answer: the query's header and question with TC
// set and nothing else, telling the client to ask over TCP.
func truncated(wire []byte) []byte {
	req := new(mdns.Msg)
	if err := req.Unpack(wire); err != nil || req.Response || len(req.Question) != 1 {
		return nil
	}
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Truncated = true
	out, err := m.Pack()
	if err != nil || len(out) > len(wire) {
		return nil
	}
	return out
}

// dnsLimiter is a token bucket per source address. exempt sources (the
// loopback ones in serve: they cannot be spoofed from the network, and the
// lab's own tools, dig, dnsperf, Unbound, ask from there) are never
// limited. now is the clock, injected in tests.
type dnsLimiter struct {
	now    func() time.Time
	exempt func(netip.Addr) bool

	mu      sync.Mutex
	buckets map[netip.Addr]*dnsBucket
}

type dnsBucket struct {
	tokens float64
	last   time.Time
	over   int // queries over the limit, for the slip
}

func newDNSLimiter(now func() time.Time, exempt func(netip.Addr) bool) *dnsLimiter {
	return &dnsLimiter{now: now, exempt: exempt, buckets: map[netip.Addr]*dnsBucket{}}
}

// allow takes a token for a query from addr. Without one, slip says
// whether this query gets the truncated answer rather than none.
func (l *dnsLimiter) allow(addr netip.Addr) (ok, slip bool) {
	addr = addr.Unmap()
	if l.exempt(addr) {
		return true, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= DNSMaxRateSources {
			l.pruneLocked(now)
		}
		b = &dnsBucket{tokens: DNSBurstPerSource, last: now}
		l.buckets[addr] = b
	}
	b.tokens = min(DNSBurstPerSource, b.tokens+now.Sub(b.last).Seconds()*DNSRatePerSource)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, false
	}
	b.over++
	return false, b.over%DNSSlip == 0
}

// pruneLocked forgets the sources whose buckets have filled up again, and,
// if none has, the one heard from longest ago.
func (l *dnsLimiter) pruneLocked(now time.Time) {
	var oldest netip.Addr
	var at time.Time
	for a, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*DNSRatePerSource >= DNSBurstPerSource {
			delete(l.buckets, a)
			continue
		}
		if !oldest.IsValid() || b.last.Before(at) {
			oldest, at = a, b.last
		}
	}
	if len(l.buckets) >= DNSMaxRateSources {
		delete(l.buckets, oldest)
	}
}
