package mailstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hack-pad/hackpadfs"
)

// uidlistName is the per-mailbox file that keeps UIDs across restarts.
const uidlistName = "wirelab-uidlist"

// uidlistVersion is the format version written in the uidlist header.
const uidlistVersion = 1

// uidlistSlack is how many lines naming expunged messages the uidlist may
// carry beyond the number of live ones before an expunge rewrites it. The
// lines are harmless (their files are gone) and are dropped at the next
// rewrite, so expunging from a big mailbox does not rewrite its list.
const uidlistSlack = 1024

// Message describes one stored message.
type Message struct {
	UID   uint32
	Flags []Flag
	// Size is the message's length as stored.
	Size int64
	// VSize is its length with every line ending as CRLF: the octet count
	// POP3's LIST (RFC 1939 §5) and IMAP's RFC822.SIZE report.
	VSize int64
	// InternalDate is when the message arrived (RFC 3501 §2.3.3), kept as the
	// file's modification time as Dovecot does.
	InternalDate time.Time
	// Key is the message's Maildir base name, stable across flag changes.
	Key string
	// ModSeq is the message's mod-sequence (RFC 7162 §3.1): raised when it
	// arrives and whenever its flags change.
	ModSeq uint64
}

// Status holds a mailbox's counters.
type Status struct {
	Messages    int
	Unseen      int
	UIDNext     uint32
	UIDValidity uint32
	// Recent counts the messages no session has claimed as \Recent yet
	// (RFC 3501 §2.3.2).
	Recent int
	// HighestModSeq is the mailbox's HIGHESTMODSEQ (RFC 7162 §3.1.2.1).
	HighestModSeq uint64
	// Size is the total of the messages' RFC822.SIZE (STATUS SIZE, RFC
	// 8438).
	Size int64
	// Deleted counts the messages flagged \Deleted (STATUS DELETED, RFC
	// 9051 §6.3.11).
	Deleted int
}

// record is the in-memory index entry of a message.
type record struct {
	Message
	file  string // path relative to the mailbox directory: new/<key> or cur/<key>:2,<info>
	extra string // info letters wirelab does not interpret, kept on renames
}

type mailbox struct {
	store *Store
	user  string
	name  string
	dir   string
	// The files every delivery appends to, by their paths.
	uidlistPath, modseqPath string

	mu   sync.Mutex
	msgs []*record // in UID order
	// view is msgs as Messages, shared read-only with the sessions that
	// selected the mailbox (Snapshot.Messages), valid when viewOK. Appends
	// extend it; any other change of msgs or of a record's Message drops
	// it (dropViewLocked), and the next Select builds it again. So the
	// SELECT that follows an import copies nothing.
	view        []Message
	viewOK      bool
	uidValidity uint32
	uidNext     uint32
	deleted     bool

	keywords      keywordTable
	highestModSeq uint64
	history       []vanishedUID // expunges in mod-sequence order
	historyFloor  uint64        // expunges at or below it are forgotten
	firstRecent   uint32        // UIDs from here on are \Recent, unclaimed
	logLines      int           // lines in the modseq log
	deadLines     int           // uidlist lines of expunged messages
	reserved      uint32        // keyword letters files use without a name

	outbox     []Change // published by flush, in order
	delivering bool

	// stamp lets Refresh skip the rescan when new/ and cur/ have not
	// changed since the last one (refresh.go).
	stamp dirStamp
}

// path returns rel (a clean relative name such as "cur/<file>") under the
// mailbox directory. Both are clean, so plain concatenation is path.Join,
// without its cost on every message.
func (mb *mailbox) path(rel string) string { return mb.dir + "/" + rel }

func (mb *mailbox) errorf(op string, err error) error {
	return fmt.Errorf("mailstore: %s %s/%s: %w", op, mb.user, mb.name, err)
}

func (mb *mailbox) goneLocked() error {
	if mb.deleted {
		return fmt.Errorf("%w: %q", ErrNoMailbox, mb.name)
	}
	return nil
}

// load reads the uidlist and scans the directories.
func (mb *mailbox) load() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	_, err := mb.scanLocked()
	return err
}

