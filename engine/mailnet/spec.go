package mailnet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/world"
)

// SpecFile is the world file that names the mail servers.
const SpecFile = "dns/mailservers"

// ServerSpec is one mail server of a world, as dns/mailservers gives it.
type ServerSpec struct {
	// Name is the server's host name: a host of dns/hosts, so it has an
	// address and a local DNS server, and the name MX records give.
	Name string
	// Domains are the mail domains it holds (lower case, no final dot),
	// and Users the users of each: user U of domain D has the address U@D
	// and a Maildir in this server's store.
	Domains []string
	Users   map[string][]string
	// Backup are the domains it is a backup exchanger for: it accepts
	// their mail from anyone and relays it to a more preferred exchanger
	// (RFC 5321 §5.1).
	Backup []string
}

// ParseSpec reads dns/mailservers and checks it against the world's users
// and the DNS hosts. It returns nil and no error when the world has no
// such file. Lines are
//
//	name  domain  user...        the server holds domain, with those users
//	name  backup=domain[,domain...]
//
// and a server may have several lines. Errors give the file and line.
func ParseSpec(w *world.World, dns *lab.Spec) ([]ServerSpec, error) {
	data, ok := w.DNSFiles[SpecFile]
	if !ok {
		return nil, nil
	}
	var specs []ServerSpec
	index := map[string]int{}
	owner := map[string]string{}  // user -> server
	holder := map[string]string{} // domain -> server
	type backupAt struct {
		domain string
		line   int
	}
	var backups []backupAt
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return w.MemberError(SpecFile, n, fmt.Errorf(format, args...))
		}
		if len(f) < 2 {
			return nil, fail("want: name domain user... or name backup=domain[,domain...]")
		}
		name := strings.ToLower(strings.TrimSuffix(f[0], "."))
		if !isHost(dns, name) {
			return nil, fail("mail server %s is not a host of dns/hosts (it needs an address and a local DNS server)", f[0])
		}
		i, seen := index[name]
		if !seen {
			i = len(specs)
			index[name] = i
			specs = append(specs, ServerSpec{Name: name, Users: map[string][]string{}})
		}
		s := &specs[i]
		if list, ok := strings.CutPrefix(f[1], "backup="); ok {
			if len(f) > 2 {
				return nil, fail("a backup= line takes no users")
			}
			for _, d := range strings.Split(list, ",") {
				d, err := domainName(d)
				if err != nil {
					return nil, fail("%v", err)
				}
				if slices.Contains(s.Backup, d) || slices.Contains(s.Domains, d) {
					return nil, fail("%s listed twice for %s", d, name)
				}
				s.Backup = append(s.Backup, d)
				backups = append(backups, backupAt{d, n})
			}
			continue
		}
		d, err := domainName(f[1])
		if err != nil {
			return nil, fail("%v", err)
		}
		if other, dup := holder[d]; dup {
			return nil, fail("domain %s is already held by %s", d, other)
		}
		if slices.Contains(s.Backup, d) {
			return nil, fail("%s is both held and backed up by %s", d, name)
		}
		holder[d] = name
		s.Domains = append(s.Domains, d)
		for _, u := range f[2:] {
			if _, ok := w.Users.Lookup(u); !ok {
				return nil, fail("user %q is not in the world's users file", u)
			}
			if other, dup := owner[u]; dup && other != name {
				return nil, fail("user %s already has a mailbox on %s", u, other)
			}
			owner[u] = name
			s.Users[d] = append(s.Users[d], u)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, w.MemberError(SpecFile, 0, err)
	}
	for _, b := range backups {
		if holder[b.domain] == "" {
			return nil, w.MemberError(SpecFile, b.line, fmt.Errorf("backup for %s, which no mail server holds", b.domain))
		}
	}
	return specs, nil
}

func isHost(dns *lab.Spec, name string) bool {
	return slices.ContainsFunc(dns.Hosts, func(h lab.Host) bool { return strings.EqualFold(h.Name, name) })
}

// domainName checks and normalises a mail domain.
func domainName(s string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(s, "."))
	if _, ok := mdns.IsDomainName(d); !ok || d == "" || strings.ContainsAny(d, "=@,") {
		return "", errors.New("bad domain " + fmt.Sprintf("%q", s))
	}
	return d, nil
}
