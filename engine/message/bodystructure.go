package message

import "strings"

// BodyStructure describes a part for FETCH BODY and BODYSTRUCTURE
// (RFC 3501 §7.4.2, RFC 9051 §7.5.2): the basic fields, the type-specific
// fields and the extension data, which only BODYSTRUCTURE returns. Strings
// are "" for NIL.
type BodyStructure struct {
	// Type and Subtype are lower-cased; IMAP prints them upper-cased.
	// An Opaque part is described as application/octet-stream.
	Type, Subtype string
	// Params are the Content-Type parameters (body-fld-param); for a
	// text part without a charset, charset=us-ascii is added first
	// (RFC 2046 §4.1.2).
	Params []Param
	// ID and Description are Content-ID and Content-Description.
	ID, Description string
	// Encoding is the lower-cased Content-Transfer-Encoding, "7bit" by
	// default (RFC 2045 §6.1).
	Encoding string
	// Size is the body's size in octets, still transfer-encoded.
	Size int64
	// Lines is the body's size in lines, for text/* and for
	// message/rfc822 and message/global parts.
	Lines int64
	// Envelope and Message describe the encapsulated message of a
	// message/rfc822 or message/global part.
	Envelope *Envelope
	Message  *BodyStructure
	// Parts are a multipart's body parts (never empty for a multipart).
	Parts []*BodyStructure

	// Extension data. MD5 is only for non-multipart parts.
	MD5         string
	Disposition *Disposition
	Language    []string
	Location    string
}

// IsMultipart reports whether b describes a multipart.
func (b *BodyStructure) IsMultipart() bool { return len(b.Parts) > 0 }

// hasLines reports whether IMAP gives b a line count (RFC 9051 §9:
// body-type-text and body-type-msg).
func (b *BodyStructure) hasLines() bool {
	return b.Type == "text" || b.Envelope != nil
}

// BodyStructure describes p and the parts below it.
func (p *Part) BodyStructure() *BodyStructure {
	b := &BodyStructure{
		Type:        p.ContentType.Type,
		Subtype:     p.ContentType.Subtype,
		Params:      p.ContentType.Params,
		ID:          p.ID,
		Description: p.Description,
		Encoding:    p.Encoding,
		Size:        p.Size(),
		MD5:         p.MD5,
		Disposition: p.Disposition,
		Language:    p.Language,
		Location:    p.Location,
	}
	switch {
	case p.Opaque:
		// Neither children nor an envelope: a multipart or message type
		// would break the grammar (body-type-mpart needs 1*body,
		// body-type-msg an envelope and a body).
		b.Type, b.Subtype, b.Params = "application", "octet-stream", nil
	case p.IsMultipart():
		b.Parts = make([]*BodyStructure, len(p.Parts))
		for i, c := range p.Parts {
			b.Parts[i] = c.BodyStructure()
		}
	case p.Message != nil:
		b.Envelope = p.Message.Envelope()
		b.Message = p.Message.BodyStructure()
	}
	if b.Type == "text" && paramValue(b.Params, "charset") == "" {
		b.Params = append([]Param{{Name: "charset", Value: "us-ascii"}}, b.Params...)
	}
	if b.hasLines() {
		b.Lines = p.Lines()
	}
	return b
}

// IMAP returns b as IMAP prints it: the BODY form when extended is false,
// the BODYSTRUCTURE form with extension data when it is true (RFC 9051
// §7.5.2 and §9, body). Type, subtype, encoding, parameter names and the
// disposition type are upper-cased as in the RFC's examples; values are
// as in the message. An RFC 2231 extended parameter is sent as "NAME*"
// with its continuations joined and its value, converted to UTF-8 where
// the charset is known, percent-encoded again ("utf-8'en'a%20b"): that
// follows RFC 9051's advice to decode continuations while keeping the
// string 7-bit, so it is valid in IMAP4rev1 as in IMAP4rev2; Dovecot
// sends the same form (keeping the original charset).
func (b *BodyStructure) IMAP(extended bool) List {
	if b.IsMultipart() {
		l := make(List, 0, len(b.Parts)+5)
		for _, c := range b.Parts {
			l = append(l, c.IMAP(extended))
		}
		l = append(l, String(strings.ToUpper(b.Subtype)))
		if extended {
			l = append(l, params(b.Params), b.dispositionValue(), b.languageValue(), nstring(b.Location))
		}
		return l
	}
	l := List{
		String(strings.ToUpper(b.Type)),
		String(strings.ToUpper(b.Subtype)),
		params(b.Params),
		nstring(b.ID),
		nstring(b.Description),
		String(strings.ToUpper(b.Encoding)),
		Number(b.Size),
	}
	if b.Envelope != nil {
		l = append(l, b.Envelope.IMAP(), b.Message.IMAP(extended))
	}
	if b.hasLines() {
		l = append(l, Number(b.Lines))
	}
	if extended {
		l = append(l, nstring(b.MD5), b.dispositionValue(), b.languageValue(), nstring(b.Location))
	}
	return l
}

// params returns a body-fld-param list, or NIL.
func params(ps []Param) Value {
	if len(ps) == 0 {
		return nil
	}
	l := make(List, 0, 2*len(ps))
	for _, p := range ps {
		if p.Extended {
			l = append(l, String(strings.ToUpper(p.Name)+"*"), String(p.encoded2231()))
		} else {
			l = append(l, String(strings.ToUpper(p.Name)), String(p.Value))
		}
	}
	return l
}

func (b *BodyStructure) dispositionValue() Value {
	if b.Disposition == nil {
		return nil
	}
	return List{String(strings.ToUpper(b.Disposition.Type)), params(b.Disposition.Params)}
}

// languageValue returns body-fld-lang: NIL, one string, or a list of them.
func (b *BodyStructure) languageValue() Value {
	switch len(b.Language) {
	case 0:
		return nil
	case 1:
		return String(b.Language[0])
	}
	l := make(List, len(b.Language))
	for i, t := range b.Language {
		l[i] = String(t)
	}
	return l
}
