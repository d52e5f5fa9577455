package imapwire_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

func TestEncodeValues(t *testing.T) {
	long := strings.Repeat("a", 1024)
	tests := []struct {
		name string
		utf8 bool
		enc  func(e *imapwire.Encoder)
		want string
	}{
		{"empty string", false, func(e *imapwire.Encoder) { e.Str("") }, `""`},
		{"plain string", false, func(e *imapwire.Encoder) { e.Str("hello world") }, `"hello world"`},
		{"quote and backslash", false, func(e *imapwire.Encoder) { e.Str(`a"b\c`) }, `"a\"b\\c"`},
		{"specials quoted", false, func(e *imapwire.Encoder) { e.Str("(){}%*]") }, `"(){}%*]"`},
		{"CRLF needs a literal", false, func(e *imapwire.Encoder) { e.Str("a\r\nb") }, "{4}\r\na\r\nb"},
		{"lone LF needs a literal", false, func(e *imapwire.Encoder) { e.Str("a\nb") }, "{3}\r\na\nb"},
		{"NUL needs a literal", false, func(e *imapwire.Encoder) { e.Str("a\x00b") }, "{3}\r\na\x00b"},
		{"8-bit needs a literal in IMAP4rev1", false, func(e *imapwire.Encoder) { e.Str("Grüße") }, "{7}\r\nGrüße"},
		{"UTF-8 quoted with UTF8=ACCEPT", true, func(e *imapwire.Encoder) { e.Str("Grüße") }, `"Grüße"`},
		{"invalid UTF-8 needs a literal", true, func(e *imapwire.Encoder) { e.Str("a\xffb") }, "{3}\r\na\xffb"},
		{"1024 octets quoted", false, func(e *imapwire.Encoder) { e.Str(long) }, `"` + long + `"`},
		{"1025 octets literal", false, func(e *imapwire.Encoder) { e.Str(long + "b") }, "{1025}\r\n" + long + "b"},
		{"bytes", false, func(e *imapwire.Encoder) { e.StrBytes([]byte("x y")) }, `"x y"`},
		{"nil nstring", false, func(e *imapwire.Encoder) { e.NBytes(nil) }, "NIL"},
		{"empty nstring", false, func(e *imapwire.Encoder) { e.NBytes([]byte{}) }, `""`},
		{"astring atom", false, func(e *imapwire.Encoder) { e.AString("fred") }, "fred"},
		{"astring with ]", false, func(e *imapwire.Encoder) { e.AString("a]b") }, "a]b"},
		{"astring NIL quoted", false, func(e *imapwire.Encoder) { e.AString("nil") }, `"nil"`},
		{"astring empty", false, func(e *imapwire.Encoder) { e.AString("") }, `""`},
		{"astring with SP", false, func(e *imapwire.Encoder) { e.AString("a b") }, `"a b"`},
		{"astring with wildcard", false, func(e *imapwire.Encoder) { e.AString("a*") }, `"a*"`},
		{"literal", false, func(e *imapwire.Encoder) { e.Literal([]byte("abc")) }, "{3}\r\nabc"},
		{"literal8", false, func(e *imapwire.Encoder) { e.Literal8([]byte("a\x00")) }, "~{2}\r\na\x00"},
		{"number", false, func(e *imapwire.Encoder) { e.Number(4294967295) }, "4294967295"},
		{"number64", false, func(e *imapwire.Encoder) { e.Number64(1<<63 - 1) }, "9223372036854775807"},
		{"NIL", false, func(e *imapwire.Encoder) { e.NIL() }, "NIL"},
		{"list", false, func(e *imapwire.Encoder) { e.BeginList().Atom("A").SP().Str("b").EndList() }, `(A "b")`},
		{"flags", false, func(e *imapwire.Encoder) { e.FlagList([]string{`\Seen`, "$Forwarded"}) }, `(\Seen $Forwarded)`},
		{"no flags", false, func(e *imapwire.Encoder) { e.FlagList(nil) }, "()"},
		{"flag", false, func(e *imapwire.Encoder) { e.Flag(`\*`) }, `\*`},
		{"sequence set", false, func(e *imapwire.Encoder) { e.SeqSet(imapwire.SeqSetOf(1, 2, 3, 7, 9, 10)) }, "1:3,7,9:10"},
		{"date-time", false, func(e *imapwire.Encoder) {
			e.DateTime(time.Date(1996, 7, 17, 2, 44, 25, 0, time.FixedZone("PDT", -7*3600)))
		}, `"17-Jul-1996 02:44:25 -0700"`},
		{"date-time padded day", false, func(e *imapwire.Encoder) {
			e.DateTime(time.Date(1994, 2, 7, 21, 52, 25, 0, time.FixedZone("", 5*3600+1800)))
		}, `" 7-Feb-1994 21:52:25 +0530"`},
		{"date", false, func(e *imapwire.Encoder) { e.Date(time.Date(1994, 2, 1, 0, 0, 0, 0, time.UTC)) }, "1-Feb-1994"},
		{"mailbox INBOX", false, func(e *imapwire.Encoder) { e.Mailbox("INBOX") }, `"INBOX"`},
		{"mailbox modified UTF-7", false, func(e *imapwire.Encoder) { e.Mailbox("~peter/mail/台北/日本語") }, `"~peter/mail/&U,BTFw-/&ZeVnLIqe-"`},
		{"mailbox ampersand", false, func(e *imapwire.Encoder) { e.Mailbox("Tom & Jerry") }, `"Tom &- Jerry"`},
		{"mailbox UTF-8", true, func(e *imapwire.Encoder) { e.Mailbox("Entwürfe & Co") }, `"Entwürfe & Co"`},
		{"mailbox quote", false, func(e *imapwire.Encoder) { e.Mailbox(`a"b`) }, `"a\"b"`},
		{"mailbox long", false, func(e *imapwire.Encoder) { e.Mailbox(strings.Repeat("ä", 100)) }, `"` + imapwire.EncodeModifiedUTF7(strings.Repeat("ä", 100)) + `"`},
		{"fetch att name", false, func(e *imapwire.Encoder) {
			e.FetchAttName(imapwire.FetchAtt{Name: "BODY", Peek: true,
				Section: &imapwire.Section{Part: []uint32{1, 2}, Specifier: imapwire.SectionHeaderFields, Fields: []string{"DATE", "X Y"}},
				Partial: &imapwire.Partial{Offset: 10, Count: 20}})
		}, `BODY[1.2.HEADER.FIELDS (DATE "X Y")]<10>`},
		{"fetch att name without section", false, func(e *imapwire.Encoder) { e.FetchAttName(imapwire.FetchAtt{Name: "RFC822.SIZE"}) }, "RFC822.SIZE"},
		{"raw", false, func(e *imapwire.Encoder) { e.Raw([]byte("x")) }, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := imapwire.NewEncoder(nil)
			e.UTF8 = tc.utf8
			tc.enc(e)
			if got := string(e.Bytes()); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestEncodeResponses(t *testing.T) {
	copyUID := func(e *imapwire.Encoder) {
		e.StatusStart("A003", imapwire.OK).Code("COPYUID").SP().Number(38505).SP().
			SeqSet(imapwire.SeqSetOf(304, 319, 320)).SP().SeqSet(imapwire.SeqSetOf(3956, 3957, 3958)).
			CodeEnd().Text("Done").CRLF()
	}
	tests := []struct {
		name string
		utf8 bool
		enc  func(e *imapwire.Encoder)
		want string
	}{
		{"tagged OK", false, func(e *imapwire.Encoder) { e.Status("a001", imapwire.OK, "", "LOGIN completed") }, "a001 OK LOGIN completed\r\n"},
		{"untagged OK with code", false, func(e *imapwire.Encoder) { e.Status("", imapwire.OK, "READ-WRITE", "SELECT completed") }, "* OK [READ-WRITE] SELECT completed\r\n"},
		{"TOOBIG", false, func(e *imapwire.Encoder) { e.Status("A1", imapwire.NO, "TOOBIG", "Message too large") }, "A1 NO [TOOBIG] Message too large\r\n"},
		{"BYE", false, func(e *imapwire.Encoder) { e.Status("", imapwire.BYE, "", "Logging out") }, "* BYE Logging out\r\n"},
		{"UIDVALIDITY", false, func(e *imapwire.Encoder) {
			e.StatusStart("", imapwire.OK).Code("UIDVALIDITY").SP().Number(3857529045).CodeEnd().Text("UIDs valid").CRLF()
		}, "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"},
		{"APPENDUID", false, func(e *imapwire.Encoder) {
			e.StatusStart("A003", imapwire.OK).Code("APPENDUID").SP().Number(38505).SP().Number(3955).CodeEnd().Text("APPEND completed").CRLF()
		}, "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"},
		{"COPYUID", false, copyUID, "A003 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"},
		{"PERMANENTFLAGS", false, func(e *imapwire.Encoder) {
			e.StatusStart("", imapwire.OK).Code("PERMANENTFLAGS").SP().FlagList([]string{`\Deleted`, `\Seen`, `\*`}).CodeEnd().Text("Limited").CRLF()
		}, "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"},
		{"continuation", false, func(e *imapwire.Encoder) { e.Continue("Ready for literal data") }, "+ Ready for literal data\r\n"},
		{"text is one line", false, func(e *imapwire.Encoder) { e.Status("A1", imapwire.BAD, "", "bad\r\nline\x00") }, "A1 BAD bad  line \r\n"},
		{"text 8-bit in IMAP4rev1", false, func(e *imapwire.Encoder) { e.Status("A1", imapwire.NO, "", "Größe") }, "A1 NO Gr??e\r\n"},
		{"text UTF-8 with UTF8=ACCEPT", true, func(e *imapwire.Encoder) { e.Status("A1", imapwire.NO, "", "Größe \xff") }, "A1 NO Größe ?\r\n"},
		{"FETCH", false, func(e *imapwire.Encoder) {
			e.Untagged().Number(12345).SP().Atom("FETCH").SP().BeginList().
				Atom("UID").SP().Number(67890).SP().
				Atom("FLAGS").SP().FlagList([]string{`\Seen`, `\Answered`}).SP().
				Atom("RFC822.SIZE").SP().Number64(4567).EndList().CRLF()
		}, "* 12345 FETCH (UID 67890 FLAGS (\\Seen \\Answered) RFC822.SIZE 4567)\r\n"},
		{"FETCH BODY[HEADER]", false, func(e *imapwire.Encoder) {
			hdr := []byte("Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\r\n")
			e.Untagged().Number(12).SP().Atom("FETCH").SP().BeginList().
				FetchAttName(imapwire.FetchAtt{Name: "BODY", Section: &imapwire.Section{Specifier: "HEADER"}}).SP().
				StrBytes(hdr).EndList().CRLF()
		}, "* 12 FETCH (BODY[HEADER] {47}\r\nDate: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\r\n)\r\n"},
		{"LIST", false, func(e *imapwire.Encoder) {
			e.Untagged().Atom("LIST").SP().FlagList([]string{`\HasNoChildren`}).SP().Str("/").SP().Mailbox("Entwürfe").CRLF()
		}, "* LIST (\\HasNoChildren) \"/\" \"Entw&APw-rfe\"\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := imapwire.NewEncoder(make([]byte, 0, 64))
			e.UTF8 = tc.utf8
			tc.enc(e)
			if got := string(e.Bytes()); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if e.Len() != len(tc.want) {
				t.Errorf("Len() = %d", e.Len())
			}
			e.Reset()
			if e.Len() != 0 || e.UTF8 != tc.utf8 {
				t.Errorf("after Reset: Len %d, UTF8 %v", e.Len(), e.UTF8)
			}
		})
	}
}

// TestEncodeNoAllocs checks that a FETCH response line costs no allocation
// once the buffer has grown: the server writes 100,000 of them.
func TestEncodeNoAllocs(t *testing.T) {
	e := imapwire.NewEncoder(make([]byte, 0, 4096))
	flags := []string{`\Seen`, `\Answered`}
	set := imapwire.SeqSetOf(1, 2, 3, 5)
	when := time.Date(1996, 7, 17, 2, 44, 25, 0, time.UTC)
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset()
		e.Untagged().Number(12345).SP().Atom("FETCH").SP().BeginList().
			Atom("UID").SP().Number(67890).SP().
			Atom("FLAGS").SP().FlagList(flags).SP().
			Atom("INTERNALDATE").SP().DateTime(when).SP().
			Atom("RFC822.SIZE").SP().Number64(4567).EndList().CRLF()
		e.StatusStart("A1", imapwire.OK).Code("COPYUID").SP().Number(1).SP().SeqSet(set).SP().SeqSet(set).CodeEnd().Text("done").CRLF()
		e.Str("quoted").SP().Str("lit\r\n").SP().Mailbox("Entwürfe")
	})
	if allocs != 0 {
		t.Errorf("%v allocations per response, want 0", allocs)
	}
}

