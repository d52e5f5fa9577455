package message

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvelopeDefaults(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   string // IMAP form
	}{
		{
			name:   "no header fields: all NIL",
			header: "",
			want:   "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
		},
		{
			name:   "sender and reply-to default to from",
			header: "From: a@x\n",
			want:   `(NIL NIL ((NIL NIL "a" "x")) ((NIL NIL "a" "x")) ((NIL NIL "a" "x")) NIL NIL NIL NIL NIL)`,
		},
		{
			name:   "explicit sender and reply-to",
			header: "From: a@x\nSender: s@x\nReply-To: r@x\n",
			want:   `(NIL NIL ((NIL NIL "a" "x")) ((NIL NIL "s" "x")) ((NIL NIL "r" "x")) NIL NIL NIL NIL NIL)`,
		},
		{
			name:   "empty from and sender: NIL, and nothing to default to",
			header: "From:\nSender: \n",
			want:   "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
		},
		{
			// RFC 9051 §7.5.2 allows NIL for a present but empty
			// Subject; clients treat NIL and "" alike.
			name:   "present but empty strings are NIL",
			header: "Subject:\nDate: \nMessage-ID:\nIn-Reply-To:\n",
			want:   "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
		},
		{
			name:   "raw values, folded and with encoded words",
			header: "Subject: =?UTF-8?Q?caf=C3=A9?=\n and more\nIn-Reply-To: <a@x>\n <b@x>\nBcc: b@x\nCc: c@x\nTo: t@x\n",
			want:   `(NIL "=?UTF-8?Q?caf=C3=A9?= and more" NIL NIL NIL ((NIL NIL "t" "x")) ((NIL NIL "c" "x")) ((NIL NIL "b" "x")) "<a@x> <b@x>" NIL)`,
		},
		{
			name:   "the first of repeated fields counts",
			header: "From: first@x\nFrom: second@x\nSubject: one\nSubject: two\n",
			want:   `(NIL "one" ((NIL NIL "first" "x")) ((NIL NIL "first" "x")) ((NIL NIL "first" "x")) NIL NIL NIL NIL NIL)`,
		},
		{
			name:   "a quote in a string is escaped",
			header: `Subject: say "hi" \o/` + "\n",
			want:   `(NIL "say \"hi\" \\o/" NIL NIL NIL NIL NIL NIL NIL NIL)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.header+"\nbody\n")
			if got := p.Envelope().IMAP().String(); got != tc.want {
				t.Errorf("ENVELOPE\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEnvelopeDecoded(t *testing.T) {
	p := mustParse(t, "Subject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqUIQ==?= Greetings\nFrom: =?UTF-8?B?67CV66+87KSA?= <minjun@example.net>\n\n")
	e := p.Envelope()
	if got := e.DecodedSubject(); got != "안녕하세요! Greetings" {
		t.Errorf("DecodedSubject = %q", got)
	}
	if got := e.From[0].DecodedName(); got != "박민준" {
		t.Errorf("DecodedName = %q", got)
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    List
		want string
	}{
		{List{}, "()"},
		{List{nil, Number(0), Number(4294967295), String("")}, `(NIL 0 4294967295 "")`},
		{List{String(`a"b\c`)}, `("a\"b\\c")`},
		{List{String("two\r\nlines")}, "({10}\r\ntwo\r\nlines)"},
		{List{String("nul\x00")}, "({4}\r\nnul\x00)"},
		{List{String("café")}, `("café")`},
		{List{List{nil}, List{}}, "((NIL) ())"},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestBodyStructureDefaults(t *testing.T) {
	tests := []struct {
		name, raw string
		body      string // BODY form
	}{
		{
			"text without charset gets us-ascii first (RFC 2046 §4.1.2)",
			"Content-Type: text/plain; format=flowed\n\nx\n",
			`("TEXT" "PLAIN" ("CHARSET" "us-ascii" "FORMAT" "flowed") NIL NIL "7BIT" 2 1)`,
		},
		{
			"non-text without parameters: NIL",
			"Content-Type: application/octet-stream\n\nx",
			`("APPLICATION" "OCTET-STREAM" NIL NIL NIL "7BIT" 1)`,
		},
		{
			"message/global is encapsulated like message/rfc822 (RFC 9051 media-message)",
			"Content-Type: message/global\nContent-Transfer-Encoding: 8bit\n\nSubject: x\n\ny\n",
			`("MESSAGE" "GLOBAL" NIL NIL NIL "8BIT" 14 (NIL "x" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 2 1) 3)`,
		},
		{
			"other message subtypes are basic",
			"Content-Type: message/delivery-status\n\nx\n",
			`("MESSAGE" "DELIVERY-STATUS" NIL NIL NIL "7BIT" 2)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.raw)
			if got := p.BodyStructure().IMAP(false).String(); got != tc.body {
				t.Errorf("BODY\n got %s\nwant %s", got, tc.body)
			}
		})
	}
	// The structure does not share or change the Part's parameters.
	p := mustParse(t, "Content-Type: text/plain; format=flowed\n\nx\n")
	_ = p.BodyStructure()
	if diff := cmp.Diff([]Param{{Name: "format", Value: "flowed"}}, p.ContentType.Params, cmp.AllowUnexported(Param{})); diff != "" {
		t.Errorf("Part params changed (-want +got):\n%s", diff)
	}
}
