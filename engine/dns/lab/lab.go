package lab

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/authority"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/dns/zone"
	"github.com/wirelab/wirelab/engine/transport"
	"github.com/wirelab/wirelab/engine/world"
)

// Port is where every simulated DNS server listens (RFC 1035 §4.2).
const Port = 53

// MaxSettleSteps bounds how many timers Settle fires before it gives up:
// a world whose servers keep each other busy forever is a bug, not a lab.
const MaxSettleSteps = 1_000_000

// Options configure a lab.
type Options struct {
	// Seed seeds message IDs and packet loss; the same seed replays the same
	// lab to the byte.
	Seed uint64
	// Start is the virtual time the lab starts at; zero means clock.Epoch.
	Start time.Time
	// Switches configure every local DNS server.
	Switches resolver.Switches
	// OnTrace, if not nil, sees every DNS message sent or received by any
	// server of the lab, every cache event of the local servers, and notes.
	// It runs on the goroutine that advances the clock.
	OnTrace func(dns.TraceEvent)
}

// Lab is a world's DNS hierarchy running on a simulated network.
type Lab struct {
	Clock *clock.Virtual
	Net   *transport.Network
	Spec  *Spec

	ids     *dns.IDs
	onTrace func(dns.TraceEvent)
	names   map[netip.Addr]string
	servers map[string]*ServerNode
	hosts   map[string]*HostNode
	order   []string // server names in world order
	mu      sync.Mutex
	pending int // background work (transfers) still running
}

// ServerNode is one running DNS server.
type ServerNode struct {
	Spec      Server
	Host      *transport.Host
	Addr      netip.AddrPort
	Authority *authority.Server  // nil for a local DNS server
	Recurser  *resolver.Recurser // wraps Authority: recursion on RD=1
	Resolver  *resolver.Resolver // set for a local DNS server
	DNS       *dnsnet.Server     // the binding on port 53
	Client    *dnsnet.Client     // how this server asks others
	Transfers map[string]TransferInfo
}

// TransferInfo records the last zone transfer a secondary made.
type TransferInfo struct {
	Serial uint32
	At     time.Time
	Err    error
}

// HostNode is a client machine.
type HostNode struct {
	Spec   Host
	Host   *transport.Host
	Client *dnsnet.Client
}

// Build parses the world's dns/ part and starts its servers on a new
// simulated network. Secondaries transfer their zones from their primaries
// before Build returns, as they would at start-up.
func Build(w *world.World, opts Options) (*Lab, error) {
	spec, err := ParseSpec(w)
	if err != nil {
		return nil, err
	}
	zones := map[string]*zone.Zone{}
	for origin, zf := range spec.Zones {
		z, err := zone.Parse(origin, zf.Path, zf.Data)
		if err != nil {
			return nil, w.MemberError(zf.Path, lineOf(err), err)
		}
		zones[origin] = z
	}
	clk := clock.NewVirtual(opts.Start)
	seed := opts.Seed
	l := &Lab{
		Clock:   clk,
		Net:     transport.NewNetwork(clk, rand.New(rand.NewPCG(seed, seed+1))),
		Spec:    spec,
		ids:     dns.NewIDs(seed),
		onTrace: opts.OnTrace,
		names:   map[netip.Addr]string{},
		servers: map[string]*ServerNode{},
		hosts:   map[string]*HostNode{},
	}
	l.Net.DefaultLink = transport.Link{Latency: spec.DefaultLatency}
	if err := l.addMachines(); err != nil {
		return nil, err
	}
	for _, link := range spec.Links {
		for _, a := range l.addrsOf(link.A) {
			for _, b := range l.addrsOf(link.B) {
				l.Net.SetLink(a, b, transport.Link{Latency: link.Latency})
			}
		}
	}
	hints, err := rootHints(zones["."])
	if err != nil {
		return nil, err
	}
	for _, name := range l.order {
		if err := l.startServer(l.servers[name], zones, hints, opts.Switches); err != nil {
			return nil, err
		}
	}
	for _, h := range l.hosts {
		h.Client = &dnsnet.Client{Node: h.Host, Clock: clk, OnTrace: l.trace, Names: l.Name}
	}
	// Secondaries load their zones the way real ones do: by AXFR.
	for _, name := range l.order {
		s := l.servers[name]
		for _, z := range s.Spec.Secondary {
			l.refresh(s, z)
		}
	}
	if err := l.Settle(); err != nil {
		return nil, err
	}
	for _, name := range l.order {
		for z, t := range l.servers[name].Transfers {
			if t.Err != nil {
				return nil, fmt.Errorf("lab: %s could not transfer %s: %w", name, z, t.Err)
			}
		}
	}
	return l, nil
}

