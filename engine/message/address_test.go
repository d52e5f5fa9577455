package message

import (
	"net/mail"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func addr(name, adl, mailbox, host string) Address { return Address{name, adl, mailbox, host} }

var (
	groupEnd = Address{}
	group    = func(name string) Address { return Address{Mailbox: name} }
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Address
		// netMailFails marks inputs net/mail.ParseAddressList rejects
		// as a whole, which is why this package has its own parser.
		netMailFails bool
	}{
		{name: "empty", in: "", want: nil},
		{name: "addr-spec", in: "alice@example.com", want: []Address{addr("", "", "alice", "example.com")}},
		{name: "name-addr", in: "Alice Liddell <alice@example.com>", want: []Address{addr("Alice Liddell", "", "alice", "example.com")}},
		{
			name: "quoted name with comma and escapes",
			in:   `"Baker, Bob \"the builder\"" <bob@example.com>`,
			want: []Address{addr(`Baker, Bob "the builder"`, "", "bob", "example.com")},
		},
		{
			name: "encoded word kept as it is (RFC 9051 §7.5.2 addr-name)",
			in:   "=?UTF-8?B?67CV66+87KSA?= <minjun@example.net>",
			want: []Address{addr("=?UTF-8?B?67CV66+87KSA?=", "", "minjun", "example.net")},
		},
		{
			name: "obs-phrase with a dot",
			in:   "John Q. Public <jqp@example.com>",
			want: []Address{addr("John Q. Public", "", "jqp", "example.com")},
		},
		{
			name: "list, case of host kept",
			in:   "a@X.example, B <b@Y.example>",
			want: []Address{addr("", "", "a", "X.example"), addr("B", "", "b", "Y.example")},
		},
		{
			name: "quoted local part, quoting removed",
			in:   `"john doe"@example.com`,
			want: []Address{addr("", "", "john doe", "example.com")},
		},
		{
			name: "domain literal",
			in:   "user@[192.0.2.1]",
			want: []Address{addr("", "", "user", "[192.0.2.1]")},
		},
		{
			name: "empty group (undisclosed-recipients:;)",
			in:   "undisclosed-recipients:;",
			want: []Address{group("undisclosed-recipients"), groupEnd},
		},
		{
			name: "group with members, then a mailbox",
			in:   "Team: a@example.com, B <b@example.com>;, c@example.com",
			want: []Address{group("Team"), addr("", "", "a", "example.com"), addr("B", "", "b", "example.com"), groupEnd, addr("", "", "c", "example.com")},
		},
		{
			name: "quoted group name",
			in:   `"CS 340, winter": ;`,
			want: []Address{group("CS 340, winter"), groupEnd},
		},
		{
			name:         "group without its semicolon is closed at the end",
			in:           "Team: a@example.com",
			want:         []Address{group("Team"), addr("", "", "a", "example.com"), groupEnd},
			netMailFails: true,
		},
		{
			name:         "group without a name",
			in:           ": a@example.com;",
			want:         []Address{group(MissingMailbox), addr("", "", "a", "example.com"), groupEnd},
			netMailFails: true,
		},
		{
			name:         "a colon inside a group starts another",
			in:           "A: x@example.com, B: y@example.com;",
			want:         []Address{group("A"), addr("", "", "x", "example.com"), groupEnd, group("B"), addr("", "", "y", "example.com"), groupEnd},
			netMailFails: true,
		},
		{
			name:         "source route (obs-route) goes to the ADL",
			in:           "<@relay1.example,@relay2.example:eve@example.net>",
			want:         []Address{addr("", "@relay1.example,@relay2.example", "eve", "example.net")},
			netMailFails: true,
		},
		{
			name: "comment as the name (c-client style)",
			in:   "alice@example.com (Alice Liddell)",
			want: []Address{addr("Alice Liddell", "", "alice", "example.com")},
		},
		{
			name:         "comments elsewhere are dropped",
			in:           "Alice (the first) <alice(x)@example.com(y)>",
			want:         []Address{addr("Alice", "", "alice", "example.com")},
			netMailFails: true,
		},
		{
			name: "obs-addr-list empty elements",
			in:   ", a@example.com,,",
			want: []Address{addr("", "", "a", "example.com")},
		},
		{
			name:         "no angle brackets: the last word is the local part",
			in:           "Alice Liddell alice@example.com",
			want:         []Address{addr("Alice Liddell", "", "alice", "example.com")},
			netMailFails: true,
		},
		{
			name:         "no domain: MissingHost, so that it is no group marker",
			in:           "alice, Bob <bob>",
			want:         []Address{addr("", "", "alice", MissingHost), addr("Bob", "", "bob", MissingHost)},
			netMailFails: true,
		},
		{
			name:         "group name without the colon is a mailbox without a domain",
			in:           "undisclosed-recipients",
			want:         []Address{addr("", "", "undisclosed-recipients", MissingHost)},
			netMailFails: true,
		},
		{
			name:         "empty angle address",
			in:           "<>",
			want:         []Address{addr("", "", MissingMailbox, MissingHost)},
			netMailFails: true,
		},
		{
			name:         "empty local part",
			in:           "<@example.com>",
			want:         []Address{addr("", "", MissingMailbox, "example.com")},
			netMailFails: true,
		},
		{
			name:         "one bad element does not lose the others",
			in:           "good@example.com, bad@@example.com, also-good@example.org",
			want:         []Address{addr("", "", "good", "example.com"), addr("", "", "bad", MissingHost), addr("", "", "also-good", "example.org")},
			netMailFails: true,
		},
		{
			name:         "junk after the address is dropped",
			in:           "<a@example.com> trailing words, b@example.com extra",
			want:         []Address{addr("", "", "a", "example.com"), addr("", "", "b", "example.com")},
			netMailFails: true,
		},
		{
			name:         "unterminated angle address",
			in:           "Alice <alice@example.com",
			want:         []Address{addr("Alice", "", "alice", "example.com")},
			netMailFails: true,
		},
		{
			name:         "unterminated quoted name",
			in:           `"Alice <alice@example.com>`,
			want:         []Address{addr("", "", "Alice <alice@example.com>", MissingHost)},
			netMailFails: true,
		},
		{
			name: "8-bit name (RFC 6532)",
			in:   "José Müller <jose@example.com>",
			want: []Address{addr("José Müller", "", "jose", "example.com")},
		},
		{
			name:         "stray semicolon and angle bracket are ignored",
			in:           "a@example.com; > b@example.com",
			want:         []Address{addr("", "", "a", "example.com"), addr("", "", "b", "example.com")},
			netMailFails: true,
		},
		{
			name:         "stray closing parenthesis is text",
			in:           "a) b@example.com",
			want:         []Address{addr("a)", "", "b", "example.com")},
			netMailFails: true,
		},
		{
			// Only comments: there is nothing to report, and the field
			// is NIL in the envelope, as an empty one is.
			name:         "only a comment gives no address",
			in:           "(nobody)",
			want:         nil,
			netMailFails: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseAddressList(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseAddressList(%q) (-want +got):\n%s", tc.in, diff)
			}
			if tc.in == "" {
				return
			}
			_, err := mail.ParseAddressList(tc.in)
			if (err != nil) != tc.netMailFails {
				t.Errorf("net/mail.ParseAddressList(%q) error = %v; the netMailFails mark is stale", tc.in, err)
			}
		})
	}
}

func TestAddressString(t *testing.T) {
	tests := []struct {
		a    Address
		want string
	}{
		{addr("=?UTF-8?B?67CV66+87KSA?=", "", "minjun", "example.net"), "박민준 <minjun@example.net>"},
		{addr("", "", "a", "example.com"), "a@example.com"},
		{group("Team"), "Team:"},
		{groupEnd, ";"},
	}
	for _, tc := range tests {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.a, got, tc.want)
		}
	}
	if !group("x").IsGroupStart() || group("x").IsGroupEnd() || !groupEnd.IsGroupEnd() || groupEnd.IsGroupStart() {
		t.Error("group markers misclassified")
	}
	if a := addr("", "", "a", "b"); a.IsGroupStart() || a.IsGroupEnd() || a.Email() != "a@b" {
		t.Error("mailbox misclassified")
	}
	if groupEnd.Email() != "" {
		t.Error("group marker has an Email")
	}
}
