package imap_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
)

// The helpers of list_test.go, status_test.go and mailboxes_test.go.

// mbxCase is one exchange with a session logged in as alice on a fresh
// demo world (INBOX with 9 messages, Archive with 2, Sent with 3).
type mbxCase struct {
	name string
	// setup runs first; each of its commands must end in a tagged OK.
	setup []string
	// in are the commands under test; want is every line they produce,
	// without CRLF.
	in   []string
	want []string
}

// mbxLines splits output into lines without their CRLF.
func mbxLines(out string) []string {
	out = strings.TrimSuffix(out, "\r\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\r\n")
}

// mbxSetup runs commands that must succeed.
func mbxSetup(tb testing.TB, s *imap.Session, cmds ...string) {
	tb.Helper()
	for _, c := range cmds {
		tag, _, _ := strings.Cut(c, " ")
		lines := mbxLines(feed(s, c))
		if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], tag+" OK") {
			tb.Fatalf("setup %q: %q", c, lines)
		}
	}
}

// mbxExpect runs commands and compares every response line.
func mbxExpect(tb testing.TB, s *imap.Session, in []string, want []string) {
	tb.Helper()
	got := mbxLines(feed(s, in...))
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("%q: responses (-want +got):\n%s", in, diff)
	}
}

func runMbxCases(t *testing.T, cases []mbxCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.login(t, "alice")
			mbxSetup(t, s, tc.setup...)
			mbxExpect(t, s, tc.in, tc.want)
		})
	}
}

// The demo world's mailboxes of alice, as a basic LIST shows them.
var (
	listInbox   = `* LIST (\HasNoChildren) "/" "INBOX"`
	listArchive = `* LIST (\HasNoChildren \Archive) "/" "Archive"`
	listSent    = `* LIST (\HasNoChildren \Sent) "/" "Sent"`
)

// A hierarchy with a level that is no mailbox: "Projects" exists only
// because "Projects/2025" does (CREATE made it, DELETE removed it).
var mbxHierarchy = []string{"s1 CREATE Projects/2025", "s2 DELETE Projects", "s3 CREATE Projects/2025/Q1"}

