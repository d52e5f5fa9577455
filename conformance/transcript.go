// Package conformance replays protocol transcripts, the example sessions of
// the RFCs and wirelab's own cases, against wirelab's engine or against any
// live server, and reports where the server's answers diverge.
//
// A transcript is one txtar file:
//
//	RFC 1939 §10: the example POP3 session      <- first line: the title
//	rfc: RFC 1939 §10                           <- header fields
//	protocol: pop3                              <- pop3, imap, smtp or dns
//	world: inline                               <- demo (default) or inline
//	xfail: why the case is expected to fail     <- optional
//	requires: IMAP4rev2                         <- optional: IMAP capabilities
//	deviation: dovecot: RFC 3501 §6.3.5: ...    <- optional, repeatable
//	Anything after a blank line is description.
//	-- world/users --                           <- an inline world's files
//	mrose:{PLAIN}tanstaaf
//	-- world/mail/mrose/INBOX.mbox --
//	...
//	-- transcript --
//	S: +OK {*} {ts}
//	C: APOP mrose {apop ts tanstaaf}
//	S: +OK mrose's maildrop has 2 messages (320 octets)
//
// C: lines are sent as written, after substitution: {name} is a value
// captured earlier and {apop name secret} the APOP digest (RFC 1939 §7) of
// a captured timestamp. S: lines are patterns: {name} matches a run of
// non-space characters and captures it, {*} matches any text, {*name} any
// text captured as name; {{ is a literal brace. An S: line written in angle
// brackets, such as the RFC's "<the POP3 server sends message 1>", stands
// for any number of lines up to the one the next S: line matches.
// "C: <open connection>", "C: <close connection>" and "S: <wait for ...>"
// are connection events.
//
// A POP3 or IMAP transcript may hold a second client, as the RFCs' "another
// client expunges message 2" (RFC 2177): its lines are written "C2:" and
// "S2:" (and so on for more), and its first line opens its connection to
// the same server and world. Plain "C:" and "S:" are connection 1.
//
// For POP3 a status line whose pattern has no placeholder is compared the
// way RFC 1939 §3 allows servers to differ: the status indicator must match,
// and for "+OK" the numbers and <...> timestamps in the line, in order; the
// rest is the server's own wording. Where an RFC's example line carries
// numbers the RFC does not require (a login's "+OK mrose's maildrop has 2
// messages (320 octets)"), transcripts write "+OK {*}" and keep the RFC's
// line as a comment; a bare "+OK" or "-ERR" matches "+OK {*}" or "-ERR {*}",
// since the text after the indicator is optional.
//
// For IMAP, lines are sent and read one by one, so literals are written as
// the RFCs write them: the line announcing "{n}", the server's "+" line, the
// literal's lines, and the rest of the command. A status response whose
// pattern has no placeholder (a tagged OK/NO/BAD, or "* OK|NO|BAD|BYE") is
// compared by tag, status and response code; the text after them is the
// server's own (RFC 9051 §7.1). A run of untagged "S: * ..." lines may
// arrive in any order (RFC 9051 §7: the order of untagged data is not
// fixed), so such a run is matched as a set. A line that does not match as
// written is matched again in a canonical form, so that an example written
// the RFC's way matches a server that writes the same values another way:
// a quoted string and an atom are the same; flags and LIST attributes are
// sets, compared without case, without \Recent, and without the LIST
// attributes a server may add (\HasChildren, special-use, ...) unless the
// line names them; FETCH and STATUS items may come in any order, and FETCH
// items the line does not name are ignored (see imapCanon, canonFetch).
//
// For SMTP a reply is the unit, not a line (RFC 5321 §4.2): the S: lines
// up to one whose code is followed by a space ("250-" ... "250 ") are one
// multiline reply, and the server's reply is read up to its last line too.
// The text of a reply is the implementation's (RFC 5321 §4.2), so a reply
// written without placeholders is compared by its code alone, except that
// the domain that opens the greeting (RFC 5321 §4.3.1, "220 foo.com ...")
// and the reply to EHLO or HELO (§4.1.1.1, "250-foo.com greets bar.com")
// must be the server's. The further lines of a multiline reply, such as the
// EHLO keywords, are the server's own (§4.1.1.1): one written without
// placeholders is not compared, and one with placeholders ("250-SIZE
// {size}") must match one of the server's lines, without the "-" or " "
// after the code. The first line of a reply written with placeholders is
// matched as a pattern, with the same freedom of separator. Message text
// after DATA is written as C: lines, sent as written (dot-stuffing is the
// transcript's).
//
// An SMTP case may name the server it runs against, in header fields that
// the engine target applies and a live server cannot (such cases are
// skipped against a live server, as are inline worlds):
//
//	hostname: foo.com                 the server's host name, in its greeting
//	                                  and EHLO reply (default wirelab.example)
//	smtp-domains: foo.com bar.com     the local mail domains; the world's users
//	                                  are their mailboxes (default: the domains
//	                                  of the world's dns/mailservers)
//	smtp-relay: xyz.com               domains accepted from anyone and handed
//	                                  on (Config.RelayDomains, RFC 5321 §5.1);
//	                                  the engine records what it relays
//	smtp-size: 1000                   the SIZE limit in octets (RFC 1870)
//	smtp-vrfy: Crispin 250 Mark Crispin <Admin.MRC@foo.com>
//	                                  what VRFY Crispin answers (repeatable);
//	                                  other arguments get the server's default
//
// DNS transcripts state queries, updates and expected answers; see dns.go.
// A DNS case with world: inline brings its own DNS hierarchy as world/dns/
// files, laid out as a world's dns/ part (engine/dns/lab): world/dns/servers,
// world/dns/hosts, world/dns/links and world/dns/zones/ORIGIN.zone.
package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/conformance/rpl"
	"github.com/wirelab/wirelab/engine/world"
)

