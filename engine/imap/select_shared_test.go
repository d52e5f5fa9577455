package imap_test

import (
	"strings"
	"testing"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// TestSharedSnapshotIsolated: sessions that select a mailbox share the
// store's listing of it until one changes its view. A flag change learned
// by one session must not leak into another's: each reports it with its
// own unsolicited FETCH (RFC 9051 §7.5.2).
func TestSharedSnapshotIsolated(t *testing.T) {
	e := newEnv(t)
	b, c := e.login(t, "alice"), e.login(t, "alice")
	for _, s := range []*imap.Session{b, c} {
		if out := feed(s, "s EXAMINE INBOX"); !strings.Contains(out, "s OK") {
			t.Fatalf("EXAMINE: %s", out)
		}
	}
	if err := e.store.AddFlag("alice", "INBOX", []uint32{1}, mailstore.FlagFlagged); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*imap.Session{b, c} {
		out := feed(s, "n NOOP")
		if !strings.Contains(out, `* 1 FETCH (UID 1 FLAGS (\Flagged`) {
			t.Errorf("session %d: NOOP reported no flag change of message 1:\n%s", i+1, out)
		}
	}
}
