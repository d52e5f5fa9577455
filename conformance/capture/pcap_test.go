package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	mdns "github.com/miekg/dns"
)

// seg is one TCP segment of a made-up capture.
type seg struct {
	from, to netip.AddrPort
	seq, ack uint32
	syn, fin bool
	noAck    bool
	payload  string
}

var (
	cli  = netip.MustParseAddrPort("127.0.0.1:40000")
	srv  = netip.MustParseAddrPort("127.0.0.1:110")
	cli6 = netip.MustParseAddrPort("[::1]:40000")
	srv6 = netip.MustParseAddrPort("[::1]:143")
)

// conversation makes the segments of a TCP connection in which the two
// sides say the given lines in turn ("C: ..." or "S: ..."), with a
// handshake and right sequence and acknowledgment numbers.
func conversation(client, server netip.AddrPort, lines ...string) []seg {
	cseq, sseq := uint32(1000), uint32(0xfffffff0) // the server's wraps around
	segs := []seg{
		{from: client, to: server, seq: cseq, syn: true, noAck: true},
		{from: server, to: client, seq: sseq, ack: cseq + 1, syn: true},
		{from: client, to: server, seq: cseq + 1, ack: sseq + 1},
	}
	cseq++
	sseq++
	for _, l := range lines {
		data := l[3:] + "\r\n"
		if l[0] == 'C' {
			segs = append(segs, seg{from: client, to: server, seq: cseq, ack: sseq, payload: data})
			cseq += uint32(len(data))
		} else {
			segs = append(segs, seg{from: server, to: client, seq: sseq, ack: cseq, payload: data})
			sseq += uint32(len(data))
		}
	}
	return append(segs, seg{from: client, to: server, seq: cseq, ack: sseq, fin: true})
}

// frame builds a packet of the link type around a segment.
func frame(t testing.TB, link layers.LinkType, s seg) []byte {
	t.Helper()
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(s.from.Port()), DstPort: layers.TCPPort(s.to.Port()),
		Seq: s.seq, Ack: s.ack, SYN: s.syn, FIN: s.fin, ACK: !s.noAck, PSH: s.payload != "", Window: 65535,
	}
	var ip gopacket.SerializableLayer
	ethType, family := layers.EthernetTypeIPv4, layers.ProtocolFamilyIPv4
	if s.from.Addr().Is4() {
		ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP(s.from.Addr().AsSlice()), DstIP: net.IP(s.to.Addr().AsSlice())}
		tcp.SetNetworkLayerForChecksum(ip4)
		ip = ip4
	} else {
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.IP(s.from.Addr().AsSlice()), DstIP: net.IP(s.to.Addr().AsSlice())}
		tcp.SetNetworkLayerForChecksum(ip6)
		ip = ip6
		ethType, family = layers.EthernetTypeIPv6, layers.ProtocolFamilyIPv6Linux
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(s.payload)); err != nil {
		t.Fatal(err)
	}
	packet := buf.Bytes()
	var head []byte
	switch link {
	case layers.LinkTypeEthernet:
		eth := gopacket.NewSerializeBuffer()
		e := &layers.Ethernet{SrcMAC: make(net.HardwareAddr, 6), DstMAC: make(net.HardwareAddr, 6), EthernetType: ethType}
		if err := gopacket.SerializeLayers(eth, opts, e, gopacket.Payload(packet)); err != nil {
			t.Fatal(err)
		}
		return eth.Bytes()
	case layers.LinkTypeNull:
		// BSD loopback: the address family in the host's byte order.
		head = binary.LittleEndian.AppendUint32(nil, uint32(family))
	case layers.LinkTypeLinuxSLL:
		// Packet type, ARPHRD_LOOPBACK, address length and address,
		// protocol.
		head = binary.BigEndian.AppendUint16(nil, 0)
		head = binary.BigEndian.AppendUint16(head, 772)
		head = binary.BigEndian.AppendUint16(head, 6)
		head = append(head, make([]byte, 8)...)
		head = binary.BigEndian.AppendUint16(head, uint16(ethType))
	case layers.LinkTypeLinuxSLL2:
		// Protocol, reserved, interface index, ARPHRD, packet type,
		// address length and address.
		head = binary.BigEndian.AppendUint16(nil, uint16(ethType))
		head = binary.BigEndian.AppendUint16(head, 0)
		head = binary.BigEndian.AppendUint32(head, 1)
		head = binary.BigEndian.AppendUint16(head, 772)
		head = append(head, 0, 6)
		head = append(head, make([]byte, 8)...)
	case layers.LinkTypeRaw:
	default:
		t.Fatalf("no framing for %v", link)
	}
	return append(head, packet...)
}

