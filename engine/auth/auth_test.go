package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

func sha256B64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func ssha256B64(s, salt string) string {
	sum := sha256.Sum256([]byte(s + salt))
	return base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

func bcryptHash(t *testing.T, s string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(s), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// Dovecot writes the $2y$ prefix; the hash is the same as $2a$.
	return "$2y$" + string(h[4:])
}

func TestPasswordSchemes(t *testing.T) {
	sum := sha256.Sum256([]byte("wonderland"))
	tests := []struct {
		name   string
		stored string
		scheme string
		plain  string // want Plain(); "" means not available
	}{
		{"bare", "wonderland", SchemePlain, "wonderland"},
		{"plain", "{PLAIN}wonderland", SchemePlain, "wonderland"},
		{"plain lowercase scheme", "{plain}wonderland", SchemePlain, "wonderland"},
		{"cleartext alias", "{CLEARTEXT}wonderland", SchemePlain, "wonderland"},
		{"plain keeps braces after scheme", "{PLAIN}{wonderland}", SchemePlain, "{wonderland}"},
		{"sha256", "{SHA256}" + sha256B64("wonderland"), SchemeSHA256, ""},
		{"sha256 hex", "{SHA256.HEX}" + hex.EncodeToString(sum[:]), SchemeSHA256, ""},
		{"sha256 bare hex", "{SHA256}" + hex.EncodeToString(sum[:]), SchemeSHA256, ""},
		{"ssha256", "{SSHA256}" + ssha256B64("wonderland", "saltsalt"), SchemeSSHA256, ""},
		{"ssha256 one byte salt", "{SSHA256}" + ssha256B64("wonderland", "s"), SchemeSSHA256, ""},
		{"blf-crypt", "{BLF-CRYPT}" + bcryptHash(t, "wonderland"), SchemeBLFCrypt, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePassword(tc.stored)
			if err != nil {
				t.Fatalf("ParsePassword(%q): %v", tc.stored, err)
			}
			if got := p.Scheme(); got != tc.scheme {
				t.Errorf("Scheme() = %q, want %q", got, tc.scheme)
			}
			want := tc.plain
			if want == "" {
				want = "wonderland"
			}
			if !p.Verify(want) {
				t.Errorf("Verify(%q) = false, want true", want)
			}
			for _, wrong := range []string{"", "Wonderland", want + "x", want[:len(want)-1]} {
				if p.Verify(wrong) {
					t.Errorf("Verify(%q) = true, want false", wrong)
				}
			}
			plain, ok := p.Plain()
			if diff := cmp.Diff(tc.plain, plain); diff != "" || ok != (tc.plain != "") {
				t.Errorf("Plain() = %q, %v; want %q", plain, ok, tc.plain)
			}
			if s := p.String(); s != "{"+tc.scheme+"}***" || strings.Contains(s, "wonderland") {
				t.Errorf("String() = %q, want {%s}*** with no secret", s, tc.scheme)
			}
			if s := fmt.Sprintf("%v %+v", p, p); strings.Contains(s, "wonderland") {
				t.Errorf("formatting reveals the secret: %s", s)
			}
			again, err := ParsePassword(tc.stored)
			if err != nil || !p.Equal(again) {
				t.Errorf("parsing twice gives unequal passwords")
			}
			// The passwd-file field written for another server reads back
			// as the same credential.
			field := p.PasswdField()
			back, err := ParsePassword(field)
			if err != nil || !p.Equal(back) {
				t.Errorf("PasswdField() = %q does not parse back to the same password (err %v)", field, err)
			}
			if !strings.HasPrefix(field, "{"+tc.scheme+"}") {
				t.Errorf("PasswdField() = %q, want the %s scheme", field, tc.scheme)
			}
		})
	}
}