// scanLocked reconciles the in-memory index with the files on disk, the
// uidlist, the keyword table and the modseq log. It returns what changed so
// refresh can publish it; the first scan of a mailbox reports nothing.
func (mb *mailbox) scanLocked() (changes []Change, err error) {
	first := mb.uidValidity == 0
	kw, err := mb.readKeywords()
	if err != nil {
		return nil, err
	}
	oldKeywords := mb.keywords.list()
	mb.keywords = kw
	ul, err := mb.readUIDList()
	if err != nil {
		return nil, err
	}
	onDisk, err := mb.readFiles()
	if err != nil {
		return nil, err
	}
	mb.reserved = 0
	for _, r := range onDisk {
		mb.reserved |= reservedLetters(r.extra)
	}
	validity, next := ul.validity, ul.next
	rewrite := validity == 0 || ul.torn
	if validity == 0 {
		validity = mb.store.nextUIDValidity()
		next = 1
	}
	for _, uid := range ul.known {
		if uid >= next {
			next = uid + 1
		}
	}
	if next < mb.uidNext {
		next = mb.uidNext // never hand out a UID twice, whatever the file says
	}

	var unknown []*record
	byUID := make([]*record, 0, len(onDisk))
	for key, r := range onDisk {
		if uid, ok := ul.known[key]; ok {
			r.UID = uid
			byUID = append(byUID, r)
		} else {
			unknown = append(unknown, r)
		}
	}
	if len(byUID) != len(ul.known) {
		rewrite = true // some listed messages are gone
	}
	sort.Slice(byUID, func(i, j int) bool { return byUID[i].UID < byUID[j].UID })
	// New files get UIDs in name order, which for Maildir names is arrival
	// order.
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].Key < unknown[j].Key })
	for _, r := range unknown {
		r.UID = next
		next++
		byUID = append(byUID, r)
		rewrite = true
	}

	// Mod-sequences: what each message's flags were at its last known
	// mod-sequence, from the log on the first scan and from memory after.
	var log *modseqLog
	var prior map[uint32]modseqEntry
	highest := max(ul.modseq, mb.highestModSeq)
	if first {
		if log, err = mb.readModSeqLog(); err != nil {
			return nil, err
		}
		highest = max(highest, log.highest)
		if ul.validity == 0 {
			// The UIDs start again under a new UIDVALIDITY: what the log
			// says about the old ones means nothing now. Keep only its
			// HIGHESTMODSEQ, which never goes back.
			log.entries, log.history, log.exists = map[uint32]modseqEntry{}, nil, false
		}
		prior = log.entries
		mb.history, mb.historyFloor, mb.logLines = log.history, log.floor, log.lines
		mb.trimHistoryLocked()
	} else {
		prior = make(map[uint32]modseqEntry, len(mb.msgs))
		for _, r := range mb.msgs {
			prior[r.UID] = modseqEntry{r.ModSeq, infoOf(r.file)}
		}
	}
	var added, flagged []*record
	for _, r := range byUID {
		e, ok := prior[r.UID]
		delete(prior, r.UID)
		switch {
		case ok && e.info == infoOf(r.file):
			r.ModSeq = e.modseq
		case ok:
			flagged = append(flagged, r)
		default:
			added = append(added, r)
		}
	}
	gone := make([]uint32, 0, len(prior))
	for uid := range prior {
		gone = append(gone, uid)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })

	mb.highestModSeq = highest
	var lines bytes.Buffer
	var expungeSeq, flagSeq uint64
	if len(gone) > 0 {
		expungeSeq = mb.nextModSeqLocked()
		for _, uid := range gone {
			appendExpungeLine(&lines, uid, expungeSeq)
		}
		mb.forgetLocked(gone, expungeSeq)
	}
	if len(flagged) > 0 {
		flagSeq = mb.nextModSeqLocked()
		for _, r := range flagged {
			r.ModSeq = flagSeq
			appendStateLine(&lines, r)
		}
	}
	for _, r := range added {
		r.ModSeq = mb.nextModSeqLocked()
		appendStateLine(&lines, r)
	}
	if mb.highestModSeq == 0 {
		mb.highestModSeq = 1 // a mod-sequence is positive (RFC 7162 §7)
	}

	if first {
		changes = nil
	} else {
		changes = mb.diffLocked(oldKeywords, gone, expungeSeq, flagged, flagSeq, added)
	}
	mb.msgs = byUID
	mb.buildViewLocked()
	mb.uidValidity = validity
	mb.uidNext = next
	if first {
		switch {
		case log.hasRecent:
			mb.firstRecent = min(log.recent, next)
		default:
			// No log: a Maildir from elsewhere. What is still in new/ has
			// not been seen by any client.
			mb.firstRecent = next
			for _, r := range byUID {
				if strings.HasPrefix(r.file, "new/") {
					mb.firstRecent = min(mb.firstRecent, r.UID)
				}
			}
		}
		if !log.exists {
			// Expunges before now are unknown.
			mb.historyFloor = mb.highestModSeq
		}
	}
	if rewrite {
		if err := mb.writeUIDListLocked(); err != nil {
			return changes, err
		}
	}
	if first && (!log.exists || log.torn || mb.logLines > 2*(len(mb.msgs)+len(mb.history))+modseqLogSlack) {
		err = mb.compactLogLocked()
	} else {
		err = mb.logLocked(lines.Bytes())
	}
	return changes, err
}

