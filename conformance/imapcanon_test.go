package conformance

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An IMAP example matches a server that writes the same values another
// way, and only then.
func TestMatchIMAPCanonical(t *testing.T) {
	for _, tc := range []struct {
		name, want, got string
		match           bool
	}{
		{"quoted and atom mailbox", `* STATUS blurdybloop (MESSAGES 231)`, `* STATUS "blurdybloop" (MESSAGES 231)`, true},
		{"STATUS items in another order", `* STATUS blurdybloop (MESSAGES 231 UIDNEXT {n})`, `* STATUS blurdybloop (UIDNEXT 44292 MESSAGES 231)`, true},
		{"STATUS count differs", `* STATUS blurdybloop (MESSAGES 231)`, `* STATUS blurdybloop (MESSAGES 230)`, false},
		{"quoted NIL is a string", `* ENVELOPE NIL`, `* ENVELOPE "NIL"`, false},
		{"string with a space stays quoted", `* X "a b"`, `* X a b`, false},
		{"flags in any order and case, \\Recent left out", `* 2 FETCH (FLAGS (\Deleted \Seen))`, `* 2 FETCH (FLAGS (\SEEN \Recent \Deleted))`, true},
		{"a flag missing", `* 2 FETCH (FLAGS (\Deleted \Seen))`, `* 2 FETCH (FLAGS (\Deleted))`, false},
		{"a flag too many", `* 2 FETCH (FLAGS (\Deleted))`, `* 2 FETCH (FLAGS (\Deleted \Seen))`, false},
		{"FETCH items in any order, unrequested ones dropped", `* 23 FETCH (FLAGS (\Seen) UID {uid})`, `* 23 FETCH (UID 4827313 MODSEQ (5) FLAGS (\Seen))`, true},
		{"a FETCH item missing", `* 23 FETCH (FLAGS (\Seen) UID {uid})`, `* 23 FETCH (FLAGS (\Seen))`, false},
		{"FETCH ending in a literal is not reordered", `* 2 FETCH (FLAGS (\Seen) BODY[TEXT] {18}`, `* 2 FETCH (BODY[TEXT] {18}`, false},
		{"LIST extras dropped", `* LIST () "{sep}" Sent`, `* LIST (\HasNoChildren \Sent) "/" "Sent"`, true},
		{"LIST extra kept when named", `* LIST (\HasChildren) "/" foo`, `* LIST (\HasNoChildren) "/" foo`, false},
		{"LIST \\Noselect is not an extra", `* LIST () "/" foo`, `* LIST (\Noselect \HasChildren) "/" foo`, false},
		{"\\NoSelect and \\Noselect", `* LSUB (\NoSelect) "." comp.mail`, `* LSUB (\Noselect) "." "comp.mail"`, true},
		{"PERMANENTFLAGS as a set", `* OK [PERMANENTFLAGS (\Seen \Deleted \*)] Limited`, `* OK [PERMANENTFLAGS (\Deleted \* \Seen)] Flags permitted`, true},
		{"a body encoding in any case", `* 1 FETCH (BODY ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 3 1))`, `* 1 FETCH (BODY ("TEXT" "PLAIN" NIL NIL NIL "7bit" 3 1))`, true},
		{"\\NonExistent is \\Noselect", `* LIST (\NoSelect) "." bar`, `* LIST (\NonExistent) "." bar`, true},
		{"\\NonExistent named", `* LIST (\Subscribed \NonExistent) "/" Fruit/Peach`, `* LIST (\NonExistent \Noselect \Subscribed) "/" "Fruit/Peach"`, true},
		{"\\NonExistent named but missing", `* LIST (\Subscribed \NonExistent) "/" Fruit/Peach`, `* LIST (\Noselect \Subscribed) "/" "Fruit/Peach"`, false},
		{"quoted placeholder", `* 1 FETCH (INTERNALDATE "{*}")`, `* 1 FETCH (INTERNALDATE "17-Jul-1996 02:44:25 -0700")`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := matchLine(IMAP, tc.want, tc.got, map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.match, got); diff != "" {
				t.Errorf("matchLine(%q, %q) (-want +got):\n%s", tc.want, tc.got, diff)
			}
		})
	}
}

// A run of EXPUNGE responses matches another that removes the same
// messages, whatever order the server reports them in.
func TestMatchExpungeRuns(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got []string
		match     bool
	}{
		{"the RFC's order", []string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "* 8 EXPUNGE"}, []string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "* 8 EXPUNGE"}, true},
		{"descending", []string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "* 8 EXPUNGE"}, []string{"* 11 EXPUNGE", "* 7 EXPUNGE", "* 4 EXPUNGE", "* 3 EXPUNGE"}, true},
		{"other messages", []string{"* 3 EXPUNGE", "* 3 EXPUNGE"}, []string{"* 3 EXPUNGE", "* 4 EXPUNGE"}, false},
		{"one too few", []string{"* 2 EXPUNGE", "* 2 EXPUNGE"}, []string{"* 2 EXPUNGE"}, false},
		{"with other data", []string{"* 2 EXPUNGE", "* 2 EXPUNGE", "* 4 EXISTS"}, []string{"* 4 EXISTS", "* 3 EXPUNGE", "* 2 EXPUNGE"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := make([]Step, len(tc.want))
			for i, w := range tc.want {
				want[i] = Step{Line: i + 1, Dir: 'S', Conn: 1, Text: w}
			}
			bad, _ := matchRun(IMAP, want, tc.got, map[string]string{})
			if got := bad == nil; got != tc.match {
				t.Errorf("matchRun(%q, %q) matched: %v, want %v", tc.want, tc.got, got, tc.match)
			}
		})
	}
}
