package world

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/message"
)

func date(s string) time.Time {
	t, err := time.Parse(time.ANSIC, s)
	if err != nil {
		panic(err)
	}
	return t
}

var wordDecoder = new(mime.WordDecoder)

// parsed is a demo message read with the standard library.
type parsed struct {
	mbox    message.MboxMessage
	msg     *mail.Message
	subject string // RFC 2047-decoded
	body    []byte
}

func parse(t *testing.T, m message.MboxMessage) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatalf("net/mail: %v\n%s", err, m.Raw)
	}
	subject, err := wordDecoder.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	return parsed{m, msg, subject, body}
}

// checkRFC5322 checks the header fields every demo message must have.
func checkRFC5322(t *testing.T, h mail.Header) {
	t.Helper()
	for _, field := range []string{"Date", "From", "To", "Subject", "Message-ID"} {
		if len(h[textproto.CanonicalMIMEHeaderKey(field)]) != 1 {
			t.Errorf("%s: %d %s fields, want 1", h.Get("Message-ID"), len(h[textproto.CanonicalMIMEHeaderKey(field)]), field)
		}
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("%s: Date: %v", h.Get("Message-ID"), err)
	}
	if _, err := h.AddressList("From"); err != nil {
		t.Errorf("%s: From: %v", h.Get("Message-ID"), err)
	}
	if to := h.Get("To"); to != "undisclosed-recipients:;" {
		if _, err := h.AddressList("To"); err != nil {
			t.Errorf("%s: To: %v", h.Get("Message-ID"), err)
		}
	}
	if !regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`).MatchString(h.Get("Message-ID")) {
		t.Errorf("Message-ID %q is malformed", h.Get("Message-ID"))
	}
}

var (
	domainRE = regexp.MustCompile(`@([A-Za-z0-9.-]+)`)
	ipv4RE   = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
	docIPv4  = regexp.MustCompile(`^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$`)
)

func TestDemo(t *testing.T) {
	w := Demo()
	if w != Demo() {
		t.Error("Demo parses more than once")
	}
	if !strings.Contains(w.Description, "office-hours") {
		t.Error("the description does not document carol's password")
	}

	// Users and passwords.
	if diff := cmp.Diff([]string{"alice", "bob", "carol"}, w.Users.Names()); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ user, pass, scheme string }{
		{"alice", "wonderland", auth.SchemePlain},
		{"bob", "builder", auth.SchemePlain},
		{"carol", "office-hours", auth.SchemeSHA256},
	} {
		if err := w.Users.Authenticate(tc.user, tc.pass); err != nil {
			t.Errorf("Authenticate(%s): %v", tc.user, err)
		}
		if p, _ := w.Users.Lookup(tc.user); p.Scheme() != tc.scheme {
			t.Errorf("%s's password scheme = %s, want %s", tc.user, p.Scheme(), tc.scheme)
		}
	}
	const ts = "<1896.697170952@dbc.mtview.ca.us>"
	if err := w.Users.AuthenticateAPOP("alice", ts, auth.APOPDigest(ts, "wonderland")); err != nil {
		t.Errorf("APOP for alice: %v", err)
	}

	// Mailboxes.
	names := map[string][]string{}
	count := map[string]int{}
	for user, boxes := range w.Mailboxes {
		for _, b := range boxes {
			names[user] = append(names[user], b.Name)
			count[user+"/"+b.Name] = len(b.Messages)
		}
	}
	wantNames := map[string][]string{
		"alice": {"INBOX", "Archive", "Sent"},
		"bob":   {"INBOX"},
		"carol": {"INBOX"},
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("mailboxes (-want +got):\n%s", diff)
	}
	if n := count["alice/INBOX"]; n < 8 {
		t.Errorf("alice's INBOX has %d messages, want at least 8", n)
	}
	if n := count["bob/INBOX"]; n != 3 {
		t.Errorf("bob's INBOX has %d messages, want 3", n)
	}
	if count["alice/Sent"] < 2 || count["alice/Archive"] < 2 {
		t.Errorf("alice's Sent and Archive have %d and %d messages, want 2 or more", count["alice/Sent"], count["alice/Archive"])
	}

	// Every message: RFC 5322 fields, example domains, documentation addresses,
	// LF line endings, 7-bit.
	seen := 0
	for user, boxes := range w.Mailboxes {
		for _, b := range boxes {
			for _, m := range b.Messages {
				p := parse(t, m)
				checkRFC5322(t, p.msg.Header)
				if bytes.Contains(m.Raw, []byte("\r")) {
					t.Errorf("%s/%s %q has CR characters", user, b.Name, p.subject)
				}
				for _, c := range m.Raw {
					if c >= 0x80 {
						t.Errorf("%s/%s %q has 8-bit data", user, b.Name, p.subject)
						break
					}
				}
				for _, d := range domainRE.FindAllStringSubmatch(string(m.Raw), -1) {
					if d[1] != "example.com" && d[1] != "example.org" && d[1] != "example.net" {
						t.Errorf("%s/%s %q uses the domain %s", user, b.Name, p.subject, d[1])
					}
				}
				for _, ip := range ipv4RE.FindAllString(string(m.Raw), -1) {
					if !docIPv4.MatchString(ip) {
						t.Errorf("%s/%s %q uses the address %s", user, b.Name, p.subject, ip)
					}
				}
				if m.Date.IsZero() {
					t.Errorf("%s/%s %q: From_ line has no date", user, b.Name, p.subject)
				}
				if slicesContains(m.Flags, `\Seen`) {
					seen++
				}
			}
		}
	}
	if seen < 2 {
		t.Errorf("%d messages start \\Seen, want a couple", seen)
	}

	inbox := map[string]parsed{}
	for _, m := range w.Mailboxes["alice"][0].Messages {
		p := parse(t, m)
		inbox[p.subject] = p
	}
	get := func(subject string) parsed {
		t.Helper()
		p, ok := inbox[subject]
		if !ok {
			t.Fatalf("alice's INBOX has no message %q", subject)
		}
		return p
	}

	t.Run("group address", func(t *testing.T) {
		p := get("Welcome to CS 340 Networks Lab")
		if got := p.msg.Header.Get("To"); got != "undisclosed-recipients:;" {
			t.Errorf("To = %q", got)
		}
		addrs, err := p.msg.Header.AddressList("To")
		if err != nil || len(addrs) != 0 {
			t.Errorf("To parses to %v, %v; want an empty group", addrs, err)
		}
		if diff := cmp.Diff([]string{`\Seen`}, p.mbox.Flags); diff != "" {
			t.Errorf("flags (-want +got):\n%s", diff)
		}
	})

	t.Run("multipart/mixed with attachment", func(t *testing.T) {
		parts := multiparts(t, get("Lab 1 handout: POP3 by hand"), "multipart/mixed")
		if len(parts) != 2 || parts[0].mediaType != "text/plain" || parts[1].mediaType != "image/png" {
			t.Fatalf("parts = %v", parts)
		}
		if parts[1].filename != "lab1-topology.png" {
			t.Errorf("filename = %q", parts[1].filename)
		}
		img, err := png.Decode(bytes.NewReader(parts[1].body))
		if err != nil {
			t.Fatalf("attachment is not a PNG: %v", err)
		}
		if img.Bounds().Dx() != 16 {
			t.Errorf("image is %v", img.Bounds())
		}
	})

	t.Run("multipart/alternative", func(t *testing.T) {
		p := get("Study group Thursday?")
		parts := multiparts(t, p, "multipart/alternative")
		if len(parts) != 2 || parts[0].mediaType != "text/plain" || parts[1].mediaType != "text/html" {
			t.Fatalf("parts = %v", parts)
		}
		if !bytes.Contains(parts[1].body, []byte("<strong>study group</strong>")) {
			t.Errorf("HTML part: %s", parts[1].body)
		}
		if diff := cmp.Diff([]string{`\Seen`, `\Answered`}, p.mbox.Flags); diff != "" {
			t.Errorf("flags (-want +got):\n%s", diff)
		}
	})

	t.Run("RFC 2047 Korean subject and sender", func(t *testing.T) {
		p := get("안녕하세요! Greetings from Seoul")
		if raw := p.msg.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?B?") {
			t.Errorf("raw Subject %q is not a B encoded-word", raw)
		}
		from, err := p.msg.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != "박민준" {
			t.Errorf("From = %v, %v; want 박민준", from, err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(p.body)))
		if err != nil || !strings.HasPrefix(string(body), "안녕하세요, Alice!") {
			t.Errorf("body = %q, %v", body, err)
		}
	})

	t.Run("over 100 KB", func(t *testing.T) {
		p := get("Lecture 5 notes: DNS from the root down")
		if n := len(p.mbox.Raw); n <= 100*1024 {
			t.Errorf("message is %d bytes, want over 100 KiB", n)
		}
		for i, line := range strings.Split(string(p.mbox.Raw), "\n") {
			if len(line) > 78 {
				t.Errorf("line %d is %d characters, over RFC 5322's 78", i+1, len(line))
			}
		}
	})

	t.Run("lines starting with a dot", func(t *testing.T) {
		p := get("Re: Why did my POP3 client hide a line?")
		for _, line := range []string{".", "..hidden"} {
			if !bytes.Contains(p.body, []byte("\n"+line+"\n")) {
				t.Errorf("body has no line %q", line)
			}
		}
	})

	t.Run("forwarded message/rfc822", func(t *testing.T) {
		parts := multiparts(t, get("Fwd: Room change for Friday's lab"), "multipart/mixed")
		if len(parts) != 2 || parts[1].mediaType != "message/rfc822" {
			t.Fatalf("parts = %v", parts)
		}
		inner, err := mail.ReadMessage(bytes.NewReader(parts[1].body))
		if err != nil {
			t.Fatal(err)
		}
		checkRFC5322(t, inner.Header)
		if got := inner.Header.Get("Subject"); got != "Room change for Friday's lab" {
			t.Errorf("inner Subject = %q", got)
		}
	})

	t.Run("RFC 2231 filename continuation", func(t *testing.T) {
		p := get("Lab 2 grading rubric")
		if !bytes.Contains(p.mbox.Raw, []byte("filename*0*=UTF-8''")) || !bytes.Contains(p.mbox.Raw, []byte("filename*1*=")) {
			t.Error("the rubric does not use filename*0* and filename*1*")
		}
		parts := multiparts(t, p, "multipart/mixed")
		if len(parts) != 2 || parts[1].filename != "Lab 2 – grading rubric.txt" {
			t.Fatalf("parts = %v", parts)
		}
	})

	t.Run("mboxrd quoting", func(t *testing.T) {
		p := get("Lab 1 results: 9 of 10 checks passed")
		if !bytes.Contains(p.body, []byte("\n\nFrom the server's point of view")) {
			t.Error(`the ">From " line was not unquoted`)
		}
		if !bytes.Contains(DemoArchive(), []byte("\n>From the server's point of view")) {
			t.Error(`the demo does not quote its "From " line`)
		}
		if diff := cmp.Diff([]string{`\Flagged`}, p.mbox.Flags); diff != "" {
			t.Errorf("flags (-want +got):\n%s", diff)
		}
	})
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

type part struct {
	mediaType, filename string
	body                []byte // transfer-decoded
}

// multiparts returns the parts of a multipart message of the given type.
func multiparts(t *testing.T, p parsed, wantType string) []part {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(p.msg.Header.Get("Content-Type"))
	if err != nil || mediaType != wantType {
		t.Fatalf("Content-Type %q: %s, %v; want %s", p.msg.Header.Get("Content-Type"), mediaType, err, wantType)
	}
	r := multipart.NewReader(bytes.NewReader(p.body), params["boundary"])
	var parts []part
	for {
		mp, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return parts
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(mp)
		if err != nil {
			t.Fatal(err)
		}
		switch mp.Header.Get("Content-Transfer-Encoding") {
		case "base64":
			body, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\n", ""))
		case "quoted-printable":
			body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		}
		if err != nil {
			t.Fatal(err)
		}
		mt, _, err := mime.ParseMediaType(mp.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part{mt, mp.FileName(), body})
	}
}
