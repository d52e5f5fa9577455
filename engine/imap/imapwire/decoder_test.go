package imapwire_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// Element readers for the tables: each decodes one element and returns it
// in a comparable form.
var (
	tagOf       = func(d *imapwire.Decoder) any { return d.Tag() }
	atomOf      = func(d *imapwire.Decoder) any { return d.Atom() }
	keywordOf   = func(d *imapwire.Decoder) any { return d.Keyword() }
	astringOf   = func(d *imapwire.Decoder) any { return d.AString() }
	strOf       = func(d *imapwire.Decoder) any { return d.Str() }
	quotedOf    = func(d *imapwire.Decoder) any { return d.Quoted() }
	literalOf   = func(d *imapwire.Decoder) any { return string(d.Literal()) }
	numberOf    = func(d *imapwire.Decoder) any { return d.Number() }
	nzNumberOf  = func(d *imapwire.Decoder) any { return d.NZNumber() }
	number64Of  = func(d *imapwire.Decoder) any { return d.Number64() }
	modSeqOf    = func(d *imapwire.Decoder) any { return d.ModSeq() }
	flagOf      = func(d *imapwire.Decoder) any { return d.Flag() }
	flagPermOf  = func(d *imapwire.Decoder) any { return d.FlagPerm() }
	flagListOf  = func(d *imapwire.Decoder) any { return d.FlagList() }
	seqSetOf    = func(d *imapwire.Decoder) any { return d.SequenceSet().String() }
	mailboxOf   = func(d *imapwire.Decoder) any { return d.Mailbox() }
	listMboxOf  = func(d *imapwire.Decoder) any { return d.ListMailbox() }
	sectionOf   = func(d *imapwire.Decoder) any { s := d.Section(); return "[" + s.String() + "]" }
	dateOf      = func(d *imapwire.Decoder) any { return d.Date().Format(time.RFC3339) }
	dateTimeOf  = func(d *imapwire.Decoder) any { return d.DateTime().Format(time.RFC3339) }
	fetchAttsOf = func(d *imapwire.Decoder) any {
		var out []string
		for _, a := range d.FetchAtts() {
			out = append(out, a.String())
		}
		return out
	}
	nstringOf = func(d *imapwire.Decoder) any {
		s, ok := d.NString()
		if !ok {
			return "<NIL>"
		}
		return s
	}
	literal8Of = func(d *imapwire.Decoder) any {
		b, bin := d.Literal8()
		if bin {
			return "binary:" + string(b)
		}
		return string(b)
	}
)

type decodeCase struct {
	name string
	in   string
	utf8 bool
	f    func(*imapwire.Decoder) any
	want any    // the value, when err is ""
	err  string // the SyntaxError's Msg
}

func runDecodeCases(t *testing.T, tests []decodeCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := imapwire.NewDecoder([]byte(tc.in))
			d.UTF8 = tc.utf8
			got := tc.f(d)
			err := d.End()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("decoding %q: %v", tc.in, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("decoding %q (-want +got):\n%s", tc.in, diff)
				}
				return
			}
			var se *imapwire.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("decoding %q: error %v, want a *SyntaxError %q", tc.in, err, tc.err)
			}
			if se.Msg != tc.err {
				t.Errorf("decoding %q:\n got error %q\nwant error %q", tc.in, se.Msg, tc.err)
			}
		})
	}
}

func TestDecodeAtoms(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "tag", in: "a001", f: tagOf, want: "a001"},
		{name: "tag with ]", in: "A]1", f: tagOf, want: "A]1"},
		{name: "tag with punctuation", in: "x.y-z_1:2", f: tagOf, want: "x.y-z_1:2"},
		{name: "missing tag", in: "", f: tagOf, err: "missing tag"},
		{name: "missing tag before SP", in: " NOOP", f: tagOf, err: "missing tag"},
		{name: "tag with +", in: "A+1 NOOP", f: tagOf, err: `invalid character "+" in tag`},
		{name: "tag +", in: "+ NOOP", f: tagOf, err: `invalid character "+" in tag`},
		{name: "tag with (", in: "A(1 NOOP", f: tagOf, err: `invalid character "(" in tag`},
		{name: "tag *", in: "* OK", f: tagOf, err: `invalid character "*" in tag`},
		{name: "tag with %", in: "A% NOOP", f: tagOf, err: `invalid character "%" in tag`},
		{name: "tag with quote", in: `"A1" NOOP`, f: tagOf, err: `invalid character "\"" in tag`},
		{name: "tag with {", in: "A{1 NOOP", f: tagOf, err: `invalid character "{" in tag`},
		{name: "tag with backslash", in: `A\1 NOOP`, f: tagOf, err: `invalid character "\\" in tag`},
		{name: "tag with control", in: "A\x01 NOOP", f: tagOf, err: "invalid character control character 0x01 in tag"},
		{name: "tag with 8-bit", in: "Aé NOOP", f: tagOf, err: "invalid character 8-bit octet 0xC3 in tag"},
		{name: "tag with NUL", in: "A\x00 NOOP", f: tagOf, err: "invalid character control character 0x00 in tag"},

		{name: "atom", in: "FETCH", f: atomOf, want: "FETCH"},
		{name: "atom keeps case", in: "fetch", f: atomOf, want: "fetch"},
		{name: "atom with 8-bit", in: "é", f: atomOf, err: "expected atom, found 8-bit octet 0xC3"},
		{name: "atom stops at ]", in: "a]", f: atomOf, err: `expected end of command after atom, found "]"`},
		{name: "empty atom", in: "(", f: atomOf, err: `expected atom, found "("`},
		{name: "keyword", in: "uid", f: keywordOf, want: "UID"},
		{name: "keyword mixed case", in: "FeTcH", f: keywordOf, want: "FETCH"},
		{name: "keyword unknown", in: "x-pig-latin", f: keywordOf, want: "X-PIG-LATIN"},
		{name: "keyword long", in: strings.Repeat("a", 40), f: keywordOf, want: strings.Repeat("A", 40)},

		{name: "astring atom", in: "fred", f: astringOf, want: "fred"},
		{name: "astring with ]", in: "f]red", f: astringOf, want: "f]red"},
		{name: "astring NIL is a string", in: "NIL", f: astringOf, want: "NIL"},
		{name: "astring quoted", in: `"fred foobar"`, f: astringOf, want: "fred foobar"},
		{name: "astring empty quoted", in: `""`, f: astringOf, want: ""},
		{name: "astring literal", in: "{11}\r\nFRED FOOBAR", f: astringOf, want: "FRED FOOBAR"},
		{name: "astring non-sync literal", in: "{7+}\r\nfat man", f: astringOf, want: "fat man"},
		{name: "astring empty literal", in: "{0}\r\n", f: astringOf, want: ""},
		{name: "astring literal with CRLF", in: "{4}\r\na\r\nb", f: astringOf, want: "a\r\nb"},
		{name: "astring literal with NUL", in: "{3}\r\na\x00b", f: astringOf, err: "NUL at octet 1 of a literal (only literal8, ~{n}, may carry NUL)"},
		{name: "astring missing", in: "", f: astringOf, err: "expected astring, found end of command"},
		{name: "astring wildcard", in: "a*", f: astringOf, err: `expected end of command after astring, found "*"`},
		{name: "astring 8-bit atom", in: "fréd", f: astringOf, err: "expected end of command after astring, found 8-bit octet 0xC3"},
	})
}

