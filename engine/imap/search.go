package imap

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/message"
)

// Limits of one search program.
const (
	// MaxSearchKeys bounds the search keys of one SEARCH, counting every
	// key inside NOT, OR and parentheses. Evaluation costs up to one pass
	// over each message's text per key, so the bound caps the work a
	// command can ask for; the 64 KiB command line would otherwise hold
	// over ten thousand keys. Clients' generated searches (an OR over a
	// contact list, a filter's rules) stay well below it.
	MaxSearchKeys = 1000
	// MaxSearchDepth bounds how deeply NOT, OR and parenthesized lists
	// nest: the program is evaluated by recursion, once per message.
	// Clients write "any of n terms" as a prefix chain "OR OR ... a b c",
	// which nests n-1 deep, so the bound is generous; parentheses alone are
	// bounded by imapwire.MaxListDepth already.
	MaxSearchDepth = 256
)

// searchCharsets are the charsets SEARCH accepts (RFC 9051 §6.4.4: US-ASCII
// and UTF-8 are required), as the BADCHARSET response code lists them.
var searchCharsets = []string{"UTF-8", "US-ASCII"}

func init() {
	register("SEARCH", inSelected, (*Session).search)
	register("UID SEARCH", inSelected, (*Session).search)
	// ESEARCH: RFC 4731 return options; SEARCHRES: RETURN (SAVE) and "$"
	// (RFC 5182), which every command taking a sequence set resolves
	// through messageUIDs. Both are part of IMAP4rev2.
	advertise("ESEARCH", "SEARCHRES")
}

// searchOp is what one node of a search program tests.
type searchOp uint8

const (
	searchAll        searchOp = iota
	searchAnd                 // every kid matches
	searchOr                  // kids[0] or kids[1] matches
	searchNot                 // kids[0] does not match
	searchFlag                // the message has flag
	searchNoFlag              // the message lacks flag
	searchRecent              // \Recent for this session
	searchSeq                 // the sequence number is in set
	searchUID                 // the UID is in set
	searchSaved               // "$": the message is in the search result variable
	searchLarger              // RFC822.SIZE > n
	searchSmaller             // RFC822.SIZE < n
	searchModSeq              // MODSEQ >= n (RFC 7162 §3.1.5)
	searchBefore              // internal date's day < day
	searchOn                  // internal date's day == day
	searchSince               // internal date's day >= day
	searchSentBefore          // Date: header's day < day
	searchSentOn              // Date: header's day == day
	searchSentSince           // Date: header's day >= day
	searchHeader              // a field named field contains str
	searchBody                // the body text contains str
	searchText                // the header or the body text contains str
)

// searchKey is one node of a parsed search program (RFC 9051 §6.4.4).
type searchKey struct {
	op    searchOp
	flag  string     // searchFlag, searchNoFlag
	field string     // searchHeader: the field name
	str   string     // searchHeader, searchBody, searchText
	fold  foldNeedle // str, prepared for matching
	n     uint64     // searchLarger, searchSmaller, searchModSeq
	day   time.Time
	set   imapwire.SeqSet
	kids  []*searchKey
}

// cost orders the keys of an AND so that the cheap ones run first: flags,
// numbers and dates come with the message list, a header or Date: needs
// the message parsed, and the body needs it decoded.
func (k *searchKey) cost() int {
	switch k.op {
	case searchSentBefore, searchSentOn, searchSentSince, searchHeader:
		return 1
	case searchBody, searchText:
		return 2
	case searchAnd, searchOr, searchNot:
		c := 0
		for _, kid := range k.kids {
			c = max(c, kid.cost())
		}
		return c
	}
	return 0
}

// searchReturn holds the RETURN options of an extended SEARCH (RFC 4731,
// RFC 9051 §6.4.4).
type searchReturn struct {
	esearch                    bool // answer with ESEARCH, not SEARCH
	min, max, all, count, save bool
}

// searchParser reads a search program from a command's decoder. Syntax
// errors go to the decoder (BAD); a broken limit is kept in err (NO
// [LIMIT]).
type searchParser struct {
	dec     *imapwire.Decoder
	keys    int
	modseq  bool // the program has a MODSEQ key (RFC 7162 §3.1.5)
	charset string
	err     error
}

func (p *searchParser) failed() bool { return p.err != nil || p.dec.Err() != nil }

