package mailstore

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/hack-pad/hackpadfs"
)

// StoreOp says how StoreFlags combines the given flags with a message's
// own (RFC 3501 §6.4.6).
type StoreOp int

// The STORE operations.
const (
	StoreReplace StoreOp = iota + 1 // FLAGS: the message gets exactly these
	StoreAdd                        // +FLAGS
	StoreRemove                     // -FLAGS
)

func (op StoreOp) String() string {
	switch op {
	case StoreReplace:
		return "FLAGS"
	case StoreAdd:
		return "+FLAGS"
	case StoreRemove:
		return "-FLAGS"
	}
	return fmt.Sprintf("StoreOp(%d)", int(op))
}

// Unconditional, passed to StoreFlags as unchangedSince, stores whatever
// the messages' mod-sequences are: none is above it. (Zero is not "no
// condition": UNCHANGEDSINCE 0 fails for every message, RFC 7162 §3.1.3.)
const Unconditional uint64 = math.MaxUint64

// StoreFlags changes the flags of the messages with the given UIDs in one
// pass: IMAP's STORE and UID STORE, with CONDSTORE's UNCHANGEDSINCE (RFC
// 7162 §3.1.3). A message whose mod-sequence is above unchangedSince is
// left alone and listed in failed; pass Unconditional for a plain STORE.
// UIDs that do not exist (any more) are skipped.
//
// results lists every other message in uids, ascending by UID, with its
// flags and mod-sequence afterwards and whether it changed. All messages
// that changed share one new mod-sequence. One FlagsChanged is published
// for them, preceded by a KeywordsChanged when the operation defined new
// keywords. A keyword that would exceed MaxKeywords fails the whole call
// with ErrTooManyKeywords before anything changes; keywords that a
// StoreRemove names but the mailbox does not know are ignored.
func (s *Store) StoreFlags(user, name string, uids []uint32, op StoreOp, flags []Flag, unchangedSince uint64) (results []MessageFlags, failed []uint32, err error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, nil, err
	}
	return mb.storeFlags(uids, op, flags, unchangedSince)
}

func (mb *mailbox) storeFlags(uids []uint32, op StoreOp, flags []Flag, since uint64) ([]MessageFlags, []uint32, error) {
	if op < StoreReplace || op > StoreRemove {
		return nil, nil, fmt.Errorf("mailstore: store flags: unknown operation %v", op)
	}
	flags, err := normalizeFlags(flags)
	if err != nil {
		return nil, nil, err
	}
	uids = slices.Clone(uids)
	slices.Sort(uids)
	uids = slices.Compact(uids)

	mb.mu.Lock()
	if err := mb.goneLocked(); err != nil {
		mb.mu.Unlock()
		return nil, nil, err
	}
	todo := make([]*record, 0, len(uids))
	var failed []uint32
	for _, uid := range uids {
		i := mb.find(uid)
		if i < 0 {
			continue
		}
		if r := mb.msgs[i]; r.ModSeq > since {
			failed = append(failed, uid)
		} else {
			todo = append(todo, r)
		}
	}
	if op != StoreRemove && len(todo) > 0 {
		added, err := mb.defineKeywordsLocked(flags)
		if err != nil {
			mb.mu.Unlock()
			return nil, nil, err
		}
		if len(added) > 0 {
			mb.emitLocked(mb.keywordsChangeLocked())
		}
	}
	want := mb.canonicalLocked(flags)

	results := make([]MessageFlags, 0, len(todo))
	change := Change{Kind: FlagsChanged}
	var log bytes.Buffer
	var firstErr error
	for _, r := range todo {
		next := applyStore(op, r.Flags, want)
		if equalFlags(next, r.Flags) {
			results = append(results, MessageFlags{UID: r.UID, Flags: cloneFlags(r.Flags), ModSeq: r.ModSeq})
			continue
		}
		// Maildir says a message whose flags are known lives in cur/.
		file := "cur/" + r.Key + ":2," + infoFromFlags(next, r.extra, &mb.keywords)
		if err := hackpadfs.Rename(mb.store.fs, mb.path(r.file), mb.path(file)); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if change.ModSeq == 0 {
			change.ModSeq = mb.nextModSeqLocked()
		}
		r.file, r.Flags, r.ModSeq = file, next, change.ModSeq
		mb.dropViewLocked()
		appendStateLine(&log, r)
		mf := MessageFlags{UID: r.UID, Flags: cloneFlags(next), ModSeq: r.ModSeq, Changed: true}
		results = append(results, mf)
		change.UIDs = append(change.UIDs, r.UID)
		change.Messages = append(change.Messages, MessageFlags{UID: r.UID, Flags: cloneFlags(next), ModSeq: r.ModSeq, Changed: true})
	}
	if len(change.UIDs) > 0 {
		mb.emitLocked(change)
	}
	logErr := mb.logLocked(log.Bytes())
	mb.mu.Unlock()
	mb.flush()
	if firstErr != nil {
		return results, failed, mb.errorf("store flags", firstErr)
	}
	return results, failed, logErr
}

// applyStore computes a message's flags after a STORE; want is canonical
// and sorted, and so is the result.
func applyStore(op StoreOp, have, want []Flag) []Flag {
	var out []Flag
	switch op {
	case StoreReplace:
		out = cloneFlags(want)
	case StoreAdd:
		out = cloneFlags(have)
		for _, f := range want {
			if !hasFlag(out, f) {
				out = append(out, f)
			}
		}
	case StoreRemove:
		for _, f := range have {
			if !hasFlag(want, f) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sortFlags(out)
	return out
}
