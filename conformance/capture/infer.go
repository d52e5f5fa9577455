package capture

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/world"
)

// Case is a session written as a conformance transcript.
type Case struct {
	// Text is the transcript, a txtar file the conformance package parses.
	Text []byte
	// Places maps each step's line in Text to where it was captured.
	Places map[int]Place
}

// Transcript writes the session as a transcript on the demo world (or w,
// when not nil, whose plain passwords are tried as APOP secrets). What a
// fresh server says differently from the captured one becomes a
// placeholder:
//
//   - POP3: the greeting's text and APOP timestamp ({ts}), the client's
//     APOP digest ({apop ts SECRET}, when a world user's password gives
//     it), and the text of +OK and -ERR lines (a -ERR's [CODE] kept),
//     except for the answers to STAT, LIST, UIDL, RETR and TOP, whose
//     numbers the runner compares (RFC 1939 §5).
//   - IMAP: UIDVALIDITY values in response codes, STATUS, APPENDUID and
//     COPYUID (RFC 9051 §2.3.1.1: the server chooses them), one name per
//     value so that the same value must come back; INTERNALDATE; the text
//     of "+" continuations, and of status responses whose code got a
//     placeholder. Tags are kept.
//   - DNS: TTLs are not compared (the runner's rule).
//
// Everything else must come back exactly as captured.
func (s *Session) Transcript(w *world.World) (*Case, error) {
	if w == nil {
		w = world.Demo()
	}
	b := &caseWriter{places: map[int]Place{}}
	title := "capture " + filepath.Base(s.File)
	if s.Name != "" {
		title += ": " + s.Name
	}
	b.line(title)
	b.line("protocol: " + s.Protocol)
	b.line("")
	b.line(fmt.Sprintf("Captured in %s%s and written by wirelab replay --to-transcript.", s.File, paren(s.Name)))
	b.line("Placeholders stand for what a fresh server says differently.")
	for _, n := range s.Notes {
		b.line("Note: " + n + ".")
	}
	b.line("-- transcript --")
	switch s.Protocol {
	case POP3:
		inferPOP3(b, s.Lines, w)
	case IMAP:
		inferIMAP(b, s.Lines)
	case DNS:
		writeDNS(b, s.Exchanges)
	default:
		return nil, fmt.Errorf("capture: %s: unknown protocol %q", s.File, s.Protocol)
	}
	return &Case{Text: []byte(b.text.String()), Places: b.places}, nil
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

type caseWriter struct {
	text   strings.Builder
	n      int
	places map[int]Place
}

func (b *caseWriter) line(s string) {
	b.n++
	b.text.WriteString(s)
	b.text.WriteByte('\n')
}

func (b *caseWriter) step(dir byte, text string, p Place) {
	b.line(string(dir) + ": " + text)
	b.places[b.n] = p
}

// escape makes captured text literal in a transcript: "{" is written "{{"
// except where it opens an IMAP literal's octet count, "{310}", which
// transcripts write as it is.
func escape(text string) string {
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		if text[i] == '{' {
			end := strings.IndexByte(text[i:], '}')
			if end < 0 || !isLiteralMarker(text[i+1:i+end]) {
				out.WriteString("{{")
				continue
			}
		}
		out.WriteByte(text[i])
	}
	return out.String()
}

func isLiteralMarker(s string) bool {
	return isDigits(strings.TrimSuffix(s, "+"))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// apopTimestamp is the greeting's <...@...> (RFC 1939 §7).
var apopTimestamp = regexp.MustCompile(`<[^<>]*@[^<>]*>`)

// pop3DataCommands are those whose +OK line carries numbers the runner
// compares (RFC 1939 §5).
func pop3DataCommand(cmd string) bool {
	f := strings.Fields(strings.ToUpper(cmd))
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "STAT", "LIST", "UIDL", "RETR", "TOP":
		return true
	}
	return false
}

// statusText writes a status line's text as free: "+OK {*}", or
// "-ERR [AUTH] {*}" keeping a response code (RFC 2449 §8).
func statusText(indicator, rest string) string {
	rest = strings.TrimPrefix(rest, " ")
	if rest == "" {
		return indicator
	}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			code, after := rest[:end+1], strings.TrimSpace(rest[end+1:])
			if after == "" {
				return indicator + " " + escape(code)
			}
			return indicator + " " + escape(code) + " {*}"
		}
	}
	return indicator + " {*}"
}

