package mailstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/hack-pad/hackpadfs"
)

// modseqName is the per-mailbox log of mod-sequences (RFC 7162). It is
// appended to as messages arrive, change flags or go, and rewritten in full
// only when it has grown to several times the mailbox (compaction), so a
// flag change costs one short append however big the mailbox is:
//
//	wirelab-modseq 1 H<highest> F<floor> R<first recent UID>
//	<uid> <modseq> [<info letters>]   a message's state from <modseq> on
//	-<uid> <modseq>                   the message was expunged at <modseq>
//	R <uid>                           UIDs below <uid> have been claimed as \Recent
//
// The last line for a UID wins. The info letters are the message file's
// Maildir flags at that mod-sequence: a file whose letters differ when the
// mailbox is opened changed behind the store's back (another program, or a
// crash between a rename and its log line) and gets a fresh mod-sequence.
// A line without its newline is a torn write and is ignored; the log is
// then rewritten.
const modseqName = "wirelab-modseq"

// modseqVersion is the format version in the log's header.
const modseqVersion = 1

// DefaultVanishedHistory is how many expunged UIDs a mailbox remembers with
// their mod-sequences for QRESYNC's VANISHED (EARLIER) (RFC 7162 §3.2.5.2),
// unless Options.VanishedHistory says otherwise. A client whose known
// mod-sequence is older than the oldest remembered expunge gets
// ErrModSeqTooOld from Vanished, and the server falls back to comparing UID
// sets (RFC 7162 §3.2.5.2: the server MAY send all UIDs it no longer has).
// 10,000 lines of "-uid modseq" are about 200 KB.
const DefaultVanishedHistory = 10000

// modseqLogSlack is how many lines a log may hold beyond twice the mailbox's
// messages and history before it is compacted.
const modseqLogSlack = 1024

type modseqEntry struct {
	modseq uint64
	info   string
}

type vanishedUID struct {
	uid    uint32
	modseq uint64
}

// modseqLog is a parsed log.
type modseqLog struct {
	exists    bool
	torn      bool
	lines     int
	highest   uint64
	floor     uint64
	recent    uint32
	hasRecent bool
	entries   map[uint32]modseqEntry
	history   []vanishedUID
}

// readModSeqLog parses the mailbox's log; a missing one gives exists=false.
func (mb *mailbox) readModSeqLog() (*modseqLog, error) {
	l := &modseqLog{entries: make(map[uint32]modseqEntry)}
	data, err := hackpadfs.ReadFile(mb.store.fs, mb.modseqPath)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, mb.errorf("read modseq log", err)
	}
	l.exists = true
	if n := len(data); n > 0 && data[n-1] != '\n' {
		l.torn = true
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	first := true
	for sc.Scan() {
		text := sc.Text()
		l.lines++
		fields := strings.Fields(text)
		if first {
			first = false
			if len(fields) >= 2 && fields[0] == modseqName {
				if fields[1] != strconv.Itoa(modseqVersion) {
					return nil, mb.errorf("read modseq log", fmt.Errorf("%s: unknown version %s", modseqName, fields[1]))
				}
				for _, f := range fields[2:] {
					v, err := strconv.ParseUint(f[1:], 10, 64)
					if err != nil {
						continue
					}
					switch f[0] {
					case 'H':
						l.highest = max(l.highest, v)
					case 'F':
						l.floor = v
					case 'R':
						l.recent, l.hasRecent = uint32(v), true
					}
				}
				continue
			}
		}
		switch {
		case len(fields) == 2 && fields[0] == "R":
			if v, err := strconv.ParseUint(fields[1], 10, 32); err == nil {
				l.recent, l.hasRecent = max(l.recent, uint32(v)), true
			}
		case (len(fields) == 2 || len(fields) == 3) && strings.HasPrefix(fields[0], "-"):
			uid, err1 := strconv.ParseUint(fields[0][1:], 10, 32)
			ms, err2 := strconv.ParseUint(fields[1], 10, 64)
			if err1 != nil || err2 != nil || uid == 0 {
				continue
			}
			delete(l.entries, uint32(uid))
			l.history = append(l.history, vanishedUID{uint32(uid), ms})
			l.highest = max(l.highest, ms)
		case len(fields) == 2 || len(fields) == 3:
			uid, err1 := strconv.ParseUint(fields[0], 10, 32)
			ms, err2 := strconv.ParseUint(fields[1], 10, 64)
			if err1 != nil || err2 != nil || uid == 0 || ms == 0 {
				continue
			}
			e := modseqEntry{modseq: ms}
			if len(fields) == 3 {
				e.info = fields[2]
			}
			l.entries[uint32(uid)] = e
			l.highest = max(l.highest, ms)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, mb.errorf("read modseq log", err)
	}
	sort.SliceStable(l.history, func(i, j int) bool { return l.history[i].modseq < l.history[j].modseq })
	return l, nil
}

func appendStateLine(b *bytes.Buffer, r *record) {
	b.WriteString(strconv.FormatUint(uint64(r.UID), 10))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(r.ModSeq, 10))
	if info := infoOf(r.file); info != "" {
		b.WriteByte(' ')
		b.WriteString(info)
	}
	b.WriteByte('\n')
}