// TestStringRoundTrip encodes random strings with every string form and
// decodes them back, in both modes.
func TestStringRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9051, 3501))
	for i := range 3000 {
		s := randomString(r, r.IntN(30))
		if r.IntN(50) == 0 {
			s += strings.Repeat("x", 1100) // beyond the quoted limit
		}
		for _, utf8 := range []bool{false, true} {
			e := imapwire.NewEncoder(nil)
			e.UTF8 = utf8
			e.Str(s).SP().AString(s).SP().NBytes([]byte(s)).SP().NBytes(nil)
			d := imapwire.NewDecoder(e.Bytes())
			d.UTF8 = utf8
			var got [3]string
			if strings.IndexByte(s, 0) >= 0 {
				// NUL goes as a literal, which a string may not carry.
				got[0] = string(d.Literal())
				d.ExpectSP()
				got[1] = string(d.Literal())
				d.ExpectSP()
				got[2] = string(d.Literal())
			} else {
				got[0] = d.Str()
				d.ExpectSP()
				got[1] = d.AString()
				d.ExpectSP()
				var ok bool
				got[2], ok = d.NString()
				if !ok && d.Err() == nil {
					t.Fatalf("case %d: non-nil nstring %q decoded as NIL", i, s)
				}
			}
			d.ExpectSP()
			if _, ok := d.NString(); ok {
				t.Fatalf("case %d: NIL decoded as a string", i)
			}
			if err := d.End(); err != nil {
				t.Fatalf("case %d (UTF8 %v): %q encoded as %q: %v", i, utf8, s, e.Bytes(), err)
			}
			for k, g := range got {
				if g != s {
					t.Fatalf("case %d (UTF8 %v), form %d: %q encoded as %q decodes as %q", i, utf8, k, s, e.Bytes(), g)
				}
			}
		}
	}
}

