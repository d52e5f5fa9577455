package imap_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

// diskEnv is the demo world on a file system whose writes fail with the
// error in fault while it is set.
func diskEnv(t *testing.T) (*env, *mailstore.FaultFS) {
	t.Helper()
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
	return &env{store: st, cfg: &imap.Config{Store: st, Users: w.Users, Hostname: "imap.example"}, w: w}, fsys
}

// TestDiskFull: while the store cannot be written, commands that write get
// NO with a response code that says why (RFC 5530 §3), commands that read
// keep working, and once the disk is back the same commands succeed and
// nothing written before is lost.
func TestDiskFull(t *testing.T) {
	tagged := regexp.MustCompile(`(?m)^x (OK|NO|BAD)( \[[A-Z]+)?`)
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"full", mailstore.ErrNoSpace, "[OVERQUOTA"},
		{"read-only", mailstore.ErrReadOnly, "[UNAVAILABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, fault := diskEnv(t)
			s := e.login(t, "alice")
			feed(s, "s SELECT INBOX")
			readCmds := []string{
				"x FETCH 1:* (FLAGS BODY.PEEK[])",
				"x UID SEARCH ALL",
				"x SEARCH TEXT wonderland",
				"x STATUS Sent (MESSAGES UIDNEXT)",
				`x LIST "" "*"`,
				"x NOOP",
			}
			before := map[string]string{}
			for _, cmd := range readCmds {
				before[cmd] = feed(s, cmd)
			}

			fault.FailWrites(tc.err)
			writes := []string{
				"x APPEND INBOX {22+}\r\nSubject: new\r\n\r\nbody\r\n",
				"x COPY 1 Sent",
				"x STORE 1 +FLAGS (\\Flagged)",
				"x CREATE Projects",
			}
			for _, cmd := range writes {
				out := feed(s, cmd)
				m := tagged.FindStringSubmatch(out)
				if m == nil || m[1] != "NO" || m[2] != " "+tc.code {
					t.Errorf("%q on a %s disk: %q, want NO %s]", cmd, tc.name, out, tc.code)
				}
			}
			for _, cmd := range readCmds {
				if diff := cmp.Diff(before[cmd], feed(s, cmd)); diff != "" {
					t.Errorf("%q on a %s disk (-before +now):\n%s", cmd, tc.name, diff)
				}
			}
			// Another session reads the same mail.
			other := e.login(t, "alice")
			if out := feed(other, "x EXAMINE INBOX", "y FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]"); !strings.Contains(out, "y OK") {
				t.Errorf("a new session on a %s disk: %q", tc.name, out)
			}

			fault.FailWrites(nil)
			for _, cmd := range writes {
				if out := feed(s, cmd); !strings.Contains(out, "x OK") {
					t.Errorf("%q after recovery: %q", cmd, out)
				}
			}
			// Everything that was there is still there, with the new
			// message, the copy, the flag and the mailbox.
			after := feed(s, "x FETCH 1:* (FLAGS BODY.PEEK[])")
			n := strings.Count(before["x FETCH 1:* (FLAGS BODY.PEEK[])"], " FETCH (")
			if got := strings.Count(after, " FETCH ("); got != n+1 {
				t.Errorf("INBOX has %d messages after recovery, want %d", got, n+1)
			}
			inbox, _, err := e.store.List("alice", mailstore.Inbox)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(inbox[0].Flags, mailstore.FlagFlagged) {
				t.Errorf("message 1 has flags %q after recovery, want \\Flagged among them", inbox[0].Flags)
			}
			status := feed(s, "x STATUS Projects (MESSAGES)")
			if !strings.Contains(status, "x OK") {
				t.Errorf("Projects after recovery: %q", status)
			}
			msgs, _, err := e.store.List("alice", "Sent")
			if err != nil {
				t.Fatal(err)
			}
			sentBefore := regexp.MustCompile(`MESSAGES (\d+)`).FindStringSubmatch(before["x STATUS Sent (MESSAGES UIDNEXT)"])
			if sentBefore == nil || len(msgs) != mustAtoi(t, sentBefore[1])+1 {
				t.Errorf("Sent has %d messages after recovery; before the fault: %q", len(msgs), before["x STATUS Sent (MESSAGES UIDNEXT)"])
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
