package mailstore_test

import (
	"fmt"
	"testing"

	"github.com/wirelab/wirelab/engine/mailstore"
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
