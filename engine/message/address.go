package message

import "strings"

// Placeholders for what a broken address lacks, as UW IMAP's c-client
// writes them and Dovecot after it, so that clients show something and an
// address without a domain is not taken for a group marker (a NIL host
// means group syntax, RFC 9051 §7.5.2).
const (
	// MissingHost stands for the domain of an address that has none
	// ("alice", "undisclosed-recipients" without the ":;").
	MissingHost = ".MISSING-HOST-NAME."
	// MissingMailbox stands for an empty local part ("<@example.com>",
	// "<>") and for the name of a group that has none (":;").
	MissingMailbox = "MISSING_MAILBOX"
)

// Address is an address structure of an IMAP ENVELOPE (RFC 9051 §7.5.2):
// a mailbox, or a marker of RFC 5322 group syntax. An empty string stands
// for NIL.
//
// A group "name: members;" is a start marker (Mailbox = the group's name,
// Host = ""), then the members, then an end marker (Mailbox = Host = "").
// A mailbox always has a Host, MissingHost if need be.
type Address struct {
	// Name is the display name with RFC 5322 quoting removed; encoded
	// words are left as they are (RFC 9051 §7.5.2 addr-name). An old-style
	// "user@host (Name)" comment becomes the Name too, as c-client does.
	Name string
	// ADL is the source route (obs-route, RFC 5322 §4.4) without its
	// trailing ":", as in "@relay1.example,@relay2.example".
	ADL string
	// Mailbox is the local part with quoting removed, or a group's name.
	Mailbox string
	// Host is the domain, "" in group markers.
	Host string
}

// IsGroupStart reports whether a is the start marker of a group.
func (a Address) IsGroupStart() bool { return a.Host == "" && a.Mailbox != "" }

// IsGroupEnd reports whether a is the end marker of a group.
func (a Address) IsGroupEnd() bool { return a.Host == "" && a.Mailbox == "" }

// Email returns "mailbox@host", or "" for a group marker.
func (a Address) Email() string {
	if a.Host == "" {
		return ""
	}
	return a.Mailbox + "@" + a.Host
}

// DecodedName returns Name with its encoded words decoded (DecodeHeader),
// for display.
func (a Address) DecodedName() string { return DecodeHeader(a.Name) }

// String returns the address for display: `Name <mailbox@host>` with the
// name decoded, "mailbox@host", "group:" or ";".
func (a Address) String() string {
	switch {
	case a.IsGroupEnd():
		return ";"
	case a.IsGroupStart():
		return a.Mailbox + ":"
	case a.Name != "":
		return a.DecodedName() + " <" + a.Email() + ">"
	}
	return a.Email()
}

// addrToken is a lexical element of an address list (RFC 5322 §3.2).
type addrToken struct {
	kind  byte   // 'a' atom, 'q' quoted string, 'l' domain literal, 'c' comment, or one of <>@:;,.
	text  string // the atom, the quoted string's content, the literal with its brackets, the comment's text
	space bool   // white space or a comment comes before it
}

// lexAddresses splits an address-list header value into tokens. Anything
// is accepted: stray specials are tokens, unterminated quoted strings,
// comments and literals run to the end, octets over 127 are atom text
// (RFC 6532 §3.2).
func lexAddresses(s string) []addrToken {
	var toks []addrToken
	space := false
	l := lexer{s: s}
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.i++
			space = true
			continue
		case c == '(':
			toks = append(toks, addrToken{kind: 'c', text: l.comment(), space: space})
			space = true
			continue
		case c == '"':
			toks = append(toks, addrToken{kind: 'q', text: l.quoted(), space: space})
		case c == '[':
			end := strings.IndexByte(s[l.i:], ']')
			if end < 0 {
				end = len(s) - l.i - 1
			}
			toks = append(toks, addrToken{kind: 'l', text: s[l.i : l.i+end+1], space: space})
			l.i += end + 1
		case strings.IndexByte("<>@:;,.", c) >= 0:
			toks = append(toks, addrToken{kind: c, text: s[l.i : l.i+1], space: space})
			l.i++
		default:
			start := l.i
			for l.i < len(s) && !isAddrDelim(s[l.i]) {
				l.i++
			}
			if l.i == start {
				l.i++ // a stray ")": text like any other
			}
			toks = append(toks, addrToken{kind: 'a', text: s[start:l.i], space: space})
		}
		space = false
	}
	return toks
}

func isAddrDelim(c byte) bool {
	return strings.IndexByte(" \t\r\n()\"[<>@:;,.", c) >= 0
}

