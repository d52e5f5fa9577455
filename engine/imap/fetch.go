package imap

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/message"
)

func init() {
	register("FETCH", inSelected, (*Session).fetch)
	register("UID FETCH", inSelected, (*Session).fetch)
}

// Limits of FETCH and STORE.
const (
	// MaxFetchMessages bounds the messages one FETCH or STORE may name.
	// A million FETCH responses are tens of megabytes even without
	// message data; a client that wants more asks in slices. Over the
	// limit the command fails with NO [LIMIT] (RFC 5530) before anything
	// is sent or changed.
	MaxFetchMessages = 1_000_000
	// parseCacheEntries and parseCacheBytes bound the messages a session
	// keeps parsed between FETCHes: clients fetch BODYSTRUCTURE, then the
	// parts they show, one command each, and the same message is not
	// read and parsed again each time.
	parseCacheEntries = 8
	parseCacheBytes   = 16 << 20
)

// fetchRequest is a parsed FETCH (RFC 9051 §6.4.5), with the fetch
// modifiers of RFC 4466 §2.4: CHANGEDSINCE and VANISHED (RFC 7162).
type fetchRequest struct {
	set          imapwire.SeqSet
	atts         []imapwire.FetchAtt
	changedSince uint64 // 0: not given (a mod-sequence-value is at least 1)
	vanished     bool
}

func parseFetch(d *imapwire.Decoder) fetchRequest {
	var req fetchRequest
	d.ExpectSP()
	req.set = d.SequenceSet()
	d.ExpectSP()
	req.atts = d.FetchAtts()
	if d.Peek() == ' ' && d.SP() {
		for range d.List() {
			switch kw := d.Keyword(); kw {
			case "CHANGEDSINCE":
				if req.changedSince != 0 {
					d.Errorf("CHANGEDSINCE given twice")
					break
				}
				d.ExpectSP()
				req.changedSince = d.ModSeq()
			case "VANISHED":
				if req.vanished {
					d.Errorf("VANISHED given twice")
				}
				req.vanished = true
			default:
				if d.Err() == nil {
					d.Errorf("unknown FETCH modifier %s (this server knows CHANGEDSINCE and VANISHED)", sanitize(kw))
				}
			}
		}
	}
	d.ExpectEOL()
	return req
}

// fetch answers FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9), with
// CONDSTORE's MODSEQ item and CHANGEDSINCE modifier (RFC 7162 §3.1.4) and
// QRESYNC's VANISHED modifier (RFC 7162 §3.2.6).
//
// FLAGS, UID, RFC822.SIZE, INTERNALDATE and MODSEQ come from the view's
// copy of the store's listing; only the items that need the message read
// and parse it (with CRLF line endings, message.ToCRLF), once per message
// however many items want it.
func (s *Session) fetch(c *cmd) error {
	req := parseFetch(c.dec)
	if c.dec.Err() != nil {
		return nil // BAD with the decoder's message
	}
	// A FETCH by sequence number may not be followed by EXPUNGE (RFC 9051
	// §7.5.1); UID FETCH may.
	c.noExpunge = !c.uid
	f, err := s.newFetcher(c, req)
	if err != nil {
		return err
	}
	// What other sessions did is reported first, so that FETCH returns
	// current data (an expunge only where allowed); but a flag change of a
	// message whose FLAGS this FETCH returns is left to the FETCH, so that
	// the client is not told twice.
	skipped, gone := s.flushFor(c.out, c.uid, f.showsFlagsOf(req))
	if len(skipped) > 0 {
		f.skipped = skipped
		defer func() {
			// Those not shown after all (the FETCH failed, or the message
			// is gone) are reported as usual.
			if len(f.skipped) > 0 {
				s.reportFlags(c.out, f.skipped)
			}
		}()
	}
	slices.Sort(gone)

	spans, n, err := s.viewSpans(req.set, c.uid)
	if err != nil {
		return err
	}
	if n > MaxFetchMessages {
		return no("LIMIT", "FETCH names %d messages; the limit is %d", n, MaxFetchMessages)
	}

	if !f.needContent && n > 0 {
		// Room for the responses at once, instead of growing by doubling.
		f.out = presize(c, n*fetchLineEstimate)
	}
	if f.modseq {
		s.enableCondStore(c.out)
	}
	if req.vanished {
		// What the flush above reported with VANISHED is not repeated.
		earlier, err := s.vanishedEarlier(req.set, req.changedSince, 0, gone)
		if err != nil {
			return err
		}
		// Before any FETCH response (RFC 7162 §3.2.6).
		if !earlier.IsEmpty() {
			c.out.Untagged().Atom("VANISHED").SP().Atom("(EARLIER)").SP().SeqSet(earlier).CRLF()
		}
	}
	if f.setsSeen && !s.sel.readOnly {
		if err := f.markSeen(spans); err != nil {
			return err
		}
	}
	for _, sp := range spans {
		for i := sp.lo; i < sp.hi; i++ {
			if err := f.message(i); err != nil {
				return err
			}
			if c.part != nil {
				if err := c.part(); err != nil {
					return err
				}
			}
		}
	}
	if f.expunged && !c.uid {
		// RFC 9051 §7.1 EXPUNGEISSUED; the others were sent. A UID FETCH
		// reports the expunge itself, after its FETCH responses.
		return no("EXPUNGEISSUED", "Some of the requested messages no longer exist")
	}
	return nil
}

