package conformance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/conformance"
)

// tinyWorld is an inline DNS world: one server for the root and
// example.com, a secondary, and a host with its local DNS server.
const tinyWorld = `-- world/dns/servers --
ns1.example.com   192.0.2.1   primary=. primary=example.com
ns2.example.com   192.0.2.2   secondary=example.com
resolver.example  192.0.2.53  resolver
-- world/dns/hosts --
pc  192.0.2.100  resolver.example
-- world/dns/zones/root.zone --
$TTL 86400
. IN SOA ns1.example.com. hostmaster.example.com. 1 1800 900 604800 86400
. IN NS ns1.example.com.
example.com. IN NS ns1.example.com.
ns1.example.com. IN A 192.0.2.1
-- world/dns/zones/example.com.zone --
$ORIGIN example.com.
$TTL 3600
@   IN SOA ns1 hostmaster 7 3600 600 86400 300
@   IN NS ns1
@   IN NS ns2
ns1 IN A 192.0.2.1
ns2 IN A 192.0.2.2
www IN A 192.0.2.80
`

func dnsCase(world, transcript string) string {
	head := "case\nprotocol: dns\n"
	if world != "" {
		head += "world: inline\n"
	}
	return head + world + "-- transcript --\n" + transcript
}

// The DNS runner with an inline world, to= queries and U: updates: each
// case is right, or wrong in one place, which the runner must find.
func TestDNSInlineWorldAndUpdates(t *testing.T) {
	// The transcript's lines start after the world's.
	first := strings.Count(dnsCase(tinyWorld, ""), "\n") + 1
	for _, tc := range []struct {
		name       string
		transcript string
		status     conformance.Status
		line       int // relative to the transcript's first line
		message    string
	}{
		{"resolve through the host's local server",
			"Q: www.example.com A\nS: rcode NOERROR\nS: answer www.example.com. 3600 IN A 192.0.2.80\nT: asked ns1.example.com\n",
			conformance.Pass, 0, ""},
		{"names compare without regard to case",
			"Q: WWW.Example.COM A to=ns1.example.com norecurse\nS: flags qr aa\nS: answer www.EXAMPLE.com. 3600 IN A 192.0.2.80\nS: authority (empty)\n",
			conformance.Pass, 0, ""},
		{"to= asks the named server: the secondary answers with AA",
			"Q: www.example.com A to=ns2.example.com norecurse\nS: flags qr aa\nS: answer www.example.com. 3600 IN A 192.0.2.81\n",
			conformance.Fail, 2, `answer section of the answer to "www.example.com A to=ns2.example.com norecurse" differs`},
		{"to= an unknown server",
			"Q: www.example.com A to=ns9.example.com\nS: rcode NOERROR\n",
			conformance.Fail, 0, `conformance: the world has no server "ns9.example.com"`},
		{"T: after to= is a mistake, not a skip",
			"Q: www.example.com A to=ns1.example.com\nT: upstream 0\n",
			conformance.Fail, 1, "T: lines check a local DNS server's lookup; this answer came straight from a named server (to= or U:)"},
		{"(empty) fails when the section has records",
			"Q: www.example.com A to=ns1.example.com norecurse\nS: answer (empty)\n",
			conformance.Fail, 1, `answer section of the answer to "www.example.com A to=ns1.example.com norecurse" differs`},
		{"an update, then the primary and the secondary see it",
			"U: zone example.com\nU: prereq nxdomain new.example.com\nU: add new.example.com 60 IN A 192.0.2.9\nS: rcode NOERROR\n" +
				"Q: new.example.com A to=ns2.example.com norecurse\nS: answer-exact-ttl new.example.com. 60 IN A 192.0.2.9\n" +
				"Q: example.com SOA to=ns1.example.com norecurse\nS: answer example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 8 3600 600 86400 300\n",
			conformance.Pass, 0, ""},
		{"an update's rcode differs",
			"U: zone example.com\nU: prereq yxdomain new.example.com\nU: add new.example.com 60 IN A 192.0.2.9\nS: rcode NOERROR\n",
			conformance.Fail, 3, "response code differs"},
		{"a bad record in an update",
			"Q: www.example.com A to=ns1.example.com norecurse\nU: zone example.com\nU: add www.example.com 60 IN A not-an-address\n",
			conformance.Fail, 2, "add: dns: bad A A: \"not-an-address\" at line: 1:38"},
		{"an update at the end of the case is sent too",
			"U: zone example.com to=ns9.example.com\nU: add new.example.com 60 IN A 192.0.2.9\n",
			conformance.Fail, 0, `conformance: the world has no server "ns9.example.com"`},
		{"an update line before the zone line",
			"U: add new.example.com 60 IN A 192.0.2.9\nS: rcode NOERROR\n",
			conformance.Fail, 0, "an update starts with U: zone ZONE"},
		{"an update for a zone without a primary needs to=",
			"U: zone example.org\nU: add www.example.org 60 IN A 192.0.2.9\nS: rcode NOTAUTH\n",
			conformance.Fail, 0, "conformance: no server of the world is primary for example.org.; name one with to="},
		{"NOTAUTH from a named server",
			"U: zone example.org to=ns1.example.com\nU: add www.example.org 60 IN A 192.0.2.9\nS: rcode NOTAUTH\n",
			conformance.Pass, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := conformance.Parse("case.txtar", []byte(dnsCase(tinyWorld, tc.transcript)))
			if err != nil {
				t.Fatal(err)
			}
			if tr.World == nil || len(tr.World.DNSFiles) != 4 {
				t.Fatalf("inline world not parsed: %+v", tr.World)
			}
			r := conformance.Run(tr, conformance.Engine{}, time.Now)
			line := 0
			if tc.status != conformance.Pass {
				line = first + tc.line
			}
			got := struct {
				Status  conformance.Status
				Line    int
				Message string
			}{r.Status, r.Line, r.Message}
			want := got
			want.Status, want.Line, want.Message = tc.status, line, tc.message
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s\nexchange:\n%s", diff, strings.Join(r.Lines, "\n"))
			}
		})
	}
}

