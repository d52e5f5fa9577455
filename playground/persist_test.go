package playground_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/playground"
)

// storeOnly leaves out what a reload does not keep: the time and the
// sessions.
var storeOnly = cmpopts.IgnoreFields(playground.State{}, "Time", "Sessions")

func appendMessage(t *testing.T, l *playground.Lab, id int, tag, body string) {
	t.Helper()
	// A synchronizing literal: the command line, the server's "+", then
	// the message (RFC 9051 §4.3).
	feed(t, l, id, fmt.Sprintf("%s APPEND INBOX {%d}", tag, len(body)))
	if r := feed(t, l, id, body); !strings.Contains(r.Output.Data, tag+" OK") {
		t.Fatalf("APPEND: %q", r.Output.Data)
	}
}

// A snapshot mirrored to another file system (IndexedDB in the browser)
// restores the same mail and zones; the mirror rewrites only what changed;
// a reset clears it.
func TestSnapshotMirrorRestore(t *testing.T) {
	l := newLab(t)
	if files, err := l.Snapshot(); err != nil || files != nil {
		t.Fatalf("snapshot of the untouched demo world: %d files, %v", len(files), err)
	}
	pop := open(t, l, "pop3", "laptop")
	feed(t, l, pop, "USER bob", "PASS builder", "DELE 1", "QUIT")
	im := open(t, l, "imap", "phone")
	feed(t, l, im, "a1 LOGIN alice wonderland", "a2 CREATE Projects", "a3 SELECT INBOX", `a4 UID STORE 3 +FLAGS (\Answered $Label1)`)
	appendMessage(t, l, im, "a5", "From: alice@example.com\r\nSubject: note to self\r\n\r\nremember the milk\r\n")
	if _, err := l.UpdateRecord(playground.UpdateRequest{Zone: "example.com", Add: []string{"blog 300 IN A 198.51.100.77"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Switches(playground.SwitchesRequest{Server: "lab-pc", Set: &playground.Switches{QNAMEMinimisation: true, EDNS: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Advance(playground.AdvanceRequest{Duration: "1h"}); err != nil {
		t.Fatal(err)
	}

	idb, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	mirror := &playground.Mirror{FS: idb, Dir: "wirelab"}
	files, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if written, removed, err := mirror.Sync(files); err != nil || written != len(files) || removed != 0 {
		t.Fatalf("first sync: %d written, %d removed of %d files, %v", written, removed, len(files), err)
	}
	if written, _, err := mirror.Sync(files); err != nil || written != 0 {
		t.Errorf("sync of the same snapshot wrote %d files, %v", written, err)
	}
	// The hour ended the idle session (autologout); a new one flags.
	im = open(t, l, "imap", "phone")
	feed(t, l, im, "c1 LOGIN alice wonderland", "c2 SELECT INBOX", `c3 UID STORE 4 +FLAGS (\Flagged)`)
	files, err = l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// The flag renames one message file (Maildir's info suffix) and
	// changes the mod-sequence log and the manifest.
	if written, removed, err := mirror.Sync(files); err != nil || written == 0 || written > 4 || removed != 1 {
		t.Errorf("sync after one flag change: %d written, %d removed, %v", written, removed, err)
	}

	// A reload: a new lab reads the mirror.
	l2 := newLab(t)
	loaded, err := (&playground.Mirror{FS: idb, Dir: "wirelab"}).Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, loaded); diff != "" {
		t.Fatalf("mirror holds (-snapshot +mirror):\n%s", diff)
	}
	if err := l2.Restore(loaded); err != nil {
		t.Fatal(err)
	}
	want, err := l.State()
	if err != nil {
		t.Fatal(err)
	}
	got, err := l2.State()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, storeOnly); diff != "" {
		t.Errorf("restored store (-before +after):\n%s", diff)
	}
	if got.Time <= want.Time {
		t.Errorf("restored clock %s is not after %s", got.Time, want.Time)
	}
	wantZones, _ := l.Zones(playground.ZonesRequest{Zone: "example.com"})
	gotZones, _ := l2.Zones(playground.ZonesRequest{Zone: "example.com"})
	if diff := cmp.Diff(wantZones, gotZones); diff != "" {
		t.Errorf("restored zone (-before +after):\n%s", diff)
	}
	wantSw, _ := l.Switches(playground.SwitchesRequest{})
	gotSw, _ := l2.Switches(playground.SwitchesRequest{})
	if diff := cmp.Diff(wantSw, gotSw); diff != "" {
		t.Errorf("restored switches (-before +after):\n%s", diff)
	}
	// The restored store takes new mail under new names.
	im2 := open(t, l2, "imap", "phone")
	feed(t, l2, im2, "b1 LOGIN alice wonderland")
	appendMessage(t, l2, im2, "b2", "Subject: after the reload\r\n\r\nstill here\r\n")
	if n := len(mailbox(t, l2, "alice", "INBOX").Messages); n != 11 {
		t.Errorf("alice's INBOX after the reload and an APPEND: %d messages, want 11", n)
	}

	// Reset: nothing to keep, and the mirror is cleared.
	if _, err := l2.Reset(); err != nil {
		t.Fatal(err)
	}
	files, err = l2.Snapshot()
	if err != nil || files != nil {
		t.Fatalf("snapshot after reset: %d files, %v", len(files), err)
	}
	m2 := &playground.Mirror{FS: idb, Dir: "wirelab"}
	if _, removed, err := m2.Sync(files); err != nil || removed == 0 {
		t.Errorf("sync after reset removed %d files, %v", removed, err)
	}
	if left, err := (&playground.Mirror{FS: idb, Dir: "wirelab"}).Load(); err != nil || len(left) != 0 {
		t.Errorf("mirror after reset holds %d files, %v", len(left), err)
	}
}

// A world loaded from text survives a reload too.
func TestRestoreCustomWorld(t *testing.T) {
	l := newLab(t)
	world := "Zoe's world\n-- users --\nzoe:{PLAIN}secret\n-- mail/zoe/INBOX.mbox --\nFrom a@example.org Mon Dec  1 16:15:02 2025\nFrom: a@example.org\nSubject: hi\n\nhello\n"
	if _, err := l.Load(playground.LoadRequest{World: world}); err != nil {
		t.Fatal(err)
	}
	files, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	l2 := newLab(t)
	if err := l2.Restore(files); err != nil {
		t.Fatal(err)
	}
	if info := l2.World(); info.Demo || info.Description != "Zoe's world" {
		t.Errorf("restored world: %+v", info)
	}
	if src := l2.Source(); src.Text != world {
		t.Errorf("restored source: %q", src.Text)
	}
}

func TestRestoreRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []playground.File
		want  string
	}{
		{"no manifest", []playground.File{{Path: "mail/alice/cur/x", Data: []byte("x")}}, "no manifest.json"},
		{"bad manifest", []playground.File{{Path: "manifest.json", Data: []byte("{")}}, "manifest.json"},
		{"future format", []playground.File{{Path: "manifest.json", Data: []byte(`{"format":2}`)}}, "format 2"},
		{"stray file", []playground.File{{Path: "notes.txt"}}, "unexpected file"},
		{"escaping path", []playground.File{{Path: "manifest.json", Data: []byte(`{"format":1,"clock":"2026-01-01T09:00:00Z"}`)}, {Path: "mail/../x", Data: []byte("x")}}, "invalid path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			id := open(t, l, "pop3", "laptop")
			err := l.Restore(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore: %v, want an error containing %q", err, tc.want)
			}
			// The world in place keeps running.
			if r := feed(t, l, id, "USER alice"); !strings.HasPrefix(r.Output.Data, "+OK") {
				t.Errorf("after a failed restore: %q", r.Output.Data)
			}
		})
	}
}
