package transport_test

import (
	"io"
	"testing"

	"github.com/wirelab/wirelab/engine/transport"
)

func TestGuarded(t *testing.T) {
	a, b := transport.Pipe()
	g := transport.NewGuarded(a)
	if err := g.Send([]byte("one ")); err != nil {
		t.Fatal(err)
	}
	if !g.TrySend([]byte("two")) {
		t.Fatal("TrySend with no write in progress did not write")
	}
	c, d := transport.Pipe()
	g.Replace(c) // as after a TLS upgrade
	if err := g.Send([]byte("three")); err != nil {
		t.Fatal(err)
	}
	if g.Expired() || g.Closed() {
		t.Fatal("fresh guard reports expired or closed")
	}
	g.MarkExpired()
	g.Close()
	if !g.Expired() || !g.Closed() {
		t.Fatal("MarkExpired/Close not recorded")
	}
	a.Close()
	first, _ := io.ReadAll(b)
	second, _ := io.ReadAll(d)
	if string(first) != "one two" || string(second) != "three" {
		t.Errorf("streams got %q and %q", first, second)
	}
}
