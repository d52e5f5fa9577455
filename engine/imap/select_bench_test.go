package imap_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/memfs"
	"github.com/wirelab/wirelab/engine/world"
)

// BenchmarkSelect10kExclusiveMem selects a mailbox of 10,000 messages, each
// APPENDed by a client, on the store `wirelab serve` runs without --data
// (memfs, Exclusive): the SELECT of the peer benchmark's workload.
func BenchmarkSelect10kExclusiveMem(b *testing.B) {
	clk := clock.NewVirtual(clock.Epoch)
	st := mailstore.New(memfs.New(clk), mailstore.Options{Clock: clk, Exclusive: true})
	w := world.Demo()
	if _, err := w.Populate(st); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateMailbox("alice", "Box"); err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		raw := fmt.Appendf(nil, "From: bench@example.com\r\nSubject: message %d\r\n\r\nbody %d\r\n", i, i)
		if _, err := st.DeliverBatch("alice", "Box", []mailstore.NewMessage{{Raw: raw, Client: true}}); err != nil {
			b.Fatal(err)
		}
	}
	e := &env{store: st, cfg: &imap.Config{Store: st, Users: w.Users, Hostname: "imap.example"}, w: w}
	// EXAMINE claims nothing, so each one sees all 10,000 messages as
	// \Recent, as the first SELECT after the import does; SELECT again
	// sees none.
	for _, verb := range []string{"EXAMINE", "SELECT"} {
		b.Run(verb, func(b *testing.B) {
			s := e.login(b, "alice")
			cmd := []byte("a " + verb + " Box\r\n")
			b.ReportAllocs()
			for b.Loop() {
				rs := s.Feed(cmd, testNow)
				if !bytes.Contains(rs[len(rs)-1].Data, []byte("a OK")) {
					b.Fatalf("%s: %s", verb, rs[len(rs)-1].Data)
				}
			}
		})
	}
}
