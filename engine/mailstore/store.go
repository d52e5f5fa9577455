// Package mailstore keeps users' mail in the Maildir++ layout on a hackpadfs
// file system, with what POP3 (RFC 1939) and IMAP (RFC 3501, RFC 9051,
// CONDSTORE/QRESYNC RFC 7162, UIDPLUS RFC 4315, MOVE RFC 6851) servers need
// from a mail store.
//
// The layout is the one Dovecot and mutt use, so an existing Maildir can be
// served and one written here can be read by them:
//
//	<user>/cur, new, tmp          the INBOX
//	<user>/.Sent/cur, new, tmp    a folder; "Archive/2025" is ".Archive.2025"
//	<user>/subscriptions          subscribed names, one per line
//	<mailbox>/wirelab-uidlist     UIDs
//	<mailbox>/wirelab-modseq      mod-sequences, expunge history, \Recent
//	<mailbox>/dovecot-keywords    keyword letters
//
// A message is written to tmp/ and renamed into new/ (or cur/ when it already
// has flags, or a mail client put it there: APPEND, COPY, MOVE), so a
// reader never sees half a message. Flags live in the file
// name's ":2,<letters>" info suffix: upper-case letters for the system flags,
// and a..z for keywords (RFC 3501 §2.3.2), named per mailbox by
// "dovecot-keywords" lines "<index> <keyword>" as Dovecot does (at most
// MaxKeywords). UIDs, UIDVALIDITY and UIDNEXT live in a per-mailbox
// "wirelab-uidlist" file (in the spirit of Dovecot's dovecot-uidlist): a
// header line ("wirelab-uidlist 1 V<uidvalidity> N<uidnext>
// M<highestmodseq>"), then one "<uid> <base name>" line per message,
// appended as mail arrives and rewritten once expunged messages' lines
// outnumber the live ones. A UID is never reused: UIDNEXT only grows, and a
// mailbox that is deleted and created again gets a new UIDVALIDITY (RFC 3501
// §2.3.1.1); a renamed one keeps its UIDVALIDITY, as its UIDs stay with its
// messages.
//
// Every message has a mod-sequence, and every mailbox a HIGHESTMODSEQ and
// a bounded history of expunged UIDs for QRESYNC's VANISHED, in the
// append-only "wirelab-modseq" log (see modseqName), which also records
// which messages no session has claimed as \Recent yet: the first session
// that selects the mailbox after they arrived claims them, and Maildir's
// new/ files then move to cur/ (see Select).
//
// The store is the single writer of its directory tree; Refresh picks up mail
// that another program dropped into new/ or cur/ meanwhile. Every change is
// published on a change feed (Watch) so that other sessions on the same
// mailbox learn of it.
package mailstore

import (
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

	"github.com/wirelab/wirelab/engine/clock"
)

// Inbox is the name of every user's primary mailbox (RFC 3501 §5.1).
const Inbox = "INBOX"

// Separator is the hierarchy delimiter of mailbox names as sessions see them.
const Separator = "/"

// Limits.
const (
	// MaxMailboxNameLength bounds a mailbox name in octets, so a folder's
	// directory name stays well under the 255-octet file name limit of
	// common file systems.
	MaxMailboxNameLength = 200
	// MaxMessageSize bounds a stored message. Dovecot and Postfix default to
	// a few tens of MiB; 64 MiB leaves room for big attachments in a lab.
	MaxMessageSize = 64 << 20
)

// Errors callers branch on.
var (
	ErrNoUser         = errors.New("mailstore: no such user")
	ErrNoMailbox      = errors.New("mailstore: no such mailbox")
	ErrMailboxExists  = errors.New("mailstore: mailbox already exists")
	ErrBadMailboxName = errors.New("mailstore: invalid mailbox name")
	ErrNoMessage      = errors.New("mailstore: no such message")
	ErrLocked         = errors.New("mailstore: maildrop is locked by another session")
	ErrTooBig         = errors.New("mailstore: message too big")
	// ErrBadFlag is an unknown system flag, \Recent, or a keyword that is
	// not an IMAP atom.
	ErrBadFlag = errors.New("mailstore: invalid flag")
	// ErrTooManyKeywords is a change that would give a mailbox more than
	// MaxKeywords keywords; nothing was changed.
	ErrTooManyKeywords = errors.New("mailstore: too many keywords")
	// ErrModSeqTooOld is a Vanished request for expunges older than the
	// mailbox remembers.
	ErrModSeqTooOld = errors.New("mailstore: mod-sequence older than the expunge history")
)

