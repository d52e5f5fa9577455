package rpl

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/dnsnet"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/transport"
)

// Limits of a replay.
const (
	// frontTimeout is how long, in virtual time, a QUERY step waits for
	// the resolver's answer. A lookup that times out at every upstream
	// server it may ask (resolver.DefaultMaxUpstreamQueries attempts of
	// resolver.DefaultQueryTimeout) ends well within it.
	frontTimeout = time.Minute
	// maxTimers bounds the timers one step may fire: a resolver that
	// keeps itself busy forever is a failure, not a hang.
	maxTimers = 1_000_000
	// dnsPort is where the resolver and the upstream servers listen (RFC
	// 1035 §4.2).
	dnsPort = 53
)

// Status is a replay's verdict.
type Status string

// The verdicts.
const (
	Passed  Status = "pass"
	Failed  Status = "fail"
	Skipped Status = "skip" // lines the replay did not understand could change the outcome
)

// Outcome is what replaying a scenario gave.
type Outcome struct {
	Status Status
	// Line is the file line of the step that failed (its STEP line), or
	// of the first line not understood for a skip.
	Line int
	// Message says what went wrong, or for a skip which lines were not
	// understood and what the replay without them gave.
	Message string
	// Diff is the failed comparison, cmp.Diff (-want +got).
	Diff string
	// NotUnderstood lists the lines that make the outcome a skip; Ignored
	// the lines understood and of no consequence; Used those mapped
	// onto the resolver.
	NotUnderstood, Ignored, Used []Note
	// Log is what happened, one line per event: steps, queries to the
	// upstream servers and the entries that answered them.
	Log []string
}

// run is one replay in progress.
type run struct {
	s      *Scenario
	clk    *clock.Virtual
	start  time.Time
	client *dnsnet.Client
	// to is the resolver's address, where QUERY steps go.
	to netip.AddrPort
	// window is the step number whose ranges answer upstream queries:
	// testbound answers them once it has moved on to the next step. After
	// the last step (anyStep) every range answers, as in testbound.
	window  int
	anyStep bool
	// answers are the resolver's answers not yet checked, oldest first.
	answers []*mdns.Msg
	// elapsed is the scenario's time: the sum of TIME_PASSES.
	elapsed time.Duration
	log     []string
}

// Replay runs the scenario against a fresh resolver on a fresh simulated
// network, deterministically.
func Replay(s *Scenario) Outcome {
	st := s.Settings()
	out := Outcome{Used: st.Used, Ignored: st.Ignored, NotUnderstood: st.NotUnderstood}
	for _, r := range s.Ranges {
		for _, e := range r.Entries {
			out.NotUnderstood = append(out.NotUnderstood, e.Unsupported...)
		}
	}
	for _, step := range s.Steps {
		switch step.Kind {
		case Query, CheckAnswer, TimePasses, Nothing:
			if step.Kind == Query && step.Args != "" {
				out.NotUnderstood = append(out.NotUnderstood, Note{step.Line, fmt.Sprintf("STEP %d QUERY %s", step.N, step.Args)})
			}
		default:
			out.NotUnderstood = append(out.NotUnderstood, Note{step.Line, fmt.Sprintf("STEP %d %s", step.N, step.Kind)})
		}
		if step.Entry != nil {
			out.NotUnderstood = append(out.NotUnderstood, step.Entry.Unsupported...)
		}
	}
	slices.SortStableFunc(out.NotUnderstood, func(a, b Note) int { return a.Line - b.Line })

	res := replay(s, st)
	out.Log = res.Log
	if len(out.NotUnderstood) == 0 {
		out.Status, out.Line, out.Message, out.Diff = res.Status, res.Line, res.Message, res.Diff
		return out
	}
	out.Status = Skipped
	out.Line = out.NotUnderstood[0].Line
	var b strings.Builder
	b.WriteString("not understood, and could change the outcome: ")
	for i, n := range out.NotUnderstood {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(n.String())
	}
	switch res.Status {
	case Passed:
		b.WriteString(". Replayed without them, it passes")
	default:
		fmt.Fprintf(&b, ". Replayed without them, it fails at line %d: %s", res.Line, res.Message)
	}
	out.Message = b.String()
	return out
}