// lineOf digs the line number out of a zone error, 0 if it has none.
func lineOf(err error) int {
	var ze *zone.Error
	if errors.As(err, &ze) {
		return ze.Line
	}
	return 0
}

func (l *Lab) addMachines() error {
	for _, s := range l.Spec.Servers {
		h, err := l.Net.AddHost(strings.TrimSuffix(s.Name, "."), s.Addrs...)
		if err != nil {
			return fmt.Errorf("lab: %s: %w", s.Name, err)
		}
		for _, a := range s.Addrs {
			l.names[a] = strings.TrimSuffix(s.Name, ".")
		}
		l.servers[s.Name] = &ServerNode{Spec: s, Host: h, Addr: netip.AddrPortFrom(s.Addrs[0], Port), Transfers: map[string]TransferInfo{}}
		l.order = append(l.order, s.Name)
	}
	for _, hs := range l.Spec.Hosts {
		h, err := l.Net.AddHost(hs.Name, hs.Addr)
		if err != nil {
			return fmt.Errorf("lab: %s: %w", hs.Name, err)
		}
		l.names[hs.Addr] = hs.Name
		l.hosts[hs.Name] = &HostNode{Spec: hs, Host: h}
	}
	return nil
}

func (l *Lab) addrsOf(name string) []netip.Addr {
	if s := l.servers[mdns.Fqdn(strings.ToLower(name))]; s != nil {
		return s.Spec.Addrs
	}
	if h := l.hosts[name]; h != nil {
		return []netip.Addr{h.Spec.Addr}
	}
	return nil
}

// rootHints are the root zone's name servers and their addresses, the
// "hints" file every resolver starts from (RFC 1034 §5.3.2).
func rootHints(root *zone.Zone) ([]resolver.Hint, error) {
	if root == nil {
		return nil, errors.New("lab: the world has no root zone (dns/zones/root.zone)")
	}
	var hints []resolver.Hint
	for _, rr := range root.RRset(".", mdns.TypeNS) {
		ns := rr.(*mdns.NS).Ns
		for _, t := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
			for _, a := range root.RRset(ns, t) {
				var addr netip.Addr
				switch a := a.(type) {
				case *mdns.A:
					addr, _ = netip.AddrFromSlice(a.A.To4())
				case *mdns.AAAA:
					addr, _ = netip.AddrFromSlice(a.AAAA)
				}
				hints = append(hints, resolver.Hint{Name: ns, Addr: addr})
			}
		}
	}
	if len(hints) == 0 {
		return nil, errors.New("lab: the root zone names no root server with an address")
	}
	return hints, nil
}

