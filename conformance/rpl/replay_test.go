package rpl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// handWritten is a scenario written for these tests: a root server that
// refers everything under example. to ns.example, which answers
// www.example. with 10.0.0.1 up to step 15 and 10.0.0.2 after, and knows
// nothing else. The steps check the first answer, the cached TTL counting
// down, the range valid after the data expired, and a query nobody
// answers.
const handWritten = `server:
	qname-minimisation: no
	harden-glue: yes
stub-zone:
	name: "."
	stub-addr: 192.0.2.1
CONFIG_END

SCENARIO_BEGIN hand-written: cache, step ranges, an unanswered query
; the root
RANGE_BEGIN 0 100
	ADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode subdomain
ADJUST copy_id copy_query
REPLY QR NOERROR
SECTION QUESTION
example. IN NS
SECTION AUTHORITY
example. IN NS ns.example.
SECTION ADDITIONAL
ns.example. IN A 192.0.2.2
ENTRY_END
RANGE_END

; ns.example, before step 15
RANGE_BEGIN 0 15
	ADDRESS 192.0.2.2
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
www.example. 60 IN A 10.0.0.1
ENTRY_END
RANGE_END

; ns.example, from step 16
RANGE_BEGIN 16 100
	ADDRESS 192.0.2.2
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
www.example. 60 IN A 10.0.0.2
ENTRY_END
RANGE_END

STEP 1 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
www.example. IN A
ENTRY_END

STEP 2 CHECK_ANSWER
ENTRY_BEGIN
MATCH all ttl
REPLY QR RD RA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
www.example. 60 IN A 10.0.0.1
ENTRY_END

STEP 3 TIME_PASSES ELAPSE 20

STEP 4 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
WWW.Example. IN A
ENTRY_END

STEP 5 CHECK_ANSWER
ENTRY_BEGIN
MATCH all ttl
REPLY QR RD RA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
www.example. 40 IN A 10.0.0.1
ENTRY_END

STEP 10 TIME_PASSES ELAPSE 41

STEP 20 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
www.example. IN A
ENTRY_END

STEP 21 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
www.example. IN A 10.0.0.2
ENTRY_END

STEP 30 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
nx.example. IN A
ENTRY_END

STEP 31 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA SERVFAIL
SECTION QUESTION
nx.example. IN A
ENTRY_END
SCENARIO_END
`

