package imapwire_test

import (
	"bytes"
	"testing"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// BenchmarkParseUIDFetch frames and decodes the command a client sends to
// resynchronise a mailbox, the way a server handler reads it.
func BenchmarkParseUIDFetch(b *testing.B) {
	line := []byte("A1 UID FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n")
	r := imapwire.NewReader(imapwire.Limits{})
	var d imapwire.Decoder
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		r.Feed(line)
		ev := r.Next()
		if ev.Kind != imapwire.EventCommand {
			b.Fatal(ev.Kind)
		}
		d.Reset(ev.Command)
		_ = d.Tag()
		d.ExpectSP()
		if d.Keyword() == "UID" {
			d.ExpectSP()
			_ = d.Keyword()
		}
		d.ExpectSP()
		set := d.SequenceSet()
		d.ExpectSP()
		atts := d.FetchAtts()
		if err := d.End(); err != nil || len(atts) != 3 || !set.Dynamic() {
			b.Fatal(err)
		}
		if r.Next().Kind != imapwire.EventNeedInput {
			b.Fatal("more events")
		}
	}
}

// BenchmarkEncodeFetch encodes one FETCH response line, as the server does
// for every message of a FETCH 1:*.
func BenchmarkEncodeFetch(b *testing.B) {
	e := imapwire.NewEncoder(make([]byte, 0, 256))
	flags := []string{`\Seen`, `\Answered`}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		e.Untagged().Number(12345).SP().Atom("FETCH").SP().BeginList().
			Atom("UID").SP().Number(67890).SP().
			Atom("FLAGS").SP().FlagList(flags).SP().
			Atom("RFC822.SIZE").SP().Number64(4567).EndList().CRLF()
	}
	if got := string(e.Bytes()); got != "* 12345 FETCH (UID 67890 FLAGS (\\Seen \\Answered) RFC822.SIZE 4567)\r\n" {
		b.Fatal(got)
	}
	b.SetBytes(int64(e.Len()))
}

// BenchmarkReaderAppend streams a 1 MiB APPEND through a Reader in 16 KiB
// reads.
func BenchmarkReaderAppend(b *testing.B) {
	msg := bytes.Repeat([]byte("Lorem ipsum dolor sit amet, consectetur adipiscing\r\n"), 1<<20/52)
	var in bytes.Buffer
	in.WriteString("A1 APPEND INBOX {")
	in.WriteString(itoa(len(msg)))
	in.WriteString("+}\r\n")
	in.Write(msg)
	in.WriteString("\r\n")
	stream := in.Bytes()
	r := imapwire.NewReader(imapwire.Limits{})
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		for p := stream; len(p) > 0; {
			n := min(len(p), 16<<10)
			r.Feed(p[:n])
			p = p[n:]
			for ev := r.Next(); ev.Kind != imapwire.EventNeedInput; ev = r.Next() {
				got++
			}
		}
		if got != 1 {
			b.Fatal(got)
		}
	}
}

func BenchmarkDecodeModifiedUTF7(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := imapwire.DecodeModifiedUTF7("~peter/mail/&U,BTFw-/&ZeVnLIqe-"); err != nil {
			b.Fatal(err)
		}
	}
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}
