package mailstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// feedModel rebuilds a mailbox from its change feed alone.
type feedModel struct {
	mu    sync.Mutex
	uids  map[uint32]bool
	flags map[uint32]mailstore.MessageFlags // last FlagsChanged per UID
	kws   []mailstore.Flag
	errs  []string
}

func newFeedModel() *feedModel {
	return &feedModel{uids: map[uint32]bool{}, flags: map[uint32]mailstore.MessageFlags{}}
}

func (m *feedModel) apply(c mailstore.Change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch c.Kind {
	case mailstore.Appended:
		for _, u := range c.UIDs {
			if m.uids[u] {
				m.errs = append(m.errs, fmt.Sprintf("UID %d appended twice", u))
			}
			m.uids[u] = true
		}
	case mailstore.Expunged:
		for _, u := range c.UIDs {
			if !m.uids[u] {
				m.errs = append(m.errs, fmt.Sprintf("UID %d expunged before it was appended", u))
			}
			delete(m.uids, u)
			delete(m.flags, u)
		}
	case mailstore.FlagsChanged:
		for i, u := range c.UIDs {
			if !m.uids[u] {
				m.errs = append(m.errs, fmt.Sprintf("flags of UID %d changed before it was appended", u))
			}
			if old, ok := m.flags[u]; ok && old.ModSeq >= c.Messages[i].ModSeq {
				m.errs = append(m.errs, fmt.Sprintf("UID %d MODSEQ went from %d to %d", u, old.ModSeq, c.Messages[i].ModSeq))
			}
			m.flags[u] = c.Messages[i]
		}
	case mailstore.KeywordsChanged:
		m.kws = c.Keywords
	}
}

// Several sessions append, store flags, copy, move, select and expunge on
// two mailboxes at once. Afterwards every message is where exactly one
// history puts it: the in-memory store, a fresh store over the same files,
// and the change feed all agree. Run with -race.
func TestConcurrentIMAPSessions(t *testing.T) {
	fsys := memFS(t)
	st, _ := newStore(t, fsys)
	boxes := []string{"INBOX", "Other"}
	mustCreate(t, st, "alice", "Other")
	models := map[string]*feedModel{}
	for _, mb := range boxes {
		m := newFeedModel()
		models[mb] = m
		t.Cleanup(st.Watch("alice", mb, m.apply))
	}
	keywords := []mailstore.Flag{"$Forwarded", "Junk", "$Label1", "Work"}
	flags := []mailstore.Flag{mailstore.FlagSeen, mailstore.FlagFlagged, mailstore.FlagDeleted, mailstore.FlagAnswered}
	const workers, ops = 4, 60
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			pick := func(mb string) []uint32 {
				msgs, _, err := st.List("alice", mb)
				if err != nil {
					t.Error(err)
				}
				var out []uint32
				for _, m := range msgs {
					if rng.IntN(3) == 0 {
						out = append(out, m.UID)
					}
				}
				return out
			}
			for i := range ops {
				mb := boxes[rng.IntN(2)]
				other := boxes[1-slices.Index(boxes, mb)]
				var err error
				switch op := rng.IntN(10); op {
				case 0, 1:
					var fl []mailstore.Flag
					if rng.IntN(2) == 0 {
						fl = []mailstore.Flag{keywords[rng.IntN(len(keywords))]}
					}
					_, err = st.Deliver("alice", mb, fmt.Appendf(nil, "Subject: %d-%d\n\nbody\n", w, i), fl, atNow)
				case 2:
					deliverN(t, st, "alice", mb, 3)
				case 3, 4:
					set := []mailstore.Flag{flags[rng.IntN(len(flags))], keywords[rng.IntN(len(keywords))]}
					since := mailstore.Unconditional
					if rng.IntN(3) == 0 {
						s, _ := st.Status("alice", mb)
						since = s.HighestModSeq - uint64(rng.IntN(3))
					}
					_, _, err = st.StoreFlags("alice", mb, pick(mb), mailstore.StoreOp(1+rng.IntN(3)), set, since)
				case 5:
					_, err = st.Copy("alice", mb, other, pick(mb))
				case 6:
					_, err = st.Move("alice", mb, other, pick(mb))
				case 7:
					_, err = st.ExpungeDeleted("alice", mb, nil)
				case 8:
					err = st.Expunge("alice", mb, pick(mb))
				case 9:
					if rng.IntN(2) == 0 {
						_, err = st.Select("alice", mb, false)
					} else {
						err = st.Refresh("alice", mb)
					}
				}
				if err != nil && !errors.Is(err, mailstore.ErrNoMessage) {
					t.Errorf("worker %d op %d on %s: %v", w, i, mb, err)
				}
			}
		}()
	}
	wg.Wait()

	fresh := reopen(fsys, mailstore.Options{})
	for _, mb := range boxes {
		msgs, status := mustList(t, st, "alice", mb)
		again, againStatus := mustList(t, fresh, "alice", mb)
		if diff := cmp.Diff(msgs, again); diff != "" {
			t.Errorf("%s: memory and disk disagree (-memory +disk):\n%s", mb, diff)
		}
		if diff := cmp.Diff(status, againStatus); diff != "" {
			t.Errorf("%s status: memory and disk disagree (-memory +disk):\n%s", mb, diff)
		}
		for _, s := range []*mailstore.Store{st, fresh} {
			v, err := s.Vanished("alice", mb, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range v {
				for _, m := range msgs {
					if m.UID == u {
						t.Errorf("%s: UID %d both present and vanished", mb, u)
					}
				}
			}
		}
		kw1, _ := st.Keywords("alice", mb)
		kw2, _ := fresh.Keywords("alice", mb)
		if diff := cmp.Diff(kw1, kw2); diff != "" {
			t.Errorf("%s keywords (-memory +disk):\n%s", mb, diff)
		}

		model := models[mb]
		model.mu.Lock()
		for _, e := range model.errs {
			t.Errorf("%s feed: %s", mb, e)
		}
		var fromFeed []uint32
		for u := range model.uids {
			fromFeed = append(fromFeed, u)
		}
		slices.Sort(fromFeed)
		if diff := cmp.Diff(uids(msgs), fromFeed); diff != "" {
			t.Errorf("%s: feed and store disagree on UIDs (-store +feed):\n%s", mb, diff)
		}
		for _, m := range msgs {
			if f, ok := model.flags[m.UID]; ok && (f.ModSeq != m.ModSeq || !cmp.Equal(f.Flags, m.Flags)) {
				t.Errorf("%s UID %d: store has %v MODSEQ %d, feed last said %v MODSEQ %d", mb, m.UID, m.Flags, m.ModSeq, f.Flags, f.ModSeq)
			}
		}
		if model.kws != nil && !cmp.Equal(model.kws, kw1) {
			t.Errorf("%s: feed keywords %v, store %v", mb, model.kws, kw1)
		}
		model.mu.Unlock()
		t.Logf("%s: %d messages, HIGHESTMODSEQ %d", mb, len(msgs), status.HighestModSeq)
	}
}
