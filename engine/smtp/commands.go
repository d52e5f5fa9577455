package smtp

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/auth"
)

// ehlo answers EHLO (RFC 5321 §4.1.1.1) with the extensions in effect.
func (s *Session) ehlo(arg string, _ time.Time) Reply {
	if !validDomainArg(arg) {
		return reply(501, "5.5.4", "Syntax: EHLO domain")
	}
	s.hello(arg, true)
	lines := []string{
		s.cfg.hostname() + " greets " + sanitize(arg),
		"SIZE " + strconv.FormatInt(s.cfg.maxSize(), 10),
		"8BITMIME",
		"PIPELINING",
		"ENHANCEDSTATUSCODES",
		"SMTPUTF8",
	}
	if s.cfg.TLSAvailable && !s.tls {
		lines = append(lines, "STARTTLS")
	}
	if s.cfg.Submission && (s.tls || !s.cfg.PlaintextNeedsTLS) {
		lines = append(lines, "AUTH PLAIN")
	}
	lines = append(lines, "HELP")
	return Reply{Data: multiline(250, lines)}
}

// helo answers HELO (RFC 5321 §4.1.1.1): no extensions.
func (s *Session) helo(arg string, _ time.Time) Reply {
	if !validDomainArg(arg) {
		return reply(501, "5.5.4", "Syntax: HELO domain")
	}
	s.hello(arg, false)
	return Reply{Data: []byte("250 " + s.cfg.hostname() + "\r\n")}
}

// hello resets the session as RFC 5321 §4.1.4 says EHLO/HELO does.
func (s *Session) hello(domain string, esmtp bool) {
	s.reset()
	s.heloName = domain
	s.esmtp = esmtp
	s.setState(Ready)
}

// validDomainArg accepts a domain or an address literal: one word of
// printable ASCII.
func validDomainArg(arg string) bool {
	if arg == "" || strings.ContainsAny(arg, " \t") {
		return false
	}
	for i := 0; i < len(arg); i++ {
		if arg[i] < 0x21 || arg[i] > 0x7e {
			return false
		}
	}
	return true
}

// errSyntax is an argument syntax error (501 5.5.4).
var errSyntax = errors.New("smtp: syntax error")

// parsePath reads "FROM:<path> params" or "TO:<path> params" (RFC 5321
// §4.1.2). A space after the colon is tolerated, as most servers do.
func parsePath(arg, keyword string) (path string, params []string, err error) {
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return "", nil, errSyntax
	}
	rest := strings.TrimLeft(arg[len(keyword):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", nil, errSyntax
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, errSyntax
	}
	path = rest[1:end]
	// A source route (RFC 5321 §4.1.2, Appendix C) is accepted and dropped.
	if strings.HasPrefix(path, "@") {
		if i := strings.IndexByte(path, ':'); i >= 0 {
			path = path[i+1:]
		}
	}
	for i := 0; i < len(path); i++ {
		if path[i] < 0x20 || path[i] == 0x7f || path[i] == ' ' || path[i] == '<' {
			return "", nil, errSyntax
		}
	}
	if path != "" && strings.Count(path, "@") != 1 && !strings.EqualFold(path, "postmaster") {
		return "", nil, errSyntax
	}
	if path != "" && (strings.HasPrefix(path, "@") || strings.HasSuffix(path, "@")) {
		return "", nil, errSyntax
	}
	tail := rest[end+1:]
	if tail != "" && tail[0] != ' ' {
		return "", nil, errSyntax
	}
	return path, strings.Fields(tail), nil
}

// mail answers MAIL FROM (RFC 5321 §4.1.1.2) with SIZE (RFC 1870), BODY
// (RFC 6152) and SMTPUTF8 (RFC 6531).
func (s *Session) mail(arg string, _ time.Time) Reply {
	from, params, err := parsePath(arg, "FROM:")
	if err != nil {
		return reply(501, "5.5.4", "Syntax: MAIL FROM:<address>")
	}
	if strings.EqualFold(from, "postmaster") {
		return reply(501, "5.5.4", "Syntax: MAIL FROM:<address>")
	}
	var size int64 = -1
	for _, p := range params {
		key, val, _ := strings.Cut(p, "=")
		switch strings.ToUpper(key) {
		case "SIZE":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 || val == "" || val[0] == '+' {
				return reply(501, "5.5.4", "Bad SIZE parameter")
			}
			size = n
		case "BODY":
			switch strings.ToUpper(val) {
			case "7BIT", "8BITMIME":
			default:
				return reply(501, "5.5.4", "Bad BODY parameter")
			}
		case "SMTPUTF8":
			if val != "" || strings.Contains(p, "=") {
				return reply(501, "5.5.4", "SMTPUTF8 takes no value")
			}
		default:
			return reply(555, "5.5.4", "Unsupported parameter "+sanitize(key))
		}
	}
	if s.state == Connected {
		return reply(503, "5.5.1", "Error: send HELO/EHLO first")
	}
	if s.state != Ready {
		return reply(503, "5.5.1", "Error: nested MAIL command")
	}
	if s.cfg.Submission {
		if s.authUser == "" {
			return reply(530, "5.7.0", "Authentication required")
		}
		user, ok := s.localUser(from)
		if !ok || user != s.authUser {
			return reply(553, "5.7.1", "Sender address rejected: not owned by user "+s.authUser)
		}
	}
	if size > s.cfg.maxSize() {
		return reply(552, "5.3.4", "Message size exceeds fixed limit")
	}
	s.from = from
	s.setState(Mail)
	return reply(250, "2.1.0", "Ok")
}

