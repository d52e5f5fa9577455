package message

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(s string) time.Time {
	t, err := time.Parse(time.ANSIC, s)
	if err != nil {
		panic(err)
	}
	return t
}

func msg(sender, when, raw string, flags ...string) MboxMessage {
	m := MboxMessage{Sender: sender, Raw: []byte(raw), Flags: flags}
	if when != "" {
		m.Date = date(when)
	}
	return m
}

const (
	d1 = "Thu Jan  1 09:00:00 2026"
	d2 = "Fri Jan  2 10:30:00 2026"
)

func TestReadMbox(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []MboxMessage
	}{
		{name: "empty", in: "", want: nil},
		{
			name: "one message",
			in:   "From alice@example.com " + d1 + "\nSubject: hi\n\nHello.\n\n",
			want: []MboxMessage{msg("alice@example.com", d1, "Subject: hi\n\nHello.\n")},
		},
		{
			name: "two messages",
			in:   "From a@example.com " + d1 + "\nSubject: 1\n\none\n\nFrom b@example.com " + d2 + "\nSubject: 2\n\ntwo\n\n",
			want: []MboxMessage{
				msg("a@example.com", d1, "Subject: 1\n\none\n"),
				msg("b@example.com", d2, "Subject: 2\n\ntwo\n"),
			},
		},
		{
			name: "no terminating blank line at end of file",
			in:   "From a@example.com " + d1 + "\nSubject: 1\n\none\n",
			want: []MboxMessage{msg("a@example.com", d1, "Subject: 1\n\none\n")},
		},
		{
			name: "missing final newline",
			in:   "From a@example.com " + d1 + "\nSubject: 1\n\none",
			want: []MboxMessage{msg("a@example.com", d1, "Subject: 1\n\none\n")},
		},
		{
			name: "body ending in blank lines keeps all but the terminator",
			in:   "From a@example.com " + d1 + "\nSubject: 1\n\none\n\n\n\nFrom b@example.com " + d2 + "\nSubject: 2\n\n",
			want: []MboxMessage{
				msg("a@example.com", d1, "Subject: 1\n\none\n\n\n"),
				msg("b@example.com", d2, "Subject: 2\n"),
			},
		},
		{
			name: "From not after a blank line is body",
			in:   "From a@example.com " + d1 + "\nSubject: 1\n\nline\nFrom here on\n\n",
			want: []MboxMessage{msg("a@example.com", d1, "Subject: 1\n\nline\nFrom here on\n")},
		},
		{
			name: "mboxrd unquoting",
			in:   "From a@example.com " + d1 + "\nSubject: 1\n\n>From the start\n>>From quoted\n> From not quoted\n>Fromage\nx >From y\n\n",
			want: []MboxMessage{msg("a@example.com", d1, "Subject: 1\n\nFrom the start\n>From quoted\n> From not quoted\n>Fromage\nx >From y\n")},
		},
		{
			name: "CRLF line endings",
			in:   "From a@example.com " + d1 + "\r\nSubject: 1\r\n\r\none\r\n\r\nFrom b@example.com " + d2 + "\r\nSubject: 2\r\n\r\ntwo\r\n\r\n",
			want: []MboxMessage{
				msg("a@example.com", d1, "Subject: 1\r\n\r\none\r\n"),
				msg("b@example.com", d2, "Subject: 2\r\n\r\ntwo\r\n"),
			},
		},
		{
			name: "empty message",
			in:   "From a@example.com " + d1 + "\n\nFrom b@example.com " + d2 + "\nX: y\n",
			want: []MboxMessage{msg("a@example.com", d1, ""), msg("b@example.com", d2, "X: y\n")},
		},
		{
			name: "date forms",
			in: "From a Thu Jan 1 09:00:00 2026\n\n" +
				"From b Thu Jan  1 10:00:00 CET 2026\n\n" +
				"From c Thu Jan  1 09:00:00 2026 -0800\n\n" +
				"From d Thu Jan  1 09:00:00 +0100 2026\n\n" +
				"From MAILER-DAEMON  Thu Jan  1 09:00:00 2026\n\n" +
				"From e yesterday\n\n" +
				"From  " + d1 + "\n\n" +
				"From \n\n" +
				"From f\n\n",
			want: []MboxMessage{
				msg("a", d1, ""),
				{Sender: "b", Date: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), Raw: []byte{}},
				msg("c", "Thu Jan  1 17:00:00 2026", ""),
				msg("d", "Thu Jan  1 08:00:00 2026", ""),
				msg("MAILER-DAEMON", d1, ""),
				msg("e", "", ""),
				msg("", d1, ""),
				msg("", "", ""),
				msg("f", "", ""),
			},
		},
		{
			name: "flags",
			in: "From a " + d1 + "\nStatus: RO\nX-Status: AF\nSubject: x\n\nStatus: R in the body is not a flag\n\n" +
				"From b " + d1 + "\nstatus: O\nSubject: y\n\n" +
				"From c " + d1 + "\nX-Status: \n  TD\nSubject: z\n\n" +
				"From d " + d1 + "\nSubject: w\n\nX-Status: F\n",
			want: []MboxMessage{
				msg("a", d1, "Status: RO\nX-Status: AF\nSubject: x\n\nStatus: R in the body is not a flag\n", `\Seen`, `\Answered`, `\Flagged`),
				msg("b", d1, "status: O\nSubject: y\n"),
				msg("c", d1, "X-Status: \n  TD\nSubject: z\n", `\Deleted`, `\Draft`),
				msg("d", d1, "Subject: w\n\nX-Status: F\n"),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadMbox(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, emptyRaw); diff != "" {
				t.Errorf("ReadMbox (-want +got):\n%s", diff)
			}
			// A reader that returns one byte at a time must see the same.
			got, err = ReadMbox(iotest.OneByteReader(strings.NewReader(tc.in)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, emptyRaw); diff != "" {
				t.Errorf("ReadMbox one byte at a time (-want +got):\n%s", diff)
			}
		})
	}
}