// TestMailboxRoundTrip encodes random mailbox names and decodes them back.
func TestMailboxRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5161, 6855))
	for i := range 3000 {
		name := strings.Map(func(c rune) rune {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				return 'x' // Mailbox refuses control characters
			}
			return c
		}, randomString(r, 1+r.IntN(20)))
		for _, utf8 := range []bool{false, true} {
			e := imapwire.NewEncoder(nil)
			e.UTF8 = utf8
			e.Mailbox(name)
			d := imapwire.NewDecoder(e.Bytes())
			d.UTF8 = utf8
			got := d.Mailbox()
			if err := d.End(); err != nil {
				t.Fatalf("case %d: %q encoded as %q: %v", i, name, e.Bytes(), err)
			}
			want := name
			if strings.EqualFold(name, "INBOX") {
				want = "INBOX"
			}
			if got != want {
				t.Fatalf("case %d: %q encoded as %q decodes as %q", i, name, e.Bytes(), got)
			}
		}
	}
}

// TestValueRoundTrip: sequence sets, date-times and flag lists come back
// as they were encoded.
func TestValueRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7888, 3516))
	for i := range 2000 {
		var set imapwire.SeqSet
		for range 1 + r.IntN(8) {
			set.AddRange(uint32(r.IntN(1000)), uint32(r.IntN(1000)))
		}
		when := time.Date(1900+r.IntN(8000), time.Month(1+r.IntN(12)), 1+r.IntN(28),
			r.IntN(24), r.IntN(60), r.IntN(60), 0, time.FixedZone("", (r.IntN(48)-24)*1800))
		flags := []string{`\Seen`, `\Deleted`, "$Label" + strings.Repeat("x", r.IntN(3))}[:r.IntN(4)]

		e := imapwire.NewEncoder(nil)
		e.SeqSet(set).SP().DateTime(when).SP().FlagList(flags)
		d := imapwire.NewDecoder(e.Bytes())
		gotSet := d.SequenceSet()
		d.ExpectSP()
		gotWhen := d.DateTime()
		d.ExpectSP()
		gotFlags := d.FlagList()
		if err := d.End(); err != nil {
			t.Fatalf("case %d: %q: %v", i, e.Bytes(), err)
		}
		if gotSet.String() != set.String() {
			t.Errorf("case %d: set %q decodes as %q", i, set.String(), gotSet.String())
		}
		if !gotWhen.Equal(when) {
			t.Errorf("case %d: %v decodes as %v", i, when, gotWhen)
		}
		if diff := cmp.Diff(flags, gotFlags, cmpEmpty); diff != "" {
			t.Errorf("case %d: flags (-want +got):\n%s", i, diff)
		}
	}
}

var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func TestNewEncoderReusesBuffer(t *testing.T) {
	buf := make([]byte, 5, 100)
	e := imapwire.NewEncoder(buf)
	e.Atom("x")
	if !bytes.Equal(e.Bytes(), []byte("x")) || &e.Bytes()[0] != &buf[0] {
		t.Errorf("NewEncoder did not append to buf[:0]")
	}
}