// diffLocked turns what a rescan found into changes for the feed.
func (mb *mailbox) diffLocked(oldKeywords []Flag, gone []uint32, expungeSeq uint64, flagged []*record, flagSeq uint64, added []*record) []Change {
	var changes []Change
	if !equalFlags(oldKeywords, mb.keywords.list()) {
		changes = append(changes, mb.keywordsChangeLocked())
	}
	if len(gone) > 0 {
		changes = append(changes, Change{Kind: Expunged, UIDs: gone, ModSeq: expungeSeq})
	}
	if len(flagged) > 0 {
		c := Change{Kind: FlagsChanged, ModSeq: flagSeq}
		sort.Slice(flagged, func(i, j int) bool { return flagged[i].UID < flagged[j].UID })
		for _, r := range flagged {
			c.UIDs = append(c.UIDs, r.UID)
			c.Messages = append(c.Messages, MessageFlags{UID: r.UID, Flags: cloneFlags(r.Flags), ModSeq: r.ModSeq, Changed: true})
		}
		changes = append(changes, c)
	}
	if len(added) > 0 {
		c := Change{Kind: Appended}
		for _, r := range added {
			c.UIDs = append(c.UIDs, r.UID)
		}
		changes = append(changes, c)
	}
	for i := range changes {
		changes[i].User, changes[i].Mailbox = mb.user, mb.name
	}
	return changes
}

func cloneFlags(f []Flag) []Flag {
	if len(f) == 0 {
		return nil
	}
	return append([]Flag(nil), f...)
}

// uidList is a parsed uidlist.
type uidList struct {
	known    map[string]uint32 // base name -> UID
	validity uint32            // 0: no list
	next     uint32
	modseq   uint64 // HIGHESTMODSEQ when the list was written
	torn     bool   // the last line lacks its newline
}

// readUIDList parses the uidlist file. A missing file falls back to
// Dovecot's list, and then to validity 0.
func (mb *mailbox) readUIDList() (uidList, error) {
	ul := uidList{known: make(map[string]uint32)}
	data, err := hackpadfs.ReadFile(mb.store.fs, mb.uidlistPath)
	if errors.Is(err, fs.ErrNotExist) {
		ul.known, ul.validity, ul.next, err = mb.readDovecotUIDList()
		return ul, err
	}
	if err != nil {
		return ul, mb.errorf("read uid list", err)
	}
	if n := len(data); n > 0 && data[n-1] != '\n' {
		// A crash cut the last line short: drop it, and its message (if
		// its file exists) gets a UID again.
		ul.torn = true
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	bad := func(msg string) error {
		return mb.errorf("read uid list", fmt.Errorf("%s line %d: %s", uidlistName, line, msg))
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			fields := strings.Fields(text)
			if len(fields) < 4 || fields[0] != "wirelab-uidlist" || fields[1] != strconv.Itoa(uidlistVersion) {
				return ul, bad("bad header")
			}
			for _, f := range fields[2:] {
				v, err := strconv.ParseUint(f[1:], 10, 64)
				if err != nil || (f[0] != 'M' && v > 1<<32-1) {
					return ul, bad("bad header field " + f)
				}
				switch f[0] {
				case 'V':
					ul.validity = uint32(v)
				case 'N':
					ul.next = uint32(v)
				case 'M':
					ul.modseq = v
				}
			}
			if ul.validity == 0 {
				return ul, bad("UIDVALIDITY is zero")
			}
			continue
		}
		if text == "" {
			continue
		}
		uidText, key, ok := strings.Cut(text, " ")
		uid, err := strconv.ParseUint(uidText, 10, 32)
		if !ok || err != nil || uid == 0 || key == "" {
			// A torn last line from a crash mid-append is not fatal: the
			// message, if its file exists, gets a fresh UID.
			continue
		}
		ul.known[key] = uint32(uid)
	}
	if err := sc.Err(); err != nil {
		return ul, mb.errorf("read uid list", err)
	}
	return ul, nil
}

