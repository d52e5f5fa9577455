package resolver

import (
	"container/list"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
)

// Packed answers are ServeDNS's fast path for stub queries the cache
// answers.
//
// The slow path answers a cached question with a lookup tree, copies of
// every record, trace events, and leaves the caller to pack the reply. The
// first time it answers (name, type) from the cache alone, it records which
// cache entries it read and which keys it found empty, and keeps the reply
// packed: uncompressed, as Msg.Pack writes a reply that fits (writeReply
// turns compression off then), and without the OPT record. A later query
// for (name, type) copies those bytes and patches
//
//   - the ID and the flags QR, RD, RA, CD and RCODE (RFC 1035 §4.1.1);
//   - the question name, as asked: case is kept (RFC 4343 §4.1);
//   - each TTL field (RFC 1035 §4.1.3), to what its cache entry has left,
//     so TTLs count down as they do on the slow path;
//   - the order of the RRset round robin turns;
//   - the OPT record, added if the query had one (RFC 6891 §6.1.1).
//
// A packed answer holds while every entry it was built from is cached and
// live and every key that was empty still is: any insert, replacement,
// expiry, eviction or flush of one sends the query back to the slow path,
// which packs it again. Answers that must be truncated, or that read
// serve-stale data, always take the slow path.
//
// The fast path leaves the resolver as the slow path would: it counts the
// query and its cache hits, moves the entries it read to the front of the
// LRU list in the same order, advances the round-robin offset, and reports
// the same cache-hit events to Options.OnEvent.

// Wire layout (RFC 1035 §4.1).
const (
	// headerLen is the length of the header (§4.1.1).
	headerLen = 12
	// arcountOff is where the header's ARCOUNT field starts.
	arcountOff = 10
	// The header's flag bits, in its second 16-bit word (§4.1.1).
	flagQR    = 1 << 15
	flagRD    = 1 << 8
	flagRA    = 1 << 7
	flagCD    = 1 << 4
	rcodeMask = 0xF
	// ttlAfterName is where an RR's TTL starts after its owner name: TYPE
	// and CLASS come first (§4.1.3).
	ttlAfterName = 4
	// rrFixedLen is TYPE, CLASS, TTL and RDLENGTH (§4.1.3).
	rrFixedLen = 10
	// questionFixedLen is QTYPE and QCLASS (§4.1.2).
	questionFixedLen = 4
	// maxNameWire is the longest name on the wire (RFC 1035 §2.3.4).
	maxNameWire = 255
)

// optRecord is the OPT record a reply gets when the query had one (RFC
// 6891 §6.1.2): owner root, TYPE 41, CLASS the payload size DefaultUDPSize,
// TTL 0 (extended RCODE 0, version 0, DO=0), no options. It is what
// SetEdns0(DefaultUDPSize, false) packs to.
var optRecord = []byte{0, byte(mdns.TypeOPT >> 8), byte(mdns.TypeOPT), DefaultUDPSize >> 8, DefaultUDPSize & 0xff, 0, 0, 0, 0, 0, 0}

// WireWriter is a dns.ResponseWriter that can also send a reply already in
// wire format. ServeDNS looks for it with a type assertion: when it answers
// from a packed answer, it calls WriteWire instead of WriteMsg, and the
// caller need not pack the reply. Either way ServeDNS writes once. Only
// with a WireWriter does ServeDNS keep the answers it makes from the cache
// packed.
//
// wire is the whole message, as WriteMsg's message would pack. It is only
// valid during the call: the resolver reuses the buffer, so a writer that
// keeps the bytes must copy them.
type WireWriter interface {
	dns.ResponseWriter
	WriteWire(wire []byte) error
}

// recording is what the slow path read from the cache while answering a
// stub query, for packing its answer.
type recording struct {
	reads  []*entry           // live entries read, in order, with repeats
	absent []key              // keys found empty (or expired and removed)
	origin map[mdns.RR]*entry // the entry each copied record came from
	hits   []*entry           // the entries of cache-hit events, in order
	answer []mdns.RR          // the answer section before round robin
	stale  bool               // an expired entry kept for serve-stale was read
}

func (rec *recording) read(k key, e *entry, stale bool) {
	switch {
	case stale:
		rec.stale = true
	case e == nil:
		rec.absent = append(rec.absent, k)
	default:
		rec.reads = append(rec.reads, e)
	}
}

