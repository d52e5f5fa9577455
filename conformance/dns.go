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

// A DNS case is a sequence of queries and updates, each followed by what the
// answer must hold:
//
//	Q: www.example.com A                query: name, type, then options
//	                                     mode=iterated|recursive (engine)
//	                                     from=HOST (engine: whose local server)
//	                                     to=SERVER (engine: ask this server of
//	                                       the world directly, as RFC 1034 §6.2
//	                                       asks C.ISI.EDU, instead of a host's
//	                                       local server)
//	                                     norecurse (RD=0)
//	S: rcode NOERROR                    the response code
//	S: flags aa !ra                     flags that must be set (qr aa tc rd ra
//	                                     ad cd), or with "!" must be clear
//	S: answer www.example.com. 3600 IN CNAME web.example.com.
//	S: authority ...                    one line per record, in presentation
//	S: additional ...                   format; each section that has lines
//	                                     must match as a set (RFC 2181 §5: an
//	                                     RRset has no order)
//	S: additional (empty)               the section holds no record
//	S: answer-exact-ttl ...             TTLs are compared only in a section
//	                                     written so, to show a cached TTL
//	                                     counting down
//	T: asked a.root-servers.net a.gtld-servers.net ns1.example.com
//	T: upstream 0                       trace assertions (engine only)
//	X: advance 31s                      let virtual time pass (engine only)
//
// Names in records compare without regard to case (RFC 4343 §3), as do the
// server names of T: asked.
//
// A dynamic update (RFC 2136) is a run of U: lines, sent when the next
// line that is not U: comes (or the case ends); S: lines after it check the
// server's answer (usually just "S: rcode ..."):
//
//	U: zone ISI.EDU to=A.ISI.EDU         the zone section (RFC 2136 §2.3); to=
//	                                     names the server (default: the zone's
//	                                     first primary), from= the host sending
//	U: prereq yxrrset NAME TYPE          §2.4.1 RRset exists (value independent)
//	U: prereq yxrrset RR                 §2.4.2 RRset exists (value dependent):
//	                                     one line per record of the RRset
//	U: prereq nxrrset NAME TYPE          §2.4.3 RRset does not exist
//	U: prereq yxdomain NAME              §2.4.4 name is in use
//	U: prereq nxdomain NAME              §2.4.5 name is not in use
//	U: add RR                            §2.5.1 add to an RRset
//	U: delete NAME TYPE                  §2.5.2 delete an RRset
//	U: delete NAME                       §2.5.3 delete all RRsets from a name
//	U: delete RR                         §2.5.4 delete an RR from an RRset
//
// RR is a record in presentation format, "NAME [TTL] [IN] TYPE RDATA".
// Updates need the engine: a target that cannot send them (see DNSWorld)
// skips the case, as it does for to=.

// DNSQuery is one Q: line.
type DNSQuery struct {
	Name string
	Type uint16
	Mode string // "iterated" or "recursive"; "" for the target's own
	From string // engine: the host whose local DNS server resolves
	// To, when set, names the world's server the query goes to directly
	// (engine only; see DNSWorld).
	To        string
	NoRecurse bool
}

// DNSUpdate is a run of U: lines: one UPDATE message (RFC 2136 §2).
type DNSUpdate struct {
	Zone string
	To   string // the server; "" for the zone's first primary
	From string // the host that sends it; "" for the world's first
	// Prereq and Update are the prerequisite and update sections, as RFC
	// 2136 §2.4 and §2.5 encode them (class ANY or NONE for the meta
	// records).
	Prereq []mdns.RR
	Update []mdns.RR
}

// DNSWorld is a DNSClient that can reach every server of the
// transcript's world by name: the engine's. Q: lines with to=SERVER and U:
// lines need one; with any other target such a case is skipped.
type DNSWorld interface {
	DNSClient
	// QueryServer sends q to the server q.To names.
	QueryServer(q DNSQuery) (*DNSAnswer, error)
	// Update sends a dynamic update and returns the server's answer.
	Update(u DNSUpdate) (*DNSAnswer, error)
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
		return DNSQuery{}, errors.New("want: Q: NAME TYPE [mode=...] [from=...] [to=...] [norecurse]")
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
		case "to":
			if value == "" {
				return q, errors.New("to= needs a server name")
			}
			q.To = value
		case "norecurse":
			q.NoRecurse = true
		default:
			return q, fmt.Errorf("unknown query option %q", opt)
		}
	}
	return q, nil
}

