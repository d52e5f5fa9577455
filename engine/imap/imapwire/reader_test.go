package imapwire_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// policy decides about a synchronizing literal: true accepts it.
type policy func(imapwire.LiteralRequest) bool

func acceptAll(imapwire.LiteralRequest) bool { return true }

// rejectOver accepts literals of at most n octets.
func rejectOver(n int64) policy {
	return func(l imapwire.LiteralRequest) bool { return l.Size <= n }
}

// drive feeds the chunks to r one by one, draining events after each, and
// describes the events:
//
//	cmd "..."                  a command
//	lit TAG SIZE [binary] +|-  a synchronizing literal, accepted (+) or rejected (-)
//	err TAG: text              a dropped command ("*" for no tag)
func drive(r *imapwire.Reader, chunks [][]byte, p policy) []string {
	return driveEvents(r, chunks, p, false)
}

// driveEvents is drive; verbose adds every field of a CommandError.
func driveEvents(r *imapwire.Reader, chunks [][]byte, p policy, verbose bool) []string {
	var out []string
	for _, c := range chunks {
		r.Feed(c)
		for {
			ev := r.Next()
			switch ev.Kind {
			case imapwire.EventNeedInput:
			case imapwire.EventCommand:
				out = append(out, "cmd "+strconv.Quote(string(ev.Command)))
				continue
			case imapwire.EventLiteral:
				l := ev.Literal
				tag := l.Tag
				if tag == "" {
					tag = "*"
				}
				s := fmt.Sprintf("lit %s %d", tag, l.Size)
				if l.Binary {
					s += " binary"
				}
				if !bytes.HasSuffix(l.Prefix, []byte("}\r\n")) {
					s += " (bad prefix " + strconv.Quote(string(l.Prefix)) + ")"
				}
				if p(l) {
					r.Accept()
					s += " +"
				} else {
					r.Reject()
					s += " -"
				}
				out = append(out, s)
				continue
			case imapwire.EventError:
				var ce *imapwire.CommandError
				if !errors.As(ev.Err, &ce) {
					out = append(out, "err (not a *CommandError) "+ev.Err.Error())
					continue
				}
				tag := ce.Tag
				if tag == "" {
					tag = "*"
				}
				s := "err " + tag + ": " + ce.Text()
				if verbose {
					s += fmt.Sprintf(" %+v", *ce)
				}
				out = append(out, s)
				continue
			}
			break
		}
	}
	return out
}

