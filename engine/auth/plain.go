package auth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"unicode/utf8"
)

// Limits for SASL PLAIN. RFC 4616 §2 requires a server to accept up to 255
// octets in each of authzid, authcid and passwd; longer fields are refused so
// that a client cannot make the server decode arbitrarily large messages.
const (
	maxPlainField   = 255
	maxPlainMessage = 3*maxPlainField + 2 // three fields and two NULs
)

// DecodePlain decodes a base64 SASL PLAIN response (RFC 4616 §2):
// [authzid] NUL authcid NUL passwd. authzid may be empty, meaning "act as
// authcid"; authcid and passwd may not. Errors wrap ErrMalformed.
func DecodePlain(b64 string) (authzid, authcid, passwd string, err error) {
	if len(b64) > base64.StdEncoding.EncodedLen(maxPlainMessage) {
		return "", "", "", fmt.Errorf("%w: SASL PLAIN: response is %d base64 bytes, longer than %d", ErrMalformed, len(b64), base64.StdEncoding.EncodedLen(maxPlainMessage))
	}
	msg, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", "", "", fmt.Errorf("%w: SASL PLAIN: invalid base64: %v", ErrMalformed, err)
	}
	fields := bytes.Split(msg, []byte{0})
	if len(fields) != 3 {
		return "", "", "", fmt.Errorf("%w: SASL PLAIN: %d NUL separators, want 2", ErrMalformed, len(fields)-1)
	}
	for i, what := range []string{"authzid", "authcid", "passwd"} {
		f := fields[i]
		switch {
		case len(f) > maxPlainField:
			return "", "", "", fmt.Errorf("%w: SASL PLAIN: %s is %d bytes, longer than %d", ErrMalformed, what, len(f), maxPlainField)
		case len(f) == 0 && i > 0:
			return "", "", "", fmt.Errorf("%w: SASL PLAIN: empty %s", ErrMalformed, what)
		case !utf8.Valid(f):
			return "", "", "", fmt.Errorf("%w: SASL PLAIN: %s is not UTF-8", ErrMalformed, what)
		}
	}
	return string(fields[0]), string(fields[1]), string(fields[2]), nil
}
