package auth

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxNameLen bounds user names. They become directory names in the mail
// store and appear in protocol lines, so they are kept short.
const maxNameLen = 64

// dummyPassword stands in for an unknown user until a user is added.
var dummyPassword = Password{scheme: SchemePlain, plain: "wirelab-no-such-user"}

// Users is a database of user names and passwords. It is safe for concurrent
// use.
type Users struct {
	mu     sync.RWMutex
	byName map[string]Password
	// dummy is the slowest password added so far. Unknown names are verified
	// against it, so a failed login takes as long whether or not the name
	// exists.
	dummy Password
}

// NewUsers returns an empty database.
func NewUsers() *Users {
	return &Users{byName: make(map[string]Password), dummy: dummyPassword}
}

// ValidateName reports whether name can be a user name: 1 to 64 bytes of
// UTF-8 without control characters, '/' or ':', and not "." or "..". The rules
// keep a name safe as a path element and as a passwd-file field.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("auth: empty user name")
	case len(name) > maxNameLen:
		return fmt.Errorf("auth: user name is %d bytes, longer than %d", len(name), maxNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("auth: user name %q is not allowed", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("auth: user name %q is not UTF-8", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("auth: user name %q contains a control character", name)
		}
		if r == '/' || r == ':' {
			return fmt.Errorf("auth: user name %q contains %q", name, r)
		}
	}
	return nil
}

// Add adds a user. The name must pass ValidateName and be new.
func (u *Users) Add(name string, p Password) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if p.scheme == "" {
		return fmt.Errorf("auth: user %q has no password", name)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.byName[name]; ok {
		return fmt.Errorf("auth: duplicate user %q", name)
	}
	u.byName[name] = p
	if p.work() > u.dummy.work() {
		u.dummy = p
	}
	return nil
}

// Lookup returns the password of name.
func (u *Users) Lookup(name string) (Password, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	p, ok := u.byName[name]
	return p, ok
}

// Names returns the user names in sorted order.
func (u *Users) Names() []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	names := make([]string, 0, len(u.byName))
	for name := range u.byName {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Len returns the number of users.
func (u *Users) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.byName)
}

// lookup returns name's password, or the dummy and false for an unknown name.
func (u *Users) lookup(name string) (Password, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if p, ok := u.byName[name]; ok {
		return p, true
	}
	return u.dummy, false
}

// Authenticate checks a user name and cleartext password (POP3 USER/PASS,
// IMAP LOGIN, SASL PLAIN). It returns ErrBadCredentials for an unknown user
// and for a wrong password, after comparable work in both cases.
func (u *Users) Authenticate(name, pass string) error {
	p, known := u.lookup(name)
	if !p.Verify(pass) || !known {
		return ErrBadCredentials
	}
	return nil
}

// APOPDigest returns the APOP digest of RFC 1939 §7: the MD5 of the server's
// timestamp banner (angle brackets included) followed by the shared secret,
// as 32 lowercase hex digits.
func APOPDigest(timestamp, secret string) string {
	sum := md5.Sum([]byte(timestamp + secret))
	return hex.EncodeToString(sum[:])
}

// AuthenticateAPOP checks an APOP command's digest against the timestamp the
// server sent in its greeting. Only users with a PLAIN password can use APOP;
// for others, as for unknown users and wrong digests, it returns
// ErrBadCredentials.
func (u *Users) AuthenticateAPOP(name, timestamp, digest string) error {
	p, known := u.lookup(name)
	secret, plain := p.Plain()
	if !plain {
		// Keep the work the same as for a real comparison.
		secret = dummyPassword.plain
	}
	want := APOPDigest(timestamp, secret)
	// RFC 1939 asks clients for lowercase hex; uppercase is the same digest.
	ok := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(digest))) == 1
	if !ok || !known || !plain {
		return ErrBadCredentials
	}
	return nil
}
