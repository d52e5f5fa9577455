package message_test

import (
	"fmt"
	"testing"

	"github.com/wirelab/wirelab/engine/message"
	"github.com/wirelab/wirelab/engine/world"
)

// benchMessages picks messages of the demo world by their Message-ID: the
// lecture notes (over 100 KB of text), a short text message, and the
// multipart handout with its PNG.
func benchMessages(b *testing.B) []struct {
	name string
	raw  []byte
} {
	want := []struct{ name, id string }{
		{"demo-100KB", "<lecture5-notes.20251208@example.org>"},
		{"small", "<20251201161500.4a7f@example.org>"},
		{"small-multipart", "<lab1-handout.20251202150500@example.com>"},
	}
	var out []struct {
		name string
		raw  []byte
	}
	for _, w := range want {
		var raw []byte
		for _, mb := range world.Demo().Mailboxes["alice"] {
			for _, m := range mb.Messages {
				p, err := message.Parse(m.Raw)
				if err == nil && p.Header.Get("Message-ID") == w.id {
					raw = m.Raw
				}
			}
		}
		if raw == nil {
			b.Fatalf("demo world has no message %s", w.id)
		}
		out = append(out, struct {
			name string
			raw  []byte
		}{fmt.Sprintf("%s-%dB", w.name, len(raw)), raw})
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	for _, m := range benchMessages(b) {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(m.raw)))
			for b.Loop() {
				if _, err := message.Parse(m.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseBodyStructure is what FETCH BODYSTRUCTURE costs a server
// that keeps no cache: parse, describe, and build the IMAP value.
func BenchmarkParseBodyStructure(b *testing.B) {
	for _, m := range benchMessages(b) {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(m.raw)))
			for b.Loop() {
				p, err := message.Parse(m.raw)
				if err != nil {
					b.Fatal(err)
				}
				_ = p.BodyStructure().IMAP(true)
			}
		})
	}
}

func BenchmarkEnvelope(b *testing.B) {
	for _, m := range benchMessages(b) {
		b.Run(m.name, func(b *testing.B) {
			p, _ := message.Parse(m.raw)
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Envelope().IMAP()
			}
		})
	}
}
