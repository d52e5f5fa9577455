package conformance

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, line string
		want          bool
		vars          map[string]string
	}{
		{"+OK {*}", "+OK maildrop ready", true, map[string]string{}},
		// The text after a status is optional: Dovecot answers a bare "+OK".
		{"+OK {*}", "+OK", true, map[string]string{}},
		{"+OK {*}", "+OKAY", false, map[string]string{}},
		{"* BYE {*}", "* BYE", true, map[string]string{}},
		{"a1 OK {*}", "a1 OK", true, map[string]string{}},
		{"a1 OK {*}", "a1 NO", false, map[string]string{}},
		{"+OK {*} {ts}", "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>", true,
			map[string]string{"ts": "<1896.697170952@dbc.mtview.ca.us>"}},
		{"S: {uid}", "S: 42", true, map[string]string{"uid": "42"}},
		{"S: {uid}", "S: ", false, map[string]string{}},
		{"* OK [UIDVALIDITY {v}] {*}", "* OK [UIDVALIDITY 3857529045]", true, map[string]string{"v": "3857529045"}},
		{"literal {{ brace", "literal { brace", true, map[string]string{}},
		{"* 1 FETCH (BODY[] {310}", "* 1 FETCH (BODY[] {310}", true, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"|"+tc.line, func(t *testing.T) {
			p, err := compilePattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{}
			if got := p.match(tc.line, vars); got != tc.want {
				t.Fatalf("match(%q, %q) = %v, want %v", tc.pattern, tc.line, got, tc.want)
			}
			if diff := cmp.Diff(tc.vars, vars); tc.want && diff != "" {
				t.Errorf("captures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRequiresAndDeviation(t *testing.T) {
	tr, err := Parse("x.txtar", []byte("t\nprotocol: imap\nrequires: imap4rev2 MOVE\ndeviation: Dovecot: RFC 3501 §6.3.5: refuses\n-- transcript --\nS: * OK {*}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"IMAP4REV2", "MOVE"}, tr.Requires); diff != "" {
		t.Errorf("Requires (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"dovecot": "RFC 3501 §6.3.5: refuses"}, tr.Deviations); diff != "" {
		t.Errorf("Deviations (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		in   Result
		peer string
		want Status
	}{
		{Result{Status: Fail}, "dovecot", XFail},
		{Result{Status: Pass}, "dovecot", XPass},
		{Result{Status: Fail}, "", Fail},
		{Result{Status: Fail}, "cyrus", Fail},
		{Result{Status: Skip}, "dovecot", Skip},
	} {
		if got := AsDeviation(tc.in, tr, tc.peer).Status; got != tc.want {
			t.Errorf("AsDeviation(%s, peer %q) = %s, want %s", tc.in.Status, tc.peer, got, tc.want)
		}
	}
	if _, err := Parse("x.txtar", []byte("t\nprotocol: imap\ndeviation: dovecot\n-- transcript --\nS: * OK {*}\n")); err == nil {
		t.Error("a deviation without a reason parsed")
	}
}

// TestRequiresSkips runs a transcript that needs a capability the engine
// does not offer: it is skipped, not failed; one it offers runs.
func TestRequiresSkips(t *testing.T) {
	for _, tc := range []struct {
		requires string
		want     Status
	}{
		{"X-NO-SUCH-CAPABILITY", Skip},
		{"IMAP4rev2 IDLE", Pass},
	} {
		tr, err := Parse("x.txtar", []byte("t\nprotocol: imap\nrequires: "+tc.requires+"\n-- transcript --\nS: * OK {*}\nC: a1 LOGOUT\nS: * BYE {*}\nS: a1 OK {*}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if r := Run(tr, Engine{}, time.Now); r.Status != tc.want {
			t.Errorf("requires %s: %s (%s), want %s", tc.requires, r.Status, r.Message, tc.want)
		}
	}
}