// fetchLineEstimate is the size of a FETCH response without message data,
// as "* 12345 FETCH (UID 67890 FLAGS (\Seen) RFC822.SIZE 4321)\r\n", for
// sizing the response buffer; maxPresize bounds what it reserves.
const (
	fetchLineEstimate = 64
	maxPresize        = 64 << 20
)

// presize gives the command's response buffer room for size more octets
// (and the tagged response), and returns the (new) encoder.
func presize(c *cmd, size int) *imapwire.Encoder {
	size = min(size, maxPresize) + 256
	if cap(c.out.Bytes())-c.out.Len() >= size {
		return c.out
	}
	e := imapwire.NewEncoder(make([]byte, 0, c.out.Len()+size))
	e.UTF8 = c.out.UTF8
	e.Raw(c.out.Bytes())
	c.out = e
	return e
}

// fetchItem is a FETCH item with its section converted for the message
// package once per command.
type fetchItem struct {
	imapwire.FetchAtt
	sec  message.Section // BODY[...]
	path []int           // BINARY[...], BINARY.SIZE[...]
	// data: the item is message text, sent after the other items. The
	// order of items in a response is free (RFC 9051 §7.5.2), and
	// clients and scripts that look for RFC822.SIZE or FLAGS before the
	// first literal (Python's imaplib hands the part before it over as
	// the "header") are served that way; Dovecot orders them so too.
	data bool
}

// fetcher writes the FETCH responses of one command.
type fetcher struct {
	s     *Session
	out   *imapwire.Encoder
	items []fetchItem
	// uid: UID comes first in every response (UID FETCH, RFC 9051
	// §6.4.9). modseq: MODSEQ in every response (the MODSEQ item or
	// CHANGEDSINCE, RFC 7162 §3.1.4.1).
	uid, modseq  bool
	changedSince uint64
	// needContent: some item needs the message itself; setsSeen: some
	// item sets \Seen (BODY[...], BINARY[...], RFC822, RFC822.TEXT).
	needContent, setsSeen bool
	// hasFlags, hasModSeq: FLAGS, MODSEQ are among the items.
	hasFlags, hasModSeq bool
	// seen holds the messages whose \Seen this FETCH set.
	seen map[uint32]bool
	// skipped holds the messages whose flag change the FETCH is to show
	// (flushFor); writeFlags takes them off.
	skipped map[uint32]bool
	// scratch holds one message's response until it is complete, when
	// reading the message can still fail.
	scratch  *imapwire.Encoder
	expunged bool // some message of the view is gone from the store
}