func (l *Lab) startServer(s *ServerNode, zones map[string]*zone.Zone, hints []resolver.Hint, sw resolver.Switches) error {
	s.Client = &dnsnet.Client{Node: s.Host, Clock: l.Clock, OnTrace: l.trace, Names: l.Name}
	name := strings.TrimSuffix(s.Spec.Name, ".")
	var h dns.Handler
	if s.Spec.Resolver {
		r, err := resolver.New(s.Client, l.Clock, resolver.Options{
			RootHints: hints, IDs: l.ids, Addr: s.Addr, Name: name, Switches: sw, OnEvent: l.traceFunc(),
		})
		if err != nil {
			return fmt.Errorf("lab: %s: %w", name, err)
		}
		s.Resolver = r
		h = r
	} else {
		a := &authority.Server{}
		for _, z := range s.Spec.Primary {
			if err := a.AddPrimary(zones[z].Clone()); err != nil {
				return fmt.Errorf("lab: %s: %w", name, err)
			}
		}
		for _, z := range s.Spec.Secondary {
			if err := a.AddSecondary(z, l.primaryOf(z).Spec.Addrs...); err != nil {
				return fmt.Errorf("lab: %s: %w", name, err)
			}
		}
		a.OnChange = func(z string, serial uint32) { l.notifySecondaries(s, z) }
		a.OnNotify = func(z string, _ netip.AddrPort) { l.refresh(s, z) }
		s.Authority = a
		s.Recurser = resolver.Recursing(a, s.Client, resolver.RecursingOptions{
			Clock: l.Clock, IDs: l.ids, Addr: s.Addr, Name: name, OnEvent: l.traceFunc(),
		})
		h = s.Recurser
	}
	srv, err := dnsnet.Serve(s.Host, Port, h, dnsnet.ServerOptions{Clock: l.Clock, Names: l.Name})
	if err != nil {
		return fmt.Errorf("lab: %s: %w", name, err)
	}
	s.DNS = srv
	return nil
}

// primaryOf returns the first server listed as primary for zone.
func (l *Lab) primaryOf(z string) *ServerNode {
	for _, name := range l.order {
		for _, p := range l.servers[name].Spec.Primary {
			if p == z {
				return l.servers[name]
			}
		}
	}
	return nil
}

// secondariesOf lists the servers that are secondary for zone.
func (l *Lab) secondariesOf(z string) []*ServerNode {
	var out []*ServerNode
	for _, name := range l.order {
		for _, sz := range l.servers[name].Spec.Secondary {
			if sz == z {
				out = append(out, l.servers[name])
			}
		}
	}
	return out
}

// notifySecondaries sends NOTIFY (RFC 1996 §3.5) from a server whose zone
// changed to every secondary of the zone.
func (l *Lab) notifySecondaries(from *ServerNode, z string) {
	soaRRs := from.Authority.Zone(z).RRset(z, mdns.TypeSOA)
	if len(soaRRs) == 0 {
		return
	}
	soa := soaRRs[0].(*mdns.SOA)
	for _, sec := range l.secondariesOf(z) {
		if sec == from {
			continue
		}
		msg := authority.NotifyMsg(l.ids, z, soa)
		l.begin()
		from.Client.Exchange(sec.Addr, msg, func(*mdns.Msg, error) { l.end() })
	}
}

// refresh makes a secondary ask its primary for the zone's SOA and transfer
// the zone when the primary's serial is newer (RFC 1996 §3.11, RFC 1034
// §4.3.5), or when it has no copy yet.
func (l *Lab) refresh(s *ServerNode, z string) {
	primary := l.primaryOf(z)
	l.begin()
	q := dns.NewQuery(l.ids, z, mdns.TypeSOA, false)
	s.Client.Exchange(primary.Addr, q, func(resp *mdns.Msg, err error) {
		if err != nil {
			s.setTransfer(z, TransferInfo{At: l.Clock.Now(), Err: fmt.Errorf("SOA query to %s: %w", primary.Addr, err)})
			l.end()
			return
		}
		var serial uint32
		for _, rr := range resp.Answer {
			if soa, ok := rr.(*mdns.SOA); ok {
				serial = soa.Serial
			}
		}
		if _, has := s.Authority.Serial(z); has && !s.Authority.NeedsTransfer(z, serial) {
			l.end()
			return
		}
		dnsnet.Transfer(s.Host, l.Clock, primary.Addr, z, l.ids, func(msgs []*mdns.Msg, err error) {
			defer l.end()
			if err == nil {
				err = s.Authority.ApplyTransfer(z, msgs)
			}
			info := TransferInfo{At: l.Clock.Now(), Err: err}
			info.Serial, _ = s.Authority.Serial(z)
			s.setTransfer(z, info)
		})
	})
}

func (s *ServerNode) setTransfer(z string, t TransferInfo) { s.Transfers[z] = t }

func (l *Lab) begin() {
	l.mu.Lock()
	l.pending++
	l.mu.Unlock()
}

