package imap_test

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hack-pad/hackpadfs"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

func TestCreate(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "a mailbox",
			in: []string{"a CREATE Notes", `b LIST "" *`},
			want: []string{"a OK CREATE completed",
				listInbox, listArchive, `* LIST (\HasNoChildren) "/" "Notes"`, listSent, "b OK LIST completed"}},
		{name: "a trailing delimiter declares a hierarchy; the name is created without it",
			in: []string{"a CREATE Notes/", `b LIST "" N*`, "c STATUS Notes (MESSAGES UIDNEXT)"},
			want: []string{"a OK CREATE completed", `* LIST (\HasNoChildren) "/" "Notes"`, "b OK LIST completed",
				`* STATUS "Notes" (MESSAGES 0 UIDNEXT 1)`, "c OK STATUS completed"}},
		{name: "superior names are created as mailboxes",
			in: []string{"a CREATE Courses/CS340/Labs", `b LIST "" Courses*`, "c STATUS Courses/CS340 (MESSAGES)"},
			want: []string{"a OK CREATE completed",
				`* LIST (\HasChildren) "/" "Courses"`,
				`* LIST (\HasChildren) "/" "Courses/CS340"`,
				`* LIST (\HasNoChildren) "/" "Courses/CS340/Labs"`,
				"b OK LIST completed",
				`* STATUS "Courses/CS340" (MESSAGES 0)`, "c OK STATUS completed"}},
		{name: "a level that is no mailbox stays one",
			setup: mbxHierarchy,
			in:    []string{"a CREATE Projects/2026", `b LIST "" Projects/%`, `c LIST "" %ro%`},
			want: []string{"a OK CREATE completed",
				`* LIST (\HasChildren) "/" "Projects/2025"`,
				`* LIST (\HasNoChildren) "/" "Projects/2026"`,
				"b OK LIST completed",
				`* LIST (\Noselect \HasChildren) "/" "Projects"`, "c OK LIST completed"}},
		{name: "a level that is no mailbox can be made one",
			setup: mbxHierarchy,
			in:    []string{"a CREATE Projects", `b LIST "" Projects`},
			want:  []string{"a OK CREATE completed", `* LIST (\HasChildren) "/" "Projects"`, "b OK LIST completed"}},
		{name: "below INBOX",
			in:   []string{"a CREATE INBOX/Later", `b LIST "" INBOX*`},
			want: []string{"a OK CREATE completed", `* LIST (\HasChildren) "/" "INBOX"`, `* LIST (\HasNoChildren) "/" "INBOX/Later"`, "b OK LIST completed"}},
		{name: "INBOX exists",
			in: []string{"a CREATE INBOX", "b CREATE inbox", "c CREATE InBox/"},
			want: []string{"a NO [ALREADYEXISTS] INBOX always exists", "b NO [ALREADYEXISTS] INBOX always exists",
				"c NO [ALREADYEXISTS] INBOX always exists"}},
		{name: "an existing mailbox",
			in:   []string{"a CREATE Sent", "b CREATE Sent/"},
			want: []string{"a NO [ALREADYEXISTS] Mailbox already exists", "b NO [ALREADYEXISTS] Mailbox already exists"}},
		{name: "modified UTF-7",
			in:   []string{`a CREATE "&ZeVnLIqe-"`, `b LIST "" &ZeVnLIqe-`},
			want: []string{"a OK CREATE completed", `* LIST (\HasNoChildren) "/" "&ZeVnLIqe-"`, "b OK LIST completed"}},
		{name: "UTF-8 after ENABLE UTF8=ACCEPT",
			setup: []string{"s ENABLE UTF8=ACCEPT"},
			in:    []string{`a CREATE "日本語"`, `b LIST "" "日*"`},
			want:  []string{"a OK CREATE completed", `* LIST (\HasNoChildren) "/" "日本語"`, "b OK LIST completed"}},
		{name: "in the selected state",
			setup: []string{"s SELECT INBOX"},
			in:    []string{"a CREATE Notes"},
			want:  []string{"a OK CREATE completed"}},
		{name: "syntax",
			in:   []string{"a CREATE", "b CREATE Notes More", "c CREATE (Notes)"},
			want: []string{"a BAD expected SP after atom, found end of command", "b BAD expected end of command after astring, found SP", `c BAD expected astring, found "("`}},
	})
	e := newEnv(t)
	mbxExpect(t, e.session(t), []string{"a CREATE Notes"}, []string{"a BAD CREATE is not valid in the NOT AUTHENTICATED state"})
}

