package transport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/wirelab/wirelab/engine/clock"
)

// Link describes the path between two addresses, the same both ways.
type Link struct {
	// Latency is the one-way delay of every datagram and stream segment.
	Latency time.Duration
	// Loss is the probability that a datagram is dropped: <= 0 never, >= 1
	// always. Streams are never lost, as TCP retransmits and hides loss.
	Loss float64
}

const (
	// maxDatagram is the largest UDP payload: the 16-bit UDP length (RFC 768)
	// less the 8-octet UDP header and the 20-octet IPv4 header.
	maxDatagram = 65535 - 8 - 20

	// Ephemeral ports come from the dynamic range, RFC 6335 section 6.
	ephemeralFirst = 49152
	ephemeralCount = 65536 - ephemeralFirst
)

// Network is a simulated internet driven by a virtual clock. Nothing moves
// until the clock is advanced: datagrams and stream segments are timers on it,
// and handlers run inside clock.Advance. A Network is safe for concurrent use,
// but the same operations in the same order on the same seed give the same
// events only when one goroutine drives it.
type Network struct {
	// OnEvent, if non-nil, observes every event in the order they happen. It
	// is never called concurrently with itself and may use the network (send
	// packets, dial); events it causes are reported after it returns. Set it
	// before use.
	OnEvent func(Event)
	// DefaultLink is the link between addresses that have none set with
	// SetLink. Set it before use.
	DefaultLink Link

	clk *clock.Virtual

	mu      sync.Mutex
	rnd     *rand.Rand
	hosts   []*Host
	byAddr  map[netip.Addr]*Host
	byName  map[string]*Host
	links   map[[2]netip.Addr]Link
	lastID  uint64
	pending []Event // events not yet handed to OnEvent
	// emitting is set while some goroutine is draining pending, so events
	// raised by the observer or on other goroutines keep their order.
	emitting bool
}

// NewNetwork returns an empty network on clk. rnd decides losses; nil means a
// fixed seed, so runs are repeatable either way.
func NewNetwork(clk *clock.Virtual, rnd *rand.Rand) *Network {
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(0, 0))
	}
	return &Network{
		clk:    clk,
		rnd:    rnd,
		byAddr: make(map[netip.Addr]*Host),
		byName: make(map[string]*Host),
		links:  make(map[[2]netip.Addr]Link),
	}
}

// Clock returns the clock the network runs on.
func (n *Network) Clock() *clock.Virtual { return n.clk }

// AddHost adds a host with a unique name and one or more unique addresses.
func (n *Network) AddHost(name string, addrs ...netip.Addr) (*Host, error) {
	if name == "" {
		return nil, errors.New("transport: host needs a name")
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("transport: host %q needs an address", name)
	}
	h := &Host{
		n:       n,
		name:    name,
		packets: make(map[uint16]*listener),
		streams: make(map[uint16]*listener),
	}
	for _, a := range addrs {
		if !a.IsValid() {
			return nil, fmt.Errorf("transport: host %q: invalid address", name)
		}
		a = a.Unmap()
		if slices.Contains(h.addrs, a) {
			return nil, fmt.Errorf("%w: %v listed twice for %q", ErrDuplicateAddr, a, name)
		}
		h.addrs = append(h.addrs, a)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.byName[name] != nil {
		return nil, fmt.Errorf("transport: host %q already exists", name)
	}
	for _, a := range h.addrs {
		if other := n.byAddr[a]; other != nil {
			return nil, fmt.Errorf("%w: %v belongs to %q", ErrDuplicateAddr, a, other.name)
		}
	}
	for _, a := range h.addrs {
		n.byAddr[a] = h
	}
	n.byName[name] = h
	n.hosts = append(n.hosts, h)
	return h, nil
}

// Host returns the host with the given name, or nil.
func (n *Network) Host(name string) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byName[name]
}

// HostAt returns the host with the given address, or nil.
func (n *Network) HostAt(a netip.Addr) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byAddr[a.Unmap()]
}

// Hosts returns every host in the order they were added.
func (n *Network) Hosts() []*Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.hosts)
}