// ParseAddressList parses the value of an address header field (From, To,
// Cc, ... RFC 5322 §3.4) into IMAP address structures, with group syntax
// kept as start and end markers ("undisclosed-recipients:;" gives two
// markers and no mailbox). Unlike net/mail it does not fail: it accepts
// the obsolete syntax of RFC 5322 §4.4 (source routes, empty list
// elements, CFWS around dots) and, beyond it, the mess found in real
// mail, each element as best it can:
//
//   - "Alice Liddell alice@example.com" (no angle brackets): the last word
//     before "@" is the local part, the words before it the name;
//   - an element without "@" ("alice", "Undisclosed recipients"): the
//     text is the Mailbox and the Host is MissingHost;
//   - an empty local part ("<>", "<@example.com>"): Mailbox is
//     MissingMailbox;
//   - a group without its ";" is closed at the end, a ";" outside a group
//     is ignored, and a ":" inside a group closes the group and opens
//     another;
//   - text after a ">" or after the domain, up to the next ",", is
//     dropped.
func ParseAddressList(s string) []Address {
	toks := lexAddresses(s)
	var out []Address
	inGroup := false
	i := 0
	for i < len(toks) {
		// The phrase: words, dots and comments up to a delimiter.
		start := i
		for i < len(toks) && strings.IndexByte("<>@:;,", toks[i].kind) < 0 {
			i++
		}
		phrase := toks[start:i]
		var next byte
		if i < len(toks) {
			next = toks[i].kind
		}
		switch next {
		case ':':
			if inGroup {
				out = append(out, Address{})
			}
			name := phraseText(phrase)
			if name == "" {
				name = MissingMailbox
			}
			out = append(out, Address{Mailbox: name})
			inGroup = true
			i++
		case '<':
			var a Address
			a, i = angleAddr(toks, i+1)
			a.Name = phraseText(phrase)
			out = append(out, a)
			i = skipToComma(toks, i)
		case '@':
			// addr-spec: the phrase is the local part, or (no angle
			// brackets) a name followed by the local part.
			j := len(phrase)
			if j > 0 {
				j--
				for j > 0 {
					cur, prev := phrase[j], phrase[j-1]
					if prev.kind == 'c' || cur.space && cur.kind != '.' && prev.kind != '.' {
						break
					}
					j--
				}
			}
			var a Address
			a.Name = phraseText(phrase[:j])
			a.Mailbox = localPart(phrase[j:])
			var comment string
			a.Host, comment, i = domain(toks, i+1)
			if a.Name == "" {
				a.Name = comment
			}
			fillMissing(&a)
			out = append(out, a)
			i = skipToComma(toks, i)
		case '>':
			i++ // stray
			continue
		default: // ',', ';' or the end
			if text := phraseText(phrase); text != "" {
				out = append(out, Address{Mailbox: text, Host: MissingHost})
			}
			if next == ';' && inGroup {
				out = append(out, Address{})
				inGroup = false
			}
			i++
		}
	}
	if inGroup {
		out = append(out, Address{})
	}
	return out
}

// angleAddr reads "[@route,...:]local@domain>" from toks[i:].
func angleAddr(toks []addrToken, i int) (Address, int) {
	var a Address
	// obs-route: "@" domain *("," ["@" domain]) ":"
	if i < len(toks) && toks[i].kind == '@' {
		var route strings.Builder
		j := i
		for j < len(toks) && toks[j].kind != ':' && toks[j].kind != '>' {
			if toks[j].kind != 'c' {
				route.WriteString(toks[j].text)
			}
			j++
		}
		if j < len(toks) && toks[j].kind == ':' {
			a.ADL = route.String()
			i = j + 1
		}
	}
	start := i
	for i < len(toks) && strings.IndexByte("@>,;<", toks[i].kind) < 0 {
		i++
	}
	a.Mailbox = localPart(toks[start:i])
	if i < len(toks) && toks[i].kind == '@' {
		a.Host, _, i = domain(toks, i+1)
	}
	fillMissing(&a)
	if i < len(toks) && toks[i].kind == '>' {
		i++
	}
	return a, i
}

// domain reads a domain (dot-atoms and domain literals, obs-domain's CFWS
// allowed around dots) from toks[i:]. It stops at a word after white
// space, which is not part of it, and returns the text of the first
// comment it passed, for the old "user@host (Name)" style.
func domain(toks []addrToken, i int) (host, comment string, next int) {
	var b strings.Builder
	prevDot := true
	for ; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case 'c':
			if comment == "" {
				comment = strings.TrimSpace(t.text)
			}
			continue
		case '.':
			b.WriteByte('.')
			prevDot = true
			continue
		case 'a', 'l':
			if !prevDot && t.space {
				return b.String(), comment, i
			}
			b.WriteString(t.text)
			prevDot = false
			continue
		}
		break
	}
	return b.String(), comment, i
}

// localPart joins the words and dots of a local part without the white
// space and comments around them (obs-local-part, RFC 5322 §4.4).
func localPart(toks []addrToken) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind != 'c' {
			b.WriteString(t.text)
		}
	}
	return b.String()
}

// phraseText joins the words of a display name or group name with single
// spaces where the message had white space, dropping comments (RFC 5322
// §3.2.5; obs-phrase allows "." as in "John Q. Public").
func phraseText(toks []addrToken) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind == 'c' {
			continue
		}
		if t.space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

func fillMissing(a *Address) {
	if a.Mailbox == "" {
		a.Mailbox = MissingMailbox
	}
	if a.Host == "" {
		a.Host = MissingHost
	}
}

// skipToComma skips what is left of a list element: text after ">" or
// after the domain. It stops at "," (consumed), or at ";" or ":" which
// close or open a group.
func skipToComma(toks []addrToken, i int) int {
	for i < len(toks) {
		switch toks[i].kind {
		case ',':
			return i + 1
		case ';', ':':
			return i
		}
		i++
	}
	return i
}
