package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	mdns "github.com/miekg/dns"
)

// packetSource is what pcapgo's two readers have in common, with the link
// type of each packet: a pcapng file may mix interfaces (tcpdump -i any
// writes Linux SLL or SLL2, -i lo Ethernet; BSD loopback is DLT_NULL).
type packetSource struct {
	read func() ([]byte, gopacket.CaptureInfo, error)
	link func(gopacket.CaptureInfo) layers.LinkType
}

// ReadPackets reads a pcap or pcapng capture: each TCP connection that
// speaks POP3, IMAP or DNS becomes a session, and DNS over UDP one session
// per server.
func ReadPackets(file string, r io.Reader, opt Options) ([]*Session, error) {
	if err := checkProtocol(opt.Protocol); err != nil {
		return nil, err
	}
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil {
		return nil, &Error{Place{File: file}, fmt.Errorf("not a pcap or pcapng file: %w", err)}
	}
	var src packetSource
	if bytes.Equal(head, pcapngMagic) {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, &Error{Place{File: file}, fmt.Errorf("reading pcapng: %w", err)}
		}
		src.read = ng.ReadPacketData
		src.link = func(ci gopacket.CaptureInfo) layers.LinkType {
			if len(ci.AncillaryData) > 0 {
				if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
					return lt
				}
			}
			return ng.LinkType()
		}
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, &Error{Place{File: file}, fmt.Errorf("reading pcap: %w", err)}
		}
		src.read = pr.ReadPacketData
		lt := pr.LinkType()
		src.link = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	}
	a := &assembler{file: file, opt: opt, conns: map[connKey]*tcpConn{}}
	for n := 1; ; n++ {
		data, ci, err := src.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// A capture cut short (the capturing program was killed):
			// what came before is still good.
			a.notes = append(a.notes, fmt.Sprintf("packet %d is cut short in the file; the capture ends before it", n))
			break
		}
		if err != nil {
			return nil, &Error{Place{File: file, Packet: n}, fmt.Errorf("reading: %w", err)}
		}
		if err := a.packet(n, data, ci, src.link(ci)); err != nil {
			return nil, err
		}
	}
	sessions, err := a.sessions()
	if err != nil {
		return nil, err
	}
	if len(sessions) == 0 {
		hint := " (for other ports, say which protocol with --proto)"
		if opt.Protocol != "" {
			hint = ""
		}
		return nil, &Error{Place{File: file}, fmt.Errorf("%w%s", ErrNoSession, hint)}
	}
	return sessions, nil
}

// connKey names a TCP connection by its two endpoints, the lesser first.
type connKey struct{ a, b netip.AddrPort }

func keyOf(x, y netip.AddrPort) connKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return connKey{x, y}
}

type segment struct {
	seq    uint32
	data   []byte
	packet int
	ack    uint32
	hasAck bool
}

// tcpDir is one direction of a connection: the segments one side sent.
type tcpDir struct {
	from, to netip.AddrPort
	isn      uint32 // sequence number of the first data octet, when known
	haveISN  bool
	segs     []segment
}

type tcpConn struct {
	first   int // first packet
	synFrom netip.AddrPort
	haveSyn bool
	dirs    [2]*tcpDir // by sender: dirs[0] sends from key.a
	key     connKey
	data    bool
	cut     *Error // the first packet the capture cut short
}

func (c *tcpConn) dir(from netip.AddrPort) *tcpDir {
	i := 0
	if from != c.key.a {
		i = 1
	}
	if c.dirs[i] == nil {
		to := c.key.b
		if i == 1 {
			to = c.key.a
		}
		c.dirs[i] = &tcpDir{from: from, to: to}
	}
	return c.dirs[i]
}

type datagram struct {
	from, to netip.AddrPort
	msg      *mdns.Msg
	packet   int
}

type assembler struct {
	file  string
	opt   Options
	conns map[connKey]*tcpConn
	done  []*tcpConn // connections whose 4-tuple was reused by a new SYN
	udp   []datagram
	notes []string
}