// newFetcher checks the items and modifiers of a FETCH against what the
// session may ask.
func (s *Session) newFetcher(c *cmd, req fetchRequest) (*fetcher, error) {
	sel := s.sel
	f := &fetcher{s: s, out: c.out, uid: c.uid, changedSince: req.changedSince, modseq: req.changedSince != 0}
	f.items = make([]fetchItem, 0, len(req.atts))
	for i, a := range req.atts {
		if slices.ContainsFunc(req.atts[:i], func(b imapwire.FetchAtt) bool { return b.String() == a.String() }) {
			continue // asked twice, sent once
		}
		it := fetchItem{FetchAtt: a}
		switch a.Name {
		case "FLAGS":
			f.hasFlags = true
		case "MODSEQ":
			f.modseq, f.hasModSeq = true, true
		case "ENVELOPE", "BODYSTRUCTURE":
			f.needContent = true
		case "RFC822.HEADER":
			f.needContent, it.data = true, true
		case "RFC822", "RFC822.TEXT":
			f.needContent, f.setsSeen, it.data = true, true, true
		case "BODY":
			f.needContent = true
			if a.Section != nil {
				f.setsSeen = f.setsSeen || !a.Peek
				it.sec = message.Section{Part: intPath(a.Section.Part), Specifier: message.Specifier(a.Section.Specifier), Fields: a.Section.Fields}
				it.data = true
			}
		case "BINARY", "BINARY.SIZE":
			if !s.binaryAllowed() {
				return nil, bad("%s needs IMAP4rev2: send ENABLE IMAP4rev2 first (RFC 9051 §6.4.5)", a.Name)
			}
			f.needContent = true
			f.setsSeen = f.setsSeen || a.Name == "BINARY" && !a.Peek
			it.path = intPath(a.Section.Part)
			it.data = a.Name == "BINARY"
		case "EMAILID", "THREADID", "SAVEDATE":
			return nil, bad("FETCH %s is not supported here (no OBJECTID or SAVEDATE capability)", a.Name)
		}
		f.items = append(f.items, it)
	}
	slices.SortStableFunc(f.items, func(a, b fetchItem) int {
		switch {
		case a.data == b.data:
			return 0
		case b.data:
			return -1
		}
		return 1
	})
	switch {
	case f.modseq && sel.noModSeq:
		return nil, bad("The mailbox has no mod-sequences (NOMODSEQ): MODSEQ and CHANGEDSINCE cannot be used (RFC 7162 §3.1.2.2)")
	case req.vanished && !c.uid:
		return nil, bad("VANISHED is a UID FETCH modifier; FETCH does not take it (RFC 7162 §3.2.6)")
	case req.vanished && req.changedSince == 0:
		return nil, bad("VANISHED needs CHANGEDSINCE (RFC 7162 §3.2.6)")
	case req.vanished && !s.qresync:
		return nil, bad("VANISHED needs ENABLE QRESYNC first (RFC 7162 §3.2.6)")
	}
	if f.needContent {
		f.scratch = imapwire.NewEncoder(nil)
		f.scratch.UTF8 = c.out.UTF8
	}
	return f, nil
}

// showsFlagsOf returns which messages the FETCH will show the current
// flags of (with MODSEQ under CONDSTORE: message adds it), for flushFor;
// nil when it shows none or cannot tell.
func (f *fetcher) showsFlagsOf(req fetchRequest) func(uint32) bool {
	s := f.s
	if !f.hasFlags || req.set.IsSearchRes() {
		return nil
	}
	sel := s.sel
	return func(uid uint32) bool {
		m := sel.msg(uid)
		if m == nil || len(sel.uids) == 0 || f.changedSince != 0 && m.ModSeq <= f.changedSince {
			return false
		}
		if f.uid {
			return req.set.Contains(uid, sel.uids[len(sel.uids)-1])
		}
		seq := sel.seqOf(uid)
		return seq != 0 && req.set.Contains(seq, uint32(len(sel.uids)))
	}
}

// binaryAllowed says the BINARY items may be used: they are IMAP4rev2's
// (RFC 9051 §6.4.5), or RFC 3516's where BINARY is advertised.
func (s *Session) binaryAllowed() bool {
	return s.rev2 || slices.Contains(extraCapabilities, "BINARY")
}

func intPath(part []uint32) []int {
	if len(part) == 0 {
		return nil
	}
	out := make([]int, len(part))
	for i, p := range part {
		out[i] = int(p)
	}
	return out
}

