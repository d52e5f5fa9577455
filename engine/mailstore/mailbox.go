package mailstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
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
}

// Status holds a mailbox's counters.
type Status struct {
	Messages    int
	Unseen      int
	UIDNext     uint32
	UIDValidity uint32
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

	mu          sync.Mutex
	msgs        []*record // in UID order
	uidValidity uint32
	uidNext     uint32
	deleted     bool
}

func (mb *mailbox) path(rel string) string { return path.Join(mb.dir, rel) }

func (mb *mailbox) errorf(op string, err error) error {
	return fmt.Errorf("mailstore: %s %s/%s: %w", op, mb.user, mb.name, err)
}

// load reads the uidlist and scans the directories.
func (mb *mailbox) load() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	_, err := mb.scanLocked()
	return err
}

// scanLocked reconciles the in-memory index with the files on disk and the
// uidlist. It returns what changed so refresh can publish it.
func (mb *mailbox) scanLocked() (changes []Change, err error) {
	known, validity, next, err := mb.readUIDList()
	if err != nil {
		return nil, err
	}
	onDisk, err := mb.readFiles()
	if err != nil {
		return nil, err
	}
	rewrite := validity == 0
	if validity == 0 {
		validity = mb.store.nextUIDValidity()
		next = 1
	}
	for _, uid := range known {
		if uid >= next {
			next = uid + 1
		}
	}

	var unknown []*record
	byUID := make([]*record, 0, len(onDisk))
	for key, r := range onDisk {
		if uid, ok := known[key]; ok {
			r.UID = uid
			byUID = append(byUID, r)
		} else {
			unknown = append(unknown, r)
		}
	}
	if len(byUID) != len(known) {
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

	if mb.uidValidity != 0 {
		changes = mb.diffLocked(byUID)
	}
	mb.msgs = byUID
	mb.uidValidity = validity
	mb.uidNext = next
	if rewrite {
		if err := mb.writeUIDListLocked(); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// diffLocked compares the current index with a fresh scan.
func (mb *mailbox) diffLocked(fresh []*record) []Change {
	old := make(map[uint32]*record, len(mb.msgs))
	for _, r := range mb.msgs {
		old[r.UID] = r
	}
	var added, flagged []uint32
	for _, r := range fresh {
		o, ok := old[r.UID]
		if !ok {
			added = append(added, r.UID)
			continue
		}
		delete(old, r.UID)
		if !equalFlags(o.Flags, r.Flags) {
			flagged = append(flagged, r.UID)
		}
	}
	var gone []uint32
	for uid := range old {
		gone = append(gone, uid)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	var changes []Change
	for _, c := range []Change{
		{Kind: Expunged, UIDs: gone},
		{Kind: FlagsChanged, UIDs: flagged},
		{Kind: Appended, UIDs: added},
	} {
		if len(c.UIDs) > 0 {
			c.User, c.Mailbox = mb.user, mb.name
			changes = append(changes, c)
		}
	}
	return changes
}

// readUIDList parses the uidlist file. A missing file gives validity 0.
func (mb *mailbox) readUIDList() (known map[string]uint32, validity, next uint32, err error) {
	known = make(map[string]uint32)
	data, err := readAll(mb.store.fs, mb.path(uidlistName))
	if errors.Is(err, fs.ErrNotExist) {
		return mb.readDovecotUIDList()
	}
	if err != nil {
		return nil, 0, 0, mb.errorf("read uid list", err)
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
				return nil, 0, 0, bad("bad header")
			}
			for _, f := range fields[2:] {
				v, err := strconv.ParseUint(f[1:], 10, 32)
				if err != nil {
					return nil, 0, 0, bad("bad header field " + f)
				}
				switch f[0] {
				case 'V':
					validity = uint32(v)
				case 'N':
					next = uint32(v)
				}
			}
			if validity == 0 {
				return nil, 0, 0, bad("UIDVALIDITY is zero")
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
		known[key] = uint32(uid)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, 0, mb.errorf("read uid list", err)
	}
	return known, validity, next, nil
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
	data, err := readAll(mb.store.fs, mb.path(dovecotUIDList))
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
	fmt.Fprintf(&b, "wirelab-uidlist %d V%d N%d\n", uidlistVersion, mb.uidValidity, mb.uidNext)
	for _, r := range mb.msgs {
		fmt.Fprintf(&b, "%d %s\n", r.UID, r.Key)
	}
	if err := mb.store.writeFileAtomic(mb.path(uidlistName), b.Bytes()); err != nil {
		return mb.errorf("write uid list", err)
	}
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
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, mb.errorf("scan "+sub, err)
			}
			r := parseFileName(e.Name())
			r.file = sub + "/" + e.Name()
			r.InternalDate = info.ModTime().UTC()
			if r.Size < 0 {
				r.Size = info.Size()
			}
			if r.VSize < 0 {
				data, err := readAll(mb.store.fs, mb.path(r.file))
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
func parseFileName(name string) *record {
	r := &record{}
	r.Size, r.VSize = -1, -1
	key, info, hasInfo := strings.Cut(name, ":")
	r.Key = key
	if hasInfo && strings.HasPrefix(info, "2,") {
		r.Flags, r.extra = flagsFromInfo(info[2:])
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

func (mb *mailbox) status() Status {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	st := Status{Messages: len(mb.msgs), UIDNext: mb.uidNext, UIDValidity: mb.uidValidity}
	for _, r := range mb.msgs {
		if !hasFlag(r.Flags, FlagSeen) {
			st.Unseen++
		}
	}
	return st
}

func (mb *mailbox) list() ([]Message, Status, error) {
	st := mb.status()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.deleted {
		return nil, Status{}, fmt.Errorf("%w: %q", ErrNoMailbox, mb.name)
	}
	out := make([]Message, len(mb.msgs))
	for i, r := range mb.msgs {
		out[i] = r.Message
		out[i].Flags = append([]Flag(nil), r.Flags...)
	}
	return out, st, nil
}

func (mb *mailbox) refresh() error {
	mb.mu.Lock()
	changes, err := mb.scanLocked()
	mb.mu.Unlock()
	for _, c := range changes {
		mb.store.publish(c)
	}
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
	s := mb.store
	// Write the files before taking the mailbox lock: other sessions keep
	// reading while the data goes to disk.
	recs := make([]*record, len(msgs))
	for i, m := range msgs {
		flags, err := normalizeFlags(m.Flags)
		if err != nil {
			return nil, err
		}
		internal := m.InternalDate
		if internal.IsZero() {
			internal = s.clock.Now()
		}
		r := &record{}
		r.Key = fmt.Sprintf("%s,S=%d,W=%d", s.uniqueName(), len(m.Raw), crlfSize(m.Raw))
		r.Flags = flags
		r.Size = int64(len(m.Raw))
		r.VSize = crlfSize(m.Raw)
		r.InternalDate = internal.UTC().Truncate(time.Second)
		r.file = "new/" + r.Key
		if len(flags) > 0 {
			r.file = "cur/" + r.Key + ":2," + infoFromFlags(flags, "")
		}
		tmp := mb.path("tmp/" + r.Key)
		if err := s.writeNew(tmp, m.Raw); err != nil {
			mb.cleanupTmp(recs[:i])
			return nil, mb.errorf("deliver", err)
		}
		if err := hackpadfs.Chtimes(s.fs, tmp, r.InternalDate, r.InternalDate); err != nil && !errors.Is(err, hackpadfs.ErrNotImplemented) {
			mb.cleanupTmp(recs[:i+1])
			return nil, mb.errorf("deliver", err)
		}
		recs[i] = r
	}

	mb.mu.Lock()
	if mb.deleted {
		mb.mu.Unlock()
		mb.cleanupTmp(recs)
		return nil, fmt.Errorf("%w: %q", ErrNoMailbox, mb.name)
	}
	var lines bytes.Buffer
	uids := make([]uint32, len(recs))
	for i, r := range recs {
		if err := hackpadfs.Rename(s.fs, mb.path("tmp/"+r.Key), mb.path(r.file)); err != nil {
			mb.mu.Unlock()
			mb.cleanupTmp(recs[i:])
			return nil, mb.errorf("deliver", err)
		}
		r.UID = mb.uidNext
		mb.uidNext++
		s.cache.put(mb.dir+"/"+r.Key, bytes.Clone(msgs[i].Raw))
		mb.msgs = append(mb.msgs, r)
		uids[i] = r.UID
		fmt.Fprintf(&lines, "%d %s\n", r.UID, r.Key)
	}
	err := s.appendFile(mb.path(uidlistName), lines.Bytes())
	mb.mu.Unlock()
	if err != nil {
		// The messages are in place; a rescan will give them UIDs again if
		// the list could not be written, so report the failure honestly.
		return nil, mb.errorf("deliver: write uid list", err)
	}
	s.publish(Change{User: mb.user, Mailbox: mb.name, Kind: Appended, UIDs: uids})
	return uids, nil
}

func (mb *mailbox) cleanupTmp(recs []*record) {
	for _, r := range recs {
		if r != nil {
			_ = hackpadfs.Remove(mb.store.fs, mb.path("tmp/"+r.Key))
		}
	}
}

func (mb *mailbox) read(uid uint32) ([]byte, error) {
	mb.mu.Lock()
	i := mb.find(uid)
	if i < 0 {
		mb.mu.Unlock()
		return nil, fmt.Errorf("%w: UID %d in %s", ErrNoMessage, uid, mb.name)
	}
	file, key := mb.msgs[i].file, mb.dir+"/"+mb.msgs[i].Key
	mb.mu.Unlock()
	if data, ok := mb.store.cache.get(key); ok {
		return data, nil
	}
	data, err := readAll(mb.store.fs, mb.path(file))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: UID %d in %s was removed", ErrNoMessage, uid, mb.name)
		}
		return nil, mb.errorf("read", err)
	}
	mb.store.cache.put(key, data)
	return data, nil
}

func (mb *mailbox) setFlags(uid uint32, flags []Flag) error {
	flags, err := normalizeFlags(flags)
	if err != nil {
		return err
	}
	mb.mu.Lock()
	i := mb.find(uid)
	if i < 0 {
		mb.mu.Unlock()
		return fmt.Errorf("%w: UID %d in %s", ErrNoMessage, uid, mb.name)
	}
	r := mb.msgs[i]
	if equalFlags(r.Flags, flags) {
		mb.mu.Unlock()
		return nil
	}
	// Maildir says a message whose flags are known lives in cur/.
	file := "cur/" + r.Key + ":2," + infoFromFlags(flags, r.extra)
	if err := hackpadfs.Rename(mb.store.fs, mb.path(r.file), mb.path(file)); err != nil {
		mb.mu.Unlock()
		return mb.errorf("set flags", err)
	}
	r.file = file
	r.Flags = flags
	mb.mu.Unlock()
	mb.store.publish(Change{User: mb.user, Mailbox: mb.name, Kind: FlagsChanged, UIDs: []uint32{uid}})
	return nil
}

func (mb *mailbox) expunge(uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	drop := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		drop[u] = true
	}
	mb.mu.Lock()
	kept := mb.msgs[:0:0]
	var gone []uint32
	var firstErr error
	for _, r := range mb.msgs {
		if !drop[r.UID] {
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
	mb.msgs = kept
	var err error
	if len(gone) > 0 {
		err = mb.writeUIDListLocked()
	}
	mb.mu.Unlock()
	if len(gone) > 0 {
		mb.store.publish(Change{User: mb.user, Mailbox: mb.name, Kind: Expunged, UIDs: gone})
	}
	if firstErr != nil {
		return mb.errorf("expunge", firstErr)
	}
	return err
}

// addFlag sets f on every message in uids that lacks it, with one change
// published for all of them.
func (mb *mailbox) addFlag(uids []uint32, f Flag) error {
	f, err := ParseFlag(string(f))
	if err != nil {
		return err
	}
	var changed []uint32
	var firstErr error
	mb.mu.Lock()
	for _, uid := range uids {
		i := mb.find(uid)
		if i < 0 || hasFlag(mb.msgs[i].Flags, f) {
			continue
		}
		r := mb.msgs[i]
		flags, _ := normalizeFlags(append(append([]Flag(nil), r.Flags...), f))
		file := "cur/" + r.Key + ":2," + infoFromFlags(flags, r.extra)
		if err := hackpadfs.Rename(mb.store.fs, mb.path(r.file), mb.path(file)); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		r.file, r.Flags = file, flags
		changed = append(changed, uid)
	}
	mb.mu.Unlock()
	if len(changed) > 0 {
		mb.store.publish(Change{User: mb.user, Mailbox: mb.name, Kind: FlagsChanged, UIDs: changed})
	}
	if firstErr != nil {
		return mb.errorf("add flag", firstErr)
	}
	return nil
}
