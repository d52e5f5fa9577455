package smtp_test

// The RFC 5321 Appendix D scenarios, replayed against a session. Each
// fixture in testdata/rfc5321-*.txtar is one case:
//
//	comment          which scenario, and how it was framed
//	-- config --     "hostname H", "domains D...", "users U...",
//	                 "relay D..." (Config.RelayDomains with a recording
//	                 Relay hook), "vrfy ARG CODE TEXT" (Config.Verify)
//	-- transcript -- the scenario in RFC notation: "C: line", "S: line";
//	                 C: lines after DATA are message text, taken verbatim
//	-- delivered --  "USER N": N messages in USER's INBOX afterwards;
//	                 "relay FROM TO...": one message handed to Relay
//	-- output --     the server's exact output, rewritten by -update
//
// The transcript is the specification and is never rewritten. Its S:
// lines are normalised before comparison (see normalise): RFC 5321 §4.2
// leaves the text of replies to the implementation, so replies are
// compared by code, a multiline reply counting as one, plus the server's
// domain where the RFC puts it (the greeting and the first EHLO line).

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/smtp"
)

var updateGolden = flag.Bool("update", false, "rewrite the output sections of testdata/*.txtar")

func TestRFC5321(t *testing.T) {
	files, err := filepathGlob("testdata/rfc5321-*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/rfc5321-*.txtar fixtures")
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), ".txtar")
		t.Run(name, func(t *testing.T) { runRFC5321(t, file) })
	}
}

// rfcReply is one reply, normalised: its code, and the server's domain
// where the comparison includes it.
type rfcReply struct {
	Code   int
	Domain string
}

func section(a *txtar.Archive, name string) (string, bool) {
	for _, f := range a.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

func runRFC5321(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	a := txtar.Parse(data)
	cfgText, ok := section(a, "config")
	if !ok {
		t.Fatal("no config section")
	}
	users := map[string]string{}
	var domains, relayDomains []string
	host := ""
	var relayed []string
	vrfy := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(cfgText), "\n") {
		key, rest, _ := strings.Cut(line, " ")
		switch key {
		case "hostname":
			host = rest
		case "domains":
			domains = strings.Fields(rest)
		case "users":
			for _, u := range strings.Fields(rest) {
				users[u] = "{PLAIN}secret"
			}
		case "relay":
			relayDomains = strings.Fields(rest)
		case "vrfy":
			arg, answer, _ := strings.Cut(rest, " ")
			vrfy[arg] = answer
		default:
			t.Fatalf("bad config line %q", line)
		}
	}
	e := newEnvUsers(t, users, domains...)
	e.cfg.Hostname = host
	e.cfg.RelayDomains = relayDomains
	e.cfg.Relay = func(from string, to []string, msg []byte) error {
		relayed = append(relayed, "relay "+from+" "+strings.Join(to, " "))
		return nil
	}
	if len(vrfy) > 0 {
		e.cfg.Verify = func(arg string) (int, string, string) {
			answer, ok := vrfy[arg]
			if !ok {
				return 0, "", ""
			}
			code, text, _ := strings.Cut(answer, " ")
			n, _ := strconv.Atoi(code)
			return n, "2.1.5", text
		}
	}

	transcript, ok := section(a, "transcript")
	if !ok {
		t.Fatal("no transcript section")
	}
	s := smtp.NewSession(e.cfg, 1, "192.0.2.25")
	var out strings.Builder
	var got [][]byte
	greeting := s.Greeting()
	got = append(got, greeting)
	writeS(&out, greeting)
	var wantLines []string
	for _, line := range strings.Split(strings.TrimSuffix(transcript, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "S: "):
			wantLines = append(wantLines, line[3:])
		case line == "C:" || strings.HasPrefix(line, "C: "):
			text := strings.TrimPrefix(strings.TrimPrefix(line, "C:"), " ")
			out.WriteString(strings.TrimSuffix("C: "+text, " ") + "\n")
			for _, r := range s.Feed([]byte(text+"\r\n"), clock.Epoch) {
				got = append(got, r.Data)
				writeS(&out, r.Data)
			}
		default:
			t.Fatalf("bad transcript line %q", line)
		}
	}
	if diff := cmp.Diff(normalise(t, wantLines), normaliseReplies(t, got)); diff != "" {
		t.Errorf("replies (-RFC +server):\n%s", diff)
	}

	wantDelivered, _ := section(a, "delivered")
	var gotDelivered []string
	for _, u := range slices.Sorted(mapsKeys(users)) {
		if n := len(e.inbox(t, u)); n > 0 {
			gotDelivered = append(gotDelivered, fmt.Sprintf("%s %d", u, n))
		}
	}
	gotDelivered = append(gotDelivered, relayed...)
	if diff := cmp.Diff(strings.Fields(strings.ReplaceAll(wantDelivered, "\n", " \n ")), strings.Fields(strings.Join(gotDelivered, " \n "))); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}

	for i := range a.Files {
		if a.Files[i].Name != "output" {
			continue
		}
		if *updateGolden {
			a.Files[i].Data = []byte(out.String())
			if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if diff := cmp.Diff(string(a.Files[i].Data), out.String()); diff != "" {
			t.Errorf("output (-want +got); go test -update rewrites it:\n%s", diff)
		}
		return
	}
	t.Fatal("no output section")
}

func writeS(out *strings.Builder, data []byte) {
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		fmt.Fprintf(out, "S: %s\n", l)
	}
}

// normalise turns the RFC's S: lines into replies: a multiline reply ends
// at its "ddd " line; the domain is kept for 220 and 250 replies that
// open with a multiline or single-line greeting (the greeting and EHLO).
func normalise(t *testing.T, lines []string) []rfcReply {
	t.Helper()
	var out []rfcReply
	first := ""
	for _, l := range lines {
		if len(l) < 3 {
			t.Fatalf("bad reply line %q", l)
		}
		if first == "" {
			first = l
		}
		if len(l) == 3 || l[3] == ' ' {
			out = append(out, replyOf(t, first, len(out)))
			first = ""
		}
	}
	return out
}

func normaliseReplies(t *testing.T, data [][]byte) []rfcReply {
	t.Helper()
	var out []rfcReply
	for _, d := range data {
		out = append(out, replyOf(t, string(d), len(out)))
	}
	return out
}

// replyOf normalises one reply given its first line; index 0 is the
// greeting, index 1 the reply to EHLO (every scenario starts so).
func replyOf(t *testing.T, first string, index int) rfcReply {
	t.Helper()
	code, err := strconv.Atoi(first[:3])
	if err != nil {
		t.Fatalf("bad reply %q", first)
	}
	r := rfcReply{Code: code}
	if index <= 1 && len(first) > 4 {
		r.Domain = strings.Fields(strings.TrimSpace(first[4:]))[0]
	}
	return r
}
