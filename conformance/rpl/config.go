package rpl

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// lineError carries a line number out of parseConfig.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

// parseConfig reads the configuration part of a scenario: unbound.conf
// syntax, where "key:" words start options and the words up to the next
// key are the value, so several options may share a line
// ("forward-zone: name: "." forward-addr: 216.0.0.1"). A key with no value
// opens a clause (server:, stub-zone:, forward-zone: ...). '#' starts a
// comment, and so does ';' at the start of a line, as elsewhere in the file.
func parseConfig(text string, first int) ([]Option, error) {
	var (
		out        []Option
		clause     = "server"
		clauseLine = 0
		cur        *Option // the option collecting value words
		words      []string
	)
	flush := func() {
		if cur == nil {
			return
		}
		if len(words) == 0 {
			clause, clauseLine = cur.Key, cur.Line
		} else {
			cur.Clause, cur.ClauseLine = clause, clauseLine
			cur.Value = strings.Join(words, " ")
			out = append(out, *cur)
		}
		cur, words = nil, nil
	}
	for i, line := range strings.Split(text, "\n") {
		n := first + i
		if t := strings.TrimSpace(line); strings.HasPrefix(t, ";") {
			continue
		}
		toks, err := configWords(line)
		if err != nil {
			return nil, &lineError{n, err}
		}
		for _, tk := range toks {
			if !tk.quoted && strings.HasSuffix(tk.s, ":") && len(tk.s) > 1 {
				flush()
				cur = &Option{Line: n, Key: strings.TrimSuffix(tk.s, ":")}
				continue
			}
			if cur == nil {
				return nil, &lineError{n, fmt.Errorf("value %q before any option", tk.s)}
			}
			words = append(words, tk.s)
		}
	}
	flush()
	return out, nil
}

type word struct {
	s      string
	quoted bool
}

// configWords splits a config line into words, keeping quoted strings
// whole and stopping at a '#' comment.
func configWords(line string) ([]word, error) {
	var out []word
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			return out, nil
		case c == '"' || c == '\'':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				return nil, errors.New("unterminated quote")
			}
			out = append(out, word{line[i+1 : i+1+end], true})
			i += end + 2
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t\r#", rune(line[j])) {
				j++
			}
			out = append(out, word{line[i:j], false})
			i = j
		}
	}
	return out, nil
}

// Settings is what a scenario's configuration means for the replay.
type Settings struct {
	// Resolver is the resolver's configuration: root hints (a stub zone
	// for the root), mode (Recursive for a forward zone for the root),
	// switches and TTL limits.
	Resolver resolver.Options
	// NoIPv4 and NoIPv6 (do-ip4: no, do-ip6: no) leave the resolver's
	// host without an address of that family, so it cannot send there.
	NoIPv4, NoIPv6 bool
	// Used are the lines mapped onto the resolver; Ignored the lines
	// understood and of no consequence for the replay (logging,
	// prefetch policy, access control that lets the client in);
	// NotUnderstood the lines the replay cannot honour, which could
	// change what the resolver does.
	Used, Ignored, NotUnderstood []Note
}

// Unbound's defaults where they differ from the resolver's: a scenario
// that does not set these expects them.
const (
	unboundQNAMEMinimisation = true
	unboundMinimalResponses  = true
	unboundScrubPromiscuous  = true
)

// inertServerOptions are server: options that change nothing the replay
// can observe: logging, process and socket settings, and the prefetch of
// name server addresses (target-fetch-policy), which changes when the
// resolver asks for addresses but not the answers.
var inertServerOptions = []string{
	"verbosity", "use-syslog", "logfile", "log-queries", "log-replies", "log-servfail",
	"log-time-ascii", "log-local-actions", "log-tag-queryreply", "statistics-interval",
	"statistics-cumulative", "extended-statistics", "num-threads", "directory", "chroot",
	"username", "pidfile", "do-daemonize", "target-fetch-policy", "outgoing-range",
	"num-queries-per-thread", "so-reuseport", "interface", "port", "do-udp", "do-tcp",
	"val-log-level", "use-systemd",
}