func TestReader(t *testing.T) {
	small := imapwire.Limits{MaxLine: 40, MaxLiteral: 100, MaxLiterals: 3, MaxCommand: 300}
	tests := []struct {
		name   string
		lim    imapwire.Limits
		in     string
		policy policy
		want   []string
	}{
		{
			name: "simple commands",
			in:   "a001 login mrc secret\r\na002 select inbox\r\na006 logout\r\n",
			want: []string{`cmd "a001 login mrc secret"`, `cmd "a002 select inbox"`, `cmd "a006 logout"`},
		},
		{
			name: "bare LF ends a line too",
			in:   "a1 NOOP\na2 LOGIN {3}\nfoo bar\n",
			want: []string{`cmd "a1 NOOP"`, `lit a2 3 +`, `cmd "a2 LOGIN {3}\r\nfoo bar"`},
		},
		{
			name: "incomplete command waits",
			in:   "a1 NOOP\r\na2 NO",
			want: []string{`cmd "a1 NOOP"`},
		},
		{
			name: "empty line is an empty command",
			in:   "\r\na1 NOOP\r\n",
			want: []string{`cmd ""`, `cmd "a1 NOOP"`},
		},
		{
			name: "RFC 3501 7.5 synchronizing literals",
			in:   "A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
			want: []string{"lit A001 11 +", "lit A001 7 +", `cmd "A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man"`},
		},
		{
			name: "RFC 7888 3 non-synchronizing literals",
			in:   "A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\nA002 NOOP\r\n",
			want: []string{`cmd "A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man"`, `cmd "A002 NOOP"`},
		},
		{
			name: "literal with CRLF and a marker inside",
			in:   "A1 APPEND x {12+}\r\nab {3}\r\ncd\r\n\r\n",
			want: []string{`cmd "A1 APPEND x {12+}\r\nab {3}\r\ncd\r\n"`},
		},
		{
			name: "zero-length literal",
			in:   "A1 LOGIN {0}\r\n {0+}\r\n\r\n",
			want: []string{"lit A1 0 +", `cmd "A1 LOGIN {0}\r\n {0+}\r\n"`},
		},
		{
			name: "literal8",
			in:   "A1 APPEND x ~{3}\r\na\x00b\r\nA2 APPEND y ~{2+}\r\n\x00\x00\r\n",
			want: []string{"lit A1 3 binary +", "cmd \"A1 APPEND x ~{3}\\r\\na\\x00b\"", "cmd \"A2 APPEND y ~{2+}\\r\\n\\x00\\x00\""},
		},
		{
			name:   "rejected literal: the client sends the next command",
			in:     "A1 APPEND INBOX {500000}\r\nA2 NOOP\r\n",
			policy: rejectOver(1000),
			want:   []string{"lit A1 500000 -", `cmd "A2 NOOP"`},
		},
		{
			name: "marker not at the end of the line is not a literal",
			in:   "A1 LOGIN {3}foo bar\r\n",
			want: []string{`cmd "A1 LOGIN {3}foo bar"`},
		},
		{
			name: "not markers",
			in:   "A1 X {}\r\nA2 X {+}\r\nA3 X {1a}\r\nA4 X 1}\r\nA5 X }\r\n",
			want: []string{`cmd "A1 X {}"`, `cmd "A2 X {+}"`, `cmd "A3 X {1a}"`, `cmd "A4 X 1}"`, `cmd "A5 X }"`},
		},
		{
			name: "line too long is dropped and the next command read",
			lim:  small,
			in:   "A1 LOGIN " + strings.Repeat("x", 100) + "\r\nA2 NOOP\r\n",
			want: []string{"err A1: Command line longer than 40 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "line of exactly MaxLine octets",
			lim:  small,
			in:   "A1 " + strings.Repeat("x", 37) + "\r\n",
			want: []string{`cmd "A1 ` + strings.Repeat("x", 37) + `"`},
		},
		{
			name: "line one octet too long",
			lim:  small,
			in:   "A1 " + strings.Repeat("x", 38) + "\r\nA2 NOOP\r\n",
			want: []string{"err A1: Command line longer than 40 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "overlong line without a tag",
			lim:  small,
			in:   strings.Repeat("(", 100) + "\r\nA2 NOOP\r\n",
			want: []string{"err *: Command line longer than 40 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "overlong line ending in a non-synchronizing literal: the literal is skipped",
			lim:  small,
			in:   "A1 X " + strings.Repeat("x", 100) + " {6+}\r\nA9 Z\r\n more\r\nA2 NOOP\r\n",
			want: []string{"err A1: Command line longer than 40 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "overlong line ending in a synchronizing literal: the client waits, nothing to skip",
			lim:  small,
			in:   "A1 X " + strings.Repeat("x", 100) + " {5}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Command line longer than 40 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "overlong continuation line",
			lim:  small,
			in:   "A1 X {2+}\r\nab " + strings.Repeat("y", 50) + "\r\nA2 NOOP\r\n",
			want: []string{"err A1: Command line longer than 40 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "synchronizing literal over MaxLiteral is refused before the client sends it",
			lim:  small,
			in:   "A1 APPEND INBOX {101}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Literal of 101 octets exceeds the limit of 100", `cmd "A2 NOOP"`},
		},
		{
			name: "LITERAL+ over the limit: exactly n octets are read and discarded",
			lim:  small,
			in:   "A1 APPEND INBOX {101+}\r\n" + strings.Repeat("A3 NOOP\r\n", 11) + "xx\r\nA2 NOOP\r\n",
			want: []string{"err A1: Literal of 101 octets exceeds the limit of 100", `cmd "A2 NOOP"`},
		},
		{
			name: "LITERAL+ over the limit, more literals after it",
			lim:  small,
			in:   "A1 X {101+}\r\n" + strings.Repeat("z", 101) + " {3+}\r\nabc {2}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Literal of 101 octets exceeds the limit of 100", `cmd "A2 NOOP"`},
		},
		{
			name: "LITERAL- limit on non-synchronizing literals only",
			lim:  imapwire.Limits{MaxNonSyncLiteral: imapwire.LiteralMinusMax},
			in:   "A1 APPEND INBOX {4097+}\r\n" + strings.Repeat("m", 4097) + "\r\nA2 APPEND INBOX {4097}\r\n",
			want: []string{"err A1: Literal of 4097 octets exceeds the limit of 4096", "lit A2 4097 +"},
		},
		{
			name: "literal count overflow",
			in:   "A1 LOGIN {99999999999999999999}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Literal size is not a number below 2^63", `cmd "A2 NOOP"`},
		},
		{
			name: "non-synchronizing literal count overflow: resynchronise on the next line",
			in:   "A1 LOGIN {99999999999999999999+}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Literal size is not a number below 2^63", `cmd "A2 NOOP"`},
		},
		{
			name: "largest number64 literal count",
			lim:  small,
			in:   "A1 X {9223372036854775807}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Literal of 9223372036854775807 octets exceeds the limit of 100", `cmd "A2 NOOP"`},
		},
		{
			name: "too many literals",
			lim:  small,
			in:   "A1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {1}\r\nA2 NOOP\r\n",
			want: []string{"err A1: More than 3 literals in one command", `cmd "A2 NOOP"`},
		},
		{
			name: "command too large",
			lim:  small,
			in:   "A1 X {100+}\r\n" + strings.Repeat("a", 100) + " {100+}\r\n" + strings.Repeat("b", 100) + " {100}\r\nA2 NOOP\r\n",
			want: []string{"err A1: Command larger than 300 octets", `cmd "A2 NOOP"`},
		},
		{
			name: "a client reading responses accepts every literal",
			in:   "* 12 FETCH (BODY[HEADER] {6}\r\nab\r\n\r\n)\r\n+ Ready\r\n",
			want: []string{"lit * 6 +", "cmd \"* 12 FETCH (BODY[HEADER] {6}\\r\\nab\\r\\n\\r\\n)\"", `cmd "+ Ready"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p == nil {
				p = acceptAll
			}
			got := drive(imapwire.NewReader(tc.lim), [][]byte{[]byte(tc.in)}, p)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			// The same stream octet by octet gives the same events.
			var chunks [][]byte
			for i := range len(tc.in) {
				chunks = append(chunks, []byte{tc.in[i]})
			}
			got = drive(imapwire.NewReader(tc.lim), chunks, p)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events, fed octet by octet (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderCommandError(t *testing.T) {
	r := imapwire.NewReader(imapwire.Limits{MaxLiteral: 10})
	r.Feed([]byte("A1 APPEND INBOX {11}\r\n"))
	ev := r.Next()
	if ev.Kind != imapwire.EventError {
		t.Fatalf("Next = %v, want EventError", ev.Kind)
	}
	var ce *imapwire.CommandError
	if !errors.As(ev.Err, &ce) {
		t.Fatalf("Err = %T, want *CommandError", ev.Err)
	}
	want := &imapwire.CommandError{Tag: "A1", Err: imapwire.ErrLiteralTooLarge, Size: 11, Limit: 10, Synchronizing: true}
	if diff := cmp.Diff(*want, *ce, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("CommandError (-want +got):\n%s", diff)
	}
	if !errors.Is(ev.Err, imapwire.ErrLiteralTooLarge) {
		t.Error("errors.Is(err, ErrLiteralTooLarge) = false")
	}
	if got := ce.Code(); got != "TOOBIG" {
		t.Errorf("Code() = %q, want TOOBIG", got)
	}
	if got, want := ce.Error(), "imapwire: literal too large: Literal of 11 octets exceeds the limit of 10"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	line := &imapwire.CommandError{Err: imapwire.ErrLineTooLong, Limit: 5}
	if got := line.Code(); got != "LIMIT" {
		t.Errorf("line too long: Code() = %q, want LIMIT", got)
	}
}

func TestReaderLiteralRequest(t *testing.T) {
	r := imapwire.NewReader(imapwire.Limits{})
	r.Feed([]byte("A3 APPEND saved-messages (\\Seen) ~{326}\r\n"))
	ev := r.Next()
	want := imapwire.LiteralRequest{
		Tag: "A3", Size: 326, Binary: true, Index: 1,
		Prefix: []byte("A3 APPEND saved-messages (\\Seen) ~{326}\r\n"),
	}
	if diff := cmp.Diff(want, ev.Literal); diff != "" {
		t.Errorf("LiteralRequest (-want +got):\n%s", diff)
	}
	// Asked again before deciding, the Reader repeats the request.
	if ev2 := r.Next(); ev2.Kind != imapwire.EventLiteral || ev2.Literal.Size != 326 {
		t.Errorf("second Next = %+v, want the same EventLiteral", ev2)
	}
	// The prefix decodes up to the literal.
	d := imapwire.NewDecoder(ev.Literal.Prefix)
	d.Tag()
	d.ExpectSP()
	d.ExpectKeyword("APPEND")
	d.ExpectSP()
	if got := d.Mailbox(); got != "saved-messages" || d.Err() != nil {
		t.Errorf("Mailbox() = %q, %v", got, d.Err())
	}
}

func TestReaderMisuse(t *testing.T) {
	for _, f := range []func(*imapwire.Reader){(*imapwire.Reader).Accept, (*imapwire.Reader).Reject} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic without a pending literal")
				}
			}()
			f(imapwire.NewReader(imapwire.Limits{}))
		}()
	}
}

func TestReaderDefaults(t *testing.T) {
	got := imapwire.NewReader(imapwire.Limits{}).Limits()
	want := imapwire.Limits{
		MaxLine: 64 << 10, MaxLiteral: 64 << 20, MaxNonSyncLiteral: 64 << 20,
		MaxLiterals: 64, MaxCommand: 64<<20 + 1<<20,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Limits (-want +got):\n%s", diff)
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[imapwire.EventKind]string{
		imapwire.EventNeedInput: "EventNeedInput", imapwire.EventCommand: "EventCommand",
		imapwire.EventLiteral: "EventLiteral", imapwire.EventError: "EventError", 9: "EventKind(9)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