// lineOf returns the line of handWritten that starts with prefix.
func lineOf(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

func TestReplay(t *testing.T) {
	tests := []struct {
		name string
		// edit changes handWritten: each pair replaces old with new.
		edit    []string
		status  Status
		line    string // prefix of the line the outcome points at
		message string // a part of the message
	}{
		{name: "passes", status: Passed},
		{
			name:   "wrong address at the range after step 15",
			edit:   []string{"www.example. IN A 10.0.0.2\nENTRY_END\n\nSTEP 30", "www.example. IN A 10.0.0.9\nENTRY_END\n\nSTEP 30"},
			status: Failed, line: "STEP 21 CHECK_ANSWER",
			message: "STEP 21 CHECK_ANSWER: the answer does not match the entry of line 100: message differs (answer)",
		},
		{
			name:   "wrong TTL with MATCH ttl",
			edit:   []string{"www.example. 40 IN A 10.0.0.1", "www.example. 41 IN A 10.0.0.1"},
			status: Failed, line: "STEP 5 CHECK_ANSWER", message: "message differs (answer)",
		},
		{
			name:   "TTLs ignored without MATCH ttl",
			edit:   []string{"MATCH all ttl\nREPLY QR RD RA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. 40", "MATCH all\nREPLY QR RD RA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. 41"},
			status: Passed,
		},
		{
			name:   "flags are compared by MATCH all",
			edit:   []string{"REPLY QR RD RA SERVFAIL", "REPLY QR AA RD RA SERVFAIL"},
			status: Failed, line: "STEP 31 CHECK_ANSWER", message: "message differs (flags)",
		},
		{
			name:   "an answer left unchecked fails",
			edit:   []string{"STEP 31 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA SERVFAIL\nSECTION QUESTION\nnx.example. IN A\nENTRY_END\n", "STEP 31 NOTHING\n"},
			status: Failed, line: "STEP 31 NOTHING", message: "1 answer(s) of the resolver left unchecked at SCENARIO_END",
		},
		{
			name: "after the last step every range answers",
			edit: []string{
				"; ns.example, before step 15\n", "RANGE_BEGIN 0 5\n\tADDRESS 192.0.2.2\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nlate.example. IN A\nSECTION ANSWER\nlate.example. IN A 10.0.0.5\nENTRY_END\nRANGE_END\n",
				"nx.example. IN A\nENTRY_END\n\nSTEP 31 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA SERVFAIL\nSECTION QUESTION\nnx.example. IN A\nENTRY_END\n", "late.example. IN A\nENTRY_END\n",
			},
			status: Failed, line: "STEP 30 QUERY", message: "late.example.\t3600\tIN\tA\t10.0.0.5",
		},
		{
			name:   "no answer to check",
			edit:   []string{"STEP 30 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nnx.example. IN A\nENTRY_END\n", ""},
			status: Failed, line: "STEP 31 CHECK_ANSWER", message: "the resolver gave no answer to check",
		},
		{
			name:   "an option not understood makes a skip",
			edit:   []string{"\tharden-glue: yes\n", "\tharden-glue: yes\n\tprefetch: yes\n"},
			status: Skipped, line: "\tprefetch: yes",
			message: "not understood, and could change the outcome: line 4: server: prefetch: yes (not understood). Replayed without them, it passes",
		},
		{
			name:   "a failure under a skip is told",
			edit:   []string{"\tharden-glue: yes\n", "\tharden-glue: no\n", "www.example. 40 IN A", "www.example. 41 IN A"},
			status: Skipped, line: "\tharden-glue: no", message: "Replayed without them, it fails at line 80: STEP 5 CHECK_ANSWER",
		},
		{
			name:   "a step not understood makes a skip",
			edit:   []string{"SCENARIO_END", "STEP 40 CHECK_OUT_QUERY\nENTRY_BEGIN\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSCENARIO_END"},
			status: Skipped, line: "STEP 40 CHECK_OUT_QUERY", message: "STEP 40 CHECK_OUT_QUERY",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := handWritten
			for i := 0; i < len(tc.edit); i += 2 {
				if !strings.Contains(text, tc.edit[i]) {
					t.Fatalf("the scenario has no %q", tc.edit[i])
				}
				text = strings.Replace(text, tc.edit[i], tc.edit[i+1], 1)
			}
			s, err := Parse("hand.rpl", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			o := Replay(s)
			type result struct {
				Status Status
				Line   int
			}
			want := result{tc.status, 0}
			if tc.line != "" {
				want.Line = lineOf(t, text, tc.line)
			}
			if diff := cmp.Diff(want, result{o.Status, o.Line}); diff != "" || !strings.Contains(o.Message, tc.message) {
				t.Errorf("outcome (-want +got):\n%s\nmessage %q, want it to contain %q\n%s\nlog:\n%s", diff, o.Message, tc.message, o.Diff, strings.Join(o.Log, "\n"))
			}
		})
	}
}

// TestReplayLog checks what the replay did, not only its verdict: the
// upstream queries each step caused, which entry answered, and the query
// left unanswered.
func TestReplayLog(t *testing.T) {
	s, err := Parse("hand.rpl", []byte(handWritten))
	if err != nil {
		t.Fatal(err)
	}
	o := Replay(s)
	want := []string{
		"[0s] STEP 1 QUERY www.example. A",
		"[0s] 192.0.2.1 <- www.example. A: answered by the entry of line 13 (NOERROR)",
		"[0s] 192.0.2.2 <- www.example. A: answered by the entry of line 29 (NOERROR)",
		"[0s] STEP 1: answer NOERROR, flags QR RD RA, answer 1, authority 0, additional 0",
		"[0s] STEP 2 CHECK_ANSWER: matches the entry of line 62",
		"[20s] STEP 3 TIME_PASSES ELAPSE 20",
		"[20s] STEP 4 QUERY WWW.Example. A",
		"[20s] STEP 4: answer NOERROR, flags QR RD RA, answer 1, authority 0, additional 0",
		"[20s] STEP 5 CHECK_ANSWER: matches the entry of line 81",
		"[1m1s] STEP 10 TIME_PASSES ELAPSE 41",
		"[1m1s] STEP 20 QUERY www.example. A",
		"[1m1s] 192.0.2.2 <- www.example. A: answered by the entry of line 43 (NOERROR)",
		"[1m1s] STEP 20: answer NOERROR, flags QR RD RA, answer 1, authority 0, additional 0",
		"[1m1s] STEP 21 CHECK_ANSWER: matches the entry of line 100",
		"[1m1s] STEP 30 QUERY nx.example. A",
		"[1m1s] 192.0.2.2 <- nx.example. A: no entry matches; unanswered",
		"[1m1.8s] STEP 30: answer SERVFAIL, flags QR RD RA, answer 0, authority 0, additional 0",
		"[1m1.8s] STEP 31 CHECK_ANSWER: matches the entry of line 117",
	}
	if diff := cmp.Diff(want, o.Log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if o.Status != Passed {
		t.Errorf("status %s: %s", o.Status, o.Message)
	}
}
