package imap

import "github.com/wirelab/wirelab/engine/mailstore"

func init() {
	register("NAMESPACE", authed, (*Session).namespace)
	advertise("NAMESPACE")
}

// namespace answers NAMESPACE (RFC 2342 §5, RFC 9051 §6.3.10): one
// personal namespace with no prefix and "/" as the hierarchy delimiter, and
// neither other users' nor shared namespaces, as in RFC 9051's example 1:
// the untagged response is `NAMESPACE (("" "/")) NIL NIL`.
func (s *Session) namespace(c *cmd) error {
	if !c.dec.ExpectEOL() {
		return nil
	}
	c.out.Untagged().Atom("NAMESPACE").SP().
		BeginList().BeginList().Str("").SP().Str(mailstore.Separator).EndList().EndList().
		SP().NIL().SP().NIL().CRLF()
	return nil
}