func TestDecodeStrings(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "quoted", in: `"hello world"`, f: quotedOf, want: "hello world"},
		{name: "quoted escapes", in: `"a\"b\\c"`, f: quotedOf, want: `a"b\c`},
		{name: "quoted only escapes", in: `"\\\""`, f: quotedOf, want: `\"`},
		{name: "quoted UTF-8", in: `"мать"`, f: quotedOf, want: "мать"},
		{name: "quoted specials inside", in: `"(){}%*]"`, f: quotedOf, want: "(){}%*]"},
		{name: "unterminated quoted", in: `"abc`, f: quotedOf, err: "unterminated quoted string"},
		{name: "unterminated quoted at CR", in: "\"abc {3}\r\nxyz\"", f: quotedOf, err: "unterminated quoted string"},
		{name: "quoted ending in backslash", in: `"abc\`, f: quotedOf, err: "unterminated quoted string"},
		{name: "quoted with escaped end", in: `"abc\"`, f: quotedOf, err: "unterminated quoted string"},
		{name: "bad escape", in: `"a\nb"`, f: quotedOf, err: `invalid escape "\n" in quoted string (only \" and \\ are allowed)`},
		{name: "bad escape of space", in: `"a\ b"`, f: quotedOf, err: `invalid escape "\ " in quoted string (only \" and \\ are allowed)`},
		{name: "NUL in quoted", in: "\"a\x00b\"", f: quotedOf, err: "NUL in quoted string"},
		{name: "not quoted", in: "abc", f: quotedOf, err: `expected quoted string, found "a"`},

		{name: "string quoted", in: `"x"`, f: strOf, want: "x"},
		{name: "string literal", in: "{1}\r\nx", f: strOf, want: "x"},
		{name: "string atom", in: "x", f: strOf, err: `expected string (quoted or literal), found "x"`},

		{name: "nstring NIL", in: "NIL", f: nstringOf, want: "<NIL>"},
		{name: "nstring nil", in: "nil", f: nstringOf, want: "<NIL>"},
		{name: "nstring quoted NIL", in: `"NIL"`, f: nstringOf, want: "NIL"},
		{name: "nstring literal", in: "{2}\r\nab", f: nstringOf, want: "ab"},
		{name: "nstring NILS", in: "NILS", f: nstringOf, err: `expected string or NIL, found "N"`},

		{name: "literal", in: "{5}\r\nhello", f: literalOf, want: "hello"},
		{name: "literal keeps NUL", in: "{3}\r\na\x00b", f: literalOf, want: "a\x00b"},
		{name: "literal with leading zeros", in: "{005}\r\nhello", f: literalOf, want: "hello"},
		{name: "literal missing CRLF", in: "{5}hello", f: literalOf, err: `expected CRLF after literal {5}, found "h"`},
		{name: "literal with LF only", in: "{5}\nhello", f: literalOf, err: "expected CRLF after literal {5}, found end of line"},
		{name: "literal short", in: "{5}\r\nhell", f: literalOf, err: "literal announces 5 octets but only 4 follow"},
		{name: "literal count overflow", in: "{99999999999999999999}\r\n", f: literalOf, err: "literal octet count 99999999999999999999 is too large"},
		{name: "literal without count", in: "{}\r\n", f: literalOf, err: `expected the literal's octet count after "{", found "}"`},
		{name: "literal bad count", in: "{1a}\r\n", f: literalOf, err: `expected "}" after the literal's octet count, found "a"`},
		{name: "literal8 is not a literal", in: "~{1}\r\nx", f: literalOf, err: `expected literal, found "~"`},
		{name: "literal8", in: "~{3}\r\na\x00b", f: literal8Of, want: "binary:a\x00b"},
		{name: "literal8 non-sync", in: "~{1+}\r\n\x00", f: literal8Of, want: "binary:\x00"},
		{name: "literal8 accepts literal", in: "{1}\r\nx", f: literal8Of, want: "x"},
		{name: "literal8 missing", in: "x", f: literal8Of, err: `expected literal or literal8, found "x"`},
	})
}

