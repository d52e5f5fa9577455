package imap_test

import (
	"fmt"
	"testing"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// mbxStatus is what the store says of one of alice's demo mailboxes.
type mbxStatus struct {
	validity uint32
	size     int64 // the sum of the messages' RFC822.SIZE
	modseq   uint64
}

func demoStatus(t *testing.T, e *env, name string) mbxStatus {
	t.Helper()
	msgs, st, err := e.store.List("alice", name)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, m := range msgs {
		size += m.VSize
	}
	return mbxStatus{validity: st.UIDValidity, size: size, modseq: st.HighestModSeq}
}

func TestStatus(t *testing.T) {
	ref := newEnv(t)
	inbox, sent := demoStatus(t, ref, "INBOX"), demoStatus(t, ref, "Sent")
	runMbxCases(t, []mbxCase{
		{name: "every item",
			in: []string{"a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ)"},
			want: []string{
				fmt.Sprintf(`* STATUS "INBOX" (MESSAGES 9 RECENT 9 UIDNEXT 10 UIDVALIDITY %d UNSEEN 5 DELETED 0 SIZE %d HIGHESTMODSEQ %d)`, inbox.validity, inbox.size, inbox.modseq),
				"a OK STATUS completed"}},
		{name: "names other than INBOX are case-sensitive",
			in:   []string{"a STATUS sent (uidnext MESSAGES UIDNEXT size)"},
			want: []string{"a NO [NONEXISTENT] No such mailbox"}},
		{name: "items in the server's order, each once",
			in: []string{"a STATUS Sent (uidnext MESSAGES UIDNEXT size)"},
			want: []string{fmt.Sprintf(`* STATUS "Sent" (MESSAGES 3 UIDNEXT 4 SIZE %d)`, sent.size),
				"a OK STATUS completed"}},
		{name: "INBOX in any case",
			in:   []string{"a STATUS inbox (MESSAGES)"},
			want: []string{`* STATUS "INBOX" (MESSAGES 9)`, "a OK STATUS completed"}},
		{name: "a new mailbox",
			setup: []string{"s CREATE Empty"},
			in:    []string{"a STATUS Empty (MESSAGES RECENT UNSEEN DELETED SIZE UIDNEXT)"},
			want:  []string{`* STATUS "Empty" (MESSAGES 0 RECENT 0 UIDNEXT 1 UNSEEN 0 DELETED 0 SIZE 0)`, "a OK STATUS completed"}},
		{name: "the selected mailbox",
			setup: []string{"s EXAMINE Sent"},
			in:    []string{"a STATUS Sent (MESSAGES UIDNEXT)"},
			want:  []string{`* STATUS "Sent" (MESSAGES 3 UIDNEXT 4)`, "a OK STATUS completed"}},
		{name: "the selected mailbox's recent messages are this session's",
			setup: []string{"s SELECT Sent"},
			in:    []string{"a STATUS Sent (RECENT)"},
			want:  []string{`* STATUS "Sent" (RECENT 3)`, "a OK STATUS completed"}},
		{name: "no such mailbox",
			in:   []string{"a STATUS Nowhere (MESSAGES)"},
			want: []string{"a NO [NONEXISTENT] No such mailbox"}},
		{name: "a level of the hierarchy is no mailbox",
			setup: mbxHierarchy,
			in:    []string{"a STATUS Projects (MESSAGES)"},
			want:  []string{"a NO [NONEXISTENT] No such mailbox"}},
		{name: "names out of the store",
			in:   []string{"a STATUS ../bob (MESSAGES)", "b STATUS /etc (MESSAGES)", `c STATUS "" (MESSAGES)`},
			want: []string{`a NO [CANNOT] Mailbox name has a ".." hierarchy level`, `b NO [CANNOT] Mailbox names are relative to the personal namespace; they do not start with "/"`, "c NO [CANNOT] Mailbox name is empty"}},
		{name: "bad items",
			in: []string{"a STATUS INBOX ()", "b STATUS INBOX (MESSAGES FOO)", "c STATUS INBOX MESSAGES",
				"d STATUS INBOX", "e STATUS INBOX (MESSAGES) extra"},
			want: []string{"a BAD STATUS needs at least one data item", "b BAD unknown STATUS data item FOO",
				`c BAD expected "(", found "M"`, "d BAD expected SP after astring, found end of command",
				"e BAD expected end of command after list, found SP"}},
		{name: "no RECENT in IMAP4rev2",
			setup: []string{"s ENABLE IMAP4rev2"},
			in:    []string{"a STATUS INBOX (RECENT)", "b STATUS INBOX (MESSAGES DELETED)"},
			want:  []string{"a BAD RECENT is not a STATUS data item in IMAP4rev2", `* STATUS "INBOX" (MESSAGES 9 DELETED 0)`, "b OK STATUS completed"}},
	})
	e := newEnv(t)
	mbxExpect(t, e.session(t), []string{"a STATUS INBOX (MESSAGES)"}, []string{"a BAD STATUS is not valid in the NOT AUTHENTICATED state"})
}

// A message is \Recent to one session only (RFC 3501 §2.3.2): once a
// session has selected the mailbox, another one counts none.
func TestStatusRecent(t *testing.T) {
	e := newEnv(t)
	s, other := e.login(t, "alice"), e.login(t, "alice")
	mbxExpect(t, other, []string{"a STATUS Sent (RECENT)"}, []string{`* STATUS "Sent" (RECENT 3)`, "a OK STATUS completed"})
	mbxSetup(t, s, "a SELECT Sent")
	mbxExpect(t, s, []string{"b STATUS Sent (RECENT)"}, []string{`* STATUS "Sent" (RECENT 3)`, "b OK STATUS completed"})
	mbxExpect(t, other, []string{"c STATUS Sent (RECENT)"}, []string{`* STATUS "Sent" (RECENT 0)`, "c OK STATUS completed"})
}

// STATUS follows the store: flags set, mail delivered, by this session or
// another.
func TestStatusFollowsStore(t *testing.T) {
	e := newEnv(t)
	s := e.login(t, "alice")
	if err := e.store.AddFlag("alice", "Sent", []uint32{1, 3}, mailstore.FlagDeleted); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetFlags("alice", "Sent", 2, nil); err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: bob@example.com\r\nSubject: hi\r\n\r\nhello\r\n")
	if _, err := e.store.Deliver("alice", "Sent", raw, nil, testNow); err != nil {
		t.Fatal(err)
	}
	sent := demoStatus(t, e, "Sent")
	mbxExpect(t, s, []string{"a STATUS Sent (MESSAGES RECENT UIDNEXT UNSEEN DELETED SIZE HIGHESTMODSEQ)"}, []string{
		fmt.Sprintf(`* STATUS "Sent" (MESSAGES 4 RECENT 4 UIDNEXT 5 UNSEEN 2 DELETED 2 SIZE %d HIGHESTMODSEQ %d)`, sent.size, sent.modseq),
		"a OK STATUS completed",
	})
	if sent.size < int64(len(raw)) {
		t.Errorf("SIZE %d is less than the new message's %d octets", sent.size, len(raw))
	}
}
