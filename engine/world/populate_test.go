package world_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

func TestPopulateDemo(t *testing.T) {
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	w := world.Demo()
	filled, err := w.Populate(st)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w.Users.Names(), filled); diff != "" {
		t.Errorf("filled users (-want +got):\n%s", diff)
	}
	for _, user := range w.Users.Names() {
		for _, mb := range w.Mailboxes[user] {
			msgs, _, err := st.List(user, mb.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != len(mb.Messages) {
				t.Fatalf("%s/%s has %d messages, want %d", user, mb.Name, len(msgs), len(mb.Messages))
			}
			for i, m := range msgs {
				data, err := st.Read(user, mb.Name, m.UID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(mb.Messages[i].Raw), string(data)); diff != "" {
					t.Errorf("%s/%s message %d differs (-world +store):\n%s", user, mb.Name, i+1, diff)
				}
				var got []string
				for _, f := range m.Flags {
					got = append(got, string(f))
				}
				sortFlags := cmpopts.SortSlices(func(a, b string) bool { return a < b })
				if diff := cmp.Diff(mb.Messages[i].Flags, got, sortFlags, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s/%s message %d flags (-world +store):\n%s", user, mb.Name, i+1, diff)
				}
				if !m.InternalDate.Equal(mb.Messages[i].Date) {
					t.Errorf("%s/%s message %d internal date = %v, want %v", user, mb.Name, i+1, m.InternalDate, mb.Messages[i].Date)
				}
			}
		}
	}
	// A second populate leaves existing users alone.
	if _, err := st.Deliver("alice", "INBOX", []byte("Subject: extra\n\n"), nil, w.Mailboxes["alice"][0].Messages[0].Date); err != nil {
		t.Fatal(err)
	}
	again, err := w.Populate(st)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Populate = %v, %v; want no users filled", again, err)
	}
	msgs, _, _ := st.List("alice", "INBOX")
	if len(msgs) != len(w.Mailboxes["alice"][0].Messages)+1 {
		t.Errorf("alice's INBOX has %d messages after a second populate", len(msgs))
	}
}
