package mailstore

import (
	"bytes"
	"errors"
	"slices"
	"strconv"

	"github.com/hack-pad/hackpadfs"
)

// CopyResult is what UIDPLUS's COPYUID response code reports (RFC 4315
// §3): the destination's UIDVALIDITY and, pair by pair, the source UIDs and
// the UIDs their copies got.
type CopyResult struct {
	UIDValidity uint32
	// SourceUIDs are ascending; DestUIDs[i] is the copy of SourceUIDs[i].
	SourceUIDs []uint32
	DestUIDs   []uint32
}

// Copy copies the messages with the given UIDs from one of the user's
// mailboxes to another (IMAP COPY, RFC 3501 §6.4.7), keeping their flags and
// internal dates. The copies are new messages of the destination: fresh
// UIDs and mod-sequences, \Recent there, their files in cur/ as a
// client's (see NewMessage.Client). UIDs that do not exist (any more)
// are skipped. It copies all or nothing: on failure the destination is as
// it was. from and to may be the same mailbox.
func (s *Store) Copy(user, from, to string, uids []uint32) (CopyResult, error) {
	src, err := s.mailbox(user, from, false)
	if err != nil {
		return CopyResult{}, err
	}
	dst, err := s.mailbox(user, to, false)
	if err != nil {
		return CopyResult{}, err
	}
	uids = slices.Clone(uids)
	slices.Sort(uids)
	uids = slices.Compact(uids)

	src.mu.Lock()
	if err := src.goneLocked(); err != nil {
		src.mu.Unlock()
		return CopyResult{}, err
	}
	var picked []Message
	for _, uid := range uids {
		if i := src.find(uid); i >= 0 {
			m := src.msgs[i].Message
			m.Flags = cloneFlags(m.Flags)
			picked = append(picked, m)
		}
	}
	src.mu.Unlock()

	// One message in memory at a time: read it, write it to the
	// destination's tmp/, go on; then one commit for all.
	var res CopyResult
	recs := make([]*record, 0, len(picked))
	for _, m := range picked {
		data, err := src.readUID(m.UID, false)
		if errors.Is(err, ErrNoMessage) {
			continue // expunged meanwhile
		}
		if err == nil {
			var r *record
			r, err = dst.prepare(NewMessage{Raw: data, Flags: m.Flags, InternalDate: m.InternalDate, Client: true})
			if err == nil {
				recs = append(recs, r)
				res.SourceUIDs = append(res.SourceUIDs, m.UID)
				continue
			}
		}
		dst.cleanupTmp(recs)
		return CopyResult{}, err
	}
	res.DestUIDs, err = dst.commit(recs, nil)
	if err != nil {
		return CopyResult{}, err
	}
	if len(recs) == 0 {
		res.DestUIDs = nil
	}
	dst.mu.Lock()
	res.UIDValidity = dst.uidValidity
	dst.mu.Unlock()
	return res, nil
}

// Move moves the messages with the given UIDs from one of the user's
// mailboxes to another (IMAP MOVE, RFC 6851): their files are renamed into
// the destination's cur/ (a client moved them, see NewMessage.Client),
// which gives them fresh UIDs and mod-sequences and shows them as \Recent,
// and the source expunges them with one mod-sequence. Both mailboxes are
// locked throughout, so no session sees a message in both or
// in neither, and a failure leaves both as they were. Watchers of the
// destination hear Appended before watchers of the source hear Expunged,
// the order in which RFC 6851 §4.3 reports COPYUID and EXPUNGE. UIDs that
// do not exist (any more) are skipped; from and to may be the same mailbox,
// in which case the messages get new UIDs there.
func (s *Store) Move(user, from, to string, uids []uint32) (CopyResult, error) {
	src, err := s.mailbox(user, from, false)
	if err != nil {
		return CopyResult{}, err
	}
	dst, err := s.mailbox(user, to, false)
	if err != nil {
		return CopyResult{}, err
	}
	uids = slices.Clone(uids)
	slices.Sort(uids)
	uids = slices.Compact(uids)

	unlock := lockPair(src, dst)
	res, err := moveLocked(src, dst, uids)
	unlock()
	dst.flush()
	src.flush()
	return res, err
}