// A mistake in an inline DNS world is reported with its place in the
// transcript file.
func TestDNSInlineWorldErrors(t *testing.T) {
	bad := strings.Replace(tinyWorld, "ns2 IN A 192.0.2.2\n", "", 1)
	tr, err := conformance.Parse("case.txtar", []byte(dnsCase(bad, "Q: www.example.com A\n")))
	if err != nil {
		t.Fatal(err)
	}
	r := conformance.Run(tr, conformance.Engine{}, time.Now)
	if r.Status != conformance.Fail || !strings.Contains(r.Message, "case.txtar") || !strings.Contains(r.Message, "no glue") {
		t.Errorf("result %s: %q, want a failure naming the file and the missing glue", r.Status, r.Message)
	}
}

// A target that cannot reach the world's servers by name skips cases that
// need it, instead of sending their queries somewhere else.
func TestDNSNamedServersNeedTheEngine(t *testing.T) {
	for _, tc := range []struct{ name, transcript string }{
		{"to=", "Q: www.example.com A to=ns1.example.com\nS: rcode NOERROR\n"},
		{"update", "U: zone example.com\nU: add new.example.com 60 IN A 192.0.2.9\nS: rcode NOERROR\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := conformance.Parse("case.txtar", []byte(dnsCase("", tc.transcript)))
			if err != nil {
				t.Fatal(err)
			}
			r := conformance.Run(tr, plainDNS{}, time.Now)
			if r.Status != conformance.Skip {
				t.Errorf("status %s (%s), want skip", r.Status, r.Message)
			}
		})
	}
}

// plainDNS is a target whose DNS client only queries its one server.
type plainDNS struct{}

func (plainDNS) Dial(*conformance.Transcript) (conformance.Conn, error) {
	return nil, conformance.ErrUnsupported
}

func (plainDNS) DNS(t *conformance.Transcript) (conformance.DNSClient, error) {
	c, err := conformance.Engine{}.DNS(t)
	if err != nil {
		return nil, err
	}
	return onlyQueries{c}, nil
}

// onlyQueries hides every method but DNSClient's.
type onlyQueries struct{ conformance.DNSClient }

func TestDNSParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, transcript, want string }{
		{"unknown direction", "case\nprotocol: dns\n-- transcript --\nQ: a.example A\nC: hello\n", `case.txtar:5: unknown direction "C:"`},
		{"not a step", "case\nprotocol: dns\n-- transcript --\nQ: a.example A\nupdate\n", `"Q:", "U:", "S:", "T:" or "X:"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conformance.Parse("case.txtar", []byte(tc.transcript))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
