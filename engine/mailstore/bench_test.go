package mailstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/memfs"
)

// A typical small message: headers and a short body.
func benchMessage(i int) []byte {
	return fmt.Appendf(nil, "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: message %d\r\nMessage-ID: <%d@example.org>\r\n\r\nHello, this is message %d.\r\n", i, i, i)
}

// BenchmarkAppend appends 10,000 messages, one APPEND each, to an in-memory
// store.
func BenchmarkAppend(b *testing.B) {
	const n = 10000
	for b.Loop() {
		st, _ := newStore(b, memFS(b))
		for i := range n {
			if _, err := st.Deliver("alice", "INBOX", benchMessage(i), nil, atNow); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppendBatch appends 10,000 messages in batches of 100, as a
// pipelined run of APPENDs or an import writes them.
func BenchmarkAppendBatch(b *testing.B) {
	const n, batch = 10000, 100
	for b.Loop() {
		st, _ := newStore(b, memFS(b))
		msgs := make([]mailstore.NewMessage, batch)
		for i := 0; i < n; i += batch {
			for j := range msgs {
				msgs[j] = mailstore.NewMessage{Raw: benchMessage(i + j)}
			}
			if _, err := st.DeliverBatch("alice", "INBOX", msgs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkStoreFlags toggles \Seen on all 10,000 messages of a mailbox
// with one StoreFlags each time (STORE 1:* +FLAGS / -FLAGS).
func BenchmarkStoreFlags(b *testing.B) {
	const n = 10000
	st, _ := newStore(b, memFS(b))
	uids := deliverN(b, st, "alice", "INBOX", n)
	ops := []mailstore.StoreOp{mailstore.StoreAdd, mailstore.StoreRemove}
	i := 0
	for b.Loop() {
		res, _, err := st.StoreFlags("alice", "INBOX", uids, ops[i%2], []mailstore.Flag{mailstore.FlagSeen}, mailstore.Unconditional)
		if err != nil || len(res) != n || !res[0].Changed {
			b.Fatal(err, len(res))
		}
		i++
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkOpen100k opens a 100,000-message mailbox in a fresh store: the
// directory scan, the uidlist and the modseq log.
func BenchmarkOpen100k(b *testing.B) {
	const n = 100000
	fsys := memFS(b)
	st, _ := newStore(b, fsys)
	msgs := make([]mailstore.NewMessage, 1000)
	for i := 0; i < n; i += len(msgs) {
		for j := range msgs {
			msgs[j] = mailstore.NewMessage{Raw: benchMessage(i + j)}
			if j%3 == 0 {
				msgs[j].Flags = []mailstore.Flag{mailstore.FlagSeen, "$Forwarded"}
			}
		}
		if _, err := st.DeliverBatch("alice", "INBOX", msgs); err != nil {
			b.Fatal(err)
		}
	}
	want, _ := st.Status("alice", "INBOX")
	for b.Loop() {
		fresh := mailstore.New(fsys, mailstore.Options{})
		got, err := fresh.Status("alice", "INBOX")
		if err != nil || got != want {
			b.Fatalf("status %+v, %v; want %+v", got, err, want)
		}
	}
}

// exclusiveMemStore is the store `wirelab serve` runs without --data: an
// in-memory file system that nothing else can reach, and no content cache.
func exclusiveMemStore(b *testing.B, fsys func(clock.Clock) hackpadfs.FS) *mailstore.Store {
	b.Helper()
	clk := clock.NewVirtual(time.Time{})
	st := mailstore.New(fsys(clk), mailstore.Options{Clock: clk, Exclusive: true, CacheBytes: -1})
	if err := st.EnsureUser("alice"); err != nil {
		b.Fatal(err)
	}
	return st
}

// memFileSystems are the in-memory file systems to compare: the one
// `wirelab serve` uses, and hackpadfs's.
var memFileSystems = []struct {
	name string
	fs   func(clock.Clock) hackpadfs.FS
}{
	{"memfs", func(c clock.Clock) hackpadfs.FS { return memfs.New(c) }},
	{"hackpadfs-mem", func(clock.Clock) hackpadfs.FS {
		fsys, err := mem.NewFS()
		if err != nil {
			panic(err)
		}
		return fsys
	}},
}

// BenchmarkDeliverExclusiveMem is one APPEND's store work on the in-memory
// store of `wirelab serve`: one op is one single-message Deliver of an
// IMAP client (NewMessage.Client). Run it with -benchtime 10000x for the
// peer benchmark's 10,000 APPENDs.
func BenchmarkDeliverExclusiveMem(b *testing.B) {
	for _, f := range memFileSystems {
		b.Run(f.name, func(b *testing.B) {
			st := exclusiveMemStore(b, f.fs)
			raw := benchMessage(1)
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, err := st.DeliverBatch("alice", "INBOX", []mailstore.NewMessage{{Raw: raw, Client: true}}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkSelect10kExclusiveMem selects a 10,000-message mailbox of the
// in-memory store of `wirelab serve`.
func BenchmarkSelect10kExclusiveMem(b *testing.B) {
	st := exclusiveMemStore(b, memFileSystems[0].fs)
	deliverN(b, st, "alice", "INBOX", 10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Refresh("alice", "INBOX"); err != nil {
			b.Fatal(err)
		}
		snap, err := st.Select("alice", "INBOX", false)
		if err != nil || len(snap.Messages) != 10000 {
			b.Fatal(err, len(snap.Messages))
		}
	}
}

// BenchmarkSelect10kAfterAppendDisk is the first SELECT after a client
// APPENDed 10,000 messages to an on-disk store (`wirelab serve --data`):
// Refresh and the claim of the \Recent messages. The mailbox is filled
// again for each op, outside the timer.
func BenchmarkSelect10kAfterAppendDisk(b *testing.B) {
	const n = 10000
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		st := mailstore.New(diskFS(b), mailstore.Options{Clock: clock.NewVirtual(time.Time{})})
		name := fmt.Sprintf("box%d", i)
		i++
		if err := st.CreateMailbox("alice", name); err != nil {
			b.Fatal(err)
		}
		for j := range n {
			if _, err := st.DeliverBatch("alice", name, []mailstore.NewMessage{{Raw: benchMessage(j), InternalDate: atNow, Client: true}}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := st.Refresh("alice", name); err != nil {
			b.Fatal(err)
		}
		snap, err := st.Select("alice", name, false)
		if err != nil || len(snap.Recent) != n {
			b.Fatal(err, len(snap.Recent))
		}
	}
}