// hardenMatching lists harden-* options with the value that describes
// what the resolver always does: out-of-bailiwick glue is dropped (RFC
// 2181 §6.1), an NXDOMAIN means nothing exists below (RFC 8020), and no
// DNSSEC validation is done, so its hardenings have nothing to act on.
var hardenMatching = map[string]string{
	"harden-glue":               "yes",
	"harden-below-nxdomain":     "yes",
	"harden-referral-path":      "no",
	"harden-dnssec-stripped":    "any",
	"harden-algo-downgrade":     "any",
	"harden-large-queries":      "no",
	"harden-short-bufsize":      "yes",
	"harden-unknown-additional": "no",
}

// Settings maps the scenario's configuration onto the resolver.
func (s *Scenario) Settings() Settings {
	st := Settings{}
	o := &st.Resolver
	o.QNAMEMinimisation = unboundQNAMEMinimisation
	o.MinimalResponses = unboundMinimalResponses
	o.ScrubPromiscuous = unboundScrubPromiscuous
	used := func(opt Option) { st.Used = append(st.Used, Note{opt.Line, opt.String()}) }
	ignored := func(opt Option, why string) {
		st.Ignored = append(st.Ignored, Note{opt.Line, opt.String() + " (" + why + ")"})
	}
	unknown := func(opt Option, why string) {
		st.NotUnderstood = append(st.NotUnderstood, Note{opt.Line, opt.String() + " (" + why + ")"})
	}

	// Zones, grouped by the line of their clause.
	type zone struct {
		kind  string // stub-zone or forward-zone
		line  int
		name  string
		addrs []netip.Addr
		opts  []Option
	}
	var zones []*zone
	zoneAt := map[int]*zone{}

	for _, opt := range s.Config {
		v := strings.ToLower(opt.Value)
		switch opt.Clause {
		case "server":
			switch opt.Key {
			case "qname-minimisation", "minimal-responses", "serve-expired", "rrset-roundrobin", "iter-scrub-promiscuous":
				b, ok := yesNo(v)
				if !ok {
					unknown(opt, "want yes or no")
					continue
				}
				switch opt.Key {
				case "qname-minimisation":
					o.QNAMEMinimisation = b
				case "minimal-responses":
					o.MinimalResponses = b
				case "serve-expired":
					o.ServeStale = b
				case "rrset-roundrobin":
					o.RoundRobin = b
				case "iter-scrub-promiscuous":
					o.ScrubPromiscuous = b
				}
				used(opt)
			case "cache-max-ttl", "cache-min-ttl", "cache-max-negative-ttl", "cache-min-negative-ttl", "serve-expired-ttl":
				n, err := strconv.ParseUint(v, 10, 31)
				if err != nil {
					unknown(opt, "want a number of seconds")
					continue
				}
				d := time.Duration(n) * time.Second
				switch opt.Key {
				case "cache-max-ttl":
					o.MaxTTL = d
				case "cache-min-ttl":
					o.MinTTL = d
				case "cache-max-negative-ttl":
					o.MaxNegativeTTL = d
				case "cache-min-negative-ttl":
					o.MinNegativeTTL = d
				case "serve-expired-ttl":
					o.MaxStale = d
				}
				if d == 0 && (opt.Key == "cache-max-ttl" || opt.Key == "cache-max-negative-ttl" || opt.Key == "serve-expired-ttl") {
					// Zero means "the default" to the resolver, but
					// "nothing" (or "forever") to Unbound.
					unknown(opt, "zero has another meaning in the resolver")
					continue
				}
				used(opt)
			case "serve-expired-reply-ttl":
				if v == strconv.Itoa(resolver.StaleAnswerTTL) {
					ignored(opt, "the resolver's own value")
				} else {
					unknown(opt, fmt.Sprintf("the resolver gives stale data TTL %d", resolver.StaleAnswerTTL))
				}
			case "do-ip4", "do-ip6":
				b, ok := yesNo(v)
				if !ok {
					unknown(opt, "want yes or no")
					continue
				}
				if opt.Key == "do-ip4" {
					st.NoIPv4 = !b
				} else {
					st.NoIPv6 = !b
				}
				used(opt)
			case "access-control":
				f := strings.Fields(v)
				if len(f) == 2 && (f[1] == "allow" || f[1] == "allow_snoop") {
					// The replay's client is let in, and the
					// resolver answers RD=0 queries from its cache
					// as allow_snoop does.
					ignored(opt, "the client is allowed")
				} else {
					unknown(opt, "access control other than allow")
				}
			case "module-config":
				mods := strings.Fields(v)
				if len(mods) > 0 && !slices.ContainsFunc(mods, func(m string) bool { return m != "iterator" && m != "validator" }) {
					ignored(opt, "no trust anchor, so the validator has nothing to do")
				} else {
					unknown(opt, "modules other than iterator and validator")
				}
			default:
				if want, ok := hardenMatching[opt.Key]; ok {
					if want == "any" || v == want {
						ignored(opt, "the resolver behaves so")
					} else {
						unknown(opt, "the resolver has no such switch")
					}
					continue
				}
				if slices.Contains(inertServerOptions, opt.Key) {
					ignored(opt, "no effect on answers")
					continue
				}
				unknown(opt, "not understood")
			}
		case "stub-zone", "forward-zone":
			z := zoneAt[opt.ClauseLine]
			if z == nil {
				z = &zone{kind: opt.Clause, line: opt.ClauseLine}
				zoneAt[opt.ClauseLine] = z
				zones = append(zones, z)
			}
			z.opts = append(z.opts, opt)
			switch opt.Key {
			case "name":
				z.name = strings.ToLower(strings.TrimSuffix(opt.Value, ".") + ".")
			case "stub-addr", "forward-addr":
				a, err := parseAddr(opt.Value)
				if err != nil {
					unknown(opt, "bad address")
					continue
				}
				z.addrs = append(z.addrs, a)
			case "stub-prime", "stub-first", "forward-first":
				if b, ok := yesNo(v); ok && !b {
					ignored(opt, "the default")
					continue
				}
				if opt.Key == "stub-prime" {
					// Priming asks the stub for the root's NS set,
					// which changes the upstream traffic, not the
					// answers.
					ignored(opt, "priming changes no answer")
					continue
				}
				unknown(opt, "not understood")
			default:
				unknown(opt, "not understood")
			}
		default:
			unknown(opt, "clause "+opt.Clause+": not understood")
		}
	}

	haveRoot := false
	for _, z := range zones {
		at := Option{Line: z.line, Clause: z.kind, Key: "name", Value: z.name}
		switch {
		case z.name != ".":
			unknown(at, "the resolver has no "+z.kind+" below the root")
			continue
		case len(z.addrs) == 0:
			unknown(at, "no address")
			continue
		case haveRoot:
			unknown(at, "a second zone for the root")
			continue
		}
		haveRoot = true
		for i, a := range z.addrs {
			o.RootHints = append(o.RootHints, resolver.Hint{Name: fmt.Sprintf("%s-%d.", strings.TrimSuffix(z.kind, "-zone"), i+1), Addr: a})
		}
		if z.kind == "forward-zone" {
			// The resolver in Recursive mode hands every query with
			// RD=1 to its root hints: to a forwarder.
			o.Mode = resolver.Recursive
		}
		for _, opt := range z.opts {
			if opt.Key == "name" || opt.Key == "stub-addr" || opt.Key == "forward-addr" {
				used(opt)
			}
		}
	}
	if !haveRoot {
		st.NotUnderstood = append(st.NotUnderstood, Note{s.Line, "no stub-zone or forward-zone for the root: the replay has no root servers to start from"})
	}
	return st
}

func yesNo(v string) (value, ok bool) {
	switch v {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}