// Names that would lead out of the user's Maildir, or are no names, get NO
// [CANNOT] from every command that takes a name, and nothing changes on
// the file system.
func TestMailboxNamesStayInTheStore(t *testing.T) {
	names := []struct{ arg, text string }{
		{`../bob`, `Mailbox name has a ".." hierarchy level`},
		{`..`, `Mailbox name has a ".." hierarchy level`},
		{`Archive/../../bob`, `Mailbox name has a ".." hierarchy level`},
		{`a/./b`, `Mailbox name has a "." hierarchy level`},
		{`.`, `Mailbox name has a "." hierarchy level`},
		{`/etc/passwd`, `Mailbox names are relative to the personal namespace; they do not start with "/"`},
		{`a//b`, `Mailbox name has an empty hierarchy level`},
		{`""`, `Mailbox name is empty`},
		{`&AAA-`, `Mailbox name contains a control character`},           // NUL in modified UTF-7
		{`"a&AB8-b"`, `Mailbox name contains a control character`},       // U+001F in modified UTF-7
		{"\"tab\there\"", `Mailbox name contains a control character`},   // raw, in a quoted string
		{"{4+}\r\na\x7fbc", `Mailbox name contains a control character`}, // raw, in a literal
		{strings.Repeat("x", mailstore.MaxMailboxNameLength+1), `Mailbox name is longer than 200 octets`},
	}
	e := newEnv(t)
	before := mbxTree(t, e)
	s := e.login(t, "alice")
	for _, n := range names {
		for _, cmd := range []string{"CREATE " + n.arg, "DELETE " + n.arg, "RENAME " + n.arg + " Safe", "RENAME Sent " + n.arg,
			"SUBSCRIBE " + n.arg, "UNSUBSCRIBE " + n.arg, "STATUS " + n.arg + " (MESSAGES)"} {
			mbxExpect(t, s, []string{"t " + cmd}, []string{"t NO [CANNOT] " + n.text})
		}
	}
	// A backslash is the store's to refuse (ErrBadMailboxName).
	mbxExpect(t, s, []string{`a CREATE "a\\b"`, `b SUBSCRIBE "a\\b"`, `c DELETE "a\\b"`},
		[]string{"a NO [CANNOT] Invalid mailbox name", "b NO [CANNOT] Invalid mailbox name", "c NO [NONEXISTENT] No such mailbox"})
	if after := mbxTree(t, e); !slices.Equal(before, after) {
		t.Errorf("the file system changed:\nbefore %q\nafter  %q", before, after)
	}
	mbxExpect(t, s, []string{`a LSUB "" *`, `b LIST "" *`}, []string{"a OK LSUB completed", listInbox, listArchive, listSent, "b OK LIST completed"})
	// Raw NUL is no valid syntax anywhere (RFC 9051 §9: CHAR8 and
	// QUOTED-CHAR exclude it), so it is BAD.
	mbxExpect(t, s, []string{"a CREATE {3+}\r\na\x00b"}, []string{"a BAD NUL at octet 1 of a literal (only literal8, ~{n}, may carry NUL)"})
}

