package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Both mail servers get the same user and the same maildrop: wirelab from a
// world file, Dovecot from a Maildir written here with the same messages.
const (
	benchUser = "bench"
	benchPass = "bench"
)

// benchMessage is the i-th (from 1) message of the POP3 maildrop, about
// 1.5 KB of realistic shape, with LF line ends as files on disk have.
func benchMessage(i int) (raw string, date time.Time) {
	date = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	body := strings.Repeat("The quick brown fox jumps over the lazy dog, again and again.\n", 20)
	raw = fmt.Sprintf("Date: %s\nFrom: Sender <sender@example.org>\nTo: %s@example.com\nSubject: message %d\nMessage-ID: <%d@example.org>\n\n%s",
		date.Format(time.RFC1123Z), benchUser, i, i, body)
	return raw, date
}

// writeMailWorld writes the wirelab world: the user and an INBOX of n
// messages (mbox).
func writeMailWorld(path string, n int) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "bench/peers mail world\n-- users --\n%s:{PLAIN}%s\n-- mail/%s/INBOX.mbox --\n", benchUser, benchPass, benchUser)
	for i := 1; i <= n; i++ {
		raw, date := benchMessage(i)
		fmt.Fprintf(&b, "From sender@example.org %s\n%s\n", date.Format("Mon Jan _2 15:04:05 2006"), raw)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// writeDovecotMail writes the same INBOX as a Maildir under dir/mail/USER
// (Dovecot's mail_location = maildir:DIR/mail/%u), messages already in cur/
// so that the first session does not have to move them.
func writeDovecotMail(dir string, n int) error {
	root := filepath.Join(dir, "mail", benchUser)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o755); err != nil {
			return err
		}
	}
	for i := 1; i <= n; i++ {
		raw, date := benchMessage(i)
		name := fmt.Sprintf("%d.M%dP1.bench:2,", date.Unix(), i)
		p := filepath.Join(root, "cur", name)
		if err := os.WriteFile(p, []byte(raw), 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(p, date, date); err != nil {
			return err
		}
	}
	return nil
}

// The DNS world: one root server, one server for the "test" TLD and one
// authoritative server for every zone below it, so a cold lookup walks
// three levels. hits.test holds the cache-hit names: round robin RRsets of
// three addresses, and CNAMEs to them. coldN.test are zones of one name
// each, so every cold name needs a referral from the TLD and an answer from
// its zone.
const (
	rootAddr = "198.41.0.4"
	tldAddr  = "192.0.2.30"
	authAddr = "198.51.100.10"
	// dnsTTL outlives any run, so no cached answer expires mid-measurement.
	dnsTTL = 86400
)

// hitNames returns the names dnsperf asks for, in query-file order:
// every third one is a CNAME.
func hitNames(n int) []string {
	out := make([]string, n)
	for i := range n {
		if i%3 == 2 {
			out[i] = fmt.Sprintf("alias%d.hits.test", i)
		} else {
			out[i] = fmt.Sprintf("host%d.hits.test", i)
		}
	}
	return out
}

// coldNames returns names in n distinct zones that nothing has asked for.
func coldNames(n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("www.cold%d.test", i)
	}
	return out
}

// writeDNSWorld writes a world with the zones above and one local DNS
// server (the resolver wirelab serve answers as).
func writeDNSWorld(path string, hits, cold int) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "bench/peers DNS world\n-- users --\n%s:{PLAIN}%s\n", benchUser, benchPass)
	b.WriteString("-- dns/servers --\n")
	fmt.Fprintf(&b, "a.root-servers.net %s primary=.\n", rootAddr)
	fmt.Fprintf(&b, "ns.nic.test %s primary=test\n", tldAddr)
	fmt.Fprintf(&b, "ns.hits.test %s primary=hits.test", authAddr)
	for i := range cold {
		fmt.Fprintf(&b, " primary=cold%d.test", i)
	}
	b.WriteString("\ndns.bench.test 203.0.113.53 resolver\n")
	b.WriteString("-- dns/hosts --\nclient 203.0.113.100 dns.bench.test\n")
	b.WriteString("-- dns/links --\ndefault 1ms\n")

	soa := func(origin, ns string) {
		mbox := "hostmaster." + origin
		if origin == "." {
			mbox = "hostmaster.root-servers.net."
		}
		fmt.Fprintf(&b, "$ORIGIN %s\n$TTL %d\n@ IN SOA %s %s 1 3600 600 86400 %d\n", origin, dnsTTL, ns, mbox, dnsTTL)
	}
	b.WriteString("-- dns/zones/root.zone --\n")
	soa(".", "a.root-servers.net.")
	b.WriteString("@ IN NS a.root-servers.net.\n")
	fmt.Fprintf(&b, "a.root-servers.net. IN A %s\n", rootAddr)
	fmt.Fprintf(&b, "test. IN NS ns.nic.test.\nns.nic.test. IN A %s\n", tldAddr)

	b.WriteString("-- dns/zones/test.zone --\n")
	soa("test.", "ns.nic.test.")
	fmt.Fprintf(&b, "@ IN NS ns.nic.test.\nns.nic IN A %s\n", tldAddr)
	fmt.Fprintf(&b, "hits IN NS ns.hits.test.\nns.hits IN A %s\n", authAddr)
	for i := range cold {
		fmt.Fprintf(&b, "cold%d IN NS ns.cold%d.test.\nns.cold%d IN A %s\n", i, i, i, authAddr)
	}

	b.WriteString("-- dns/zones/hits.test.zone --\n")
	soa("hits.test.", "ns.hits.test.")
	fmt.Fprintf(&b, "@ IN NS ns.hits.test.\nns IN A %s\n", authAddr)
	for i, name := range hitNames(hits) {
		label := strings.TrimSuffix(name, ".hits.test")
		if i%3 == 2 {
			fmt.Fprintf(&b, "%s IN CNAME host%d.hits.test.\n", label, i-1)
			continue
		}
		for k := range 3 {
			fmt.Fprintf(&b, "%s IN A 10.%d.%d.%d\n", label, i/250, i%250, k+1)
		}
	}
	for i := range cold {
		fmt.Fprintf(&b, "-- dns/zones/cold%d.test.zone --\n", i)
		soa(fmt.Sprintf("cold%d.test.", i), fmt.Sprintf("ns.cold%d.test.", i))
		fmt.Fprintf(&b, "@ IN NS ns.cold%d.test.\nns IN A %s\nwww IN A 10.200.%d.%d\n", i, authAddr, i/250, i%250+1)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
