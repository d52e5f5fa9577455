// Package imapwire is the wire syntax of IMAP: the formal syntax of RFC 3501
// §9 (IMAP4rev1) and RFC 9051 §9 (IMAP4rev2), with the extensions a server
// meets on the wire — non-synchronizing literals (LITERAL+/LITERAL-, RFC
// 7888), literal8 (BINARY, RFC 3516), "$" (SEARCHRES, RFC 5182) and
// mod-sequences (CONDSTORE, RFC 7162).
//
// It has four parts, none of which does I/O:
//
//   - [Reader] frames the client's byte stream into complete commands. It
//     sees literals, asks the server whether to accept a synchronizing one
//     (the server then sends "+ ..." or a tagged NO/BAD), enforces the named
//     limits in [Limits], and turns an overlong line into an error without
//     buffering it.
//   - [Decoder] reads the elements of one complete command. Its methods are
//     named after the grammar (Tag, Atom, AString, SequenceSet, DateTime,
//     Mailbox, Section ...); the first failure is kept as a [*SyntaxError]
//     whose message is meant for the client's BAD response, and later calls
//     do nothing.
//   - [Encoder] builds server responses, choosing atom, quoted string or
//     literal for each value so that the result parses on the other side.
//   - The codecs under them: modified UTF-7 mailbox names (RFC 3501 §5.1.3),
//     [SeqSet] sequence sets, INTERNALDATE date-times, FETCH sections.
//
// What is meant by "be liberal": the Decoder follows the ABNF strictly except
// where real peers are known to deviate harmlessly, and each such place says
// so (a trailing SP before the end of a command, a one-digit day in a
// date-time, a bare LF as a line ending in the Reader).
package imapwire

import (
	"errors"
	"strconv"
)

// Limits for which no configuration is offered.
const (
	// MaxListDepth bounds the nesting of parenthesized lists a Decoder
	// follows. The grammar nests lists only for search keys, BODYSTRUCTURE
	// and extension data; real commands stay under 5 levels. The bound keeps
	// a recursive descent over hostile input shallow.
	MaxListDepth = 32
	// MaxSeqSetRanges bounds the ranges of one parsed sequence set, whatever
	// the line limit is, so that parsing and sorting a set costs a bounded
	// amount of work and memory (a 64 KiB line could hold 32768 of them).
	MaxSeqSetRanges = 16384
	// maxQuotedLength is the longest string the Encoder sends quoted; longer
	// ones go as literals, which need no escaping and cost a client no
	// scanning for the closing quote.
	maxQuotedLength = 1024
)

// Sentinel errors, tested with errors.Is. The Reader reports them inside a
// [*CommandError].
var (
	// ErrLineTooLong: a line outside literals exceeded Limits.MaxLine.
	ErrLineTooLong = errors.New("imapwire: command line too long")
	// ErrLiteralTooLarge: a literal exceeded Limits.MaxLiteral (or
	// MaxNonSyncLiteral), or its octet count was not a number64.
	ErrLiteralTooLarge = errors.New("imapwire: literal too large")
	// ErrTooManyLiterals: a command announced more than Limits.MaxLiterals
	// literals.
	ErrTooManyLiterals = errors.New("imapwire: too many literals in one command")
	// ErrCommandTooLarge: the lines and literals of one command together
	// exceeded Limits.MaxCommand.
	ErrCommandTooLarge = errors.New("imapwire: command too large")
	// ErrModifiedUTF7: a mailbox name is not valid modified UTF-7.
	ErrModifiedUTF7 = errors.New("imapwire: invalid modified UTF-7")
)

// A SyntaxError describes the first thing a [Decoder] found wrong in a
// command, in words meant for the developer of the client that sent it: a
// server answers it with "tag BAD " + Msg.
type SyntaxError struct {
	Pos      int    // octet offset in the command where the problem is
	Expected string // the grammar element that was expected ("SP", "sequence-set"), or ""
	Msg      string // e.g. `expected SP after tag, found "("` or `invalid sequence set "1:x"`
	Err      error  // the underlying error (ErrModifiedUTF7 ...), if any
}

