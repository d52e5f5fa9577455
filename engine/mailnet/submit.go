package mailnet

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/smtp"
)

// Submission is a message a user agent on a host hands to its mail server,
// as a real one does (RFC 6409): it looks up the server's address through
// the host's local DNS server, connects to port 587, says EHLO, logs in
// with AUTH PLAIN, and sends MAIL, RCPT and DATA.
type Submission struct {
	// Host is the dns/hosts machine the user agent runs on ("laptop").
	Host string
	// Server is the submission server's host name ("mail.example.com").
	Server string
	// User and Password log in.
	User, Password string
	// From is the reverse-path, To the recipients, Msg the message
	// (RFC 5322, LF or CRLF line ends).
	From string
	To   []string
	Msg  []byte
}

// SubmitResult is how a submission ended.
type SubmitResult struct {
	// Results has one entry per recipient: 250 means the server took
	// responsibility for it (RFC 5321 §4.2.5).
	Results []smtp.RcptResult
	// Err is a failure before any reply: the lookup, or the connection.
	Err error
}

// Accepted reports whether the server accepted every recipient.
func (r SubmitResult) Accepted() bool {
	if r.Err != nil || len(r.Results) == 0 {
		return false
	}
	for _, rr := range r.Results {
		if !rr.Delivered() {
			return false
		}
	}
	return true
}

// Submit starts a submission and returns at once; done runs on the clock
// goroutine when the server has answered, or the attempt has failed.
func (n *Net) Submit(sub Submission, done func(SubmitResult)) error {
	hn := n.Lab.HostNode(sub.Host)
	if hn == nil {
		return fmt.Errorf("mailnet: no host %q", sub.Host)
	}
	local, err := n.Lab.LocalServer(sub.Host)
	if err != nil {
		return fmt.Errorf("mailnet: %w", err)
	}
	if len(sub.To) == 0 {
		return errors.New("mailnet: a submission needs a recipient")
	}
	stub := &dnsnet.Client{Node: hn.Host, Clock: n.Clock, Timeout: StubTimeout, OnTrace: n.traceDNS, Names: n.Lab.Name}
	server := strings.TrimSuffix(sub.Server, ".")
	n.poke(func() {
		lookup(n, stub, local.Addr, server, mdns.TypeA, func(resp *mdns.Msg, err error) {
			var addr netip.Addr
			if err == nil && resp.Rcode == mdns.RcodeSuccess {
				for _, rr := range resp.Answer {
					if a, ok := rr.(*mdns.A); ok {
						addr, _ = netip.AddrFromSlice(a.A.To4())
						break
					}
				}
			}
			if !addr.IsValid() {
				if err == nil {
					err = fmt.Errorf("no address for %s (%s)", server, mdns.RcodeToString[resp.Rcode])
				}
				done(SubmitResult{Err: fmt.Errorf("mailnet: looking up %s: %w", server, err)})
				return
			}
			d := &smtp.Delivery{Hello: sub.Host, From: sub.From, To: sub.To, Msg: sub.Msg, AuthUser: sub.User, AuthPass: sub.Password}
			n.deliver(nil, hn.Host, netip.AddrPortFrom(addr, PortSubmission), server, "", d, func(res []smtp.RcptResult, err error) {
				done(SubmitResult{Results: res, Err: err})
			})
		})
	})
	return nil
}

// SubmitSync submits and runs the clock until the server has answered. The
// message's onward journey continues as the clock runs on (see Settle).
func (n *Net) SubmitSync(sub Submission) (SubmitResult, error) {
	var res SubmitResult
	finished := false
	if err := n.Submit(sub, func(r SubmitResult) { res, finished = r, true }); err != nil {
		return SubmitResult{}, err
	}
	if err := n.RunUntil(func() bool { return finished }); err != nil {
		return SubmitResult{}, err
	}
	return res, nil
}