// maxConns bounds the connections one transcript may open.
const maxConns = 9

// Protocols a transcript may speak.
const (
	POP3 = "pop3"
	IMAP = "imap"
	SMTP = "smtp"
	DNS  = "dns"
)

// Transcript is one parsed case.
type Transcript struct {
	// File is where the transcript came from, for messages.
	File     string
	Title    string
	RFC      string
	Protocol string
	// XFail, when set, says why the case is expected to fail; the runner
	// reports it apart from real failures.
	XFail string
	// Requires lists IMAP capabilities the case needs (RFC 9051 §6.1.1); a
	// server that does not advertise one of them skips the case rather than
	// failing it, as a client would not use what is not offered.
	Requires []string
	// Deviations maps a known server ("dovecot") to the RFC section it
	// departs from in this case, and how. Run with that peer named, the
	// case's failure is reported as that deviation, not as a failure.
	Deviations map[string]string
	// World is the transcript's inline world, or nil for the demo world.
	World *world.World
	// SMTPServer is an SMTP case's server, as its header fields name it;
	// nil keeps the target's own.
	SMTPServer *SMTPServer
	Steps      []Step
	// Scenario is the parsed scenario of an .rpl file (Protocol RPL).
	Scenario *rpl.Scenario
}

// SMTPServer is the SMTP server a case asks for (see the package doc).
type SMTPServer struct {
	// Hostname names the server in its greeting and EHLO reply; "" keeps
	// the default.
	Hostname string
	// Domains are the local mail domains; nil takes the world's.
	Domains []string
	// RelayDomains are accepted from anyone and relayed (RFC 5321 §5.1).
	RelayDomains []string
	// MaxMessageSize is the SIZE limit; zero keeps the default.
	MaxMessageSize int64
	// Verify maps a VRFY argument to the server's reply, "CODE text".
	Verify map[string]string
}

// Step is one line of the exchange.
type Step struct {
	Line int    // line number in File
	Dir  byte   // 'C' (client) or 'S' (server); in DNS cases also 'Q', 'U', 'T', 'X'
	Conn int    // the connection: 1 for "C:"/"S:", 2 for "C2:"/"S2:", ...
	Text string // the line after "C: " (one space is the separator)
}