func (l *Lab) end() {
	l.mu.Lock()
	l.pending--
	l.mu.Unlock()
}

func (l *Lab) busy() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending > 0
}

// Settle runs the virtual clock until background work (NOTIFY, SOA checks,
// transfers) has finished.
func (l *Lab) Settle() error {
	for steps := 0; l.busy(); steps++ {
		if steps >= MaxSettleSteps {
			return errors.New("lab: background DNS work did not finish")
		}
		if l.Clock.RunUntilIdle(1) == 0 {
			return errors.New("lab: background DNS work stalled with no timer pending")
		}
	}
	return nil
}

// traceFunc is the observer to hand components: nil when nobody watches,
// so that they build no trace events at all.
func (l *Lab) traceFunc() func(dns.TraceEvent) {
	if l.onTrace == nil {
		return nil
	}
	return l.trace
}

func (l *Lab) trace(e dns.TraceEvent) {
	if l.onTrace != nil {
		l.onTrace(e)
	}
}

// Name returns the world's name for an address ("" if none): trace events
// and the playground's drawing use it.
func (l *Lab) Name(a netip.Addr) string { return l.names[a] }

// Server returns a server by host name ("a.root-servers.net"), nil if none.
func (l *Lab) Server(name string) *ServerNode { return l.servers[mdns.Fqdn(strings.ToLower(name))] }

// Servers returns the servers in world order.
func (l *Lab) Servers() []*ServerNode {
	out := make([]*ServerNode, len(l.order))
	for i, n := range l.order {
		out[i] = l.servers[n]
	}
	return out
}

// HostNode returns a client host by name, nil if none.
func (l *Lab) HostNode(name string) *HostNode { return l.hosts[name] }

// Hosts returns the client hosts sorted by name.
func (l *Lab) Hosts() []*HostNode {
	out := make([]*HostNode, 0, len(l.hosts))
	for _, h := range l.hosts {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	return out
}

// LocalServer returns the local DNS server a host uses, or the named
// resolver itself.
func (l *Lab) LocalServer(name string) (*ServerNode, error) {
	if h := l.hosts[name]; h != nil {
		return l.servers[h.Spec.Resolver], nil
	}
	if s := l.Server(name); s != nil && s.Resolver != nil {
		return s, nil
	}
	return nil, fmt.Errorf("lab: %q is neither a host nor a local DNS server", name)
}

// Resolve has the local DNS server of from (a host, or a local DNS server
// by name) resolve name and type in mode, running the virtual clock until
// the answer is in.
func (l *Lab) Resolve(from, name string, qtype uint16, mode resolver.Mode) (resolver.Result, error) {
	s, err := l.LocalServer(from)
	if err != nil {
		return resolver.Result{}, err
	}
	return s.Resolver.ResolveSync(resolver.Question{Name: mdns.Fqdn(name), Type: qtype}, mode)
}

// Update sends a dynamic UPDATE (RFC 2136) for zone from a host to the
// zone's primary server, waits for the answer, and lets NOTIFY and the
// secondaries' transfers run to completion. It returns the primary's
// response.
func (l *Lab) Update(from string, zoneName string, build func(m *mdns.Msg)) (*mdns.Msg, error) {
	h := l.hosts[from]
	if h == nil {
		return nil, fmt.Errorf("lab: no host %q", from)
	}
	z := mdns.Fqdn(strings.ToLower(zoneName))
	primary := l.primaryOf(z)
	if primary == nil {
		return nil, fmt.Errorf("lab: no primary server for zone %s", z)
	}
	m := new(mdns.Msg)
	m.SetUpdate(z)
	m.Id = l.ids.Next()
	build(m)
	var resp *mdns.Msg
	var rerr error
	l.begin()
	h.Client.Exchange(primary.Addr, m, func(r *mdns.Msg, err error) {
		resp, rerr = r, err
		l.end()
	})
	if err := l.Settle(); err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, fmt.Errorf("lab: UPDATE to %s: %w", primary.Addr, rerr)
	}
	return resp, nil
}
