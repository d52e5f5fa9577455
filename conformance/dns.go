package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"
)

// A DNS case is a sequence of queries, each followed by what the answer must
// hold:
//
//	Q: www.example.com A                query: name, type, then options
//	                                     mode=iterated|recursive (engine)
//	                                     from=HOST (engine: whose local server)
//	                                     norecurse (RD=0)
//	S: rcode NOERROR                    the response code
//	S: flags aa                         flags that must be set (qr aa tc rd ra ad cd)
//	S: answer www.example.com. 3600 IN CNAME web.example.com.
//	S: authority ...                    one line per record, in presentation
//	S: additional ...                   format; each section that has lines
//	                                     must match as a set (RFC 2181 §5: an
//	                                     RRset has no order); TTLs are not
//	                                     compared unless the value is "ttl=N"
//	                                     exact... see below
//	T: asked a.root-servers.net a.gtld-servers.net ns1.example.com
//	T: upstream 0                       trace assertions (engine only)
//	X: advance 31s                      let virtual time pass (engine only)
//
// A section named with "exact-ttl" (S: answer-exact-ttl ...) compares TTLs
// too, to show a cached TTL counting down.

// DNSQuery is one Q: line.
type DNSQuery struct {
	Name      string
	Type      uint16
	Mode      string // "iterated" or "recursive"; "" for the target's own
	From      string // engine: the host whose local DNS server resolves
	NoRecurse bool
}

// DNSAnswer is a response and, for the engine, what the lookup did.
type DNSAnswer struct {
	Msg *mdns.Msg
	// Asked lists the servers the local server queried, in order; nil when
	// the target cannot see it (a live server).
	Asked    []string
	Upstream int
	Traced   bool
}

// DNSClient sends a DNS case's queries.
type DNSClient interface {
	Query(q DNSQuery) (*DNSAnswer, error)
	// Advance lets d of virtual time pass; live servers return
	// ErrUnsupported and the case is skipped.
	Advance(d time.Duration) error
	Close() error
}

// ErrUnsupported marks a step a target cannot perform; the case is skipped.
var ErrUnsupported = errors.New("conformance: the target cannot do this")

func parseQuery(text string) (DNSQuery, error) {
	f := strings.Fields(text)
	if len(f) < 2 {
		return DNSQuery{}, errors.New("want: Q: NAME TYPE [mode=...] [from=...] [norecurse]")
	}
	t, ok := mdns.StringToType[strings.ToUpper(f[1])]
	if !ok {
		return DNSQuery{}, fmt.Errorf("unknown type %q", f[1])
	}
	q := DNSQuery{Name: mdns.Fqdn(f[0]), Type: t}
	for _, opt := range f[2:] {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "mode":
			if value != "iterated" && value != "recursive" {
				return q, fmt.Errorf("mode is iterated or recursive, not %q", value)
			}
			q.Mode = value
		case "from":
			q.From = value
		case "norecurse":
			q.NoRecurse = true
		default:
			return q, fmt.Errorf("unknown query option %q", opt)
		}
	}
	return q, nil
}

// rrKey renders a record for comparison, without its TTL unless exact.
func rrKey(rr mdns.RR, exactTTL bool) string {
	h := *rr.Header()
	if !exactTTL {
		h.Ttl = 0
	}
	s := rr.String()
	full := rr.Header().String()
	return strings.Join(strings.Fields(h.String()+strings.TrimPrefix(s, full)), " ")
}

type sectionWant struct {
	lines    []string
	exactTTL bool
	step     Step
}