// mbxTree lists the directories of the store's file system.
func mbxTree(t *testing.T, e *env) []string {
	t.Helper()
	var dirs []string
	err := fs.WalkDir(hackpadfsFS{e.store.FS()}, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// hackpadfsFS adapts a hackpadfs.FS to fs.ReadDirFS for fs.WalkDir.
type hackpadfsFS struct{ hackpadfs.FS }

func (f hackpadfsFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return hackpadfs.ReadDir(f.FS, name)
}

func TestDelete(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "a mailbox",
			in:   []string{"a DELETE Archive", `b LIST "" *`},
			want: []string{"a OK DELETE completed", listInbox, listSent, "b OK LIST completed"}},
		{name: "a mailbox with inferior names becomes a level of the hierarchy",
			setup: []string{"s CREATE Projects/2025"},
			in:    []string{"a DELETE Projects", `b LIST "" Projects*`, "c STATUS Projects (MESSAGES)"},
			want: []string{"a OK DELETE completed",
				`* LIST (\Noselect \HasChildren) "/" "Projects"`, `* LIST (\HasNoChildren) "/" "Projects/2025"`, "b OK LIST completed",
				"c NO [NONEXISTENT] No such mailbox"}},
		{name: "a level of the hierarchy cannot be deleted",
			setup: mbxHierarchy,
			in:    []string{"a DELETE Projects"},
			want:  []string{"a NO [HASCHILDREN] Name has inferior hierarchical names and is not a mailbox"}},
		{name: "a level goes with its last inferior",
			setup: []string{"s1 CREATE Projects/2025", "s2 DELETE Projects"},
			in:    []string{"a DELETE Projects/2025", `b LIST "" P*`, "c DELETE Projects"},
			want:  []string{"a OK DELETE completed", "b OK LIST completed", "c NO [NONEXISTENT] No such mailbox"}},
		{name: "INBOX cannot be deleted",
			in:   []string{"a DELETE INBOX", "b DELETE inbox"},
			want: []string{"a NO [CANNOT] INBOX cannot be deleted", "b NO [CANNOT] INBOX cannot be deleted"}},
		{name: "no such mailbox",
			in:   []string{"a DELETE Nowhere", "b DELETE sent"},
			want: []string{"a NO [NONEXISTENT] No such mailbox", "b NO [NONEXISTENT] No such mailbox"}},
		{name: "twice",
			in:   []string{"a DELETE Sent", "b DELETE Sent"},
			want: []string{"a OK DELETE completed", "b NO [NONEXISTENT] No such mailbox"}},
		{name: "subscriptions stay",
			setup: []string{"s SUBSCRIBE Sent"},
			in:    []string{"a DELETE Sent", `b LIST (SUBSCRIBED) "" *`},
			want:  []string{"a OK DELETE completed", `* LIST (\NonExistent \HasNoChildren \Subscribed) "/" "Sent"`, "b OK LIST completed"}},
		{name: "the selected mailbox is closed first",
			setup: []string{"s SELECT Sent"},
			in:    []string{"a DELETE Sent", "b NOOP"},
			want:  []string{"* OK [CLOSED] The selected mailbox was deleted", "a OK DELETE completed", "b OK NOOP completed"}},
		{name: "another mailbox leaves the selection alone",
			setup: []string{"s SELECT Sent"},
			in:    []string{"a DELETE Archive"},
			want:  []string{"a OK DELETE completed"}},
	})
}

func TestDeleteSelected(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	other := e.login(t, "alice")
	mbxSetup(t, s, "a SELECT Sent")
	mbxSetup(t, other, "a SELECT Sent")
	mbxExpect(t, s, []string{"b DELETE Sent"}, []string{"* OK [CLOSED] The selected mailbox was deleted", "b OK DELETE completed"})
	if s.State() != imap.Authenticated || s.Mailbox() != "" {
		t.Errorf("after DELETE of the selected mailbox: state %v, mailbox %q", s.State(), s.Mailbox())
	}
	mbxExpect(t, s, []string{"c CLOSE"}, []string{"c BAD CLOSE is not valid in the AUTHENTICATED state"})
	// The other session learns that the messages are gone.
	out := mbxLines(feed(other, "d NOOP"))
	if n := slices.Index(out, "d OK NOOP completed"); n < 0 || strings.Count(strings.Join(out, "\n"), "* 1 EXPUNGE") != 3 {
		t.Errorf("the other session's NOOP: %q", out)
	}
}

// A mailbox created again after DELETE is a new one: a new UIDVALIDITY,
// so that no UID of the old one means anything in it (RFC 9051 §6.3.5).
func TestDeleteAndCreateAgain(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	old := demoStatus(t, e, "Sent").validity
	mbxSetup(t, s, "a DELETE Sent", "b CREATE Sent")
	if v := demoStatus(t, e, "Sent").validity; v == old {
		t.Errorf("Sent created again has the UIDVALIDITY of the deleted one, %d", v)
	}
	mbxExpect(t, s, []string{"c STATUS Sent (MESSAGES UIDNEXT)"}, []string{`* STATUS "Sent" (MESSAGES 0 UIDNEXT 1)`, "c OK STATUS completed"})
}