func (rec *recording) copied(e *entry, rrs []mdns.RR) {
	if rec.origin == nil {
		rec.origin = make(map[mdns.RR]*entry, 8)
	}
	for _, rr := range rrs {
		rec.origin[rr] = e
	}
}

// packed is a stub's answer kept in wire format. It does not change once
// stored, except for the fields marked, which the resolver's lock guards;
// the fast path reads the rest without the lock.
type packed struct {
	k    key
	wire []byte // header, question as first asked, sections; no OPT
	// qnameLen is the wire length of the question name, at headerLen.
	qnameLen int
	// reads are the entries the slow path read, in order (the LRU list
	// replays it); each must still be cached. until is the earliest expiry
	// among them. absent are the keys it found empty, which must still be;
	// that is known without looking while the cache has had no insert
	// since inserts (guarded).
	reads   []*entry
	until   time.Time
	absent  []key
	inserts uint64
	// ttls are the TTL fields, each with the index in srcs of the entry
	// whose remaining time it shows.
	ttls []ttlField
	srcs []*entry
	// hits are the entries of the cache-hit events, in order.
	hits []*entry
	// turn, if not nil, is the RRset round robin rotates: its records lie
	// at spans[i]:spans[i+1] in wire, in the entry's order.
	turn  *entry
	spans []int
	el    *list.Element // in the cache's answerLRU (guarded)
}

type ttlField struct {
	off, src int
}

// valid reports whether the cache would still give p's answer at now.
// Call with the resolver's lock held.
func (p *packed) valid(c *cache, now time.Time) bool {
	if !now.Before(p.until) {
		return false
	}
	for _, e := range p.reads {
		if e.dead {
			return false
		}
	}
	if c.inserts != p.inserts {
		for _, k := range p.absent {
			if c.m[k] != nil {
				return false
			}
		}
		p.inserts = c.inserts
	}
	return true
}

// storeAnswer packs reply, the slow path's answer from the cache alone to a
// stub asking k, as rec saw it being made, before writeReply adds the OPT
// record or truncates. It keeps nothing when the cache has changed since the
// reads or the answer has a shape the fast path does not repeat. Call with
// the resolver's lock held.
func (c *cache) storeAnswer(k key, rec *recording, reply *mdns.Msg, now time.Time) {
	if rec.stale || len(rec.hits) == 0 || len(reply.Question) != 1 {
		return
	}
	if p := c.answer(k.name, k.qtype); p != nil && p.valid(c, now) {
		return // the slow path ran for the size or the name's spelling
	}
	p := &packed{k: k, reads: rec.reads, absent: rec.absent, hits: rec.hits, inserts: c.inserts}
	for i, e := range rec.reads {
		if e.dead || !now.Before(e.expires) {
			return
		}
		if i == 0 || e.expires.Before(p.until) {
			p.until = e.expires
		}
	}
	for _, k := range rec.absent {
		if c.m[k] != nil {
			return
		}
	}
	m := &mdns.Msg{MsgHdr: reply.MsgHdr, Question: reply.Question, Answer: rec.answer, Ns: reply.Ns, Extra: reply.Extra}
	wire, err := m.Pack()
	if err != nil {
		return
	}
	// Find each record and its TTL field.
	qend, ok := skipName(wire, headerLen)
	if !ok {
		return
	}
	p.qnameLen = qend - headerLen
	off := qend + questionFixedLen
	n := len(m.Answer) + len(m.Ns) + len(m.Extra)
	bounds := make([]int, 0, n+1)
	for _, sec := range [...][]mdns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			src := rec.origin[rr]
			nameEnd, ok := skipName(wire, off)
			if src == nil || !ok || nameEnd+rrFixedLen > len(wire) {
				return
			}
			bounds = append(bounds, off)
			i := slices.Index(p.srcs, src)
			if i < 0 {
				i = len(p.srcs)
				p.srcs = append(p.srcs, src)
			}
			p.ttls = append(p.ttls, ttlField{nameEnd + ttlAfterName, i})
			off = nameEnd + rrFixedLen + int(binary.BigEndian.Uint16(wire[nameEnd+rrFixedLen-2:]))
		}
	}
	if off != len(wire) {
		return
	}
	bounds = append(bounds, off)
	// The RRset round robin turns: at most one, its records together.
	for _, g := range groupRRsets(m.Answer) {
		if len(g) < 2 {
			continue
		}
		e := c.m[rrKey(g[0])]
		if e == nil || e.neg != positive {
			continue // rotate leaves it as it is
		}
		first := slices.Index(m.Answer, g[0])
		if p.turn != nil || first+len(g) > len(m.Answer) {
			return
		}
		for j, rr := range g {
			if m.Answer[first+j] != rr || rec.origin[rr] != e {
				return
			}
		}
		p.turn, p.spans = e, bounds[first:first+len(g)+1]
	}
	// The events' text is made now, under the lock, so that the fast path
	// can read it without.
	for _, e := range rec.hits {
		e.question()
		e.rdataText()
	}
	p.wire = wire
	c.addAnswer(p)
}

