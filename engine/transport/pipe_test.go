package transport_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/transport"
)

// A real connection is a Stream, so adapters at the edge can pass one in.
var _ transport.Stream = net.Conn(nil)

func TestPipeOrderAndEOF(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		bufLen int // size of each Read
	}{
		{name: "nothing", bufLen: 4},
		{name: "one write", writes: []string{"hello"}, bufLen: 64},
		{name: "small reads", writes: []string{"USER alice\r\n", "PASS secret\r\n"}, bufLen: 3},
		{name: "empty writes skipped", writes: []string{"", "a", "", "bc"}, bufLen: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := transport.Pipe()
			var want []byte
			for _, w := range tc.writes {
				n, err := a.Write([]byte(w))
				if n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
				want = append(want, w...)
			}
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			// Buffered data survives the close and EOF follows it.
			got, err := readAll(b, tc.bufLen)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("read (-want +got):\n%s", diff)
			}
			if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("Read after EOF = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

// readAll reads until io.EOF with reads of bufLen bytes.
func readAll(r io.Reader, bufLen int) ([]byte, error) {
	var out []byte
	buf := make([]byte, bufLen)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestPipeClosedErrors(t *testing.T) {
	a, b := transport.Pipe()
	if _, err := b.Write([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func() (int, error)
		want error
	}{
		{"write on closed end", func() (int, error) { return a.Write([]byte("x")) }, io.ErrClosedPipe},
		{"read on closed end", func() (int, error) { return a.Read(make([]byte, 8)) }, io.ErrClosedPipe},
		{"write to closed peer", func() (int, error) { return b.Write([]byte("x")) }, io.ErrClosedPipe},
		{"read from closed peer", func() (int, error) { return b.Read(make([]byte, 8)) }, io.EOF},
		{"empty write on closed end", func() (int, error) { return a.Write(nil) }, io.ErrClosedPipe},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := tc.op()
			if n != 0 || !errors.Is(err, tc.want) {
				t.Errorf("got %d, %v; want 0, %v", n, err, tc.want)
			}
		})
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestPipeCloseWakesReaders(t *testing.T) {
	tests := []struct {
		name   string
		closer int // 0 closes the reading end, 1 its peer
		want   error
	}{
		{"local close", 0, io.ErrClosedPipe},
		{"peer close", 1, io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := transport.Pipe()
				ends := []transport.Stream{a, b}
				got := make(chan error)
				go func() {
					_, err := a.Read(make([]byte, 1))
					got <- err
				}()
				synctest.Wait() // the reader is blocked
				if n, ready := transport.Buffered(a); n != 0 || ready {
					t.Errorf("Buffered = %d, %v; want 0, false", n, ready)
				}
				ends[tc.closer].Close()
				if err := <-got; err != tc.want {
					t.Errorf("blocked Read returned %v, want %v", err, tc.want)
				}
			})
		})
	}
}

func TestPipeBuffered(t *testing.T) {
	a, b := transport.Pipe()
	a.Write([]byte("abc"))
	if n, ready := transport.Buffered(b); n != 3 || !ready {
		t.Errorf("Buffered = %d, %v; want 3, true", n, ready)
	}
	b.Read(make([]byte, 3))
	a.Close()
	if n, ready := transport.Buffered(b); n != 0 || !ready {
		t.Errorf("Buffered at EOF = %d, %v; want 0, true", n, ready)
	}
	var other struct{ transport.Stream }
	if n, ready := transport.Buffered(other); n != 0 || ready {
		t.Errorf("Buffered of a foreign stream = %d, %v; want 0, false", n, ready)
	}
}

// TestPipeConcurrent streams random data both ways at once with random
// chunk sizes; run with -race.
func TestPipeConcurrent(t *testing.T) {
	const size = 1 << 20
	a, b := transport.Pipe()
	type result struct {
		got []byte
		err error
	}
	pump := func(w, r transport.Stream, seed uint64, data []byte, res chan<- result) {
		go func() {
			rnd := rand.New(rand.NewPCG(seed, 0))
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 1+rnd.IntN(4096))
				if _, err := w.Write(rest[:n]); err != nil {
					res <- result{err: err}
					return
				}
				rest = rest[n:]
			}
		}()
		go func() {
			got, err := readAtLeast(r, len(data))
			res <- result{got, err}
		}()
	}
	ab, ba := randomBytes(1, size), randomBytes(2, size)
	resAB, resBA := make(chan result, 2), make(chan result, 2)
	pump(a, b, 3, ab, resAB)
	pump(b, a, 4, ba, resBA)
	for _, tc := range []struct {
		name string
		want []byte
		res  chan result
	}{{"a to b", ab, resAB}, {"b to a", ba, resBA}} {
		r := <-tc.res
		if r.err != nil {
			t.Fatalf("%s: %v", tc.name, r.err)
		}
		if !bytes.Equal(r.got, tc.want) {
			t.Errorf("%s: bytes differ (got %d, want %d)", tc.name, len(r.got), len(tc.want))
		}
	}
}

func readAtLeast(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, n)
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func randomBytes(seed uint64, n int) []byte {
	rnd := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

func BenchmarkPipe(b *testing.B) {
	for _, size := range []int{64, 4096, 64 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			w, r := transport.Pipe()
			chunk := make([]byte, size)
			done := make(chan error)
			go func() {
				buf := make([]byte, 32<<10)
				var total int
				for total < b.N*size {
					n, err := r.Read(buf)
					if err != nil {
						done <- err
						return
					}
					total += n
				}
				done <- nil
			}()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if _, err := w.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
