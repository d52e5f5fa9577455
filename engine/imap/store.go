package imap

import (
	"errors"
	"slices"
	"strings"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

func init() {
	register("STORE", inSelected, (*Session).store)
	register("UID STORE", inSelected, (*Session).store)
}

// storeRequest is a parsed STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3):
//
//	STORE sequence-set [SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"]
//	      SP ["+" / "-"] "FLAGS" [".SILENT"] SP (flag-list / flag *(SP flag))
type storeRequest struct {
	set         imapwire.SeqSet
	conditional bool   // UNCHANGEDSINCE given
	since       uint64 // its mod-sequence (0 is valid: RFC 7162 §3.1.3)
	op          mailstore.StoreOp
	silent      bool
	flags       []string
}

// store answers STORE and UID STORE (RFC 9051 §6.4.6 and §6.4.9), with
// CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3).
func (s *Session) store(c *cmd) error {
	req := parseStore(c.dec)
	if c.dec.Err() != nil {
		return nil // BAD with the decoder's message
	}
	// STORE by sequence number may not be followed by EXPUNGE (RFC 9051
	// §7.5.1); UID STORE may.
	c.noExpunge = !c.uid
	// What other sessions did is reported first, so that the flags this
	// STORE reports, and the MODIFIED set, are about the current state.
	s.flushUpdates(c.out, c.uid)

	sel := s.sel
	if sel.readOnly {
		return no("READ-ONLY", "Mailbox is read-only (EXAMINE): flags cannot be changed")
	}
	flags, err := checkStoreFlags(req.flags)
	if err != nil {
		return err
	}
	if req.conditional && sel.noModSeq {
		return bad("UNCHANGEDSINCE: the mailbox has no mod-sequences (NOMODSEQ)")
	}
	spans, n, err := s.viewSpans(req.set, c.uid)
	if err != nil {
		return err
	}
	if n > MaxFetchMessages {
		return no("LIMIT", "STORE names %d messages; the limit is %d", n, MaxFetchMessages)
	}

	if req.conditional {
		s.enableCondStore(c.out)
	}
	uids := make([]uint32, 0, n)
	for _, sp := range spans {
		uids = append(uids, sel.uids[sp.lo:sp.hi]...)
	}
	if len(uids) == 0 {
		return nil
	}
	since := mailstore.Unconditional
	if req.conditional {
		since = req.since
	}
	results, failed, err := s.cfg.Store.StoreFlags(s.user, sel.name, uids, req.op, flags, since)
	switch {
	case errors.Is(err, mailstore.ErrTooManyKeywords):
		return no("LIMIT", "The mailbox has as many keywords as it can hold (%d)", mailstore.MaxKeywords)
	case errors.Is(err, mailstore.ErrBadFlag):
		return no("CANNOT", "%s", strings.TrimPrefix(err.Error(), mailstore.ErrBadFlag.Error()+": "))
	}
	// A keyword new to the mailbox is announced with FLAGS before the
	// FETCH responses that show it (RFC 3501 §7.2.6).
	if req.op != mailstore.StoreRemove && s.newKeyword(flags) {
		if kws, kerr := s.cfg.Store.Keywords(s.user, sel.name); kerr == nil && sel.setKeywords(kws) {
			s.writeFlagsResponses(c.out)
		}
	}
	s.reportStored(c, req, results)
	s.reportModified(c, failed)
	if err != nil {
		return storeError(err)
	}

	// Messages of the view that the store no longer has were expunged by
	// another session: RFC 2180 §4.2.1 (and RFC 7162 §3.1.3 example 11).
	gone := len(uids) - len(results) - len(failed)
	switch {
	case len(failed) > 0 && gone > 0 && !c.uid:
		return no(c.okCode, "Some of the messages no longer exist")
	case len(failed) > 0:
		c.okText = "Conditional STORE failed"
	case gone > 0 && !c.uid:
		return no("EXPUNGEISSUED", "Some of the messages no longer exist")
	}
	return nil
}

func parseStore(d *imapwire.Decoder) storeRequest {
	var req storeRequest
	d.ExpectSP()
	req.set = d.SequenceSet()
	d.ExpectSP()
	if d.Peek() == '(' {
		for range d.List() {
			switch kw := d.Keyword(); kw {
			case "UNCHANGEDSINCE":
				if req.conditional {
					d.Errorf("UNCHANGEDSINCE given twice (RFC 7162 §7)")
					break
				}
				d.ExpectSP()
				req.since = d.Number64()
				req.conditional = true
			default:
				if d.Err() == nil {
					d.Errorf("unknown STORE modifier %s (this server knows UNCHANGEDSINCE)", sanitize(kw))
				}
			}
		}
		d.ExpectSP()
	}
	item := d.Keyword()
	if d.Err() != nil {
		return req
	}
	name, silent := strings.CutSuffix(item, ".SILENT")
	req.silent = silent
	switch name {
	case "FLAGS":
		req.op = mailstore.StoreReplace
	case "+FLAGS":
		req.op = mailstore.StoreAdd
	case "-FLAGS":
		req.op = mailstore.StoreRemove
	default:
		d.Errorf("unknown STORE item %s (expected FLAGS, +FLAGS or -FLAGS, each optionally .SILENT)", sanitize(item))
		return req
	}
	d.ExpectSP()
	if d.Peek() == '(' {
		req.flags = d.FlagList()
	} else {
		// RFC 9051 §9 store-att-flags: the list may come without
		// parentheses.
		req.flags = append(req.flags, d.Flag())
		for d.SP() {
			req.flags = append(req.flags, d.Flag())
		}
	}
	d.ExpectEOL()
	return req
}

// checkStoreFlags turns the flags of a STORE into the store's, refusing
// those it cannot keep: \Recent, which the server alone sets (RFC 3501
// §2.3.2), unknown system flags, and overlong keywords.
func checkStoreFlags(names []string) ([]mailstore.Flag, error) {
	flags := make([]mailstore.Flag, 0, len(names))
	for _, n := range names {
		f, err := mailstore.ParseFlag(n)
		switch {
		case err == nil:
			flags = append(flags, f)
		case strings.EqualFold(n, string(mailstore.FlagRecent)):
			return nil, no("CANNOT", `\Recent cannot be stored: the server sets it (RFC 3501 §2.3.2)`)
		case strings.HasPrefix(n, `\`):
			return nil, no("CANNOT", "%s is not a flag this server can store", sanitize(n))
		default:
			return nil, no("LIMIT", "Keyword %s is longer than %d octets", sanitize(n), mailstore.MaxKeywordLength)
		}
	}
	return flags, nil
}

// newKeyword reports whether flags hold a keyword the client has not seen
// in FLAGS yet.
func (s *Session) newKeyword(flags []mailstore.Flag) bool {
	for _, f := range flags {
		if mailstore.IsKeyword(f) && !slices.ContainsFunc(s.sel.keywords, func(k string) bool { return strings.EqualFold(k, string(f)) }) {
			return true
		}
	}
	return false
}

// reportStored sends the FETCH responses of a STORE: FLAGS unless .SILENT,
// UID for UID STORE, and once CONDSTORE is on UID and MODSEQ always, even
// with .SILENT (RFC 7162 §3.1.3 and §3.2.4). A .SILENT STORE still shows
// the flags of a message that another session changed too, so that the
// client does not go on with a guess (RFC 9051 §6.4.6).
func (s *Session) reportStored(c *cmd, req storeRequest, results []mailstore.MessageFlags) {
	sel := s.sel
	for _, r := range results {
		seq := sel.seqOf(r.UID)
		if seq == 0 {
			continue
		}
		before := sel.reported(r.UID)
		sel.learn(r)
		m := sel.msg(r.UID)
		if m == nil {
			continue
		}
		now := s.viewFlags(m)
		sel.flags[r.UID] = now
		sel.highestModSeq = max(sel.highestModSeq, r.ModSeq)
		showFlags := !req.silent || !sameFlags(expectedFlags(req.op, before, req.flags), now)
		showModSeq := s.condstore && (!req.silent || r.Changed || req.conditional || showFlags)
		if !showFlags && !showModSeq {
			continue
		}
		s.writeFlagFetch(c.out, seq, m, now, c.uid || s.condstore, showFlags, showModSeq)
	}
}

// reportModified puts the messages that failed UNCHANGEDSINCE in the
// MODIFIED response code (RFC 7162 §3.1.3): sequence numbers for STORE,
// UIDs for UID STORE. RFC 7162 recommends telling the client their current
// state too (example 10): the changes the session had not reported yet
// went out just before (store flushes first), and one made meanwhile goes
// out with the updates at the end of the response.
func (s *Session) reportModified(c *cmd, failed []uint32) {
	sel := s.sel
	var set imapwire.SeqSet
	for _, uid := range failed {
		seq := sel.seqOf(uid)
		switch {
		case seq == 0:
		case c.uid:
			set.AddNum(uid)
		default:
			set.AddNum(seq)
		}
	}
	if !set.IsEmpty() {
		c.okCode = "MODIFIED " + set.String()
	}
}

// expectedFlags is what a client that sent STORE op names believes the
// message's flags are, given what it was told before (\Recent aside).
func expectedFlags(op mailstore.StoreOp, before, names []string) []string {
	var out []string
	has := func(list []string, f string) bool {
		return slices.ContainsFunc(list, func(g string) bool { return strings.EqualFold(f, g) })
	}
	switch op {
	case mailstore.StoreReplace:
		out = append(out, names...)
	case mailstore.StoreAdd:
		out = append(out, before...)
		for _, f := range names {
			if !has(out, f) {
				out = append(out, f)
			}
		}
	case mailstore.StoreRemove:
		for _, f := range before {
			if !has(names, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// sameFlags compares two flag lists as sets, case-insensitively, leaving
// \Recent out.
func sameFlags(a, b []string) bool {
	count := func(list []string) int {
		n := 0
		for i, f := range list {
			if f == string(mailstore.FlagRecent) {
				continue
			}
			dup := slices.ContainsFunc(list[:i], func(g string) bool { return strings.EqualFold(f, g) })
			if !dup {
				n++
			}
		}
		return n
	}
	if count(a) != count(b) {
		return false
	}
	for _, f := range a {
		if f != string(mailstore.FlagRecent) && !slices.ContainsFunc(b, func(g string) bool { return strings.EqualFold(f, g) }) {
			return false
		}
	}
	return true
}

// viewFlags returns a message's flags as this session shows them: the
// stored ones, then \Recent under IMAP4rev1 (RFC 9051 dropped it).
func (s *Session) viewFlags(m *mailstore.Message) []string {
	out := flagStrings(m.Flags)
	if !s.rev2 && s.sel.recent.has(m.UID) {
		out = append(out, string(mailstore.FlagRecent))
	}
	return out
}

// learn records a message's flags and mod-sequence from the store (a
// STORE's result or the change feed), unless the session knows a newer
// state. It reports whether it changed anything.
func (sel *selection) learn(mf mailstore.MessageFlags) bool {
	m := sel.msg(mf.UID)
	switch {
	case m == nil:
		return false
	case mf.ModSeq != 0 && mf.ModSeq <= m.ModSeq:
		return false // the session knows this state or a newer one
	case mf.ModSeq == 0 && slices.Equal(m.Flags, mf.Flags):
		return false // a store without mod-sequences: compare flags
	}
	sel.pin(mf.UID) // what the client was told stays as it was
	m = sel.writable(mf.UID)
	m.Flags = mf.Flags
	m.ModSeq = mf.ModSeq
	return true
}

// setKeywords records the mailbox's keywords and reports whether they
// differ from those the client was told about.
func (sel *selection) setKeywords(kws []mailstore.Flag) bool {
	sel.canCreateKeywords = len(kws) < mailstore.MaxKeywords
	if len(kws) == len(sel.keywords) {
		same := true
		for i, k := range kws {
			if string(k) != sel.keywords[i] {
				same = false
				break
			}
		}
		if same {
			return false
		}
	}
	sel.keywords = flagStrings(kws)
	return true
}

// writeFlagsResponses sends FLAGS and OK [PERMANENTFLAGS] with the
// mailbox's keywords (RFC 9051 §7.3.5, §7.1): at SELECT, and again when a
// keyword is defined, so that a client knows a keyword before a FETCH
// shows it.
func (s *Session) writeFlagsResponses(e *imapwire.Encoder) {
	sel := s.sel
	e.Untagged().Atom("FLAGS").SP().BeginList()
	for i, f := range systemFlags {
		if i > 0 {
			e.SP()
		}
		e.Flag(f)
	}
	for _, k := range sel.keywords {
		e.SP().Flag(k)
	}
	e.EndList().CRLF()
	e.Untagged().Atom("OK").SP().Code("PERMANENTFLAGS").SP().BeginList()
	if sel.readOnly {
		e.EndList().CodeEnd().Text("Read-only mailbox").CRLF()
		return
	}
	for i, f := range systemFlags {
		if i > 0 {
			e.SP()
		}
		e.Flag(f)
	}
	for _, k := range sel.keywords {
		e.SP().Flag(k)
	}
	if sel.canCreateKeywords {
		e.SP().Flag(`\*`)
	}
	e.EndList().CodeEnd().Text("Flags permitted").CRLF()
}

// writeFlagFetch writes "* seq FETCH (UID u FLAGS (...) MODSEQ (m))" with
// the parts asked for.
func (s *Session) writeFlagFetch(e *imapwire.Encoder, seq uint32, m *mailstore.Message, flags []string, uid, withFlags, modseq bool) {
	e.Untagged().Number(seq).SP().Atom("FETCH").SP().BeginList()
	sep := false
	if uid {
		e.Atom("UID").SP().Number(m.UID)
		sep = true
	}
	if withFlags {
		if sep {
			e.SP()
		}
		e.Atom("FLAGS").SP().FlagList(flags)
		sep = true
	}
	if modseq {
		if sep {
			e.SP()
		}
		e.Atom("MODSEQ").SP().BeginList().Number64(m.ModSeq).EndList()
	}
	e.EndList().CRLF()
}
