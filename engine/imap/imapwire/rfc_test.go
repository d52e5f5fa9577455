package imapwire_test

// The client commands of the RFC examples, framed by a Reader and decoded
// with the Decoder's primitives by a small grammar written the way the
// server's command handlers will be. Each fixture in testdata/*.txtar is
// one group of examples:
//
//	comment         which examples, and how they were transcribed
//	-- commands --  the lines the client sends, LF read as CRLF
//	-- parsed --    one line per command: the decoded elements, rewritten
//	                by -update
//
// The commands section is the specification and is never rewritten; every
// command must decode without error, and the parsed section pins what the
// decoded values are, so that a change shows up in review.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

var update = flag.Bool("update", false, "rewrite the parsed sections of testdata/*.txtar")

func TestRFCExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txtar fixtures")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var commands *txtar.File
			parsed := -1
			for i := range ar.Files {
				switch ar.Files[i].Name {
				case "commands":
					commands = &ar.Files[i]
				case "parsed":
					parsed = i
				}
			}
			if commands == nil || parsed < 0 {
				t.Fatal("fixture needs a commands and a parsed section")
			}
			stream := bytes.ReplaceAll(commands.Data, []byte("\n"), []byte("\r\n"))
			r := imapwire.NewReader(imapwire.Limits{})
			var out strings.Builder
			for _, cmd := range drainAll(t, r, stream) {
				d := imapwire.NewDecoder(cmd)
				line := rfcCommand(d)
				if err := d.End(); err != nil {
					// Only the examples of a BAD response may fail.
					var se *imapwire.SyntaxError
					if !errors.As(err, &se) || !strings.HasPrefix(se.Msg, "unknown command") {
						t.Errorf("command %q: %v", cmd, err)
						continue
					}
					line += " -> BAD " + se.Msg
				}
				out.WriteString(line + "\n")
			}
			if r.Buffered() != 0 {
				t.Errorf("%d octets left over after the last command", r.Buffered())
			}
			got := out.String()
			if *update {
				ar.Files[parsed].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(ar.Files[parsed].Data), got); diff != "" {
				t.Errorf("parsed (-want +got), run with -update to accept:\n%s", diff)
			}
		})
	}
}

// drainAll feeds stream to r and returns the commands, accepting every
// literal; other events fail the test.
func drainAll(t *testing.T, r *imapwire.Reader, stream []byte) [][]byte {
	t.Helper()
	r.Feed(stream)
	var cmds [][]byte
	for {
		ev := r.Next()
		switch ev.Kind {
		case imapwire.EventNeedInput:
			return cmds
		case imapwire.EventCommand:
			cmds = append(cmds, bytes.Clone(ev.Command))
		case imapwire.EventLiteral:
			r.Accept()
		default:
			t.Fatalf("unexpected event %v: %v", ev.Kind, ev.Err)
		}
	}
}

// The renderings of decoded values.
func mbox(s string) string         { return "mailbox:" + strconv.Quote(s) }
func pattern(s string) string      { return "pattern:" + strconv.Quote(s) }
func astr(s string) string         { return strconv.Quote(s) }
func set(s imapwire.SeqSet) string { return "set:" + s.String() }
func date(t time.Time) string      { return "date:" + t.Format("2006-01-02") }
func dateTime(t time.Time) string  { return "date-time:" + t.Format(time.RFC3339) }
func list(items []string) string   { return "(" + strings.Join(items, " ") + ")" }
func flags(f []string) string      { return "flags" + list(f) }
func literalData(b []byte, bin bool) string {
	if bin {
		return fmt.Sprintf("literal8(%d octets)", len(b))
	}
	return fmt.Sprintf("literal(%d octets)", len(b))
}