func TestList(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "every mailbox",
			in:   []string{`a LIST "" *`},
			want: []string{listInbox, listArchive, listSent, "a OK LIST completed"}},
		{name: "hierarchy delimiter",
			in:   []string{`a LIST "" ""`},
			want: []string{`* LIST (\Noselect) "/" ""`, "a OK LIST completed"}},
		{name: "hierarchy delimiter whatever the reference",
			in:   []string{`a LIST Archive/2025 ""`},
			want: []string{`* LIST (\Noselect) "/" ""`, "a OK LIST completed"}},
		{name: "star crosses levels and lists the levels that are no mailbox",
			setup: mbxHierarchy,
			in:    []string{`a LIST "" *`},
			want: []string{listInbox, listArchive,
				`* LIST (\Noselect \HasChildren) "/" "Projects"`,
				`* LIST (\HasChildren) "/" "Projects/2025"`,
				`* LIST (\HasNoChildren) "/" "Projects/2025/Q1"`,
				listSent, "a OK LIST completed"}},
		{name: "percent stays on one level",
			setup: mbxHierarchy,
			in:    []string{`a LIST "" %`},
			want: []string{listInbox, listArchive,
				`* LIST (\Noselect \HasChildren) "/" "Projects"`,
				listSent, "a OK LIST completed"}},
		{name: "percent below a level",
			setup: mbxHierarchy,
			in:    []string{`a LIST "" Projects/%`},
			want:  []string{`* LIST (\HasChildren) "/" "Projects/2025"`, "a OK LIST completed"}},
		{name: "reference prefixes the pattern",
			setup: mbxHierarchy,
			in:    []string{`a LIST Projects/2025/ %`},
			want:  []string{`* LIST (\HasNoChildren) "/" "Projects/2025/Q1"`, "a OK LIST completed"}},
		{name: "wildcards inside a pattern",
			setup: mbxHierarchy,
			in:    []string{`a LIST "" S*t`, `b LIST "" P%/%/Q%`, `c LIST "" *%*Q1`},
			want: []string{listSent, "a OK LIST completed",
				`* LIST (\HasNoChildren) "/" "Projects/2025/Q1"`, "b OK LIST completed",
				`* LIST (\HasNoChildren) "/" "Projects/2025/Q1"`, "c OK LIST completed"}},
		{name: "names are case-sensitive",
			in:   []string{`a LIST "" sent`},
			want: []string{"a OK LIST completed"}},
		{name: "INBOX in any case",
			setup: []string{"s CREATE INBOX/Later"},
			in:    []string{`a LIST "" inbox`, `b LIST "" iNbOx/%`, `c LIST "" in*`},
			want: []string{`* LIST (\HasChildren) "/" "INBOX"`, "a OK LIST completed",
				`* LIST (\HasNoChildren) "/" "INBOX/Later"`, "b OK LIST completed",
				"c OK LIST completed"}},
		{name: "no match",
			in:   []string{`a LIST "" Nothing*`},
			want: []string{"a OK LIST completed"}},
		{name: "quoted and literal patterns",
			in:   []string{`a LIST "" "Sen%"`, "b LIST \"\" {4+}\r\nSen*"},
			want: []string{listSent, "a OK LIST completed", listSent, "b OK LIST completed"}},
		{name: "several patterns, each name once",
			in:   []string{`a LIST "" (Sent INBOX S* nothing)`},
			want: []string{listInbox, listSent, "a OK LIST completed"}},
		{name: "an empty pattern is ignored in the extended syntax",
			in:   []string{`a LIST () "" ""`, `b LIST "" ("" Sent)`},
			want: []string{"a OK LIST completed", listSent, "b OK LIST completed"}},
		{name: "runs of wildcards",
			in:   []string{`a LIST "" %%**%*`},
			want: []string{listInbox, listArchive, listSent, "a OK LIST completed"}},
		{name: "a pattern no name can match is ignored",
			in:   []string{`a LIST "" ` + strings.Repeat("x", 300) + "*"},
			want: []string{"a OK LIST completed"}},
		{name: "a huge pattern costs no backtracking",
			in:   []string{`a LIST "" ` + strings.Repeat("*%", 2000) + "Q" + strings.Repeat("%*", 2000)},
			want: []string{"a OK LIST completed"}},
		{name: "in the selected state",
			setup: []string{"s SELECT INBOX"},
			in:    []string{`a LIST "" Sent`},
			want:  []string{listSent, "a OK LIST completed"}},
		{name: "IMAP4rev2 sessions get the same answers",
			setup: []string{"s ENABLE IMAP4rev2"},
			in:    []string{`a LIST "" *`},
			want:  []string{listInbox, listArchive, listSent, "a OK LIST completed"}},
	})
}