func (e *SyntaxError) Error() string {
	return "imapwire: " + e.Msg + " (at octet " + strconv.Itoa(e.Pos) + ")"
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Character classes of RFC 3501 §9 / RFC 9051 §9.
const (
	cAtom    = 1 << iota // ATOM-CHAR
	cAString             // ASTRING-CHAR = ATOM-CHAR / resp-specials
	cTag                 // ASTRING-CHAR except "+"
	cList                // list-char = ATOM-CHAR / list-wildcards / resp-specials
	cSeq                 // what a sequence-set token is read as: ATOM-CHAR / "*"
)

var charClass = func() (t [256]uint8) {
	for c := 0x01; c < 0x80; c++ {
		switch {
		case c < 0x20 || c == 0x7f: // CTL
			continue
		case c == '(' || c == ')' || c == '{' || c == ' ' || c == '"' || c == '\\':
			continue
		case c == '%' || c == '*': // list-wildcards
			t[c] = cList
			if c == '*' {
				t[c] |= cSeq
			}
			continue
		case c == ']': // resp-specials
			t[c] = cAString | cTag | cList
			continue
		}
		t[c] = cAtom | cAString | cTag | cList | cSeq
	}
	t['+'] &^= cTag
	return t
}()

func isAtomChar(c byte) bool    { return charClass[c]&cAtom != 0 }
func isAStringChar(c byte) bool { return charClass[c]&cAString != 0 }
func isTagChar(c byte) bool     { return charClass[c]&cTag != 0 }

// IsAtom reports whether s can be sent as an atom: non-empty and made of
// ATOM-CHARs only.
func IsAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtomChar(s[i]) {
			return false
		}
	}
	return true
}

// IsTag reports whether s is a valid tag (RFC 9051 §9: 1*<any ASTRING-CHAR
// except "+">).
func IsTag(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTagChar(s[i]) {
			return false
		}
	}
	return true
}

// intern holds the atoms that commands are made of, so that reading them
// does not allocate: a map indexed with string(b) does not copy b.
var intern = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		// commands (RFC 9051 §6, RFC 3501 §6, common extensions)
		"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN",
		"ENABLE", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME",
		"SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS",
		"APPEND", "IDLE", "DONE", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE",
		"SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "ID", "SORT", "THREAD",
		// FETCH items and macros
		"ALL", "FAST", "FULL", "ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822",
		"RFC822.HEADER", "RFC822.SIZE", "RFC822.TEXT", "BODY", "BODY.PEEK",
		"BODYSTRUCTURE", "BINARY", "BINARY.PEEK", "BINARY.SIZE", "MODSEQ",
		"HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME",
		"EMAILID", "THREADID", "SAVEDATE", "CHANGEDSINCE", "UNCHANGEDSINCE", "VANISHED",
		// STORE
		"+FLAGS", "-FLAGS", "FLAGS.SILENT", "+FLAGS.SILENT", "-FLAGS.SILENT",
		// STATUS items
		"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT",
		"HIGHESTMODSEQ",
		// SEARCH keys and options
		"ANSWERED", "BCC", "BEFORE", "CC", "FLAGGED", "FROM", "KEYWORD", "NEW",
		"OLD", "ON", "SEEN", "SINCE", "SUBJECT", "TO", "UNANSWERED", "UNDELETED",
		"UNFLAGGED", "UNKEYWORD", "UNSEEN", "DRAFT", "LARGER", "NOT", "OR",
		"SENTBEFORE", "SENTON", "SENTSINCE", "SMALLER", "UNDRAFT", "CHARSET",
		"RETURN", "MIN", "MAX", "COUNT", "SAVE", "UTF-8", "US-ASCII",
		// LIST options, ENABLE capabilities
		"SUBSCRIBED", "CHILDREN", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE",
		"IMAP4rev2", "IMAP4REV2", "CONDSTORE", "QRESYNC", "UTF8=ACCEPT",
		"NIL", "INBOX",
	} {
		m[s] = s
	}
	return m
}()

// internBytes returns b as a string, without allocating when b is one of the
// interned atoms.
func internBytes(b []byte) string {
	if s, ok := intern[string(b)]; ok {
		return s
	}
	return string(b)
}
