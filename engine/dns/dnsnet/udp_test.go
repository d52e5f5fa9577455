package dnsnet_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/transport"
)

// A client and a server 10 ms apart: the answer arrives after one round
// trip, at exactly 20 ms of virtual time, and both sides trace each message.
func TestExchangeUDP(t *testing.T) {
	l := newQuietLab(t)
	srv := l.serve(answerA(1))
	c := l.newClient()
	q := l.query("www.example.com")
	q.Id = 4242
	r := l.exchange(c, serverAP, q)
	l.run()

	if r.err != nil || r.calls != 1 {
		t.Fatalf("done called %d times, err %v", r.calls, r.err)
	}
	if r.at != 20*time.Millisecond {
		t.Errorf("answer at %v, want 20ms", r.at)
	}
	if diff := cmp.Diff([]string{"www.example.com. 300 IN A 10.0.0.0"}, rrStrings(r.resp)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	wantTrace := []string{
		`0s client query client>server "www.example.com. A" QUERY id 4242, EDNS 1232, UDP (44 octets)`,
		`10ms server query client>server "www.example.com. A" QUERY id 4242, EDNS 1232, UDP (44 octets)`,
		`10ms server response server>client "www.example.com. A" NOERROR id 4242 qr aa, 1 answer, 0 authority, 0 additional, EDNS 1232, UDP (75 octets)`,
		`20ms client response server>client "www.example.com. A" NOERROR id 4242 qr aa, 1 answer, 0 authority, 0 additional, EDNS 1232, UDP (75 octets)`,
	}
	if diff := cmp.Diff(wantTrace, l.traces); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(dnsnet.ServerStats{Queries: 1, Responses: 1}, srv.Stats()); diff != "" {
		t.Errorf("server stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(dnsnet.ClientStats{Queries: 1, Responses: 1}, c.Stats()); diff != "" {
		t.Errorf("client stats (-want +got):\n%s", diff)
	}
	// The ephemeral port is closed: nothing is bound or pending any more.
	if n := l.clk.Pending(); n != 0 {
		t.Errorf("%d timers pending after the exchange", n)
	}
}

// reply is a datagram that came back to a raw test client.
type reply struct {
	ID    uint16
	QR    bool
	Rcode int
}

// TestServerBadInput checks the policy for bad input on both transports
// (RFC 1035 §4.1.1): FORMERR for a header followed by garbage, silence for
// less than a header and for responses.
func TestServerBadInput(t *testing.T) {
	valid := func(qr bool) []byte {
		m := new(mdns.Msg)
		m.SetQuestion("example.com.", mdns.TypeA)
		m.Id = 0x1234
		m.Response = qr
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A header claiming one question, followed by a name that runs off the
	// end of the message.
	garbage := []byte{0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a'}
	tests := []struct {
		name    string
		payload []byte
		want    []reply
	}{
		{"valid query", valid(false), []reply{{ID: 0x1234, QR: true, Rcode: mdns.RcodeSuccess}}},
		{"garbage after a header", garbage, []reply{{ID: 0xbeef, QR: true, Rcode: mdns.RcodeFormatError}}},
		{"bare header with counts", []byte{0, 7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0}, []reply{{ID: 7, QR: true, Rcode: mdns.RcodeFormatError}}},
		{"shorter than a header", []byte{1, 2, 3, 4, 5}, nil},
		{"empty", nil, nil},
		{"a response", valid(true), nil},
		{"garbage with QR set", append([]byte{0xbe, 0xef, 0x80, 0}, garbage[4:]...), nil},
	}
	for _, tc := range tests {
		t.Run("udp/"+tc.name, func(t *testing.T) {
			l := newQuietLab(t)
			srv := l.serve(answerA(1))
			var got []reply
			ln, err := l.client.ListenPacket(5353, func(_, _ netip.AddrPort, p []byte) { got = append(got, parseReply(t, p)) })
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			if len(tc.payload) == 0 {
				// The transport carries empty datagrams; so must the server.
				tc.payload = []byte{}
			}
			if err := l.client.SendPacket(5353, serverAP, tc.payload); err != nil {
				t.Fatal(err)
			}
			l.run()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
			if st := srv.Stats(); st.Responses != uint64(len(tc.want)) {
				t.Errorf("server counted %d responses, want %d", st.Responses, len(tc.want))
			}
		})
		t.Run("tcp/"+tc.name, func(t *testing.T) {
			l := newQuietLab(t)
			l.serve(answerA(1))
			s, err := l.client.DialStream(serverAP)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// The bad message, then a valid query: the connection survives.
			if _, err := s.Write(append(framed(tc.payload), framed(valid(false))...)); err != nil {
				t.Fatal(err)
			}
			l.clk.Advance(time.Second)
			var got []reply
			for _, p := range readFrames(t, s) {
				got = append(got, parseReply(t, p))
			}
			want := append(tc.want, reply{ID: 0x1234, QR: true})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
		})
	}
}

func parseReply(t testing.TB, p []byte) reply {
	t.Helper()
	var m mdns.Msg
	if err := m.Unpack(p); err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	return reply{ID: m.Id, QR: m.Response, Rcode: m.Rcode}
}

// framed prefixes a message with its length (RFC 1035 §4.2.2).
func framed(p []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), p...)
}

// readFrames reads what has arrived on s and splits it into messages.
func readFrames(t testing.TB, s transport.Stream) [][]byte {
	t.Helper()
	n, _ := transport.Buffered(s)
	buf := make([]byte, n)
	for got := 0; got < n; {
		k, err := s.Read(buf[got:])
		if err != nil {
			t.Fatal(err)
		}
		got += k
	}
	var out [][]byte
	for len(buf) >= 2 {
		k := int(binary.BigEndian.Uint16(buf))
		if len(buf) < 2+k {
			t.Fatalf("incomplete message: %d of %d octets", len(buf)-2, k)
		}
		out = append(out, buf[2:2+k])
		buf = buf[2+k:]
	}
	return out
}

// A handler may answer later: the exchange completes when it does, and a
// second answer to the same datagram is refused.
func TestAsyncHandler(t *testing.T) {
	l := newQuietLab(t)
	var second error
	l.serve(func(w dns.ResponseWriter, r *dns.Request) {
		l.clk.AfterFunc(50*time.Millisecond, func() {
			m := new(mdns.Msg)
			m.SetReply(r.Msg)
			if err := w.WriteMsg(m); err != nil {
				t.Error(err)
			}
			second = w.WriteMsg(m)
		})
	})
	r := l.exchange(l.newClient(), serverAP, l.query("slow.example"))
	l.run()
	if r.err != nil || r.calls != 1 || r.at != 70*time.Millisecond {
		t.Errorf("done %d times at %v with %v; want once at 70ms", r.calls, r.at, r.err)
	}
	if !errors.Is(second, dnsnet.ErrAnswered) {
		t.Errorf("second WriteMsg = %v, want ErrAnswered", second)
	}
}

// A silent server gives ErrTimeout at exactly the timeout; an answer that
// comes later reaches a closed port and never calls done again.
func TestTimeout(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"default", 0, dnsnet.DefaultTimeout},
		{"short", 30 * time.Millisecond, 30 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newQuietLab(t)
			l.serve(func(w dns.ResponseWriter, r *dns.Request) {
				l.clk.AfterFunc(tc.want+time.Second, func() {
					m := new(mdns.Msg)
					m.SetReply(r.Msg)
					if err := w.WriteMsg(m); err != nil {
						t.Error(err)
					}
				})
			})
			c := l.newClient()
			c.Timeout = tc.timeout
			r := l.exchange(c, serverAP, l.query("silent.example"))
			l.run()
			if !errors.Is(r.err, dnsnet.ErrTimeout) || r.calls != 1 || r.at != tc.want {
				t.Errorf("done %d times at %v with %v; want once at %v with ErrTimeout", r.calls, r.at, r.err, tc.want)
			}
			late := l.netLines(transport.PacketNoListener)
			if len(late) != 1 {
				t.Errorf("late answer events %q, want one PacketNoListener", late)
			}
			if st := c.Stats(); st.Timeouts != 1 || st.Responses != 0 {
				t.Errorf("client stats %+v", st)
			}
		})
	}
}

