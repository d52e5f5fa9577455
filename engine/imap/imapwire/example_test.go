package imapwire_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

// A server's read loop: frame commands, decide about literals, decode,
// answer. Errors are protocol values: a dropped command and a syntax error
// both become BAD (or NO [TOOBIG]) responses, and the session goes on.
func Example() {
	r := imapwire.NewReader(imapwire.Limits{MaxLiteral: 1000})
	var d imapwire.Decoder
	out := imapwire.NewEncoder(nil)

	r.Feed([]byte("a1 SELECT \"Entw&APw-rfe\"\r\n" +
		"a2 APPEND INBOX {5000}\r\n" +
		"a3 FETCH 1:x FLAGS\r\n" +
		"a4 LOGIN {4}\r\n"))
	for ev := r.Next(); ev.Kind != imapwire.EventNeedInput; ev = r.Next() {
		switch ev.Kind {
		case imapwire.EventLiteral:
			// The client waits: say yes with a continuation request.
			r.Accept()
			out.Continue("Ready for literal data")
			r.Feed([]byte("fred {6+}\r\nsecret\r\n"))
		case imapwire.EventError:
			var ce *imapwire.CommandError
			errors.As(ev.Err, &ce)
			out.Status(ce.Tag, imapwire.NO, ce.Code(), ce.Text())
		case imapwire.EventCommand:
			d.Reset(ev.Command)
			tag := d.Tag()
			d.ExpectSP()
			switch name := d.Keyword(); name {
			case "SELECT":
				d.ExpectSP()
				mbox := d.Mailbox()
				if d.End() == nil {
					out.Untagged().Atom("LIST").SP().FlagList(nil).SP().Str("/").SP().Mailbox(mbox).CRLF()
					out.StatusStart(tag, imapwire.OK).Code("UIDVALIDITY").SP().Number(3857529045).CodeEnd().Text("SELECT completed").CRLF()
				}
			case "FETCH":
				d.ExpectSP()
				d.SequenceSet()
				d.ExpectSP()
				d.FetchAtts()
			case "LOGIN":
				d.ExpectSP()
				user := d.AString()
				d.ExpectSP()
				pass := d.AString()
				if d.End() == nil {
					out.Status(tag, imapwire.OK, "", fmt.Sprintf("%s logged in (%d-octet password)", user, len(pass)))
				}
			default:
				d.Errorf("unknown command %q", name)
			}
			var se *imapwire.SyntaxError
			if errors.As(d.End(), &se) {
				out.Status(tag, imapwire.BAD, "", se.Msg)
			}
		}
	}
	fmt.Print(strings.ReplaceAll(string(out.Bytes()), "\r\n", "\n"))
	// Output:
	// * LIST () "/" "Entw&APw-rfe"
	// a1 OK [UIDVALIDITY 3857529045] SELECT completed
	// a2 NO [TOOBIG] Literal of 5000 octets exceeds the limit of 1000
	// a3 BAD invalid sequence set "1:x": expected a number or "*" at offset 2
	// + Ready for literal data
	// a4 OK fred logged in (6-octet password)
}