func inferPOP3(b *caseWriter, lines []Line, w *world.World) {
	greeted, inData := false, false
	lastCmd, ts := "", ""
	uids := map[string]string{} // unique-id -> placeholder name
	for _, l := range lines {
		if l.Dir == 'C' {
			lastCmd = l.Text
			b.step('C', apopLine(l.Text, ts, w), l.Place)
			continue
		}
		text := l.Text
		cmd := strings.ToUpper(strings.Fields(lastCmd + " x")[0])
		switch {
		case inData && text == ".":
			inData = false
			b.step('S', text, l.Place)
		case inData && cmd == "UIDL":
			b.step('S', uidlLine(text, uids), l.Place)
		case inData && cmd == "CAPA" && strings.EqualFold(text, "STLS"):
			// Offered only by a server with a certificate; the replay
			// has no TLS (RFC 2595 §4).
			b.step('S', "<STLS, offered only by a server that has a certificate>", l.Place)
		case inData:
			b.step('S', escape(text), l.Place)
		case cmd == "UIDL" && strings.HasPrefix(text, "+OK ") && !pop3MultiLine(lastCmd):
			b.step('S', "+OK "+uidlLine(text[4:], uids), l.Place)
		case !greeted:
			greeted = true
			b.step('S', greetingPattern(text, &ts), l.Place)
		case strings.HasPrefix(text, "+OK"):
			if pop3DataCommand(lastCmd) {
				b.step('S', escape(text), l.Place)
			} else {
				b.step('S', statusText("+OK", text[3:]), l.Place)
			}
			inData = pop3MultiLine(lastCmd)
		case strings.HasPrefix(text, "-ERR"):
			b.step('S', statusText("-ERR", text[4:]), l.Place)
		case text == "+" || strings.HasPrefix(text, "+ "):
			b.step('S', continuation(text), l.Place)
		default:
			b.step('S', escape(text), l.Place)
		}
	}
}

// greetingPattern frees a POP3 greeting's words and captures its APOP
// timestamp as {ts}.
func greetingPattern(text string, ts *string) string {
	if !strings.HasPrefix(text, "+OK") {
		return escape(text)
	}
	loc := apopTimestamp.FindStringIndex(text)
	if loc == nil {
		return statusText("+OK", text[3:])
	}
	*ts = text[loc[0]:loc[1]]
	out := "+OK "
	if strings.TrimSpace(text[3:loc[0]]) != "" {
		out += "{*} "
	}
	out += "{ts}"
	if strings.TrimSpace(text[loc[1]:]) != "" {
		out += " {*}"
	}
	return out
}

// apopLine writes "APOP name digest" with the digest computed afresh from
// the new greeting's timestamp, when the world has a password that gives
// the captured digest (RFC 1939 §7).
func apopLine(text, ts string, w *world.World) string {
	f := strings.Fields(text)
	if len(f) != 3 || !strings.EqualFold(f[0], "APOP") || ts == "" {
		return escape(text)
	}
	if p, ok := w.Users.Lookup(f[1]); ok {
		if plain, ok := p.Plain(); ok && auth.APOPDigest(ts, plain) == strings.ToLower(f[2]) && !strings.ContainsAny(plain, "{} ") {
			return fmt.Sprintf("%s %s {apop ts %s}", f[0], escape(f[1]), plain)
		}
	}
	return escape(text)
}

// uidlLine writes "n unique-id" with the unique-id as a placeholder: the
// server makes it up (RFC 1939 §7), and one made from a delivery time or
// file name differs on a fresh server. The same id gets the same name, so
// it must come back the same.
func uidlLine(text string, uids map[string]string) string {
	f := strings.Fields(text)
	if len(f) != 2 || !isDigits(f[0]) {
		return escape(text)
	}
	name, ok := uids[f[1]]
	if !ok {
		name = "uid" + f[0]
		for taken := true; taken; {
			taken = false
			for _, n := range uids {
				if n == name {
					name += "x"
					taken = true
				}
			}
		}
		uids[f[1]] = name
	}
	return f[0] + " {" + name + "}"
}

func continuation(text string) string {
	if strings.TrimSpace(strings.TrimPrefix(text, "+")) == "" {
		return text
	}
	return "+ {*}"
}

// IMAP values the server picks: UIDVALIDITY (RFC 9051 §2.3.1.1) wherever
// it appears, and INTERNALDATE (§2.3.3).
var (
	uidValidityRE  = regexp.MustCompile(`(?i)(?:UIDVALIDITY|\[APPENDUID|\[COPYUID) (\d+)`)
	internalDateRE = regexp.MustCompile(`(?i)INTERNALDATE "([^"]*)"`)
	capabilityRE   = regexp.MustCompile(`(?i)(?:^\* CAPABILITY |\[CAPABILITY )[^\]]*`)
	imapStatusRE   = regexp.MustCompile(`(?i)^(\S+) (OK|NO|BAD|BYE|PREAUTH)(?: (\[[^\]]*\]))?(?: (.*))?$`)
)

// imapNames names the session's UIDVALIDITY values: the same value gets
// the same name, so it must come back the same.
type imapNames struct{ byValue map[string]string }

func (n *imapNames) name(value string) string {
	if v, ok := n.byValue[value]; ok {
		return v
	}
	name := "uidvalidity"
	if k := len(n.byValue); k > 0 {
		name += strconv.Itoa(k + 1)
	}
	n.byValue[value] = name
	return name
}