// Responses that do not match the query are ignored (RFC 5452 §9.1): one
// from another address, one with another ID, one for another question, one
// without QR. The real answer is still accepted at 20 ms.
func TestSpoofedResponses(t *testing.T) {
	l := newQuietLab(t)
	l.serve(answerA(1))
	c := l.newClient()
	q := l.query("bank.example")
	r := l.exchange(c, serverAP, q)

	// The client's ephemeral port, from the query's network event.
	var port uint16
	for _, e := range l.netEvents {
		if e.Kind == transport.PacketSend {
			port = e.From.Port()
		}
	}
	victim := netip.AddrPortFrom(clientAddr, port)
	forge := func(mutate func(*mdns.Msg)) []byte {
		m := new(mdns.Msg)
		m.SetReply(q)
		m.Answer = append(m.Answer, rr(t, "bank.example. 300 IN A 203.0.113.66"))
		mutate(m)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	send := func(h *transport.Host, from uint16, p []byte) {
		if err := h.SendPacket(from, victim, p); err != nil {
			t.Fatal(err)
		}
	}
	send(l.other, 53, forge(func(*mdns.Msg) {}))
	send(l.server, 53, forge(func(m *mdns.Msg) { m.Id++ }))
	send(l.server, 53, forge(func(m *mdns.Msg) { m.Question[0].Name = "other.example." }))
	send(l.server, 53, forge(func(m *mdns.Msg) { m.Response = false }))
	send(l.server, 54, forge(func(*mdns.Msg) {}))
	l.run()

	if r.err != nil || r.calls != 1 || r.at != 20*time.Millisecond {
		t.Fatalf("done %d times at %v with %v; want once at 20ms", r.calls, r.at, r.err)
	}
	if diff := cmp.Diff([]string{"bank.example. 300 IN A 10.0.0.0"}, rrStrings(r.resp)); diff != "" {
		t.Errorf("accepted answer (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(dnsnet.ClientStats{Queries: 1, Responses: 1, Mismatched: 5}, c.Stats()); diff != "" {
		t.Errorf("client stats (-want +got):\n%s", diff)
	}
	var notes []string
	for _, line := range l.traces {
		if strings.Contains(line, "client note") {
			notes = append(notes, line)
		}
	}
	if len(notes) != 5 {
		t.Errorf("want 5 traced mismatches, got:\n%s", notes)
	}
}

// Lost packets end in a timeout; losses come from the network's seeded
// source, so the same seed loses the same packets.
func TestPacketLoss(t *testing.T) {
	t.Run("every packet lost", func(t *testing.T) {
		l := newLab(t, 1, transport.Link{Latency: latency, Loss: 1})
		l.serve(answerA(1))
		r := l.exchange(l.newClient(), serverAP, l.query("lossy.example"))
		l.run()
		if !errors.Is(r.err, dnsnet.ErrTimeout) || r.at != dnsnet.DefaultTimeout {
			t.Errorf("got %v at %v, want ErrTimeout at %v", r.err, r.at, dnsnet.DefaultTimeout)
		}
	})
	t.Run("seeded", func(t *testing.T) {
		play := func(seed uint64) (timeouts, losses int) {
			l := newLab(t, seed, transport.Link{Latency: latency, Loss: 0.3})
			l.serve(answerA(1))
			c := l.newClient()
			for range 40 {
				r := l.exchange(c, serverAP, l.query("lossy.example"))
				l.run()
				if errors.Is(r.err, dnsnet.ErrTimeout) {
					timeouts++
				} else if r.err != nil {
					t.Fatal(r.err)
				}
			}
			return timeouts, len(l.netLines(transport.PacketLoss))
		}
		t1, l1 := play(7)
		t2, l2 := play(7)
		if t1 != t2 || l1 != l2 {
			t.Errorf("same seed: %d/%d then %d/%d timeouts/losses", t1, l1, t2, l2)
		}
		// A lost query or a lost answer each cost one exchange.
		if t1 == 0 || t1 == 40 || t1 != l1 {
			t.Errorf("%d timeouts for %d losses in 40 exchanges", t1, l1)
		}
	})
}

// A server with two addresses answers from the one it was asked on, so the
// client's source check (RFC 5452 §9.1) accepts it.
func TestServerAnswersFromQueriedAddress(t *testing.T) {
	l := newQuietLab(t)
	var to netip.AddrPort
	l.serve(func(w dns.ResponseWriter, r *dns.Request) {
		to = r.To
		answerA(1)(w, r)
	})
	second := netip.AddrPortFrom(serverAddr2, 53)
	r := l.exchange(l.newClient(), second, l.query("multi.example"))
	l.run()
	if r.err != nil || to != second {
		t.Errorf("err %v, request To %v; want nil, %v", r.err, to, second)
	}
}

// A handler panic is contained and answered with SERVFAIL.
func TestHandlerPanic(t *testing.T) {
	l := newQuietLab(t)
	srv := l.serve(func(dns.ResponseWriter, *dns.Request) { panic("boom") })
	r := l.exchange(l.newClient(), serverAP, l.query("panic.example"))
	l.run()
	if r.err != nil || r.resp.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("got %v, %v; want SERVFAIL", r.resp, r.err)
	}
	if st := srv.Stats(); st.Panics != 1 {
		t.Errorf("panics counted %d, want 1", st.Panics)
	}
}

// The client adds an OPT record with its UDP payload size (RFC 6891 §6.2.3)
// unless told not to or the query has one, and never modifies the query.
func TestEDNS(t *testing.T) {
	withOPT := func(size uint16) func(*mdns.Msg) {
		return func(m *mdns.Msg) { m.SetEdns0(size, false) }
	}
	tests := []struct {
		name    string
		client  func(*dnsnet.Client)
		query   func(*mdns.Msg)
		wantOPT int // -1: none
	}{
		{"default", func(*dnsnet.Client) {}, func(*mdns.Msg) {}, 1232},
		{"larger", func(c *dnsnet.Client) { c.UDPSize = 4096 }, func(*mdns.Msg) {}, 4096},
		{"no EDNS", func(c *dnsnet.Client) { c.NoEDNS = true }, func(*mdns.Msg) {}, -1},
		{"caller's OPT kept", func(*dnsnet.Client) {}, withOPT(512), 512},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newQuietLab(t)
			got, opts := -1, 0
			l.serve(func(w dns.ResponseWriter, r *dns.Request) {
				for _, rr := range r.Msg.Extra {
					if opt, ok := rr.(*mdns.OPT); ok {
						opts++
						got = int(opt.UDPSize())
					}
				}
				answerA(1)(w, r)
			})
			c := l.newClient()
			tc.client(c)
			q := l.query("edns.example")
			tc.query(q)
			extra := len(q.Extra)
			r := l.exchange(c, serverAP, q)
			l.run()
			if r.err != nil {
				t.Fatal(r.err)
			}
			if got != tc.wantOPT || (tc.wantOPT >= 0 && opts != 1) {
				t.Errorf("server saw %d OPT records, size %d; want size %d", opts, got, tc.wantOPT)
			}
			if len(q.Extra) != extra {
				t.Errorf("Exchange changed the query's additional section")
			}
		})
	}
}