func (a *assembler) packet(n int, data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) error {
	p := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			a.notes = append(a.notes, fmt.Sprintf("packet %d is an IP fragment, which is not reassembled", n))
			return nil
		}
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	default:
		return nil
	}
	truncated := ci.CaptureLength < ci.Length
	place := Place{File: a.file, Packet: n}
	switch t := p.TransportLayer().(type) {
	case *layers.TCP:
		from := netip.AddrPortFrom(src, uint16(t.SrcPort))
		to := netip.AddrPortFrom(dst, uint16(t.DstPort))
		c := a.tcp(n, from, to, t)
		if truncated && len(t.Payload) > 0 && c.cut == nil {
			// An error only if the connection turns out to be one to
			// replay.
			c.cut = &Error{place, fmt.Errorf("the packet was cut to %d of its %d bytes when captured (capture with tcpdump -s 0)", ci.CaptureLength, ci.Length)}
		}
	case *layers.UDP:
		from := netip.AddrPortFrom(src, uint16(t.SrcPort))
		to := netip.AddrPortFrom(dst, uint16(t.DstPort))
		if a.opt.Protocol != DNS && (a.opt.Protocol != "" || (wellKnown[uint16(t.SrcPort)] != DNS && wellKnown[uint16(t.DstPort)] != DNS)) {
			return nil
		}
		if truncated {
			return &Error{place, fmt.Errorf("the datagram was cut to %d of its %d bytes when captured (capture with tcpdump -s 0)", ci.CaptureLength, ci.Length)}
		}
		m := new(mdns.Msg)
		if err := m.Unpack(t.Payload); err != nil {
			return &Error{place, fmt.Errorf("not a DNS message: %w", err)}
		}
		a.udp = append(a.udp, datagram{from: from, to: to, msg: m, packet: n})
	}
	return nil
}

func (a *assembler) tcp(n int, from, to netip.AddrPort, t *layers.TCP) *tcpConn {
	key := keyOf(from, to)
	c := a.conns[key]
	if t.SYN && !t.ACK && c != nil && (c.data || c.haveSyn && c.synFrom == from && c.dir(from).isn != t.Seq+1) {
		// The same ports again: a new connection.
		a.done = append(a.done, c)
		c = nil
	}
	if c == nil {
		c = &tcpConn{first: n, key: key}
		a.conns[key] = c
	}
	d := c.dir(from)
	seq := t.Seq
	if t.SYN {
		// The SYN takes one sequence number (RFC 9293 §3.4).
		seq++
		d.isn, d.haveISN = seq, true
		if !t.ACK {
			c.synFrom, c.haveSyn = from, true
		} else if !c.haveSyn {
			c.synFrom, c.haveSyn = to, true
		}
	}
	if len(t.Payload) == 0 {
		return c
	}
	c.data = true
	d.segs = append(d.segs, segment{seq: seq, data: bytes.Clone(t.Payload), packet: n, ack: t.Ack, hasAck: t.ACK})
	return c
}

// sessions finishes the reading: connections and DNS datagrams become
// sessions, in the order they began.
func (a *assembler) sessions() ([]*Session, error) {
	type started struct {
		first int
		s     *Session
	}
	var out []started
	conns := a.done
	for _, c := range a.conns {
		conns = append(conns, c)
	}
	for _, c := range conns {
		s, err := a.session(c)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, started{c.first, s})
		}
	}
	for _, s := range a.dnsSessions() {
		out = append(out, started{s.Exchanges[0].QueryPlace.Packet, s})
	}
	slices.SortFunc(out, func(x, y started) int { return x.first - y.first })
	var sessions []*Session
	for _, s := range out {
		s.s.Notes = append(s.s.Notes, a.notes...)
		sessions = append(sessions, s.s)
	}
	return sessions, nil
}

// session reassembles one connection.
func (a *assembler) session(c *tcpConn) (*Session, error) {
	if !c.data {
		return nil, nil
	}
	client, server := c.key.a, c.key.b
	switch {
	case c.haveSyn:
		if c.synFrom != client {
			client, server = server, client
		}
	case wellKnown[client.Port()] != "" && wellKnown[server.Port()] == "":
		client, server = server, client
	case wellKnown[server.Port()] == "" && client.Port() < server.Port():
		// No SYN and no known port: servers usually have the lower port.
		client, server = server, client
	}
	cd, sd := c.dir(client), c.dir(server)
	cd.base()
	sd.base()
	proto := a.opt.Protocol
	if proto == "" {
		proto = wellKnown[server.Port()]
	}
	if proto == "" {
		// An unknown port: the server's first line tells POP3 from IMAP.
		proto = sniff(sd)
	}
	if proto == "" {
		return nil, nil
	}
	if c.cut != nil {
		return nil, c.cut
	}
	cs, err := cd.assemble(a.file, sd)
	if err != nil {
		return nil, err
	}
	ss, err := sd.assemble(a.file, cd)
	if err != nil {
		return nil, err
	}
	s := &Session{File: a.file, Protocol: proto, Name: client.String() + " > " + server.String()}
	if proto == DNS {
		s.Name = "DNS over TCP " + s.Name
		if err := a.tcpDNS(s, cs, ss); err != nil {
			return nil, err
		}
		if len(s.Exchanges) == 0 {
			return nil, nil
		}
		return s, nil
	}
	s.Lines = merge(a.file, cs.lines(), ss.lines())
	cutAtTLS(s)
	return s, nil
}