// Options configure a Store.
type Options struct {
	// Clock stamps UIDVALIDITY values and unique file names. Nil means a
	// virtual clock at clock.Epoch, which keeps tests deterministic.
	Clock clock.Clock
	// Hostname goes into unique file names as Maildir asks. Empty means
	// "wirelab".
	Hostname string
	// Sync makes every write durable (fsync) before it is acknowledged. Turn
	// it on for an on-disk store; in-memory file systems ignore it.
	Sync bool
	// CacheBytes bounds the cache of message contents that spares reading
	// recently delivered or read mail from the file system again. Zero means
	// DefaultCacheBytes; a negative value turns the cache off.
	CacheBytes int64
	// VanishedHistory is how many expunged UIDs each mailbox remembers for
	// QRESYNC. Zero means DefaultVanishedHistory.
	VanishedHistory int
	// Exclusive promises that nothing but this store reads or changes the
	// tree (an in-memory file system no other program can reach): Refresh
	// then trusts the index of a mailbox it has scanned instead of reading
	// its directories again, and claimed messages stay in new/, since no
	// other Maildir reader looks there. Both cost a SELECT of a large
	// mailbox most of its time.
	Exclusive bool
}

// Store is a collection of users' Maildir++ trees on one file system. It is
// safe for concurrent use.
type Store struct {
	fs    hackpadfs.FS
	clock clock.Clock
	host  string
	sync  bool
	cache *contentCache
	// exclusive: see Options.Exclusive.
	exclusive bool

	historyLimit int

	// Lock order: openMu, then mailbox locks (two at once only in key
	// order), then mu. subsMu is taken alone.
	openMu    sync.Mutex
	subsMu    sync.Mutex
	mu        sync.Mutex
	mailboxes map[mailboxKey]*mailbox
	locks     map[string]bool
	watchers  map[mailboxKey]map[int]func(Change)
	watchSeq  int
	uniqueSeq uint64
	lastValid uint32

	// mtimeOK: the file system updates directory modification times,
	// probed once (refresh.go).
	mtimeOnce sync.Once
	mtimeOK   bool
}

type mailboxKey struct{ user, name string }

// New returns a store over fsys. The file system's root holds one directory
// per user.
func New(fsys hackpadfs.FS, opts Options) *Store {
	c := opts.Clock
	if c == nil {
		c = clock.NewVirtual(time.Time{})
	}
	host := opts.Hostname
	if host == "" {
		host = "wirelab"
	}
	var cache *contentCache
	switch {
	case opts.CacheBytes == 0:
		cache = newContentCache(DefaultCacheBytes)
	case opts.CacheBytes > 0:
		cache = newContentCache(opts.CacheBytes)
	}
	history := opts.VanishedHistory
	if history <= 0 {
		history = DefaultVanishedHistory
	}
	return &Store{
		historyLimit: history,
		cache:        cache,
		fs:           fsys,
		clock:        c,
		host:         host,
		sync:         opts.Sync,
		exclusive:    opts.Exclusive,
		mailboxes:    make(map[mailboxKey]*mailbox),
		locks:        make(map[string]bool),
		watchers:     make(map[mailboxKey]map[int]func(Change)),
	}
}

// FS returns the file system the store lives on.
func (s *Store) FS() hackpadfs.FS { return s.fs }

// Clock returns the store's clock.
func (s *Store) Clock() clock.Clock { return s.clock }

// validUser rejects names that would escape the store root.
func validUser(user string) error {
	if user == "" || user == "." || user == ".." || strings.ContainsAny(user, "/\\\x00") || !hackpadfs.ValidPath(user) {
		return fmt.Errorf("%w: %q", ErrNoUser, user)
	}
	return nil
}