func TestParsePasswordErrors(t *testing.T) {
	tests := []struct {
		name, stored, want string
		malformed          bool
	}{
		{"empty", "", "empty password", true},
		{"unknown scheme", "{MD9}abc", `auth: unknown password scheme "{MD9}"`, false},
		{"unknown encoding on plain", "{PLAIN.HEX}abc", `unknown password scheme "{PLAIN.HEX}"`, false},
		{"unterminated scheme", "{SHA256abc", "lacks '}'", true},
		{"empty after scheme", "{PLAIN}", "{PLAIN} is empty", true},
		{"sha256 not base64", "{SHA256}!!!!", "{SHA256}", true},
		{"sha256 wrong length", "{SHA256}" + base64.StdEncoding.EncodeToString([]byte("short")), "digest is 5 bytes, want 32", true},
		{"ssha256 no salt", "{SSHA256}" + sha256B64("x"), "leave no salt", true},
		{"ssha256 unknown encoding", "{SSHA256.ROT13}abc", `unknown encoding "ROT13"`, true},
		{"bcrypt garbage", "{BLF-CRYPT}$2y$05$tooshort", "not a bcrypt hash", true},
		{"bcrypt wrong family", "{BLF-CRYPT}$1$abcdefgh$abcdefghijklmnopqrstuv", "not a bcrypt hash", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePassword(tc.stored)
			if err == nil {
				t.Fatalf("ParsePassword(%q) = %v, want error", tc.stored, p)
			}
			if !strings.HasPrefix(err.Error(), "auth: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if got := errors.Is(err, ErrMalformed); got != tc.malformed {
				t.Errorf("errors.Is(err, ErrMalformed) = %v, want %v", got, tc.malformed)
			}
		})
	}
}

func TestZeroPassword(t *testing.T) {
	var p Password
	if p.Verify("") || p.Verify("x") {
		t.Error("zero Password verified")
	}
	if _, ok := p.Plain(); ok {
		t.Error("zero Password has a plaintext")
	}
	if err := NewUsers().Add("alice", p); err == nil {
		t.Error("Add accepted the zero Password")
	}
}

