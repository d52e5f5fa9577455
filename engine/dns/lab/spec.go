// Package lab builds a world's DNS hierarchy: it reads the dns/ part of a
// world (servers, hosts, link latencies and zone files) and, on a simulated
// network, starts the root, TLD and authoritative servers, the local DNS
// servers and the hosts that use them.
//
// The dns/ files of a world:
//
//	dns/servers   name  address[,address...]  role...
//	              roles: primary=ZONE, secondary=ZONE, resolver
//	dns/hosts     name  address  local-dns-server-name
//	dns/links     default LATENCY  |  a  b  LATENCY
//	dns/zones/ORIGIN.zone   RFC 1035 master files ("root.zone" is ".")
//	dns/mailservers         which hosts are mail servers: read by engine/mailnet
package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/world"
)

// Server is one DNS server of the world.
type Server struct {
	Name      string
	Addrs     []netip.Addr
	Primary   []string // zones it loads from their master files (FQDNs)
	Secondary []string // zones it transfers from the zone's first primary
	// Resolver marks a local DNS server: hosts send it their queries and
	// it offers recursion (RFC 1034 §2.4).
	Resolver bool
}

// Host is a client machine and the local DNS server it asks first.
type Host struct {
	Name     string
	Addr     netip.Addr
	Resolver string
}

// Link is a one-way latency between two named machines.
type Link struct {
	A, B    string
	Latency time.Duration
}

// Spec is the dns/ part of a world, checked but not yet running.
type Spec struct {
	Servers        []Server
	Hosts          []Host
	Links          []Link
	DefaultLatency time.Duration
	// Zones maps each zone's origin to its master file's member path and
	// text.
	Zones map[string]ZoneFile
}

// ZoneFile is one dns/zones/ member.
type ZoneFile struct {
	Path string
	Data []byte
}

// DefaultLatency is the one-way latency of links a world does not list.
const DefaultLatency = 20 * time.Millisecond

// ErrNoDNS says the world has no dns/ part.
var ErrNoDNS = errors.New("lab: the world has no dns/ files")

// ParseSpec reads and cross-checks a world's dns/ files. Errors name the
// file and line, placed in the world file.
func ParseSpec(w *world.World) (*Spec, error) {
	if len(w.DNSFiles) == 0 {
		return nil, ErrNoDNS
	}
	s := &Spec{DefaultLatency: DefaultLatency, Zones: map[string]ZoneFile{}}
	// dns/mailservers belongs to engine/mailnet, which runs mail servers
	// on the lab's hosts; the DNS loader only lets it through.
	known := map[string]bool{"dns/servers": true, "dns/hosts": true, "dns/links": true, "dns/mailservers": true}
	var names []string
	for name := range w.DNSFiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if known[name] {
			continue
		}
		rest, ok := strings.CutPrefix(name, "dns/zones/")
		if !ok || !strings.HasSuffix(rest, ".zone") || strings.Contains(rest, "/") {
			return nil, w.MemberError(name, 0, errors.New(`unknown DNS file; expected dns/servers, dns/hosts, dns/links, dns/mailservers or dns/zones/ORIGIN.zone`))
		}
		origin := strings.TrimSuffix(rest, ".zone")
		if origin == "root" {
			origin = "."
		}
		origin = mdns.Fqdn(strings.ToLower(origin))
		if _, ok := mdns.IsDomainName(origin); !ok {
			return nil, w.MemberError(name, 0, fmt.Errorf("%q is not a domain name", origin))
		}
		s.Zones[origin] = ZoneFile{Path: name, Data: w.DNSFiles[name]}
	}
	if err := s.parseServers(w); err != nil {
		return nil, err
	}
	if err := s.parseHosts(w); err != nil {
		return nil, err
	}
	if err := s.parseLinks(w); err != nil {
		return nil, err
	}
	return s, nil
}

// lines calls fn for each non-blank, non-comment line's fields.
func lines(w *world.World, member string, fn func(line int, fields []string) error) error {
	data, ok := w.DNSFiles[member]
	if !ok {
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if err := fn(n, fields); err != nil {
			return w.MemberError(member, n, err)
		}
	}
	return sc.Err()
}

func (s *Spec) server(name string) *Server {
	for i := range s.Servers {
		if s.Servers[i].Name == name {
			return &s.Servers[i]
		}
	}
	return nil
}

