package rpl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
)

// defaultTTL is the TTL of records written without one, as in testbound
// (and RFC 1035 zone files without $TTL in miekg/dns): one hour.
const defaultTTL = 3600

// maxLine bounds one line of a scenario file.
const maxLine = 1 << 16

// parser holds the state of one file's parse.
type parser struct {
	file   string
	sc     *Scenario
	origin string
	ttl    uint32
	line   int
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Err: fmt.Errorf(format, args...)}
}

// Parse reads a scenario. Errors are *Error values naming file:line.
func Parse(file string, data []byte) (*Scenario, error) {
	p := &parser{file: file, sc: &Scenario{File: file}, origin: ".", ttl: defaultTTL}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	next := func() (string, bool) {
		for sc.Scan() {
			p.line++
			text := strings.TrimSpace(sc.Text())
			if text == "" || text[0] == ';' || text[0] == '#' {
				continue
			}
			return text, true
		}
		return "", false
	}

	// The configuration, up to CONFIG_END.
	var cfg strings.Builder
	cfgStart, ended := 0, false
	for sc.Scan() {
		p.line++
		text := strings.TrimSpace(sc.Text())
		if keyword(text) == "CONFIG_END" {
			ended = true
			break
		}
		if cfgStart == 0 {
			cfgStart = p.line
		}
		// Keep line numbers: one config line per file line.
		cfg.WriteString(sc.Text())
		cfg.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, p.errorf(p.line, "%w", err)
	}
	if !ended {
		return nil, p.errorf(0, "no CONFIG_END")
	}
	opts, err := parseConfig(cfg.String(), max(cfgStart, 1))
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, p.errorf(le.line, "%w", le.err)
		}
		return nil, p.errorf(0, "%w", err)
	}
	p.sc.Config = opts

	// SCENARIO_BEGIN title.
	text, ok := next()
	if !ok {
		return nil, p.errorf(p.line, "no SCENARIO_BEGIN after CONFIG_END")
	}
	if keyword(text) != "SCENARIO_BEGIN" {
		return nil, p.errorf(p.line, "want SCENARIO_BEGIN, got %q", text)
	}
	p.sc.Title = strings.TrimSpace(strings.TrimPrefix(text, "SCENARIO_BEGIN"))
	p.sc.Line = p.line

	var (
		rng  *Range // the open RANGE, if any
		step *Step  // the last STEP, waiting for its ENTRY
	)
	for {
		text, ok := next()
		if !ok {
			if err := sc.Err(); err != nil {
				return nil, p.errorf(p.line, "%w", err)
			}
			return nil, p.errorf(p.line, "no SCENARIO_END")
		}
		kw := keyword(text)
		args := strings.TrimSpace(strings.TrimPrefix(text, kw))
		if p.directive(kw, args) {
			continue
		}
		switch kw {
		case "SCENARIO_END":
			if rng != nil {
				return nil, p.errorf(p.line, "SCENARIO_END inside the RANGE of line %d", rng.Line)
			}
			if err := checkStep(p, step); err != nil {
				return nil, err
			}
			return p.sc, nil
		case "RANGE_BEGIN":
			if rng != nil {
				return nil, p.errorf(p.line, "RANGE_BEGIN inside the RANGE of line %d", rng.Line)
			}
			if err := checkStep(p, step); err != nil {
				return nil, err
			}
			step = nil
			f := strings.Fields(stripComment(args))
			if len(f) != 2 {
				return nil, p.errorf(p.line, "want RANGE_BEGIN START END")
			}
			start, err1 := strconv.Atoi(f[0])
			end, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || end < start {
				return nil, p.errorf(p.line, "bad step range %q", args)
			}
			rng = &Range{Line: p.line, Start: start, End: end}
		case "RANGE_END":
			if rng == nil {
				return nil, p.errorf(p.line, "RANGE_END without RANGE_BEGIN")
			}
			p.sc.Ranges = append(p.sc.Ranges, rng)
			rng = nil
		case "ADDRESS":
			if rng == nil {
				return nil, p.errorf(p.line, "ADDRESS outside a RANGE")
			}
			a, err := parseAddr(stripComment(args))
			if err != nil {
				return nil, p.errorf(p.line, "ADDRESS: %w", err)
			}
			rng.Addrs = append(rng.Addrs, a)
		case "ENTRY_BEGIN":
			e, err := p.entry(next)
			if err != nil {
				return nil, err
			}
			switch {
			case rng != nil:
				rng.Entries = append(rng.Entries, e)
			case step != nil && step.Entry == nil:
				step.Entry = e
			default:
				return nil, p.errorf(e.Line, "ENTRY_BEGIN outside a RANGE and not after a STEP")
			}
		case "STEP":
			if rng != nil {
				return nil, p.errorf(p.line, "STEP inside the RANGE of line %d", rng.Line)
			}
			if err := checkStep(p, step); err != nil {
				return nil, err
			}
			s, err := p.step(args)
			if err != nil {
				return nil, err
			}
			if n := len(p.sc.Steps); n > 0 && p.sc.Steps[n-1].N >= s.N {
				return nil, p.errorf(p.line, "STEP %d after STEP %d: steps must increase", s.N, p.sc.Steps[n-1].N)
			}
			p.sc.Steps = append(p.sc.Steps, s)
			step = s
		default:
			return nil, p.errorf(p.line, "unexpected %q", text)
		}
	}
}