// SetLink sets the link between a and b, in both directions. It applies to
// datagrams and segments sent from then on; those in flight keep their timing.
func (n *Network) SetLink(a, b netip.Addr, l Link) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.links[linkKey(a, b)] = l
}

// LinkBetween returns the link between a and b: the one set with SetLink, or
// DefaultLink.
func (n *Network) LinkBetween(a, b netip.Addr) Link {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.linkLocked(a, b)
}

func linkKey(a, b netip.Addr) [2]netip.Addr {
	a, b = a.Unmap(), b.Unmap()
	if b.Less(a) {
		a, b = b, a
	}
	return [2]netip.Addr{a, b}
}

func (n *Network) linkLocked(a, b netip.Addr) Link {
	if l, ok := n.links[linkKey(a, b)]; ok {
		return l
	}
	return n.DefaultLink
}

// lostLocked draws from rnd only for lossy links, so adding a lossless link
// does not shift the losses elsewhere.
func (n *Network) lostLocked(l Link) bool {
	switch {
	case l.Loss <= 0:
		return false
	case l.Loss >= 1:
		return true
	}
	return n.rnd.Float64() < l.Loss
}

func (n *Network) nextIDLocked() uint64 {
	n.lastID++
	return n.lastID
}

func (n *Network) nameLocked(a netip.Addr) string {
	if h := n.byAddr[a]; h != nil {
		return h.name
	}
	return ""
}

// eventLocked queues an event stamped with the clock's time. The caller must
// call flush after releasing n.mu.
func (n *Network) eventLocked(kind EventKind, id uint64, from, to netip.AddrPort, payload []byte) {
	if n.OnEvent == nil {
		return
	}
	n.pending = append(n.pending, Event{
		Kind:     kind,
		Time:     n.clk.Now(),
		ID:       id,
		From:     from,
		To:       to,
		FromHost: n.nameLocked(from.Addr()),
		ToHost:   n.nameLocked(to.Addr()),
		Payload:  slices.Clone(payload),
	})
}

// flush hands queued events to OnEvent without holding n.mu, so the observer
// may call back into the network. If another call is already draining, that
// call delivers ours too, which keeps one order and never runs the observer
// concurrently.
func (n *Network) flush() {
	n.mu.Lock()
	if n.emitting {
		n.mu.Unlock()
		return
	}
	n.emitting = true
	done := false
	defer func() {
		if !done { // the observer panicked: let later events through
			n.mu.Lock()
			n.emitting = false
			n.mu.Unlock()
		}
	}()
	for len(n.pending) > 0 {
		evs := n.pending
		n.pending = nil
		n.mu.Unlock()
		for _, e := range evs {
			n.OnEvent(e)
		}
		n.mu.Lock()
	}
	n.emitting = false
	done = true
	n.mu.Unlock()
}

// Host is a simulated machine with one or more addresses. Its ports are
// bound on all of its addresses.
type Host struct {
	n     *Network
	name  string
	addrs []netip.Addr

	// Guarded by n.mu.
	packets, streams          map[uint16]*listener
	nextPacketEph, nextStrEph uint16
}

var _ Node = (*Host)(nil)

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Addrs returns the host's addresses.
func (h *Host) Addrs() []netip.Addr { return slices.Clone(h.addrs) }

func (h *Host) String() string { return h.name }

// source picks the address a host sends from: its first one of dst's family.
func (h *Host) source(dst netip.Addr) (netip.Addr, error) {
	for _, a := range h.addrs {
		if a.Is4() == dst.Is4() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("transport: host %q has no address to reach %v", h.name, dst)
}

func (h *Host) owns(a netip.Addr) bool { return slices.Contains(h.addrs, a) }

func checkDest(to netip.AddrPort) (netip.AddrPort, error) {
	if !to.IsValid() || to.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("transport: invalid destination %v", to)
	}
	return netip.AddrPortFrom(to.Addr().Unmap(), to.Port()), nil
}

type listener struct {
	h       *Host
	port    uint16
	ports   map[uint16]*listener // the table it is bound in
	handler PacketHandler
	accept  AcceptFunc
}