// pcapFile writes packets as a pcap file, or pcapng with ng.
func pcapFile(t testing.TB, link layers.LinkType, ng bool, packets [][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ci := func(p []byte, i int) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: at.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(p), Length: len(p)}
	}
	if ng {
		w, err := pcapgo.NewNgWriter(&b, link)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range packets {
			if err := w.WritePacket(ci(p, i), p); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(262144, link); err != nil {
		t.Fatal(err)
	}
	for i, p := range packets {
		if err := w.WritePacket(ci(p, i), p); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func frames(t testing.TB, link layers.LinkType, segs []seg) [][]byte {
	var out [][]byte
	for _, s := range segs {
		out = append(out, frame(t, link, s))
	}
	return out
}

// got renders a session's lines with their packets, for comparing.
func got(s *Session) []string {
	var out []string
	for _, l := range s.Lines {
		out = append(out, string(l.Dir)+": "+l.Text+" @"+strings.TrimPrefix(l.Place.String(), l.Place.File+": "))
	}
	return out
}

var pop3Lines = []string{
	"S: +OK ready <1.2@x>",
	"C: USER alice",
	"S: +OK",
	"C: PASS wonderland",
	"S: +OK 9 messages",
	"C: QUIT",
	"S: +OK bye",
}

func TestReadPacketsLinkTypes(t *testing.T) {
	want := []string{
		"S: +OK ready <1.2@x> @packet 4", "C: USER alice @packet 5", "S: +OK @packet 6",
		"C: PASS wonderland @packet 7", "S: +OK 9 messages @packet 8", "C: QUIT @packet 9", "S: +OK bye @packet 10",
	}
	for _, tc := range []struct {
		name string
		link layers.LinkType
		ng   bool
		c, s netip.AddrPort
	}{
		{"ethernet pcap (tcpdump -i lo)", layers.LinkTypeEthernet, false, cli, srv},
		{"ethernet pcapng (tshark, Wireshark)", layers.LinkTypeEthernet, true, cli, srv},
		{"null (BSD loopback)", layers.LinkTypeNull, false, cli, srv},
		{"linux sll (tcpdump -i any)", layers.LinkTypeLinuxSLL, false, cli, srv},
		{"linux sll2 (tcpdump -i any, newer)", layers.LinkTypeLinuxSLL2, true, cli, srv},
		{"raw ip", layers.LinkTypeRaw, false, cli, srv},
		{"ipv6 over ethernet", layers.LinkTypeEthernet, false, cli6, netip.AddrPortFrom(srv6.Addr(), 110)},
		{"ipv6 sll", layers.LinkTypeLinuxSLL, true, cli6, netip.AddrPortFrom(srv6.Addr(), 110)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := pcapFile(t, tc.link, tc.ng, frames(t, tc.link, conversation(tc.c, tc.s, pop3Lines...)))
			sessions, err := Read("lo.pcap", bytes.NewReader(data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(sessions) != 1 {
				t.Fatalf("%d sessions, want 1", len(sessions))
			}
			s := sessions[0]
			if s.Protocol != POP3 || s.Name != tc.c.String()+" > "+tc.s.String() {
				t.Errorf("protocol %q, name %q", s.Protocol, s.Name)
			}
			if diff := cmp.Diff(want, got(s)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReassembly shuffles, repeats and splits segments as networks and
// capturing do: the lines come out whole, once, in the order they were
// said.
func TestReassembly(t *testing.T) {
	base := conversation(cli, srv, pop3Lines...)
	split := func(s seg, at int) (seg, seg) {
		a, b := s, s
		a.payload, b.payload = s.payload[:at], s.payload[at:]
		b.seq += uint32(at)
		return a, b
	}
	for _, tc := range []struct {
		name   string
		mangle func([]seg) []seg
		want   []string
	}{{
		name:   "in order",
		mangle: func(s []seg) []seg { return s },
		want: []string{"S: +OK ready <1.2@x> @packet 4", "C: USER alice @packet 5", "S: +OK @packet 6",
			"C: PASS wonderland @packet 7", "S: +OK 9 messages @packet 8", "C: QUIT @packet 9", "S: +OK bye @packet 10"},
	}, {
		name: "a server line in two segments, captured in reverse order",
		mangle: func(s []seg) []seg {
			a, b := split(s[7], 5) // "+OK 9 messages"
			return append(append(append([]seg{}, s[:7]...), b, a), s[8:]...)
		},
		want: []string{"S: +OK ready <1.2@x> @packet 4", "C: USER alice @packet 5", "S: +OK @packet 6",
			"C: PASS wonderland @packet 7", "S: +OK 9 messages @packet 9", "C: QUIT @packet 10", "S: +OK bye @packet 11"},
	}, {
		name: "a client segment retransmitted",
		mangle: func(s []seg) []seg {
			return append(append(append([]seg{}, s[:5]...), s[4]), s[5:]...) // USER alice twice
		},
		want: []string{"S: +OK ready <1.2@x> @packet 4", "C: USER alice @packet 5", "S: +OK @packet 7",
			"C: PASS wonderland @packet 8", "S: +OK 9 messages @packet 9", "C: QUIT @packet 10", "S: +OK bye @packet 11"},
	}, {
		name: "a retransmission that overlaps and brings new data",
		mangle: func(s []seg) []seg {
			a, _ := split(s[6], 4) // "PASS" alone, then all of "PASS wonderland"
			return append(append(append([]seg{}, s[:6]...), a, s[6]), s[7:]...)
		},
		want: []string{"S: +OK ready <1.2@x> @packet 4", "C: USER alice @packet 5", "S: +OK @packet 6",
			"C: PASS wonderland @packet 7", "S: +OK 9 messages @packet 9", "C: QUIT @packet 10", "S: +OK bye @packet 11"},
	}, {
		// A response captured before the command it answers: the
		// acknowledgment numbers still order them.
		name: "a response captured before its command",
		mangle: func(s []seg) []seg {
			out := append([]seg{}, s...)
			out[6], out[7] = out[7], out[6]
			return out
		},
		want: []string{"S: +OK ready <1.2@x> @packet 4", "C: USER alice @packet 5", "S: +OK @packet 6",
			"C: PASS wonderland @packet 8", "S: +OK 9 messages @packet 7", "C: QUIT @packet 9", "S: +OK bye @packet 10"},
	}, {
		name:   "the capture began mid-connection",
		mangle: func(s []seg) []seg { return s[5:] },
		want:   []string{"S: +OK @packet 1", "C: PASS wonderland @packet 2", "S: +OK 9 messages @packet 3", "C: QUIT @packet 4", "S: +OK bye @packet 5"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			data := pcapFile(t, layers.LinkTypeEthernet, false, frames(t, layers.LinkTypeEthernet, tc.mangle(base)))
			sessions, err := Read("x.pcap", bytes.NewReader(data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got(sessions[0])); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadPacketsRecognition(t *testing.T) {
	other := netip.MustParseAddrPort("127.0.0.1:2525")
	imapOn := func(port uint16) []seg {
		return conversation(cli, netip.AddrPortFrom(srv.Addr(), port), "S: * OK hi", "C: a LOGOUT", "S: * BYE", "S: a OK")
	}
	for _, tc := range []struct {
		name  string
		segs  []seg
		opt   Options
		proto string // "" for no session
	}{
		{"imap by port", imapOn(143), Options{}, IMAP},
		{"imap by wirelab's port", imapOn(1143), Options{}, IMAP},
		{"imap by greeting on another port", imapOn(2000), Options{}, IMAP},
		{"pop3 by greeting", conversation(cli, other, "S: +OK hi", "C: QUIT", "S: +OK"), Options{}, POP3},
		{"forced", conversation(cli, other, "S: 220 smtp", "C: QUIT"), Options{Protocol: POP3}, POP3},
		{"smtp is not read", conversation(cli, other, "S: 220 smtp", "C: QUIT"), Options{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := pcapFile(t, layers.LinkTypeEthernet, false, frames(t, layers.LinkTypeEthernet, tc.segs))
			sessions, err := Read("x.pcap", bytes.NewReader(data), tc.opt)
			if tc.proto == "" {
				if !errors.Is(err, ErrNoSession) || !strings.Contains(err.Error(), "x.pcap") {
					t.Errorf("got %v, want ErrNoSession naming the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sessions[0].Protocol != tc.proto {
				t.Errorf("protocol %q, want %q", sessions[0].Protocol, tc.proto)
			}
		})
	}
}

func TestReadPacketsErrors(t *testing.T) {
	gap := conversation(cli, srv, pop3Lines...)
	gap = append(gap[:6], gap[7:]...) // PASS wonderland is lost
	cut := frames(t, layers.LinkTypeEthernet, conversation(cli, srv, pop3Lines...))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"lost segment", pcapFile(t, layers.LinkTypeEthernet, false, frames(t, layers.LinkTypeEthernet, gap)),
			"capture: x.pcap: packet 8: 17 bytes from 127.0.0.1:40000 to 127.0.0.1:110 before this segment are not in the capture"},
		{"not a capture", []byte("\xd4\xc3\xb2\xa1garbage"), "capture: x.pcap: reading pcap"},
		{"snaplen cut a packet", func() []byte {
			var b bytes.Buffer
			w := pcapgo.NewWriter(&b)
			w.WriteFileHeader(60, layers.LinkTypeEthernet)
			for i, p := range cut {
				n := min(len(p), 60)
				w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: n, Length: len(p)}, p[:n])
			}
			return b.Bytes()
		}(), "capture: x.pcap: packet 4: the packet was cut to 60 of its"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read("x.pcap", bytes.NewReader(tc.data), Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

// udpFrame builds an IPv4 UDP packet over Ethernet.
func udpFrame(t *testing.T, from, to netip.AddrPort, m *mdns.Msg) []byte {
	t.Helper()
	payload, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP(from.Addr().AsSlice()), DstIP: net.IP(to.Addr().AsSlice())}
	udp := &layers.UDP{SrcPort: layers.UDPPort(from.Port()), DstPort: layers.UDPPort(to.Port())}
	udp.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: make(net.HardwareAddr, 6), DstMAC: make(net.HardwareAddr, 6), EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadPacketsDNS(t *testing.T) {
	dnsSrv := netip.MustParseAddrPort("127.0.0.1:53")
	c1, c2 := netip.MustParseAddrPort("127.0.0.1:50001"), netip.MustParseAddrPort("127.0.0.1:50002")
	query := func(id uint16, name string, typ uint16) *mdns.Msg {
		m := new(mdns.Msg)
		m.SetQuestion(name, typ)
		m.Id = id
		return m
	}
	answer := func(q *mdns.Msg, rrs ...string) *mdns.Msg {
		m := new(mdns.Msg)
		m.SetReply(q)
		m.RecursionAvailable = true
		for _, s := range rrs {
			rr, err := mdns.NewRR(s)
			if err != nil {
				t.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		return m
	}
	qa := query(7, "www.example.com.", mdns.TypeA)
	qb := query(7, "example.com.", mdns.TypeMX) // the same ID from another port
	packets := [][]byte{
		udpFrame(t, c1, dnsSrv, qa),
		udpFrame(t, c2, dnsSrv, qb),
		udpFrame(t, dnsSrv, c2, answer(qb, "example.com. 300 IN MX 10 mail.example.com.")),
		udpFrame(t, dnsSrv, c1, answer(qa, "www.example.com. 300 IN A 192.0.2.1")),
	}
	sessions, err := Read("dns.pcapng", bytes.NewReader(pcapFile(t, layers.LinkTypeEthernet, true, packets)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || len(sessions[0].Exchanges) != 2 {
		t.Fatalf("got %d sessions, want 1 with 2 exchanges", len(sessions))
	}
	var got []string
	for _, e := range sessions[0].Exchanges {
		got = append(got, e.Query.Question[0].Name+" "+e.QueryPlace.String()+" -> "+e.Response.Answer[0].String()+" "+e.ResponsePlace.String())
	}
	want := []string{
		"www.example.com. dns.pcapng: packet 1 -> www.example.com.\t300\tIN\tA\t192.0.2.1 dns.pcapng: packet 4",
		"example.com. dns.pcapng: packet 2 -> example.com.\t300\tIN\tMX\t10 mail.example.com. dns.pcapng: packet 3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s", diff)
	}
}

func TestReadPacketsDNSOverTCP(t *testing.T) {
	dnsSrv := netip.MustParseAddrPort("127.0.0.1:53")
	q := new(mdns.Msg)
	q.SetQuestion("example.com.", mdns.TypeSOA)
	r := new(mdns.Msg)
	r.SetReply(q)
	framed := func(m *mdns.Msg) string {
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return string(binary.BigEndian.AppendUint16(nil, uint16(len(b)))) + string(b)
	}
	segs := conversation(cli, dnsSrv)
	qs, rs := framed(q), framed(r)
	// The query's length prefix comes in a segment of its own.
	segs = append(segs[:3],
		seg{from: cli, to: dnsSrv, seq: 1001, ack: 0xfffffff1, payload: qs[:2]},
		seg{from: cli, to: dnsSrv, seq: 1003, ack: 0xfffffff1, payload: qs[2:]},
		seg{from: dnsSrv, to: cli, seq: 0xfffffff1, ack: 1001 + uint32(len(qs)), payload: rs})
	sessions, err := Read("t.pcap", bytes.NewReader(pcapFile(t, layers.LinkTypeEthernet, false, frames(t, layers.LinkTypeEthernet, segs))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || len(sessions[0].Exchanges) != 1 {
		t.Fatalf("got %d sessions, want one with one exchange", len(sessions))
	}
	e := sessions[0].Exchanges[0]
	if e.Response == nil || e.Query.Question[0].Name != "example.com." || e.QueryPlace.Packet != 4 || e.ResponsePlace.Packet != 6 {
		t.Errorf("exchange %v at %v, response at %v", e.Query.Question, e.QueryPlace, e.ResponsePlace)
	}
}

// TestReadPacketsPortReuse reads two connections between the same ports,
// one after the other, as two sessions.
func TestReadPacketsPortReuse(t *testing.T) {
	first := conversation(cli, srv, "S: +OK one", "C: QUIT", "S: +OK")
	second := conversation(cli, srv, "S: +OK two", "C: QUIT", "S: +OK")
	for i := range second {
		second[i].seq += 50000 // a new connection takes new sequence numbers
		if !second[i].noAck {
			second[i].ack += 50000
		}
	}
	data := pcapFile(t, layers.LinkTypeEthernet, false, frames(t, layers.LinkTypeEthernet, append(first, second...)))
	sessions, err := Read("t.pcap", bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var greetings []string
	for _, s := range sessions {
		greetings = append(greetings, s.Lines[0].Text)
	}
	if diff := cmp.Diff([]string{"+OK one", "+OK two"}, greetings); diff != "" {
		t.Errorf("sessions' greetings (-want +got):\n%s", diff)
	}
}

// FuzzRead feeds arbitrary bytes to the readers: a capture is untrusted
// input, and reading it must end in sessions or an error, never a panic;
// whatever sessions come out must write as transcripts.
func FuzzRead(f *testing.F) {
	f.Add(pcapFile(f, layers.LinkTypeEthernet, false, frames(f, layers.LinkTypeEthernet, conversation(cli, srv, pop3Lines...))))
	f.Add(pcapFile(f, layers.LinkTypeLinuxSLL2, true, frames(f, layers.LinkTypeLinuxSLL2, conversation(cli6, srv6, "S: * OK hi", "C: a LOGOUT", "S: a OK"))))
	f.Add([]byte("S: * OK hi\nC: a APPEND x {5}\nS: + go\nC: hello\nS: a OK [APPENDUID 1 2] done\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sessions, err := Read("fuzz", bytes.NewReader(data), Options{})
		if err != nil {
			return
		}
		for _, s := range sessions {
			if _, err := s.Transcript(nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}