// EnsureUser creates the user's INBOX if it does not exist yet.
func (s *Store) EnsureUser(user string) error {
	if err := validUser(user); err != nil {
		return err
	}
	_, err := s.mailbox(user, Inbox, true)
	return err
}

// HasUser reports whether the user has a Maildir in the store.
func (s *Store) HasUser(user string) bool {
	if validUser(user) != nil {
		return false
	}
	info, err := hackpadfs.Stat(s.fs, path.Join(user, "cur"))
	return err == nil && info.IsDir()
}

// Dir returns the Maildir++ directory of the user's mailbox, relative to
// the store's root: for tools that put other servers' control files beside
// the store's own.
func Dir(user, name string) (string, error) { return dirOf(user, name) }

// dirOf maps a mailbox name to its Maildir++ directory under the user's root.
// Segments are joined with '.', and a literal '.' or '%' inside a segment is
// percent-escaped so that names map one to one onto directories.
func dirOf(user, name string) (string, error) {
	if strings.EqualFold(name, Inbox) {
		return user, nil
	}
	if name == "" || len(name) > MaxMailboxNameLength {
		return "", fmt.Errorf("%w: %q", ErrBadMailboxName, name)
	}
	var b strings.Builder
	for _, seg := range strings.Split(name, Separator) {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: %q", ErrBadMailboxName, name)
		}
		b.WriteByte('.')
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			switch {
			case c < 0x20 || c == 0x7f || c == '\\':
				return "", fmt.Errorf("%w: %q has a control character or backslash", ErrBadMailboxName, name)
			case c == '.' || c == '%':
				fmt.Fprintf(&b, "%%%02X", c)
			default:
				b.WriteByte(c)
			}
		}
	}
	return user + "/" + b.String(), nil
}

// nameOf inverts dirOf for a folder directory name such as ".Archive.2025".
func nameOf(dir string) (string, bool) {
	if len(dir) < 2 || dir[0] != '.' || dir == ".." {
		return "", false
	}
	segs := strings.Split(dir[1:], ".")
	for i, seg := range segs {
		if seg == "" {
			return "", false
		}
		var b strings.Builder
		for j := 0; j < len(seg); j++ {
			if seg[j] == '%' && j+2 < len(seg) {
				if v, err := strconv.ParseUint(seg[j+1:j+3], 16, 8); err == nil {
					b.WriteByte(byte(v))
					j += 2
					continue
				}
			}
			b.WriteByte(seg[j])
		}
		segs[i] = b.String()
	}
	return strings.Join(segs, Separator), true
}

// canonical returns the name under which a mailbox is indexed: INBOX is case
// insensitive (RFC 3501 §5.1), every other name is case sensitive.
func canonical(name string) string {
	if strings.EqualFold(name, Inbox) {
		return Inbox
	}
	return name
}

// mailbox returns the open mailbox, loading it from disk on first use. With
// create it makes the directories when they are missing.
func (s *Store) mailbox(user, name string, create bool) (*mailbox, error) {
	if err := validUser(user); err != nil {
		return nil, err
	}
	name = canonical(name)
	// An open mailbox's name was checked when it was opened: look it up
	// before building its directory name, on every command.
	if mb := s.lookup(user, name); mb != nil {
		return mb, nil
	}
	dir, err := dirOf(user, name)
	if err != nil {
		return nil, err
	}
	// Opening, creating, deleting and renaming are serialised so that two
	// sessions opening a new mailbox at once agree on one UIDVALIDITY and
	// no one opens a mailbox halfway through a rename.
	s.openMu.Lock()
	defer s.openMu.Unlock()
	return s.openLocked(user, name, dir, create)
}

func (s *Store) lookup(user, name string) *mailbox {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mailboxes[mailboxKey{user, name}]
}

