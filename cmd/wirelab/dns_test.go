package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dig runs Debian's dig against the server's DNS address.
func dig(t *testing.T, srv *server, args ...string) string {
	t.Helper()
	digPath := needTool(t, "dig", "bind9-dnsutils")
	host, port := hostPort(srv.addrs["dns"])
	out, err := exec.Command(digPath, append([]string{"@" + host, "-p", port, "+time=5", "+tries=1"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestDig asks wirelab serve's local DNS server with dig: an alias with
// three replicas, MX, AAAA, a name that does not exist, a wildcard, a name
// in a delegated sub-zone, and the same over TCP.
func TestDig(t *testing.T) {
	srv := startServe(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"alias and replicas", []string{"www.example.com", "+short"}, "web.example.com.\n198.51.100.8"},
		{"mail exchangers", []string{"example.com", "MX", "+short"}, "10 mail.example.com.\n20 backup-mail.example.org."},
		{"IPv6", []string{"mail.example.com", "AAAA", "+short"}, "2001:db8:100::25"},
		{"no such name", []string{"nosuch.example.com", "+noall", "+comments"}, "status: NXDOMAIN"},
		{"wildcard", []string{"anyone.users.example.com", "+short"}, "198.51.100.99"},
		{"delegated sub-zone", []string{"pc1.lab.example.com", "+short"}, "198.51.100.121"},
		{"alias chain into another zone", []string{"ftp.example.com", "+short"}, "files.example.com.\nstorage.example.net.\n203.0.113.70"},
		{"over TCP", []string{"+tcp", "www.example.org", "+short"}, "198.51.100.28"},
		{"another TLD", []string{"www.example.kr", "+short"}, "198.51.100.41"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dig(t, srv, tc.args...); !strings.Contains(got, tc.want) {
				t.Errorf("dig %v:\n%s\nwant it to contain %q", tc.args, got, tc.want)
			}
		})
	}
}

// TestDigRoundRobin shows load distribution: three successive answers for
// web.example.com list its replicas in three different orders.
func TestDigRoundRobin(t *testing.T) {
	srv := startServe(t)
	orders := map[string]bool{}
	for range 3 {
		orders[dig(t, srv, "web.example.com", "+short")] = true
	}
	if len(orders) != 3 {
		t.Errorf("three lookups gave %d distinct orders: %v", len(orders), orders)
	}
}

func TestResolveCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--trace", "www.example.com"}, []string{
			"query    dns.isp.example.net -> a.root-servers.net  www.example.com. A",
			"referral to com.",
			"-> a.gtld-servers.net",
			"-> ns1.example.com",
			"status: NOERROR, upstream queries: 3",
			"web.example.com.\t3600\tIN\tA\t198.51.100.81",
		}},
		{[]string{"--mode", "recursive", "--from", "lab-pc", "example.com", "mx"}, []string{
			"recursive mode, from lab-pc via dns.example.edu",
			"status: NOERROR, upstream queries: 1",
			"IN\tMX\t10 mail.example.com.",
			"ADDITIONAL SECTION",
		}},
		{[]string{"nosuch.example.com"}, []string{"status: NXDOMAIN", "AUTHORITY SECTION", "IN\tSOA\tns1.example.com."}},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			out, err := exec.Command(binPath, append([]string{"resolve"}, tc.args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("wirelab resolve %v: %v\n%s", tc.args, err, out)
			}
			var missing []string
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					missing = append(missing, w)
				}
			}
			if diff := cmp.Diff([]string(nil), missing); diff != "" {
				t.Errorf("output lacks lines (-want +got):\n%s\noutput:\n%s", diff, out)
			}
		})
	}
	for _, args := range [][]string{{"--mode", "sideways", "x"}, {"x", "NOTATYPE"}, {"--from", "mars", "x"}} {
		if out, err := exec.Command(binPath, append([]string{"resolve"}, args...)...).CombinedOutput(); err == nil {
			t.Errorf("wirelab resolve %v succeeded:\n%s", args, out)
		}
	}
}

// TestDigMinimalResponses: a positive answer carries the zone's name
// servers in its authority section unless --minimal-responses leaves them
// out; a negative answer keeps its SOA either way (RFC 2308 §3).
func TestDigMinimalResponses(t *testing.T) {
	for _, tc := range []struct {
		flags         []string
		wantAuthority bool
	}{{nil, true}, {[]string{"--minimal-responses"}, false}} {
		t.Run(fmt.Sprint(tc.flags), func(t *testing.T) {
			srv := startServe(t, tc.flags...)
			got := dig(t, srv, "www.example.com", "+noall", "+authority")
			if has := strings.Contains(got, "\tNS\t"); has != tc.wantAuthority {
				t.Errorf("authority section of a positive answer:\n%s\nwant NS records: %v", got, tc.wantAuthority)
			}
			if got := dig(t, srv, "nosuch.example.com", "+noall", "+authority"); !strings.Contains(got, "\tSOA\t") {
				t.Errorf("authority section of NXDOMAIN:\n%s\nwant the SOA", got)
			}
		})
	}
}
