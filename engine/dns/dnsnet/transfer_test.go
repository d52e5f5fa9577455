package dnsnet_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/transport"
)

const soa = "example.org. 3600 IN SOA ns.example.org. admin.example.org. 2026010101 7200 3600 1209600 300"

// axfrServer answers AXFR over TCP with the given messages of answer
// records, each written as its own DNS message (RFC 5936 §2.2), the last
// one after a delay when stall is set. Over UDP it refuses (RFC 5936 §4.2).
func axfrServer(t testing.TB, l *lab, msgs [][]string, rcode int, stall time.Duration) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Request) {
		if !r.TCP {
			m := new(mdns.Msg)
			m.SetRcode(r.Msg, mdns.RcodeRefused)
			w.WriteMsg(m)
			return
		}
		for i, recs := range msgs {
			m := new(mdns.Msg)
			m.SetReply(r.Msg)
			m.Authoritative = true
			m.Rcode = rcode
			if i > 0 {
				m.Question = nil // RFC 5936 §2.2.2: only the first needs it
			}
			for _, s := range recs {
				m.Answer = append(m.Answer, rr(t, s))
			}
			if stall > 0 && i == len(msgs)-1 {
				// The client has given up by then: the write fails.
				l.clk.AfterFunc(stall, func() { w.WriteMsg(m) })
			} else if err := w.WriteMsg(m); err != nil {
				t.Error(err)
			}
		}
	}
}

func hosts(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("h%d.example.org. 300 IN A 192.0.2.%d", i, i))
	}
	return out
}

func TestTransfer(t *testing.T) {
	open := append([]string{soa}, hosts(1, 4)...)
	closing := append(hosts(7, 9), soa)
	endless := make([][]string, 20)
	endless[0] = open
	for i := 1; i < len(endless); i++ {
		endless[i] = hosts(i*10, i*10+2)
	}
	tests := []struct {
		name     string
		msgs     [][]string
		rcode    int
		stall    time.Duration
		opts     dnsnet.TransferOptions
		wantMsgs int
		wantRRs  int
		wantErr  error
		wantAt   time.Duration
	}{
		{name: "three messages", msgs: [][]string{open, hosts(4, 7), closing}, wantMsgs: 3, wantRRs: 10, wantAt: 20 * time.Millisecond},
		{name: "one message", msgs: [][]string{{soa, "www.example.org. 300 IN A 192.0.2.80", soa}}, wantMsgs: 1, wantRRs: 3, wantAt: 20 * time.Millisecond},
		{name: "refused", msgs: [][]string{nil}, rcode: mdns.RcodeRefused, wantErr: &dnsnet.RcodeError{Rcode: mdns.RcodeRefused}, wantAt: 20 * time.Millisecond},
		{name: "no opening SOA", msgs: [][]string{hosts(1, 3)}, wantErr: dnsnet.ErrMalformed, wantAt: 20 * time.Millisecond},
		{name: "message limit", msgs: endless, opts: dnsnet.TransferOptions{MaxMessages: 5}, wantMsgs: 5, wantErr: dnsnet.ErrTransferLimit, wantAt: 20 * time.Millisecond},
		{name: "byte limit", msgs: endless, opts: dnsnet.TransferOptions{MaxBytes: 300}, wantErr: dnsnet.ErrTransferLimit, wantAt: 20 * time.Millisecond},
		{name: "stalled", msgs: [][]string{open, closing}, stall: 5 * time.Second, wantMsgs: 1, wantErr: dnsnet.ErrTimeout, wantAt: 20*time.Millisecond + dnsnet.DefaultTransferTimeout},
		{name: "server closes", msgs: [][]string{open}, wantMsgs: 1, wantErr: dnsnet.ErrConnClosed, wantAt: 50 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newQuietLab(t)
			h := axfrServer(t, l, tc.msgs, tc.rcode, tc.stall)
			var srv *dnsnet.Server
			if tc.wantErr == dnsnet.ErrConnClosed {
				// The server goes away 30 ms after its last write.
				inner := h
				h = func(w dns.ResponseWriter, r *dns.Request) {
					inner(w, r)
					l.clk.AfterFunc(30*time.Millisecond, func() { srv.Close() })
				}
			}
			srv = l.serve(h)
			var got []*mdns.Msg
			var gotErr error
			at, calls := time.Duration(0), 0
			tc.opts.OnTrace = l.record("axfr")
			dnsnet.TransferWith(l.client, l.clk, serverAP, "example.org", l.ids, tc.opts, func(msgs []*mdns.Msg, err error) {
				calls++
				got, gotErr, at = msgs, err, l.now()
			})
			l.run()
			if calls != 1 {
				t.Fatalf("done called %d times", calls)
			}
			var rcodeErr *dnsnet.RcodeError
			switch {
			case errors.As(tc.wantErr, &rcodeErr):
				var e *dnsnet.RcodeError
				if !errors.As(gotErr, &e) || e.Rcode != rcodeErr.Rcode {
					t.Errorf("error %v, want %v", gotErr, tc.wantErr)
				}
			case !errors.Is(gotErr, tc.wantErr):
				t.Errorf("error %v, want %v", gotErr, tc.wantErr)
			}
			if len(got) != tc.wantMsgs || len(rrStrings(got...)) != tc.wantRRs && tc.wantErr == nil || at != tc.wantAt {
				t.Errorf("got %d messages, %d records at %v; want %d, %d at %v",
					len(got), len(rrStrings(got...)), at, tc.wantMsgs, tc.wantRRs, tc.wantAt)
			}
		})
	}
}

// The records of a transfer arrive in the server's order, SOA first and last.
func TestTransferRecords(t *testing.T) {
	l := newQuietLab(t)
	closing := append(hosts(3, 4), soa)
	l.serve(axfrServer(t, l, [][]string{{soa, hosts(1, 2)[0]}, hosts(2, 3), closing}, 0, 0))
	var got []string
	dnsnet.Transfer(l.client, l.clk, serverAP, "example.org.", l.ids, func(msgs []*mdns.Msg, err error) {
		if err != nil {
			t.Error(err)
		}
		got = rrStrings(msgs...)
	})
	l.run()
	want := []string{
		"example.org. 3600 IN SOA ns.example.org. admin.example.org. 2026010101 7200 3600 1209600 300",
		"h1.example.org. 300 IN A 192.0.2.1",
		"h2.example.org. 300 IN A 192.0.2.2",
		"h3.example.org. 300 IN A 192.0.2.3",
		"example.org. 3600 IN SOA ns.example.org. admin.example.org. 2026010101 7200 3600 1209600 300",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestTransferRefusedConnection(t *testing.T) {
	l := newQuietLab(t)
	var gotErr error
	dnsnet.Transfer(l.client, l.clk, serverAP, "example.org", l.ids, func(_ []*mdns.Msg, err error) { gotErr = err })
	if !errors.Is(gotErr, transport.ErrRefused) {
		t.Errorf("error %v, want ErrRefused", gotErr)
	}
}