// skipName returns the end of the uncompressed name at off in wire.
func skipName(wire []byte, off int) (int, bool) {
	for off < len(wire) {
		l := int(wire[off])
		switch {
		case l == 0:
			return off + 1, true
		case l&0xC0 != 0:
			return 0, false // a pointer or an extended label type
		}
		off += 1 + l
	}
	return 0, false
}

// answer returns the packed answer for (name, qtype), or nil.
func (c *cache) answer(name string, qtype uint16) *packed {
	for _, p := range c.answers[name] {
		if p.k.qtype == qtype {
			return p
		}
	}
	return nil
}

// addAnswer stores p, evicting the least recently used packed answer when
// there are as many as the cache has room for entries.
func (c *cache) addAnswer(p *packed) {
	if c.answers == nil {
		c.answers, c.answerLRU = make(map[string][]*packed), list.New()
	}
	if old := c.answer(p.k.name, p.k.qtype); old != nil {
		c.dropAnswer(old)
	}
	for c.answerLRU.Len() >= c.max {
		c.dropAnswer(c.answerLRU.Back().Value.(*packed))
	}
	p.el = c.answerLRU.PushFront(p)
	c.answers[p.k.name] = append(c.answers[p.k.name], p)
}

func (c *cache) dropAnswer(p *packed) {
	set := slices.DeleteFunc(c.answers[p.k.name], func(x *packed) bool { return x == p })
	if len(set) == 0 {
		delete(c.answers, p.k.name)
	} else {
		c.answers[p.k.name] = set
	}
	c.answerLRU.Remove(p.el)
}

// dropAnswers forgets every packed answer.
func (c *cache) dropAnswers() {
	c.answers, c.answerLRU = nil, nil
}

// stubQuery is what a packed answer needs to know of a query.
type stubQuery struct {
	id     uint16
	rd, cd bool
	// opt reports an OPT record; size is the largest reply the client
	// takes (see replySize).
	opt  bool
	size int
	// qname is the question name as it came, in wire format.
	qname []byte
	qtype uint16
}