func TestListExtended(t *testing.T) {
	subscribed := []string{"s1 SUBSCRIBE INBOX", "s2 SUBSCRIBE Sent", "s3 SUBSCRIBE Gone/Away"}
	runMbxCases(t, []mbxCase{
		{name: "SUBSCRIBED lists subscriptions, existing or not",
			setup: subscribed,
			in:    []string{`a LIST (SUBSCRIBED) "" *`},
			want: []string{
				`* LIST (\HasNoChildren \Subscribed) "/" "INBOX"`,
				`* LIST (\NonExistent \HasNoChildren \Subscribed) "/" "Gone/Away"`,
				`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`,
				"a OK LIST completed"}},
		{name: "SUBSCRIBED with percent",
			setup: subscribed,
			in:    []string{`a LIST (SUBSCRIBED) "" %`},
			want: []string{
				`* LIST (\HasNoChildren \Subscribed) "/" "INBOX"`,
				`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`,
				"a OK LIST completed"}},
		{name: "RETURN (SUBSCRIBED) marks existing names",
			setup: subscribed,
			in:    []string{`a LIST "" * RETURN (SUBSCRIBED)`},
			want: []string{
				`* LIST (\HasNoChildren \Subscribed) "/" "INBOX"`,
				listArchive,
				`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`,
				"a OK LIST completed"}},
		{name: "RECURSIVEMATCH reports a missing parent with CHILDINFO",
			setup: subscribed,
			in:    []string{`a LIST (SUBSCRIBED RECURSIVEMATCH) "" %`},
			want: []string{
				`* LIST (\HasNoChildren \Subscribed) "/" "INBOX"`,
				`* LIST (\NonExistent \HasNoChildren) "/" "Gone" ("CHILDINFO" ("SUBSCRIBED"))`,
				`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`,
				"a OK LIST completed"}},
		{name: "RECURSIVEMATCH reports an existing parent with CHILDINFO",
			setup: []string{"s1 CREATE Team/Minutes", "s2 SUBSCRIBE Team/Minutes"},
			in:    []string{`a LIST (SUBSCRIBED RECURSIVEMATCH) "" %`},
			want:  []string{`* LIST (\HasChildren) "/" "Team" ("CHILDINFO" ("SUBSCRIBED"))`, "a OK LIST completed"}},
		{name: "RECURSIVEMATCH leaves out a parent whose matching children are listed",
			setup: []string{"s1 CREATE Team/Minutes", "s2 SUBSCRIBE Team/Minutes"},
			in:    []string{`a LIST (SUBSCRIBED RECURSIVEMATCH) "" *`},
			want:  []string{`* LIST (\HasNoChildren \Subscribed) "/" "Team/Minutes"`, "a OK LIST completed"}},
		{name: "RECURSIVEMATCH on a subscribed parent",
			setup: []string{"s1 CREATE Team/Minutes", "s2 SUBSCRIBE Team/Minutes", "s3 SUBSCRIBE Team"},
			in:    []string{`a LIST (SUBSCRIBED RECURSIVEMATCH) "" *`},
			want: []string{
				`* LIST (\HasChildren \Subscribed) "/" "Team" ("CHILDINFO" ("SUBSCRIBED"))`,
				`* LIST (\HasNoChildren \Subscribed) "/" "Team/Minutes"`,
				"a OK LIST completed"}},
		{name: "RECURSIVEMATCH with CHILDREN and no subscribed child",
			setup: []string{"s1 CREATE Team/Minutes", "s2 SUBSCRIBE Team"},
			in:    []string{`a LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (CHILDREN)`},
			want:  []string{`* LIST (\HasChildren \Subscribed) "/" "Team"`, "a OK LIST completed"}},
		{name: "REMOTE changes nothing",
			in:   []string{`a LIST (REMOTE) "" %`},
			want: []string{listInbox, listArchive, listSent, "a OK LIST completed"}},
		{name: "SPECIAL-USE selects the special-use mailboxes",
			setup: []string{"s1 CREATE Drafts", "s2 CREATE Junk", "s3 CREATE Trash", "s4 CREATE Notes"},
			in:    []string{`a LIST (SPECIAL-USE) "" *`},
			want: []string{
				listArchive,
				`* LIST (\HasNoChildren \Drafts) "/" "Drafts"`,
				`* LIST (\HasNoChildren \Junk) "/" "Junk"`,
				listSent,
				`* LIST (\HasNoChildren \Trash) "/" "Trash"`,
				"a OK LIST completed"}},
		{name: "SPECIAL-USE and SUBSCRIBED together",
			setup: subscribed,
			in:    []string{`a LIST (SPECIAL-USE SUBSCRIBED) "" *`},
			want:  []string{`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`, "a OK LIST completed"}},
		{name: "CHILDREN and SPECIAL-USE return options",
			in:   []string{`a LIST () "" % RETURN (CHILDREN SPECIAL-USE)`},
			want: []string{listInbox, listArchive, listSent, "a OK LIST completed"}},
		{name: "empty option lists",
			in:   []string{`a LIST () "" % RETURN ()`},
			want: []string{listInbox, listArchive, listSent, "a OK LIST completed"}},
		{name: "options in any case, given twice",
			in:   []string{`a LIST (special-use Special-Use) "" % return (children CHILDREN)`},
			want: []string{listArchive, listSent, "a OK LIST completed"}},
		{name: "STATUS return option",
			setup: mbxHierarchy,
			in:    []string{`a LIST "" * RETURN (STATUS (MESSAGES UNSEEN))`},
			want: []string{
				listInbox, `* STATUS "INBOX" (MESSAGES 9 UNSEEN 5)`,
				listArchive, `* STATUS "Archive" (MESSAGES 2 UNSEEN 0)`,
				`* LIST (\Noselect \HasChildren) "/" "Projects"`,
				`* LIST (\HasChildren) "/" "Projects/2025"`, `* STATUS "Projects/2025" (MESSAGES 0 UNSEEN 0)`,
				`* LIST (\HasNoChildren) "/" "Projects/2025/Q1"`, `* STATUS "Projects/2025/Q1" (MESSAGES 0 UNSEEN 0)`,
				listSent, `* STATUS "Sent" (MESSAGES 3 UNSEEN 0)`,
				"a OK LIST completed"}},
		{name: "STATUS return option leaves out names that do not meet the criteria",
			setup: subscribed,
			in:    []string{`a LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))`},
			want: []string{
				`* LIST (\HasNoChildren \Subscribed) "/" "INBOX"`, `* STATUS "INBOX" (MESSAGES 9)`,
				`* LIST (\NonExistent \HasNoChildren) "/" "Gone" ("CHILDINFO" ("SUBSCRIBED"))`,
				`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`, `* STATUS "Sent" (MESSAGES 3)`,
				"a OK LIST completed"}},
		{name: "STATUS and SUBSCRIBED return options together",
			setup: subscribed,
			in:    []string{`a LIST "" Sent RETURN (SUBSCRIBED STATUS (UIDNEXT MESSAGES))`},
			want: []string{
				`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`, `* STATUS "Sent" (MESSAGES 3 UIDNEXT 4)`,
				"a OK LIST completed"}},
	})
}