func TestRename(t *testing.T) {
	ref := newEnv(t)
	inbox, archive := demoStatus(t, ref, "INBOX").validity, demoStatus(t, ref, "Archive").validity
	runMbxCases(t, []mbxCase{
		{name: "a mailbox",
			in: []string{"a RENAME Archive Old", `b LIST "" *`, "c STATUS Old (MESSAGES)"},
			want: []string{"a OK RENAME completed",
				listInbox, `* LIST (\HasNoChildren) "/" "Old"`, listSent, "b OK LIST completed",
				`* STATUS "Old" (MESSAGES 2)`, "c OK STATUS completed"}},
		{name: "UIDVALIDITY and UIDs stay",
			in: []string{"a STATUS Archive (UIDNEXT UIDVALIDITY)", "b RENAME Archive Old", "c STATUS Old (UIDNEXT UIDVALIDITY)"},
			want: []string{fmt.Sprintf(`* STATUS "Archive" (UIDNEXT 3 UIDVALIDITY %d)`, archive), "a OK STATUS completed",
				"b OK RENAME completed",
				fmt.Sprintf(`* STATUS "Old" (UIDNEXT 3 UIDVALIDITY %d)`, archive), "c OK STATUS completed"}},
		{name: "inferior names move along",
			setup: []string{"s CREATE Projects/2025/Q1"},
			in:    []string{"a RENAME Projects Work", `b LIST "" *`},
			want: []string{"a OK RENAME completed",
				listInbox, listArchive, listSent,
				`* LIST (\HasChildren) "/" "Work"`, `* LIST (\HasChildren) "/" "Work/2025"`, `* LIST (\HasNoChildren) "/" "Work/2025/Q1"`,
				"b OK LIST completed"}},
		{name: "a level of the hierarchy",
			setup: mbxHierarchy,
			in:    []string{"a RENAME Projects Work", `b LIST "" W*`},
			want: []string{"a OK RENAME completed",
				`* LIST (\Noselect \HasChildren) "/" "Work"`, `* LIST (\HasChildren) "/" "Work/2025"`, `* LIST (\HasNoChildren) "/" "Work/2025/Q1"`,
				"b OK LIST completed"}},
		{name: "superior names of the new name are created",
			in: []string{"a RENAME Archive Years/2025/Archive", `b LIST "" Y*`},
			want: []string{"a OK RENAME completed",
				`* LIST (\HasChildren) "/" "Years"`, `* LIST (\HasChildren) "/" "Years/2025"`, `* LIST (\HasNoChildren) "/" "Years/2025/Archive"`,
				"b OK LIST completed"}},
		{name: "INBOX: its messages move, INBOX stays empty with its inferiors",
			setup: []string{"s CREATE INBOX/Later"},
			in: []string{"a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)", "b RENAME INBOX Saved", `c LIST "" *`,
				"d STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)", "e STATUS Saved (MESSAGES)"},
			want: []string{fmt.Sprintf(`* STATUS "INBOX" (MESSAGES 9 UIDNEXT 10 UIDVALIDITY %d)`, inbox), "a OK STATUS completed",
				"b OK RENAME completed",
				`* LIST (\HasChildren) "/" "INBOX"`, listArchive, `* LIST (\HasNoChildren) "/" "INBOX/Later"`,
				`* LIST (\HasNoChildren) "/" "Saved"`, listSent, "c OK LIST completed",
				fmt.Sprintf(`* STATUS "INBOX" (MESSAGES 0 UIDNEXT 10 UIDVALIDITY %d)`, inbox), "d OK STATUS completed",
				`* STATUS "Saved" (MESSAGES 9)`, "e OK STATUS completed"}},
		{name: "INBOX in any case",
			in:   []string{"a RENAME inbox Saved"},
			want: []string{"a OK RENAME completed"}},
		{name: "subscriptions stay with the old name",
			setup: []string{"s SUBSCRIBE Archive"},
			in:    []string{"a RENAME Archive Old", `b LIST (SUBSCRIBED) "" *`},
			want:  []string{"a OK RENAME completed", `* LIST (\NonExistent \HasNoChildren \Subscribed) "/" "Archive"`, "b OK LIST completed"}},
		{name: "no such mailbox",
			in:   []string{"a RENAME Nowhere Somewhere", "b RENAME archive Old"},
			want: []string{"a NO [NONEXISTENT] No such mailbox", "b NO [NONEXISTENT] No such mailbox"}},
		{name: "the new name exists",
			in: []string{"a RENAME Archive Sent", "b RENAME Archive INBOX", "c RENAME Archive inbox", "d RENAME Archive Archive", "e RENAME INBOX Sent"},
			want: []string{"a NO [ALREADYEXISTS] Mailbox already exists", "b NO [ALREADYEXISTS] Mailbox already exists",
				"c NO [ALREADYEXISTS] Mailbox already exists", "d NO [ALREADYEXISTS] Mailbox already exists",
				"e NO [ALREADYEXISTS] Mailbox already exists"}},
		{name: "an inferior of the new name exists",
			setup: []string{"s1 CREATE Old/Sent", "s2 CREATE Archive/Sent", "s3 DELETE Old"},
			in:    []string{"a RENAME Archive Old"},
			want:  []string{"a NO [ALREADYEXISTS] Mailbox already exists"}},
		{name: "below itself",
			in:   []string{"a RENAME Archive Archive/2025"},
			want: []string{"a NO [CANNOT] A mailbox cannot be moved below itself"}},
		{name: "INBOX may move below itself",
			in:   []string{"a RENAME INBOX INBOX/Old", `b LIST "" INBOX*`},
			want: []string{"a OK RENAME completed", `* LIST (\HasChildren) "/" "INBOX"`, `* LIST (\HasNoChildren) "/" "INBOX/Old"`, "b OK LIST completed"}},
		{name: "syntax",
			in:   []string{"a RENAME Archive", "b RENAME Archive Old New"},
			want: []string{"a BAD expected SP after astring, found end of command", "b BAD expected end of command after astring, found SP"}},
	})
}