// returnOpts reads [SP "RETURN" SP "(" [search-return-opt *(SP
// search-return-opt)] ")"] after "SEARCH".
func (p *searchParser) returnOpts() searchReturn {
	d := p.dec
	var r searchReturn
	if !d.AcceptKeyword("RETURN") {
		return r
	}
	r.esearch = true
	d.ExpectSP()
	for range d.List() {
		switch opt := d.Keyword(); opt {
		case "MIN":
			r.min = true
		case "MAX":
			r.max = true
		case "ALL":
			r.all = true
		case "COUNT":
			r.count = true
		case "SAVE":
			r.save = true
		case "":
		default:
			// RFC 9051 §6.4.4: unknown options MUST be rejected with BAD.
			d.Errorf("unknown SEARCH return option %q", sanitize(opt))
		}
	}
	if !r.min && !r.max && !r.all && !r.count && !r.save {
		r.all = true // "RETURN ()" means ALL
	}
	d.ExpectSP()
	return r
}

// program reads search-program: ["CHARSET" SP charset SP] search-key
// *(SP search-key). The keys are ANDed.
func (p *searchParser) program() *searchKey {
	d := p.dec
	if d.AcceptKeyword("CHARSET") {
		d.ExpectSP()
		p.charset = strings.ToUpper(d.AString())
		d.ExpectSP()
	}
	and := &searchKey{op: searchAnd}
	for {
		and.kids = append(and.kids, p.key(0))
		if p.failed() || !d.SP() {
			break
		}
	}
	if p.failed() {
		return nil
	}
	return and.sorted()
}

// sorted puts the kids of an AND in cost order, cheap first, and makes a
// one-key AND that key.
func (k *searchKey) sorted() *searchKey {
	if len(k.kids) == 1 {
		return k.kids[0]
	}
	slices.SortStableFunc(k.kids, func(a, b *searchKey) int { return a.cost() - b.cost() })
	return k
}