func TestListErrors(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "RECURSIVEMATCH alone",
			in: []string{`a LIST (RECURSIVEMATCH) "" *`, `b LIST (REMOTE RECURSIVEMATCH) "" *`},
			want: []string{"a BAD RECURSIVEMATCH needs another selection option such as SUBSCRIBED (RFC 9051 §6.3.9.1)",
				"b BAD RECURSIVEMATCH needs another selection option such as SUBSCRIBED (RFC 9051 §6.3.9.1)"}},
		{name: "unknown selection option",
			in:   []string{`a LIST (MYRIGHTS) "" *`},
			want: []string{"a BAD unknown LIST selection option MYRIGHTS"}},
		{name: "unknown return option",
			in:   []string{`a LIST "" * RETURN (MYRIGHTS)`},
			want: []string{"a BAD unknown LIST return option MYRIGHTS"}},
		{name: "STATUS return option without items",
			in:   []string{`a LIST "" * RETURN (STATUS ())`, `b LIST "" * RETURN (STATUS (FOO))`},
			want: []string{"a BAD STATUS needs at least one data item", "b BAD unknown STATUS data item FOO"}},
		{name: "empty pattern list",
			in:   []string{`a LIST "" ()`},
			want: []string{"a BAD expected at least one mailbox pattern in the parentheses"}},
		{name: "missing arguments",
			in: []string{`a LIST`, `b LIST ""`, `c LIST "" * RETURN`},
			want: []string{"a BAD expected SP after atom, found end of command", "b BAD expected SP after mailbox name, found end of command",
				"c BAD expected SP after RETURN, found end of command"}},
	})
	e := newEnv(t)
	mbxExpect(t, e.session(t), []string{`a LIST "" *`, `b LSUB "" *`},
		[]string{"a BAD LIST is not valid in the NOT AUTHENTICATED state", "b BAD LSUB is not valid in the NOT AUTHENTICATED state"})
}