func TestDecodeNumbers(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "number", in: "12", f: numberOf, want: uint32(12)},
		{name: "number 0", in: "0", f: numberOf, want: uint32(0)},
		{name: "number leading zeros", in: "007", f: numberOf, want: uint32(7)},
		{name: "number max", in: "4294967295", f: numberOf, want: uint32(4294967295)},
		{name: "number overflow", in: "4294967296", f: numberOf, err: "number 4294967296 is out of range (0 to 4294967295)"},
		{name: "number with letters", in: "12a", f: numberOf, err: `invalid number "12a"`},
		{name: "number negative", in: "-1", f: numberOf, err: `invalid number "-1"`},
		{name: "number missing", in: "", f: numberOf, err: "expected number, found end of command"},
		{name: "number in parens", in: "(1)", f: numberOf, err: `expected number, found "("`},
		{name: "nz-number", in: "3857529045", f: nzNumberOf, want: uint32(3857529045)},
		{name: "nz-number 0", in: "0", f: nzNumberOf, err: `invalid nz-number "0" (must be 1 or more, without leading zeros)`},
		{name: "nz-number leading zero", in: "01", f: nzNumberOf, err: `invalid nz-number "01" (must be 1 or more, without leading zeros)`},
		{name: "nz-number overflow", in: "99999999999", f: nzNumberOf, err: "number 99999999999 is out of range (1 to 4294967295)"},
		{name: "number64", in: "9223372036854775807", f: number64Of, want: uint64(1<<63 - 1)},
		{name: "number64 overflow", in: "9223372036854775808", f: number64Of, err: "number 9223372036854775808 is out of range (0 to 9223372036854775807)"},
		{name: "mod-sequence", in: "12121231000", f: modSeqOf, want: uint64(12121231000)},
		{name: "mod-sequence 0", in: "0", f: modSeqOf, err: "mod-sequence must be 1 or more"},
	})
}

func TestDecodeFlags(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "system flag", in: `\Seen`, f: flagOf, want: `\Seen`},
		{name: "system flag lower case", in: `\deleted`, f: flagOf, want: `\Deleted`},
		{name: "system flag upper case", in: `\ANSWERED`, f: flagOf, want: `\Answered`},
		{name: "recent", in: `\recent`, f: flagOf, want: `\Recent`},
		{name: "flag extension", in: `\X-Custom`, f: flagOf, want: `\X-Custom`},
		{name: "keyword", in: "$Forwarded", f: flagOf, want: "$Forwarded"},
		{name: "keyword as sent", in: "$junk", f: flagOf, want: "$junk"},
		{name: `\* is not a flag`, in: `\*`, f: flagOf, err: `"\*" is not a flag (it only appears in PERMANENTFLAGS)`},
		{name: `\* in PERMANENTFLAGS`, in: `\*`, f: flagPermOf, want: `\*`},
		{name: "lone backslash", in: `\`, f: flagOf, err: `expected a flag name after "\", found end of command`},
		{name: "backslash SP", in: `\ Seen`, f: flagOf, err: `expected a flag name after "\", found SP`},
		{name: "flag missing", in: "(", f: flagOf, err: `expected flag, found "("`},
		{name: "flag list", in: `(\Seen \answered $Label1)`, f: flagListOf, want: []string{`\Seen`, `\Answered`, "$Label1"}},
		{name: "empty flag list", in: "()", f: flagListOf, want: []string(nil)},
		{name: "flag list one", in: `(\Deleted)`, f: flagListOf, want: []string{`\Deleted`}},
		{name: "flag list double SP", in: `(\Seen  \Draft)`, f: flagListOf, err: "expected flag, found a second SP (arguments are separated by exactly one SP)"},
		{name: "flag list leading SP", in: `( \Seen)`, f: flagListOf, err: "expected flag, found SP"},
		{name: "flag list trailing SP", in: `(\Seen )`, f: flagListOf, err: `expected flag, found ")"`},
		{name: "flag list unterminated", in: `(\Seen`, f: flagListOf, err: `expected SP or ")", found end of command`},
		{name: "flag list not a list", in: `\Seen`, f: flagListOf, err: `expected "(", found "\\"`},
		{name: "flag list nested", in: `((\Seen))`, f: flagListOf, err: `expected flag, found "("`},
		{name: "flag list with \\*", in: `(\*)`, f: flagListOf, err: `"\*" is not a flag (it only appears in PERMANENTFLAGS)`},
	})
}

