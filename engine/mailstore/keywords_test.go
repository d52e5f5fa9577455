package mailstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/mailstore"
)

func TestParseFlag(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    mailstore.Flag
		wantErr bool
	}{
		{in: `\Seen`, want: mailstore.FlagSeen},
		{in: `\SEEN`, want: mailstore.FlagSeen},
		{in: `\answered`, want: mailstore.FlagAnswered},
		{in: `$Forwarded`, want: `$Forwarded`},
		{in: `Junk`, want: `Junk`},
		{in: `NonJunk`, want: `NonJunk`},
		{in: `\Recent`, wantErr: true},
		{in: `\Bogus`, wantErr: true},
		{in: ``, wantErr: true},
		{in: `two words`, wantErr: true},
		{in: `paren(`, wantErr: true},
		{in: `wild*`, wantErr: true},
		{in: `pct%`, wantErr: true},
		{in: `quote"`, wantErr: true},
		{in: `brack]`, wantErr: true},
		{in: `brace{`, wantErr: true},
		{in: "ctl\x01", wantErr: true},
		{in: "del\x7f", wantErr: true},
		{in: "ünïcode", wantErr: true},
		{in: strings.Repeat("k", mailstore.MaxKeywordLength), want: mailstore.Flag(strings.Repeat("k", mailstore.MaxKeywordLength))},
		{in: strings.Repeat("k", mailstore.MaxKeywordLength+1), wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := mailstore.ParseFlag(tc.in)
			if tc.wantErr {
				if !errors.Is(err, mailstore.ErrBadFlag) {
					t.Errorf("ParseFlag(%q) = %q, %v; want ErrBadFlag", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseFlag(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// Keywords live in the file name as letters a..z, named by
// dovecot-keywords, and come back the same from a fresh store.
func TestKeywordsRoundTrip(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	uid, err := st.Deliver("alice", "INBOX", []byte("Subject: k\n\n"), []mailstore.Flag{"$Forwarded", `\seen`}, atNow)
	if err != nil {
		t.Fatal(err)
	}
	// A second spelling of a known keyword is the same keyword.
	if _, _, err := st.StoreFlags("alice", "INBOX", []uint32{uid}, mailstore.StoreAdd, []mailstore.Flag{"Junk", "$FORWARDED", "junk"}, mailstore.Unconditional); err != nil {
		t.Fatal(err)
	}
	wantFlags := []mailstore.Flag{mailstore.FlagSeen, "$Forwarded", "Junk"}
	msgs, _ := mustList(t, st, "alice", "INBOX")
	if diff := cmp.Diff(wantFlags, msgs[0].Flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("0 $Forwarded\n1 Junk\n", readFile(t, fsys, "alice/dovecot-keywords")); diff != "" {
		t.Errorf("dovecot-keywords (-want +got):\n%s", diff)
	}
	names := fileNames(t, fsys, "alice/cur")
	if len(names) != 1 || !strings.HasSuffix(names[0], ":2,Sab") {
		t.Errorf("cur/ = %v, want one file ending in :2,Sab", names)
	}

	fresh := reopen(fsys, mailstore.Options{})
	again, _ := mustList(t, fresh, "alice", "INBOX")
	if diff := cmp.Diff(msgs, again); diff != "" {
		t.Errorf("after restart (-want +got):\n%s", diff)
	}
	kw, err := fresh.Keywords("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]mailstore.Flag{"$Forwarded", "Junk"}, kw); diff != "" {
		t.Errorf("keywords after restart (-want +got):\n%s", diff)
	}
	// Removing is case-insensitive too, and the keyword stays defined.
	res, _, err := fresh.StoreFlags("alice", "INBOX", []uint32{uid}, mailstore.StoreRemove, []mailstore.Flag{"JUNK", "NeverSeen"}, mailstore.Unconditional)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]mailstore.Flag{mailstore.FlagSeen, "$Forwarded"}, res[0].Flags); diff != "" {
		t.Errorf("flags after -FLAGS (-want +got):\n%s", diff)
	}
	if kw, _ := fresh.Keywords("alice", "INBOX"); len(kw) != 2 {
		t.Errorf("keywords after -FLAGS = %v, want both still defined (and NeverSeen not defined)", kw)
	}
}

// A Maildir Dovecot wrote: its keyword letters and names are adopted, and a
// letter with no name survives flag changes.
func TestKeywordsFromDovecot(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	writeFile(t, fsys, "alice/dovecot-keywords", "0 $Label1\n2 Work\n")
	writeFile(t, fsys, "alice/cur/1700000000.M1P1.host:2,Sacz", "Subject: d\n\n")
	if err := st.Refresh("alice", "INBOX"); err != nil {
		t.Fatal(err)
	}
	msgs, _ := mustList(t, st, "alice", "INBOX")
	if diff := cmp.Diff([]mailstore.Flag{mailstore.FlagSeen, "$Label1", "Work"}, msgs[0].Flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	// A new keyword takes the free letter b.
	if _, _, err := st.StoreFlags("alice", "INBOX", []uint32{msgs[0].UID}, mailstore.StoreAdd, []mailstore.Flag{"Home"}, mailstore.Unconditional); err != nil {
		t.Fatal(err)
	}
	names := fileNames(t, fsys, "alice/cur")
	if len(names) != 1 || !strings.HasSuffix(names[0], ":2,Sabcz") {
		t.Errorf("cur/ = %v, want the file to end in :2,Sabcz", names)
	}
	if diff := cmp.Diff("0 $Label1\n1 Home\n2 Work\n", readFile(t, fsys, "alice/dovecot-keywords")); diff != "" {
		t.Errorf("dovecot-keywords (-want +got):\n%s", diff)
	}
	// The unnamed z stays reserved: letters d..y take 22 more keywords, and
	// then the mailbox is full.
	var more []mailstore.Flag
	for i := range 22 {
		more = append(more, mailstore.Flag(fmt.Sprintf("more%d", i)))
	}
	uid := msgs[0].UID
	if _, _, err := st.StoreFlags("alice", "INBOX", []uint32{uid}, mailstore.StoreAdd, more, mailstore.Unconditional); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.StoreFlags("alice", "INBOX", []uint32{uid}, mailstore.StoreAdd, []mailstore.Flag{"last"}, mailstore.Unconditional); !errors.Is(err, mailstore.ErrTooManyKeywords) {
		t.Errorf("keyword for the reserved letter z: %v, want ErrTooManyKeywords", err)
	}
	if snap, _ := st.Select("alice", "INBOX", true); snap.CanCreateKeywords {
		t.Error("CanCreateKeywords with only the reserved letter left")
	}
	// Moved elsewhere, the message loses the letter that meant nothing.
	mustCreate(t, st, "alice", "Elsewhere")
	if _, err := st.Move("alice", "INBOX", "Elsewhere", []uint32{uid}); err != nil {
		t.Fatal(err)
	}
	for _, name := range fileNames(t, fsys, "alice/.Elsewhere/cur") {
		// Elsewhere names 25 keywords, a..y.
		if _, info, _ := strings.Cut(name, ":2,"); strings.Contains(info, "z") {
			t.Errorf("moved file %q kept the unnamed letter z", name)
		}
	}
	moved, _ := mustList(t, st, "alice", "Elsewhere")
	if len(moved) != 1 || len(moved[0].Flags) != 26 {
		t.Errorf("moved message has %d flags, want 26 (\\Seen and 25 keywords)", len(moved[0].Flags))
	}
}

// The 27th keyword fails with ErrTooManyKeywords and changes nothing; the
// 26 defined ones keep working.
func TestKeywordLimit(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	uids := deliverN(t, st, "alice", "INBOX", 2)
	var kws []mailstore.Flag
	for i := range mailstore.MaxKeywords {
		kws = append(kws, mailstore.Flag(fmt.Sprintf("kw%02d", i)))
	}
	if _, _, err := st.StoreFlags("alice", "INBOX", uids[:1], mailstore.StoreAdd, kws, mailstore.Unconditional); err != nil {
		t.Fatalf("%d keywords: %v", mailstore.MaxKeywords, err)
	}
	before, beforeStatus := mustList(t, st, "alice", "INBOX")
	snap, err := st.Select("alice", "INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	if snap.CanCreateKeywords || len(snap.Keywords) != mailstore.MaxKeywords {
		t.Errorf("full mailbox: CanCreateKeywords=%v with %d keywords, want false with %d", snap.CanCreateKeywords, len(snap.Keywords), mailstore.MaxKeywords)
	}

	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"store", func() error {
			_, _, err := st.StoreFlags("alice", "INBOX", uids, mailstore.StoreAdd, []mailstore.Flag{"kw00", "one-too-many"}, mailstore.Unconditional)
			return err
		}},
		{"replace", func() error {
			_, _, err := st.StoreFlags("alice", "INBOX", uids[1:], mailstore.StoreReplace, []mailstore.Flag{"one-too-many"}, mailstore.Unconditional)
			return err
		}},
		{"deliver", func() error {
			_, err := st.Deliver("alice", "INBOX", []byte("Subject: x\n\n"), []mailstore.Flag{"one-too-many"}, atNow)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, mailstore.ErrTooManyKeywords) {
				t.Fatalf("err = %v, want ErrTooManyKeywords", err)
			}
			after, afterStatus := mustList(t, st, "alice", "INBOX")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("messages changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeStatus, afterStatus); diff != "" {
				t.Errorf("status changed (-before +after):\n%s", diff)
			}
			if names := fileNames(t, fsys, "alice/tmp"); len(names) != 0 {
				t.Errorf("tmp/ = %v, want empty", names)
			}
		})
	}
	// The defined ones still work, on another message too.
	if _, _, err := st.StoreFlags("alice", "INBOX", uids[1:], mailstore.StoreAdd, []mailstore.Flag{"KW25"}, mailstore.Unconditional); err != nil {
		t.Fatal(err)
	}
	// Another mailbox has its own 26 letters.
	mustCreate(t, st, "alice", "Other")
	if _, err := st.Deliver("alice", "Other", []byte("Subject: x\n\n"), []mailstore.Flag{"one-too-many"}, atNow); err != nil {
		t.Errorf("keyword in a fresh mailbox: %v", err)
	}
}

// A new keyword shows on the feed before the flag change that uses it.
func TestKeywordsChangedOnFeed(t *testing.T) {
	st, _ := newStore(t, memFS(t))
	uids := deliverN(t, st, "alice", "INBOX", 2)
	rec := watch(t, st, "alice", "INBOX")
	res, _, err := st.StoreFlags("alice", "INBOX", uids, mailstore.StoreAdd, []mailstore.Flag{"$Important"}, mailstore.Unconditional)
	if err != nil {
		t.Fatal(err)
	}
	ms := res[0].ModSeq
	flags := []mailstore.Flag{"$Important"}
	want := []mailstore.Change{
		{User: "alice", Mailbox: "INBOX", Kind: mailstore.KeywordsChanged, Keywords: []mailstore.Flag{"$Important"}},
		{User: "alice", Mailbox: "INBOX", Kind: mailstore.FlagsChanged, UIDs: uids, ModSeq: ms, Messages: []mailstore.MessageFlags{
			{UID: uids[0], Flags: flags, ModSeq: ms, Changed: true},
			{UID: uids[1], Flags: flags, ModSeq: ms, Changed: true},
		}},
	}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// Using it again defines nothing new.
	if _, _, err := st.StoreFlags("alice", "INBOX", uids[:1], mailstore.StoreRemove, []mailstore.Flag{"$important"}, mailstore.Unconditional); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.take() {
		if c.Kind == mailstore.KeywordsChanged {
			t.Errorf("KeywordsChanged after using a known keyword: %+v", c)
		}
	}
}
