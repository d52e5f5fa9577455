// Package auth holds the users of a world and checks their credentials for
// POP3, IMAP and SMTP.
//
// Passwords are written as in a Dovecot passwd-file: "{SCHEME}data", where a
// string without a scheme is PLAIN. The challenge-response and SASL helpers
// follow RFC 1939 §7 (APOP) and RFC 4616 (SASL PLAIN, first defined in
// RFC 2595 §6). Nothing here draws randomness: hashes with salts are read, not
// made, so the package stays deterministic for replays.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Errors callers test with errors.Is.
var (
	// ErrBadCredentials is returned for an unknown user and for a wrong
	// password alike, so that a client cannot probe which names exist.
	ErrBadCredentials = errors.New("auth: bad credentials")
	// ErrMalformed marks input that does not follow the expected syntax.
	ErrMalformed = errors.New("auth: malformed input")
)

// Password schemes, as Dovecot names them.
const (
	SchemePlain    = "PLAIN"
	SchemeSHA256   = "SHA256"
	SchemeSSHA256  = "SSHA256"
	SchemeBLFCrypt = "BLF-CRYPT"
)

// Password is a stored credential. The zero Password matches nothing.
type Password struct {
	scheme string
	plain  string // SchemePlain only
	digest []byte // SHA256/SSHA256 digest, or the bcrypt hash string
	salt   []byte // SSHA256 only
}

// ParsePassword parses a Dovecot passwd-file password field: "{PLAIN}secret",
// a bare "secret" (PLAIN), "{SHA256}base64", "{SSHA256}base64" (digest then
// salt, as Dovecot stores it) or "{BLF-CRYPT}$2y$...". Scheme names are
// case-insensitive; "CLEAR" and "CLEARTEXT" are accepted as PLAIN, and the
// ".HEX"/".B64" suffixes choose the digest encoding as in Dovecot.
func ParsePassword(s string) (Password, error) {
	if s == "" {
		return Password{}, fmt.Errorf("%w: empty password", ErrMalformed)
	}
	if !strings.HasPrefix(s, "{") {
		return Password{scheme: SchemePlain, plain: s}, nil
	}
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return Password{}, fmt.Errorf("%w: password scheme %q lacks '}' (write {PLAIN} before a password starting with '{')", ErrMalformed, s[:min(len(s), 20)])
	}
	name, data := s[:end+1], s[end+1:]
	scheme, encoding, _ := strings.Cut(strings.ToUpper(s[1:end]), ".")
	if data == "" {
		return Password{}, fmt.Errorf("%w: password %s is empty", ErrMalformed, name)
	}
	switch scheme {
	case SchemePlain, "CLEAR", "CLEARTEXT":
		if encoding != "" {
			break
		}
		return Password{scheme: SchemePlain, plain: data}, nil
	case SchemeSHA256, SchemeSSHA256:
		raw, err := decodeDigest(data, encoding, scheme == SchemeSHA256)
		if err != nil {
			return Password{}, fmt.Errorf("%w: password %s: %v", ErrMalformed, name, err)
		}
		if scheme == SchemeSHA256 {
			if len(raw) != sha256.Size {
				return Password{}, fmt.Errorf("%w: password %s: digest is %d bytes, want %d", ErrMalformed, name, len(raw), sha256.Size)
			}
			return Password{scheme: scheme, digest: raw}, nil
		}
		if len(raw) <= sha256.Size {
			return Password{}, fmt.Errorf("%w: password %s: %d bytes leave no salt after the %d-byte digest", ErrMalformed, name, len(raw), sha256.Size)
		}
		return Password{scheme: scheme, digest: raw[:sha256.Size], salt: raw[sha256.Size:]}, nil
	case SchemeBLFCrypt:
		if encoding != "" {
			break
		}
		// Cost parses the whole modular-crypt string, so a bad hash fails here
		// at load time rather than at the first login.
		if _, err := bcrypt.Cost([]byte(data)); err != nil || !strings.HasPrefix(data, "$2") {
			return Password{}, fmt.Errorf("%w: password %s: not a bcrypt hash", ErrMalformed, name)
		}
		return Password{scheme: scheme, digest: []byte(data)}, nil
	}
	return Password{}, fmt.Errorf("auth: unknown password scheme %q", name)
}