func TestDecodeSequenceSet(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "number", in: "12", f: seqSetOf, want: "12"},
		{name: "star", in: "*", f: seqSetOf, want: "*"},
		{name: "range", in: "2:4", f: seqSetOf, want: "2:4"},
		{name: "reversed range", in: "4:2", f: seqSetOf, want: "2:4"},
		{name: "open range", in: "1:*", f: seqSetOf, want: "1:*"},
		{name: "star first", in: "*:4", f: seqSetOf, want: "4:*"},
		{name: "star star", in: "*:*", f: seqSetOf, want: "*"},
		{name: "list", in: "2,4:7,9,12:*", f: seqSetOf, want: "2,4:7,9,12:*"},
		{name: "list merged", in: "1,2,3,5:6,4", f: seqSetOf, want: "1:6"},
		{name: "RFC 9051 example", in: "*:4,5:7", f: seqSetOf, want: "5:7,4:*"},
		{name: "searchres", in: "$", f: seqSetOf, want: "$"},
		{name: "max", in: "4294967295", f: seqSetOf, want: "4294967295"},
		{name: "zero", in: "0", f: seqSetOf, err: `invalid sequence set "0": 0 is not a valid message number (they start at 1)`},
		{name: "zero in range", in: "0:5", f: seqSetOf, err: `invalid sequence set "0:5": 0 is not a valid message number (they start at 1)`},
		{name: "open end", in: "1:", f: seqSetOf, err: `invalid sequence set "1:": missing number at the end`},
		{name: "open start", in: ":1", f: seqSetOf, err: `invalid sequence set ":1": expected a number or "*" at offset 0`},
		{name: "double comma", in: "1,,2", f: seqSetOf, err: `invalid sequence set "1,,2": expected a number or "*" at offset 2`},
		{name: "trailing comma", in: "1,", f: seqSetOf, err: `invalid sequence set "1,": missing number at the end`},
		{name: "leading comma", in: ",1", f: seqSetOf, err: `invalid sequence set ",1": expected a number or "*" at offset 0`},
		{name: "overflow", in: "4294967296", f: seqSetOf, err: `invalid sequence set "4294967296": number 4294967296 is larger than 4294967295`},
		{name: "letters", in: "1:x", f: seqSetOf, err: `invalid sequence set "1:x": expected a number or "*" at offset 2`},
		{name: "three parts", in: "1:2:3", f: seqSetOf, err: `invalid sequence set "1:2:3": unexpected ':' at offset 3`},
		{name: "leading zero", in: "01", f: seqSetOf, err: `invalid sequence set "01": number 01 has a leading zero`},
		{name: "dollar with more", in: "$,1", f: seqSetOf, err: `invalid sequence set "$,1": "$" must stand alone`},
		{name: "missing", in: "(", f: seqSetOf, err: `expected sequence set, found "("`},
	})
}

func TestDecodeMailbox(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "atom", in: "blurdybloop", f: mailboxOf, want: "blurdybloop"},
		{name: "INBOX", in: "INBOX", f: mailboxOf, want: "INBOX"},
		{name: "inbox", in: "inbox", f: mailboxOf, want: "INBOX"},
		{name: "iNbOx quoted", in: `"iNbOx"`, f: mailboxOf, want: "INBOX"},
		{name: "inbox literal", in: "{5}\r\nInBoX", f: mailboxOf, want: "INBOX"},
		{name: "inbox child keeps case", in: "inbox/foo", f: mailboxOf, want: "inbox/foo"},
		{name: "hierarchy", in: "owatagusiam/blurdybloop", f: mailboxOf, want: "owatagusiam/blurdybloop"},
		{name: "quoted with space", in: `"Sent Mail"`, f: mailboxOf, want: "Sent Mail"},
		{name: "modified UTF-7", in: "~peter/mail/&U,BTFw-/&ZeVnLIqe-", f: mailboxOf, want: "~peter/mail/台北/日本語"},
		{name: "ampersand", in: `"Tom &- Jerry"`, f: mailboxOf, want: "Tom & Jerry"},
		{name: "bare ampersand", in: `"Tom & Jerry"`, f: mailboxOf, err: `mailbox name "Tom & Jerry" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 4: "&" starts an encoded run that no "-" ends`},
		{name: "8-bit without UTF8=ACCEPT", in: `"Entwürfe"`, f: mailboxOf, err: `mailbox name "Entwürfe" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 4: octet 0xc3 is not printable US-ASCII`},
		{name: "UTF-8 with UTF8=ACCEPT", in: `"Entwürfe"`, utf8: true, f: mailboxOf, want: "Entwürfe"},
		{name: "ampersand with UTF8=ACCEPT", in: `"Tom & Jerry"`, utf8: true, f: mailboxOf, want: "Tom & Jerry"},
		{name: "invalid UTF-8", in: "\"a\xffb\"", utf8: true, f: mailboxOf, err: `mailbox name "a\xffb" is not valid UTF-8`},
		{name: "control character", in: "{3}\r\na\tb", utf8: true, f: mailboxOf, err: `mailbox name "a\tb" contains a control character`},
		{name: "encoded NUL", in: "a&AAA-b", f: mailboxOf, err: `mailbox name "a\x00b" contains a control character`},
		{name: "wildcard", in: "a%", f: mailboxOf, err: `expected end of command after mailbox name, found "%"`},

		{name: "pattern star", in: "*", f: listMboxOf, want: "*"},
		{name: "pattern percent", in: "~/Mail/%", f: listMboxOf, want: "~/Mail/%"},
		{name: "pattern quoted", in: `"#Users/%"`, f: listMboxOf, want: "#Users/%"},
		{name: "pattern empty", in: `""`, f: listMboxOf, want: ""},
		{name: "pattern with ]", in: "a]*", f: listMboxOf, want: "a]*"},
		{name: "pattern inbox kept", in: "inbox", f: listMboxOf, want: "inbox"},
		{name: "pattern modified UTF-7", in: "&ZeVnLIqe-*", f: listMboxOf, want: "日本語*"},
		{name: "pattern bad modified UTF-7", in: "&Jjo!", f: listMboxOf, err: `mailbox pattern "&Jjo!" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`},
		{name: "pattern lone ampersand", in: "&", f: listMboxOf, err: `mailbox pattern "&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`},
		{name: "pattern missing", in: "(", f: listMboxOf, err: `expected mailbox name or pattern, found "("`},
	})
}