// parseUpdateZone reads the first line of an update, "zone ZONE [to=SERVER]
// [from=HOST]".
func parseUpdateZone(text string) (*DNSUpdate, error) {
	f := strings.Fields(text)
	if len(f) < 2 || f[0] != "zone" {
		return nil, errors.New("an update starts with U: zone ZONE [to=SERVER] [from=HOST]")
	}
	if _, ok := mdns.IsDomainName(f[1]); !ok {
		return nil, fmt.Errorf("zone %q is not a domain name", f[1])
	}
	u := &DNSUpdate{Zone: mdns.Fqdn(f[1])}
	for _, opt := range f[2:] {
		key, value, _ := strings.Cut(opt, "=")
		switch {
		case key == "to" && value != "":
			u.To = value
		case key == "from" && value != "":
			u.From = value
		default:
			return nil, fmt.Errorf("unknown update option %q (want to=SERVER or from=HOST)", opt)
		}
	}
	return u, nil
}

// parseLine adds one U: line after the zone line to u: a prerequisite (RFC
// 2136 §2.4) or an update (§2.5), encoded as §2.4 and §2.5 say.
func (u *DNSUpdate) parseLine(text string) error {
	verb, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	rest = strings.TrimSpace(rest)
	switch verb {
	case "prereq":
		kind, arg, _ := strings.Cut(rest, " ")
		arg = strings.TrimSpace(arg)
		var rr mdns.RR
		var err error
		switch kind {
		case "yxrrset":
			if len(strings.Fields(arg)) == 2 {
				rr, err = meta(arg, mdns.ClassANY) // §2.4.1
			} else {
				// §2.4.2: the record itself, class IN and TTL 0.
				if rr, err = record(arg); err == nil {
					rr.Header().Ttl = 0
				}
			}
		case "nxrrset":
			rr, err = meta(arg, mdns.ClassNONE) // §2.4.3
		case "yxdomain":
			rr, err = meta(arg+" ANY", mdns.ClassANY) // §2.4.4
		case "nxdomain":
			rr, err = meta(arg+" ANY", mdns.ClassNONE) // §2.4.5
		default:
			return fmt.Errorf("unknown prerequisite %q (want yxrrset, nxrrset, yxdomain or nxdomain)", kind)
		}
		if err != nil {
			return fmt.Errorf("prereq %s: %w", kind, err)
		}
		u.Prereq = append(u.Prereq, rr)
	case "add":
		rr, err := record(rest) // §2.5.1
		if err != nil {
			return fmt.Errorf("add: %w", err)
		}
		u.Update = append(u.Update, rr)
	case "delete":
		var rr mdns.RR
		var err error
		switch len(strings.Fields(rest)) {
		case 0:
			err = errors.New("want NAME, NAME TYPE or a record")
		case 1:
			rr, err = meta(rest+" ANY", mdns.ClassANY) // §2.5.3
		case 2:
			rr, err = meta(rest, mdns.ClassANY) // §2.5.2
		default:
			// §2.5.4: the record with class NONE and TTL 0.
			if rr, err = record(rest); err == nil {
				rr.Header().Class, rr.Header().Ttl = mdns.ClassNONE, 0
			}
		}
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		u.Update = append(u.Update, rr)
	default:
		return fmt.Errorf("unknown update line %q (want prereq, add or delete)", verb)
	}
	return nil
}

// meta builds a record without RDATA, "NAME TYPE" with TTL 0 in class,
// the form of RFC 2136 §2.4's and §2.5's meta-records.
func meta(text string, class uint16) (mdns.RR, error) {
	f := strings.Fields(text)
	if len(f) != 2 {
		return nil, fmt.Errorf("want NAME TYPE, not %q", text)
	}
	if _, ok := mdns.IsDomainName(f[0]); !ok {
		return nil, fmt.Errorf("%q is not a domain name", f[0])
	}
	t, ok := mdns.StringToType[strings.ToUpper(f[1])]
	if !ok {
		return nil, fmt.Errorf("unknown type %q", f[1])
	}
	return &mdns.ANY{Hdr: mdns.RR_Header{Name: mdns.Fqdn(f[0]), Rrtype: t, Class: class}}, nil
}