func appendExpungeLine(b *bytes.Buffer, uid uint32, modseq uint64) {
	fmt.Fprintf(b, "-%d %d\n", uid, modseq)
}

// logLocked appends lines to the log, compacting it when it has grown.
func (mb *mailbox) logLocked(lines []byte) error {
	if len(lines) == 0 {
		return nil
	}
	if err := mb.store.appendFile(mb.modseqPath, lines); err != nil {
		return mb.errorf("write modseq log", err)
	}
	mb.logLines += bytes.Count(lines, []byte{'\n'})
	if mb.logLines > 2*(len(mb.msgs)+len(mb.history))+modseqLogSlack {
		return mb.compactLogLocked()
	}
	return nil
}

// compactLogLocked rewrites the log with one line per message and per
// remembered expunge.
func (mb *mailbox) compactLogLocked() error {
	var b bytes.Buffer
	b.Grow(32 * (len(mb.msgs) + len(mb.history) + 1))
	fmt.Fprintf(&b, "%s %d H%d F%d R%d\n", modseqName, modseqVersion, mb.highestModSeq, mb.historyFloor, mb.firstRecent)
	for _, v := range mb.history {
		appendExpungeLine(&b, v.uid, v.modseq)
	}
	for _, r := range mb.msgs {
		appendStateLine(&b, r)
	}
	if err := mb.store.writeFileAtomic(mb.modseqPath, b.Bytes()); err != nil {
		return mb.errorf("write modseq log", err)
	}
	mb.logLines = 1 + len(mb.history) + len(mb.msgs)
	return nil
}

// forgetLocked records expunged UIDs at modseq in the history, dropping
// the oldest entries beyond the store's limit.
func (mb *mailbox) forgetLocked(uids []uint32, modseq uint64) {
	for _, u := range uids {
		mb.history = append(mb.history, vanishedUID{u, modseq})
	}
	mb.trimHistoryLocked()
}

func (mb *mailbox) trimHistoryLocked() {
	limit := mb.store.historyLimit
	if over := len(mb.history) - limit; over > 0 {
		mb.historyFloor = max(mb.historyFloor, mb.history[over-1].modseq)
		mb.history = append(mb.history[:0:0], mb.history[over:]...)
	}
}

// nextModSeqLocked raises HIGHESTMODSEQ and returns it.
func (mb *mailbox) nextModSeqLocked() uint64 {
	mb.highestModSeq++
	return mb.highestModSeq
}

// Vanished returns the UIDs expunged from a mailbox with a mod-sequence
// greater than since, ascending: what QRESYNC reports as VANISHED (EARLIER)
// (RFC 7162 §3.2.5.2). When the mailbox no longer remembers every expunge
// after since (see DefaultVanishedHistory) it fails with ErrModSeqTooOld.
func (s *Store) Vanished(user, name string, since uint64) ([]uint32, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, err
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.deleted {
		return nil, fmt.Errorf("%w: %q", ErrNoMailbox, mb.name)
	}
	if since < mb.historyFloor {
		return nil, fmt.Errorf("%w: %d; %s/%s remembers expunges after %d", ErrModSeqTooOld, since, mb.user, mb.name, mb.historyFloor)
	}
	i := sort.Search(len(mb.history), func(i int) bool { return mb.history[i].modseq > since })
	out := make([]uint32, 0, len(mb.history)-i)
	for _, v := range mb.history[i:] {
		out = append(out, v.uid)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
