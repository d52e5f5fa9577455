package mailstore

import (
	"fmt"
	"sort"
	"strings"
)

// Flag is an IMAP message flag (RFC 3501 §2.3.2): a system flag, which
// starts with '\', or a keyword, any other atom ("$Forwarded", "Junk").
// Flags compare case-insensitively; a mailbox keeps the spelling of a
// keyword it saw first.
type Flag string

// The system flags, and the Maildir info letters that carry them on disk
// (https://cr.yp.to/proto/maildir.html: D draft, F flagged, R replied,
// S seen, T trashed).
const (
	FlagSeen     Flag = `\Seen`
	FlagAnswered Flag = `\Answered`
	FlagFlagged  Flag = `\Flagged`
	FlagDeleted  Flag = `\Deleted`
	FlagDraft    Flag = `\Draft`
	// FlagRecent is IMAP4rev1's session flag (RFC 3501 §2.3.2). It is never
	// stored and cannot be set: Select and ClaimRecent say which messages
	// are recent to the caller.
	FlagRecent Flag = `\Recent`
)

// Keyword limits.
const (
	// MaxKeywords is how many keywords one mailbox can hold: Maildir's info
	// suffix has the 26 letters a..z for them, each mapped to a name by the
	// mailbox's dovecot-keywords file. A flag change or delivery that would
	// define a 27th fails with ErrTooManyKeywords and changes nothing (so
	// can an earlier one when files carry letters dovecot-keywords does not
	// name: those letters stay reserved, so as not to change meaning); an
	// IMAP server answers NO [LIMIT] (RFC 5530) and, once a mailbox is
	// full, leaves \* out of PERMANENTFLAGS (RFC 3501 §7.1).
	MaxKeywords = 26
	// MaxKeywordLength bounds a keyword in octets, as Dovecot's
	// mail_max_keyword_length (50) does.
	MaxKeywordLength = 50
)

var letterOf = map[Flag]byte{
	FlagDraft:    'D',
	FlagFlagged:  'F',
	FlagAnswered: 'R',
	FlagSeen:     'S',
	FlagDeleted:  'T',
}

var flagOf = map[byte]Flag{
	'D': FlagDraft,
	'F': FlagFlagged,
	'R': FlagAnswered,
	'S': FlagSeen,
	'T': FlagDeleted,
}

// SystemFlags returns the system flags the store keeps, for an IMAP FLAGS
// response: \Answered \Flagged \Deleted \Seen \Draft.
func SystemFlags() []Flag {
	return []Flag{FlagAnswered, FlagFlagged, FlagDeleted, FlagSeen, FlagDraft}
}

// IsKeyword reports whether f is a keyword rather than a system flag.
func IsKeyword(f Flag) bool { return !strings.HasPrefix(string(f), `\`) }

// ParseFlag checks a flag name. System flags match case-insensitively and
// come back in their canonical spelling; a keyword must be an IMAP atom
// (RFC 3501 §9: no SP, CTL, '(', ')', '{', '%', '*', '"', '\' or ']') of at
// most MaxKeywordLength octets and comes back as given. \Recent and unknown
// '\' names fail with ErrBadFlag.
func ParseFlag(s string) (Flag, error) {
	if strings.HasPrefix(s, `\`) {
		for f := range letterOf {
			if strings.EqualFold(string(f), s) {
				return f, nil
			}
		}
		if strings.EqualFold(s, string(FlagRecent)) {
			return "", fmt.Errorf("%w: %s is a session flag", ErrBadFlag, FlagRecent)
		}
		return "", fmt.Errorf("%w: unsupported flag %q", ErrBadFlag, s)
	}
	if s == "" || len(s) > MaxKeywordLength {
		return "", fmt.Errorf("%w: keyword %q must have 1 to %d octets", ErrBadFlag, s, MaxKeywordLength)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return "", fmt.Errorf("%w: keyword %q is not an atom", ErrBadFlag, s)
		}
	}
	return Flag(s), nil
}

// normalizeFlags validates flags and returns them sorted (sortFlags)
// without duplicates, keeping the first spelling of each keyword.
func normalizeFlags(flags []Flag) ([]Flag, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := make([]Flag, 0, len(flags))
	for _, f := range flags {
		g, err := ParseFlag(string(f))
		if err != nil {
			return nil, err
		}
		if !hasFlagFold(out, g) {
			out = append(out, g)
		}
	}
	sortFlags(out)
	return out, nil
}

// sortFlags puts system flags first in byte order, then keywords in
// case-insensitive order: a deterministic order for file names, tests and
// FETCH FLAGS.
func sortFlags(flags []Flag) {
	sort.Slice(flags, func(i, j int) bool { return flagLess(flags[i], flags[j]) })
}

func flagLess(a, b Flag) bool {
	ka, kb := IsKeyword(a), IsKeyword(b)
	if ka != kb {
		return !ka
	}
	if !ka {
		return a < b
	}
	la, lb := strings.ToLower(string(a)), strings.ToLower(string(b))
	if la != lb {
		return la < lb
	}
	return a < b
}

func hasFlag(flags []Flag, f Flag) bool {
	for _, g := range flags {
		if g == f {
			return true
		}
	}
	return false
}

func hasFlagFold(flags []Flag, f Flag) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

func equalFlags(a, b []Flag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flagsFromInfo reads the letters after ":2,". Upper-case letters are
// system flags, lower-case ones keywords of kw. Letters wirelab does not map
// (P for passed, a keyword letter missing from dovecot-keywords) are
// returned as extra so they survive flag changes.
func flagsFromInfo(info string, kw *keywordTable) (flags []Flag, extra string) {
	var ex []byte
	for i := 0; i < len(info); i++ {
		c := info[i]
		if f, ok := flagOf[c]; ok {
			if !hasFlag(flags, f) {
				flags = append(flags, f)
			}
			continue
		}
		if f, ok := kw.byLetter(c); ok {
			if !hasFlag(flags, f) {
				flags = append(flags, f)
			}
			continue
		}
		ex = append(ex, c)
	}
	sortFlags(flags)
	return flags, string(ex)
}

// infoFromFlags builds the info letters; Maildir wants them in ASCII order.
// Every keyword in flags must be defined in kw.
func infoFromFlags(flags []Flag, extra string, kw *keywordTable) string {
	letters := []byte(extra)
	for _, f := range flags {
		if c, ok := letterOf[f]; ok {
			letters = append(letters, c)
		} else if c, ok := kw.letter(f); ok {
			letters = append(letters, c)
		}
	}
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	return string(letters)
}

// infoOf returns the info letters of a file name relative to the mailbox
// ("cur/<key>:2,<info>"), or "" when it has none.
func infoOf(file string) string {
	if _, info, ok := strings.Cut(file, ":"); ok && strings.HasPrefix(info, "2,") {
		return info[2:]
	}
	return ""
}