// markSeen sets \Seen, in one store call, on the messages about to be
// fetched that lack it (RFC 9051 §6.4.5: BODY[...] implicitly sets it).
func (f *fetcher) markSeen(spans []span) error {
	s, sel := f.s, f.s.sel
	var uids []uint32
	for _, sp := range spans {
		for i := sp.lo; i < sp.hi; i++ {
			m := sel.msgAt(i)
			if m == nil || f.changedSince != 0 && m.ModSeq <= f.changedSince || slices.Contains(m.Flags, mailstore.FlagSeen) {
				continue
			}
			uids = append(uids, m.UID)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	if err := f.checkBinary(uids); err != nil {
		return err
	}
	results, _, err := s.cfg.Store.StoreFlags(s.user, sel.name, uids, mailstore.StoreAdd, []mailstore.Flag{mailstore.FlagSeen}, mailstore.Unconditional)
	f.seen = make(map[uint32]bool, len(results))
	for _, r := range results {
		if r.Changed && sel.learn(r) {
			f.seen[r.UID] = true
			sel.highestModSeq = max(sel.highestModSeq, r.ModSeq)
		}
	}
	if err != nil && !messageGone(err) {
		return storeError(err)
	}
	return nil
}

// checkBinary makes sure the BINARY items can be served for the messages
// whose \Seen a FETCH is about to set, so that a FETCH that fails with
// UNKNOWN-CTE (or on a part that is not a leaf) leaves their flags alone.
// The encoding is checked, not decoded.
func (f *fetcher) checkBinary(uids []uint32) error {
	var bin []*fetchItem
	for k := range f.items {
		if n := f.items[k].Name; n == "BINARY" || n == "BINARY.SIZE" {
			bin = append(bin, &f.items[k])
		}
	}
	if len(bin) == 0 {
		return nil
	}
	for _, uid := range uids {
		p, err := f.s.parsedMessage(uid)
		if err != nil {
			continue // a message gone or unreadable fails later, alone
		}
		for _, it := range bin {
			q := p.Find(it.path)
			switch {
			case len(it.path) == 0 || q == nil:
				continue
			case q.Message != nil || q.IsMultipart():
				err = message.ErrNotLeaf
			default:
				_, err = message.DecodeTransfer(q.Encoding, nil)
			}
			if err != nil {
				return binaryError(it.FetchAtt, f.s.sel.seqOf(uid), err)
			}
		}
	}
	return nil
}

// messageGone reports whether a store error means the message (or its
// mailbox) is no longer there.
func messageGone(err error) bool {
	return errors.Is(err, mailstore.ErrNoMessage) || errors.Is(err, mailstore.ErrNoMailbox)
}

// message writes the FETCH response of the message at position i of the
// view. With CHANGEDSINCE, messages not changed since are skipped.
func (f *fetcher) message(i int) error {
	s, sel := f.s, f.s.sel
	m := sel.msgAt(i)
	if m == nil {
		f.expunged = true
		return nil
	}
	if f.changedSince != 0 && m.ModSeq <= f.changedSince {
		return nil
	}
	uid, seq := m.UID, uint32(i+1)
	e := f.out
	var p *message.Part
	if f.needContent {
		var err error
		if p, err = s.parsedMessage(uid); err != nil {
			if messageGone(err) {
				f.expunged = true
				return nil
			}
			return err
		}
		e = f.scratch
		e.Reset()
	}
	// A FETCH that set \Seen shows the new flags, and under CONDSTORE
	// with UID and MODSEQ (RFC 9051 §6.4.5, RFC 7162 §3.2.4); one that
	// shows a flag change the flush left to it adds MODSEQ too.
	seen := f.seen[uid]
	_, took := f.skipped[uid]
	withUID := f.uid || seen && s.condstore
	e.Untagged().Number(seq).SP().Atom("FETCH").SP().BeginList()
	sep := false
	if withUID {
		e.Atom("UID").SP().Number(uid)
		sep = true
	}
	// FLAGS and MODSEQ not asked for but due come before the message
	// data, as the items asked for do.
	extraModSeq := !f.hasModSeq && (f.modseq || (seen || took) && s.condstore)
	extraFlags := seen && !f.hasFlags
	extras := func() {
		if extraModSeq {
			if sep {
				e.SP()
			}
			e.Atom("MODSEQ").SP().BeginList().Number64(m.ModSeq).EndList()
			sep = true
		}
		if extraFlags {
			if sep {
				e.SP()
			}
			e.Atom("FLAGS").SP()
			f.writeFlags(e, m)
			sep = true
		}
		extraModSeq, extraFlags = false, false
	}
	var bs *message.BodyStructure
	for k := range f.items {
		it := &f.items[k]
		if it.Name == "UID" && withUID {
			continue
		}
		if it.data {
			extras()
		}
		if sep {
			e.SP()
		}
		sep = true
		switch it.Name {
		case "UID":
			e.Atom("UID").SP().Number(uid)
		case "FLAGS":
			e.Atom("FLAGS").SP()
			f.writeFlags(e, m)
		case "INTERNALDATE":
			e.Atom("INTERNALDATE").SP().DateTime(m.InternalDate)
		case "RFC822.SIZE":
			e.Atom("RFC822.SIZE").SP().Number64(uint64(m.VSize))
		case "MODSEQ":
			e.Atom("MODSEQ").SP().BeginList().Number64(m.ModSeq).EndList()
		case "ENVELOPE":
			e.Atom("ENVELOPE").SP()
			writeEnvelope(e, p.Envelope().IMAP())
		case "BODYSTRUCTURE":
			if bs == nil {
				bs = p.BodyStructure()
			}
			e.Atom("BODYSTRUCTURE").SP()
			writeBodyStructure(e, bs.IMAP(true))
		case "BODY":
			if it.Section == nil {
				if bs == nil {
					bs = p.BodyStructure()
				}
				e.Atom("BODY").SP()
				writeBodyStructure(e, bs.IMAP(false))
				break
			}
			// A section that names nothing is the empty string.
			data, _ := p.Section(it.sec)
			e.FetchAttName(it.FetchAtt).SP()
			writeBody(e, partial(data, it.Partial))
		case "BINARY", "BINARY.SIZE":
			data, err := p.Binary(it.path)
			if err != nil && !errors.Is(err, message.ErrNoPart) {
				return binaryError(it.FetchAtt, seq, err)
			}
			e.FetchAttName(it.FetchAtt).SP()
			if it.Name == "BINARY.SIZE" {
				e.Number64(uint64(len(data)))
				break
			}
			data = partial(data, it.Partial)
			if bytes.IndexByte(data, 0) >= 0 {
				e.Literal8(data) // RFC 9051 §7.5.2: literal8 only for NUL
			} else {
				bodyString(e, data)
			}
		case "RFC822":
			e.Atom("RFC822").SP()
			writeBody(e, p.Bytes())
		case "RFC822.HEADER":
			e.Atom("RFC822.HEADER").SP()
			writeBody(e, p.HeaderBytes())
		case "RFC822.TEXT":
			e.Atom("RFC822.TEXT").SP()
			writeBody(e, p.Body())
		}
	}
	extras()
	e.EndList().CRLF()
	if e != f.out {
		f.out.Raw(e.Bytes())
	}
	return nil
}

// writeFlags writes a message's flag list, with \Recent under IMAP4rev1.
// What the client was told (sel.flags) is what the view knows once the
// updates are flushed, except for the flags this FETCH learned itself
// (implicit \Seen, flag changes it took over from the flush): those are
// recorded.
func (f *fetcher) writeFlags(e *imapwire.Encoder, m *mailstore.Message) {
	s, sel := f.s, f.s.sel
	recent := !s.rev2 && sel.recent.has(m.UID)
	e.BeginList()
	for i, fl := range m.Flags {
		if i > 0 {
			e.SP()
		}
		e.Flag(string(fl))
	}
	if recent {
		if len(m.Flags) > 0 {
			e.SP()
		}
		e.Flag(string(mailstore.FlagRecent))
	}
	e.EndList()
	learned := f.seen[m.UID]
	if _, ok := f.skipped[m.UID]; ok {
		delete(f.skipped, m.UID)
		learned = true
	}
	if learned {
		sel.flags[m.UID] = s.viewFlags(m)
		sel.highestModSeq = max(sel.highestModSeq, m.ModSeq)
	}
}

func binaryError(a imapwire.FetchAtt, seq uint32, err error) error {
	name := string(a.AppendResponseName(nil))
	switch {
	case errors.Is(err, message.ErrUnknownCTE):
		// RFC 9051 §7.5.2: NO [UNKNOWN-CTE].
		return no("UNKNOWN-CTE", "Cannot decode %s of message %d: its Content-Transfer-Encoding is unknown", name, seq)
	case errors.Is(err, message.ErrNotLeaf):
		return no("CANNOT", "%s of message %d names a multipart or message part; BINARY is for leaf parts only (RFC 9051 §6.4.5)", name, seq)
	}
	return err
}

// partial applies <offset.count>, if any (RFC 9051 §6.4.5).
func partial(b []byte, p *imapwire.Partial) []byte {
	if p == nil {
		return b
	}
	return message.Partial(b, p.Offset, p.Count)
}

// writeBody writes message octets as a string, quoted or literal as the
// encoder sees fit. A literal cannot carry NUL (RFC 9051 §4.3: CHAR8), so
// a NUL in BODY[] data is sent as 0x80, as Dovecot does; BINARY[] sends
// such data as literal8 instead.
func writeBody(e *imapwire.Encoder, b []byte) {
	if bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, []byte{0}, []byte{0x80})
	}
	bodyString(e, b)
}