// openLocked is mailbox's slow path; the caller holds openMu and passes a
// canonical name and its directory.
func (s *Store) openLocked(user, name, dir string, create bool) (*mailbox, error) {
	if mb := s.lookup(user, name); mb != nil {
		return mb, nil
	}
	if err := s.refuseLinks(user, name, dir); err != nil {
		return nil, err
	}
	if _, err := hackpadfs.Stat(s.fs, path.Join(dir, "cur")); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("mailstore: open %s/%s: %w", user, name, err)
		}
		if !create {
			if name == Inbox && !s.HasUser(user) {
				return nil, fmt.Errorf("%w: %q", ErrNoUser, user)
			}
			return nil, fmt.Errorf("%w: %q", ErrNoMailbox, name)
		}
		for _, sub := range []string{"tmp", "new", "cur"} {
			if err := hackpadfs.MkdirAll(s.fs, path.Join(dir, sub), 0o700); err != nil {
				return nil, fmt.Errorf("mailstore: create %s/%s: %w", user, name, err)
			}
		}
	}
	mb := &mailbox{store: s, user: user, name: name, dir: dir}
	mb.uidlistPath, mb.modseqPath = mb.path(uidlistName), mb.path(modseqName)
	if err := mb.load(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.mailboxes[mailboxKey{user, name}] = mb
	s.mu.Unlock()
	return mb, nil
}

// nextUIDValidity returns a UIDVALIDITY never handed out before by this store:
// the current Unix time, as Dovecot does, but strictly increasing.
func (s *Store) nextUIDValidity() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint32(s.clock.Now().Unix())
	if v <= s.lastValid {
		v = s.lastValid + 1
	}
	s.lastValid = v
	return v
}

// appendUniqueName appends a Maildir unique file name to b: time, a
// per-store sequence number and the host name. It is deterministic on a
// virtual clock.
func (s *Store) appendUniqueName(b []byte) []byte {
	s.mu.Lock()
	s.uniqueSeq++
	seq := s.uniqueSeq
	s.mu.Unlock()
	now := s.clock.Now()
	// "<secs>.M<usecs>Q<seq>.<host>", built without fmt: one of these per
	// delivered message.
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, ".M"...)
	b = strconv.AppendInt(b, int64(now.Nanosecond()/1000), 10)
	b = append(b, 'Q')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, '.')
	return append(b, s.host...)
}

// Mailboxes returns the names of the user's mailboxes, INBOX first and the
// rest sorted.
func (s *Store) Mailboxes(user string) ([]string, error) {
	if err := validUser(user); err != nil {
		return nil, err
	}
	if !s.HasUser(user) {
		return nil, fmt.Errorf("%w: %q", ErrNoUser, user)
	}
	entries, err := hackpadfs.ReadDir(s.fs, user)
	if err != nil {
		return nil, fmt.Errorf("mailstore: list %s: %w", user, err)
	}
	names := []string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if name, ok := nameOf(e.Name()); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return append([]string{Inbox}, names...), nil
}

// CreateMailbox makes an empty mailbox with a fresh UIDVALIDITY. Superior
// names are not created: in Maildir++ "a/b" needs no "a", which LIST then
// shows as \Noselect.
func (s *Store) CreateMailbox(user, name string) error {
	if err := validUser(user); err != nil {
		return err
	}
	name = canonical(name)
	dir, err := dirOf(user, name)
	if err != nil {
		return err
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if _, err := hackpadfs.Stat(s.fs, path.Join(dir, "cur")); err == nil {
		return fmt.Errorf("%w: %q", ErrMailboxExists, name)
	}
	if !s.HasUser(user) && name != Inbox {
		if _, err := s.openLocked(user, Inbox, user, true); err != nil {
			return err
		}
	}
	_, err = s.openLocked(user, name, dir, true)
	return err
}

// DeleteMailbox removes a mailbox and its messages. INBOX cannot be deleted
// (RFC 3501 §6.3.4). Mailboxes below it stay; it then lists as \Noselect.
func (s *Store) DeleteMailbox(user, name string) error {
	name = canonical(name)
	if name == Inbox {
		return fmt.Errorf("%w: INBOX cannot be deleted", ErrBadMailboxName)
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if err := validUser(user); err != nil {
		return err
	}
	dir, err := dirOf(user, name)
	if err != nil {
		return err
	}
	mb, err := s.openLocked(user, name, dir, false)
	if err != nil {
		return err
	}
	mb.mu.Lock()
	// Remove the mailbox's own files, not the directories of mailboxes
	// below it, which in Maildir++ are siblings anyway.
	if err := hackpadfs.RemoveAll(s.fs, mb.dir); err != nil {
		mb.mu.Unlock()
		return fmt.Errorf("mailstore: delete %s/%s: %w", user, name, err)
	}
	expunged := make([]uint32, len(mb.msgs))
	for i, m := range mb.msgs {
		expunged[i] = m.UID
		s.cache.drop(mb.dir + "/" + m.Key)
	}
	mb.msgs = nil
	mb.dropViewLocked()
	mb.deleted = true
	mb.emitLocked(Change{Kind: MailboxDeleted, UIDs: expunged})
	mb.mu.Unlock()
	s.mu.Lock()
	delete(s.mailboxes, mailboxKey{user, name})
	s.mu.Unlock()
	mb.flush()
	return nil
}

// Status returns a mailbox's counters without opening a session on it.
func (s *Store) Status(user, name string) (Status, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return Status{}, err
	}
	return mb.status()
}

// UIDValidity returns a mailbox's UIDVALIDITY (RFC 3501 §2.3.1.1) without
// the per-message work of Status: APPEND reports it in APPENDUID for every
// message it stores (RFC 4315 §3).
func (s *Store) UIDValidity(user, name string) (uint32, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return 0, err
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if err := mb.goneLocked(); err != nil {
		return 0, err
	}
	return mb.uidValidity, nil
}

// List returns a snapshot of the messages in a mailbox, in UID order.
func (s *Store) List(user, name string) ([]Message, Status, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, Status{}, err
	}
	return mb.list()
}