func runDNS(t *Transcript, target Target) Result {
	r := Result{Status: Pass}
	client, err := target.DNS(t)
	if err != nil {
		r.Status, r.Message = Fail, err.Error()
		if errors.Is(err, ErrUnsupported) {
			r.Status = Skip
		}
		return r
	}
	defer client.Close()
	var ans *DNSAnswer
	var qStep Step
	sections := map[string]*sectionWant{}
	check := func() bool {
		if ans == nil {
			return true
		}
		for _, name := range []string{"answer", "authority", "additional"} {
			want := sections[name]
			if want == nil {
				continue
			}
			var rrs []mdns.RR
			switch name {
			case "answer":
				rrs = ans.Msg.Answer
			case "authority":
				rrs = ans.Msg.Ns
			case "additional":
				for _, rr := range ans.Msg.Extra {
					if rr.Header().Rrtype != mdns.TypeOPT {
						rrs = append(rrs, rr)
					}
				}
			}
			var got, wantKeys []string
			for _, rr := range rrs {
				got = append(got, rrKey(rr, want.exactTTL))
			}
			for _, l := range want.lines {
				rr, err := mdns.NewRR(l)
				if err != nil || rr == nil {
					r.Status, r.Line, r.Message = Fail, want.step.Line, fmt.Sprintf("bad record %q: %v", l, err)
					return false
				}
				wantKeys = append(wantKeys, rrKey(rr, want.exactTTL))
			}
			slices.Sort(got)
			slices.Sort(wantKeys)
			if diff := cmp.Diff(wantKeys, got); diff != "" {
				r.Status, r.Line, r.Diff = Fail, want.step.Line, diff
				r.Message = fmt.Sprintf("%s section of the answer to %q differs", name, qStep.Text)
				return false
			}
		}
		sections = map[string]*sectionWant{}
		return true
	}
	for _, step := range t.Steps {
		switch step.Dir {
		case 'Q':
			if !check() {
				return r
			}
			q, err := parseQuery(step.Text)
			if err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
				return r
			}
			qStep = step
			r.Lines = append(r.Lines, "Q: "+step.Text)
			ans, err = client.Query(q)
			if errors.Is(err, ErrUnsupported) {
				r.Status, r.Line, r.Message = Skip, step.Line, err.Error()
				return r
			}
			if err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
				return r
			}
			for _, l := range strings.Split(strings.TrimSpace(ans.Msg.String()), "\n") {
				r.Lines = append(r.Lines, "S: "+l)
			}
		case 'S':
			if ans == nil {
				r.Status, r.Line, r.Message = Fail, step.Line, "S: line before any Q: line"
				return r
			}
			kind, rest, _ := strings.Cut(step.Text, " ")
			rest = strings.TrimSpace(rest)
			switch kind {
			case "rcode":
				if got := mdns.RcodeToString[ans.Msg.Rcode]; got != strings.ToUpper(rest) {
					failAt(&r, step, strings.ToUpper(rest), got, "response code differs")
					return r
				}
			case "flags":
				if missing := missingFlags(ans.Msg, strings.Fields(rest)); missing != "" {
					failAt(&r, step, rest, flagString(ans.Msg), "flags "+missing+" not set")
					return r
				}
			case "answer", "authority", "additional", "answer-exact-ttl", "authority-exact-ttl", "additional-exact-ttl":
				name, exact := strings.CutSuffix(kind, "-exact-ttl")
				sw := sections[name]
				if sw == nil {
					sw = &sectionWant{step: step, exactTTL: exact}
					sections[name] = sw
				}
				if rest != "" && rest != "(empty)" {
					sw.lines = append(sw.lines, rest)
				}
			default:
				r.Status, r.Line, r.Message = Fail, step.Line, fmt.Sprintf("unknown S: item %q (want rcode, flags, answer, authority or additional)", kind)
				return r
			}
		case 'T':
			if ans == nil || !ans.Traced {
				r.Status, r.Line, r.Message = Skip, step.Line, "trace assertions need the engine"
				return r
			}
			kind, rest, _ := strings.Cut(step.Text, " ")
			switch kind {
			case "asked":
				want := strings.Fields(rest)
				var got []string
				for _, a := range ans.Asked {
					got = append(got, strings.TrimSuffix(a, "."))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					r.Status, r.Line, r.Diff, r.Message = Fail, step.Line, diff, "servers asked differ"
					return r
				}
			case "upstream":
				if got := fmt.Sprint(ans.Upstream); got != strings.TrimSpace(rest) {
					failAt(&r, step, strings.TrimSpace(rest), got, "upstream query count differs")
					return r
				}
			default:
				r.Status, r.Line, r.Message = Fail, step.Line, fmt.Sprintf("unknown T: item %q (want asked or upstream)", kind)
				return r
			}
		case 'X':
			if !check() {
				return r
			}
			kind, rest, _ := strings.Cut(step.Text, " ")
			if kind != "advance" {
				r.Status, r.Line, r.Message = Fail, step.Line, "X: advance DURATION is the only action"
				return r
			}
			d, err := time.ParseDuration(strings.TrimSpace(rest))
			if err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
				return r
			}
			if err := client.Advance(d); err != nil {
				r.Status, r.Line, r.Message = Skip, step.Line, err.Error()
				return r
			}
			ans = nil
		}
	}
	check()
	return r
}

func flagString(m *mdns.Msg) string {
	var f []string
	for _, x := range []struct {
		on   bool
		name string
	}{{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"}, {m.AuthenticatedData, "ad"}, {m.CheckingDisabled, "cd"}} {
		if x.on {
			f = append(f, x.name)
		}
	}
	return strings.Join(f, " ")
}

func missingFlags(m *mdns.Msg, want []string) string {
	have := " " + flagString(m) + " "
	var missing []string
	for _, w := range want {
		neg := strings.HasPrefix(w, "!")
		name := strings.ToLower(strings.TrimPrefix(w, "!"))
		set := strings.Contains(have, " "+name+" ")
		if set == neg {
			missing = append(missing, w)
		}
	}
	return strings.Join(missing, " ")
}
