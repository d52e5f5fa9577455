package imap

import (
	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

func init() {
	register("STATUS", authed, (*Session).status)
	advertise("STATUS=SIZE")
}

// statusItems is a set of STATUS data items (RFC 9051 §6.3.11).
type statusItems uint16

// The STATUS data items, in the order the STATUS response gives them.
const (
	statusMessages statusItems = 1 << iota
	statusRecent               // IMAP4rev1 only (RFC 3501 §6.3.10)
	statusUIDNext
	statusUIDValidity
	statusUnseen
	statusDeleted       // RFC 9051 §6.3.11
	statusSize          // RFC 8438 §3 (STATUS=SIZE), RFC 9051 §6.3.11
	statusHighestModSeq // RFC 7162 §3.1.6 (CONDSTORE)
)

var statusItemNames = [...]struct {
	item statusItems
	name string
}{
	{statusMessages, "MESSAGES"},
	{statusRecent, "RECENT"},
	{statusUIDNext, "UIDNEXT"},
	{statusUIDValidity, "UIDVALIDITY"},
	{statusUnseen, "UNSEEN"},
	{statusDeleted, "DELETED"},
	{statusSize, "SIZE"},
	{statusHighestModSeq, "HIGHESTMODSEQ"},
}

// readStatusItems reads "(" status-att *(SP status-att) ")" (RFC 9051 §9),
// for STATUS and for LIST's STATUS return option (RFC 5819 §2). An unknown
// item, an empty list, or RECENT once the client enabled IMAP4rev2 (which
// has no \Recent, RFC 9051 Appendix E) is a syntax error. An item given
// twice is answered once.
func (s *Session) readStatusItems(d *imapwire.Decoder) statusItems {
	var items statusItems
	for range d.List() {
		kw := d.Keyword()
		if d.Err() != nil {
			return 0
		}
		found := false
		for _, n := range statusItemNames {
			if n.name == kw {
				items |= n.item
				found = true
			}
		}
		switch {
		case !found:
			d.Errorf("unknown STATUS data item %s", sanitize(kw))
		case kw == "RECENT" && s.rev2:
			d.Errorf("RECENT is not a STATUS data item in IMAP4rev2")
		}
	}
	if d.Err() == nil && items == 0 {
		d.Errorf("STATUS needs at least one data item")
	}
	return items
}

// status answers STATUS (RFC 9051 §6.3.11, RFC 3501 §6.3.10). The selected
// mailbox may be asked about too.
func (s *Session) status(c *cmd) error {
	c.dec.ExpectSP()
	name := s.mailboxArg(c)
	c.dec.ExpectSP()
	items := s.readStatusItems(c.dec)
	if !c.dec.ExpectEOL() {
		return nil
	}
	if err := checkName(name); err != nil {
		return err
	}
	st, err := s.mailboxStatus(name)
	if err != nil {
		return storeError(err)
	}
	if items&statusHighestModSeq != 0 {
		// RFC 7162 §3.1: asking for HIGHESTMODSEQ turns CONDSTORE on.
		s.enableCondStore(c.out)
	}
	writeStatus(c.out, name, items, st)
	return nil
}

// mailboxStatus returns a mailbox's counters. The store counts as recent
// the messages no session has claimed; for the selected mailbox the ones
// this session holds as \Recent count too.
func (s *Session) mailboxStatus(name string) (mailstore.Status, error) {
	st, err := s.cfg.Store.Status(s.user, name)
	if err != nil {
		return st, err
	}
	if s.sel != nil && s.sel.name == name {
		st.Recent += len(s.sel.recent)
	}
	return st, nil
}

// writeStatus writes an untagged STATUS response.
func writeStatus(e *imapwire.Encoder, name string, items statusItems, st mailstore.Status) {
	e.Untagged().Atom("STATUS").SP().Mailbox(name).SP().BeginList()
	first := true
	for _, n := range statusItemNames {
		if items&n.item == 0 {
			continue
		}
		if !first {
			e.SP()
		}
		first = false
		e.Atom(n.name).SP()
		switch n.item {
		case statusMessages:
			e.Number(uint32(st.Messages))
		case statusRecent:
			e.Number(uint32(st.Recent))
		case statusUIDNext:
			e.Number(st.UIDNext)
		case statusUIDValidity:
			e.Number(st.UIDValidity)
		case statusUnseen:
			e.Number(uint32(st.Unseen))
		case statusDeleted:
			e.Number(uint32(st.Deleted))
		case statusSize:
			e.Number64(uint64(st.Size))
		case statusHighestModSeq:
			e.Number64(st.HighestModSeq)
		}
	}
	e.EndList().CRLF()
}