// rfcCommand decodes a command the way a server's handlers would, and
// renders it.
func rfcCommand(d *imapwire.Decoder) string {
	parts := []string{d.Tag()}
	d.ExpectSP()
	name := d.Keyword()
	uid := name == "UID"
	if uid {
		d.ExpectSP()
		name = "UID " + d.Keyword()
	}
	parts = append(parts, name)
	arg := func(s string) { parts = append(parts, s) }
	switch name {
	case "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "CHECK", "CLOSE", "UNSELECT",
		"EXPUNGE", "NAMESPACE", "IDLE":
	case "LOGIN":
		d.ExpectSP()
		arg(astr(d.AString()))
		d.ExpectSP()
		arg(astr(d.AString()))
	case "AUTHENTICATE":
		d.ExpectSP()
		arg(d.Atom())
		if d.SP() {
			arg(astr(d.Atom())) // base64 and "=" are atoms
		}
	case "ENABLE":
		for d.SP() {
			arg(d.Atom())
		}
	case "SELECT", "EXAMINE":
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
		if d.SP() {
			arg(genericList(d))
		}
	case "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE":
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
	case "RENAME":
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
	case "LIST", "LSUB":
		d.ExpectSP()
		if d.Peek() == '(' {
			var opts []string
			for range d.List() {
				opts = append(opts, d.Keyword())
			}
			arg("select" + list(opts))
			d.ExpectSP()
		}
		arg(mbox(d.Mailbox()))
		d.ExpectSP()
		if d.Peek() == '(' {
			var pats []string
			for range d.List() {
				pats = append(pats, pattern(d.ListMailbox()))
			}
			arg(list(pats))
		} else {
			arg(pattern(d.ListMailbox()))
		}
		if d.SP() {
			d.ExpectKeyword("RETURN")
			d.ExpectSP()
			arg("return" + genericList(d))
		}
	case "STATUS":
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
		d.ExpectSP()
		var items []string
		for range d.List() {
			items = append(items, d.Keyword())
		}
		arg(list(items))
	case "APPEND":
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
		d.ExpectSP()
		if d.Peek() == '(' {
			arg(flags(d.FlagList()))
			d.ExpectSP()
		}
		if d.Peek() == '"' {
			arg(dateTime(d.DateTime()))
			d.ExpectSP()
		}
		arg(literalData(d.Literal8()))
	case "FETCH", "UID FETCH":
		d.ExpectSP()
		arg(set(d.SequenceSet()))
		d.ExpectSP()
		var atts []string
		for _, a := range d.FetchAtts() {
			atts = append(atts, a.String())
		}
		arg(list(atts))
		if d.SP() {
			arg("modifiers" + genericList(d))
		}
	case "STORE", "UID STORE":
		d.ExpectSP()
		arg(set(d.SequenceSet()))
		d.ExpectSP()
		if d.Peek() == '(' {
			for range d.List() {
				d.ExpectKeyword("UNCHANGEDSINCE")
				d.ExpectSP()
				arg("unchangedsince:" + strconv.FormatUint(d.Number64(), 10))
			}
			d.ExpectSP()
		}
		arg(d.Keyword())
		d.ExpectSP()
		if d.Peek() == '(' {
			arg(flags(d.FlagList()))
		} else {
			f := []string{d.Flag()}
			for d.SP() {
				f = append(f, d.Flag())
			}
			arg(flags(f))
		}
	case "COPY", "MOVE", "UID COPY", "UID MOVE":
		d.ExpectSP()
		arg(set(d.SequenceSet()))
		d.ExpectSP()
		arg(mbox(d.Mailbox()))
	case "UID EXPUNGE":
		d.ExpectSP()
		arg(set(d.SequenceSet()))
	case "SEARCH", "UID SEARCH":
		d.ExpectSP()
		if d.AcceptKeyword("RETURN") {
			d.ExpectSP()
			var opts []string
			for range d.List() {
				opts = append(opts, d.Keyword())
			}
			arg("return" + list(opts))
			d.ExpectSP()
		}
		if d.AcceptKeyword("CHARSET") {
			d.ExpectSP()
			arg("charset:" + d.AString())
			d.ExpectSP()
		}
		arg(searchKey(d))
		for d.SP() {
			arg(searchKey(d))
		}
	default:
		// Unknown commands are BAD; their arguments are not decoded.
		d.Errorf("unknown command %q", name)
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, " ")
}

// genericList decodes a parenthesized list of tagged-ext values (RFC 9051
// §9 tagged-ext-val): atoms, numbers, sequence sets, strings and lists.
func genericList(d *imapwire.Decoder) string {
	var items []string
	for range d.List() {
		switch c := d.Peek(); {
		case c == '(':
			items = append(items, genericList(d))
		case c == '"' || c == '{':
			items = append(items, astr(d.Str()))
		case isNumber(d.Rest()):
			items = append(items, strconv.FormatUint(d.Number64(), 10))
		case c >= '0' && c <= '9' || c == '*' || c == '$':
			items = append(items, set(d.SequenceSet()))
		default:
			items = append(items, d.Keyword())
		}
	}
	return list(items)
}

// isNumber reports whether rest starts with digits and a delimiter: a
// number64 (a mod-sequence, say) rather than a sequence set.
func isNumber(rest []byte) bool {
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && (i == len(rest) || rest[i] == ' ' || rest[i] == ')')
}

// searchKey decodes one search-key (RFC 9051 §9, with MODSEQ of RFC 7162).
func searchKey(d *imapwire.Decoder) string {
	switch c := d.Peek(); {
	case c == '(':
		var keys []string
		for range d.List() {
			keys = append(keys, searchKey(d))
		}
		return list(keys)
	case c >= '0' && c <= '9' || c == '*' || c == '$':
		return set(d.SequenceSet())
	}
	key := d.Keyword()
	switch key {
	case "ALL", "ANSWERED", "DELETED", "FLAGGED", "NEW", "OLD", "RECENT", "SEEN",
		"UNANSWERED", "UNDELETED", "UNFLAGGED", "UNSEEN", "DRAFT", "UNDRAFT":
		return key
	case "BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO":
		d.ExpectSP()
		return "(" + key + " " + astr(d.AString()) + ")"
	case "KEYWORD", "UNKEYWORD":
		d.ExpectSP()
		return "(" + key + " " + d.Flag() + ")"
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		d.ExpectSP()
		return "(" + key + " " + date(d.Date()) + ")"
	case "HEADER":
		d.ExpectSP()
		field := d.AString()
		d.ExpectSP()
		return "(" + key + " " + astr(field) + " " + astr(d.AString()) + ")"
	case "LARGER", "SMALLER":
		d.ExpectSP()
		return "(" + key + " " + strconv.FormatUint(d.Number64(), 10) + ")"
	case "NOT":
		d.ExpectSP()
		return "(NOT " + searchKey(d) + ")"
	case "OR":
		d.ExpectSP()
		a := searchKey(d)
		d.ExpectSP()
		return "(OR " + a + " " + searchKey(d) + ")"
	case "UID":
		d.ExpectSP()
		return "(UID " + set(d.SequenceSet()) + ")"
	case "MODSEQ":
		d.ExpectSP()
		s := "(MODSEQ"
		if d.Peek() == '"' {
			s += " " + astr(d.Quoted())
			d.ExpectSP()
			s += " " + d.Keyword()
			d.ExpectSP()
		}
		return s + " " + strconv.FormatUint(d.Number64(), 10) + ")"
	}
	d.Errorf("unknown search key %q", key)
	return key
}