// dovecotUIDList is the file in which Dovecot keeps a Maildir's UIDs.
const dovecotUIDList = "dovecot-uidlist"

// readDovecotUIDList adopts the UIDs and UIDVALIDITY of a Maildir that
// Dovecot served before, so IMAP clients' caches stay valid when wirelab
// serves it. Version 3 lists look like:
//
//	3 V1700000000 N43 G3085f01b7f11094c501100008c4a11c1
//	1 :1700000000.M1P100.host
//	2 W1234 :1700000001.M2P100.host
//
// Anything else, or no file, gives validity 0: a fresh start.
func (mb *mailbox) readDovecotUIDList() (known map[string]uint32, validity, next uint32, err error) {
	known = make(map[string]uint32)
	data, err := hackpadfs.ReadFile(mb.store.fs, mb.path(dovecotUIDList))
	if err != nil {
		return known, 0, 0, nil
	}
	lines := strings.Split(string(data), "\n")
	header := strings.Fields(lines[0])
	if len(header) < 3 || header[0] != "3" {
		return known, 0, 0, nil
	}
	for _, f := range header[1:] {
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseUint(f[1:], 10, 32)
		if err != nil {
			continue
		}
		switch f[0] {
		case 'V':
			validity = uint32(v)
		case 'N':
			next = uint32(v)
		}
	}
	for _, line := range lines[1:] {
		uidText, rest, ok := strings.Cut(line, " ")
		_, key, hasKey := strings.Cut(rest, ":")
		uid, err := strconv.ParseUint(uidText, 10, 32)
		if !ok || !hasKey || err != nil || uid == 0 || key == "" {
			continue
		}
		known[key] = uint32(uid)
	}
	return known, validity, next, nil
}

func (mb *mailbox) writeUIDListLocked() error {
	var b bytes.Buffer
	b.Grow(64 * (len(mb.msgs) + 1))
	fmt.Fprintf(&b, "wirelab-uidlist %d V%d N%d M%d\n", uidlistVersion, mb.uidValidity, mb.uidNext, mb.highestModSeq)
	for _, r := range mb.msgs {
		b.WriteString(strconv.FormatUint(uint64(r.UID), 10))
		b.WriteByte(' ')
		b.WriteString(r.Key)
		b.WriteByte('\n')
	}
	if err := mb.store.writeFileAtomic(mb.uidlistPath, b.Bytes()); err != nil {
		return mb.errorf("write uid list", err)
	}
	mb.deadLines = 0
	return nil
}

// readFiles lists new/ and cur/.
func (mb *mailbox) readFiles() (map[string]*record, error) {
	out := make(map[string]*record)
	for _, sub := range []string{"new", "cur"} {
		entries, err := hackpadfs.ReadDir(mb.store.fs, mb.path(sub))
		if err != nil {
			return nil, mb.errorf("scan "+sub, err)
		}
		for _, e := range entries {
			if e.IsDir() || isLink(e) || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, mb.errorf("scan "+sub, err)
			}
			r := parseFileName(e.Name(), &mb.keywords)
			r.file = sub + "/" + e.Name()
			r.InternalDate = info.ModTime().UTC()
			if r.Size < 0 {
				r.Size = info.Size()
			}
			if r.VSize < 0 {
				data, err := hackpadfs.ReadFile(mb.store.fs, mb.path(r.file))
				if err != nil {
					return nil, mb.errorf("read "+r.file, err)
				}
				r.Size = int64(len(data))
				r.VSize = crlfSize(data)
			}
			out[r.Key] = r
		}
	}
	return out, nil
}

// parseFileName splits "<key>:2,<flags>" and reads the S= and W= sizes that
// Dovecot and wirelab put in the key. Unknown sizes are -1.
func parseFileName(name string, kw *keywordTable) *record {
	r := &record{}
	r.Size, r.VSize = -1, -1
	key, info, hasInfo := strings.Cut(name, ":")
	r.Key = key
	if hasInfo && strings.HasPrefix(info, "2,") {
		r.Flags, r.extra = flagsFromInfo(info[2:], kw)
	}
	for _, field := range strings.Split(key, ",")[1:] {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "S":
			r.Size = n
		case "W":
			r.VSize = n
		}
	}
	return r
}

