package capture

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lineList renders lines with where they came from.
func lineList(s *Session) []string {
	var out []string
	for _, l := range s.Lines {
		out = append(out, string(l.Dir)+": "+l.Text+" @"+filepath.Base(l.Place.String()))
	}
	return out
}

func TestReadText(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		opt        Options
		proto      string
		want       []string
	}{{
		name:  "pop3 by its greeting",
		text:  "# a comment\nS: +OK hi\nC: USER alice\n\nS: +OK\nS:   indented\r\nS:\n",
		proto: POP3,
		want:  []string{"S: +OK hi @log:2", "C: USER alice @log:3", "S: +OK @log:5", "S:   indented @log:6", "S:  @log:7"},
	}, {
		name:  "imap by its greeting",
		text:  "S: * OK ready\nC: a LOGOUT\nS: * BYE\nS: a OK\n",
		proto: IMAP,
		want:  []string{"S: * OK ready @log:1", "C: a LOGOUT @log:2", "S: * BYE @log:3", "S: a OK @log:4"},
	}, {
		name:  "said",
		text:  "C: a LOGOUT\nS: hello\n",
		opt:   Options{Protocol: IMAP},
		proto: IMAP,
		want:  []string{"C: a LOGOUT @log:1", "S: hello @log:2"},
	}, {
		name:  "cut at STLS",
		text:  "S: +OK\nC: STLS\nS: +OK begin TLS\nC: \x16\x03\x01garbage\n",
		proto: POP3,
		want:  []string{"S: +OK @log:1", "C: STLS @log:2", "S: +OK begin TLS @log:3"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadText("log", strings.NewReader(tc.text), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if s.Protocol != tc.proto {
				t.Errorf("protocol %q, want %q", s.Protocol, tc.proto)
			}
			if diff := cmp.Diff(tc.want, lineList(s)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadTextErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		opt        Options
		want       string
	}{
		{"not C: or S:", "S: +OK\nC: USER a\nX: what\n", Options{}, `capture: log:3: a line starts with "C:" or "S:", not "X: what"`},
		{"unknown greeting", "S: 220 smtp\n", Options{}, `capture: log:1: the greeting "220 smtp" is neither POP3's nor IMAP's`},
		{"empty", "\n# nothing\n", Options{}, "capture: log: no C: or S: lines"},
		{"dns", "S: x\n", Options{Protocol: DNS}, "capture: log: DNS sessions are read from packet captures"},
		{"unknown protocol", "S: x\n", Options{Protocol: "smtp"}, `capture: unknown protocol "smtp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadText("log", strings.NewReader(tc.text), tc.opt)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

func TestReadRawlog(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in, out string
		want    []string
	}{{
		name: "pop3 turns",
		in:   "USER alice\r\nPASS wonderland\r\nLIST\r\nLIST 1\r\nRETR 1\r\nAUTH PLAIN\r\nAGFsaWNlAHg=\r\nQUIT\r\n",
		out: "+OK hi\r\n+OK\r\n+OK in\r\n+OK 1 messages\r\n1 120\r\n.\r\n+OK 1 120\r\n+OK 120 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n" +
			"-ERR in already\r\n+OK bye\r\n",
		want: []string{
			"S: +OK hi @x.out:1", "C: USER alice @x.in:1", "S: +OK @x.out:2", "C: PASS wonderland @x.in:2", "S: +OK in @x.out:3",
			"C: LIST @x.in:3", "S: +OK 1 messages @x.out:4", "S: 1 120 @x.out:5", "S: . @x.out:6",
			"C: LIST 1 @x.in:4", "S: +OK 1 120 @x.out:7",
			"C: RETR 1 @x.in:5", "S: +OK 120 octets @x.out:8", "S: Subject: x @x.out:9", "S:  @x.out:10", "S: ..dot @x.out:11", "S: . @x.out:12",
			"C: AUTH PLAIN @x.in:6", "S: -ERR in already @x.out:13",
			// Without a challenge the next client line is a command.
			"C: AGFsaWNlAHg= @x.in:7", "S: +OK bye @x.out:14", "C: QUIT @x.in:8",
		},
	}, {
		name: "imap turns with literals",
		in:   "a LOGIN alice wonderland\r\nb APPEND INBOX {14}\r\nSubject: x\r\n\r\n\r\nc FETCH 1 BODY[]\r\nd IDLE\r\nDONE\r\ne LOGOUT\r\n",
		out: "* OK hi\r\na OK in\r\n+ go on\r\n* 10 EXISTS\r\nb OK [APPENDUID 7 10] done\r\n" +
			"* 1 FETCH (BODY[] {13}\r\nd OK fake\r\n\r\n)\r\nc OK done\r\n+ idling\r\nd OK idled\r\n* BYE\r\ne OK\r\n",
		want: []string{
			"S: * OK hi @x.out:1", "C: a LOGIN alice wonderland @x.in:1", "S: a OK in @x.out:2",
			"C: b APPEND INBOX {14} @x.in:2", "S: + go on @x.out:3", "C: Subject: x @x.in:3", "C:  @x.in:4", "C:  @x.in:5",
			"S: * 10 EXISTS @x.out:4", "S: b OK [APPENDUID 7 10] done @x.out:5",
			// A literal that looks like a tagged line is passed over.
			"C: c FETCH 1 BODY[] @x.in:6", "S: * 1 FETCH (BODY[] {13} @x.out:6", "S: d OK fake @x.out:7", "S:  @x.out:8", "S: ) @x.out:9", "S: c OK done @x.out:10",
			"C: d IDLE @x.in:7", "S: + idling @x.out:11", "C: DONE @x.in:8", "S: d OK idled @x.out:12",
			"C: e LOGOUT @x.in:9", "S: * BYE @x.out:13", "S: e OK @x.out:14",
		},
	}, {
		name: "timestamps",
		in:   "1700000000.000200 USER alice\n1700000000.000400 QUIT\n",
		out:  "1700000000.000100 +OK hi\n1700000000.000300 +OK\n1700000000.000400 +OK bye\n",
		want: []string{"S: +OK hi @x.out:1", "C: USER alice @x.in:1", "S: +OK @x.out:2", "S: +OK bye @x.out:3", "C: QUIT @x.in:2"},
	}, {
		name: "buffered timestamps and the rawlog program's own lines",
		in:   "1700000000.000200 I: a LOGOUT\r\n",
		out:  "1700000000.000100 O: * OK hi\r\n* TIMESTAMP 1700000000\r\n1700000000.000300 O: * BYE\r\n1700000000.000300 O: a OK\r\n",
		want: []string{"S: * OK hi @x.out:1", "C: a LOGOUT @x.in:1", "S: * BYE @x.out:3", "S: a OK @x.out:4"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			base := filepath.Join(dir, "x")
			os.WriteFile(base+".in", []byte(tc.in), 0o644)
			os.WriteFile(base+".out", []byte(tc.out), 0o644)
			for _, path := range []string{base + ".in", base + ".out", base} {
				sessions, err := ReadFile(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, lineList(sessions[0])); diff != "" {
					t.Errorf("%s: lines (-want +got):\n%s", filepath.Base(path), diff)
				}
			}
		})
	}
}

func TestReadFileMissingRawlogHalf(t *testing.T) {
	base := filepath.Join(t.TempDir(), "x")
	os.WriteFile(base+".in", []byte("QUIT\r\n"), 0o644)
	_, err := ReadFile(base+".in", Options{})
	if err == nil || !strings.Contains(err.Error(), "x.out") {
		t.Errorf("error %v, want one naming x.out", err)
	}
}