// lockPair locks two mailboxes (or one, if they are the same) in name
// order, the store's lock order for mailbox pairs.
func lockPair(a, b *mailbox) (unlock func()) {
	if a == b {
		a.mu.Lock()
		return a.mu.Unlock
	}
	if b.name < a.name {
		a, b = b, a
	}
	a.mu.Lock()
	b.mu.Lock()
	return func() {
		b.mu.Unlock()
		a.mu.Unlock()
	}
}

func moveLocked(src, dst *mailbox, uids []uint32) (CopyResult, error) {
	if err := src.goneLocked(); err != nil {
		return CopyResult{}, err
	}
	if err := dst.goneLocked(); err != nil {
		return CopyResult{}, err
	}
	res := CopyResult{UIDValidity: dst.uidValidity}
	var picked []*record
	for _, uid := range uids {
		if i := src.find(uid); i >= 0 {
			picked = append(picked, src.msgs[i])
		}
	}
	if len(picked) == 0 {
		return res, nil
	}
	sets := make([][]Flag, len(picked))
	for i, r := range picked {
		sets[i] = r.Flags
	}
	added, err := dst.defineKeywordsLocked(sets...)
	if err != nil {
		return CopyResult{}, err
	}
	if len(added) > 0 {
		dst.emitLocked(dst.keywordsChangeLocked())
	}

	// Rename the files; undo them all if one fails.
	fs := src.store.fs
	moved := make([]*record, len(picked))
	for i, r := range picked {
		n := &record{Message: r.Message, extra: r.extra}
		if src != dst {
			n.extra = withoutKeywordLetters(r.extra)
		}
		n.Flags = dst.canonicalLocked(r.Flags)
		// A client moved it, so it goes to cur/ as Copy's copies do.
		n.file = "cur/" + r.Key + ":2," + infoFromFlags(n.Flags, n.extra, &dst.keywords)
		if src.path(r.file) != dst.path(n.file) {
			if err := hackpadfs.Rename(fs, src.path(r.file), dst.path(n.file)); err != nil {
				for j := i - 1; j >= 0; j-- {
					if src.path(picked[j].file) != dst.path(moved[j].file) {
						_ = hackpadfs.Rename(fs, dst.path(moved[j].file), src.path(picked[j].file))
					}
				}
				return CopyResult{}, src.errorf("move to "+dst.name, err)
			}
		}
		moved[i] = n
	}

	// The source forgets them...
	gone := make(map[uint32]bool, len(picked))
	for _, r := range picked {
		gone[r.UID] = true
		res.SourceUIDs = append(res.SourceUIDs, r.UID)
		src.store.cache.drop(src.dir + "/" + r.Key)
	}
	kept := make([]*record, 0, len(src.msgs)-len(picked))
	for _, r := range src.msgs {
		if !gone[r.UID] {
			kept = append(kept, r)
		}
	}
	src.msgs = kept
	src.dropViewLocked()
	srcErr := src.recordExpungeLocked(slices.Clone(res.SourceUIDs))

	// ...and the destination gains them.
	var lines, log bytes.Buffer
	for _, n := range moved {
		n.UID = dst.uidNext
		dst.uidNext++
		n.ModSeq = dst.nextModSeqLocked()
		dst.msgs = append(dst.msgs, n)
		res.DestUIDs = append(res.DestUIDs, n.UID)
		lines.WriteString(strconv.FormatUint(uint64(n.UID), 10))
		lines.WriteByte(' ')
		lines.WriteString(n.Key)
		lines.WriteByte('\n')
		appendStateLine(&log, n)
	}
	dstErr := dst.store.appendFile(dst.uidlistPath, lines.Bytes())
	if dstErr != nil {
		dstErr = dst.errorf("move: write uid list", dstErr)
	} else {
		dstErr = dst.logLocked(log.Bytes())
	}
	dst.appendViewLocked(moved)
	dst.emitLocked(Change{Kind: Appended, UIDs: slices.Clone(res.DestUIDs)})
	// Appended must reach watchers before Expunged, but both were queued
	// on their own mailbox; when they are one mailbox, put Appended first.
	if src == dst {
		n := len(src.outbox)
		src.outbox[n-2], src.outbox[n-1] = src.outbox[n-1], src.outbox[n-2]
	}
	return res, errors.Join(srcErr, dstErr)
}
