package capture

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/conformance"
	"github.com/wirelab/wirelab/engine/auth"
)

// transcriptOf reads a C:/S: log and returns its transcript's lines from
// "-- transcript --" on.
func transcriptOf(t *testing.T, proto, log string) (string, *Case) {
	t.Helper()
	s, err := ReadText("log", strings.NewReader(log), Options{Protocol: proto})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Transcript(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conformance.Parse("log", c.Text); err != nil {
		t.Fatalf("the transcript does not parse: %v\n%s", err, c.Text)
	}
	_, body, _ := strings.Cut(string(c.Text), "-- transcript --\n")
	return body, c
}

func TestTranscriptPlaceholders(t *testing.T) {
	ts := "<1.2@wirelab.example>"
	for _, tc := range []struct {
		name, proto, log, want string
	}{{
		name:  "pop3",
		proto: POP3,
		log: "S: +OK ready " + ts + "\n" +
			"C: APOP alice " + auth.APOPDigest(ts, "wonderland") + "\n" +
			"S: +OK alice has 2 messages\n" +
			"C: STAT\nS: +OK 2 320\n" +
			"C: UIDL\nS: +OK\nS: 1 abc\nS: 2 def\nS: .\n" +
			"C: UIDL 2\nS: +OK 2 def\n" +
			"C: CAPA\nS: +OK\nS: TOP\nS: STLS\nS: .\n" +
			"C: RETR 1\nS: +OK 120 octets\nS: Subject: {braces}\nS:   folded\nS: ..dot\nS: .\n" +
			"C: PASS x\nS: -ERR [AUTH] no\n" +
			"C: NOOP\nS: +OK\n" +
			"C: QUIT\nS: +OK bye (3 left)\n",
		want: "S: +OK {*} {ts}\n" +
			"C: APOP alice {apop ts wonderland}\n" +
			"S: +OK {*}\n" +
			"C: STAT\nS: +OK 2 320\n" +
			"C: UIDL\nS: +OK\nS: 1 {uid1}\nS: 2 {uid2}\nS: .\n" +
			"C: UIDL 2\nS: +OK 2 {uid2}\n" +
			"C: CAPA\nS: +OK\nS: TOP\nS: <STLS, offered only by a server that has a certificate>\nS: .\n" +
			"C: RETR 1\nS: +OK 120 octets\nS: Subject: {{braces}\nS:   folded\nS: ..dot\nS: .\n" +
			"C: PASS x\nS: -ERR [AUTH] {*}\n" +
			"C: NOOP\nS: +OK\n" +
			"C: QUIT\nS: +OK {*}\n",
	}, {
		name:  "pop3 APOP with an unknown secret is sent as captured",
		proto: POP3,
		log:   "S: +OK " + ts + "\nC: APOP alice 0123456789abcdef0123456789abcdef\nS: -ERR no\n",
		want:  "S: +OK {ts}\nC: APOP alice 0123456789abcdef0123456789abcdef\nS: -ERR {*}\n",
	}, {
		name:  "imap",
		proto: IMAP,
		log: "S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\n" +
			"C: a1 SELECT INBOX\nS: * 2 EXISTS\nS: * OK [UIDVALIDITY 1700000000] UIDs valid\nS: a1 OK [READ-WRITE] done\n" +
			"C: a2 FETCH 1 (INTERNALDATE FLAGS)\nS: * 1 FETCH (INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" FLAGS (\\Seen))\nS: a2 OK done\n" +
			"C: a3 STATUS INBOX (UIDVALIDITY)\nS: * STATUS INBOX (UIDVALIDITY 1700000000)\nS: a3 OK done\n" +
			"C: a4 STATUS Sent (UIDVALIDITY)\nS: * STATUS Sent (UIDVALIDITY 1700000001)\nS: a4 OK done\n" +
			"C: a5 APPEND INBOX {12}\nS: + Ready for literal data\nC: {not a} lit\nC: \nS: a5 OK [APPENDUID 1700000000 3] APPEND completed\n" +
			"C: a6 FETCH 3 BODY[]\nS: * 3 FETCH (BODY[] {12}\nS: {not a} lit\nS: )\nS: a6 OK done\n" +
			"C: a7 CAPABILITY\nS: * CAPABILITY IMAP4rev1 STARTTLS\nS: a7 OK\n",
		want: "S: * OK [CAPABILITY IMAP4rev1{*} AUTH=PLAIN] {*}\n" +
			"C: a1 SELECT INBOX\nS: * 2 EXISTS\nS: * OK [UIDVALIDITY {uidvalidity}] {*}\nS: a1 OK [READ-WRITE] done\n" +
			"C: a2 FETCH 1 (INTERNALDATE FLAGS)\nS: * 1 FETCH (INTERNALDATE \"{*}\" FLAGS (\\Seen))\nS: a2 OK done\n" +
			"C: a3 STATUS INBOX (UIDVALIDITY)\nS: * STATUS INBOX (UIDVALIDITY {uidvalidity})\nS: a3 OK done\n" +
			"C: a4 STATUS Sent (UIDVALIDITY)\nS: * STATUS Sent (UIDVALIDITY {uidvalidity2})\nS: a4 OK done\n" +
			"C: a5 APPEND INBOX {12}\nS: + {*}\nC: {{not a} lit\nC: \nS: a5 OK [APPENDUID {uidvalidity} 3] {*}\n" +
			"C: a6 FETCH 3 BODY[]\nS: * 3 FETCH (BODY[] {12}\nS: {{not a} lit\nS: )\nS: a6 OK done\n" +
			"C: a7 CAPABILITY\nS: * CAPABILITY IMAP4rev1{*}\nS: a7 OK\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := transcriptOf(t, tc.proto, tc.log)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("transcript (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTranscriptDNS(t *testing.T) {
	q := new(mdns.Msg)
	q.SetQuestion("www.example.com.", mdns.TypeA)
	r := new(mdns.Msg)
	r.SetReply(q)
	r.RecursionAvailable = true
	rr, _ := mdns.NewRR("www.example.com. 300 IN A 192.0.2.1")
	r.Answer = append(r.Answer, rr)
	r.SetEdns0(1232, false)
	q2 := new(mdns.Msg)
	q2.SetQuestion("example.com.", mdns.TypeMX)
	q2.RecursionDesired = false
	s := &Session{File: "d.pcap", Protocol: DNS, Name: "DNS to 127.0.0.1:53", Exchanges: []Exchange{
		{Query: q, Response: r, QueryPlace: Place{File: "d.pcap", Packet: 1}, ResponsePlace: Place{File: "d.pcap", Packet: 2}},
		{Query: q2, QueryPlace: Place{File: "d.pcap", Packet: 3}},
	}}
	c, err := s.Transcript(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `capture d.pcap: DNS to 127.0.0.1:53
protocol: dns

Captured in d.pcap (DNS to 127.0.0.1:53) and written by wirelab replay --to-transcript.
Placeholders stand for what a fresh server says differently.
-- transcript --
Q: www.example.com. A
S: rcode NOERROR
S: flags qr ra
S: answer www.example.com. 300 IN A 192.0.2.1
S: authority (empty)
S: additional (empty)
Q: example.com. MX norecurse
# d.pcap: packet 3: no response was captured
`
	if diff := cmp.Diff(want, string(c.Text)); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]Place{7: {File: "d.pcap", Packet: 1}, 8: {File: "d.pcap", Packet: 2}, 9: {File: "d.pcap", Packet: 2},
		10: {File: "d.pcap", Packet: 2}, 11: {File: "d.pcap", Packet: 2}, 12: {File: "d.pcap", Packet: 2}, 13: {File: "d.pcap", Packet: 3}}, c.Places); diff != "" {
		t.Errorf("places (-want +got):\n%s", diff)
	}
}

// engineLog drives a session of the engine and writes it as a C:/S: log,
// as a capture of a real server would be.
func engineLog(t *testing.T, proto string, commands ...string) string {
	t.Helper()
	conn, err := conformance.Engine{}.Dial(&conformance.Transcript{Protocol: proto})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	drain := func() {
		for {
			l, err := conn.ReadLine()
			if errors.Is(err, conformance.ErrNoMoreLines) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "S: %s\n", l)
		}
	}
	drain()
	for _, c := range commands {
		fmt.Fprintf(&b, "C: %s\n", c)
		if err := conn.Send(c); err != nil {
			t.Fatal(err)
		}
		drain()
	}
	return b.String()
}

// TestReplayOnEngine turns engine sessions into transcripts that pass on
// a fresh engine, and checks that one altered server line is reported as
// the one divergence, at its line of the log.
func TestReplayOnEngine(t *testing.T) {
	for _, tc := range []struct {
		name, proto string
		commands    []string
		alter       string // a server line of the log, altered
		to          string
	}{{
		name:     "pop3",
		proto:    POP3,
		commands: []string{"CAPA", "USER alice", "PASS wonderland", "STAT", "LIST", "UIDL", "UIDL 3", "RETR 6", "TOP 2 3", "DELE 1", "RETR 1", "QUIT"},
		alter:    "S: +OK 9 ",
		to:       "S: +OK 8 ",
	}, {
		name:  "imap",
		proto: IMAP,
		commands: []string{"a1 LOGIN alice wonderland", "a2 SELECT INBOX", "a3 FETCH 1:4 (UID FLAGS INTERNALDATE RFC822.SIZE)",
			"a4 FETCH 6 (BODY.PEEK[HEADER.FIELDS (Subject)])", "a5 STATUS Sent (MESSAGES UIDVALIDITY)",
			"a6 APPEND INBOX {21}", "Subject: {braces}", "", "", "a7 UID SEARCH ALL", "a8 LOGOUT"},
		alter: "S: * 10 EXISTS",
		to:    "S: * 11 EXISTS",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			log := engineLog(t, tc.proto, tc.commands...)
			_, c := transcriptOf(t, tc.proto, log)
			tr, _ := conformance.Parse("log", c.Text)
			if r := conformance.Run(tr, conformance.Engine{}, time.Now); r.Status != conformance.Pass {
				t.Fatalf("the replay diverged at %s: %s\n%s\ntranscript:\n%s", c.Places[r.Line], r.Message, r.Diff, c.Text)
			}

			lines := strings.Split(log, "\n")
			altered := 0
			for i, l := range lines {
				if strings.HasPrefix(l, tc.alter) && altered == 0 {
					lines[i] = tc.to + strings.TrimPrefix(l, tc.alter)
					altered = i + 1
				}
			}
			if altered == 0 {
				t.Fatalf("no line %q in the log:\n%s", tc.alter, log)
			}
			_, c = transcriptOf(t, tc.proto, strings.Join(lines, "\n"))
			tr, _ = conformance.Parse("log", c.Text)
			r := conformance.Run(tr, conformance.Engine{}, time.Now)
			if r.Status != conformance.Fail || c.Places[r.Line] != (Place{File: "log", Line: altered}) {
				t.Errorf("the altered line %d gave %s at %v: %s\n%s", altered, r.Status, c.Places[r.Line], r.Message, r.Diff)
			}
		})
	}
}
