package imapwire_test

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// fuzzLimits are small, so that the fuzzer reaches every limit.
var fuzzLimits = imapwire.Limits{MaxLine: 64, MaxLiteral: 300, MaxNonSyncLiteral: 200, MaxLiterals: 4, MaxCommand: 1024}

// fuzzPolicy decides about literals as a server might, from the request
// alone, so that the decision does not depend on how input arrives.
func fuzzPolicy(l imapwire.LiteralRequest) bool { return l.Size%7 != 3 }

// seedCommands returns the command streams of the RFC fixtures.
func seedCommands(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/*.txtar")
	var seeds [][]byte
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, fl := range ar.Files {
			if fl.Name == "commands" {
				seeds = append(seeds, []byte(strings.ReplaceAll(string(fl.Data), "\n", "\r\n")))
			}
		}
	}
	return seeds
}

// FuzzReader feeds an arbitrary stream to a Reader in one piece and cut at
// arbitrary points: it must not panic, must give the same events either
// way, and every command it gives must decode without panicking.
func FuzzReader(f *testing.F) {
	for _, s := range seedCommands(f) {
		f.Add(s, []byte{1, 5, 200, 3})
	}
	f.Add([]byte("A1 LOGIN {5+}\r\nabcde {3}\r\nxyz\r\nA2 NOOP\r\n"), []byte{2, 2, 2})
	f.Add([]byte("A1 X "+strings.Repeat("x", 100)+" {6+}\r\nA9 Z\r\n more\r\nA2 NOOP\r\n"), []byte{7, 64})
	f.Add([]byte("A1 APPEND INBOX ~{250+}\r\n"+strings.Repeat("y", 250)+"\r\nA2 NOOP\n"), []byte{30})
	f.Add([]byte("A1 X {99999999999999999999+}\r\nA2 {10}\r\n{3}\r\n"), []byte{1})
	f.Add([]byte("A1 X "+strings.Repeat("x", 70)+" {00000000000000000003+}\r\nabc\r\nA2 NOOP\r\n"), []byte{9, 0})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		whole := driveEvents(imapwire.NewReader(fuzzLimits), [][]byte{stream}, fuzzPolicy, true)
		var chunks [][]byte
		rest := stream
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(n, int(cuts[i%len(cuts)])+1)
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		split := driveEvents(imapwire.NewReader(fuzzLimits), chunks, fuzzPolicy, true)
		if len(whole) != len(split) {
			t.Fatalf("%d events in one piece, %d when split:\n%q\n%q", len(whole), len(split), whole, split)
		}
		for i := range whole {
			if whole[i] != split[i] {
				t.Fatalf("event %d: %q in one piece, %q when split", i, whole[i], split[i])
			}
		}
		// Every command decodes (or fails) without panicking.
		r := imapwire.NewReader(fuzzLimits)
		r.Feed(stream)
		for {
			ev := r.Next()
			if ev.Kind == imapwire.EventNeedInput {
				break
			}
			switch ev.Kind {
			case imapwire.EventLiteral:
				if fuzzPolicy(ev.Literal) {
					r.Accept()
				} else {
					r.Reject()
				}
			case imapwire.EventCommand:
				if len(ev.Command) > fuzzLimits.MaxLine && !strings.Contains(string(ev.Command), "\r\n") {
					t.Fatalf("command of %d octets without literal beyond MaxLine", len(ev.Command))
				}
				for _, utf8 := range []bool{false, true} {
					d := imapwire.NewDecoder(ev.Command)
					d.UTF8 = utf8
					rfcCommand(d)
					_ = d.End()
				}
			}
		}
	})
}

// FuzzDecoder runs arbitrary commands through the test grammar of the RFC
// examples, which exercises every Decoder method: no panic, and an error,
// once recorded, stays.
func FuzzDecoder(f *testing.F) {
	for _, s := range seedCommands(f) {
		for _, line := range strings.Split(string(s), "\r\n") {
			f.Add([]byte(line))
		}
	}
	f.Add([]byte("A1 FETCH 1:*,$ (BODY.PEEK[1.2.HEADER.FIELDS.NOT (a {1}\r\nb)]<0.1> BINARY[1]<1.2>)"))
	f.Add([]byte(`A1 APPEND x (\Seen) " 7-Feb-1994 21:52:25 -0800" ~{1}` + "\r\n\x00"))
	f.Fuzz(func(t *testing.T, cmd []byte) {
		d := imapwire.NewDecoder(cmd)
		rfcCommand(d)
		first := d.Err()
		_ = d.End()
		if first != nil && d.Err() != first {
			t.Fatalf("error changed from %v to %v", first, d.Err())
		}
	})
}

// FuzzModifiedUTF7 checks that decoding never panics, that whatever decodes
// is canonical (it re-encodes to itself), and that valid UTF-8 survives
// encoding and decoding.
func FuzzModifiedUTF7(f *testing.F) {
	for _, s := range []string{
		"", "INBOX", "&-", "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "Entw&APw-rfe", "&2D3eAA-",
		"&", "&Jjo", "&AGE-", "&AOQ-&AOQ-", "&AOR-", "&2D0-", "&3gA-", "Entwürfe", "😀", "a\x00b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if dec, err := imapwire.DecodeModifiedUTF7(s); err == nil {
			if enc := imapwire.EncodeModifiedUTF7(dec); enc != s {
				t.Fatalf("%q decodes as %q, which encodes as %q", s, dec, enc)
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		enc := imapwire.EncodeModifiedUTF7(s)
		dec, err := imapwire.DecodeModifiedUTF7(enc)
		if err != nil || dec != s {
			t.Fatalf("%q encodes as %q, which decodes as %q, %v", s, enc, dec, err)
		}
	})
}

// FuzzSeqSet checks that parsing never panics, that the canonical form
// parses to itself, and that Contains agrees with Ranges.
func FuzzSeqSet(f *testing.F) {
	for _, s := range []string{
		"1", "1:3", "3:1", "*", "1:*", "*:4,5:7", "2,4:7,9,12:*", "$", "4294967295",
		"0", "1:", ":1", "1,,2", "4294967296", "01", "1:2:3", "5:*,3:*,*",
	} {
		f.Add(s, uint32(10))
	}
	f.Fuzz(func(t *testing.T, text string, max uint32) {
		s, err := imapwire.ParseSeqSet(text)
		if err != nil {
			return
		}
		canon := s.String()
		again, err := imapwire.ParseSeqSet(canon)
		if err != nil || again.String() != canon {
			t.Fatalf("%q: canonical %q parses as %q, %v", text, canon, again.String(), err)
		}
		if s.IsSearchRes() {
			return
		}
		max %= 1000
		in := map[uint32]bool{}
		for r := range s.Ranges(max) {
			if r.Start > r.Stop {
				t.Fatalf("%q: range %v", text, r)
			}
			for n := r.Start; n <= r.Stop && n < 2000; n++ {
				in[n] = true
			}
		}
		for n := uint32(0); n < 2000; n++ {
			if s.Contains(n, max) != in[n] || again.Contains(n, max) != in[n] {
				t.Fatalf("%q with * = %d: Contains(%d) = %v, Ranges say %v", text, max, n, s.Contains(n, max), in[n])
			}
		}
	})
}
