package pop3_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/world"
)

// TestQuitOnFailingDisk: QUIT after DELE on a disk that cannot be written
// answers -ERR [SYS/TEMP] (RFC 1939 §6, RFC 2449 §8.1.2) and deletes
// nothing; RETR works meanwhile, and once the disk is back the same
// deletion goes through.
func TestQuitOnFailingDisk(t *testing.T) {
	for _, fail := range []error{mailstore.ErrNoSpace, mailstore.ErrReadOnly} {
		t.Run(fail.Error(), func(t *testing.T) {
			m, err := mem.NewFS()
			if err != nil {
				t.Fatal(err)
			}
			fsys := &mailstore.FaultFS{FS: m}
			st := mailstore.New(fsys, mailstore.Options{Clock: clock.NewVirtual(clock.Epoch)})
			w := world.Demo()
			if _, err := w.Populate(st); err != nil {
				t.Fatal(err)
			}
			cfg := &pop3.Config{Store: st, Users: w.Users, Hostname: "pop.example"}
			before, _, err := st.List("alice", mailstore.Inbox)
			if err != nil {
				t.Fatal(err)
			}

			fsys.FailWrites(fail)
			s := pop3.NewSession(cfg, 1, clock.Epoch)
			login(t, s, "alice", "wonderland")
			if got := feed(s, "RETR 1"); !strings.HasPrefix(got, "+OK") {
				t.Errorf("RETR on a failing disk: %.60q", got)
			}
			got := feed(s, "DELE 1", "DELE 2", "QUIT")
			want := lines("+OK Message 1 deleted", "+OK Message 2 deleted", "-ERR [SYS/TEMP] Some deleted messages were not removed")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DELE, QUIT on a failing disk (-want +got):\n%s", diff)
			}
			fsys.FailWrites(nil)
			after, _, err := st.List("alice", mailstore.Inbox)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(uidsOf(before), uidsOf(after)); diff != "" {
				t.Errorf("messages after a failed QUIT (-before +after):\n%s", diff)
			}

			s = pop3.NewSession(cfg, 2, clock.Epoch)
			login(t, s, "alice", "wonderland")
			if got := feed(s, "DELE 1", "QUIT"); !strings.Contains(got, "\r\n+OK wirelab POP3 server signing off") {
				t.Errorf("DELE, QUIT after recovery: %q", got)
			}
			after, _, err = st.List("alice", mailstore.Inbox)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(uidsOf(before)[1:], uidsOf(after)); diff != "" {
				t.Errorf("messages after recovery (-want +got):\n%s", diff)
			}
		})
	}
}

func uidsOf(msgs []mailstore.Message) []uint32 {
	var out []uint32
	for _, m := range msgs {
		out = append(out, m.UID)
	}
	return out
}