// checkStep reports a QUERY or CHECK_ANSWER step left without its entry.
func checkStep(p *parser, s *Step) error {
	if s != nil && s.Entry == nil && (s.Kind == Query || s.Kind == CheckAnswer) {
		return p.errorf(s.Line, "STEP %d %s has no ENTRY", s.N, s.Kind)
	}
	return nil
}

// directive handles $ORIGIN and $TTL, which apply to the records after
// them.
func (p *parser) directive(kw, args string) bool {
	switch kw {
	case "$ORIGIN":
		if f := strings.Fields(stripComment(args)); len(f) == 1 {
			p.origin = mdns.Fqdn(f[0])
		}
		return true
	case "$TTL":
		if f := strings.Fields(stripComment(args)); len(f) == 1 {
			if v, err := strconv.ParseUint(f[0], 10, 32); err == nil {
				p.ttl = uint32(v)
			}
		}
		return true
	}
	return false
}

// step parses the rest of a STEP line.
func (p *parser) step(args string) (*Step, error) {
	f := strings.Fields(stripComment(args))
	if len(f) < 2 {
		return nil, p.errorf(p.line, "want STEP N KIND")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 {
		return nil, p.errorf(p.line, "bad step number %q", f[0])
	}
	s := &Step{Line: p.line, N: n, Kind: StepKind(f[1]), Args: strings.Join(f[2:], " ")}
	switch s.Kind {
	case TimePasses:
		if len(f) != 4 || f[2] != "ELAPSE" {
			return nil, p.errorf(p.line, "want STEP N TIME_PASSES ELAPSE SECONDS")
		}
		v, err := strconv.ParseFloat(f[3], 64)
		if err != nil || v < 0 {
			return nil, p.errorf(p.line, "bad ELAPSE %q", f[3])
		}
		s.Elapse = v
	case Query, CheckAnswer, Nothing:
		if len(f) > 2 && s.Kind != Query {
			return nil, p.errorf(p.line, "unexpected %q after %s", s.Args, s.Kind)
		}
	}
	return s, nil
}

// entry parses an ENTRY after its ENTRY_BEGIN line.
func (p *parser) entry(next func() (string, bool)) (*Entry, error) {
	e := &Entry{Line: p.line, Msg: new(mdns.Msg)}
	section := "QUESTION"
	do := false
	hex := false
	for {
		text, ok := next()
		if !ok {
			return nil, p.errorf(e.Line, "ENTRY_BEGIN without ENTRY_END")
		}
		kw := keyword(text)
		args := strings.TrimSpace(strings.TrimPrefix(text, kw))
		if hex && kw != "HEX_ANSWER_END" {
			continue
		}
		if p.directive(kw, args) {
			continue
		}
		switch kw {
		case "ENTRY_END":
			if do {
				e.Msg.SetEdns0(4096, true)
			}
			return e, nil
		case "ENTRY_BEGIN":
			return nil, p.errorf(p.line, "ENTRY_BEGIN inside the ENTRY of line %d", e.Line)
		case "MATCH":
			if err := p.match(&e.Match, e, args); err != nil {
				return nil, err
			}
		case "ADJUST":
			p.adjust(&e.Adjust, e, args)
		case "REPLY":
			var err error
			if do, err = p.reply(e.Msg, args, do); err != nil {
				return nil, err
			}
		case "SECTION":
			s := strings.ToUpper(strings.TrimSpace(stripComment(args)))
			switch s {
			case "QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL":
				section = s
			default:
				return nil, p.errorf(p.line, "unknown section %q", args)
			}
		case "EXTRA_PACKET", "HEX_ANSWER_BEGIN", "HEX_ANSWER_END", "RAW", "TSIG":
			hex = kw == "HEX_ANSWER_BEGIN"
			e.Unsupported = append(e.Unsupported, Note{p.line, kw})
		default:
			if err := p.record(e.Msg, section, text); err != nil {
				return nil, err
			}
		}
	}
}

// match parses a MATCH line.
func (p *parser) match(m *Match, e *Entry, args string) error {
	for _, w := range strings.Fields(stripComment(args)) {
		switch w {
		case "opcode":
			m.Opcode = true
		case "qtype":
			m.Qtype = true
		case "qname":
			m.Qname = true
		case "subdomain":
			m.Subdomain = true
		case "all":
			m.All = true
		case "ttl":
			m.TTL = true
		case "rcode":
			m.Rcode = true
		case "flags":
			m.Flags = true
		case "question":
			m.Question = true
		case "answer":
			m.Answer = true
		case "authority":
			m.Authority = true
		case "additional":
			m.Additional = true
		case "DO":
			m.DO = true
		case "noedns":
			m.NoEDNS = true
		case "TCP":
			m.TCP = true
		case "UDP":
			m.UDP = true
		default:
			v, ok := strings.CutPrefix(w, "serial=")
			if !ok {
				v, ok = strings.CutPrefix(w, "serial:")
			}
			if ok {
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return p.errorf(p.line, "MATCH serial: bad number %q", v)
				}
				m.Serial, m.HasSerial = uint32(n), true
				continue
			}
			// Keywords of newer testbound or of Deckard (ednsdata,
			// all_noedns, qcase, nsid ...): kept, and reported.
			e.Unsupported = append(e.Unsupported, Note{p.line, "MATCH " + w})
		}
	}
	return nil
}