// key reads one search-key (RFC 9051 §9, RFC 3501 §9, RFC 7162 §7).
func (p *searchParser) key(depth int) *searchKey {
	d := p.dec
	if p.failed() {
		return nil
	}
	p.keys++
	if p.keys > MaxSearchKeys {
		p.err = no("LIMIT", "Search programs are limited to %d keys", MaxSearchKeys)
		return nil
	}
	if depth > MaxSearchDepth {
		p.err = no("LIMIT", "Search keys may nest at most %d deep", MaxSearchDepth)
		return nil
	}
	switch c := d.Peek(); {
	case c == '(':
		and := &searchKey{op: searchAnd}
		for range d.List() {
			and.kids = append(and.kids, p.key(depth+1))
			if p.failed() {
				return nil
			}
		}
		if len(and.kids) == 0 && d.Err() == nil {
			d.Errorf("a parenthesized search key list may not be empty")
		}
		if p.failed() {
			return nil
		}
		return and.sorted()
	case c == '*' || c == '$' || '0' <= c && c <= '9':
		set := d.SequenceSet()
		if set.IsSearchRes() {
			return &searchKey{op: searchSaved}
		}
		return &searchKey{op: searchSeq, set: set}
	}
	name := d.Keyword()
	k := &searchKey{}
	switch name {
	case "ALL":
		k.op = searchAll
	case "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN":
		k.op, k.flag = searchFlag, `\`+name[:1]+strings.ToLower(name[1:])
	case "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN":
		k.op, k.flag = searchNoFlag, `\`+name[2:3]+strings.ToLower(name[3:])
	case "KEYWORD", "UNKEYWORD":
		d.ExpectSP()
		k.op, k.flag = searchFlag, d.Atom() // flag-keyword = atom
		if name == "UNKEYWORD" {
			k.op = searchNoFlag
		}
	case "RECENT":
		k.op = searchRecent
	case "NEW": // RECENT UNSEEN (RFC 3501 §6.4.4)
		k.op, k.kids = searchAnd, []*searchKey{{op: searchRecent}, {op: searchNoFlag, flag: string(mailstore.FlagSeen)}}
	case "OLD": // NOT RECENT
		k.op, k.kids = searchNot, []*searchKey{{op: searchRecent}}
	case "BCC", "CC", "FROM", "SUBJECT", "TO":
		d.ExpectSP()
		k.op, k.field, k.str = searchHeader, searchHeaderFields[name], d.AString()
	case "HEADER":
		d.ExpectSP()
		k.field = d.AString() // header-fld-name = astring
		d.ExpectSP()
		k.op, k.str = searchHeader, d.AString()
	case "BODY":
		d.ExpectSP()
		k.op, k.str = searchBody, d.AString()
	case "TEXT":
		d.ExpectSP()
		k.op, k.str = searchText, d.AString()
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		d.ExpectSP()
		k.day = d.Date()
		k.op = map[string]searchOp{
			"BEFORE": searchBefore, "ON": searchOn, "SINCE": searchSince,
			"SENTBEFORE": searchSentBefore, "SENTON": searchSentOn, "SENTSINCE": searchSentSince,
		}[name]
	case "LARGER", "SMALLER":
		d.ExpectSP()
		k.op, k.n = searchLarger, d.Number64()
		if name == "SMALLER" {
			k.op = searchSmaller
		}
	case "UID":
		d.ExpectSP()
		k.set = d.SequenceSet()
		k.op = searchUID
		if k.set.IsSearchRes() {
			k.op = searchSaved
		}
	case "NOT":
		d.ExpectSP()
		k.op, k.kids = searchNot, []*searchKey{p.key(depth + 1)}
	case "OR":
		d.ExpectSP()
		a := p.key(depth + 1)
		d.ExpectSP()
		b := p.key(depth + 1)
		k.op, k.kids = searchOr, []*searchKey{a, b}
	case "MODSEQ":
		// "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
		// (RFC 7162 §3.1.5). The store keeps one mod-sequence per
		// message, so the entry name and type are read and ignored, as
		// the RFC says.
		d.ExpectSP()
		if d.Peek() == '"' {
			if entry := d.Quoted(); d.Err() == nil && !strings.HasPrefix(strings.ToLower(entry), "/flags/") {
				d.Errorf("MODSEQ entry name must be \"/flags/<flag>\"")
			}
			d.ExpectSP()
			if typ := d.Keyword(); d.Err() == nil && typ != "PRIV" && typ != "SHARED" && typ != "ALL" {
				d.Errorf("MODSEQ entry type must be priv, shared or all")
			}
			d.ExpectSP()
		}
		k.op, k.n = searchModSeq, d.Number64()
		p.modseq = true
	case "":
		return nil // the decoder has the error
	default:
		d.Errorf("unknown search key %q", sanitize(name))
	}
	if p.failed() {
		return nil
	}
	if k.op == searchHeader || k.op == searchBody || k.op == searchText {
		k.fold = newFoldNeedle(k.str)
	}
	return k
}

// searchHeaderFields maps the search keys that look at one field to its name.
var searchHeaderFields = map[string]string{"BCC": "Bcc", "CC": "Cc", "FROM": "From", "SUBJECT": "Subject", "TO": "To"}

// search answers SEARCH and UID SEARCH (RFC 9051 §6.4.4, RFC 3501
// §6.4.4), with the ESEARCH return options (RFC 4731), SAVE and "$"
// (RFC 5182) and MODSEQ (RFC 7162 §3.1.5).
func (s *Session) search(c *cmd) error {
	// No EXPUNGE response may accompany SEARCH, whatever its outcome
	// (RFC 9051 §7.5.1); UID SEARCH may carry them.
	c.noExpunge = !c.uid
	p := &searchParser{dec: c.dec}
	c.dec.ExpectSP()
	ret := p.returnOpts()
	prog := p.program()
	if p.err == nil && !c.dec.ExpectEOL() {
		return nil // BAD; the result variable stays as it was
	}
	if err := s.checkSearch(p); err != nil {
		if ret.save {
			s.saveSearch(nil) // RFC 9051 §6.4.4.1: a failed SAVE empties "$"
		}
		return err
	}

	if p.modseq {
		// A CONDSTORE enabling command (RFC 7162 §3.1).
		s.enableCondStore(c.out)
	}
	found, err := s.runSearch(prog)
	if err != nil {
		if ret.save {
			s.saveSearch(nil)
		}
		return err
	}
	s.searchResponse(c, ret, p.modseq, found)
	return nil
}

// searchResponse reports what a search found: "* SEARCH" to an
// IMAP4rev1 client that gave no RETURN options, otherwise one "*
// ESEARCH" (RFC 4731, RFC 9051 §7.3.4), or none for SAVE alone. It also
// sets the search result variable for SAVE.
func (s *Session) searchResponse(c *cmd, ret searchReturn, modseq bool, found []searchHit) {
	nums := make([]uint32, len(found))
	for i, m := range found {
		nums[i] = m.seq
		if c.uid {
			nums[i] = m.uid
		}
	}

	if !ret.esearch && !s.rev2 {
		// IMAP4rev1: "* SEARCH n...", with the highest MODSEQ of the
		// messages found when the program asked about MODSEQ.
		e := c.out.Untagged().Atom("SEARCH")
		for _, n := range nums {
			e.SP().Number(n)
		}
		if modseq && len(found) > 0 {
			e.SP().BeginList().Atom("MODSEQ").SP().Number64(searchHighestModSeq(found)).EndList()
		}
		e.CRLF()
		return
	}
	if !ret.esearch {
		ret.all = true // IMAP4rev2 without RETURN: ALL (RFC 9051 §6.4.4)
	}

	// Which messages the response (and "$") is about: all of them, or
	// with only MIN and/or MAX asked for, those (RFC 9051 §6.4.4.1).
	returned := found
	if !ret.all && !ret.count && (ret.min || ret.max) && len(found) > 0 {
		returned = nil
		if ret.min {
			returned = append(returned, found[0])
		}
		if ret.max && (!ret.min || len(found) > 1) {
			returned = append(returned, found[len(found)-1])
		}
	}
	if ret.save {
		uids := make([]uint32, len(returned))
		for i, m := range returned {
			uids[i] = m.uid
		}
		s.saveSearch(uids)
		if !ret.min && !ret.max && !ret.all && !ret.count {
			return // SAVE alone suppresses the ESEARCH response
		}
	}
	e := c.out.Untagged().Atom("ESEARCH").SP().BeginList().Atom("TAG").SP().Str(c.tag).EndList()
	if c.uid {
		e.SP().Atom("UID")
	}
	if len(nums) > 0 {
		if ret.min {
			e.SP().Atom("MIN").SP().Number(nums[0])
		}
		if ret.max {
			e.SP().Atom("MAX").SP().Number(nums[len(nums)-1])
		}
		if ret.all {
			e.SP().Atom("ALL").SP().SeqSet(imapwire.SeqSetOf(nums...))
		}
	}
	if ret.count {
		e.SP().Atom("COUNT").SP().Number(uint32(len(nums)))
	}
	if modseq && len(returned) > 0 {
		// RFC 7162 §3.1.10: the MODSEQ return data of ESEARCH.
		e.SP().Atom("MODSEQ").SP().Number64(searchHighestModSeq(returned))
	}
	e.CRLF()
}

// checkSearch refuses what parsed but cannot be run: a limit broken, an
// unknown charset (RFC 9051 §6.4.4: NO, with BADCHARSET listing ours),
// MODSEQ where there are none.
func (s *Session) checkSearch(p *searchParser) error {
	if p.err != nil {
		return p.err
	}
	if p.charset != "" && !slices.Contains(searchCharsets, p.charset) {
		return no("BADCHARSET ("+strings.Join(searchCharsets, " ")+")", "Unsupported charset %s", sanitize(p.charset))
	}
	if p.modseq && s.sel.noModSeq {
		// RFC 7162 §3.1.2.2: after NOMODSEQ, a CONDSTORE enabling
		// command is refused.
		return no("", "This mailbox has no mod-sequences (NOMODSEQ)")
	}
	return nil
}

func searchHighestModSeq(hits []searchHit) uint64 {
	var h uint64
	for _, m := range hits {
		h = max(h, m.modseq)
	}
	return h
}

// searchCtx is what a search program is evaluated against: the session's
// view of its mailbox and the store behind it.
type searchCtx struct {
	s       *Session
	n       uint32   // messages in the view: "*" of a sequence set
	lastUID uint32   // "*" of a UID set
	saved   []uint32 // "$", ascending
	err     error    // the first error reading a message
}

// searchHit is a message a search found.
type searchHit struct {
	seq, uid uint32
	modseq   uint64
}

// searchMsg is one message as a search program sees it. Its text is read
// and parsed only when a key needs it, and then once.
type searchMsg struct {
	seq    uint32
	info   *mailstore.Message // UID, flags, size, dates and MODSEQ from the store
	recent bool

	read     bool
	raw      []byte // nil if the message could not be read
	scanned  bool
	plainRaw bool // raw has no encoded words or transfer encodings
	parsed   bool
	part     *message.Part // nil if the message could not be read
	header   *string       // decoded header fields, for TEXT
	body     *string       // decoded text parts, for BODY and TEXT
	sentDone bool
	sent     time.Time // the Date: field's day; zero if none
}

// runSearch evaluates prog over the messages of the view, in sequence
// order. Messages another session has expunged but this session has not
// been told about yet are still in the view; their flags and text are
// gone, and they match nothing.
func (s *Session) runSearch(prog *searchKey) ([]searchHit, error) {
	sel := s.sel
	msgs, _, err := s.cfg.Store.List(s.user, sel.name)
	if err != nil {
		return nil, storeError(err)
	}
	ctx := &searchCtx{s: s, n: uint32(len(sel.uids)), saved: s.savedUIDs()}
	if len(sel.uids) > 0 {
		ctx.lastUID = sel.uids[len(sel.uids)-1]
	}
	var found []searchHit
	var m searchMsg // reused: what one message's evaluation learned
	j := 0
	for i, uid := range sel.uids {
		for j < len(msgs) && msgs[j].UID < uid {
			j++
		}
		if j == len(msgs) || msgs[j].UID != uid {
			continue
		}
		m = searchMsg{seq: uint32(i + 1), info: &msgs[j], recent: sel.recent.has(uid)}
		if ctx.match(prog, &m) {
			found = append(found, searchHit{m.seq, uid, msgs[j].ModSeq})
		}
	}
	if ctx.err != nil {
		return nil, ctx.err
	}
	return found, nil
}

// match reports whether m matches k.
func (ctx *searchCtx) match(k *searchKey, m *searchMsg) bool {
	switch k.op {
	case searchAll:
		return true
	case searchAnd:
		for _, kid := range k.kids {
			if !ctx.match(kid, m) {
				return false
			}
		}
		return true
	case searchOr:
		return ctx.match(k.kids[0], m) || ctx.match(k.kids[1], m)
	case searchNot:
		return !ctx.match(k.kids[0], m)
	case searchFlag:
		return searchHasFlag(m.info.Flags, k.flag)
	case searchNoFlag:
		return !searchHasFlag(m.info.Flags, k.flag)
	case searchRecent:
		return m.recent
	case searchSeq:
		return k.set.Contains(m.seq, ctx.n)
	case searchUID:
		return k.set.Contains(m.info.UID, ctx.lastUID)
	case searchSaved:
		_, ok := slices.BinarySearch(ctx.saved, m.info.UID)
		return ok
	case searchLarger:
		return uint64(m.info.VSize) > k.n
	case searchSmaller:
		return uint64(m.info.VSize) < k.n
	case searchModSeq:
		return m.info.ModSeq >= k.n
	case searchBefore:
		return searchDay(m.info.InternalDate.UTC()).Before(k.day)
	case searchOn:
		return searchDay(m.info.InternalDate.UTC()).Equal(k.day)
	case searchSince:
		return !searchDay(m.info.InternalDate.UTC()).Before(k.day)
	case searchSentBefore, searchSentOn, searchSentSince:
		sent := ctx.sentDay(m)
		if sent.IsZero() {
			return false // no (valid) Date: field to compare
		}
		switch k.op {
		case searchSentBefore:
			return sent.Before(k.day)
		case searchSentOn:
			return sent.Equal(k.day)
		}
		return !sent.Before(k.day)
	case searchHeader:
		if ctx.absent(m, &k.fold) {
			return false
		}
		p := ctx.load(m)
		if p == nil {
			return false
		}
		for _, v := range p.Header.Decoded(k.field, nil) {
			if foldIn(&k.fold, v) {
				return true
			}
		}
		return false
	case searchBody:
		return !ctx.absent(m, &k.fold) && foldIn(&k.fold, ctx.bodyText(m))
	case searchText:
		return !ctx.absent(m, &k.fold) && (foldIn(&k.fold, ctx.headerText(m)) || foldIn(&k.fold, ctx.bodyText(m)))
	}
	return false
}

// searchDay is the calendar day of t in t's own zone, as midnight UTC: what
// the date of a search key (imapwire's Decoder.Date) is compared with,
// "disregarding time and timezone" (RFC 9051 §6.4.4). Internal dates are
// taken in UTC, the zone the server reports them in.
func searchDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// readRaw reads m once; it returns nil if m cannot be read (an expunge
// that overtook the search, or a store failure, which ctx keeps).
func (ctx *searchCtx) readRaw(m *searchMsg) []byte {
	if m.read {
		return m.raw
	}
	m.read = true
	raw, err := ctx.s.cfg.Store.Read(ctx.s.user, ctx.s.sel.name, m.info.UID)
	if err != nil {
		if !errors.Is(err, mailstore.ErrNoMessage) && ctx.err == nil {
			ctx.err = err
		}
		return nil
	}
	m.raw = raw
	return raw
}

// load parses m once; nil if it cannot be read.
func (ctx *searchCtx) load(m *searchMsg) *message.Part {
	if m.parsed {
		return m.part
	}
	m.parsed = true
	if raw := ctx.readRaw(m); raw != nil {
		m.part, _ = message.Parse(raw) // nil only beyond 4 GiB
	}
	return m.part
}

// absent reports that n is in no decoded text of m, judging by m's raw
// octets, so that a message that does not match need not be parsed and
// decoded. The judgement is exact for a needle of printable ASCII
// without SP and ":" (foldNeedle.plain) when the message has no RFC 2047
// encoded word and no base64 or quoted-printable part: then every decoded
// text is made of the raw octets with line folds removed, ": " and line
// breaks put between fields and parts, and charsets converted in ways
// that leave ASCII alone, none of which can create a match of such a
// needle.
func (ctx *searchCtx) absent(m *searchMsg, n *foldNeedle) bool {
	if !n.plain {
		return false
	}
	raw := ctx.readRaw(m)
	if !m.scanned {
		m.scanned = true
		m.plainRaw = raw != nil && !bytes.Contains(raw, []byte("=?")) &&
			indexFoldASCII(raw, "base64") < 0 &&
			indexFoldASCII(raw, "quoted-printable") < 0
	}
	return m.plainRaw && !foldIn(n, raw)
}

// sentDay is the day of m's Date: field, or zero.
func (ctx *searchCtx) sentDay(m *searchMsg) time.Time {
	if m.sentDone {
		return m.sent
	}
	m.sentDone = true
	if p := ctx.load(m); p != nil {
		if t, err := message.ParseDate(p.Header.Get("Date")); err == nil {
			m.sent = searchDay(t)
		}
	}
	return m.sent
}

// headerText is m's header with encoded words decoded (RFC 2047), one
// "Name: value" line per field, for TEXT.
func (ctx *searchCtx) headerText(m *searchMsg) string {
	if m.header != nil {
		return *m.header
	}
	var b strings.Builder
	if p := ctx.load(m); p != nil {
		for _, f := range p.Header.Fields {
			if f.Name == "" {
				continue
			}
			b.WriteString(f.Name)
			b.WriteString(": ")
			b.WriteString(message.DecodeHeader(f.Value()))
			b.WriteByte('\n')
		}
	}
	h := b.String()
	m.header = &h
	return h
}

// bodyText is the text of m's text parts with their transfer encodings
// removed, for BODY and TEXT.
func (ctx *searchCtx) bodyText(m *searchMsg) string {
	if m.body != nil {
		return *m.body
	}
	var t string
	if p := ctx.load(m); p != nil {
		t = p.BodyText(nil)
	}
	m.body = &t
	return t
}

func searchHasFlag(flags []mailstore.Flag, f string) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), f) {
			return true
		}
	}
	return false
}

// saveSearch sets the search result variable (RFC 9051 §6.4.4.1) to the
// given UIDs of the selected mailbox.
func (s *Session) saveSearch(uids []uint32) {
	s.searchRes = uids
	s.searchResSel = s.sel
}

// savedUIDs returns the search result variable: the UIDs the last SEARCH
// RETURN (SAVE) found in this selection, less those expunged since
// (RFC 9051 §6.4.4.1). Selecting a mailbox empties it.
func (s *Session) savedUIDs() []uint32 {
	if s.sel == nil || s.searchResSel != s.sel {
		return nil
	}
	var out []uint32
	for _, uid := range s.searchRes {
		if s.sel.seqOf(uid) != 0 {
			out = append(out, uid)
		}
	}
	return out
}

// messageUIDs resolves a sequence set of a command against the view: the
// UIDs it names, ascending. With byUID the set holds UIDs, "*" is the last
// UID, and UIDs no message has are skipped (RFC 9051 §6.4.9). Otherwise it
// holds sequence numbers, and a number beyond the last message (or "*" in
// an empty mailbox) is an error (RFC 9051 §9, seq-number). "$" is the
// search result variable (RFC 5182).
func (s *Session) messageUIDs(set imapwire.SeqSet, byUID bool) ([]uint32, error) {
	if set.IsSearchRes() {
		return s.savedUIDs(), nil
	}
	uids := s.sel.uids
	var out []uint32
	if byUID {
		var last uint32
		if len(uids) > 0 {
			last = uids[len(uids)-1]
		}
		for r := range set.Ranges(last) {
			i, _ := slices.BinarySearch(uids, r.Start)
			for ; i < len(uids) && uids[i] <= r.Stop; i++ {
				out = append(out, uids[i])
			}
		}
		return out, nil
	}
	n := uint32(len(uids))
	for r := range set.Ranges(n) {
		if r.Start == 0 || r.Stop > n {
			if n == 0 {
				return nil, bad("No messages in the mailbox: no sequence number is valid")
			}
			return nil, bad("Invalid message sequence number %d: the mailbox has %d messages", r.Stop, n)
		}
		out = append(out, uids[r.Start-1:r.Stop]...)
	}
	return out, nil
}

// foldNeedle is a SEARCH string prepared for the case-insensitive
// substring match of message.ContainsFold (Unicode simple case folding).
// Most search strings are ASCII, and then a byte search finds the same
// matches several times faster: under simple folding an ASCII letter has
// no partner outside ASCII except k (U+212A KELVIN SIGN) and s (U+017F
// LATIN SMALL LETTER LONG S), so only text holding those two needs the
// general match.
type foldNeedle struct {
	s     string
	lower string // s in ASCII lower case, when s is ASCII
	ascii bool
	ks    bool // s has a k or an s
	plain bool // s is printable ASCII without SP and ":" (see absent)
}

func newFoldNeedle(s string) foldNeedle {
	n := foldNeedle{s: s, ascii: true, plain: s != ""}
	b := []byte(s)
	for i, c := range b {
		if c >= 0x80 {
			return foldNeedle{s: s}
		}
		if c <= ' ' || c == ':' || c == 0x7f {
			n.plain = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			b[i] = c
		}
		if c == 'k' || c == 's' {
			n.ks = true
		}
	}
	n.lower = string(b)
	return n
}

// text is what a needle is looked for in: decoded text, or raw octets.
type text interface{ ~string | ~[]byte }

// foldIn reports whether n is within h, as message.ContainsFold(h, n.s)
// does.
func foldIn[T text](n *foldNeedle, h T) bool {
	if !n.ascii || n.ks && (indexOf(h, "\u212a") >= 0 || indexOf(h, "\u017f") >= 0) {
		return message.ContainsFold(string(h), n.s)
	}
	return indexFoldASCII(h, n.lower) >= 0
}

func indexOf[T text](h T, sub string) int {
	switch h := any(h).(type) {
	case string:
		return strings.Index(h, sub)
	case []byte:
		return bytes.Index(h, []byte(sub))
	}
	return -1
}

func indexByte[T text](h T, c byte) int {
	switch h := any(h).(type) {
	case string:
		return strings.IndexByte(h, c)
	case []byte:
		return bytes.IndexByte(h, c)
	}
	return -1
}

// indexFoldASCII returns the first index of the ASCII string lower in h,
// comparing ASCII letters without regard to case, or -1.
func indexFoldASCII[T text](h T, lower string) int {
	m := len(lower)
	if m == 0 {
		return 0
	}
	c0 := lower[0]
	u0 := c0
	if 'a' <= c0 && c0 <= 'z' {
		u0 -= 'a' - 'A'
	}
	// The next occurrence of each case of the first byte, found with
	// IndexByte (vectorised) and looked for again only once passed.
	nextL, nextU := -2, -2
	find := func(c byte, from int) int {
		if j := indexByte(h[from:], c); j >= 0 {
			return from + j
		}
		return len(h)
	}
	for i := 0; i+m <= len(h); i++ {
		if nextL < i {
			nextL = find(c0, i)
		}
		if u0 != c0 && nextU < i {
			nextU = find(u0, i)
		}
		i = nextL
		if u0 != c0 {
			i = min(nextL, nextU)
		}
		if i+m > len(h) {
			return -1
		}
		if equalFoldASCII(h[i+1:i+m], lower[1:]) {
			return i
		}
	}
	return -1
}

// equalFoldASCII reports whether a equals lower, with a's ASCII letters
// taken in lower case.
func equalFoldASCII[T text](a T, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