// A session whose selected mailbox is renamed keeps it, under its new name,
// and still hears of what happens to it.
func TestRenameSelected(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, selected, after string
	}{
		{"the selected mailbox", "Archive", "Old/Archive", "Archive", "Old/Archive"},
		{"its superior", "Projects", "Work", "Projects/2025", "Work/2025"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.login(t, "alice")
			mbxSetup(t, s, "s1 CREATE Projects/2025", "s2 ENABLE IMAP4rev2", "s3 SELECT "+tc.selected)
			mbxExpect(t, s, []string{"a RENAME " + tc.from + " " + tc.to}, []string{"a OK RENAME completed"})
			if s.State() != imap.Selected || s.Mailbox() != tc.after {
				t.Fatalf("after RENAME: state %v, mailbox %q", s.State(), s.Mailbox())
			}
			msgs, _, err := e.store.List("alice", tc.after)
			if err != nil {
				t.Fatal(err)
			}
			raw := []byte("From: bob@example.com\r\nSubject: still here\r\n\r\nhello\r\n")
			if _, err := e.store.Deliver("alice", tc.after, raw, nil, testNow); err != nil {
				t.Fatal(err)
			}
			n := len(msgs) + 1
			mbxExpect(t, s, []string{"b NOOP"}, []string{"* " + strconv.Itoa(n) + " EXISTS", "b OK NOOP completed"})
			// Renaming it back is followed too.
			mbxExpect(t, s, []string{"c RENAME " + tc.to + " " + tc.from}, []string{"c OK RENAME completed"})
			if s.Mailbox() != tc.selected {
				t.Errorf("after renaming back: mailbox %q", s.Mailbox())
			}
			mbxExpect(t, s, []string{"d STATUS " + tc.selected + " (MESSAGES)"}, []string{`* STATUS "` + tc.selected + `" (MESSAGES ` + strconv.Itoa(n) + ")", "d OK STATUS completed"})
		})
	}
	// A failed RENAME leaves the selection as it was.
	e := newEnv(t)
	s := e.login(t, "alice")
	mbxSetup(t, s, "s SELECT Archive")
	mbxExpect(t, s, []string{"a RENAME Archive Sent"}, []string{"a NO [ALREADYEXISTS] Mailbox already exists"})
	if s.Mailbox() != "Archive" {
		t.Errorf("after a failed RENAME: mailbox %q", s.Mailbox())
	}
	// Renaming INBOX leaves INBOX selected; its messages go.
	mbxSetup(t, s, "b SELECT INBOX")
	out := mbxLines(feed(s, "c RENAME INBOX Saved"))
	if s.Mailbox() != "INBOX" || !slices.Contains(out, "c OK RENAME completed") || strings.Count(strings.Join(out, "\n"), "* 1 EXPUNGE") != 9 {
		t.Errorf("RENAME of the selected INBOX: mailbox %q, responses %q", s.Mailbox(), out)
	}
}