func mustParse(t *testing.T, s string) Password {
	t.Helper()
	p, err := ParsePassword(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsersAdd(t *testing.T) {
	u := NewUsers()
	pw := mustParse(t, "secret")
	tests := []struct {
		name    string
		wantErr string
	}{
		{"alice", ""},
		{"bob.builder", ""},
		{"민준", ""},
		{strings.Repeat("x", maxNameLen), ""},
		{strings.Repeat("x", maxNameLen+1), "longer than 64"},
		{"", "empty user name"},
		{".", "not allowed"},
		{"..", "not allowed"},
		{"a/b", `contains '/'`},
		{"a:b", `contains ':'`},
		{"a\nb", "control character"},
		{"a\x00b", "control character"},
		{"a\x7fb", "control character"},
		{"a\u0085b", "control character"},
		{"\xff", "not UTF-8"},
		{"alice", `duplicate user "alice"`},
	}
	for _, tc := range tests {
		err := u.Add(tc.name, pw)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("Add(%q): %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "auth: ") {
			t.Errorf("Add(%q) = %v, want error containing %q", tc.name, err, tc.wantErr)
		}
	}
	want := []string{"alice", "bob.builder", strings.Repeat("x", maxNameLen), "민준"}
	if diff := cmp.Diff(want, u.Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
	if u.Len() != len(want) {
		t.Errorf("Len() = %d, want %d", u.Len(), len(want))
	}
	if p, ok := u.Lookup("alice"); !ok || !p.Equal(pw) {
		t.Errorf("Lookup(alice) = %v, %v", p, ok)
	}
	if _, ok := u.Lookup("carol"); ok {
		t.Error("Lookup(carol) found a user")
	}
}

func TestAuthenticate(t *testing.T) {
	u := NewUsers()
	for name, stored := range map[string]string{
		"alice": "{PLAIN}wonderland",
		"bob":   "builder",
		"carol": "{SHA256}" + sha256B64("office-hours"),
		"dave":  "{SSHA256}" + ssha256B64("pepper", "NaCl"),
		"erin":  "{BLF-CRYPT}" + bcryptHash(t, "blowfish"),
	} {
		if err := u.Add(name, mustParse(t, stored)); err != nil {
			t.Fatal(err)
		}
	}
	if u.dummy.Scheme() != SchemeBLFCrypt {
		t.Errorf("dummy scheme = %s, want the slowest (BLF-CRYPT)", u.dummy.Scheme())
	}
	tests := []struct {
		user, pass string
		ok         bool
	}{
		{"alice", "wonderland", true},
		{"bob", "builder", true},
		{"carol", "office-hours", true},
		{"dave", "pepper", true},
		{"erin", "blowfish", true},
		{"alice", "builder", false},
		{"Alice", "wonderland", false},
		{"carol", "", false},
		{"erin", "Blowfish", false},
		{"mallory", "wonderland", false},
		{"mallory", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		err := u.Authenticate(tc.user, tc.pass)
		if tc.ok && err != nil {
			t.Errorf("Authenticate(%q, %q) = %v, want nil", tc.user, tc.pass, err)
		}
		if !tc.ok && !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrBadCredentials", tc.user, tc.pass, err)
		}
	}
	// The dummy password of an empty database must not let anyone in.
	if err := NewUsers().Authenticate("x", dummyPassword.plain); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("empty database: Authenticate = %v", err)
	}
}

func TestAPOP(t *testing.T) {
	// RFC 1939 §7.
	const (
		timestamp = "<1896.697170952@dbc.mtview.ca.us>"
		digest    = "c4c9334bac560ecc979e58001b3e22fb"
	)
	if got := APOPDigest(timestamp, "tanstaaf"); got != digest {
		t.Errorf("APOPDigest = %s, want %s", got, digest)
	}
	u := NewUsers()
	for name, stored := range map[string]string{
		"mrose": "tanstaaf",
		"carol": "{SHA256}" + sha256B64("tanstaaf"),
	} {
		if err := u.Add(name, mustParse(t, stored)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, user, timestamp, digest string
		ok                            bool
	}{
		{"rfc example", "mrose", timestamp, digest, true},
		{"uppercase hex", "mrose", timestamp, strings.ToUpper(digest), true},
		{"other timestamp", "mrose", "<1897.697170952@dbc.mtview.ca.us>", digest, false},
		{"wrong digest", "mrose", timestamp, strings.Replace(digest, "c4", "c5", 1), false},
		{"short digest", "mrose", timestamp, digest[:31], false},
		{"unknown user", "mallory", timestamp, digest, false},
		{"hashed password cannot do APOP", "carol", timestamp, digest, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := u.AuthenticateAPOP(tc.user, tc.timestamp, tc.digest)
			if tc.ok && err != nil {
				t.Errorf("AuthenticateAPOP = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, ErrBadCredentials) {
				t.Errorf("AuthenticateAPOP = %v, want ErrBadCredentials", err)
			}
		})
	}
}

func TestDecodePlain(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	long := strings.Repeat("x", maxPlainField)
	tests := []struct {
		name                     string
		in                       string
		authzid, authcid, passwd string
		wantErr                  string
	}{
		// RFC 4616 §4 examples.
		{name: "rfc 4616 tim", in: b64("\x00tim\x00tanstaaftanstaaf"), authcid: "tim", passwd: "tanstaaftanstaaf"},
		{name: "rfc 4616 Ursel", in: b64("Ursel\x00Kurt\x00xipj3plmq"), authzid: "Ursel", authcid: "Kurt", passwd: "xipj3plmq"},
		{name: "rfc 2595 literal", in: "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", authcid: "tim", passwd: "tanstaaftanstaaf"},
		{name: "utf-8", in: b64("\x00민준\x00비밀번호"), authcid: "민준", passwd: "비밀번호"},
		{name: "max fields", in: b64(long + "\x00" + long + "\x00" + long), authzid: long, authcid: long, passwd: long},
		{name: "password with spaces", in: b64("\x00alice\x00down the rabbit hole"), authcid: "alice", passwd: "down the rabbit hole"},
		{name: "empty", in: "", wantErr: "0 NUL separators"},
		{name: "not base64", in: "not base64!", wantErr: "invalid base64"},
		{name: "unpadded", in: "AHRpbQB0YW5zdGFhZnRhbnN0YWFmAA", wantErr: "invalid base64"},
		{name: "one NUL", in: b64("tim\x00secret"), wantErr: "1 NUL separators, want 2"},
		{name: "three NULs", in: b64("\x00tim\x00sec\x00ret"), wantErr: "3 NUL separators"},
		{name: "empty authcid", in: b64("\x00\x00secret"), wantErr: "empty authcid"},
		{name: "empty passwd", in: b64("\x00tim\x00"), wantErr: "empty passwd"},
		{name: "long passwd", in: b64("\x00tim\x00" + long + "x"), wantErr: "passwd is 256 bytes, longer than 255"},
		{name: "long response", in: b64(strings.Repeat("x", 3*maxPlainField+10)), wantErr: "base64 bytes, longer than"},
		{name: "bad utf-8", in: b64("\x00tim\x00\xff"), wantErr: "passwd is not UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z, c, p, err := DecodePlain(tc.in)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("DecodePlain error = %v, want ErrMalformed containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{z, c, p}
			if diff := cmp.Diff([]string{tc.authzid, tc.authcid, tc.passwd}, got); diff != "" {
				t.Errorf("DecodePlain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsersConcurrent(t *testing.T) {
	u := NewUsers()
	done := make(chan bool)
	go func() {
		for i := range 50 {
			u.Add(fmt.Sprintf("user%d", i), mustParse(t, "pw"))
		}
		done <- true
	}()
	for range 50 {
		u.Authenticate("user1", "pw")
		u.Names()
	}
	<-done
	if err := u.Authenticate("user49", "pw"); err != nil {
		t.Error(err)
	}
}