// replay runs the steps; the outcome is Passed or Failed.
func replay(s *Scenario, st Settings) Outcome {
	r, err := build(s, st)
	if err != nil {
		return Outcome{Status: Failed, Line: s.Line, Message: err.Error()}
	}
	for i, step := range s.Steps {
		r.anyStep = i+1 == len(s.Steps)
		if !r.anyStep {
			r.window = s.Steps[i+1].N
		}
		var fail *Outcome
		switch step.Kind {
		case Query:
			r.query(step)
		case CheckAnswer:
			fail = r.check(step)
		case TimePasses:
			r.pass(step)
		case Nothing:
		default:
			r.logf("STEP %d %s: not performed", step.N, step.Kind)
		}
		if fail != nil {
			fail.Status, fail.Log = Failed, r.log
			return *fail
		}
	}
	if n := len(r.answers); n > 0 {
		line := s.Line
		if k := len(s.Steps); k > 0 {
			line = s.Steps[k-1].Line
		}
		return Outcome{Status: Failed, Line: line, Log: r.log,
			Message: fmt.Sprintf("%d answer(s) of the resolver left unchecked at SCENARIO_END, the first:\n%s", n, text(r.answers[0], true))}
	}
	return Outcome{Status: Passed, Log: r.log}
}

func (r *run) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("[%v] ", r.clk.Now().Sub(r.start))+fmt.Sprintf(format, args...))
}

// build makes the network: the resolver's host, and one host for every
// address an upstream query could go to (the ranges' ADDRESS lines, the
// stub or forward addresses, and every A and AAAA record the entries
// hand out), each serving the ranges.
func build(s *Scenario, st Settings) (*run, error) {
	start := clock.Epoch
	clk := clock.NewVirtual(start)
	nw := transport.NewNetwork(clk, nil)
	// No latency: testbound's network is instantaneous, and its clock
	// moves only with TIME_PASSES.
	nw.DefaultLink = transport.Link{}
	r := &run{s: s, clk: clk, start: start}

	var upstream []netip.Addr
	add := func(a netip.Addr) {
		if a.IsValid() && !slices.Contains(upstream, a) {
			upstream = append(upstream, a)
		}
	}
	for _, h := range st.Resolver.RootHints {
		add(h.Addr)
	}
	for _, rg := range s.Ranges {
		for _, a := range rg.Addrs {
			add(a)
		}
		for _, e := range rg.Entries {
			for _, sec := range [][]mdns.RR{e.Msg.Answer, e.Msg.Ns, e.Msg.Extra} {
				for _, rr := range sec {
					switch rr := rr.(type) {
					case *mdns.A:
						a, _ := netip.AddrFromSlice(rr.A.To4())
						add(a)
					case *mdns.AAAA:
						a, _ := netip.AddrFromSlice(rr.AAAA.To16())
						add(a.Unmap())
					}
				}
			}
		}
	}

	// The resolver answers on localhost, where testbound's queries come
	// from, unless an upstream server took that address.
	var own []netip.Addr
	if !st.NoIPv4 {
		own = append(own, free(upstream, netip.MustParseAddr("127.0.0.1")))
	}
	if !st.NoIPv6 {
		own = append(own, free(upstream, netip.MustParseAddr("::1")))
	}
	if len(own) == 0 {
		return nil, errors.New("do-ip4 and do-ip6 are both off: the resolver has no address")
	}
	host, err := nw.AddHost("resolver", own...)
	if err != nil {
		return nil, fmt.Errorf("rpl: %w", err)
	}
	handler := dns.HandlerFunc(r.serveUpstream)
	for _, a := range upstream {
		if slices.Contains(own, a) {
			continue
		}
		h, err := nw.AddHost(a.String(), a)
		if err != nil {
			return nil, fmt.Errorf("rpl: upstream %v: %w", a, err)
		}
		if _, err := dnsnet.Serve(h, dnsPort, handler, dnsnet.ServerOptions{Clock: clk}); err != nil {
			return nil, fmt.Errorf("rpl: upstream %v: %w", a, err)
		}
	}

	opts := st.Resolver
	r.to = netip.AddrPortFrom(own[0], dnsPort)
	opts.Addr, opts.Name = r.to, "resolver"
	opts.IDs = dns.NewIDs(1)
	up := &dnsnet.Client{Node: host, Clock: clk}
	res, err := resolver.New(up, clk, opts)
	if err != nil {
		return nil, fmt.Errorf("rpl: %w", err)
	}
	if _, err := dnsnet.Serve(host, dnsPort, res, dnsnet.ServerOptions{Clock: clk}); err != nil {
		return nil, fmt.Errorf("rpl: %w", err)
	}
	// The client sends the steps' queries as written: no OPT record of
	// its own, and a truncated answer is checked as it came.
	r.client = &dnsnet.Client{Node: host, Clock: clk, Timeout: frontTimeout, NoEDNS: true, NoTCPFallback: true}
	return r, nil
}

// free returns a, or the next address after it that no upstream server
// uses.
func free(used []netip.Addr, a netip.Addr) netip.Addr {
	for slices.Contains(used, a) {
		a = a.Next()
	}
	return a
}