// servePacked appends to dst the reply to q, a stub's query for the
// canonical name, from the packed answer, and reports whether there was a
// valid one that fits. If not, it has changed nothing.
func (r *Resolver) servePacked(dst []byte, name string, q *stubQuery, now time.Time) ([]byte, bool) {
	r.mu.Lock()
	c := r.cache
	p := c.answer(name, q.qtype)
	if p == nil {
		r.mu.Unlock()
		return dst, false
	}
	if !p.valid(c, now) {
		c.dropAnswer(p)
		r.mu.Unlock()
		return dst, false
	}
	n := len(p.wire)
	if q.opt {
		n += len(optRecord)
	}
	if p.qnameLen != len(q.qname) || n > q.size {
		r.mu.Unlock()
		return dst, false // the slow path truncates (or spells the name)
	}
	// What the slow path does to the resolver's state.
	r.counters.Received++
	r.counters.CacheHits += uint64(len(p.hits))
	for _, e := range p.reads {
		c.lru.MoveToFront(e.el)
	}
	c.answerLRU.MoveToFront(p.el)
	turn := 0
	if p.turn != nil && r.sw.RoundRobin {
		turn = p.turn.rot % (len(p.spans) - 1)
		p.turn.rot++
	}
	r.mu.Unlock()

	flags := binary.BigEndian.Uint16(p.wire[2:])&rcodeMask | flagQR | flagRA
	if q.rd {
		flags |= flagRD
	}
	if q.cd {
		flags |= flagCD
	}
	start := len(dst)
	dst = append(dst, p.wire...)
	out := dst[start:]
	binary.BigEndian.PutUint16(out, q.id)
	binary.BigEndian.PutUint16(out[2:], flags)
	copy(out[headerLen:], q.qname)
	var remaining [8]uint32 // what each source entry has left
	rem := remaining[:0]
	for _, e := range p.srcs {
		rem = append(rem, e.remaining(now))
	}
	for _, f := range p.ttls {
		binary.BigEndian.PutUint32(out[f.off:], rem[f.src])
	}
	if turn != 0 {
		// Every record of the RRset has the same TTL, so rotating
		// their bytes after patching is the same as patching after.
		first := p.spans[0]
		rotateLeft(out[first:p.spans[len(p.spans)-1]], p.spans[turn]-first)
	}
	if q.opt {
		dst = append(dst, optRecord...)
		binary.BigEndian.PutUint16(dst[start+arcountOff:], binary.BigEndian.Uint16(dst[start+arcountOff:])+1)
	}
	if f := r.opts.OnEvent; f != nil {
		for _, e := range p.hits {
			f(dns.TraceEvent{Kind: dns.TraceCacheHit, Time: now, Question: e.q, Summary: describe(e, e.remaining(now))})
		}
	}
	return dst, true
}

// rotateLeft turns b left by k bytes, in place.
func rotateLeft(b []byte, k int) {
	slices.Reverse(b[:k])
	slices.Reverse(b[k:])
	slices.Reverse(b)
}

// wireBufs holds reply buffers for WriteWire.
var wireBufs = sync.Pool{New: func() any { b := make([]byte, 0, mdns.MinMsgSize); return &b }}

// serveCached answers req from a packed answer through w's WriteWire, if
// the cache holds a valid one that fits, and reports whether it did.
// req.Msg is a query, not a response.
func (r *Resolver) serveCached(w dns.ResponseWriter, req *dns.Request) bool {
	ww, ok := w.(WireWriter)
	m := req.Msg
	if !ok || checkQuery(m) != mdns.RcodeSuccess {
		return false
	}
	var qname [maxNameWire]byte
	n, err := mdns.PackDomainName(m.Question[0].Name, qname[:], 0, nil, false)
	if err != nil {
		return false
	}
	q := stubQuery{
		id: m.Id, rd: m.RecursionDesired, cd: m.CheckingDisabled,
		opt: m.IsEdns0() != nil, size: replySize(m, req.TCP),
		qname: qname[:n], qtype: m.Question[0].Qtype,
	}
	buf := wireBufs.Get().(*[]byte)
	out, ok := r.servePacked((*buf)[:0], lower(m.Question[0].Name), &q, r.clk.Now())
	if ok {
		_ = ww.WriteWire(out)
	}
	*buf = out
	wireBufs.Put(buf)
	return ok
}

// AnswerCached answers query, a stub's query in wire format, from a packed
// answer (see [WireWriter]): it appends the reply to dst and returns it with
// ok true, having done to the resolver what ServeDNS would (counters, LRU
// order, round robin, cache-hit events to Options.OnEvent). It returns ok
// false, without touching counters, cache or events, for a query it does
// not take: one whose answer is not packed or no longer holds, one that
// must be truncated, or anything unusual (a response, an opcode other than
// QUERY, not one question, a class other than IN, a compressed name or one
// with characters presentation format escapes, records other than an OPT
// record of version 0 with no options but cookies and padding). The caller
// then unpacks the query and calls ServeDNS, with a WireWriter, which
// answers it and, when the cache alone did, packs the answer for next time.
// tcp says the query came over a stream, where nothing is truncated. query
// is not kept.
//
// It lets a native server answer a cache hit without unpacking the query
// or packing the reply.
func (r *Resolver) AnswerCached(dst, query []byte, tcp bool) (reply []byte, ok bool) {
	var name [maxNameWire]byte
	q, n, ok := parseStubQuery(query, tcp, &name)
	if !ok {
		return dst, false
	}
	// A short name converts to a string on the stack.
	return r.servePacked(dst, string(name[:n]), &q, r.clk.Now())
}

