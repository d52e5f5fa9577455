package playground_test

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/conformance"
	"github.com/wirelab/wirelab/playground"
)

func newLab(t *testing.T) *playground.Lab {
	t.Helper()
	l, err := playground.New()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func open(t *testing.T, l *playground.Lab, proto, device string) int {
	t.Helper()
	r, err := l.OpenSession(playground.OpenRequest{Proto: proto, Device: device})
	if err != nil {
		t.Fatal(err)
	}
	return r.Session
}

func feed(t *testing.T, l *playground.Lab, id int, lines ...string) *playground.FeedResult {
	t.Helper()
	r, err := l.Feed(playground.FeedRequest{Session: id, Data: strings.Join(lines, "\r\n") + "\r\n"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func kinds(events []playground.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Source+":"+e.Kind)
	}
	return out
}

func mailbox(t *testing.T, l *playground.Lab, user, name string) playground.MailboxState {
	t.Helper()
	st, err := l.State()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range st.Users {
		if u.Name != user {
			continue
		}
		for _, mb := range u.Mailboxes {
			if mb.Name == name {
				return mb
			}
		}
	}
	t.Fatalf("no mailbox %s/%s in State", user, name)
	return playground.MailboxState{}
}

// Each POP3 command moves the session through the states of RFC 1939 §3
// and reports what it did as events.
func TestPOP3Session(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lines      []string
		wantState  string
		wantEvents []string
		wantOut    string // prefix of the output
		wantMarks  []bool // deleted marks of the maildrop, in TRANSACTION
	}{
		{"user only", []string{"USER alice"}, "AUTHORIZATION", nil, "+OK", nil},
		{"login", []string{"USER alice", "PASS wonderland"}, "TRANSACTION", []string{"pop3:state"}, "+OK",
			[]bool{false, false, false, false, false, false, false, false, false}},
		{"login and RETR", []string{"USER bob", "PASS builder", "RETR 1"}, "TRANSACTION", []string{"pop3:state", "pop3:retrieved"}, "+OK",
			[]bool{false, false, false}},
		{"DELE marks", []string{"USER bob", "PASS builder", "DELE 2"}, "TRANSACTION", []string{"pop3:state", "pop3:marked-deleted"}, "+OK",
			[]bool{false, true, false}},
		{"RSET unmarks", []string{"USER bob", "PASS builder", "DELE 2", "RSET"}, "TRANSACTION",
			[]string{"pop3:state", "pop3:marked-deleted", "pop3:unmarked"}, "+OK", []bool{false, false, false}},
		{"QUIT commits", []string{"USER bob", "PASS builder", "DELE 1", "QUIT"}, "CLOSED",
			[]string{"pop3:state", "pop3:marked-deleted", "pop3:state", "store:expunged", "pop3:updated", "pop3:state"}, "+OK", nil},
		{"wrong state", []string{"STAT"}, "AUTHORIZATION", nil, "-ERR", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			id := open(t, l, "pop3", "laptop")
			r := feed(t, l, id, tc.lines...)
			if r.Info.State != tc.wantState {
				t.Errorf("state = %s, want %s", r.Info.State, tc.wantState)
			}
			if diff := cmp.Diff(tc.wantEvents, kinds(r.Events)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(r.Output.Data, tc.wantOut) {
				t.Errorf("output = %q, want it to start with %q", r.Output.Data, tc.wantOut)
			}
			var marks []bool
			for _, m := range r.Info.Messages {
				marks = append(marks, m.Deleted)
			}
			if diff := cmp.Diff(tc.wantMarks, marks); diff != "" {
				t.Errorf("deleted marks (-want +got):\n%s", diff)
			}
		})
	}
}

// The lecture's two-device story: the laptop downloads and deletes, and
// the phone, which could not get at the locked maildrop meanwhile, then
// finds it empty.
func TestTwoDevicesDownloadAndDelete(t *testing.T) {
	l := newLab(t)
	laptop := open(t, l, "pop3", "laptop")
	phone := open(t, l, "pop3", "phone")
	feed(t, l, laptop, "USER bob", "PASS builder")
	if r := feed(t, l, phone, "USER bob", "PASS builder"); r.Info.State != "AUTHORIZATION" || !strings.Contains(r.Output.Data, "-ERR") {
		t.Errorf("phone logged in while the laptop holds the maildrop: %s %q", r.Info.State, r.Output.Data)
	}
	r := feed(t, l, laptop, "RETR 1", "DELE 1", "RETR 2", "DELE 2", "RETR 3", "DELE 3", "QUIT")
	if r.Info.State != "CLOSED" || !r.Info.Closed {
		t.Fatalf("laptop after QUIT: %+v", r.Info)
	}
	var expunged []uint32
	for _, e := range r.Events {
		if e.Source == "store" && e.Kind == "expunged" {
			expunged = append(expunged, e.UIDs...)
		}
	}
	if diff := cmp.Diff([]uint32{1, 2, 3}, expunged); diff != "" {
		t.Errorf("expunged UIDs (-want +got):\n%s", diff)
	}
	r = feed(t, l, phone, "USER bob", "PASS builder", "STAT")
	if r.Info.State != "TRANSACTION" || !strings.HasSuffix(r.Output.Data, "+OK 0 0\r\n") {
		t.Errorf("phone: %s %q, want an empty maildrop", r.Info.State, r.Output.Data)
	}
	if n := len(mailbox(t, l, "bob", "INBOX").Messages); n != 0 {
		t.Errorf("bob's INBOX holds %d messages after download-and-delete", n)
	}
}

// A failed login costs virtual time, as the server delays its answer.
func TestFailedLoginDelay(t *testing.T) {
	l := newLab(t)
	before := l.Now().Time
	id := open(t, l, "pop3", "laptop")
	r := feed(t, l, id, "USER alice", "PASS wrong")
	if !strings.Contains(r.Output.Data, "-ERR") || r.Time == before {
		t.Errorf("failed login: output %q, time %s (before %s)", r.Output.Data, r.Time, before)
	}
}

// STORE changes flags in the store (RFC 9051 §6.4.6), State shows them, and
// a second session in IDLE (RFC 2177) is pushed the change.
func TestIMAPStoreFlags(t *testing.T) {
	l := newLab(t)
	flaggedBefore := map[uint32]bool{}
	for _, m := range mailbox(t, l, "alice", "INBOX").Messages {
		flaggedBefore[m.UID] = slices.Contains(m.Flags, `\Flagged`)
	}
	if flaggedBefore[2] {
		t.Fatal("UID 2 is flagged before STORE")
	}
	watcher := open(t, l, "imap", "phone")
	feed(t, l, watcher, "w1 LOGIN alice wonderland", "w2 SELECT INBOX", "w3 IDLE")
	id := open(t, l, "imap", "laptop")
	r := feed(t, l, id, "a1 LOGIN alice wonderland", "a2 SELECT INBOX")
	if r.Info.State != "SELECTED" || r.Info.Mailbox != "INBOX" {
		t.Fatalf("after SELECT: %+v", r.Info)
	}
	r = feed(t, l, id, `a3 UID STORE 2 +FLAGS (\Flagged)`)
	if !strings.Contains(r.Output.Data, "a3 OK") {
		t.Fatalf("STORE: %q", r.Output.Data)
	}
	var flagged []playground.MessageFlags
	for _, e := range r.Events {
		if e.Source == "store" && e.Kind == "flags" {
			flagged = append(flagged, e.Flags...)
		}
	}
	if len(flagged) != 1 || flagged[0].UID != 2 || !slices.Contains(flagged[0].Flags, `\Flagged`) {
		t.Errorf("store flag events = %+v", flagged)
	}
	mb := mailbox(t, l, "alice", "INBOX")
	for _, m := range mb.Messages {
		if got := slices.Contains(m.Flags, `\Flagged`); got != (m.UID == 2 || flaggedBefore[m.UID]) {
			t.Errorf("UID %d: flags %v", m.UID, m.Flags)
		}
	}
	if len(r.Pushed) != 1 || r.Pushed[0].Session != watcher || !strings.Contains(r.Pushed[0].Output.Data, "FETCH") {
		t.Errorf("pushed to the idling session = %+v", r.Pushed)
	}
}

func TestStateSummaries(t *testing.T) {
	l := newLab(t)
	mb := mailbox(t, l, "alice", "INBOX")
	if len(mb.Messages) != 9 || mb.UIDValidity == 0 {
		t.Fatalf("alice's INBOX: %d messages, UIDVALIDITY %d", len(mb.Messages), mb.UIDValidity)
	}
	first := mb.Messages[0]
	if first.Subject != "Welcome to CS 340 Networks Lab" || first.From != "Dana Kim <dana.kim@example.org>" || first.Size == 0 {
		t.Errorf("first message: %+v", first)
	}
	// The RFC 2047 subject is decoded for display.
	if !strings.Contains(mb.Messages[3].Subject, "Greetings from Seoul") || strings.Contains(mb.Messages[3].Subject, "=?") {
		t.Errorf("encoded subject shown as %q", mb.Messages[3].Subject)
	}
}

func askedServers(trace []playground.TraceEvent) []string {
	var out []string
	for _, e := range trace {
		if e.Kind == "query" {
			out = append(out, e.ToName)
		}
	}
	return out
}

// An iterated lookup walks root, TLD and authoritative servers; every
// message carries its wire bytes and presentation form; the cache fills.
func TestResolveIterated(t *testing.T) {
	l := newLab(t)
	res, err := l.Resolve(playground.ResolveRequest{Name: "www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	asked := askedServers(res.Trace)
	if len(asked) != 3 || !strings.HasSuffix(asked[0], "root-servers.net") || !strings.HasSuffix(asked[1], "gtld-servers.net") ||
		(asked[2] != "ns1.example.com" && asked[2] != "ns2.example.net") {
		t.Errorf("servers asked = %v, want root, TLD, authoritative", asked)
	}
	if res.Rcode != "NOERROR" || len(res.Answer) != 4 || res.Server != "dns.isp.example.net" || res.Upstream != 3 {
		t.Errorf("result: rcode %s, answer %v, server %s, upstream %d", res.Rcode, res.Answer, res.Server, res.Upstream)
	}
	last := int64(-1)
	for i, e := range res.Trace {
		if e.ElapsedUs < last {
			t.Errorf("event %d goes back in time: %d < %d", i, e.ElapsedUs, last)
		}
		last = e.ElapsedUs
		if e.Kind != "query" && e.Kind != "response" {
			continue
		}
		wire, err := hex.DecodeString(e.Wire)
		if err != nil {
			t.Fatalf("event %d: wire: %v", i, err)
		}
		var m mdns.Msg
		if err := m.Unpack(wire); err != nil {
			t.Fatalf("event %d: unpack: %v", i, err)
		}
		if e.Message != m.String() || e.FromName == "" || e.ToName == "" || e.From == "" {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if res.ElapsedUs <= 0 || last > res.ElapsedUs {
		t.Errorf("elapsed %dµs, last event at %dµs", res.ElapsedUs, last)
	}
	c, err := l.Cache(playground.CacheRequest{Server: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasEntry(c, "www.example.com.", "CNAME") || !hasEntry(c, "web.example.com.", "A") || !hasEntry(c, "com.", "NS") {
		t.Errorf("cache after the lookup: %+v", c.Caches)
	}
	again, err := l.Resolve(playground.ResolveRequest{Name: "www.example.com", From: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Upstream != 0 || len(askedServers(again.Trace)) != 0 {
		t.Errorf("a warm lookup asked %v", askedServers(again.Trace))
	}
}

func hasEntry(c *playground.CacheResult, name, typ string) bool {
	for _, sc := range c.Caches {
		for _, e := range sc.Entries {
			if e.Name == name && e.Type == typ {
				return true
			}
		}
	}
	return false
}

// In recursive mode the root server asks on: the counters show the load
// moving up the hierarchy.
func TestResolveRecursiveCounters(t *testing.T) {
	l := newLab(t)
	res, err := l.Resolve(playground.ResolveRequest{Name: "www.example.org", Mode: "recursive"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "recursive" || res.Upstream != 1 {
		t.Errorf("mode %s, upstream %d", res.Mode, res.Upstream)
	}
	servers, err := l.Servers()
	if err != nil {
		t.Fatal(err)
	}
	var rootSent uint64
	for _, s := range servers.Servers {
		if strings.HasSuffix(s.Name, "root-servers.net") {
			rootSent += s.Sent
		}
	}
	if rootSent == 0 {
		t.Error("no root server sent a query of its own in recursive mode")
	}
}

// Cached data lives for its TTL: news.example.com's 30 seconds.
func TestCacheExpires(t *testing.T) {
	l := newLab(t)
	if _, err := l.Resolve(playground.ResolveRequest{Name: "news.example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		advance    string
		wantCached bool
		wantExpire bool
	}{
		{"10s", true, false},
		{"21s", false, true},
	} {
		if _, err := l.Advance(playground.AdvanceRequest{Duration: tc.advance}); err != nil {
			t.Fatal(err)
		}
		c, err := l.Cache(playground.CacheRequest{Server: "dns.isp.example.net"})
		if err != nil {
			t.Fatal(err)
		}
		if got := hasEntry(c, "news.example.com.", "A"); got != tc.wantCached {
			t.Errorf("after +%s: cached = %v, want %v", tc.advance, got, tc.wantCached)
		}
		for _, e := range c.Caches[0].Entries {
			if e.Name == "news.example.com." && e.TTL != 20 {
				t.Errorf("after +%s: TTL %d, want 20", tc.advance, e.TTL)
			}
		}
		expired := slices.ContainsFunc(c.Trace, func(e playground.TraceEvent) bool {
			return e.Kind == "cache-expire" && strings.HasPrefix(e.Question, "news.example.com.")
		})
		if expired != tc.wantExpire {
			t.Errorf("after +%s: cache-expire event = %v, want %v", tc.advance, expired, tc.wantExpire)
		}
	}
}

// An UPDATE reaches the primary; NOTIFY (RFC 1996) brings the secondary up
// to date, and a cold resolver sees the new record.
func TestUpdateRecordThenNotify(t *testing.T) {
	l := newLab(t)
	res, err := l.UpdateRecord(playground.UpdateRequest{Zone: "example.com",
		Remove: []string{"news 30 IN A 198.51.100.90"}, Add: []string{"news 30 IN A 198.51.100.91"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rcode != "NOERROR" || res.Primary != "ns1.example.com" {
		t.Fatalf("UPDATE: %+v", res)
	}
	want := []playground.ZoneServer{
		{Server: "ns1.example.com", Role: "primary", Serial: 2026010102},
		{Server: "ns2.example.net", Role: "secondary", Serial: 2026010102},
	}
	if diff := cmp.Diff(want, res.Servers); diff != "" {
		t.Errorf("serials (-want +got):\n%s", diff)
	}
	var ops []string
	for _, e := range res.Trace {
		if e.Kind == "query" {
			var m mdns.Msg
			wire, _ := hex.DecodeString(e.Wire)
			if err := m.Unpack(wire); err != nil {
				t.Fatal(err)
			}
			ops = append(ops, mdns.OpcodeToString[m.Opcode])
		}
	}
	if len(ops) < 2 || ops[0] != "UPDATE" || ops[1] != "NOTIFY" {
		t.Errorf("opcodes sent = %v, want UPDATE, then NOTIFY, ...", ops)
	}
	// lab-pc's local server has a cold cache: it asks the hierarchy and
	// may land on either server of example.com; both have the new data.
	for _, from := range []string{"lab-pc", "laptop"} {
		r, err := l.Resolve(playground.ResolveRequest{Name: "news.example.com", From: from})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Answer) != 1 || !strings.HasSuffix(r.Answer[0], "198.51.100.91") {
			t.Errorf("from %s: answer %v", from, r.Answer)
		}
	}
	z, err := l.Zones(playground.ZonesRequest{Zone: "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(z.Zones[0].Records, func(s string) bool { return strings.HasSuffix(s, "\t198.51.100.91") }) {
		t.Errorf("zone listing lacks the new record: %v", z.Zones[0].Records)
	}
}

// An idle session reaches its autologout as the clock moves (RFC 1939 §3).
func TestAutologout(t *testing.T) {
	for _, tc := range []struct {
		proto, advance string
		wantClosed     bool
		wantLine       string
	}{
		{"pop3", "9m", false, ""},
		{"pop3", "10m", true, "-ERR"},
		{"imap", "29m", false, ""},
		{"imap", "30m", true, "* BYE"},
	} {
		t.Run(tc.proto+" "+tc.advance, func(t *testing.T) {
			l := newLab(t)
			id := open(t, l, tc.proto, "laptop")
			r, err := l.Advance(playground.AdvanceRequest{Duration: tc.advance})
			if err != nil {
				t.Fatal(err)
			}
			var pushed string
			for _, p := range r.Pushed {
				if p.Session == id {
					pushed = p.Output.Data
				}
			}
			if !strings.HasPrefix(pushed, tc.wantLine) || (tc.wantLine == "") != (pushed == "") {
				t.Errorf("pushed %q, want %q", pushed, tc.wantLine)
			}
			_, err = l.Feed(playground.FeedRequest{Session: id, Data: "NOOP\r\n"})
			if closed := err != nil; closed != tc.wantClosed {
				t.Errorf("closed = %v (feed error %v), want %v", closed, err, tc.wantClosed)
			}
		})
	}
}

// The built-in corpus passes, and a transcript that expects the wrong
// reply fails with a diff.
func TestRunConformance(t *testing.T) {
	l := newLab(t)
	res, err := l.RunConformance(playground.ConformanceRequest{Corpus: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Passed < 5 {
		t.Errorf("corpus: %s", res.Summary.Line)
	}
	// The playground reports what the runner says, transcript by
	// transcript.
	ts, err := conformance.LoadDir(conformance.Corpus, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tr := range ts {
		r := conformance.Run(tr, conformance.Engine{}, time.Now)
		want = append(want, r.File+" "+string(r.Status))
	}
	var got []string
	for _, r := range res.Results {
		got = append(got, r.File+" "+r.Status)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("corpus results (-runner +playground):\n%s", diff)
	}
	good, err := conformance.Corpus.ReadFile("testdata/rfc/rfc1939-s10-example-session.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"as written", string(good), "pass"},
		{"wrong reply", strings.Replace(string(good), "S: +OK", "S: -ERR", 1), "fail"},
	} {
		r, err := l.RunConformance(playground.ConformanceRequest{Transcript: tc.text, Name: "example.txtar"})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Results[0].Status; got != tc.want {
			t.Errorf("%s: status %s, want %s (%s)", tc.name, got, tc.want, r.Results[0].Message)
		}
		if tc.want == "fail" && r.Results[0].Diff == "" {
			t.Errorf("%s: a failure without a diff", tc.name)
		}
	}
}

// Call is the JSON face the browser uses: results are JSON, failures are
// {"error": ...}, and nothing panics.
func TestCall(t *testing.T) {
	l := newLab(t)
	for _, tc := range []struct {
		method, params string
		wantErr        string // substring of the error, "" for success
		wantKey        string // a key the result must have
		wantMutated    bool
	}{
		{"now", "", "", "time", false},
		{"now", "null", "", "time", false},
		{"nosuch", "{}", `no method "nosuch"`, "", false},
		{"resolve", `{"name":"example.com","type":"MX"}`, "", "trace", true},
		{"resolve", `{"name":"example.com","tpye":"MX"}`, "unknown field", "", true},
		{"resolve", `{"name":"example.com","type":"NOPE"}`, "unknown record type", "", true},
		{"resolve", `{"name":"example.com","from":"nowhere"}`, "neither a host", "", true},
		{"feed", `{"session":99,"data":"NOOP\r\n"}`, "no such session", "", true},
		{"openSession", `{"proto":"smtp"}`, "proto is", "", true},
		{"advance", `{"duration":"-5s"}`, "outside", "", true},
		{"advance", `{"duration":"5 parsecs"}`, "advance", "", true},
		{"updateRecord", `{"zone":"example.com","add":["news 30 IN A"]}`, "record", "", true},
		{"load", `{"world":""}`, "no world", "", true},
		{"runConformance", `{}`, "no transcript", "", false},
		{"zones", `{"zone":"nosuch.test"}`, "no zone", "", false},
		{"switches", `{"server":"nowhere"}`, "neither a host", "", true},
		{"switches", `{"set":{"edns":true}}`, "", "servers", true},
		{"flushCache", ``, "", "caches", true},
	} {
		out, mutated := l.Call(tc.method, []byte(tc.params))
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil {
			t.Errorf("%s %s: result is not a JSON object: %s", tc.method, tc.params, out)
			continue
		}
		var errText string
		if raw, ok := m["error"]; ok {
			json.Unmarshal(raw, &errText)
		}
		switch {
		case tc.wantErr == "" && errText != "":
			t.Errorf("%s %s: error %q", tc.method, tc.params, errText)
		case tc.wantErr != "" && !strings.Contains(errText, tc.wantErr):
			t.Errorf("%s %s: error %q, want one containing %q", tc.method, tc.params, errText, tc.wantErr)
		case tc.wantKey != "" && m[tc.wantKey] == nil:
			t.Errorf("%s %s: no %q in %s", tc.method, tc.params, tc.wantKey, out)
		}
		if mutated != tc.wantMutated {
			t.Errorf("%s: mutated = %v, want %v", tc.method, mutated, tc.wantMutated)
		}
	}
	if len(playground.Methods()) < 15 {
		t.Errorf("Methods() = %v", playground.Methods())
	}
}

// A world without DNS serves mail; the DNS calls say there is no DNS.
func TestLoadWorldWithoutDNS(t *testing.T) {
	l := newLab(t)
	world := "A small world\n-- users --\nzoe:{PLAIN}secret\n-- mail/zoe/INBOX.mbox --\nFrom a@example.org Mon Dec  1 16:15:02 2025\nFrom: a@example.org\nSubject: hi\n\nhello\n"
	info, err := l.Load(playground.LoadRequest{World: world})
	if err != nil {
		t.Fatal(err)
	}
	if info.Demo || info.DNS || !slices.Equal(info.Users, []string{"zoe"}) {
		t.Errorf("world info: %+v", info)
	}
	if _, err := l.Resolve(playground.ResolveRequest{Name: "example.com"}); err == nil {
		t.Error("resolve in a world without DNS succeeded")
	}
	id := open(t, l, "pop3", "laptop")
	if r := feed(t, l, id, "USER zoe", "PASS secret", "STAT"); !strings.HasPrefix(r.Output.Data, "+OK") || r.Info.State != "TRANSACTION" || len(r.Info.Messages) != 1 {
		t.Errorf("zoe's session: %q %+v", r.Output.Data, r.Info)
	}
	if _, err := l.Load(playground.LoadRequest{World: "broken\n-- nonsense --\n"}); err == nil {
		t.Error("a broken world loaded")
	}
	if got := l.World(); got.Demo || got.Users[0] != "zoe" {
		t.Errorf("a failed load replaced the world: %+v", got)
	}
}

// Switches change how a local server answers, one server at a time, and
// FlushCache makes the next lookup walk the hierarchy again.
func TestSwitchesAndFlush(t *testing.T) {
	l := newLab(t)
	set, err := l.Switches(playground.SwitchesRequest{Server: "laptop", Set: &playground.Switches{MinimalResponses: true}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]playground.ServerSwitches{{Server: "dns.isp.example.net", Switches: playground.Switches{MinimalResponses: true}}}, set.Servers); diff != "" {
		t.Errorf("switches set (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		from          string
		wantAuthority bool
	}{
		{"laptop", false}, // dns.isp.example.net: minimal responses
		{"lab-pc", true},  // dns.example.edu: full responses
	} {
		r, err := l.Resolve(playground.ResolveRequest{Name: "www.example.com", From: tc.from})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Authority) > 0; got != tc.wantAuthority {
			t.Errorf("from %s: authority section %v, want present = %v", tc.from, r.Authority, tc.wantAuthority)
		}
	}
	all, err := l.Switches(playground.SwitchesRequest{})
	if err != nil || len(all.Servers) != 2 {
		t.Fatalf("all switches: %+v, %v", all, err)
	}
	if _, err := l.FlushCache(playground.FlushRequest{Server: "laptop"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from         string
		wantUpstream int
	}{
		{"laptop", 3}, // flushed: root, TLD, authoritative again
		{"lab-pc", 0}, // not flushed
	} {
		r, err := l.Resolve(playground.ResolveRequest{Name: "www.example.com", From: tc.from})
		if err != nil {
			t.Fatal(err)
		}
		if r.Upstream != tc.wantUpstream {
			t.Errorf("from %s after the flush: %d upstream queries, want %d", tc.from, r.Upstream, tc.wantUpstream)
		}
	}
}