// bodyString writes message data: 8-bit data always as a literal, as
// Dovecot does, even where IMAP4rev2 would allow a UTF-8 quoted string,
// since clients treat message content as octets.
func bodyString(e *imapwire.Encoder, b []byte) {
	for _, c := range b {
		if c >= 0x80 {
			e.Literal(b)
			return
		}
	}
	e.StrBytes(b)
}

// writeEnvelope writes an ENVELOPE (RFC 9051 §7.5.2). Its six address
// fields are lists of addresses written one after another, with no space
// between them (RFC 9051 §9: env-from = "(" 1*address ")").
func writeEnvelope(e *imapwire.Encoder, v message.Value) {
	env, ok := v.(message.List)
	if !ok {
		writeValue(e, v)
		return
	}
	e.BeginList()
	for i, x := range env {
		if i > 0 {
			e.SP()
		}
		if addrs, ok := x.(message.List); ok && i >= 2 && i <= 7 {
			e.BeginList()
			for _, a := range addrs {
				writeValue(e, a)
			}
			e.EndList()
			continue
		}
		writeValue(e, x)
	}
	e.EndList()
}

// writeBodyStructure writes a BODY or BODYSTRUCTURE (RFC 9051 §7.5.2).
// The parts of a multipart body come one after another, with no space
// between them (RFC 9051 §9: body-type-mpart = 1*body SP media-subtype),
// and a message/rfc822 or message/global part carries an envelope and a
// body of its own.
func writeBodyStructure(e *imapwire.Encoder, v message.Value) {
	body, ok := v.(message.List)
	if !ok {
		writeValue(e, v)
		return
	}
	e.BeginList()
	parts := 0
	for ; parts < len(body); parts++ {
		if _, ok := body[parts].(message.List); !ok {
			break
		}
		writeBodyStructure(e, body[parts])
	}
	embedded := parts == 0 && len(body) > 8 && isString(body[0], "MESSAGE") && (isString(body[1], "RFC822") || isString(body[1], "GLOBAL"))
	for i := parts; i < len(body); i++ {
		if i > 0 {
			e.SP()
		}
		switch {
		case embedded && i == 7:
			writeEnvelope(e, body[i])
		case embedded && i == 8:
			writeBodyStructure(e, body[i])
		default:
			writeValue(e, body[i])
		}
	}
	e.EndList()
}

