package imapwire

import (
	"bytes"
	"testing"
)

// feedDrain feeds p in chunks of n octets and drains the events after each,
// accepting literals, and returns the events' kinds and commands; it fails
// if the Reader's buffers ever exceed maxHeld octets.
func feedDrain(t *testing.T, r *Reader, p []byte, n, maxHeld int) (kinds []EventKind, cmds []string) {
	t.Helper()
	for len(p) > 0 {
		c := p[:min(n, len(p))]
		p = p[len(c):]
		r.Feed(c)
		for {
			ev := r.Next()
			if held := cap(r.in) + cap(r.cmd); held > maxHeld {
				t.Fatalf("the Reader holds %d octets, more than %d", held, maxHeld)
			}
			if ev.Kind == EventNeedInput {
				break
			}
			kinds = append(kinds, ev.Kind)
			switch ev.Kind {
			case EventCommand:
				cmds = append(cmds, string(ev.Command))
			case EventLiteral:
				r.Accept()
			}
		}
	}
	return kinds, cmds
}

// TestReaderMemoryBounded streams an endless line and an oversized
// non-synchronizing literal through a Reader: it must report each once and
// skip them without buffering them.
func TestReaderMemoryBounded(t *testing.T) {
	const chunk = 4096
	lim := Limits{MaxLine: 1024, MaxLiteral: 1024}
	var in bytes.Buffer
	in.WriteString("A1 APPEND INBOX ")
	in.Write(bytes.Repeat([]byte("x"), 10<<20)) // 10 MiB without LF
	in.WriteString(" {3}\r\nA2 APPEND INBOX {8388608+}\r\n")
	in.Write(bytes.Repeat([]byte("y"), 8<<20))
	in.WriteString("\r\nA3 NOOP\r\n")

	r := NewReader(lim)
	kinds, cmds := feedDrain(t, r, in.Bytes(), chunk, 4*chunk+2*lim.MaxLine)
	if want := []EventKind{EventError, EventError, EventCommand}; !equalKinds(kinds, want) {
		t.Errorf("events = %v, want %v", kinds, want)
	}
	if len(cmds) != 1 || cmds[0] != "A3 NOOP" {
		t.Errorf("commands = %q, want [A3 NOOP]", cmds)
	}
}

// TestReaderReleasesLargeBuffer checks that the buffer of a large APPEND is
// not kept for the rest of the session.
func TestReaderReleasesLargeBuffer(t *testing.T) {
	r := NewReader(Limits{})
	var in bytes.Buffer
	in.WriteString("A1 APPEND INBOX {2097152+}\r\n")
	in.Write(bytes.Repeat([]byte("z"), 2<<20))
	in.WriteString("\r\n")
	_, cmds := feedDrain(t, r, in.Bytes(), 64<<10, 8<<20)
	if len(cmds) != 1 || len(cmds[0]) != len("A1 APPEND INBOX {2097152+}\r\n")+2<<20 {
		t.Fatalf("got %d commands", len(cmds))
	}
	r.Feed([]byte("A2 NOOP\r\n"))
	if ev := r.Next(); ev.Kind != EventCommand || string(ev.Command) != "A2 NOOP" {
		t.Fatalf("Next = %v %q", ev.Kind, ev.Command)
	}
	if cap(r.cmd) > keepCapacity {
		t.Errorf("command buffer of %d octets kept after the APPEND", cap(r.cmd))
	}
}

func equalKinds(a, b []EventKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseMarker(t *testing.T) {
	tests := []struct {
		line string
		want marker
	}{
		{"A1 LOGIN {3}", marker{ok: true, size: 3}},
		{"A1 LOGIN {3+}", marker{ok: true, nonSync: true, size: 3}},
		{"A1 APPEND x ~{3}", marker{ok: true, binary: true, size: 3}},
		{"A1 APPEND x ~{0+}", marker{ok: true, binary: true, nonSync: true, size: 0}},
		{"{007}", marker{ok: true, size: 7}},
		{"{9223372036854775807}", marker{ok: true, size: 1<<63 - 1}},
		{"{9223372036854775808}", marker{ok: true, size: -1}},
		{"{0000000000000000005}", marker{ok: true, size: 5}},
		{"{00000000000000000005}", marker{ok: true, size: -1}},
		{"{}", marker{}},
		{"{+}", marker{}},
		{"3}", marker{}},
		{"{3}x", marker{}},
		{"{3++}", marker{}},
		{"{-3}", marker{}},
		{"", marker{}},
	}
	for _, tc := range tests {
		if got := parseMarker([]byte(tc.line)); got != tc.want {
			t.Errorf("parseMarker(%q) = %+v, want %+v", tc.line, got, tc.want)
		}
	}
}