// adjust parses an ADJUST line.
func (p *parser) adjust(a *Adjust, e *Entry, args string) {
	for _, w := range strings.Fields(stripComment(args)) {
		switch w {
		case "copy_id":
			a.CopyID = true
		case "copy_query":
			a.CopyQuery = true
		case "do_not_answer":
			a.NoAnswer = true
		default:
			e.Unsupported = append(e.Unsupported, Note{p.line, "ADJUST " + w})
		}
	}
}

// reply parses a REPLY line into m's header; it returns whether the DO
// bit was asked for (an OPT record is then added at ENTRY_END).
func (p *parser) reply(m *mdns.Msg, args string, do bool) (bool, error) {
	for _, w := range strings.Fields(stripComment(args)) {
		switch w {
		case "QR":
			m.Response = true
		case "AA":
			m.Authoritative = true
		case "TC":
			m.Truncated = true
		case "RD":
			m.RecursionDesired = true
		case "RA":
			m.RecursionAvailable = true
		case "AD":
			m.AuthenticatedData = true
		case "CD":
			m.CheckingDisabled = true
		case "DO":
			do = true
		case "QUERY", "IQUERY", "STATUS", "NOTIFY", "UPDATE":
			m.Opcode = mdns.StringToOpcode[w]
		case "NOTIMPL":
			m.Rcode = mdns.RcodeNotImplemented
		default:
			rc, ok := mdns.StringToRcode[w]
			if !ok || rc > 15 {
				return do, p.errorf(p.line, "REPLY: unknown word %q", w)
			}
			m.Rcode = rc
		}
	}
	return do, nil
}

