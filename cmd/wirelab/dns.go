package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// resolveCmd is "wirelab resolve": one lookup in the world's DNS, printed
// the way dig prints it, and with --trace every step of the walk.
func resolveCmd(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("resolve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	worldPath := fl.String("world", "", "world `file` (txtar) or folder (default: the embedded demo world)")
	mode := fl.String("mode", "iterated", "how the local DNS server resolves: iterated or recursive")
	from := fl.String("from", "laptop", "the `host` whose local DNS server resolves (or a local DNS server's name)")
	trace := fl.Bool("trace", false, "print every message and cache event of the lookup")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: wirelab resolve [flags] NAME [TYPE]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fl.NArg() < 1 || fl.NArg() > 2 {
		fl.Usage()
		return errUsage
	}
	qtype := mdns.TypeA
	if fl.NArg() == 2 {
		t, ok := mdns.StringToType[strings.ToUpper(fl.Arg(1))]
		if !ok {
			return fmt.Errorf("resolve: unknown record type %q", fl.Arg(1))
		}
		qtype = t
	}
	var m resolver.Mode
	switch *mode {
	case "iterated", "iterative":
		m = resolver.Iterated
	case "recursive":
		m = resolver.Recursive
	default:
		return fmt.Errorf("resolve: --mode is iterated or recursive, not %q", *mode)
	}
	w, err := loadWorld(*worldPath)
	if err != nil {
		return err
	}
	l, err := lab.Build(w, lab.Options{Seed: 1})
	if err != nil {
		return err
	}
	local, err := l.LocalServer(*from)
	if err != nil {
		return err
	}
	res, err := l.Resolve(*from, fl.Arg(0), qtype, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "; wirelab resolve %s %s: %s mode, from %s via %s\n", mdns.Fqdn(fl.Arg(0)), mdns.TypeToString[qtype], *mode, *from, strings.TrimSuffix(local.Spec.Name, "."))
	if *trace {
		fmt.Fprintln(stdout, ";; TRACE:")
		start := time.Time{}
		for _, e := range res.Trace {
			if start.IsZero() {
				start = e.Time
			}
			fmt.Fprintf(stdout, ";  +%-7s %s\n", e.Time.Sub(start).Round(time.Microsecond), traceLine(e))
		}
	}
	fmt.Fprintf(stdout, ";; ->>HEADER<<- status: %s, upstream queries: %d, virtual time: %s\n", mdns.RcodeToString[res.Rcode], res.Upstream, res.Elapsed)
	if res.Reason != "" {
		fmt.Fprintf(stdout, ";; reason: %s\n", res.Reason)
	}
	for _, sec := range []struct {
		name string
		rrs  []mdns.RR
	}{{"ANSWER", res.Answer}, {"AUTHORITY", res.Authority}, {"ADDITIONAL", res.Additional}} {
		if len(sec.rrs) == 0 {
			continue
		}
		fmt.Fprintf(stdout, "\n;; %s SECTION:\n", sec.name)
		for _, rr := range sec.rrs {
			fmt.Fprintln(stdout, rr.String())
		}
	}
	return nil
}

func traceLine(e dns.TraceEvent) string {
	name := func(n string, a netip.AddrPort) string {
		if n != "" {
			return strings.TrimSuffix(n, ".")
		}
		if a.IsValid() {
			return a.String()
		}
		return "?"
	}
	switch e.Kind {
	case dns.TraceQuery, dns.TraceResponse, dns.TraceTimeout:
		return fmt.Sprintf("%-8s %s -> %s  %s  %s", e.Kind, name(e.FromName, e.From), name(e.ToName, e.To), e.Question, e.Summary)
	default:
		return fmt.Sprintf("%-8s %s  %s", e.Kind, e.Question, e.Summary)
	}
}

// Limits of the native DNS listener.
const (
	// dnsMaxUDP is the largest UDP message read (RFC 6891 allows up to
	// 65535; real clients send far less).
	dnsMaxUDP = 65535
	// dnsTCPIdle closes a TCP connection that sends nothing (RFC 7766 §6.2.3
	// suggests seconds, not minutes).
	dnsTCPIdle = 10 * time.Second
	// dnsMaxPump bounds the virtual-clock steps one query may take.
	dnsMaxPump = 100_000
)

// dnsFrontend answers real DNS clients as one of the world's local DNS
// servers. The lab runs on a virtual clock that one lookup at a time drives
// (under mu): the clock is kept in step with the wall clock, so cached TTLs
// count down in real time, and while a lookup is under way it is run ahead
// to the next event, so the simulated latencies cost no wall time. Parsing
// and packing happen outside the lock, on as many goroutines as read the
// sockets.
type dnsFrontend struct {
	lab    *lab.Lab
	server *lab.ServerNode
	log    *slog.Logger
	offset time.Duration // wall time minus virtual time at start
	zones  []string      // the world's zones: other names are REFUSED
	limit  *dnsLimiter   // UDP queries per source
	mu     sync.Mutex
}

func newDNSFrontend(l *lab.Lab, serverName string, log *slog.Logger) (*dnsFrontend, error) {
	s := l.Server(serverName)
	if s == nil || s.Resolver == nil {
		return nil, fmt.Errorf("dns: %q is not a local DNS server of the world", serverName)
	}
	return &dnsFrontend{lab: l, server: s, log: log, offset: time.Since(l.Clock.Now()),
		zones: worldZones(l), limit: newDNSLimiter(time.Now, isLoopback)}, nil
}

// firstResolver names the world's first local DNS server.
func firstResolver(l *lab.Lab) string {
	for _, s := range l.Servers() {
		if s.Resolver != nil {
			return s.Spec.Name
		}
	}
	return ""
}

// replyWriter takes the resolver's answer, as a message or, for answers it
// keeps packed, as wire bytes (resolver.WireWriter).
type replyWriter struct {
	msg  *mdns.Msg
	wire []byte
}

var _ resolver.WireWriter = (*replyWriter)(nil)

func (w *replyWriter) WriteMsg(m *mdns.Msg) error {
	if w.msg != nil || w.wire != nil {
		return errors.New("dns: answered twice")
	}
	w.msg = m
	return nil
}

func (w *replyWriter) WriteWire(b []byte) error {
	if w.msg != nil || w.wire != nil {
		return errors.New("dns: answered twice")
	}
	w.wire = append([]byte(nil), b...) // b is the resolver's until we return
	return nil
}

// packed returns the answer in wire format, or nil for none.
func (w *replyWriter) packed() []byte {
	if w.wire != nil {
		return w.wire
	}
	if w.msg == nil {
		return nil
	}
	out, err := w.msg.Pack()
	if err != nil {
		return nil
	}
	return out
}

// syncClock moves the lab's clock up to the wall clock; f.mu is held.
func (f *dnsFrontend) syncClock() {
	if now := time.Now().Add(-f.offset); now.After(f.lab.Clock.Now()) {
		f.lab.Clock.Set(now)
	}
}

// cached answers a query straight from the local server's packed cache,
// without unpacking it, appending to dst.
func (f *dnsFrontend) cached(dst, wire []byte, tcp bool) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncClock()
	return f.server.Resolver.AnswerCached(dst, wire, tcp)
}

