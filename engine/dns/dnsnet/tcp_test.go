package dnsnet_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/transport"
)

// An answer that does not fit over UDP comes back with TC set and the client
// asks again over TCP (RFC 1035 §4.2.1, RFC 7766 §5): the full answer
// arrives a second round trip later, at 40 ms.
func TestTCPFallback(t *testing.T) {
	// tcOverUDP sets TC on an empty UDP answer and answers in full over TCP,
	// as an authoritative server that knows the answer is large would.
	tcOverUDP := func(w dns.ResponseWriter, r *dns.Request) {
		if r.TCP {
			answerA(100)(w, r)
			return
		}
		m := new(mdns.Msg)
		m.SetReply(r.Msg)
		m.Truncated = true
		if err := w.WriteMsg(m); err != nil {
			panic(err)
		}
	}
	tests := []struct {
		name        string
		handler     dns.HandlerFunc
		client      func(*dnsnet.Client)
		wantAnswers int
		wantTC      bool
		wantAt      time.Duration
		wantTCP     []bool // Request.TCP of each query the server saw
	}{
		{"handler sets TC", tcOverUDP, func(*dnsnet.Client) {}, 100, false, 40 * time.Millisecond, []bool{false, true}},
		{"server truncates to 1232", answerA(100), func(*dnsnet.Client) {}, 100, false, 40 * time.Millisecond, []bool{false, true}},
		{"server truncates to 512 without EDNS", answerA(40), func(c *dnsnet.Client) { c.NoEDNS = true }, 40, false, 40 * time.Millisecond, []bool{false, true}},
		// 30 records fit 512 octets once compressed (RFC 1035 §4.1.4).
		{"fits in 512 compressed", answerA(30), func(c *dnsnet.Client) { c.NoEDNS = true }, 30, false, 20 * time.Millisecond, []bool{false}},
		{"fits in 1232", answerA(30), func(*dnsnet.Client) {}, 30, false, 20 * time.Millisecond, []bool{false}},
		{"no fallback", answerA(100), func(c *dnsnet.Client) { c.NoTCPFallback = true }, 74, true, 20 * time.Millisecond, []bool{false}},
		{"TCP only", answerA(100), func(c *dnsnet.Client) { c.TCP = true }, 100, false, 20 * time.Millisecond, []bool{true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newQuietLab(t)
			var sawTCP []bool
			srv := l.serve(func(w dns.ResponseWriter, r *dns.Request) {
				sawTCP = append(sawTCP, r.TCP)
				tc.handler(w, r)
			})
			c := l.newClient()
			tc.client(c)
			r := l.exchange(c, serverAP, l.query("big.example"))
			l.run()
			if r.err != nil || r.calls != 1 {
				t.Fatalf("done %d times, err %v", r.calls, r.err)
			}
			if len(r.resp.Answer) != tc.wantAnswers || r.resp.Truncated != tc.wantTC || r.at != tc.wantAt {
				t.Errorf("got %d answers, TC %v at %v; want %d, %v at %v",
					len(r.resp.Answer), r.resp.Truncated, r.at, tc.wantAnswers, tc.wantTC, tc.wantAt)
			}
			if diff := cmp.Diff(tc.wantTCP, sawTCP); diff != "" {
				t.Errorf("queries seen (-want +got):\n%s", diff)
			}
			retries := uint64(0)
			if len(tc.wantTCP) == 2 {
				retries = 1
			}
			if st := c.Stats(); st.TCPRetries != retries || st.Queries != uint64(len(tc.wantTCP)) {
				t.Errorf("client stats %+v", st)
			}
			if st := srv.Stats(); st.Responses != uint64(len(tc.wantTCP)) {
				t.Errorf("server stats %+v", st)
			}
			// Both ends closed their connections; no timer is left behind.
			if n := l.clk.Pending(); n != 0 {
				t.Errorf("%d timers pending after the exchange", n)
			}
		})
	}
}