// localUser maps an address to the user who owns it, if it is local.
func (s *Session) localUser(addr string) (string, bool) {
	if strings.EqualFold(addr, "postmaster") {
		return s.cfg.Postmaster, s.cfg.Postmaster != ""
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", false
	}
	localPart, domain := addr[:at], addr[at+1:]
	if !s.isLocalDomain(domain) {
		return "", false
	}
	if strings.EqualFold(localPart, "postmaster") && s.cfg.Postmaster != "" {
		return s.cfg.Postmaster, true
	}
	if s.cfg.Users == nil {
		return "", false
	}
	if _, ok := s.cfg.Users.Lookup(localPart); ok {
		return localPart, true
	}
	if lower := strings.ToLower(localPart); lower != localPart {
		if _, ok := s.cfg.Users.Lookup(lower); ok {
			return lower, true
		}
	}
	return "", false
}

func (s *Session) isLocalDomain(domain string) bool {
	return slices.ContainsFunc(s.cfg.Domains, func(d string) bool { return strings.EqualFold(d, domain) })
}

// rcpt answers RCPT TO (RFC 5321 §4.1.1.3).
func (s *Session) rcpt(arg string, _ time.Time) Reply {
	to, params, err := parsePath(arg, "TO:")
	if err != nil || to == "" {
		return reply(501, "5.5.4", "Syntax: RCPT TO:<address>")
	}
	if len(params) > 0 {
		return reply(555, "5.5.4", "Unsupported parameter "+sanitize(params[0]))
	}
	if s.state != Mail && s.state != Rcpt {
		return reply(503, "5.5.1", "Error: need MAIL command")
	}
	if s.nrcpt >= MaxRecipients {
		return reply(452, "4.5.3", "Error: too many recipients")
	}
	if user, ok := s.localUser(to); ok {
		if !slices.Contains(s.local, user) {
			s.local = append(s.local, user)
		}
	} else {
		at := strings.LastIndexByte(to, '@')
		if at < 0 || s.isLocalDomain(to[at+1:]) {
			s.emit(Event{Kind: EventRefused, Detail: "unknown user " + sanitize(to)})
			return reply(550, "5.1.1", "<"+sanitize(to)+">: Recipient address rejected: User unknown")
		}
		mayRelay := (s.cfg.Submission && s.authUser != "") ||
			slices.ContainsFunc(s.cfg.RelayDomains, func(d string) bool { return strings.EqualFold(d, to[at+1:]) })
		if !mayRelay || s.cfg.Relay == nil {
			s.emit(Event{Kind: EventRefused, Detail: "relay to " + sanitize(to)})
			return reply(550, "5.7.1", "<"+sanitize(to)+">: Relay access denied")
		}
		s.relay = append(s.relay, to)
	}
	s.nrcpt++
	s.rcpts = append(s.rcpts, to)
	s.setState(Rcpt)
	return reply(250, "2.1.5", "Ok")
}

// data answers DATA (RFC 5321 §4.1.1.4): 354, then message text.
func (s *Session) data(arg string, _ time.Time) Reply {
	if arg != "" {
		return reply(501, "5.5.4", "Syntax: DATA")
	}
	switch s.state {
	case Mail:
		return reply(554, "5.5.1", "Error: no valid recipients")
	case Rcpt:
	default:
		return reply(503, "5.5.1", "Error: need RCPT command")
	}
	s.body.Reset()
	s.setState(Data)
	return reply(354, "", "End data with <CR><LF>.<CR><LF>")
}

// rset answers RSET (RFC 5321 §4.1.1.5).
func (s *Session) rset(arg string, _ time.Time) Reply {
	if arg != "" {
		return reply(501, "5.5.4", "Syntax: RSET")
	}
	s.reset()
	return reply(250, "2.0.0", "Ok")
}

// noop answers NOOP (RFC 5321 §4.1.1.9); an argument is ignored.
func (s *Session) noop(string, time.Time) Reply { return reply(250, "2.0.0", "Ok") }