// placeholders writes text escaped, with UIDVALIDITY values and
// INTERNALDATEs as placeholders; it reports whether it put any.
func (n *imapNames) placeholders(text string) (string, bool) {
	type span struct {
		start, end int
		repl       string
	}
	var spans []span
	for _, m := range uidValidityRE.FindAllStringSubmatchIndex(text, -1) {
		spans = append(spans, span{m[2], m[3], "{" + n.name(text[m[2]:m[3]]) + "}"})
	}
	for _, m := range internalDateRE.FindAllStringSubmatchIndex(text, -1) {
		spans = append(spans, span{m[2], m[3], "{*}"})
	}
	if m := capabilityRE.FindStringIndex(text); m != nil {
		// STARTTLS is offered only by a server that has a certificate,
		// and the replay has none (RFC 9051 §6.2.1): it may be there or
		// not.
		if i := strings.Index(strings.ToUpper(text[m[0]:m[1]]), " STARTTLS"); i >= 0 {
			spans = append(spans, span{m[0] + i, m[0] + i + len(" STARTTLS"), "{*}"})
		}
	}
	if len(spans) == 0 {
		return escape(text), false
	}
	// In order of position; the two patterns never overlap.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var out strings.Builder
	at := 0
	for _, s := range spans {
		out.WriteString(escape(text[at:s.start]))
		out.WriteString(s.repl)
		at = s.end
	}
	out.WriteString(escape(text[at:]))
	return out.String(), true
}

func inferIMAP(b *caseWriter, lines []Line) {
	names := &imapNames{byValue: map[string]string{}}
	literal := map[byte]int{} // octets of literal data still to come, by side
	for _, l := range lines {
		text := l.Text
		if n := literal[l.Dir]; n > 0 {
			// Literal data is sent and compared as it is.
			literal[l.Dir] = n - (len(text) + 2)
			if literal[l.Dir] < 0 {
				literal[l.Dir] = nextLiteral(text)
			}
			b.step(l.Dir, escape(text), l.Place)
			continue
		}
		literal[l.Dir] = nextLiteral(text)
		if l.Dir == 'C' {
			b.step('C', escape(text), l.Place)
			continue
		}
		switch {
		case text == "+" || strings.HasPrefix(text, "+ "):
			b.step('S', continuation(text), l.Place)
		case imapStatusRE.MatchString(text):
			m := imapStatusRE.FindStringSubmatch(text)
			code, changed := names.placeholders(m[3])
			if !changed {
				// The runner compares tag, status and code; the text is
				// the server's own.
				b.step('S', escape(text), l.Place)
				continue
			}
			out := escape(m[1]+" "+m[2]) + " " + code
			if m[4] != "" {
				out += " {*}"
			}
			b.step('S', out, l.Place)
		default:
			out, _ := names.placeholders(text)
			b.step('S', out, l.Place)
		}
	}
}

// nextLiteral returns the octets of a literal the line announces at its
// end, or 0.
func nextLiteral(text string) int {
	m := literalAt.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// writeDNS writes each query and what its answer held (conformance's DNS
// case notation). Flags the runner checks are those of the answer itself
// (qr, aa, tc, ra); rd echoes the query, and TTLs count down.
func writeDNS(b *caseWriter, exchanges []Exchange) {
	for _, e := range exchanges {
		if len(e.Query.Question) != 1 {
			b.line(fmt.Sprintf("# %s: a query with %d questions is not replayed", e.QueryPlace, len(e.Query.Question)))
			continue
		}
		q := e.Query.Question[0]
		typ, ok := mdns.TypeToString[q.Qtype]
		if !ok {
			typ = fmt.Sprintf("TYPE%d", q.Qtype)
		}
		opts := ""
		if !e.Query.RecursionDesired {
			opts = " norecurse"
		}
		b.step('Q', q.Name+" "+typ+opts, e.QueryPlace)
		r := e.Response
		if r == nil {
			b.line(fmt.Sprintf("# %s: no response was captured", e.QueryPlace))
			continue
		}
		b.step('S', "rcode "+mdns.RcodeToString[r.Rcode], e.ResponsePlace)
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{r.Response, "qr"}, {r.Authoritative, "aa"}, {r.Truncated, "tc"}, {r.RecursionAvailable, "ra"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if len(flags) > 0 {
			b.step('S', "flags "+strings.Join(flags, " "), e.ResponsePlace)
		}
		section := func(name string, rrs []mdns.RR) {
			n := 0
			for _, rr := range rrs {
				if rr.Header().Rrtype == mdns.TypeOPT {
					continue
				}
				n++
				b.step('S', name+" "+strings.Join(strings.Fields(rr.String()), " "), e.ResponsePlace)
			}
			if n == 0 {
				b.step('S', name+" (empty)", e.ResponsePlace)
			}
		}
		section("answer", r.Answer)
		section("authority", r.Ns)
		section("additional", r.Extra)
	}
}