// emptyRaw treats nil and empty Raw alike.
var emptyRaw = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

func TestReadMboxErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		max     int
		line    int
		want    string
		wantErr error
	}{
		{name: "no From line", in: "Subject: hi\n\nbody\n", line: 1, want: `message: mbox line 1: does not start with a "From " line`},
		{name: "leading blank line", in: "\nFrom a " + d1 + "\n", line: 1, want: "does not start"},
		{name: "From without space", in: "From:alice@example.com\n", line: 1, want: "does not start"},
		{
			name: "message too large",
			in:   "From a " + d1 + "\nSubject: 1\n\nsmall\n\nFrom b " + d1 + "\nSubject: 2\n\n" + strings.Repeat("0123456789\n", 10) + "\n",
			max:  100, line: 6, want: "message: mbox line 6: message too large: over 100 bytes", wantErr: ErrTooLarge,
		},
		{
			name: "single long line",
			in:   "From a " + d1 + "\nSubject: 1\n\n" + strings.Repeat("x", 5000) + "\n",
			max:  1000, line: 1, wantErr: ErrTooLarge,
		},
		{
			name: "long separator",
			in:   "From a " + strings.Repeat("x", 5000) + "\n",
			max:  1000, line: 1, wantErr: ErrTooLarge,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mr := NewMboxReader(strings.NewReader(tc.in))
			if tc.max != 0 {
				mr.maxSize = tc.max
			}
			var err error
			for err == nil {
				_, err = mr.Next()
			}
			var me *MboxError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not an *MboxError", err, err)
			}
			if me.Line != tc.line {
				t.Errorf("Line = %d, want %d (%v)", me.Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "message: ") {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
			if _, again := mr.Next(); again != err {
				t.Errorf("error is not sticky: %v then %v", err, again)
			}
		})
	}
}

