package message

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzStructure checks that ENVELOPE and BODYSTRUCTURE of any message
// follow the grammar of RFC 9051 §9 (envelope, body, body-type-1part,
// body-type-mpart, body-ext-1part, body-ext-mpart), so that a client's
// parser never loses its place in a FETCH response: field counts, NIL or
// string where the grammar says nstring, numbers not negative, a
// MESSAGE/RFC822 part with its envelope, body and line count, a
// multipart with at least one body, and Sender and Reply-To set from
// From when absent (RFC 9051 §7.5.2).
func FuzzStructure(f *testing.F) {
	for _, in := range goldenInputs(f) {
		f.Add(in)
	}
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\n"))
	f.Add([]byte("Content-Type: message/global\r\n\r\nFrom: a@b\r\nContent-Type: multipart/x; boundary=q\r\n\r\n--q\r\n\r\n--q--\r\n"))
	f.Add([]byte("From: a@b\nSender:\nReply-To: ,\nTo: g: ;\nContent-Language: en, (x) de\nContent-Disposition: inline; filename*0=a; filename*1=b\nContent-Type: text/plain; a*=utf-8''%41\n\nx\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkEnvelope(p.Envelope().IMAP()); err != nil {
			t.Fatalf("ENVELOPE %s: %v", p.Envelope().IMAP(), err)
		}
		for _, ext := range []bool{false, true} {
			b := p.BodyStructure().IMAP(ext)
			if err := checkBody(b, ext, int64(len(raw)), 0); err != nil {
				t.Fatalf("BODY (extended %v) %s: %v", ext, b, err)
			}
		}
	})
}

func isNString(v Value) bool {
	switch v.(type) {
	case nil, String:
		return true
	}
	return false
}

// checkEnvelope checks envelope = "(" env-date SP env-subject SP env-from
// SP env-sender SP env-reply-to SP env-to SP env-cc SP env-bcc SP
// env-in-reply-to SP env-message-id ")".
func checkEnvelope(env List) error {
	if len(env) != 10 {
		return fmt.Errorf("%d fields, want 10", len(env))
	}
	for _, i := range []int{0, 1, 8, 9} {
		if !isNString(env[i]) {
			return fmt.Errorf("field %d is not an nstring", i)
		}
	}
	for i := 2; i <= 7; i++ {
		if env[i] == nil {
			continue
		}
		l, ok := env[i].(List)
		if !ok || len(l) == 0 {
			return fmt.Errorf("field %d is neither NIL nor a list of addresses", i)
		}
		for _, a := range l {
			al, ok := a.(List)
			if !ok || len(al) != 4 {
				return fmt.Errorf("field %d: address %v is not a list of 4", i, a)
			}
			for _, x := range al {
				if !isNString(x) {
					return fmt.Errorf("field %d: address %v holds a non-nstring", i, al)
				}
			}
		}
	}
	if env[2] != nil && (env[3] == nil || env[4] == nil) {
		return fmt.Errorf("From given, Sender or Reply-To NIL")
	}
	return nil
}

