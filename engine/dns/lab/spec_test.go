package lab_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/world"
)

func TestDemoSpec(t *testing.T) {
	s, err := lab.ParseSpec(world.Demo())
	if err != nil {
		t.Fatal(err)
	}
	roots, tlds, resolvers := 0, map[string]bool{}, 0
	for _, srv := range s.Servers {
		for _, z := range srv.Primary {
			switch {
			case z == ".":
				roots++
			case strings.Count(z, ".") == 1:
				tlds[z] = true
			}
		}
		if srv.Resolver {
			resolvers++
		}
	}
	if roots != 13 {
		t.Errorf("%d root servers, want 13", roots)
	}
	if diff := cmp.Diff(map[string]bool{"com.": true, "net.": true, "org.": true, "edu.": true, "kr.": true}, tlds); diff != "" {
		t.Errorf("TLDs (-want +got):\n%s", diff)
	}
	if resolvers != 2 {
		t.Errorf("%d local DNS servers, want 2", resolvers)
	}
	if len(s.Hosts) < 2 || len(s.Zones) < 10 {
		t.Errorf("%d hosts and %d zones, want more", len(s.Hosts), len(s.Zones))
	}
}

func TestSpecErrors(t *testing.T) {
	const zone = "-- dns/zones/example.com.zone --\n$ORIGIN example.com.\n@ 60 IN SOA ns1 h 1 1 1 1 1\n@ 60 IN NS ns1\nns1 60 IN A 192.0.2.1\n"
	for _, tc := range []struct {
		name, world, want string
	}{
		{"bad role", "-- users --\n-- dns/servers --\n# comment\nns1.example.com 192.0.2.1 boss=example.com\n" + zone,
			`t.txtar:4: dns/servers: line 2: unknown role "boss=example.com"`},
		{"no zone file", "-- users --\n-- dns/servers --\nns1.example.com 192.0.2.1 primary=example.org\n" + zone,
			"t.txtar:3: dns/servers: line 1: no zone file dns/zones/example.org.zone for primary=example.org."},
		{"duplicate address", "-- users --\n-- dns/servers --\nns1.example.com 192.0.2.1 primary=example.com\nns2.example.com 192.0.2.1 resolver\n" + zone,
			"t.txtar:4: dns/servers: line 2: address 192.0.2.1 already belongs to ns1.example.com"},
		{"orphan secondary", "-- users --\n-- dns/servers --\nns2.example.com 192.0.2.2 secondary=example.org\n" + zone,
			"t.txtar:3: dns/servers: line 1: secondary=example.org. but no server is primary for example.org."},
		{"host without resolver", "-- users --\n-- dns/servers --\nns1.example.com 192.0.2.1 primary=example.com\n-- dns/hosts --\nlaptop 192.0.2.9 ns1.example.com\n" + zone,
			"t.txtar:5: dns/hosts: line 1: ns1.example.com is not a server with the resolver role"},
		{"bad latency", "-- users --\n-- dns/servers --\nns1.example.com 192.0.2.1 primary=example.com\n-- dns/links --\ndefault 3 parsecs\n" + zone,
			"t.txtar:5: dns/links: line 1: want: default LATENCY"},
		{"unknown file", "-- users --\n-- dns/servers --\nns1.example.com 192.0.2.1 primary=example.com\n-- dns/zones/sub/x.zone --\n" + zone,
			"t.txtar:4: dns/zones/sub/x.zone: unknown DNS file"},
		{"no servers", "-- users --\n" + zone, "t.txtar: dns/servers: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := world.Parse("t.txtar", []byte(tc.world))
			if err != nil {
				t.Fatal(err)
			}
			_, err = lab.ParseSpec(w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseSpec error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	w, _ := world.Parse("t.txtar", []byte("-- users --\n"))
	if _, err := lab.ParseSpec(w); !errors.Is(err, lab.ErrNoDNS) {
		t.Errorf("a world without dns/ gives %v, want ErrNoDNS", err)
	}
}
