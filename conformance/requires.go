package conformance

import (
	"fmt"
	"strings"
)

// missingCapabilities says which of an IMAP transcript's required
// capabilities the server does not advertise before login, or "" when it
// advertises them all. It asks on a connection of its own, so the
// transcript's exchange is left as written.
func missingCapabilities(t *Transcript, target Target) string {
	if t.Protocol != IMAP || len(t.Requires) == 0 {
		return ""
	}
	conn, err := target.Dial(t)
	if err != nil {
		return "" // the transcript's own dial reports it
	}
	defer conn.Close()
	caps := map[string]bool{}
	if _, err := conn.ReadLine(); err != nil { // the greeting
		return ""
	}
	if err := conn.Send("cap0 CAPABILITY"); err != nil {
		return ""
	}
	for {
		line, err := conn.ReadLine()
		if err != nil {
			return ""
		}
		if rest, ok := strings.CutPrefix(line, "* CAPABILITY "); ok {
			for _, c := range strings.Fields(rest) {
				caps[strings.ToUpper(c)] = true
			}
		}
		if strings.HasPrefix(line, "cap0 ") {
			break
		}
	}
	conn.Send("cap1 LOGOUT")
	var missing []string
	for _, c := range t.Requires {
		if !caps[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("the server does not advertise %s (RFC 9051 §6.1.1)", strings.Join(missing, " "))
}

// AsDeviation reports r, a result of t against the named peer server, as
// the peer's known deviation when t records one: the failure is then
// expected (XFail) and says which RFC section the peer departs from; a
// pass means the peer no longer deviates, which is worth knowing (XPass).
func AsDeviation(r Result, t *Transcript, peer string) Result {
	why, ok := t.Deviations[strings.ToLower(peer)]
	if !ok || peer == "" {
		return r
	}
	switch r.Status {
	case Fail:
		r.Status = XFail
		r.Message = fmt.Sprintf("known %s deviation: %s (%s)", peer, why, r.Message)
	case Pass:
		r.Status = XPass
		r.Message = fmt.Sprintf("passed, but is marked as a %s deviation: %s", peer, why)
	}
	return r
}
