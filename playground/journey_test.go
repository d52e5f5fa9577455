package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// journeyCall runs an API method and decodes its result into out, failing
// the test on an error result.
func journeyCall(t *testing.T, l *Lab, method, params string, out any) {
	t.Helper()
	res, _ := l.Call(method, []byte(params))
	var e errorResult
	if json.Unmarshal(res, &e) == nil && e.Error != "" {
		t.Fatalf("%s(%s): %s", method, params, e.Error)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("%s: decode %s: %v", method, res, err)
	}
}

// hops lists the distinct hop kinds of events, in order of first
// appearance.
func hops(evs []JourneyEvent) []string {
	var out []string
	for _, ev := range evs {
		if !slices.Contains(out, ev.Hop) {
			out = append(out, ev.Hop)
		}
	}
	return out
}

// inbox returns a user's INBOX subjects on a server.
func inbox(t *testing.T, servers []MailServerInfo, server, user string) []string {
	t.Helper()
	for _, s := range servers {
		if s.Name != server {
			continue
		}
		for _, u := range s.Users {
			if u.User == user {
				if u.Inbox != len(u.Subjects) {
					t.Errorf("%s on %s: inbox %d but %d subjects", user, server, u.Inbox, len(u.Subjects))
				}
				return u.Subjects
			}
		}
	}
	t.Fatalf("no user %s on %s", user, server)
	return nil
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func TestJourneyDelivered(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var before MailServersResult
	journeyCall(t, l, "mailServers", "", &before)
	if got := len(before.Servers); got != 3 {
		t.Fatalf("%d mail servers, want the demo's 3", got)
	}
	bobBefore := inbox(t, before.Servers, "mail.example.org", "bob")
	if got := inbox(t, before.Servers, "mail.example.com", "alice"); !slices.Contains(got, "안녕하세요! Greetings from Seoul") {
		t.Errorf("alice's subjects are not decoded (RFC 2047): %q", got)
	}

	var res SendResult
	journeyCall(t, l, "journeySend", `{"from": "alice@example.com", "to": "bob@example.org", "subject": "Lab 3", "body": "See you there."}`, &res)
	want := []RcptInfo{{Rcpt: "bob@example.org", Code: 250, Reply: res.Results[0].Reply, Stage: "end of data"}}
	if diff := cmp.Diff(want, res.Results); diff != "" || !res.Accepted || res.Server != "mail.example.com" {
		t.Errorf("accepted %v by %s, results (-want +got):\n%s", res.Accepted, res.Server, diff)
	}
	if diff := cmp.Diff([]string{"dns", "submit", "queue", "server", "relay", "deliver"}, hops(res.Events)); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
	bob := inbox(t, res.Servers, "mail.example.org", "bob")
	if len(bob) != len(bobBefore)+1 || last(bob) != "Lab 3" {
		t.Errorf("bob's INBOX on mail.example.org: %q, want the old %d and Lab 3", bob, len(bobBefore))
	}
	// The last leg: bob fetches it in the mail lab over POP3.
	var open OpenResult
	journeyCall(t, l, "openSession", `{"proto": "pop3", "device": "laptop"}`, &open)
	var fed FeedResult
	journeyCall(t, l, "feed", fmt.Sprintf(`{"session": %d, "data": "USER bob\r\nPASS builder\r\nTOP %d 0\r\n"}`, open.Session, len(bobBefore)+1), &fed)
	if !strings.Contains(fed.Output.Data, "Subject: Lab 3\r\n") {
		t.Errorf("the journey's message is not in the mail lab's store for bob; POP3 said:\n%s", fed.Output.Data)
	}

	// The MX lookup walks the hierarchy: the mail server's local DNS
	// server asks a root server.
	var mx bool
	for _, ev := range res.Events {
		mx = mx || (ev.DNS != nil && ev.DNS.Question == "example.org. MX" && ev.DNS.ToName == "a.root-servers.net")
	}
	if !mx {
		t.Error("no MX query to a root server in the journey")
	}

	// The history has it all, and after= pages it.
	var all, tail JourneyEventsResult
	journeyCall(t, l, "journeyEvents", "", &all)
	journeyCall(t, l, "journeyEvents", `{"after": 3}`, &tail)
	if all.Last == 0 || len(all.Events) != all.Last || len(tail.Events) != all.Last-3 || tail.Events[0].Seq != 4 {
		t.Errorf("journeyEvents: %d events up to %d; after 3: %d", len(all.Events), all.Last, len(tail.Events))
	}
}

// TestJourneyServerDown follows a message while the recipient's server is
// down: the backup exchanger takes it (RFC 5321 §5.1) and retries; once
// the server is back it is delivered. With every exchanger down the
// sender's server gives up and returns it (RFC 3464).
func TestJourneyServerDown(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var down JourneyResult
	journeyCall(t, l, "setServerDown", `{"server": "mail.example.org", "down": true}`, &down)
	if diff := cmp.Diff([]string{"down"}, hops(down.Events)); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
	var res SendResult
	journeyCall(t, l, "journeySend", `{"from": "alice@example.com", "to": ["bob@example.org"], "subject": "Waits", "duration": "20m"}`, &res)
	if !res.Accepted {
		t.Fatalf("not accepted: %+v", res.Results)
	}
	hs := hops(res.Events)
	if !slices.Contains(hs, "retry") || slices.Contains(hs, "deliver") && last(inbox(t, res.Servers, "mail.example.org", "bob")) == "Waits" {
		t.Errorf("hops %q: want retries and no delivery to bob yet", hs)
	}
	var backup MailServerInfo
	for _, s := range res.Servers {
		if s.Name == "backup-mail.example.org" {
			backup = s
		}
	}
	if len(backup.Queue) != 1 || backup.Queue[0].NextAttempt == "" || len(backup.Queue[0].Attempts) < 2 {
		t.Fatalf("backup's queue: %+v, want the message waiting with attempts", backup.Queue)
	}

	var up JourneyResult
	journeyCall(t, l, "setServerDown", `{"server": "mail.example.org", "down": false}`, &up)
	if got := last(inbox(t, up.Servers, "mail.example.org", "bob")); got != "Waits" {
		t.Errorf("after the server came back bob's last message is %q", got)
	}

	// Both exchangers of example.org down: mail.example.com keeps the
	// message until it gives up, then alice gets the notification.
	journeyCall(t, l, "setServerDown", `{"server": "mail.example.org", "down": true}`, &down)
	journeyCall(t, l, "setServerDown", `{"server": "backup-mail.example.org", "down": true}`, &down)
	journeyCall(t, l, "journeySend", `{"from": "alice@example.com", "to": "bob@example.org", "subject": "Lost"}`, &res)
	if hs := hops(res.Events); !slices.Contains(hs, "bounce") || !slices.Contains(hs, "retry") {
		t.Errorf("hops %q: want retries, then a bounce", hs)
	}
	alice := inbox(t, res.Servers, "mail.example.com", "alice")
	if !strings.Contains(strings.ToLower(last(alice)), "deliver") {
		t.Errorf("alice's last message %q is not a delivery status notification", last(alice))
	}
}

func TestJourneyErrors(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, params, want string
	}{
		{"setServerDown", `{"server": "ns1.example.com", "down": true}`, `no mail server "ns1.example.com"`},
		{"journeySend", `{"from": "alice@example.com"}`, "no recipient"},
		{"journeySend", `{"from": "alice", "to": "bob@example.org"}`, "not an address"},
		{"journeySend", `{"from": "bob@example.com", "to": "alice@example.com"}`, "no mail server holds bob@example.com"},
		{"journeySend", `{"from": "carol@example.com", "to": "bob@example.org"}`, "password hashed"},
		{"journeySend", `{"from": "alice@example.com", "to": "bob@example.org", "duration": "soon"}`, `duration "soon"`},
		{"journeySend", `{"from": "alice@example.com", "to": 7}`, "want an address or a list"},
		{"journeyRun", `{"duration": "-1s"}`, "positive"},
		{"journeyEvents", `{"since": 1}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.params, func(t *testing.T) {
			res, _ := l.Call(tt.method, []byte(tt.params))
			var e errorResult
			if err := json.Unmarshal(res, &e); err != nil || !strings.Contains(e.Error, tt.want) {
				t.Errorf("%s(%s) = %s, want an error with %q", tt.method, tt.params, res, tt.want)
			}
		})
	}

	// A world without mail servers has no journey lab.
	src := l.Source().Text
	i := strings.Index(src, "-- dns/mailservers --")
	j := strings.Index(src[i+1:], "\n-- ")
	if i < 0 || j < 0 {
		t.Fatal("the demo world has no dns/mailservers file to leave out")
	}
	if _, err := l.Load(LoadRequest{World: src[:i] + src[i+1+j+1:]}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.MailServers(); !errors.Is(err, ErrNoMailServers) {
		t.Errorf("MailServers without dns/mailservers: %v, want ErrNoMailServers", err)
	}
}

// TestJourneyReset checks that a reset drops the journey with the world
// it ran on.
func TestJourneyReset(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var res SendResult
	journeyCall(t, l, "journeySend", `{"from": "alice@example.com", "to": "bob@example.org", "subject": "Before"}`, &res)
	if _, err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	var servers MailServersResult
	journeyCall(t, l, "mailServers", "", &servers)
	if got := last(inbox(t, servers.Servers, "mail.example.org", "bob")); got == "Before" {
		t.Error("the journey's mail survived a reset")
	}
}