// quit answers QUIT (RFC 5321 §4.1.1.10).
func (s *Session) quit(arg string, _ time.Time) Reply {
	if arg != "" {
		return reply(501, "5.5.4", "Syntax: QUIT")
	}
	s.reset()
	s.end("quit")
	return Reply{Data: replyLine(221, "2.0.0", s.cfg.hostname()+" Service closing transmission channel"), Close: true}
}

// vrfy answers VRFY (RFC 5321 §3.5.1, §3.5.3) as Config.Verify says.
func (s *Session) vrfy(arg string, _ time.Time) Reply {
	if arg == "" {
		return reply(501, "5.5.4", "Syntax: VRFY address")
	}
	if s.cfg.Verify != nil {
		code, enh, text := s.cfg.Verify(arg)
		if code >= 200 && code <= 599 {
			return reply(code, enh, text)
		}
	}
	return reply(252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery")
}

// expn answers EXPN: wirelab has no mailing lists to expand (RFC 5321 §7.3).
func (s *Session) expn(arg string, _ time.Time) Reply {
	if arg == "" {
		return reply(501, "5.5.4", "Syntax: EXPN list")
	}
	return reply(502, "5.5.1", "EXPN not available")
}

// help answers HELP (RFC 5321 §4.1.1.8).
func (s *Session) help(string, time.Time) Reply {
	return Reply{Data: multiline(214, []string{
		"2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
		"2.0.0 See RFC 5321",
	})}
}

// starttls answers STARTTLS (RFC 3207 §4).
func (s *Session) starttls(arg string, _ time.Time) Reply {
	if arg != "" {
		return reply(501, "5.5.4", "Syntax: STARTTLS")
	}
	if !s.cfg.TLSAvailable {
		return reply(502, "5.5.1", "STARTTLS not available")
	}
	if s.tls {
		return reply(503, "5.5.1", "TLS already active")
	}
	if s.state == Connected {
		return reply(503, "5.5.1", "Error: send EHLO first")
	}
	// RFC 3207 §4.2: the server forgets everything the client said.
	s.reset()
	s.heloName = ""
	s.setState(Connected)
	s.tls = true
	return Reply{Data: replyLine(220, "2.0.0", "Ready to start TLS"), StartTLS: true}
}

// authCmd answers AUTH (RFC 4954 §4), PLAIN only, on submission.
func (s *Session) authCmd(arg string, _ time.Time) Reply {
	if !s.cfg.Submission {
		return reply(502, "5.5.1", "AUTH not available")
	}
	mech, ir, _ := strings.Cut(arg, " ")
	if mech == "" || strings.Contains(ir, " ") {
		return reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]")
	}
	if s.state == Connected {
		return reply(503, "5.5.1", "Error: send EHLO first")
	}
	if s.authUser != "" {
		return reply(503, "5.5.1", "Error: already authenticated")
	}
	if s.state != Ready {
		return reply(503, "5.5.1", "Error: AUTH not allowed during a mail transaction")
	}
	if !strings.EqualFold(mech, "PLAIN") {
		return reply(504, "5.5.4", "Unrecognized authentication type")
	}
	if s.cfg.PlaintextNeedsTLS && !s.tls {
		return reply(538, "5.7.11", "Encryption required for requested authentication mechanism; send STARTTLS first")
	}
	if ir == "" {
		s.saslWait = true
		return Reply{Data: []byte("334 \r\n")}
	}
	if ir == "=" {
		ir = ""
	}
	return s.plain(ir)
}

func (s *Session) saslResponse(line string) Reply {
	s.saslWait = false
	if line == "*" {
		return reply(501, "5.0.0", "Authentication cancelled")
	}
	return s.plain(line)
}

func (s *Session) plain(b64 string) Reply {
	authz, authc, pass, err := auth.DecodePlain(b64)
	if err != nil {
		return reply(501, "5.5.2", "Cannot decode response")
	}
	var aerr error = auth.ErrBadCredentials
	if (authz == "" || authz == authc) && s.cfg.Users != nil {
		aerr = s.cfg.Users.Authenticate(authc, pass)
	}
	if aerr != nil {
		s.emit(Event{Kind: EventAuthFailed, Detail: sanitize(authc)})
		if !errors.Is(aerr, auth.ErrBadCredentials) {
			return reply(454, "4.7.0", "Temporary authentication failure")
		}
		return reply(535, "5.7.8", "Authentication credentials invalid")
	}
	s.authUser = authc
	s.emit(Event{Kind: EventAuth, Detail: authc})
	return reply(235, "2.7.0", "Authentication successful")
}

// queueID names the n-th message of the session, as Postfix-like logs do.
func (s *Session) queueID() string { return fmt.Sprintf("%X%04X", s.id, s.delivered) }
