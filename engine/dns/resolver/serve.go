package resolver

import (
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
)

// hintTTL is the TTL of the root hints in a referral built from them, the
// value of the root hints file (named.root).
const hintTTL = 3600000

// ServeDNS answers a stub's query: it resolves the question in the
// resolver's Mode and writes the answer with RA=1 (RFC 1035 §4.1.1), once,
// when the lookup ends. A query with RD=0 is answered from the cache alone,
// with a referral to the closest servers the cache knows when it has no
// answer, as dig +norecurse shows.
//
// Bad input: a message that is a response gets no reply; a query with an
// opcode other than QUERY gets NOTIMP; one with other than one question
// FORMERR; a class other than IN or a zone transfer REFUSED; an EDNS
// version other than 0 BADVERS (RFC 6891 §6.1.3). Over UDP the answer is
// truncated (TC=1) to 512 octets or the payload size the query's OPT
// record allows, up to DefaultUDPSize.
//
// When w is a [WireWriter], ServeDNS keeps the replies it makes from the
// cache alone in wire format, and answers the same question again by
// patching those bytes (ID, flags, question, TTLs, round-robin order, OPT
// record) instead of looking it up: it then calls WriteWire, not WriteMsg,
// with the bytes WriteMsg's message would pack to. [Resolver.AnswerCached]
// does the same for a query that has not been unpacked.
func (r *Resolver) ServeDNS(w dns.ResponseWriter, req *dns.Request) {
	m := req.Msg
	if m == nil || m.Response {
		return
	}
	if r.serveCached(w, req) {
		return
	}
	// Record the cache reads when a packed answer could be used.
	var rec *recording
	if _, ok := w.(WireWriter); ok {
		rec = &recording{}
	}
	reply := new(mdns.Msg)
	reply.SetReply(m)
	reply.RecursionAvailable = true
	if rc := checkQuery(m); rc != mdns.RcodeSuccess {
		r.mu.Lock()
		r.counters.Received++
		r.mu.Unlock()
		reply.Rcode = rc
		writeReply(w, req, reply)
		return
	}
	q := Question{Name: m.Question[0].Name, Type: m.Question[0].Qtype}
	if !m.RecursionDesired {
		r.mu.Lock()
		r.counters.Received++
		r.mu.Unlock()
		if res, ended := r.fromCacheOnly(q, reply, rec); ended {
			r.keepAnswer(q, rec, res, reply)
		}
		writeReply(w, req, reply)
		return
	}
	r.resolve(q, r.opts.Mode, false, rec, func(res Result) {
		reply.Rcode = res.Rcode
		reply.Answer, reply.Ns, reply.Extra = res.Answer, res.Authority, res.Additional
		r.keepAnswer(q, rec, res, reply)
		writeReply(w, req, reply)
	})
}

// keepAnswer keeps reply in wire format if it came from the cache alone
// (see storeAnswer).
func (r *Resolver) keepAnswer(q Question, rec *recording, res Result, reply *mdns.Msg) {
	if rec == nil || res.Upstream != 0 || res.Stale || (res.Rcode != mdns.RcodeSuccess && res.Rcode != mdns.RcodeNameError) {
		return
	}
	k := key{lower(q.Name), q.Type}
	now := r.clk.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache.storeAnswer(k, rec, reply, now)
}

// checkQuery returns the rcode for a query the resolver will not resolve,
// or RcodeSuccess.
func checkQuery(m *mdns.Msg) int {
	switch {
	case m.Opcode != mdns.OpcodeQuery:
		return mdns.RcodeNotImplemented
	case len(m.Question) != 1:
		return mdns.RcodeFormatError
	case m.Question[0].Qclass != mdns.ClassINET:
		return mdns.RcodeRefused
	}
	switch m.Question[0].Qtype {
	case mdns.TypeAXFR, mdns.TypeIXFR:
		// Zone transfers are for authoritative servers (RFC 5936).
		return mdns.RcodeRefused
	case mdns.TypeOPT, mdns.TypeTSIG, mdns.TypeTKEY:
		return mdns.RcodeFormatError
	}
	if opt := m.IsEdns0(); opt != nil && opt.Version() != 0 {
		return mdns.RcodeBadVers
	}
	return mdns.RcodeSuccess
}