// checkBody checks one body against the grammar and its size against the
// message's.
func checkBody(b List, ext bool, size int64, depth int) error {
	if depth > MaxDepth+2 {
		return fmt.Errorf("nested %d deep", depth)
	}
	if len(b) == 0 {
		return fmt.Errorf("empty body")
	}
	if _, ok := b[0].(List); ok {
		// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
		i := 0
		for ; i < len(b); i++ {
			c, ok := b[i].(List)
			if !ok {
				break
			}
			if err := checkBody(c, ext, size, depth+1); err != nil {
				return fmt.Errorf("part %d: %w", i+1, err)
			}
		}
		if i == len(b) {
			return fmt.Errorf("multipart without a subtype")
		}
		if _, ok := b[i].(String); !ok {
			return fmt.Errorf("multipart subtype %v is not a string", b[i])
		}
		return checkExt(b[i+1:], ext, []func(Value) error{checkParams, checkDisposition, checkLanguage, checkNString})
	}
	// body-type-1part: body-fields are type, subtype, params, id,
	// description, encoding, octets.
	if len(b) < 7 {
		return fmt.Errorf("%d fields, want at least 7", len(b))
	}
	typ, ok1 := b[0].(String)
	sub, ok2 := b[1].(String)
	_, ok3 := b[5].(String)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("type, subtype or encoding not a string")
	}
	if err := checkParams(b[2]); err != nil {
		return err
	}
	if !isNString(b[3]) || !isNString(b[4]) {
		return fmt.Errorf("id or description not an nstring")
	}
	if n, ok := b[6].(Number); !ok || n < 0 || int64(n) > size {
		return fmt.Errorf("octets %v in a %d-octet message", b[6], size)
	}
	rest := b[7:]
	T, S := strings.ToUpper(string(typ)), strings.ToUpper(string(sub))
	switch {
	case T == "MESSAGE" && (S == "RFC822" || S == "GLOBAL"):
		// body-type-msg: envelope SP body SP body-fld-lines
		if len(rest) < 3 {
			return fmt.Errorf("%s/%s without envelope, body and lines", T, S)
		}
		env, ok := rest[0].(List)
		if !ok {
			return fmt.Errorf("%s/%s: envelope %v is not a list", T, S, rest[0])
		}
		if err := checkEnvelope(env); err != nil {
			return fmt.Errorf("encapsulated envelope: %w", err)
		}
		inner, ok := rest[1].(List)
		if !ok {
			return fmt.Errorf("%s/%s: body %v is not a list", T, S, rest[1])
		}
		if err := checkBody(inner, ext, size, depth+1); err != nil {
			return fmt.Errorf("encapsulated body: %w", err)
		}
		if err := checkLines(rest[2]); err != nil {
			return err
		}
		rest = rest[3:]
	case T == "TEXT":
		if len(rest) < 1 {
			return fmt.Errorf("TEXT without lines")
		}
		if err := checkLines(rest[0]); err != nil {
			return err
		}
		rest = rest[1:]
	}
	return checkExt(rest, ext, []func(Value) error{checkNString, checkDisposition, checkLanguage, checkNString})
}

// checkExt checks the extension data: none for BODY, the four fields
// wirelab sends for BODYSTRUCTURE.
func checkExt(rest []Value, ext bool, checks []func(Value) error) error {
	if !ext {
		if len(rest) != 0 {
			return fmt.Errorf("BODY with extension data %v", rest)
		}
		return nil
	}
	if len(rest) != len(checks) {
		return fmt.Errorf("%d extension fields, want %d", len(rest), len(checks))
	}
	for i, c := range checks {
		if err := c(rest[i]); err != nil {
			return fmt.Errorf("extension field %d: %w", i+1, err)
		}
	}
	return nil
}

func checkLines(v Value) error {
	if n, ok := v.(Number); !ok || n < 0 {
		return fmt.Errorf("lines %v", v)
	}
	return nil
}

func checkNString(v Value) error {
	if !isNString(v) {
		return fmt.Errorf("%v is not an nstring", v)
	}
	return nil
}

// checkParams checks body-fld-param: NIL or a list of string pairs.
func checkParams(v Value) error {
	if v == nil {
		return nil
	}
	l, ok := v.(List)
	if !ok || len(l) == 0 || len(l)%2 != 0 {
		return fmt.Errorf("parameters %v", v)
	}
	for _, x := range l {
		if _, ok := x.(String); !ok {
			return fmt.Errorf("parameter %v is not a string", x)
		}
	}
	return nil
}

// checkDisposition checks body-fld-dsp: NIL or (string body-fld-param).
func checkDisposition(v Value) error {
	if v == nil {
		return nil
	}
	l, ok := v.(List)
	if !ok || len(l) != 2 {
		return fmt.Errorf("disposition %v", v)
	}
	if _, ok := l[0].(String); !ok {
		return fmt.Errorf("disposition type %v", l[0])
	}
	return checkParams(l[1])
}

// checkLanguage checks body-fld-lang: nstring or a list of strings.
func checkLanguage(v Value) error {
	if l, ok := v.(List); ok {
		if len(l) == 0 {
			return fmt.Errorf("empty language list")
		}
		for _, x := range l {
			if _, ok := x.(String); !ok {
				return fmt.Errorf("language %v", x)
			}
		}
		return nil
	}
	return checkNString(v)
}