// sniff recognises a server by its greeting (RFC 1939 §4, RFC 9051
// §7.1.1): the data at the start of its stream.
func sniff(d *tcpDir) string {
	if d == nil {
		return ""
	}
	for _, seg := range d.segs {
		if seg.seq != d.isn {
			continue
		}
		switch {
		case bytes.HasPrefix(seg.data, []byte("+OK")):
			return POP3
		case bytes.HasPrefix(seg.data, []byte("* OK")), bytes.HasPrefix(seg.data, []byte("* PREAUTH")):
			return IMAP
		}
	}
	return ""
}

// base settles where a direction's data starts: after the SYN, or at the
// lowest sequence number captured when the capture began mid-connection.
func (d *tcpDir) base() {
	if d == nil || d.haveISN || len(d.segs) == 0 {
		return
	}
	ref := d.segs[0].seq
	low := int64(0)
	for _, s := range d.segs {
		if off := int64(int32(s.seq - ref)); off < low {
			low = off
		}
	}
	d.isn, d.haveISN = ref+uint32(low), true
}

// stream is one direction's bytes in order, with the packet each run of
// bytes came in and what that packet acknowledged of the other direction.
type stream struct {
	data   []byte
	chunks []chunk
}

type chunk struct {
	off    int
	packet int
	// need is how many bytes of the other direction the sender had
	// received when it sent this chunk: its acknowledgment number.
	need    int64
	hasNeed bool
}

// assemble puts a direction's segments in sequence order, dropping what a
// retransmission repeats (RFC 9293 §3.10.7.4: a segment's new data starts
// at the receiver's next expected sequence number).
func (d *tcpDir) assemble(file string, peer *tcpDir) (stream, error) {
	var st stream
	if d == nil {
		return st, nil
	}
	type placed struct {
		off int64
		segment
	}
	segs := make([]placed, 0, len(d.segs))
	for _, s := range d.segs {
		segs = append(segs, placed{int64(int32(s.seq - d.isn)), s})
	}
	slices.SortStableFunc(segs, func(x, y placed) int {
		if x.off != y.off {
			return int(x.off - y.off)
		}
		return x.packet - y.packet
	})
	next := int64(0)
	for _, s := range segs {
		end := s.off + int64(len(s.data))
		if end <= next {
			continue // a retransmission of data already placed
		}
		if s.off > next {
			return st, &Error{Place{File: file, Packet: s.packet}, fmt.Errorf("%d bytes from %s to %s before this segment are not in the capture", s.off-next, d.from, d.to)}
		}
		c := chunk{off: int(next), packet: s.packet}
		if s.hasAck && peer != nil && peer.haveISN {
			c.need, c.hasNeed = int64(int32(s.ack-peer.isn)), true
		}
		st.chunks = append(st.chunks, c)
		st.data = append(st.data, s.data[next-s.off:]...)
		next = end
	}
	return st, nil
}

// chunkAt returns the chunk holding byte off.
func (st *stream) chunkAt(off int) chunk {
	i, found := slices.BinarySearchFunc(st.chunks, off, func(c chunk, off int) int { return c.off - off })
	if !found {
		i--
	}
	return st.chunks[max(i, 0)]
}

// seqLine is a line of one direction with what orders it against the
// other direction.
type seqLine struct {
	text       string
	end        int // offset after its LF
	packet     int
	need       int64
	hasNeed    bool
	incomplete bool // the stream ended without its LF
}

func (st *stream) lines() []seqLine {
	var out []seqLine
	for start := 0; start < len(st.data); {
		i := bytes.IndexByte(st.data[start:], '\n')
		end := start + i + 1
		incomplete := i < 0
		if incomplete {
			end = len(st.data)
		}
		text := string(bytes.TrimSuffix(bytes.TrimSuffix(st.data[start:end], []byte("\n")), []byte("\r")))
		c := st.chunkAt(start)
		out = append(out, seqLine{text: text, end: end, packet: c.packet, need: c.need, hasNeed: c.hasNeed, incomplete: incomplete})
		start = end
	}
	return out
}