func TestSubscribe(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "subscribe and unsubscribe",
			in: []string{"a SUBSCRIBE Sent", `b LSUB "" *`, "c UNSUBSCRIBE Sent", `d LSUB "" *`},
			want: []string{"a OK SUBSCRIBE completed", `* LSUB () "/" "Sent"`, "b OK LSUB completed",
				"c OK UNSUBSCRIBE completed", "d OK LSUB completed"}},
		{name: "twice is fine",
			in:   []string{"a SUBSCRIBE Sent", "b SUBSCRIBE Sent", `c LSUB "" *`},
			want: []string{"a OK SUBSCRIBE completed", "b OK SUBSCRIBE completed", `* LSUB () "/" "Sent"`, "c OK LSUB completed"}},
		{name: "a name with no mailbox",
			in:   []string{"a SUBSCRIBE Later/Maybe", `b LIST (SUBSCRIBED) "" *`},
			want: []string{"a OK SUBSCRIBE completed", `* LIST (\NonExistent \HasNoChildren \Subscribed) "/" "Later/Maybe"`, "b OK LIST completed"}},
		{name: "unsubscribing what is not subscribed is fine",
			in:   []string{"a UNSUBSCRIBE Sent", "b UNSUBSCRIBE Nowhere"},
			want: []string{"a OK UNSUBSCRIBE completed", "b OK UNSUBSCRIBE completed"}},
		{name: "INBOX in any case",
			in:   []string{"a SUBSCRIBE inbox", `b LSUB "" *`, "c UNSUBSCRIBE InBoX", `d LSUB "" *`},
			want: []string{"a OK SUBSCRIBE completed", `* LSUB () "/" "INBOX"`, "b OK LSUB completed", "c OK UNSUBSCRIBE completed", "d OK LSUB completed"}},
		{name: "modified UTF-7",
			in:   []string{`a SUBSCRIBE "Caf&AOk-"`, `b LSUB "" *`},
			want: []string{"a OK SUBSCRIBE completed", `* LSUB (\Noselect) "/" "Caf&AOk-"`, "b OK LSUB completed"}},
		{name: "syntax",
			in:   []string{"a SUBSCRIBE", "b UNSUBSCRIBE Sent Archive"},
			want: []string{"a BAD expected SP after atom, found end of command", "b BAD expected end of command after astring, found SP"}},
	})
}

// What one session creates, renames and subscribes, the next one sees:
// the state is the store's.
func TestMailboxesPersist(t *testing.T) {
	e := newEnv(t)
	mbxSetup(t, e.login(t, "alice"), "a CREATE Courses/CS340", "b RENAME Archive Courses/Old", "c SUBSCRIBE Courses/CS340", "d DELETE Sent")
	mbxExpect(t, e.login(t, "alice"), []string{`a LIST "" * RETURN (SUBSCRIBED)`}, []string{
		listInbox,
		`* LIST (\HasChildren) "/" "Courses"`,
		`* LIST (\HasNoChildren \Subscribed) "/" "Courses/CS340"`,
		`* LIST (\HasNoChildren) "/" "Courses/Old"`,
		"a OK LIST completed",
	})
	// On the file system, in the Maildir++ layout.
	for _, dir := range []string{"alice/.Courses/cur", "alice/.Courses.CS340/cur", "alice/.Courses.Old/cur"} {
		if info, err := hackpadfs.Stat(e.store.FS(), dir); err != nil || !info.IsDir() {
			t.Errorf("%s: %v", dir, err)
		}
	}
	for _, dir := range []string{"alice/.Archive", "alice/.Sent"} {
		if _, err := hackpadfs.Stat(e.store.FS(), dir); err == nil {
			t.Errorf("%s still exists", dir)
		}
	}
	// bob's mailboxes are his own.
	mbxExpect(t, e.login(t, "bob"), []string{`a LIST "" *`}, []string{listInbox, "a OK LIST completed"})
}

func TestNamespace(t *testing.T) {
	runMbxCases(t, []mbxCase{
		{name: "one personal namespace",
			in:   []string{"a NAMESPACE"},
			want: []string{`* NAMESPACE (("" "/")) NIL NIL`, "a OK NAMESPACE completed"}},
		{name: "in the selected state, after ENABLE UTF8=ACCEPT",
			setup: []string{"s1 SELECT INBOX", "s2 ENABLE UTF8=ACCEPT"},
			in:    []string{"a NAMESPACE"},
			want:  []string{`* NAMESPACE (("" "/")) NIL NIL`, "a OK NAMESPACE completed"}},
		{name: "no arguments",
			in:   []string{"a NAMESPACE x"},
			want: []string{"a BAD expected end of command after atom, found SP"}},
	})
	e := newEnv(t)
	mbxExpect(t, e.session(t), []string{"a NAMESPACE"}, []string{"a BAD NAMESPACE is not valid in the NOT AUTHENTICATED state"})
}