// Refresh rescans the mailbox directory for mail another program delivered
// or removed, assigns UIDs to new files, and publishes what changed. When
// new/ and cur/ hold just the files the store knows (by the directories'
// modification times where the file system keeps them, else by their
// names), it skips the rescan.
func (s *Store) Refresh(user, name string) error {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return err
	}
	return mb.refresh()
}

// Deliver stores a message in a mailbox and returns its UID. The message is
// written to tmp/, made durable when the store syncs, and only then renamed
// into place: a crash leaves either the whole message or nothing in the
// mailbox. A zero internal date means the clock's now.
func (s *Store) Deliver(user, name string, raw []byte, flags []Flag, internal time.Time) (uint32, error) {
	uids, err := s.DeliverBatch(user, name, []NewMessage{{Raw: raw, Flags: flags, InternalDate: internal}})
	if err != nil {
		return 0, err
	}
	return uids[0], nil
}

// NewMessage is one message handed to DeliverBatch.
type NewMessage struct {
	Raw          []byte
	Flags        []Flag
	InternalDate time.Time
	// Client says a mail client put the message there (IMAP APPEND), so
	// it has been seen by a client already: its file goes straight to cur/
	// ("cur/<key>:2,<flags>"), as a mail user agent files what it writes,
	// rather than to new/, Maildir's place for mail no client has seen
	// (what SMTP and LMTP deliver). \Recent does not depend on it: it is
	// kept by UID (see Select). It spares the first SELECT after a large
	// import the move of every file from new/ to cur/.
	Client bool
}

// DeliverBatch stores several messages with one update of the UID list, the
// way an import or a pipelined run of APPENDs is best written.
func (s *Store) DeliverBatch(user, name string, msgs []NewMessage) ([]uint32, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, err
	}
	return mb.deliver(msgs)
}

// Read returns the whole message with the given UID, as stored. The bytes
// may be shared with the store's cache: the caller must not modify them.
func (s *Store) Read(user, name string, uid uint32) ([]byte, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, err
	}
	return mb.read(uid)
}

// SetFlags replaces the flags of the message with the given UID.
func (s *Store) SetFlags(user, name string, uid uint32, flags []Flag) error {
	res, _, err := s.StoreFlags(user, name, []uint32{uid}, StoreReplace, flags, Unconditional)
	if err == nil && len(res) == 0 {
		err = fmt.Errorf("%w: UID %d in %s", ErrNoMessage, uid, name)
	}
	return err
}

