package imap_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// Bounds of TestConcurrentSessions: enough sessions and commands for the
// race detector to see every path between sessions and the store (the
// change feed, APPEND's own-view update, expunges under FETCH), few
// enough to finish in seconds under -race on two cores.
const (
	raceSessions = 50
	raceCommands = 40 // per session
	raceSeed     = 2026
)

// raceFetch matches one message of a FETCH (UID FLAGS) response.
var raceFetch = regexp.MustCompile(`^\* (\d+) FETCH \((?:UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+))\)$`)

// raceMsg is a message as a session or the store sees it.
type raceMsg struct {
	UID   uint32
	Flags string // sorted, space-separated, without \Recent
}

// TestConcurrentSessions runs raceSessions sessions of one user at once,
// half on INBOX and half on a second mailbox, each sending raceCommands
// random APPEND, STORE, EXPUNGE, FETCH and NOOP commands (from a seeded
// source, one per session). Every command must complete with OK. Then
// each session sends NOOP and fetches its whole view, which must equal
// the store's listing of its mailbox: the same UIDs in the same order,
// with the same flags.
func TestConcurrentSessions(t *testing.T) {
	e := newEnv(t)
	boxes := []string{"INBOX", "Race"}
	if err := e.store.CreateMailbox("alice", "Race"); err != nil {
		t.Fatal(err)
	}
	sessions := make([]*imap.Session, raceSessions)
	for i := range sessions {
		sessions[i] = e.opened(t, "alice", boxes[i%2], "")
	}
	flags := []string{`\Seen`, `\Flagged`, `\Answered`, `$Label1`}
	errs := make(chan error, raceSessions)
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(raceSeed, uint64(i)))
			for n := range raceCommands {
				tag := fmt.Sprintf("s%dc%d", i, n)
				var cmd string
				switch k := rng.IntN(10); {
				case k < 3:
					body := fmt.Sprintf("Subject: %s\r\n\r\nbody %d\r\n", tag, rng.IntN(1000))
					cmd = fmt.Sprintf("%s APPEND %s (%s) {%d+}\r\n%s", tag, boxes[rng.IntN(2)], flags[rng.IntN(len(flags))], len(body), body)
				case k < 6:
					op := []string{"+FLAGS", "-FLAGS", "FLAGS"}[rng.IntN(3)]
					cmd = fmt.Sprintf("%s UID STORE %d:%d %s (%s)", tag, 1+rng.IntN(300), 1+rng.IntN(300), op, flags[rng.IntN(len(flags))])
				case k < 7:
					uid := 1 + rng.IntN(300)
					cmd = fmt.Sprintf("%s UID STORE %d +FLAGS.SILENT (\\Deleted)\r\n%s UID EXPUNGE %d", tag+"d", uid, tag, uid)
				case k < 9:
					cmd = tag + " UID FETCH 1:* (FLAGS)"
				default:
					cmd = tag + " NOOP"
				}
				out := feed(s, cmd)
				if !strings.Contains(out, "\r\n"+tag+" OK ") && !strings.HasPrefix(out, tag+" OK ") {
					errs <- fmt.Errorf("session %d: %q got %q", i, cmd, out)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	want := map[string][]raceMsg{}
	for _, box := range boxes {
		msgs, _, err := e.store.List("alice", box)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			fs := make([]string, len(m.Flags))
			for j, f := range m.Flags {
				fs[j] = string(f)
			}
			want[box] = append(want[box], raceMsg{m.UID, raceFlags(strings.Join(fs, " "))})
		}
	}
	if len(want["Race"]) == 0 {
		t.Fatal("no message reached the second mailbox: the test exercised nothing")
	}
	t.Logf("store: INBOX %d messages, Race %d", len(want["INBOX"]), len(want["Race"]))
	for i, s := range sessions {
		box := boxes[i%2]
		feed(s, "n NOOP")
		got, err := raceView(feed(s, "f FETCH 1:* (UID FLAGS)"))
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		if diff := cmp.Diff(want[box], got); diff != "" {
			t.Errorf("session %d on %s: view (-store +session):\n%s", i, box, diff)
		}
		s.Abort()
	}
}

// raceView parses a FETCH 1:* (UID FLAGS) response, checking that the
// sequence numbers run from 1 without a gap.
func raceView(out string) ([]raceMsg, error) {
	var msgs []raceMsg
	for _, line := range respLines(out) {
		if strings.HasPrefix(line, "f ") {
			if !strings.HasPrefix(line, "f OK") && len(msgs) > 0 {
				return nil, fmt.Errorf("FETCH failed: %q", line)
			}
			continue
		}
		m := raceFetch.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		seq, _ := strconv.Atoi(m[1])
		if seq != len(msgs)+1 {
			return nil, fmt.Errorf("sequence number %d after %d messages", seq, len(msgs))
		}
		uid, fl := m[2], m[3]
		if uid == "" {
			uid, fl = m[5], m[4]
		}
		u, _ := strconv.ParseUint(uid, 10, 32)
		msgs = append(msgs, raceMsg{uint32(u), raceFlags(fl)})
	}
	return msgs, nil
}

// raceFlags sorts a space-separated flag list and drops \Recent, a
// session flag the store does not keep.
func raceFlags(s string) string {
	f := slices.DeleteFunc(strings.Fields(s), func(f string) bool { return f == string(mailstore.FlagRecent) })
	slices.Sort(f)
	return strings.Join(f, " ")
}