// Invalid modified UTF-7 in a pattern is a syntax error, never a crash:
// another Go server panicked decoding LIST patterns like these.
func TestListModifiedUTF7(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "names are sent in modified UTF-7",
			setup: []string{`s1 CREATE "Caf&AOk-/Men&APw-"`, `s2 CREATE "R&AOk-sum&AOk-s &- notes"`},
			in:    []string{`a LIST "" *`, `b LIST "" Caf&AOk-/*`},
			want: []string{listInbox, listArchive,
				`* LIST (\HasChildren) "/" "Caf&AOk-"`,
				`* LIST (\HasNoChildren) "/" "Caf&AOk-/Men&APw-"`,
				`* LIST (\HasNoChildren) "/" "R&AOk-sum&AOk-s &- notes"`,
				listSent, "a OK LIST completed",
				`* LIST (\HasNoChildren) "/" "Caf&AOk-/Men&APw-"`, "b OK LIST completed"}},
		{name: "names are sent in UTF-8 after ENABLE UTF8=ACCEPT",
			setup: []string{`s1 CREATE "Caf&AOk-/Men&APw-"`, "s2 ENABLE UTF8=ACCEPT"},
			in:    []string{`a LIST "" "Café/*"`, `b STATUS "Café/Menü" (MESSAGES)`},
			want: []string{`* LIST (\HasNoChildren) "/" "Café/Menü"`, "a OK LIST completed",
				`* STATUS "Café/Menü" (MESSAGES 0)`, "b OK STATUS completed"}},
		{name: "invalid patterns",
			in: []string{`a LIST "" &`, `b LIST "" "&Jjo"`, `c LIST "" &Jjo!-`, `d LIST "" &AGE-`,
				`e LIST "" *&`, `f LIST "" &*-`, `g LIST "" &2D0-`, "h LIST \"\" {1}\r\n&", `i LIST "" (Sent &)`,
				`j LIST &- ""`, `k LIST "" &Jjo-&Jjo-`},
			want: []string{
				`a BAD mailbox pattern "&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`b BAD mailbox pattern "&Jjo" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`c BAD mailbox pattern "&Jjo!-" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 4: '!' is not a modified BASE64 character`,
				`d BAD mailbox pattern "&AGE-" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 3: printable US-ASCII 'a' is encoded (it must represent itself)`,
				`e BAD mailbox pattern "*&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 1: "&" starts an encoded run that no "-" ends`,
				`f BAD mailbox pattern "&*-" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 1: '*' is not a modified BASE64 character`,
				`g BAD mailbox pattern "&2D0-" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 3: unpaired UTF-16 high surrogate`,
				"+ Ready for literal data",
				`h BAD mailbox pattern "&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`i BAD mailbox pattern "&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`* LIST (\Noselect) "/" ""`, "j OK LIST completed",
				`k BAD mailbox pattern "&Jjo-&Jjo-" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 5: two encoded runs in a row (non-canonical: they must be one)`,
			}},
		{name: "invalid names elsewhere",
			in: []string{`a LSUB "" &`, `b STATUS &Jjo (MESSAGES)`, `c CREATE &AGE-`, `d RENAME Sent &`, `e SUBSCRIBE &-&`},
			want: []string{
				`a BAD mailbox pattern "&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`b BAD mailbox name "&Jjo" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`c BAD mailbox name "&AGE-" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 3: printable US-ASCII 'a' is encoded (it must represent itself)`,
				`d BAD mailbox name "&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 0: "&" starts an encoded run that no "-" ends`,
				`e BAD mailbox name "&-&" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 2: "&" starts an encoded run that no "-" ends`,
			}},
		{name: "8-bit names need UTF8=ACCEPT",
			in:   []string{`a LIST "" "Café*"`, `b CREATE "Café"`},
			want: []string{`a BAD mailbox pattern "Café*" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 3: octet 0xc3 is not printable US-ASCII`, `b BAD mailbox name "Café" is not valid modified UTF-7 (RFC 3501 §5.1.3): at octet 3: octet 0xc3 is not printable US-ASCII`}},
		{name: "invalid UTF-8 after ENABLE UTF8=ACCEPT",
			setup: []string{"s ENABLE UTF8=ACCEPT"},
			in:    []string{"a LIST \"\" \"Caf\xe9*\"", "b CREATE \"Caf\xe9\""},
			want:  []string{`a BAD mailbox pattern "Caf\xe9*" is not valid UTF-8`, `b BAD mailbox name "Caf\xe9" is not valid UTF-8`}},
	})
}

