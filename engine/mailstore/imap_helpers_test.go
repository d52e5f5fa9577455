package mailstore_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// recorder collects changes from the feed; safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	changes []mailstore.Change
}

func (r *recorder) add(c mailstore.Change) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

func (r *recorder) take() []mailstore.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

func watch(t testing.TB, st *mailstore.Store, user string, mailboxes ...string) *recorder {
	t.Helper()
	r := &recorder{}
	for _, mb := range mailboxes {
		t.Cleanup(st.Watch(user, mb, r.add))
	}
	return r
}

// deliverN puts n small messages into a mailbox and returns their UIDs.
func deliverN(t testing.TB, st *mailstore.Store, user, mailbox string, n int, flags ...mailstore.Flag) []uint32 {
	t.Helper()
	batch := make([]mailstore.NewMessage, n)
	for i := range batch {
		batch[i] = mailstore.NewMessage{
			Raw:   fmt.Appendf(nil, "Subject: %s %d\n\nbody %d\n", mailbox, i, i),
			Flags: flags,
		}
	}
	uids, err := st.DeliverBatch(user, mailbox, batch)
	if err != nil {
		t.Fatal(err)
	}
	return uids
}

func mustList(t testing.TB, st *mailstore.Store, user, mailbox string) ([]mailstore.Message, mailstore.Status) {
	t.Helper()
	msgs, status, err := st.List(user, mailbox)
	if err != nil {
		t.Fatal(err)
	}
	return msgs, status
}

func mustCreate(t testing.TB, st *mailstore.Store, user string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := st.CreateMailbox(user, n); err != nil {
			t.Fatal(err)
		}
	}
}

// reopen is a restart: a fresh store over the same files.
func reopen(fsys hackpadfs.FS, opts mailstore.Options) *mailstore.Store {
	if opts.Clock == nil {
		opts.Clock = clock.NewVirtual(clock.Epoch.Add(time.Hour))
	}
	return mailstore.New(fsys, opts)
}

func readFile(t testing.TB, fsys hackpadfs.FS, name string) string {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func writeFile(t testing.TB, fsys hackpadfs.FS, name, data string) {
	t.Helper()
	f, err := hackpadfs.OpenFile(fsys, name, hackpadfs.FlagWriteOnly|hackpadfs.FlagCreate|hackpadfs.FlagTruncate, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hackpadfs.WriteFile(f, []byte(data)); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func fileNames(t testing.TB, fsys hackpadfs.FS, dir string) []string {
	t.Helper()
	entries, err := hackpadfs.ReadDir(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func flagsOf(msgs []mailstore.Message) map[uint32][]mailstore.Flag {
	out := make(map[uint32][]mailstore.Flag)
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	return out
}

// atNow as an internal date means the store clock's now.
var atNow time.Time