// record adds one record line to section of m.
func (p *parser) record(m *mdns.Msg, section, text string) error {
	if section == "QUESTION" {
		q, err := p.question(text)
		if err != nil {
			return p.errorf(p.line, "question %q: %w", text, err)
		}
		m.Question = append(m.Question, q)
		return nil
	}
	zp := mdns.NewZoneParser(strings.NewReader(text), p.origin, p.file)
	zp.SetDefaultTTL(p.ttl)
	rr, ok := zp.Next()
	if err := zp.Err(); err != nil {
		return p.errorf(p.line, "record: %w", err)
	}
	if !ok || rr == nil {
		return p.errorf(p.line, "not a record: %q", text)
	}
	switch section {
	case "ANSWER":
		m.Answer = append(m.Answer, rr)
	case "AUTHORITY":
		m.Ns = append(m.Ns, rr)
	case "ADDITIONAL":
		m.Extra = append(m.Extra, rr)
	}
	return nil
}

// question parses "NAME [CLASS] TYPE" (or TYPE before CLASS).
func (p *parser) question(text string) (mdns.Question, error) {
	f := strings.Fields(stripComment(text))
	if len(f) < 2 || len(f) > 3 {
		return mdns.Question{}, errors.New("want NAME [CLASS] TYPE")
	}
	name := f[0]
	if !mdns.IsFqdn(name) {
		if p.origin == "." {
			name += "."
		} else {
			name += "." + p.origin
		}
	}
	if _, ok := mdns.IsDomainName(name); !ok {
		return mdns.Question{}, fmt.Errorf("bad name %q", f[0])
	}
	q := mdns.Question{Name: name, Qclass: mdns.ClassINET}
	haveType := false
	for _, w := range f[1:] {
		u := strings.ToUpper(w)
		if c, ok := mdns.StringToClass[u]; ok {
			q.Qclass = c
			continue
		}
		if t, ok := parseType(u); ok && !haveType {
			q.Qtype, haveType = t, true
			continue
		}
		return mdns.Question{}, fmt.Errorf("unknown class or type %q", w)
	}
	if !haveType {
		return mdns.Question{}, errors.New("no type")
	}
	return q, nil
}

func parseType(s string) (uint16, bool) {
	if t, ok := mdns.StringToType[s]; ok {
		return t, true
	}
	if n, ok := strings.CutPrefix(s, "TYPE"); ok {
		v, err := strconv.ParseUint(n, 10, 16)
		return uint16(v), err == nil
	}
	return 0, false
}

// parseAddr reads an address, with an optional "@port" as Unbound writes
// it (the port is ignored: every simulated server listens on 53).
func parseAddr(s string) (netip.Addr, error) {
	host, _, _ := strings.Cut(strings.TrimSpace(s), "@")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.Unmap(), nil
}

// keyword returns the first word of a line.
func keyword(text string) string {
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		return text[:i]
	}
	return text
}

// stripComment cuts a keyword line at its comment (';' or '#').
func stripComment(s string) string {
	if i := strings.IndexAny(s, ";#"); i >= 0 {
		return s[:i]
	}
	return s
}