// crlfSize is the length of data with every bare LF counted as CRLF.
func crlfSize(data []byte) int64 {
	n := int64(len(data))
	for i, c := range data {
		if c == '\n' && (i == 0 || data[i-1] != '\r') {
			n++
		}
	}
	return n
}

func (mb *mailbox) statusLocked() Status {
	st := Status{
		Messages:      len(mb.msgs),
		UIDNext:       mb.uidNext,
		UIDValidity:   mb.uidValidity,
		HighestModSeq: mb.highestModSeq,
	}
	count := func(m *Message) {
		if !hasFlag(m.Flags, FlagSeen) {
			st.Unseen++
		}
		if hasFlag(m.Flags, FlagDeleted) {
			st.Deleted++
		}
		if m.UID >= mb.firstRecent {
			st.Recent++
		}
		st.Size += m.VSize
	}
	// The view, when there is one, is the same messages in one array,
	// which is quicker to walk than the records.
	if mb.viewOK {
		for i := range mb.view {
			count(&mb.view[i])
		}
	} else {
		for _, r := range mb.msgs {
			count(&r.Message)
		}
	}
	return st
}

func (mb *mailbox) status() (Status, error) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if err := mb.goneLocked(); err != nil {
		return Status{}, err
	}
	return mb.statusLocked(), nil
}

func (mb *mailbox) messagesLocked() []Message {
	out := make([]Message, len(mb.msgs))
	for i, r := range mb.msgs {
		out[i] = r.Message
		out[i].Flags = cloneFlags(r.Flags)
	}
	return out
}

// sharedMessagesLocked returns the mailbox's messages as the shared view:
// the caller must not modify the slice or its elements, and may append to
// it (its capacity is its length, so an append copies).
func (mb *mailbox) sharedMessagesLocked() []Message {
	if !mb.viewOK {
		mb.buildViewLocked()
	}
	return slices.Clip(mb.view)
}

// buildViewLocked makes view from msgs. A view handed out before keeps
// its own array.
func (mb *mailbox) buildViewLocked() {
	mb.view, mb.viewOK = mb.messagesLocked(), true
}

// dropViewLocked is called after msgs or a record's Message changed other
// than by an append.
func (mb *mailbox) dropViewLocked() {
	mb.view, mb.viewOK = nil, false
}

// appendViewLocked follows records appended to msgs. Appending never
// writes where a handed-out view can see: those were clipped.
func (mb *mailbox) appendViewLocked(recs []*record) {
	if !mb.viewOK {
		return
	}
	for _, r := range recs {
		m := r.Message
		m.Flags = cloneFlags(r.Flags)
		mb.view = append(mb.view, m)
	}
}

func (mb *mailbox) list() ([]Message, Status, error) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if err := mb.goneLocked(); err != nil {
		return nil, Status{}, err
	}
	return mb.messagesLocked(), mb.statusLocked(), nil
}

func (mb *mailbox) refresh() error {
	mb.mu.Lock()
	err := mb.goneLocked()
	if err == nil && !mb.unchangedLocked() {
		stamp := mb.stampLocked()
		var changes []Change
		changes, err = mb.scanLocked()
		mb.emitLocked(changes...)
		if err == nil {
			mb.stamp = stamp
		} else {
			mb.stamp = dirStamp{}
		}
	}
	mb.mu.Unlock()
	mb.flush()
	return err
}

// find returns the index of uid in msgs, or -1.
func (mb *mailbox) find(uid uint32) int {
	i := sort.Search(len(mb.msgs), func(i int) bool { return mb.msgs[i].UID >= uid })
	if i < len(mb.msgs) && mb.msgs[i].UID == uid {
		return i
	}
	return -1
}

func (mb *mailbox) deliver(msgs []NewMessage) ([]uint32, error) {
	for _, m := range msgs {
		if len(m.Raw) > MaxMessageSize {
			return nil, fmt.Errorf("%w: %d octets, limit %d", ErrTooBig, len(m.Raw), MaxMessageSize)
		}
	}
	// Write the files before taking the mailbox lock: other sessions keep
	// reading while the data goes to disk.
	recs := make([]*record, 0, len(msgs))
	raws := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		if m.InternalDate.IsZero() {
			m.InternalDate = mb.store.clock.Now()
		}
		// IMAP dates have whole seconds (RFC 3501 §9 date-time).
		m.InternalDate = m.InternalDate.Truncate(time.Second)
		r, err := mb.prepare(m)
		if err != nil {
			mb.cleanupTmp(recs)
			return nil, err
		}
		recs = append(recs, r)
		raws = append(raws, m.Raw)
	}
	return mb.commit(recs, raws)
}