func isString(v message.Value, s string) bool {
	str, ok := v.(message.String)
	return ok && strings.EqualFold(string(str), s)
}

// writeValue writes a value of the message package: the fields of
// ENVELOPE, BODY and BODYSTRUCTURE.
func writeValue(e *imapwire.Encoder, v message.Value) {
	switch v := v.(type) {
	case nil:
		e.NIL()
	case message.Number:
		e.Number64(uint64(v))
	case message.String:
		e.Str(string(v))
	case message.List:
		e.BeginList()
		for i, x := range v {
			if i > 0 {
				e.SP()
			}
			writeValue(e, x)
		}
		e.EndList()
	}
}

// span is a run of positions in the view: sel.uids[lo:hi].
type span struct{ lo, hi int }

// viewSpans resolves the sequence set of a command against the view, as
// ascending runs of positions, and counts the messages. With byUID the
// set holds UIDs: "*" is the last UID and UIDs no message has are skipped
// (RFC 9051 §6.4.9). Otherwise a number beyond the last message, or "*" in
// an empty mailbox, is an error (RFC 9051 §9, seq-number). "$" is the
// search result variable (RFC 5182). No list of messages is built, so
// that "1:*" of a big mailbox costs nothing here.
func (s *Session) viewSpans(set imapwire.SeqSet, byUID bool) ([]span, int, error) {
	uids := s.sel.uids
	var out []span
	n := 0
	add := func(lo, hi int) {
		if lo >= hi {
			return
		}
		if k := len(out); k > 0 && out[k-1].hi == lo {
			out[k-1].hi = hi
		} else {
			out = append(out, span{lo, hi})
		}
		n += hi - lo
	}
	if set.IsSearchRes() {
		saved, err := s.messageUIDs(set, byUID)
		if err != nil {
			return nil, 0, err
		}
		for _, uid := range saved {
			if i, ok := slices.BinarySearch(uids, uid); ok {
				add(i, i+1)
			}
		}
		return out, n, nil
	}
	if byUID {
		var last uint32
		if len(uids) > 0 {
			last = uids[len(uids)-1]
		}
		for r := range set.Ranges(last) {
			lo, _ := slices.BinarySearch(uids, r.Start)
			hi, found := slices.BinarySearch(uids, r.Stop)
			if found {
				hi++
			}
			add(lo, hi)
		}
		return out, n, nil
	}
	count := uint32(len(uids))
	for r := range set.Ranges(count) {
		if r.Start == 0 || r.Stop > count {
			if count == 0 {
				return nil, 0, bad("No messages in the mailbox: no sequence number is valid")
			}
			return nil, 0, bad("Invalid message sequence number %d: the mailbox has %d messages", max(r.Start, min(r.Stop, count+1)), count)
		}
		add(int(r.Start-1), int(r.Stop))
	}
	return out, n, nil
}