func TestDecodeDates(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "date", in: "1-Feb-1994", f: dateOf, want: "1994-02-01T00:00:00Z"},
		{name: "date two-digit day", in: "12-Feb-2006", f: dateOf, want: "2006-02-12T00:00:00Z"},
		{name: "date quoted", in: `"28-Oct-2006"`, f: dateOf, want: "2006-10-28T00:00:00Z"},
		{name: "date month case", in: "1-fEB-1994", f: dateOf, want: "1994-02-01T00:00:00Z"},
		{name: "date leap day", in: "29-Feb-2024", f: dateOf, want: "2024-02-29T00:00:00Z"},
		{name: "date not a leap year", in: "29-Feb-2023", f: dateOf, err: `invalid date "29-Feb-2023" (no such day)`},
		{name: "date day 0", in: "0-Jan-2000", f: dateOf, err: `invalid date "0-Jan-2000" (no such day)`},
		{name: "date day 32", in: "32-Jan-2000", f: dateOf, err: `invalid date "32-Jan-2000" (no such day)`},
		{name: "date bad month", in: "1-Fbr-1994", f: dateOf, err: `invalid date "1-Fbr-1994" (unknown month; expected Jan, Feb, ... Dec)`},
		{name: "date numeric month", in: "1-02-1994", f: dateOf, err: `invalid date "1-02-1994" (unknown month; expected Jan, Feb, ... Dec)`},
		{name: "date two-digit year", in: "1-Feb-94", f: dateOf, err: `invalid date "1-Feb-94" (the year must have 4 digits)`},
		{name: "date three-digit day", in: "001-Feb-1994", f: dateOf, err: `invalid date "001-Feb-1994" (expected d-Mon-yyyy, as 1-Feb-1994)`},
		{name: "date ISO", in: "1994-02-01", f: dateOf, err: `invalid date "1994-02-01" (expected d-Mon-yyyy, as 1-Feb-1994)`},
		{name: "date unterminated quote", in: `"1-Feb-1994`, f: dateOf, err: `invalid date "\"1-Feb-1994" (missing closing quote)`},
		{name: "date missing", in: "", f: dateOf, err: `invalid date "" (expected d-Mon-yyyy, as 1-Feb-1994)`},

		{name: "date-time", in: `"17-Jul-1996 02:44:25 -0700"`, f: dateTimeOf, want: "1996-07-17T02:44:25-07:00"},
		{name: "date-time space-padded day", in: `" 7-Feb-1994 21:52:25 -0800"`, f: dateTimeOf, want: "1994-02-07T21:52:25-08:00"},
		{name: "date-time one-digit day", in: `"7-Feb-1994 21:52:25 -0800"`, f: dateTimeOf, want: "1994-02-07T21:52:25-08:00"},
		{name: "date-time UTC", in: `"01-Jan-2000 00:00:00 +0000"`, f: dateTimeOf, want: "2000-01-01T00:00:00Z"},
		{name: "date-time half-hour zone", in: `"01-Jan-2000 00:00:00 +0530"`, f: dateTimeOf, want: "2000-01-01T00:00:00+05:30"},
		{name: "date-time leap second", in: `"31-Dec-2016 23:59:60 +0000"`, f: dateTimeOf, want: "2017-01-01T00:00:00Z"},
		{name: "date-time unquoted", in: "17-Jul-1996 02:44:25 -0700", f: dateTimeOf, err: `expected date-time, found "1"`},
		{name: "date-time without zone", in: `"17-Jul-1996 02:44:25"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 02:44:25\"" (expected "dd-Mon-yyyy hh:mm:ss +zzzz")`},
		{name: "date-time zone without sign", in: `"17-Jul-1996 02:44:25 0700"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 02:44:25 0700\"" (expected "dd-Mon-yyyy hh:mm:ss +zzzz")`},
		{name: "date-time zone name", in: `"17-Jul-1996 02:44:25 PDT"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 02:44:25 PDT\"" (expected "dd-Mon-yyyy hh:mm:ss +zzzz")`},
		{name: "date-time hour 24", in: `"17-Jul-1996 24:00:00 +0000"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 24:00:00 +0000\"" (no such time of day)`},
		{name: "date-time minute 60", in: `"17-Jul-1996 12:60:00 +0000"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 12:60:00 +0000\"" (no such time of day)`},
		{name: "date-time zone minutes", in: `"17-Jul-1996 12:00:00 +0060"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 12:00:00 +0060\"" (the zone's minutes must be below 60)`},
		{name: "date-time 31 Apr", in: `"31-Apr-1996 12:00:00 +0000"`, f: dateTimeOf, err: `invalid date-time "\"31-Apr-1996 12:00:00 +0000\"" (no such day)`},
		{name: "date-time bad month", in: `"17-Jly-1996 12:00:00 +0000"`, f: dateTimeOf, err: `invalid date-time "\"17-Jly-1996 12:00:00 +0000\"" (unknown month; expected Jan, Feb, ... Dec)`},
		{name: "date-time two spaces", in: `"17-Jul-1996  12:00:00 +0000"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996  12:00:00 +0000\"" (expected "dd-Mon-yyyy hh:mm:ss +zzzz")`},
		{name: "date-time short year", in: `"17-Jul-96 12:00:00 +0000"`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-96 12:00:00 +0000\"" (the year must have 4 digits)`},
		{name: "date-time unterminated", in: `"17-Jul-1996 12:00:00 +0000`, f: dateTimeOf, err: `invalid date-time "\"17-Jul-1996 12:00:00 +0000" (expected "dd-Mon-yyyy hh:mm:ss +zzzz")`},
	})
}

func TestDecodeFetch(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "macro ALL", in: "ALL", f: fetchAttsOf, want: []string{"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}},
		{name: "macro fast", in: "fast", f: fetchAttsOf, want: []string{"FLAGS", "INTERNALDATE", "RFC822.SIZE"}},
		{name: "macro FULL", in: "full", f: fetchAttsOf, want: []string{"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}},
		{name: "single", in: "FLAGS", f: fetchAttsOf, want: []string{"FLAGS"}},
		{name: "single body section", in: "body[header]", f: fetchAttsOf, want: []string{"BODY[HEADER]"}},
		{name: "list", in: "(UID FLAGS RFC822.SIZE)", f: fetchAttsOf, want: []string{"UID", "FLAGS", "RFC822.SIZE"}},
		{name: "all items", in: "(ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE UID MODSEQ EMAILID THREADID SAVEDATE)",
			f: fetchAttsOf, want: []string{"ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.SIZE", "RFC822.TEXT", "BODY", "BODYSTRUCTURE", "UID", "MODSEQ", "EMAILID", "THREADID", "SAVEDATE"}},
		{name: "body empty section", in: "BODY[]", f: fetchAttsOf, want: []string{"BODY[]"}},
		{name: "body peek", in: "BODY.PEEK[HEADER]", f: fetchAttsOf, want: []string{"BODY.PEEK[HEADER]"}},
		{name: "header fields", in: "(FLAGS BODY[HEADER.FIELDS (DATE FROM)])", f: fetchAttsOf, want: []string{"FLAGS", "BODY[HEADER.FIELDS (DATE FROM)]"}},
		{name: "header fields not", in: `BODY.PEEK[1.2.HEADER.FIELDS.NOT (Subject "X-Spam Flag" {4}` + "\r\nX-Ab)]", f: fetchAttsOf, want: []string{`BODY.PEEK[1.2.HEADER.FIELDS.NOT (Subject "X-Spam Flag" X-Ab)]`}},
		{name: "part", in: "BODY[1.2.3]", f: fetchAttsOf, want: []string{"BODY[1.2.3]"}},
		{name: "part text", in: "BODY[4.2.TEXT]", f: fetchAttsOf, want: []string{"BODY[4.2.TEXT]"}},
		{name: "part mime", in: "BODY[3.MIME]", f: fetchAttsOf, want: []string{"BODY[3.MIME]"}},
		{name: "part header", in: "BODY[4.2.HEADER]", f: fetchAttsOf, want: []string{"BODY[4.2.HEADER]"}},
		{name: "partial", in: "BODY[]<0.2048>", f: fetchAttsOf, want: []string{"BODY[]<0.2048>"}},
		{name: "peek partial", in: "BODY.PEEK[TEXT]<100.50>", f: fetchAttsOf, want: []string{"BODY.PEEK[TEXT]<100.50>"}},
		{name: "binary", in: "(BINARY[1] BINARY.PEEK[1.2]<0.10> BINARY.SIZE[1] BINARY[])", f: fetchAttsOf, want: []string{"BINARY[1]", "BINARY.PEEK[1.2]<0.10>", "BINARY.SIZE[1]", "BINARY[]"}},
		{name: "unknown item", in: "(FLAGS X-GM-LABELS)", f: fetchAttsOf, err: `unknown FETCH item "X-GM-LABELS"`},
		{name: "empty list", in: "()", f: fetchAttsOf, err: `expected FETCH item, found ")"`},
		{name: "macro in list", in: "(ALL)", f: fetchAttsOf, err: `unknown FETCH item "ALL"`},
		{name: "body peek without section", in: "BODY.PEEK", f: fetchAttsOf, err: "BODY.PEEK must be followed by a section, as BODY.PEEK[]"},
		{name: "binary without section", in: "BINARY", f: fetchAttsOf, err: "BINARY must be followed by a section, as BINARY[]"},
		{name: "section on UID", in: "UID[]", f: fetchAttsOf, err: "UID takes no section"},
		{name: "bad section", in: "BODY[HEADERS]", f: fetchAttsOf, err: `invalid section "HEADERS" (expected HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME)`},
		{name: "mime at top", in: "BODY[MIME]", f: fetchAttsOf, err: "MIME needs a part number, as 1.MIME"},
		{name: "part 0", in: "BODY[0]", f: fetchAttsOf, err: `invalid section part "0" (parts are numbered from 1)`},
		{name: "part empty", in: "BODY[1..2]", f: fetchAttsOf, err: `invalid section ".2" (expected HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME)`},
		{name: "part overflow", in: "BODY[99999999999]", f: fetchAttsOf, err: "section part number is larger than 4294967295"},
		{name: "binary with text", in: "BINARY[1.TEXT]", f: fetchAttsOf, err: `invalid section part "TEXT" (parts are numbered from 1)`},
		{name: "header fields empty", in: "BODY[HEADER.FIELDS ()]", f: fetchAttsOf, err: "HEADER.FIELDS needs at least one header field name"},
		{name: "header fields missing list", in: "BODY[HEADER.FIELDS]", f: fetchAttsOf, err: `expected SP after HEADER.FIELDS, found "]"`},
		{name: "unterminated section", in: "BODY[HEADER", f: fetchAttsOf, err: `expected "]", found end of command`},
		{name: "partial zero count", in: "BODY[]<0.0>", f: fetchAttsOf, err: `invalid partial "<0.0>" (expected <offset.count>, count 1 or more)`},
		{name: "partial without count", in: "BODY[]<10>", f: fetchAttsOf, err: `invalid partial "<10>" (expected <offset.count>, count 1 or more)`},
		{name: "partial on BINARY.SIZE", in: "BINARY.SIZE[1]<0.1>", f: fetchAttsOf, err: `expected end of command after BINARY.SIZE, found "<"`},
		{name: "list double SP", in: "(UID  FLAGS)", f: fetchAttsOf, err: "expected FETCH item, found a second SP (arguments are separated by exactly one SP)"},
		{name: "list unterminated", in: "(UID FLAGS", f: fetchAttsOf, err: `expected SP or ")", found end of command`},

		{name: "section", in: "[1.2.HEADER.FIELDS (DATE FROM)]", f: sectionOf, want: "[1.2.HEADER.FIELDS (DATE FROM)]"},
		{name: "section empty", in: "[]", f: sectionOf, want: "[]"},
		{name: "section lower case", in: "[header.fields.not (to)]", f: sectionOf, want: "[HEADER.FIELDS.NOT (to)]"},
	})
}

// TestDecoderSticky checks that after the first error every method is a
// no-op and the first error stays.
func TestDecoderSticky(t *testing.T) {
	d := imapwire.NewDecoder([]byte("A1  NOOP"))
	if got := d.Tag(); got != "A1" {
		t.Fatalf("Tag() = %q", got)
	}
	d.ExpectSP()
	if got := d.Keyword(); got != "" {
		t.Errorf("Keyword() after double SP = %q, want \"\"", got)
	}
	first := d.Err()
	pos := d.Pos()
	if first == nil {
		t.Fatal("no error after a double SP")
	}
	// Everything now is a no-op.
	_ = d.Atom()
	_ = d.AString()
	_ = d.Number()
	_ = d.SequenceSet()
	_ = d.Mailbox()
	_ = d.FlagList()
	_ = d.FetchAtts()
	_ = d.DateTime()
	if d.SP() || d.Special(' ') || d.ExpectSP() || d.EOL() || d.NIL() || d.AcceptKeyword("NOOP") || d.Peek() != 0 {
		t.Error("a method succeeded after an error")
	}
	for range d.List() {
		t.Error("List yielded after an error")
	}
	d.Errorf("another error")
	if err := d.End(); err != first {
		t.Errorf("error changed from %v to %v", first, err)
	}
	if d.Pos() != pos {
		t.Errorf("position moved from %d to %d", pos, d.Pos())
	}
	var se *imapwire.SyntaxError
	if !errors.As(first, &se) || se.Pos != 3 || se.Expected != "atom" {
		t.Errorf("error = %#v, want Pos 3, Expected atom", first)
	}
	if got, want := first.Error(), "imapwire: expected atom, found a second SP (arguments are separated by exactly one SP) (at octet 3)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestDecodeCommandLines checks the messages a client developer sees for
// whole malformed commands.
func TestDecodeCommandLines(t *testing.T) {
	// command decodes "tag SP name [SP mailbox]" the way a handler does.
	command := func(d *imapwire.Decoder) any {
		tag := d.Tag()
		d.ExpectSP()
		name := d.Keyword()
		if d.SP() {
			return tag + " " + name + " " + d.Mailbox()
		}
		return tag + " " + name
	}
	// fetch decodes a FETCH.
	fetch := func(d *imapwire.Decoder) any {
		tag := d.Tag()
		d.ExpectSP()
		d.ExpectKeyword("FETCH")
		d.ExpectSP()
		set := d.SequenceSet()
		d.ExpectSP()
		atts := d.FetchAtts()
		return tag + " " + set.String() + " " + fetchAttsString(atts)
	}
	runDecodeCases(t, []decodeCase{
		{name: "select", in: "a002 select inbox", f: command, want: "a002 SELECT INBOX"},
		{name: "trailing SP tolerated", in: "a002 SELECT INBOX ", f: command, want: "a002 SELECT INBOX"},
		{name: "missing SP after tag", in: "a002", f: command, err: "expected SP after tag, found end of command"},
		{name: "tab after tag", in: "a002\tNOOP", f: command, err: `invalid character control character 0x09 in tag`},
		{name: "double SP after tag", in: "a002  NOOP", f: command, err: "expected atom, found a second SP (arguments are separated by exactly one SP)"},
		{name: "two trailing SPs", in: "a002 SELECT INBOX  ", f: command, err: "expected end of command after mailbox name, found SP"},
		{name: "extra argument", in: "a002 SELECT INBOX foo", f: command, err: `expected end of command after mailbox name, found SP`},
		{name: "fetch", in: "A1 FETCH 1:* (UID FLAGS)", f: fetch, want: "A1 1:* UID FLAGS"},
		{name: "fetch missing SP", in: "A1 FETCH 1:*(UID)", f: fetch, err: `expected SP after sequence set, found "("`},
		{name: "fetch bad set", in: "A1 FETCH 1:x (UID)", f: fetch, err: `invalid sequence set "1:x": expected a number or "*" at offset 2`},
		{name: "fetch wrong command", in: "A1 STORE 1 FLAGS", f: fetch, err: `expected FETCH, found "S"`},
		{name: "fetch keyword in message", in: "A1 FETCH", f: fetch, err: "expected SP after FETCH, found end of command"},
	})
}

func fetchAttsString(atts []imapwire.FetchAtt) string {
	var s []string
	for _, a := range atts {
		s = append(s, a.String())
	}
	return strings.Join(s, " ")
}

func TestDecodeListDepth(t *testing.T) {
	// any reads a generic value: nested lists of astrings.
	var value func(d *imapwire.Decoder) any
	value = func(d *imapwire.Decoder) any {
		if d.Peek() != '(' {
			return d.AString()
		}
		out := []any{}
		for range d.List() {
			out = append(out, value(d))
		}
		return out
	}
	ok := strings.Repeat("(", imapwire.MaxListDepth) + "x" + strings.Repeat(")", imapwire.MaxListDepth)
	d := imapwire.NewDecoder([]byte(ok))
	value(d)
	if err := d.End(); err != nil {
		t.Errorf("%d nested lists: %v", imapwire.MaxListDepth, err)
	}
	deep := "(" + ok + ")"
	d = imapwire.NewDecoder([]byte(deep))
	value(d)
	var se *imapwire.SyntaxError
	if err := d.End(); !errors.As(err, &se) || se.Msg != "parenthesized lists nested deeper than 32" || se.Pos != imapwire.MaxListDepth {
		t.Errorf("%d nested lists: %v, want an error at %d", imapwire.MaxListDepth+1, err, imapwire.MaxListDepth)
	}
	// A hostile line of parentheses stops at the limit, not at the end.
	d = imapwire.NewDecoder([]byte(strings.Repeat("(", 1<<16)))
	value(d)
	if err := d.Err(); !errors.As(err, &se) || se.Pos != imapwire.MaxListDepth {
		t.Errorf("64 Ki parentheses: %v", err)
	}
	// The depth is restored after each list.
	d = imapwire.NewDecoder([]byte(strings.Repeat(ok+" ", 3) + ok))
	for i := range 4 {
		if i > 0 {
			d.ExpectSP()
		}
		value(d)
	}
	if err := d.End(); err != nil {
		t.Errorf("lists in a row: %v", err)
	}
}

func TestDecoderKeywords(t *testing.T) {
	d := imapwire.NewDecoder([]byte("A1 UID SEARCH RETURN (MIN) CHARSET UTF-8 nil"))
	d.Tag()
	d.ExpectSP()
	if !d.AcceptKeyword("uid") || !d.SP() {
		t.Fatal("AcceptKeyword(uid) = false")
	}
	if d.AcceptKeyword("SEARCHX") || d.AcceptKeyword("SEAR") {
		t.Error("AcceptKeyword matched a different atom")
	}
	d.ExpectKeyword("search")
	d.ExpectSP()
	if d.AcceptKeyword("RETURN") {
		d.ExpectSP()
		var opts []string
		for range d.List() {
			opts = append(opts, d.Keyword())
		}
		if diff := cmp.Diff([]string{"MIN"}, opts); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
		d.ExpectSP()
	}
	d.ExpectKeyword("CHARSET")
	d.ExpectSP()
	if cs := d.AString(); cs != "UTF-8" {
		t.Errorf("charset = %q", cs)
	}
	d.ExpectSP()
	if !d.NIL() {
		t.Error("NIL() = false on nil")
	}
	if err := d.End(); err != nil {
		t.Error(err)
	}
	if d.Rest() == nil || len(d.Rest()) != 0 {
		t.Errorf("Rest() = %q, want empty", d.Rest())
	}
}

func TestDecoderReset(t *testing.T) {
	d := imapwire.NewDecoder([]byte("x y"))
	d.UTF8 = true
	d.Atom()
	d.ExpectEOL()
	d.Reset([]byte(`"Entwürfe"`))
	if err := d.Err(); err != nil {
		t.Fatalf("Err after Reset = %v", err)
	}
	if got := d.Mailbox(); got != "Entwürfe" || !d.UTF8 {
		t.Errorf("after Reset: Mailbox() = %q, UTF8 = %v", got, d.UTF8)
	}
	d.Errorf("unknown command %q", "X")
	var se *imapwire.SyntaxError
	if err := d.Err(); !errors.As(err, &se) || se.Msg != `unknown command "X"` || se.Pos != len(`"Entwürfe"`) {
		t.Errorf("Errorf: %v", err)
	}
}

func TestDecodeUnwrap(t *testing.T) {
	d := imapwire.NewDecoder([]byte("&Jjo"))
	d.Mailbox()
	if err := d.Err(); !errors.Is(err, imapwire.ErrModifiedUTF7) {
		t.Errorf("errors.Is(%v, ErrModifiedUTF7) = false", err)
	}
}