// prepare writes one message to tmp/ under a fresh unique name, made
// durable when the store syncs, with its internal date (which must be set)
// as the file's modification time. The record's file is left as the
// directory the message goes to, "new/" or "cur/" (NewMessage.Client),
// for commit to complete.
func (mb *mailbox) prepare(m NewMessage) (*record, error) {
	s := mb.store
	if len(m.Raw) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d octets, limit %d", ErrTooBig, len(m.Raw), MaxMessageSize)
	}
	flags, err := normalizeFlags(m.Flags)
	if err != nil {
		return nil, err
	}
	r := &record{}
	r.Size = int64(len(m.Raw))
	r.VSize = crlfSize(m.Raw)
	key := s.appendUniqueName(make([]byte, 0, 64+len(s.host)))
	key = append(key, ",S="...)
	key = strconv.AppendInt(key, r.Size, 10)
	key = append(key, ",W="...)
	key = strconv.AppendInt(key, r.VSize, 10)
	r.Key = string(key)
	r.Flags = flags
	r.InternalDate = m.InternalDate.UTC()
	// commit completes the file name; until then it says the directory.
	r.file = "new/"
	if m.Client {
		r.file = "cur/"
	}
	tmp := mb.path("tmp/" + r.Key)
	if err := s.writeNew(tmp, m.Raw); err != nil {
		_ = hackpadfs.Remove(s.fs, tmp)
		return nil, mb.errorf("deliver", err)
	}
	if err := hackpadfs.Chtimes(s.fs, tmp, r.InternalDate, r.InternalDate); err != nil && !errors.Is(err, hackpadfs.ErrNotImplemented) {
		_ = hackpadfs.Remove(s.fs, tmp)
		return nil, mb.errorf("deliver", err)
	}
	return r, nil
}

// commit moves prepared messages from tmp/ into the mailbox and gives them
// UIDs and mod-sequences, all or none: a failed APPEND or COPY leaves the
// mailbox as it was (RFC 3501 §6.4.7). raws, when not nil, go to the cache.
func (mb *mailbox) commit(recs []*record, raws [][]byte) ([]uint32, error) {
	s := mb.store
	mb.mu.Lock()
	if err := mb.goneLocked(); err != nil {
		mb.mu.Unlock()
		mb.cleanupTmp(recs)
		return nil, err
	}
	sets := make([][]Flag, len(recs))
	for i, r := range recs {
		sets[i] = r.Flags
	}
	added, err := mb.defineKeywordsLocked(sets...)
	if err != nil {
		mb.mu.Unlock()
		mb.cleanupTmp(recs)
		return nil, err
	}
	if len(added) > 0 {
		mb.emitLocked(mb.keywordsChangeLocked())
	}
	for i, r := range recs {
		r.Flags = mb.canonicalLocked(r.Flags)
		if len(r.Flags) > 0 || r.file == "cur/" {
			r.file = "cur/" + r.Key + ":2," + infoFromFlags(r.Flags, "", &mb.keywords)
		} else {
			r.file = "new/" + r.Key
		}
		if err := hackpadfs.Rename(s.fs, mb.path("tmp/"+r.Key), mb.path(r.file)); err != nil {
			for _, done := range recs[:i] {
				_ = hackpadfs.Remove(s.fs, mb.path(done.file))
			}
			mb.mu.Unlock()
			mb.cleanupTmp(recs[i:])
			mb.flush()
			return nil, mb.errorf("deliver", err)
		}
	}
	var lines, log bytes.Buffer
	uids := make([]uint32, len(recs))
	for i, r := range recs {
		r.UID = mb.uidNext
		mb.uidNext++
		r.ModSeq = mb.nextModSeqLocked()
		if raws != nil {
			s.cache.put(mb.dir+"/"+r.Key, bytes.Clone(raws[i]))
		}
		mb.msgs = append(mb.msgs, r)
		uids[i] = r.UID
		lines.WriteString(strconv.FormatUint(uint64(r.UID), 10))
		lines.WriteByte(' ')
		lines.WriteString(r.Key)
		lines.WriteByte('\n')
		appendStateLine(&log, r)
	}
	err = s.appendFile(mb.uidlistPath, lines.Bytes())
	if err != nil {
		// The messages are in place; a rescan will give them UIDs again if
		// the list could not be written, so report the failure honestly.
		err = mb.errorf("deliver: write uid list", err)
	} else {
		err = mb.logLocked(log.Bytes())
	}
	mb.appendViewLocked(recs)
	mb.emitLocked(Change{Kind: Appended, UIDs: uids})
	mb.mu.Unlock()
	mb.flush()
	if err != nil {
		return nil, err
	}
	return uids, nil
}