func TestLsub(t *testing.T) {
	subscribed := []string{"s1 CREATE Team/Minutes", "s2 SUBSCRIBE Team/Minutes", "s3 SUBSCRIBE INBOX", "s4 SUBSCRIBE Gone"}
	runMbxCases(t, []mbxCase{
		{name: "every subscription",
			setup: subscribed,
			in:    []string{`a LSUB "" *`},
			want: []string{`* LSUB () "/" "INBOX"`, `* LSUB (\Noselect) "/" "Gone"`, `* LSUB () "/" "Team/Minutes"`,
				"a OK LSUB completed"}},
		{name: "percent reports an unsubscribed parent as \\Noselect",
			setup: subscribed,
			in:    []string{`a LSUB "" %`},
			want: []string{`* LSUB () "/" "INBOX"`, `* LSUB (\Noselect) "/" "Gone"`, `* LSUB (\Noselect) "/" "Team"`,
				"a OK LSUB completed"}},
		{name: "a subscribed parent is itself",
			setup: append(subscribed, "s5 SUBSCRIBE Team"),
			in:    []string{`a LSUB "" T%`},
			want:  []string{`* LSUB () "/" "Team"`, "a OK LSUB completed"}},
		{name: "reference and pattern",
			setup: subscribed,
			in:    []string{`a LSUB Team/ %`, `b LSUB "" inbox`},
			want:  []string{`* LSUB () "/" "Team/Minutes"`, "a OK LSUB completed", `* LSUB () "/" "INBOX"`, "b OK LSUB completed"}},
		{name: "no subscriptions",
			in:   []string{`a LSUB "" *`},
			want: []string{"a OK LSUB completed"}},
		{name: "after ENABLE IMAP4rev2 too",
			setup: append(subscribed, "s5 ENABLE IMAP4rev2"),
			in:    []string{`a LSUB "" I*`},
			want:  []string{`* LSUB () "/" "INBOX"`, "a OK LSUB completed"}},
		{name: "syntax",
			in:   []string{`a LSUB ""`, `b LSUB "" * x`},
			want: []string{"a BAD expected SP after mailbox name, found end of command", "b BAD expected end of command after mailbox pattern, found SP"}},
	})
}

// A second session of the same user sees the subscriptions in the store.
func TestListSubscriptionsPersist(t *testing.T) {
	e := newEnv(t)
	mbxSetup(t, e.login(t, "alice"), "a SUBSCRIBE Sent", "b SUBSCRIBE Later")
	s := e.login(t, "alice")
	mbxExpect(t, s, []string{`a LIST (SUBSCRIBED) "" *`, `b LSUB "" *`}, []string{
		`* LIST (\NonExistent \HasNoChildren \Subscribed) "/" "Later"`,
		`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`,
		"a OK LIST completed",
		`* LSUB (\Noselect) "/" "Later"`,
		`* LSUB () "/" "Sent"`,
		"b OK LSUB completed",
	})
	// bob has his own.
	mbxExpect(t, e.login(t, "bob"), []string{`a LSUB "" *`}, []string{"a OK LSUB completed"})
}

func TestListCapabilities(t *testing.T) {
	e := newEnv(t)
	out := feed(e.login(t, "alice"), "a CAPABILITY")
	caps := strings.Fields(strings.TrimPrefix(mbxLines(out)[0], "* CAPABILITY "))
	for _, want := range []string{"NAMESPACE", "CHILDREN", "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "STATUS=SIZE"} {
		n := 0
		for _, c := range caps {
			if c == want {
				n++
			}
		}
		if n != 1 {
			t.Errorf("CAPABILITY lists %s %d times: %q", want, n, caps)
		}
	}
}
