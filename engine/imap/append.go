package imap

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wirelab/wirelab/engine/mailstore"
)

func init() {
	register("APPEND", authed, (*Session).appendCmd)
}

// appendCmd answers APPEND (RFC 9051 §6.3.12): mailbox [SP flag-list]
// [SP date-time] SP literal. The literal comes synchronizing (the Reader
// asked literalRequest first, which refuses one over the store's limit
// with NO [TOOBIG] before the client sends it, RFC 7888 §4) or as LITERAL+
// (RFC 7888). The message keeps the given flags and internal date, the
// tagged OK carries [APPENDUID validity uid] (RFC 4315 §3), and a missing
// mailbox gets NO [TRYCREATE]. Other sessions on the mailbox see it as
// EXISTS; so does this one at the end of the command if the mailbox is
// the selected one.
func (s *Session) appendCmd(c *cmd) error {
	d := c.dec
	d.ExpectSP()
	name := d.Mailbox()
	d.ExpectSP()
	var flags []string
	if d.Peek() == '(' {
		flags = d.FlagList()
		d.ExpectSP()
	}
	var date time.Time
	if d.Peek() == '"' {
		date = d.DateTime()
		d.ExpectSP()
	}
	raw, binary := d.Literal8()
	if !d.ExpectEOL() {
		return nil
	}
	// literal = "{" number64 ["+"] "}" CRLF *CHAR8, and CHAR8 excludes
	// NUL: only a literal8 (RFC 3516) may carry one.
	if !binary && bytes.IndexByte(raw, 0) >= 0 {
		return bad("The message contains NUL, which a literal may not carry (use literal8, ~{n})")
	}
	storeFlags := make([]mailstore.Flag, 0, len(flags))
	for _, f := range flags {
		if f == string(mailstore.FlagRecent) {
			continue // a session flag the client cannot set (RFC 3501 §2.3.2)
		}
		sf, err := mailstore.ParseFlag(f)
		if err != nil {
			return no("", "Invalid flag %s", sanitize(f))
		}
		storeFlags = append(storeFlags, sf)
	}
	if date.IsZero() {
		date = c.now // "the current date and time by default"
	}

	// UIDValidity, not Status: Status counts every message, which made a
	// long import quadratic.
	validity, err := s.cfg.Store.UIDValidity(s.user, name)
	if err != nil {
		return copyError(err)
	}
	// Client: the client wrote the message, so it is filed in cur/, not
	// new/ (mailstore.NewMessage.Client); \Recent is the store's by UID.
	uids, err := s.cfg.Store.DeliverBatch(s.user, name, []mailstore.NewMessage{{Raw: raw, Flags: storeFlags, InternalDate: date, Client: true}})
	if err != nil {
		if errors.Is(err, mailstore.ErrTooBig) {
			return no("TOOBIG", "Message of %d octets exceeds the limit of %d", len(raw), mailstore.MaxMessageSize)
		}
		return copyError(err)
	}
	c.okCode = fmt.Sprintf("APPENDUID %d %d", validity, uids[0])
	s.viewOwnAppend(name, uids)
	return nil
}

// viewOwnAppend makes sure the view of the selected mailbox learns of
// messages this session has just added to it (APPEND, COPY, MOVE), so that
// the command's own response reports them with EXISTS (RFC 9051 §6.3.12:
// "the server SHOULD notify the client immediately").
//
// Normally the store's change feed has queued the Appended change before
// the store call returns. When another goroutine is delivering earlier
// changes of the mailbox at that moment, the change comes a little later;
// then the session queues, in its place, every message the store has above
// the view. That is safe: the late change only names messages the view
// then has, which flushUpdates skips, and s.mu, held while the store is
// listed, orders the queued entry with the changes that follow.
func (s *Session) viewOwnAppend(name string, uids []uint32) {
	sel := s.sel
	if sel == nil || s.state != Selected || name != sel.name || len(uids) == 0 {
		return
	}
	want := uids[len(uids)-1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if sel.seqOf(want) != 0 {
		return
	}
	for _, ch := range sel.pending {
		if ch.Kind == mailstore.Appended && slices.Contains(ch.UIDs, want) {
			return
		}
	}
	msgs, _, err := s.cfg.Store.List(s.user, sel.name)
	if err != nil {
		return // the feed will bring the change
	}
	var last uint32
	if n := len(sel.uids); n > 0 {
		last = sel.uids[n-1]
	}
	var above []uint32
	for _, m := range msgs {
		if m.UID > last {
			above = append(above, m.UID)
		}
	}
	if len(above) > 0 {
		sel.pending = append(sel.pending, mailstore.Change{User: s.user, Mailbox: sel.name, Kind: mailstore.Appended, UIDs: above})
	}
}