func TestReadMboxBoundary(t *testing.T) {
	// A message of exactly the limit is fine, one byte more is not.
	for _, tc := range []struct {
		size int
		ok   bool
	}{{100, true}, {101, false}} {
		raw := "S: " + strings.Repeat("x", tc.size-4) + "\n"
		in := "From a " + d1 + "\n" + raw + "\n"
		mr := NewMboxReader(strings.NewReader(in))
		mr.maxSize = 100
		m, err := mr.Next()
		if tc.ok && (err != nil || len(m.Raw) != tc.size) {
			t.Errorf("size %d: %d bytes, %v", tc.size, len(m.Raw), err)
		}
		if !tc.ok && !errors.Is(err, ErrTooLarge) {
			t.Errorf("size %d: err = %v, want ErrTooLarge", tc.size, err)
		}
	}
}

type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestReadMboxReadError(t *testing.T) {
	_, err := ReadMbox(failingReader{strings.NewReader("From a " + d1 + "\nX: y\n")})
	var me *MboxError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want an *MboxError wrapping the read error", err)
	}
}

func TestWriteMbox(t *testing.T) {
	msgs := []MboxMessage{
		msg("alice@example.com", d1, "Subject: 1\n\nFrom the start\n>From quoted\nfine\n"),
		msg("", "", "Subject: 2\n\nno final newline"),
		msg("bob@example.com", d2, ""),
		msg("carol@example.com", d2, "Subject: 3\r\n\r\n\r\n"),
	}
	var buf bytes.Buffer
	if err := WriteMbox(&buf, msgs); err != nil {
		t.Fatal(err)
	}
	want := "From alice@example.com " + d1 + "\nSubject: 1\n\n>From the start\n>>From quoted\nfine\n\n" +
		"From  Mon Jan  1 00:00:00 0001\nSubject: 2\n\nno final newline\n\n" +
		"From bob@example.com " + d2 + "\n\n" +
		"From carol@example.com " + d2 + "\nSubject: 3\r\n\r\n\r\n\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("WriteMbox (-want +got):\n%s", diff)
	}
	got, err := ReadMbox(&buf)
	if err != nil {
		t.Fatal(err)
	}
	msgs[1].Raw = append(msgs[1].Raw, '\n')
	if diff := cmp.Diff(msgs, got, emptyRaw); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	for _, sender := range []string{"a b", "a\nb"} {
		err := WriteMbox(io.Discard, []MboxMessage{{Sender: sender}})
		if err == nil || !strings.HasPrefix(err.Error(), "message: ") {
			t.Errorf("WriteMbox with sender %q: err = %v, want an error", sender, err)
		}
	}
}

var fuzzSeeds = []string{
	"",
	"From alice@example.com " + d1 + "\nSubject: hi\n\nHello.\n\n",
	"From a " + d1 + "\nStatus: RO\nX-Status: AFTD\n\n>From x\n>>From y\nFrom z\n\nFrom b " + d2 + "\r\n\r\n",
	"From a " + d1 + "\n\n\n\nFrom b\n",
	"From a Thu Jan  1 09:00:00 2026 -1200\nX: y",
	"From a Thu Jan  1 09:00:00 0000 +0100\n",
	"From a\r\r\n.\n..hidden\n",
	"From \n",
}

func FuzzReadMbox(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		first, err := ReadMbox(strings.NewReader(in))
		if err != nil {
			var me *MboxError
			if !errors.As(err, &me) || me.Line < 1 {
				t.Fatalf("error %v is not an *MboxError with a line", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteMbox(&buf, first); err != nil {
			t.Fatalf("WriteMbox of a read mbox: %v", err)
		}
		written := buf.String()
		second, err := ReadMbox(&buf)
		if err != nil {
			t.Fatalf("reading written mbox: %v\n%q", err, written)
		}
		if diff := cmp.Diff(first, second, emptyRaw); diff != "" {
			t.Fatalf("round trip changed messages (-first +second):\n%s", diff)
		}
		var again bytes.Buffer
		if err := WriteMbox(&again, second); err != nil || again.String() != written {
			t.Fatalf("second write differs: %v\n%q\n%q", err, written, again.String())
		}
	})
}