// The TCP retry is traced: the truncated answer, then the query and the
// answer over TCP.
func TestTCPFallbackTrace(t *testing.T) {
	l := newQuietLab(t)
	l.serve(answerA(100))
	q := l.query("big.example")
	q.Id = 7
	l.exchange(l.newClient(), serverAP, q)
	l.run()
	var got []string
	for _, line := range l.traces {
		if strings.Contains(line, " client ") {
			got = append(got, line)
		}
	}
	want := []string{
		`0s client query client>server "big.example. A" QUERY id 7, EDNS 1232, UDP (40 octets)`,
		`20ms client response server>client "big.example. A" NOERROR id 7 qr aa tc, 74 answer, 0 authority, 0 additional, EDNS 1232, UDP; truncated, retrying over TCP (1224 octets)`,
		`20ms client query client>server "big.example. A" QUERY id 7, EDNS 1232, TCP (40 octets)`,
		`40ms client response server>client "big.example. A" NOERROR id 7 qr aa, 100 answer, 0 authority, 0 additional, EDNS 1232, TCP (2740 octets)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client trace (-want +got):\n%s", diff)
	}
}

// One TCP connection carries several queries (RFC 7766 §6.2.1.1): two
// pipelined in one segment, then one split over three segments that arrive at
// 10, 22 and 35 ms. Each answer leaves as soon as its query is complete.
func TestTCPConnection(t *testing.T) {
	l := newQuietLab(t)
	l.serve(answerA(1))
	s, err := l.client.DialStream(serverAP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pack := func(name string, id uint16) []byte {
		q := l.query(name)
		q.Id = id
		b, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return framed(b)
	}
	third := pack("three.example", 3)
	if _, err := s.Write(append(append(pack("one.example", 1), pack("two.example", 2)...), third[:5]...)); err != nil {
		t.Fatal(err)
	}
	// Later segments are written from clock callbacks, as a simulated
	// client would.
	l.clk.AfterFunc(12*time.Millisecond, func() { s.Write(third[5:15]) })
	l.clk.AfterFunc(25*time.Millisecond, func() { s.Write(third[15:]) })
	l.clk.Advance(time.Second)

	var ids []uint16
	for _, p := range readFrames(t, s) {
		var m mdns.Msg
		if err := m.Unpack(p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.Id)
	}
	if diff := cmp.Diff([]uint16{1, 2, 3}, ids); diff != "" {
		t.Errorf("answer IDs (-want +got):\n%s", diff)
	}
	want := []string{
		"10ms StreamDeliver client>server 67",
		"20ms StreamDeliver server>client 58",
		"20ms StreamDeliver server>client 58",
		"22ms StreamDeliver client>server 10",
		"35ms StreamDeliver client>server 18",
		"45ms StreamDeliver server>client 62",
	}
	if diff := cmp.Diff(want, l.netLines(transport.StreamDeliver)); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
}

// Bytes that code outside dnsnet writes from outside any clock callback are
// not foreseen by the reactor, which sleeps at most 100 ms: the query that
// lands at 60 ms is read when the reactor wakes at 110 ms, late but always
// at the same time.
func TestTCPForeignWriteIsReadWithinTheReactorSleep(t *testing.T) {
	l := newQuietLab(t)
	l.serve(answerA(1))
	s, err := l.client.DialStream(serverAP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l.clk.Advance(50 * time.Millisecond) // accepted at 10 ms; the reactor sleeps
	q := l.query("late.example")
	b, _ := q.Pack()
	if _, err := s.Write(framed(b)); err != nil {
		t.Fatal(err)
	}
	l.clk.Advance(time.Second)
	want := []string{
		"60ms StreamDeliver client>server 32",
		"120ms StreamDeliver server>client 60",
	}
	if diff := cmp.Diff(want, l.netLines(transport.StreamDeliver)); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
}

// The server closes a connection that stays idle (RFC 7766 §6.2.3).
func TestTCPIdleTimeout(t *testing.T) {
	l := newQuietLab(t)
	l.serve(answerA(1))
	s, err := l.client.DialStream(serverAP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l.run()
	want := []string{"10.01s StreamClose server>client 0"}
	if diff := cmp.Diff(want, l.netLines(transport.StreamClose)); diff != "" {
		t.Errorf("close (-want +got):\n%s", diff)
	}
}

// A query the handler never answers holds a connection open for one more
// idle period (RFC 1035 §4.2.2), not forever.
func TestTCPIdleTimeoutWithUnansweredQuery(t *testing.T) {
	l := newQuietLab(t)
	l.serve(func(dns.ResponseWriter, *dns.Request) {})
	s, err := l.client.DialStream(serverAP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := l.query("never.example").Pack()
	s.Write(framed(b))
	l.run()
	want := []string{"20.01s StreamClose server>client 0"}
	if diff := cmp.Diff(want, l.netLines(transport.StreamClose)); diff != "" {
		t.Errorf("close (-want +got):\n%s", diff)
	}
}

// A TCP answer must fit the two-octet length prefix; WriteMsg says when it
// does not, and the client times out.
func TestTCPResponseTooLarge(t *testing.T) {
	l := newQuietLab(t)
	var werr error
	l.serve(func(w dns.ResponseWriter, r *dns.Request) {
		m := new(mdns.Msg)
		m.SetReply(r.Msg)
		txt := &mdns.TXT{
			Hdr: mdns.RR_Header{Name: r.Msg.Question[0].Name, Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 60},
			Txt: []string{strings.Repeat("x", 255)},
		}
		for range 300 {
			m.Answer = append(m.Answer, txt)
		}
		werr = w.WriteMsg(m)
	})
	c := l.newClient()
	c.TCP = true
	r := l.exchange(c, serverAP, dns.NewQuery(l.ids, "huge.example", mdns.TypeTXT, false))
	l.run()
	if !errors.Is(werr, dnsnet.ErrMsgTooLarge) {
		t.Errorf("WriteMsg = %v, want ErrMsgTooLarge", werr)
	}
	if !errors.Is(r.err, dnsnet.ErrTimeout) {
		t.Errorf("exchange = %v, want ErrTimeout", r.err)
	}
}

// A TCP exchange with nothing listening fails at once; one whose server
// closes without answering reports ErrConnClosed.
func TestTCPFailures(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l := newQuietLab(t)
		c := l.newClient()
		c.TCP = true
		r := l.exchange(c, serverAP, l.query("nobody.example"))
		if !errors.Is(r.err, transport.ErrRefused) || r.calls != 1 || r.at != 0 {
			t.Errorf("got %v (%d calls at %v), want ErrRefused at once", r.err, r.calls, r.at)
		}
	})
	t.Run("closed", func(t *testing.T) {
		l := newQuietLab(t)
		var srv *dnsnet.Server
		srv = l.serve(func(dns.ResponseWriter, *dns.Request) { srv.Close() })
		c := l.newClient()
		c.TCP = true
		r := l.exchange(c, serverAP, l.query("closing.example"))
		l.run()
		if !errors.Is(r.err, dnsnet.ErrConnClosed) || r.at != 20*time.Millisecond {
			t.Errorf("got %v at %v, want ErrConnClosed at 20ms", r.err, r.at)
		}
	})
}