// record parses a record in presentation format, which must have RDATA.
func record(text string) (mdns.RR, error) {
	rr, err := mdns.NewRR(text)
	if err != nil {
		return nil, err
	}
	if rr == nil {
		return nil, errors.New("no record")
	}
	if _, bare := rr.(*mdns.RR_Header); bare || strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String())) == "" {
		return nil, fmt.Errorf("%q has no RDATA", text)
	}
	return rr, nil
}

// rrKey renders a record for comparison, without its TTL unless exact.
// Names compare without regard to case (RFC 4343 §3): the owner always,
// the RDATA of types whose RDATA holds only names, numbers and addresses.
func rrKey(rr mdns.RR, exactTTL bool) string {
	h := *rr.Header()
	if !exactTTL {
		h.Ttl = 0
	}
	h.Name = strings.ToLower(h.Name)
	rdata := strings.TrimPrefix(rr.String(), rr.Header().String())
	switch h.Rrtype {
	case mdns.TypeA, mdns.TypeAAAA, mdns.TypeNS, mdns.TypeCNAME, mdns.TypePTR, mdns.TypeMX,
		mdns.TypeSOA, mdns.TypeSRV, mdns.TypeDNAME:
		rdata = strings.ToLower(rdata)
	}
	return strings.Join(strings.Fields(h.String()+rdata), " ")
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
	// An update is gathered over its U: lines and sent at the first other
	// line.
	var upd *DNSUpdate
	var updStep Step
	// direct is set when the answer came straight from a named server (to=
	// or an update), which has no lookup for T: lines to check.
	direct := false
	send := func() bool {
		if upd == nil {
			return true
		}
		u := *upd
		upd = nil
		w, ok := client.(DNSWorld)
		if !ok {
			r.Status, r.Line, r.Message = Skip, updStep.Line, "updates need a target that reaches the world's servers by name (the engine)"
			return false
		}
		a, err := w.Update(u)
		if err != nil {
			r.Status, r.Line, r.Message = Fail, updStep.Line, err.Error()
			if errors.Is(err, ErrUnsupported) {
				r.Status = Skip
			}
			return false
		}
		ans, qStep, direct = a, updStep, true
		for _, l := range strings.Split(strings.TrimSpace(a.Msg.String()), "\n") {
			r.Lines = append(r.Lines, "S: "+l)
		}
		return true
	}
	for _, step := range t.Steps {
		if step.Dir != 'U' && !send() {
			return r
		}
		switch step.Dir {
		case 'U':
			if !check() {
				return r
			}
			r.Lines = append(r.Lines, "U: "+step.Text)
			if f := strings.Fields(step.Text); len(f) > 0 && f[0] == "zone" {
				if !send() {
					return r
				}
				u, err := parseUpdateZone(step.Text)
				if err != nil {
					r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
					return r
				}
				upd, updStep, ans = u, step, nil
				continue
			}
			if upd == nil {
				r.Status, r.Line, r.Message = Fail, step.Line, "an update starts with U: zone ZONE"
				return r
			}
			if err := upd.parseLine(step.Text); err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
				return r
			}
		case 'Q':
			if !check() {
				return r
			}
			q, err := parseQuery(step.Text)
			if err != nil {
				r.Status, r.Line, r.Message = Fail, step.Line, err.Error()
				return r
			}
			qStep, direct = step, q.To != ""
			r.Lines = append(r.Lines, "Q: "+step.Text)
			if q.To != "" {
				w, ok := client.(DNSWorld)
				if !ok {
					r.Status, r.Line, r.Message = Skip, step.Line, "to=SERVER needs a target that reaches the world's servers by name (the engine)"
					return r
				}
				ans, err = w.QueryServer(q)
			} else {
				ans, err = client.Query(q)
			}
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
				r.Status, r.Line, r.Message = Fail, step.Line, "S: line before any Q: or U: line"
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
			if direct {
				r.Status, r.Line, r.Message = Fail, step.Line, "T: lines check a local DNS server's lookup; this answer came straight from a named server (to= or U:)"
				return r
			}
			if ans == nil || !ans.Traced {
				r.Status, r.Line, r.Message = Skip, step.Line, "trace assertions need the engine"
				return r
			}
			kind, rest, _ := strings.Cut(step.Text, " ")
			switch kind {
			case "asked":
				// Server names compare without regard to case (RFC 4343).
				want := strings.Fields(strings.ToLower(rest))
				var got []string
				for _, a := range ans.Asked {
					got = append(got, strings.ToLower(strings.TrimSuffix(a, ".")))
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
	if send() {
		check()
	}
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
