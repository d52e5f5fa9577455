package driver

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLines(t *testing.T) {
	type got struct {
		Line    string
		OK      bool
		TooLong bool
	}
	for _, tc := range []struct {
		name   string
		writes []string
		limit  int
		want   []got // successive Next results until one is not ok and not too long
	}{
		{"crlf and lf", []string{"NOOP\r\nQUIT\n"}, 10, []got{{"NOOP", true, false}, {"QUIT", true, false}, {}}},
		{"split across writes", []string{"NO", "OP\r", "\n"}, 10, []got{{"NOOP", true, false}, {}}},
		{"at the limit", []string{"12345678\r\n"}, 10, []got{{"12345678", true, false}, {}}},
		{"one over, end present", []string{"123456789\r\nNOOP\r\n"}, 10, []got{{"", false, true}, {"NOOP", true, false}, {}}},
		{"over before its end arrives", []string{strings.Repeat("x", 11), strings.Repeat("y", 50), "\r\nNOOP\r\n"}, 10,
			[]got{{"", false, true}, {"NOOP", true, false}, {}}},
		{"incomplete", []string{"NOO"}, 10, []got{{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Lines
			var out []got
			for _, w := range tc.writes {
				l.Write([]byte(w))
				// Reading after each write, as a session does, must not
				// lose or duplicate anything.
				for {
					line, ok, tooLong := l.Next(tc.limit)
					if !ok && !tooLong {
						break
					}
					out = append(out, got{line, ok, tooLong})
				}
			}
			out = append(out, got{})
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(l.buf) > tc.limit+1 {
				t.Errorf("%d octets held, over the limit", len(l.buf))
			}
		})
	}
	var l Lines
	l.Write([]byte("auth PLAIN x\r\nQUIT\r\n"))
	if !l.HasPrefixFold("AUTH ") || l.HasPrefixFold("QUIT") {
		t.Error("HasPrefixFold does not look at the next line without case")
	}
	l.Drop()
	if _, ok, _ := l.Next(100); ok {
		t.Error("a line survived Drop")
	}
}

// TestLinesFeed: replies come in order, a line may need none, and a reply
// that starts TLS or closes ends the run; after STARTTLS the lines the
// client pipelined in the clear are gone.
func TestLinesFeed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		left     bool // a line is still there afterwards
	}{
		{"all answered", "A\r\nB\r\n", []string{"A", "B"}, false},
		{"text needs no reply", "A\r\ntext\r\nB\r\n", []string{"A", "B"}, false},
		{"starttls drops the rest", "A\r\nSTARTTLS\r\nB\r\n", []string{"A", "STARTTLS"}, false},
		{"close stops", "QUIT\r\nB\r\n", []string{"QUIT"}, true},
		{"too long", "A\r\n" + strings.Repeat("x", 20) + "\r\nB\r\n", []string{"A", "too long", "B"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Lines
			l.Write([]byte(tc.in))
			var got []string
			for _, r := range l.Feed(func() int { return 10 }, func(line string, tooLong bool) (Reply, bool) {
				switch {
				case tooLong:
					return Reply{Data: []byte("too long")}, true
				case line == "text":
					return Reply{}, false
				}
				return Reply{Data: []byte(line), StartTLS: line == "STARTTLS", Close: line == "QUIT"}, true
			}) {
				got = append(got, string(r.Data))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
			if _, ok, _ := l.Next(10); ok != tc.left {
				t.Errorf("a line left afterwards: %v, want %v", ok, tc.left)
			}
		})
	}
}