// answer resolves one query and returns the reply's wire bytes; nil for a
// message that gets no answer (a response, say).
func (f *dnsFrontend) answer(req *dns.Request) []byte {
	if !req.Msg.Response && len(req.Msg.Question) == 1 && !inWorld(f.zones, req.Msg.Question[0].Name) {
		return refused(req.Msg)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncClock()
	clk := f.lab.Clock
	w := &replyWriter{}
	f.server.Resolver.ServeDNS(w, req)
	for steps := 0; w.msg == nil && w.wire == nil && steps < dnsMaxPump; steps++ {
		if clk.RunUntilIdle(1) == 0 {
			break
		}
	}
	if w.msg == nil && w.wire == nil && !req.Msg.Response {
		m := new(mdns.Msg)
		m.SetRcode(req.Msg, mdns.RcodeServerFailure)
		w.msg = m
	}
	return w.packed()
}

// request unpacks a query; a message that does not parse gets the bare
// FORMERR an authoritative server would send, or nothing.
func request(wire []byte, from, to netip.AddrPort, tcp bool) (*dns.Request, []byte) {
	m := new(mdns.Msg)
	if err := m.Unpack(wire); err != nil {
		return nil, authority.FormErr(wire)
	}
	return &dns.Request{Msg: m, Wire: wire, From: from, To: to, TCP: tcp}, nil
}

// dnsBatch is how many datagrams one system call reads or writes at most
// (recvmmsg and sendmmsg on Linux).
const dnsBatch = 32

// batchConn reads and writes several datagrams per system call.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// serveUDP answers queries on one UDP socket. Under load the system calls
// cost more than the answers (a cache hit is copied from packed wire bytes),
// so it reads up to dnsBatch queries at once and sends the cache hits'
// replies together; queries that need resolving are answered one by one.
func (f *dnsFrontend) serveUDP(ctx context.Context, pc *net.UDPConn) {
	local := addrPort(pc.LocalAddr())
	var bc batchConn = ipv4.NewPacketConn(pc)
	if local.Addr().Is6() && !local.Addr().Is4In6() {
		bc = ipv6.NewPacketConn(pc)
	}
	in := make([]ipv4.Message, dnsBatch)
	out := make([]ipv4.Message, dnsBatch)
	replies := make([][]byte, dnsBatch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, dnsMaxUDP)}
		out[i].Buffers = make([][]byte, 1)
		replies[i] = make([]byte, 0, resolver.DefaultUDPSize)
	}
	for {
		n, err := bc.ReadBatch(in, 0)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				f.log.Error("dns udp read", "err", err)
			}
			return
		}
		hits := 0
		for _, m := range in[:n] {
			query := m.Buffers[0][:m.N]
			from := addrPort(m.Addr)
			if ok, slip := f.limit.allow(from.Addr()); !ok {
				if tc := truncated(query); slip && tc != nil {
					pc.WriteToUDPAddrPort(tc, from)
				}
				continue
			}
			// Cache hits go out without the query being unpacked at all.
			if reply, ok := f.cached(replies[hits][:0], query, false); ok {
				replies[hits] = reply
				out[hits].Buffers[0] = reply
				out[hits].Addr = m.Addr
				hits++
				continue
			}
			req, formerr := request(append([]byte(nil), query...), from, local, false)
			if req == nil {
				if formerr != nil {
					pc.WriteToUDPAddrPort(formerr, from)
				}
				continue
			}
			if reply := f.answer(req); reply != nil {
				pc.WriteToUDPAddrPort(reply, from)
			}
		}
		for sent := 0; sent < hits; {
			k, err := bc.WriteBatch(out[sent:hits], 0)
			if err != nil || k == 0 {
				break // like a lost datagram: the client asks again
			}
			sent += k
		}
	}
}