// merge interleaves the two directions' lines in causal order: a line can
// come only after the other side's bytes its packet acknowledged, which
// holds even when the capture saw packets out of order. When both sides
// may go next, the server's line goes first, since it was sent before the
// client line it did not wait for was received.
func merge(file string, client, server []seqLine) []Line {
	var out []Line
	i, j := 0, 0
	posC, posS := 0, 0
	emit := func(dir byte, l seqLine) {
		out = append(out, Line{Dir: dir, Text: l.text, Place: Place{File: file, Packet: l.packet}})
	}
	for i < len(client) || j < len(server) {
		sOK := j < len(server) && (!server[j].hasNeed || server[j].need <= int64(posC))
		cOK := i < len(client) && (!client[i].hasNeed || client[i].need <= int64(posS))
		switch {
		case sOK:
		case cOK:
		default:
			// Acknowledgments that contradict the data: fall back to the
			// order of the packets.
			sOK = j < len(server) && (i >= len(client) || server[j].packet <= client[i].packet)
		}
		if sOK {
			emit('S', server[j])
			posS = server[j].end
			j++
		} else {
			emit('C', client[i])
			posC = client[i].end
			i++
		}
	}
	return out
}

// tcpDNS reads DNS messages with their two-octet length prefix (RFC 1035
// §4.2.2) from both directions and pairs them by ID.
func (a *assembler) tcpDNS(s *Session, cs, ss stream) error {
	queries, err := a.framed(s, cs)
	if err != nil {
		return err
	}
	responses, err := a.framed(s, ss)
	if err != nil {
		return err
	}
	pending := map[uint16][]int{}
	for _, q := range queries {
		pending[q.msg.Id] = append(pending[q.msg.Id], len(s.Exchanges))
		s.Exchanges = append(s.Exchanges, Exchange{Query: q.msg, QueryPlace: Place{File: a.file, Packet: q.packet}})
	}
	for _, r := range responses {
		if idx := pending[r.msg.Id]; len(idx) > 0 {
			s.Exchanges[idx[0]].Response, s.Exchanges[idx[0]].ResponsePlace = r.msg, Place{File: a.file, Packet: r.packet}
			pending[r.msg.Id] = idx[1:]
		}
	}
	return nil
}

// framed splits a stream into DNS messages. A stream whose first message
// does not parse is not DNS (only --proto made it look so) and gives none.
func (a *assembler) framed(s *Session, st stream) ([]datagram, error) {
	var out []datagram
	for off := 0; off+2 <= len(st.data); {
		n := int(binary.BigEndian.Uint16(st.data[off:]))
		c := st.chunkAt(off)
		m := new(mdns.Msg)
		var err error
		if off+2+n > len(st.data) {
			if len(out) > 0 {
				s.Notes = append(s.Notes, fmt.Sprintf("packet %d: the capture ends inside a DNS message", c.packet))
				break
			}
			err = errors.New("cut short")
		} else {
			err = m.Unpack(st.data[off+2 : off+2+n])
		}
		if err != nil && len(out) == 0 {
			return nil, nil
		}
		if err != nil {
			return nil, &Error{Place{File: a.file, Packet: c.packet}, fmt.Errorf("%s: not a DNS message: %w", s.Name, err)}
		}
		out = append(out, datagram{msg: m, packet: c.packet})
		off += 2 + n
	}
	return out, nil
}

// dnsSessions pairs UDP queries with their responses, by the client's
// address and port and the message ID, one session per server.
func (a *assembler) dnsSessions() []*Session {
	type qkey struct {
		client, server netip.AddrPort
		id             uint16
	}
	type ref struct {
		s *Session
		i int
	}
	byServer := map[netip.AddrPort]*Session{}
	var order []*Session
	pending := map[qkey][]ref{}
	for _, d := range a.udp {
		if !d.msg.Response {
			s := byServer[d.to]
			if s == nil {
				s = &Session{File: a.file, Protocol: DNS, Name: "DNS to " + d.to.String()}
				byServer[d.to] = s
				order = append(order, s)
			}
			key := qkey{d.from, d.to, d.msg.Id}
			pending[key] = append(pending[key], ref{s, len(s.Exchanges)})
			s.Exchanges = append(s.Exchanges, Exchange{Query: d.msg, QueryPlace: Place{File: a.file, Packet: d.packet}})
			continue
		}
		key := qkey{d.to, d.from, d.msg.Id}
		if q := pending[key]; len(q) > 0 {
			e := &q[0].s.Exchanges[q[0].i]
			e.Response, e.ResponsePlace = d.msg, Place{File: a.file, Packet: d.packet}
			pending[key] = q[1:]
		}
	}
	return order
}
