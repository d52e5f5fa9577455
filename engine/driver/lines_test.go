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