// The EDNS options a query may carry on AnswerCached's way: ones whose
// unpacking cannot fail, so Msg.Unpack would accept the query too.
const (
	optionCookie  = 10 // RFC 7873
	optionPadding = 12 // RFC 7830
)

// parseStubQuery reads the query AnswerCached takes, writing the canonical
// (lower-case, presentation) form of the question name to name.
func parseStubQuery(wire []byte, tcp bool, name *[maxNameWire]byte) (q stubQuery, n int, ok bool) {
	if len(wire) < headerLen {
		return q, 0, false
	}
	flags := binary.BigEndian.Uint16(wire[2:])
	const qrOpcode = 0xF800 // QR and OPCODE must be 0: a query (RFC 1035 §4.1.1)
	if flags&qrOpcode != 0 ||
		binary.BigEndian.Uint16(wire[4:]) != 1 || // QDCOUNT
		binary.BigEndian.Uint16(wire[6:]) != 0 || // ANCOUNT
		binary.BigEndian.Uint16(wire[8:]) != 0 { // NSCOUNT
		return q, 0, false
	}
	arcount := binary.BigEndian.Uint16(wire[arcountOff:])
	q.id = binary.BigEndian.Uint16(wire)
	q.rd, q.cd = flags&flagRD != 0, flags&flagCD != 0
	// The name: labels of letters, digits, '-' and '_' only, which
	// presentation format writes as they are (others it escapes).
	off := headerLen
	for {
		if off >= len(wire) {
			return q, 0, false
		}
		l := int(wire[off])
		if l == 0 {
			off++
			break
		}
		if l > 63 || off+1+l > len(wire) || off+1+l-headerLen >= maxNameWire {
			return q, 0, false
		}
		for _, b := range wire[off+1 : off+1+l] {
			switch {
			case 'a' <= b && b <= 'z', '0' <= b && b <= '9', b == '-', b == '_':
			case 'A' <= b && b <= 'Z':
				b += 'a' - 'A'
			default:
				return q, 0, false
			}
			name[n] = b
			n++
		}
		name[n] = '.'
		n++
		off += 1 + l
	}
	if n == 0 {
		name[0] = '.'
		n = 1
	}
	q.qname = wire[headerLen:off]
	if off+questionFixedLen > len(wire) || binary.BigEndian.Uint16(wire[off+2:]) != mdns.ClassINET {
		return q, 0, false
	}
	q.qtype = binary.BigEndian.Uint16(wire[off:])
	switch q.qtype {
	case mdns.TypeAXFR, mdns.TypeIXFR, mdns.TypeOPT, mdns.TypeTSIG, mdns.TypeTKEY:
		return q, 0, false
	}
	off += questionFixedLen
	q.size = mdns.MaxMsgSize
	if !tcp {
		q.size = mdns.MinMsgSize
	}
	switch arcount {
	case 0:
	case 1:
		// An OPT record: root owner, TYPE OPT, CLASS the payload size,
		// TTL extended RCODE, VERSION 0, flags (RFC 6891 §6.1.2-3).
		if off+1+rrFixedLen > len(wire) || wire[off] != 0 || binary.BigEndian.Uint16(wire[off+1:]) != mdns.TypeOPT || wire[off+6] != 0 {
			return q, 0, false
		}
		udp := binary.BigEndian.Uint16(wire[off+3:])
		rdlen := int(binary.BigEndian.Uint16(wire[off+9:]))
		off += 1 + rrFixedLen
		if off+rdlen > len(wire) {
			return q, 0, false
		}
		for opts := wire[off : off+rdlen]; len(opts) > 0; {
			if len(opts) < 4 {
				return q, 0, false
			}
			code, l := binary.BigEndian.Uint16(opts), int(binary.BigEndian.Uint16(opts[2:]))
			if (code != optionCookie && code != optionPadding) || 4+l > len(opts) {
				return q, 0, false
			}
			opts = opts[4+l:]
		}
		off += rdlen
		q.opt = true
		if !tcp {
			q.size = int(max(mdns.MinMsgSize, min(udp, DefaultUDPSize)))
		}
	default:
		return q, 0, false
	}
	return q, n, off == len(wire)
}