// ParseError locates a problem in a transcript file.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("conformance: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("conformance: %s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a transcript from txtar bytes.
func Parse(file string, data []byte) (*Transcript, error) {
	ar := txtar.Parse(data)
	if path.Ext(file) == ".rpl" {
		return parseRPL(file, data)
	}
	t := &Transcript{File: file, Protocol: ""}
	bad := func(line int, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
	}

	// The header is the comment: title, then "key: value" lines up to the
	// first blank line.
	sc := bufio.NewScanner(bytes.NewReader(ar.Comment))
	line := 0
	worldKind := "demo"
	var smtpLine int // the first SMTP server field, for its error
	smtpServer := func() *SMTPServer {
		if t.SMTPServer == nil {
			t.SMTPServer = &SMTPServer{}
			smtpLine = line
		}
		return t.SMTPServer
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			t.Title = text
			continue
		}
		if text == "" {
			break
		}
		key, value, ok := strings.Cut(text, ":")
		if !ok {
			return nil, bad(line, "header line %q is not key: value", text)
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(key) {
		case "rfc":
			t.RFC = value
		case "protocol":
			t.Protocol = strings.ToLower(value)
		case "world":
			worldKind = value
		case "xfail":
			t.XFail = value
		case "requires":
			for _, c := range strings.Fields(value) {
				t.Requires = append(t.Requires, strings.ToUpper(c))
			}
		case "deviation":
			peer, why, ok := strings.Cut(value, ":")
			peer, why = strings.ToLower(strings.TrimSpace(peer)), strings.TrimSpace(why)
			if !ok || peer == "" || why == "" {
				return nil, bad(line, "deviation %q is not \"peer: RFC section: what it does\"", value)
			}
			if t.Deviations == nil {
				t.Deviations = map[string]string{}
			}
			t.Deviations[peer] = why
		case "hostname":
			if strings.ContainsAny(value, " \t") || value == "" {
				return nil, bad(line, "hostname %q is not one domain", value)
			}
			smtpServer().Hostname = value
		case "smtp-domains":
			smtpServer().Domains = append(smtpServer().Domains, strings.Fields(value)...)
		case "smtp-relay":
			smtpServer().RelayDomains = append(smtpServer().RelayDomains, strings.Fields(value)...)
		case "smtp-size":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n <= 0 {
				return nil, bad(line, "smtp-size %q is not a positive number of octets", value)
			}
			smtpServer().MaxMessageSize = n
		case "smtp-vrfy":
			arg, answer, _ := strings.Cut(value, " ")
			code, _, _ := strings.Cut(answer, " ")
			if n, err := strconv.Atoi(code); err != nil || n < 200 || n > 599 {
				return nil, bad(line, "smtp-vrfy %q is not \"ARGUMENT CODE text\"", value)
			}
			s := smtpServer()
			if s.Verify == nil {
				s.Verify = map[string]string{}
			}
			s.Verify[arg] = answer
		default:
			return nil, bad(line, "unknown header field %q (want rfc, protocol, world, xfail, requires, deviation, or for smtp hostname, smtp-domains, smtp-relay, smtp-size, smtp-vrfy)", key)
		}
	}
	if t.Title == "" {
		return nil, bad(1, "no title: the first line names the case")
	}
	switch t.Protocol {
	case POP3, IMAP, SMTP, DNS:
	case "":
		return nil, bad(0, "no protocol: header field")
	default:
		return nil, bad(0, "unknown protocol %q (want pop3, imap, smtp or dns)", t.Protocol)
	}
	if t.SMTPServer != nil && t.Protocol != SMTP {
		return nil, bad(smtpLine, "hostname and smtp-* fields are for protocol: smtp")
	}

	// Member header lines, to number the transcript's lines.
	offsets := memberLines(data)
	var worldFiles []txtar.File
	found := false
	for _, f := range ar.Files {
		switch {
		case strings.HasPrefix(f.Name, "world/"):
			worldFiles = append(worldFiles, txtar.File{Name: strings.TrimPrefix(f.Name, "world/"), Data: f.Data})
		case f.Name == "transcript":
			found = true
			steps, err := parseSteps(file, offsets[f.Name], f.Data, t.Protocol)
			if err != nil {
				return nil, err
			}
			t.Steps = steps
		default:
			return nil, bad(offsets[f.Name], "unknown file %q (want transcript or world/...)", f.Name)
		}
	}
	if !found || len(t.Steps) == 0 {
		return nil, bad(0, "no transcript: the exchange goes in a -- transcript -- file")
	}
	switch worldKind {
	case "demo":
		if len(worldFiles) > 0 {
			return nil, bad(0, "world files given but the header says world: demo (say world: inline)")
		}
	case "inline":
		w, err := world.Parse(file, txtar.Format(&txtar.Archive{Comment: []byte(t.Title + "\n"), Files: worldFiles}))
		if err != nil {
			return nil, bad(0, "inline world: %w", err)
		}
		t.World = w
	default:
		return nil, bad(0, "world is demo or inline, not %q", worldKind)
	}
	return t, nil
}

// memberLines maps each txtar member to the line of its "-- name --"
// header.
func memberLines(data []byte) map[string]int {
	out := map[string]int{}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") && len(l) > 6 {
			out[strings.TrimSpace(l[3:len(l)-3])] = i + 1
		}
	}
	return out
}

func parseSteps(file string, header int, data []byte, protocol string) ([]Step, error) {
	var steps []Step
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := header
	for sc.Scan() {
		n++
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		colon := strings.IndexByte(text, ':')
		if colon < 1 {
			return nil, &ParseError{File: file, Line: n, Err: errors.New(`a line starts with "C:" or "S:"` + dnsDirs(protocol))}
		}
		dir := text[0]
		conn := 1
		if colon > 1 {
			// "C2:": a further connection, in line protocols only.
			c, err := strconv.Atoi(text[1:colon])
			if err != nil || c < 1 || c > maxConns || protocol == DNS {
				return nil, &ParseError{File: file, Line: n, Err: fmt.Errorf("unknown direction %q", text[:colon+1])}
			}
			conn = c
		}
		allowed := "CS"
		if protocol == DNS {
			allowed = "QSTUX"
		}
		if !strings.ContainsRune(allowed, rune(dir)) {
			return nil, &ParseError{File: file, Line: n, Err: fmt.Errorf("unknown direction %q", text[:2])}
		}
		// One space separates; more are the line's own (a folded
		// header line in a message starts with spaces).
		body := strings.TrimPrefix(text[colon+1:], " ")
		steps = append(steps, Step{Line: n, Dir: dir, Conn: conn, Text: body})
	}
	return steps, sc.Err()
}

func dnsDirs(protocol string) string {
	if protocol == DNS {
		return ` (DNS cases: "Q:", "U:", "S:", "T:" or "X:")`
	}
	return ""
}