// AddFlag sets a flag on the messages with the given UIDs that lack it.
// UIDs that are gone are skipped.
func (s *Store) AddFlag(user, name string, uids []uint32, f Flag) error {
	if _, err := ParseFlag(string(f)); err != nil {
		return err
	}
	_, _, err := s.StoreFlags(user, name, uids, StoreAdd, []Flag{f}, Unconditional)
	return err
}

// Expunge removes the messages with the given UIDs. UIDs that are already
// gone are skipped: a second session may have expunged them first.
func (s *Store) Expunge(user, name string, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return err
	}
	drop := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		drop[u] = true
	}
	_, err = mb.expungeWhere(func(r *record) bool { return drop[r.UID] })
	return err
}

// ExpungeDeleted removes the messages among uids that have \Deleted at this
// moment, or every such message when uids is nil: IMAP's EXPUNGE, CLOSE
// and UID EXPUNGE (RFC 4315 §2.1), immune to another session clearing the
// flag meanwhile. It returns the expunged UIDs, ascending.
func (s *Store) ExpungeDeleted(user, name string, uids []uint32) ([]uint32, error) {
	mb, err := s.mailbox(user, name, false)
	if err != nil {
		return nil, err
	}
	var want map[uint32]bool
	if uids != nil {
		want = make(map[uint32]bool, len(uids))
		for _, u := range uids {
			want[u] = true
		}
	}
	return mb.expungeWhere(func(r *record) bool {
		return (want == nil || want[r.UID]) && hasFlag(r.Flags, FlagDeleted)
	})
}

// LockMaildrop takes the exclusive lock RFC 1939 §8 asks a POP3 server to
// hold on a maildrop during a session. It fails with ErrLocked when another
// session holds it. The returned function releases the lock.
func (s *Store) LockMaildrop(user string) (unlock func(), err error) {
	if err := validUser(user); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks[user] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, user)
	}
	s.locks[user] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.locks, user)
			s.mu.Unlock()
		})
	}, nil
}

// syncFile makes f durable when the store is configured to, tolerating file
// systems (such as mem.FS) that have no notion of syncing.
func (s *Store) syncFile(f hackpadfs.File) error {
	if !s.sync {
		return nil
	}
	if err := hackpadfs.SyncFile(f); err != nil && !errors.Is(err, hackpadfs.ErrNotImplemented) {
		return err
	}
	return nil
}

// writeFileAtomic writes data to a temporary name beside name and renames it
// into place.
func (s *Store) writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := s.writeNew(tmp, data); err != nil {
		return err
	}
	if err := hackpadfs.Rename(s.fs, tmp, name); err != nil {
		_ = hackpadfs.Remove(s.fs, tmp)
		return err
	}
	return nil
}

// writeNew creates (or truncates) name and writes data to it.
func (s *Store) writeNew(name string, data []byte) error {
	f, err := hackpadfs.OpenFile(s.fs, name, hackpadfs.FlagWriteOnly|hackpadfs.FlagCreate|hackpadfs.FlagTruncate, 0o600)
	if err != nil {
		return err
	}
	if _, err := hackpadfs.WriteFile(f, data); err != nil {
		f.Close()
		return err
	}
	if err := s.syncFile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// appendFile appends data to name, creating it if needed.
func (s *Store) appendFile(name string, data []byte) error {
	f, err := hackpadfs.OpenFile(s.fs, name, hackpadfs.FlagWriteOnly|hackpadfs.FlagCreate|hackpadfs.FlagAppend, 0o600)
	if err != nil {
		return err
	}
	if _, err := hackpadfs.WriteFile(f, data); err != nil {
		f.Close()
		return err
	}
	if err := s.syncFile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sharedReader is a file system that can hand out a file's contents
// without copying them (engine/memfs); the caller must not modify them.
type sharedReader interface {
	ReadFileShared(name string) ([]byte, error)
}

// readMessage reads a message file. Store.Read's callers never modify what
// it returns, so an in-memory file system's bytes are handed out as they
// are: a SEARCH BODY of 10,000 messages would otherwise copy them all.
func readMessage(fsys hackpadfs.FS, name string) ([]byte, error) {
	if sr, ok := fsys.(sharedReader); ok {
		return sr.ReadFileShared(name)
	}
	return hackpadfs.ReadFile(fsys, name)
}
