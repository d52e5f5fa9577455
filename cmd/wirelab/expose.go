package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/lab"
)

// exposePrefix is the loopback range --expose-dns binds the world's servers
// in: 127.53.0.0/16, one address per server, so that a real resolver can
// walk the world's hierarchy on port 53.
var exposePrefix = netip.MustParsePrefix("127.53.0.0/16")

// exposedDNS runs every root, TLD and authoritative server of the world on
// its own loopback address. Answers are the servers' own, with every world
// address of a server rewritten to its loopback address (so glue and the
// addresses of name servers lead a real resolver to the right listener) and
// server IPv6 addresses left out.
type exposedDNS struct {
	byWorld map[netip.Addr]netip.Addr // world address -> loopback
	servers []exposedServer
	log     *slog.Logger
	wg      sync.WaitGroup
}

type exposedServer struct {
	node *lab.ServerNode
	addr netip.Addr
	udp  net.PacketConn
	tcp  net.Listener
}

// exposeDNS binds the servers. port is 53 in normal use; tests may pick
// another.
func exposeDNS(ctx context.Context, l *lab.Lab, port uint16, log *slog.Logger) (*exposedDNS, error) {
	e := &exposedDNS{byWorld: map[netip.Addr]netip.Addr{}, log: log}
	next := exposePrefix.Addr().Next()
	for _, s := range l.Servers() {
		if s.Authority == nil {
			continue
		}
		addr := next
		next = next.Next()
		if !exposePrefix.Contains(addr) {
			e.close()
			return nil, fmt.Errorf("expose-dns: more servers than %s holds", exposePrefix)
		}
		for _, a := range s.Spec.Addrs {
			e.byWorld[a] = addr
		}
		ap := netip.AddrPortFrom(addr, port)
		udp, err := net.ListenPacket("udp", ap.String())
		if err != nil {
			e.close()
			return nil, fmt.Errorf("expose-dns: %s: %w (binding port 53 needs root or CAP_NET_BIND_SERVICE)", s.Spec.Name, err)
		}
		tcp, err := net.Listen("tcp", ap.String())
		if err != nil {
			udp.Close()
			e.close()
			return nil, fmt.Errorf("expose-dns: %s: %w", s.Spec.Name, err)
		}
		e.servers = append(e.servers, exposedServer{node: s, addr: addr, udp: udp, tcp: tcp})
	}
	for i := range e.servers {
		s := &e.servers[i]
		fe := &exposedFrontend{e: e, s: s}
		e.wg.Go(func() { fe.serveUDP(ctx) })
		e.wg.Go(func() { fe.serveTCP(ctx) })
	}
	return e, nil
}

// hints writes a root hints file (the named.root format Unbound reads) that
// points at the exposed root servers.
func (e *exposedDNS) hints(w io.Writer) {
	var lines []string
	for _, s := range e.servers {
		for _, z := range s.node.Spec.Primary {
			if z == "." {
				lines = append(lines, fmt.Sprintf(".\t3600000\tIN\tNS\t%s\n%s\t3600000\tIN\tA\t%s\n", s.node.Spec.Name, s.node.Spec.Name, s.addr))
			}
		}
	}
	sort.Strings(lines)
	io.WriteString(w, strings.Join(lines, ""))
}

func (e *exposedDNS) close() {
	if e == nil {
		return
	}
	for _, s := range e.servers {
		s.udp.Close()
		s.tcp.Close()
	}
	e.wg.Wait()
}

// rewrite maps world server addresses to their loopback addresses.
func (e *exposedDNS) rewrite(m *mdns.Msg) {
	fix := func(rrs []mdns.RR) []mdns.RR {
		out := rrs[:0]
		for _, rr := range rrs {
			switch rr := rr.(type) {
			case *mdns.A:
				if a, ok := netip.AddrFromSlice(rr.A.To4()); ok {
					if lo, ok := e.byWorld[a]; ok {
						rr.A = lo.AsSlice()
					}
				}
			case *mdns.AAAA:
				if a, ok := netip.AddrFromSlice(rr.AAAA); ok {
					if _, ok := e.byWorld[a]; ok {
						continue // no IPv6 loopback range to map into
					}
				}
			}
			out = append(out, rr)
		}
		return out
	}
	m.Answer = fix(m.Answer)
	m.Ns = fix(m.Ns)
	m.Extra = fix(m.Extra)
}

type exposedFrontend struct {
	e *exposedDNS
	s *exposedServer
}

// collect gathers the answers of a handler that answers at once (the
// authoritative servers do; AXFR writes several messages).
type collect struct{ msgs []*mdns.Msg }

func (c *collect) WriteMsg(m *mdns.Msg) error {
	c.msgs = append(c.msgs, m)
	return nil
}

func (f *exposedFrontend) answer(req *dns.Request) []*mdns.Msg {
	c := &collect{}
	f.s.node.Authority.ServeDNS(c, req)
	for _, m := range c.msgs {
		f.e.rewrite(m)
	}
	return c.msgs
}

func (f *exposedFrontend) serveUDP(ctx context.Context) {
	buf := make([]byte, dnsMaxUDP)
	local := addrPort(f.s.udp.LocalAddr())
	for {
		n, addr, err := f.s.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		wire := append([]byte(nil), buf[:n]...)
		req, formerr := request(wire, addrPort(addr), local, false)
		if req == nil {
			if formerr != nil {
				f.s.udp.WriteTo(formerr, addr)
			}
			continue
		}
		for _, m := range f.answer(req) {
			if out, err := m.Pack(); err == nil {
				f.s.udp.WriteTo(out, addr)
			}
		}
	}
}

func (f *exposedFrontend) serveTCP(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := f.s.tcp.Accept()
		if err != nil {
			return
		}
		wg.Go(func() {
			serveTCPConn(ctx, c, func(req *dns.Request) [][]byte {
				var out [][]byte
				for _, m := range f.answer(req) {
					if wire, err := m.Pack(); err == nil {
						out = append(out, wire)
					}
				}
				return out
			})
		})
	}
}