// serveUpstream answers a query to an upstream server from the first
// entry that matches it, in the first range valid at the current step
// that serves the address asked (testbound's pending_matches_range). A
// query no entry matches gets no answer.
func (r *run) serveUpstream(w dns.ResponseWriter, req *dns.Request) {
	q := req.Msg
	dst := req.To.Addr().Unmap()
	desc := fmt.Sprintf("%v <- %s %s", dst, qname(q), mdns.Type(qtype(q)))
	for _, rg := range r.s.Ranges {
		if !r.anyStep && (r.window < rg.Start || r.window > rg.End) {
			continue
		}
		if len(rg.Addrs) > 0 && !slices.Contains(rg.Addrs, dst) {
			continue
		}
		for _, e := range rg.Entries {
			if e.mismatch(q, req.TCP) != "" {
				continue
			}
			if e.Adjust.NoAnswer {
				r.logf("%s: entry of line %d leaves it unanswered", desc, e.Line)
				return
			}
			reply := e.Msg.Copy()
			if e.Adjust.CopyID {
				reply.Id = q.Id
			}
			if e.Adjust.CopyQuery {
				reply.Question = slices.Clone(q.Question)
			}
			r.logf("%s: answered by the entry of line %d (%s)", desc, e.Line, rcodeString(reply.Rcode))
			if err := w.WriteMsg(reply); err != nil {
				r.logf("%s: cannot send the answer: %v", desc, err)
			}
			return
		}
	}
	r.logf("%s: no entry matches; unanswered", desc)
}

// query sends the step's message to the resolver and runs the clock until
// the answer is in or the wait times out.
func (r *run) query(step *Step) {
	q := step.Entry.Msg.Copy()
	r.logf("STEP %d QUERY %s %s", step.N, qname(q), mdns.Type(qtype(q)))
	var (
		done bool
		resp *mdns.Msg
		qerr error
	)
	r.client.Exchange(r.to, q, func(m *mdns.Msg, err error) {
		done, resp, qerr = true, m, err
	})
	for n := 0; !done && n < maxTimers; n++ {
		if r.clk.RunUntilIdle(1) == 0 {
			break
		}
	}
	switch {
	case !done:
		r.logf("STEP %d: the resolver did not answer, and the clock has no timer left", step.N)
	case qerr != nil:
		r.logf("STEP %d: no answer: %v", step.N, qerr)
	default:
		r.logf("STEP %d: answer %s", step.N, summary(resp))
		r.answers = append(r.answers, resp)
	}
}

// check takes the first unchecked answer that matches the step's entry,
// as testbound does; it returns the failure when none does.
func (r *run) check(step *Step) *Outcome {
	e := step.Entry
	if len(r.answers) == 0 {
		return &Outcome{Line: step.Line, Message: fmt.Sprintf("STEP %d CHECK_ANSWER: the resolver gave no answer to check", step.N),
			Diff: diff(e.Msg, new(mdns.Msg), e.Match.TTL)}
	}
	for i, a := range r.answers {
		if e.mismatch(a, false) == "" {
			r.answers = slices.Delete(r.answers, i, i+1)
			r.logf("STEP %d CHECK_ANSWER: matches the entry of line %d", step.N, e.Line)
			return nil
		}
	}
	a := r.answers[0]
	return &Outcome{
		Line:    step.Line,
		Message: fmt.Sprintf("STEP %d CHECK_ANSWER: the answer does not match the entry of line %d: %s", step.N, e.Line, e.mismatch(a, false)),
		Diff:    diff(e.Msg, a, e.Match.TTL),
	}
}

// pass lets the step's time pass: the clock moves to the scenario's time,
// firing the timers due on the way. When lookups have already moved it
// past (upstream timeouts take virtual time), it stays where it is.
func (r *run) pass(step *Step) {
	r.elapsed += time.Duration(step.Elapse * float64(time.Second))
	target := r.start.Add(r.elapsed)
	if ahead := r.clk.Now().Sub(target); ahead > 0 {
		r.logf("STEP %d TIME_PASSES ELAPSE %g: the clock is already %v past the scenario's time", step.N, step.Elapse, ahead)
		return
	}
	r.clk.Set(target)
	r.logf("STEP %d TIME_PASSES ELAPSE %g", step.N, step.Elapse)
}

// summary is a one-line account of an answer for the log.
func summary(m *mdns.Msg) string {
	rd := render(m, true)
	return fmt.Sprintf("%s, %s, answer %d, authority %d, additional %d", rcodeString(m.Rcode), rd[partFlags][0],
		len(rd[partAnswer]), len(rd[partAuthority]), len(rd[partAdditional]))
}