func (mb *mailbox) cleanupTmp(recs []*record) {
	for _, r := range recs {
		if r != nil {
			_ = hackpadfs.Remove(mb.store.fs, mb.path("tmp/"+r.Key))
		}
	}
}

func (mb *mailbox) read(uid uint32) ([]byte, error) { return mb.readUID(uid, true) }

// readUID reads a message, from the cache when it is there; with fill it
// also caches what it had to read from the file system.
func (mb *mailbox) readUID(uid uint32, fill bool) ([]byte, error) {
	var file string
	for attempt := 0; ; attempt++ {
		mb.mu.Lock()
		i := mb.find(uid)
		if i < 0 {
			mb.mu.Unlock()
			return nil, fmt.Errorf("%w: UID %d in %s", ErrNoMessage, uid, mb.name)
		}
		prev := file
		file = mb.msgs[i].file
		key := mb.dir + "/" + mb.msgs[i].Key
		mb.mu.Unlock()
		if attempt > 0 && file == prev {
			// Still listed under the name that is gone: removed behind
			// the store's back.
			return nil, fmt.Errorf("%w: UID %d in %s was removed", ErrNoMessage, uid, mb.name)
		}
		if data, ok := mb.store.cache.get(key); ok {
			return data, nil
		}
		// The file is read without the lock, so a flag change may rename
		// it meanwhile; then look its name up again.
		data, err := readMessage(mb.store.fs, mb.path(file))
		if errors.Is(err, fs.ErrNotExist) && attempt < maxReadAttempts {
			continue
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: UID %d in %s was removed", ErrNoMessage, uid, mb.name)
			}
			return nil, mb.errorf("read", err)
		}
		if fill {
			mb.store.cache.put(key, data)
		}
		return data, nil
	}
}

// maxReadAttempts bounds how often a read follows a message file that
// flag changes keep renaming under it.
const maxReadAttempts = 8

// expungeWhere removes the messages sel picks, with one mod-sequence for
// all of them, and returns their UIDs.
func (mb *mailbox) expungeWhere(sel func(*record) bool) ([]uint32, error) {
	mb.mu.Lock()
	if err := mb.goneLocked(); err != nil {
		mb.mu.Unlock()
		return nil, err
	}
	kept := make([]*record, 0, len(mb.msgs))
	var gone []uint32
	var firstErr error
	for _, r := range mb.msgs {
		if !sel(r) {
			kept = append(kept, r)
			continue
		}
		if err := hackpadfs.Remove(mb.store.fs, mb.path(r.file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if firstErr == nil {
				firstErr = err
			}
			kept = append(kept, r)
			continue
		}
		mb.store.cache.drop(mb.dir + "/" + r.Key)
		gone = append(gone, r.UID)
	}
	var err error
	if len(gone) > 0 {
		mb.msgs = kept
		mb.dropViewLocked()
		err = mb.recordExpungeLocked(gone)
	}
	mb.mu.Unlock()
	mb.flush()
	if firstErr != nil {
		return gone, mb.errorf("expunge", firstErr)
	}
	return gone, err
}

// recordExpungeLocked gives the expunge of gone (already out of msgs and
// off disk) its mod-sequence, remembers it for VANISHED, logs it and queues
// the change.
func (mb *mailbox) recordExpungeLocked(gone []uint32) error {
	ms := mb.nextModSeqLocked()
	mb.forgetLocked(gone, ms)
	var lines bytes.Buffer
	for _, uid := range gone {
		appendExpungeLine(&lines, uid, ms)
	}
	mb.emitLocked(Change{Kind: Expunged, UIDs: gone, ModSeq: ms})
	mb.deadLines += len(gone)
	err := mb.logLocked(lines.Bytes())
	if err == nil && mb.deadLines > len(mb.msgs)+uidlistSlack {
		err = mb.writeUIDListLocked()
	}
	return err
}