func (f *dnsFrontend) serveTCP(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				f.log.Error("dns tcp accept", "err", err)
			}
			return
		}
		wg.Go(func() { f.serveConn(ctx, c) })
	}
}

// serveConn answers length-prefixed messages on one TCP connection
// (RFC 1035 §4.2.2, RFC 7766) with the local DNS server.
func (f *dnsFrontend) serveConn(ctx context.Context, c net.Conn) {
	serveTCPConn(ctx, c, func(req *dns.Request) [][]byte {
		if reply := f.answer(req); reply != nil {
			return [][]byte{reply}
		}
		return nil
	})
}

// serveTCPConn reads length-prefixed DNS messages from c and writes back
// what answer gives for each (several messages for a zone transfer). It ends
// when the client goes quiet for dnsTCPIdle, closes, or ctx ends.
func serveTCPConn(ctx context.Context, c net.Conn, answer func(*dns.Request) [][]byte) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var lenBuf [2]byte
	for {
		c.SetReadDeadline(time.Now().Add(dnsTCPIdle))
		if _, err := io.ReadFull(c, lenBuf[:]); err != nil {
			return
		}
		wire := make([]byte, binary.BigEndian.Uint16(lenBuf[:]))
		if _, err := io.ReadFull(c, wire); err != nil {
			return
		}
		req, formerr := request(wire, addrPort(c.RemoteAddr()), addrPort(c.LocalAddr()), true)
		var out [][]byte
		if req == nil {
			if formerr != nil {
				out = append(out, formerr)
			}
		} else {
			out = answer(req)
			if len(out) == 0 && ctx.Err() != nil {
				return
			}
		}
		for _, wire := range out {
			msg := binary.BigEndian.AppendUint16(nil, uint16(len(wire)))
			if _, err := c.Write(append(msg, wire...)); err != nil {
				return
			}
		}
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case *net.TCPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}
