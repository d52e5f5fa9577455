package imap

import (
	"errors"
	"slices"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// CONDSTORE and QRESYNC (RFC 7162): mod-sequences in SELECT, FETCH and
// STORE, and quick resynchronization. The pieces that belong to FETCH and
// STORE live in fetch.go and store.go; this file has ENABLE's part, the
// SELECT/EXAMINE parameters, HIGHESTMODSEQ and NOMODSEQ, and VANISHED
// (EARLIER).

func init() {
	advertise("CONDSTORE", "QRESYNC")
}

// maxSeqMatchPairs bounds the message sequence match data of SELECT
// (QRESYNC ...) that the server looks at. RFC 7162 §3.2.5.2 has the client
// send "a small sample"; a longer one is ignored (it only narrows VANISHED
// (EARLIER), which is correct without it) rather than walked.
const maxSeqMatchPairs = 100000

// enableCondStore records a CONDSTORE enabling command (RFC 7162 §3.1):
// from now on untagged FETCH responses carry MODSEQ. The first one with a
// mailbox selected reports the mailbox's HIGHESTMODSEQ.
func (s *Session) enableCondStore(e *imapwire.Encoder) {
	if s.condstore {
		return
	}
	s.condstore = true
	if s.sel != nil && s.state == Selected && !s.sel.noModSeq {
		s.writeHighestModSeq(e)
	}
}

// enableModSeq is ENABLE's part for CONDSTORE and QRESYNC (RFC 7162
// §3.2.3): QRESYNC implies CONDSTORE and turns EXPUNGE into VANISHED. It
// reports whether name counts as enabled by this command; condstoreBefore
// says CONDSTORE was on before it, so that "ENABLE QRESYNC CONDSTORE"
// lists both.
func (s *Session) enableModSeq(name string, e *imapwire.Encoder, condstoreBefore bool) bool {
	switch name {
	case "CONDSTORE":
		s.enableCondStore(e)
		return !condstoreBefore
	case "QRESYNC":
		if s.qresync {
			return false
		}
		s.qresync = true
		s.enableCondStore(e)
		return true
	}
	return false
}

func (s *Session) writeHighestModSeq(e *imapwire.Encoder) {
	e.Untagged().Atom("OK").SP().Code("HIGHESTMODSEQ").SP().Number64(s.sel.highestModSeq).CodeEnd().Text("Highest mod-sequence").CRLF()
}

// selectParams are the parameters of SELECT and EXAMINE (RFC 4466 §2.1):
// (CONDSTORE) of RFC 7162 §3.1.8 and (QRESYNC (...)) of §3.2.5.
type selectParams struct {
	condstore bool
	qresync   *qresyncParams
}

// qresyncParams are "QRESYNC" SP "(" uidvalidity SP mod-sequence-value
// [SP known-uids] [SP seq-match-data] ")" (RFC 7162 §7).
type qresyncParams struct {
	validity uint32
	modseq   uint64
	known    imapwire.SeqSet // known-uids; hasKnown says it was given
	hasKnown bool
	// matchSeqs[i] is the sequence number the client knew matchUIDs[i]
	// by; empty when absent or too long (maxSeqMatchPairs).
	matchSeqs, matchUIDs []uint32
}

// parseSelectParams reads the optional select parameters after the mailbox
// name.
func parseSelectParams(d *imapwire.Decoder) selectParams {
	var p selectParams
	if d.Peek() != ' ' || !d.SP() {
		return p
	}
	for range d.List() {
		switch kw := d.Keyword(); kw {
		case "CONDSTORE":
			p.condstore = true
		case "QRESYNC":
			if p.qresync != nil {
				d.Errorf("QRESYNC given twice")
				break
			}
			d.ExpectSP()
			p.qresync = parseQResync(d)
		default:
			if d.Err() == nil {
				d.Errorf("unknown SELECT parameter %s (this server knows CONDSTORE and QRESYNC)", sanitize(kw))
			}
		}
	}
	return p
}

func parseQResync(d *imapwire.Decoder) *qresyncParams {
	q := &qresyncParams{}
	d.ExpectSpecial('(')
	q.validity = d.NZNumber()
	d.ExpectSP()
	q.modseq = d.ModSeq()
	if d.Peek() == ' ' && d.SP() && d.Peek() != '(' {
		q.known = staticSet(d, "known-uids")
		q.hasKnown = d.Err() == nil
		if d.Peek() == ' ' {
			d.ExpectSP()
		}
	}
	if d.Peek() == '(' {
		d.ExpectSpecial('(')
		seqs := staticSet(d, "known-sequence-set")
		d.ExpectSP()
		uids := staticSet(d, "known-uid-set")
		d.ExpectSpecial(')')
		if d.Err() == nil {
			n, m := setSize(seqs), setSize(uids)
			switch {
			case n != m:
				d.Errorf("seq-match-data pairs %d sequence numbers with %d UIDs", n, m)
			case n <= maxSeqMatchPairs:
				q.matchSeqs = appendNums(nil, seqs)
				q.matchUIDs = appendNums(nil, uids)
			}
		}
	}
	d.ExpectSpecial(')')
	return q
}

// staticSet reads a sequence set in which "*" and "$" are not allowed
// (RFC 7162 §7: known-uids, known-sequence-set, known-uid-set).
func staticSet(d *imapwire.Decoder, what string) imapwire.SeqSet {
	set := d.SequenceSet()
	if d.Err() == nil && (set.Dynamic() || set.IsSearchRes()) {
		d.Errorf(`%s may not use "*" or "$" (RFC 7162 §7)`, what)
	}
	return set
}

// setSize counts the numbers of a set without "*".
func setSize(set imapwire.SeqSet) uint64 {
	var n uint64
	for _, r := range set.RawRanges() {
		n += uint64(r.Stop) - uint64(r.Start) + 1
	}
	return n
}

func appendNums(dst []uint32, set imapwire.SeqSet) []uint32 {
	for n := range set.Nums(0) {
		dst = append(dst, n)
	}
	return dst
}

// checkSelectParams refuses QRESYNC before ENABLE QRESYNC (RFC 7162
// §3.2.5), before the current mailbox is left.
func (s *Session) checkSelectParams(p selectParams) error {
	if p.qresync != nil && !s.qresync {
		return bad("SELECT (QRESYNC ...) needs ENABLE QRESYNC first (RFC 7162 §3.2.5)")
	}
	return nil
}

// selectModSeq ends a SELECT or EXAMINE once CONDSTORE is on: OK
// [HIGHESTMODSEQ] (or [NOMODSEQ]) (RFC 7162 §3.1.2), then, for QRESYNC with
// the mailbox's UIDVALIDITY, what changed since the client's mod-sequence:
// VANISHED (EARLIER) and FETCH (UID FLAGS MODSEQ) (RFC 7162 §3.2.5.1).
func (s *Session) selectModSeq(c *cmd, p selectParams) error {
	if !s.condstore {
		return nil
	}
	sel := s.sel
	if sel.noModSeq {
		c.out.Untagged().Atom("OK").SP().Code("NOMODSEQ").CodeEnd().Text("This mailbox has no mod-sequences").CRLF()
		return nil
	}
	s.writeHighestModSeq(c.out)
	q := p.qresync
	if q == nil || q.validity != sel.validity {
		// A UIDVALIDITY mismatch: the rest is ignored, and the client
		// sees the new UIDVALIDITY above (RFC 7162 §3.2.5).
		return nil
	}
	known := q.known
	if !q.hasKnown {
		// "1:<maxuid>"; an empty set if the mailbox never had a message.
		known = imapwire.SeqSet{}
		if sel.uidNext > 1 {
			known.AddRange(1, sel.uidNext-1)
		}
	}
	if known.IsEmpty() {
		return nil
	}
	gone, err := s.vanishedEarlier(known, q.modseq, s.seqMatchFloor(q), nil)
	if err != nil {
		return err
	}
	if !gone.IsEmpty() {
		c.out.Untagged().Atom("VANISHED").SP().Atom("(EARLIER)").SP().SeqSet(gone).CRLF()
	}
	// The flag changes: as UID FETCH known (FLAGS) (CHANGEDSINCE modseq).
	spans, _, err := s.viewSpans(known, true)
	if err != nil {
		return err
	}
	f := &fetcher{s: s, out: c.out, items: []fetchItem{{FetchAtt: imapwire.FetchAtt{Name: "FLAGS"}}}, uid: true, modseq: true, changedSince: q.modseq}
	for _, sp := range spans {
		for i := sp.lo; i < sp.hi; i++ {
			if err := f.message(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// seqMatchFloor uses the message sequence match data (RFC 7162 §3.2.5.2):
// while the client's pairs of sequence number and UID match the mailbox,
// the client knows of every expunge up to that UID. It returns the UID of
// the last matching pair, 0 if none matches.
func (s *Session) seqMatchFloor(q *qresyncParams) uint32 {
	uids := s.sel.uids
	var floor uint32
	for i, seq := range q.matchSeqs {
		if seq == 0 || int(seq) > len(uids) || uids[seq-1] != q.matchUIDs[i] {
			break
		}
		floor = q.matchUIDs[i]
	}
	return floor
}

// vanishedEarlier returns the UIDs in set, above floor and not in except
// (ascending), that were expunged after the mod-sequence since: the data of VANISHED (EARLIER) (RFC 7162
// §3.2.6, §3.2.10.1). "*" in set stands for the highest UID the mailbox has
// given out, so that "1:*" covers expunges after the last message too.
// Messages the view still holds are left out: their expunge is reported
// with EXPUNGE or VANISHED when the session may. When the store no longer
// remembers expunges that old, every UID of the set the mailbox does not
// have is reported, as RFC 7162 §3.2.6 prescribes.
func (s *Session) vanishedEarlier(set imapwire.SeqSet, since uint64, floor uint32, except []uint32) (imapwire.SeqSet, error) {
	sel := s.sel
	top := sel.uidNext - 1
	var out imapwire.SeqSet
	uids, err := s.cfg.Store.Vanished(s.user, sel.name, since)
	switch {
	case err == nil:
		for _, uid := range uids {
			if _, ok := slices.BinarySearch(except, uid); !ok && uid > floor && set.Contains(uid, top) && sel.seqOf(uid) == 0 {
				out.AddNum(uid)
			}
		}
	case errors.Is(err, mailstore.ErrModSeqTooOld):
		for r := range set.Ranges(top) {
			lo, hi := max(r.Start, floor+1), min(r.Stop, top)
			if lo == 0 || lo > hi {
				continue
			}
			next := lo
			i, _ := slices.BinarySearch(sel.uids, lo)
			for ; i < len(sel.uids) && sel.uids[i] <= hi; i++ {
				if sel.uids[i] > next {
					out.AddRange(next, sel.uids[i]-1)
				}
				next = sel.uids[i] + 1
			}
			if next <= hi {
				out.AddRange(next, hi)
			}
		}
	default:
		return out, storeError(err)
	}
	return out, nil
}