func (s *Spec) parseServers(w *world.World) error {
	if _, ok := w.DNSFiles["dns/servers"]; !ok {
		return w.MemberError("dns/servers", 0, errors.New("missing: a world with DNS needs dns/servers"))
	}
	seen := map[netip.Addr]string{}
	primaries := map[string]string{}
	err := lines(w, "dns/servers", func(_ int, f []string) error {
		if len(f) < 3 {
			return errors.New("want: name, addresses separated by commas, then roles")
		}
		srv := Server{Name: mdns.Fqdn(strings.ToLower(f[0]))}
		if _, ok := mdns.IsDomainName(srv.Name); !ok {
			return fmt.Errorf("%q is not a host name", f[0])
		}
		if s.server(srv.Name) != nil {
			return fmt.Errorf("server %s listed twice", f[0])
		}
		for _, a := range strings.Split(f[1], ",") {
			addr, err := netip.ParseAddr(a)
			if err != nil {
				return fmt.Errorf("bad address %q", a)
			}
			if other, dup := seen[addr]; dup {
				return fmt.Errorf("address %s already belongs to %s", addr, other)
			}
			seen[addr] = f[0]
			srv.Addrs = append(srv.Addrs, addr)
		}
		for _, role := range f[2:] {
			key, zone, hasZone := strings.Cut(role, "=")
			zone = mdns.Fqdn(strings.ToLower(zone))
			switch {
			case key == "resolver" && !hasZone:
				srv.Resolver = true
			case key == "primary" && hasZone:
				if _, ok := s.Zones[zone]; !ok {
					return fmt.Errorf("no zone file dns/zones/%s for primary=%s", zoneFileName(zone), zone)
				}
				// Several servers may load the same master file, as
				// the root servers do; secondaries transfer from the
				// first one listed.
				if primaries[zone] == "" {
					primaries[zone] = srv.Name
				}
				srv.Primary = append(srv.Primary, zone)
			case key == "secondary" && hasZone:
				srv.Secondary = append(srv.Secondary, zone)
			default:
				return fmt.Errorf("unknown role %q (want primary=ZONE, secondary=ZONE or resolver)", role)
			}
		}
		s.Servers = append(s.Servers, srv)
		return nil
	})
	if err != nil {
		return err
	}
	// A secondary needs a primary to transfer from; a zone needs a server.
	return lines(w, "dns/servers", func(_ int, f []string) error {
		srv := s.server(mdns.Fqdn(strings.ToLower(f[0])))
		for _, zone := range srv.Secondary {
			if primaries[zone] == "" {
				return fmt.Errorf("secondary=%s but no server is primary for %s", zone, zone)
			}
		}
		return nil
	})
}

func zoneFileName(zone string) string {
	if zone == "." {
		return "root.zone"
	}
	return strings.TrimSuffix(zone, ".") + ".zone"
}

func (s *Spec) parseHosts(w *world.World) error {
	names := map[string]bool{}
	return lines(w, "dns/hosts", func(_ int, f []string) error {
		if len(f) != 3 {
			return errors.New("want: name address local-dns-server")
		}
		if names[f[0]] || s.server(mdns.Fqdn(strings.ToLower(f[0]))) != nil {
			return fmt.Errorf("name %s is taken", f[0])
		}
		names[f[0]] = true
		addr, err := netip.ParseAddr(f[1])
		if err != nil {
			return fmt.Errorf("bad address %q", f[1])
		}
		res := s.server(mdns.Fqdn(strings.ToLower(f[2])))
		if res == nil || !res.Resolver {
			return fmt.Errorf("%s is not a server with the resolver role", f[2])
		}
		s.Hosts = append(s.Hosts, Host{Name: f[0], Addr: addr, Resolver: res.Name})
		return nil
	})
}

// machine reports whether name is a host or server of the spec.
func (s *Spec) machine(name string) bool {
	if s.server(mdns.Fqdn(strings.ToLower(name))) != nil {
		return true
	}
	for _, h := range s.Hosts {
		if h.Name == name {
			return true
		}
	}
	return false
}

func (s *Spec) parseLinks(w *world.World) error {
	return lines(w, "dns/links", func(_ int, f []string) error {
		if f[0] == "default" {
			if len(f) != 2 {
				return errors.New("want: default LATENCY")
			}
			d, err := parseLatency(f[1])
			if err != nil {
				return err
			}
			s.DefaultLatency = d
			return nil
		}
		if len(f) != 3 {
			return errors.New("want: a b LATENCY")
		}
		for _, n := range f[:2] {
			if !s.machine(n) {
				return fmt.Errorf("unknown host or server %q", n)
			}
		}
		d, err := parseLatency(f[2])
		if err != nil {
			return err
		}
		s.Links = append(s.Links, Link{A: f[0], B: f[1], Latency: d})
		return nil
	})
}

// MaxLatency bounds a link's latency; anything longer is a typo.
const MaxLatency = 10 * time.Second

func parseLatency(text string) (time.Duration, error) {
	d, err := time.ParseDuration(text)
	if err != nil || d < 0 || d > MaxLatency {
		return 0, fmt.Errorf("bad latency %q (want e.g. 20ms, at most %v)", text, MaxLatency)
	}
	return d, nil
}