// decodeDigest decodes base64 by default. Dovecot also takes hex for an
// unsalted digest of exactly hex length, which is how many old files hold them.
func decodeDigest(data, encoding string, fixedSize bool) ([]byte, error) {
	switch encoding {
	case "HEX":
		return hex.DecodeString(data)
	case "B64", "BASE64":
		return base64.StdEncoding.DecodeString(data)
	case "":
		if fixedSize && len(data) == 2*sha256.Size {
			if raw, err := hex.DecodeString(data); err == nil {
				return raw, nil
			}
		}
		return base64.StdEncoding.DecodeString(data)
	}
	return nil, fmt.Errorf("unknown encoding %q", encoding)
}

// Scheme returns the canonical scheme name ("PLAIN", "SHA256", ...), or ""
// for the zero Password.
func (p Password) Scheme() string { return p.scheme }

// Verify reports whether plain is the password. Comparisons take the same
// time wherever the inputs differ.
func (p Password) Verify(plain string) bool {
	switch p.scheme {
	case SchemePlain:
		// Hashing both sides first hides the stored length too.
		a, b := sha256.Sum256([]byte(plain)), sha256.Sum256([]byte(p.plain))
		return subtle.ConstantTimeCompare(a[:], b[:]) == 1
	case SchemeSHA256:
		sum := sha256.Sum256([]byte(plain))
		return subtle.ConstantTimeCompare(sum[:], p.digest) == 1
	case SchemeSSHA256:
		h := sha256.New()
		h.Write([]byte(plain))
		h.Write(p.salt)
		return subtle.ConstantTimeCompare(h.Sum(nil), p.digest) == 1
	case SchemeBLFCrypt:
		return bcrypt.CompareHashAndPassword(p.digest, []byte(plain)) == nil
	}
	return false
}

// Plain returns the cleartext of a PLAIN password. Challenge-response
// mechanisms (APOP, CRAM-MD5) need it; hashed passwords cannot take part.
func (p Password) Plain() (string, bool) {
	if p.scheme != SchemePlain {
		return "", false
	}
	return p.plain, true
}

// String names the scheme and hides the secret, so a Password printed into a
// log or trace gives nothing away: "{PLAIN}***".
func (p Password) String() string {
	if p.scheme == "" {
		return "{}"
	}
	return "{" + p.scheme + "}***"
}

// PasswdField returns the credential as a Dovecot passwd-file password field
// ("{PLAIN}secret", "{SSHA256}base64", ...), which ParsePassword reads back.
// It gives the secret away, unlike String: it is for writing a users file for
// another server, never for a log.
func (p Password) PasswdField() string {
	switch p.scheme {
	case "":
		return ""
	case SchemePlain:
		return "{PLAIN}" + p.plain
	case SchemeBLFCrypt:
		return "{BLF-CRYPT}" + string(p.digest)
	}
	return "{" + p.scheme + "}" + base64.StdEncoding.EncodeToString(append(slices.Clip(p.digest), p.salt...))
}

// Equal reports whether p and q are the same stored credential. It exists so
// that go-cmp can compare values holding Passwords.
func (p Password) Equal(q Password) bool {
	return p.scheme == q.scheme &&
		subtle.ConstantTimeCompare([]byte(p.plain), []byte(q.plain)) == 1 &&
		subtle.ConstantTimeCompare(p.digest, q.digest) == 1 &&
		subtle.ConstantTimeCompare(p.salt, q.salt) == 1
}

// work ranks how long Verify takes, so that an unknown user can be checked
// against the slowest password in the database.
func (p Password) work() int {
	switch p.scheme {
	case SchemeBLFCrypt:
		cost, _ := bcrypt.Cost(p.digest)
		return 100 + cost
	case SchemeSSHA256:
		return 2
	case SchemeSHA256, SchemePlain:
		return 1
	}
	return 0
}