// writeReply adds an OPT record if the query had one (RFC 6891 §6.1.1),
// truncates a UDP answer to the size the client can take, and writes it.
func writeReply(w dns.ResponseWriter, req *dns.Request, reply *mdns.Msg) {
	if req.Msg.IsEdns0() != nil {
		reply.SetEdns0(DefaultUDPSize, false)
	}
	reply.Truncate(replySize(req.Msg, req.TCP))
	_ = w.WriteMsg(reply)
}

// replySize is the largest answer to query: over TCP a whole message, over
// UDP 512 octets (RFC 1035 §4.2.1) or the payload size the query's OPT
// record offers (RFC 6891 §6.2.5), up to DefaultUDPSize.
func replySize(query *mdns.Msg, tcp bool) int {
	switch opt := query.IsEdns0(); {
	case tcp:
		return mdns.MaxMsgSize
	case opt != nil:
		return int(max(mdns.MinMsgSize, min(opt.UDPSize(), DefaultUDPSize)))
	}
	return mdns.MinMsgSize
}

// fromCacheOnly fills reply from the cache without asking anyone: the
// answer if cached (ended, with its result), else a referral to the
// closest known servers.
func (r *Resolver) fromCacheOnly(q Question, reply *mdns.Msg, rec *recording) (res Result, ended bool) {
	r.mu.Lock()
	sw := r.sw
	r.mu.Unlock()
	t := &tree{r: r, mode: Iterated, sw: sw, start: r.clk.Now(), rec: rec}
	l := t.newLookup(q, nil)
	var o outcome
	l.finish = func(x outcome) { o, ended = x, true }
	for !ended {
		x, follow, hit := l.fromCache()
		if !hit {
			break
		}
		if follow == nil {
			l.done(x)
		} else {
			l.follow(follow)
		}
	}
	if ended {
		res = t.result(q, o)
		reply.Rcode = res.Rcode
		reply.Answer, reply.Ns, reply.Extra = res.Answer, res.Authority, res.Additional
		return res, true
	}
	// A referral (RFC 1034 §4.3.1: a server not offering recursion
	// points the client closer to the answer).
	reply.Answer = l.chain
	found := false
	t.locked(func(c *cache, now time.Time, out *[]dns.TraceEvent) {
		for n := lower(l.qname); ; n = parentName(n) {
			if e := t.fresh(c, key{n, mdns.TypeNS}, now, out); e != nil && e.neg == positive {
				found = true
				reply.Ns = e.records(e.remaining(now))
				_, reply.Extra = t.extraSections(c, now, out, reply.Ns)
				return
			}
			if n == "." {
				return
			}
		}
	})
	if found {
		return res, false
	}
	// One NS record per root server, however many addresses it has: an
	// RRset holds no duplicate records (RFC 2181 §5).
	named := map[string]bool{}
	for _, h := range r.hints {
		if !named[lower(h.name)] {
			named[lower(h.name)] = true
			reply.Ns = append(reply.Ns, &mdns.NS{Hdr: mdns.RR_Header{Name: ".", Rrtype: mdns.TypeNS, Class: mdns.ClassINET, Ttl: hintTTL}, Ns: h.name})
		}
		hdr := mdns.RR_Header{Name: h.name, Class: mdns.ClassINET, Ttl: hintTTL}
		if a := h.addr.Addr(); a.Is4() {
			hdr.Rrtype = mdns.TypeA
			reply.Extra = append(reply.Extra, &mdns.A{Hdr: hdr, A: a.AsSlice()})
		} else {
			hdr.Rrtype = mdns.TypeAAAA
			reply.Extra = append(reply.Extra, &mdns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
		}
	}
	return res, false
}
