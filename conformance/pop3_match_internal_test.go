package conformance

import "testing"

// RFC 1939 §3: the text after a POP3 status indicator is optional, so a
// server's bare "+OK" (Dovecot answers USER and NOOP so) matches "+OK {*}".
func TestPOP3BareStatus(t *testing.T) {
	for _, tc := range []struct {
		protocol, want, got string
		match               bool
	}{
		{POP3, "+OK {*}", "+OK", true},
		{POP3, "-ERR {*}", "-ERR", true},
		{POP3, "+OK {*}", "+OK Logged in.", true},
		{POP3, "+OK {*}", "+OKAY", false},
		{POP3, "+OK {*}", "-ERR", false},
		{POP3, "+OK {word}", "+OK", false},
	} {
		got, err := matchLine(tc.protocol, tc.want, tc.got, map[string]string{})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.match {
			t.Errorf("%s: %q against %q: match %v, want %v", tc.protocol, tc.want, tc.got, got, tc.match)
		}
	}
}