func (l *listener) Port() uint16 { return l.port }

// Close unbinds the port. It is idempotent.
func (l *listener) Close() error {
	n := l.h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.ports[l.port] == l {
		delete(l.ports, l.port)
	}
	return nil
}

// bindLocked binds port in ports, or an ephemeral port if it is 0.
func (h *Host) bindLocked(ports map[uint16]*listener, next *uint16, port uint16) (*listener, error) {
	if port == 0 {
		p, err := h.ephemeralLocked(ports, next)
		if err != nil {
			return nil, err
		}
		port = p
	} else if ports[port] != nil {
		return nil, fmt.Errorf("%w: %s port %d", ErrAddrInUse, h.name, port)
	}
	l := &listener{h: h, port: port, ports: ports}
	ports[port] = l
	return l, nil
}

// ephemeralLocked returns the next unbound port of the dynamic range, in
// sequence so runs are repeatable.
func (h *Host) ephemeralLocked(ports map[uint16]*listener, next *uint16) (uint16, error) {
	for range ephemeralCount {
		p := *next
		if p < ephemeralFirst {
			p = ephemeralFirst
		}
		*next = p + 1 // wraps to 0 after 65535, then back to ephemeralFirst
		if ports[p] == nil {
			return p, nil
		}
	}
	return 0, fmt.Errorf("transport: %s has no free ephemeral port", h.name)
}

// ListenPacket binds a datagram port on all of h's addresses (0 picks an
// ephemeral port). handler runs inside clock.Advance for each datagram that
// arrives, without any network lock held, so it may reply at once.
func (h *Host) ListenPacket(port uint16, handler PacketHandler) (Listener, error) {
	if handler == nil {
		return nil, errors.New("transport: nil packet handler")
	}
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	l, err := h.bindLocked(h.packets, &h.nextPacketEph, port)
	if err != nil {
		return nil, err
	}
	l.handler = handler
	return l, nil
}

// SendPacket sends a datagram from port on h's first address of to's family.
func (h *Host) SendPacket(from uint16, to netip.AddrPort, payload []byte) error {
	src, err := h.source(to.Addr().Unmap())
	if err != nil {
		return err
	}
	return h.SendPacketFrom(netip.AddrPortFrom(src, from), to, payload)
}

// SendPacketFrom sends a datagram from a chosen address of h, as a server on
// a host with several addresses does to reply from the one it was asked on.
// The payload is copied. After the link's latency the datagram reaches the
// listener at to, unless the link loses it or nobody listens there; each
// outcome is an event. The sender learns nothing, as with UDP.
func (h *Host) SendPacketFrom(from, to netip.AddrPort, payload []byte) error {
	to, err := checkDest(to)
	if err != nil {
		return err
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if !h.owns(from.Addr()) {
		return fmt.Errorf("transport: %v is not an address of %s", from.Addr(), h.name)
	}
	if len(payload) > maxDatagram {
		return fmt.Errorf("transport: datagram of %d bytes exceeds %d", len(payload), maxDatagram)
	}
	data := slices.Clone(payload)
	n := h.n
	n.mu.Lock()
	id := n.nextIDLocked()
	link := n.linkLocked(from.Addr(), to.Addr())
	lost := n.lostLocked(link)
	n.eventLocked(PacketSend, id, from, to, data)
	n.clk.AfterFunc(link.Latency, func() { n.arrivePacket(id, from, to, data, lost) })
	n.mu.Unlock()
	n.flush()
	return nil
}

func (n *Network) arrivePacket(id uint64, from, to netip.AddrPort, data []byte, lost bool) {
	n.mu.Lock()
	var handler PacketHandler
	kind := PacketDeliver
	dst := n.byAddr[to.Addr()]
	switch {
	case lost:
		kind = PacketLoss
	case dst == nil:
		kind = PacketNoHost
	case dst.packets[to.Port()] == nil:
		kind = PacketNoListener
	default:
		handler = dst.packets[to.Port()].handler
	}
	n.eventLocked(kind, id, from, to, data)
	n.mu.Unlock()
	n.flush()
	if handler != nil {
		handler(from, to, data)
	}
}