// msg returns what the session knows of the message with the given UID,
// or nil. The pointer is valid until the view changes.
func (sel *selection) msg(uid uint32) *mailstore.Message {
	i, ok := slices.BinarySearchFunc(sel.msgs, uid, func(m mailstore.Message, uid uint32) int { return cmp.Compare(m.UID, uid) })
	if !ok {
		return nil
	}
	return &sel.msgs[i]
}

// msgAt is msg for the message at position i of the view: usually at the
// same position of msgs.
func (sel *selection) msgAt(i int) *mailstore.Message {
	uid := sel.uids[i]
	if i < len(sel.msgs) && sel.msgs[i].UID == uid {
		return &sel.msgs[i]
	}
	return sel.msg(uid)
}

// parsedMessage returns the message with the given UID, with CRLF line
// endings, parsed; from the session's cache when it was parsed lately.
func (s *Session) parsedMessage(uid uint32) (*message.Part, error) {
	sel := s.sel
	if p := sel.parsed.get(uid); p != nil {
		return p, nil
	}
	raw, err := s.cfg.Store.Read(s.user, sel.name, uid)
	if err != nil {
		return nil, err
	}
	p, err := message.Parse(message.ToCRLF(raw))
	if err != nil {
		return nil, err
	}
	sel.parsed.put(uid, p)
	return p, nil
}

// parseCache keeps the messages a session parsed last, least recently
// used first (see parseCacheEntries).
type parseCache struct {
	entries []parsedEntry
	size    int
}

type parsedEntry struct {
	uid  uint32
	part *message.Part
}

func (pc *parseCache) get(uid uint32) *message.Part {
	for i, en := range pc.entries {
		if en.uid == uid {
			copy(pc.entries[i:], pc.entries[i+1:])
			pc.entries[len(pc.entries)-1] = en
			return en.part
		}
	}
	return nil
}

func (pc *parseCache) put(uid uint32, p *message.Part) {
	n := len(p.Raw())
	if n > parseCacheBytes {
		return
	}
	pc.entries = append(pc.entries, parsedEntry{uid, p})
	pc.size += n
	for len(pc.entries) > parseCacheEntries || pc.size > parseCacheBytes {
		pc.size -= len(pc.entries[0].part.Raw())
		pc.entries = slices.Delete(pc.entries, 0, 1)
	}
}

func (pc *parseCache) drop(uid uint32) {
	for i, en := range pc.entries {
		if en.uid == uid {
			pc.size -= len(en.part.Raw())
			pc.entries = slices.Delete(pc.entries, i, i+1)
			return
		}
	}
}
