package message

// Envelope is the ENVELOPE of a message (RFC 3501 and RFC 9051 §7.5.2):
// its header fields as IMAP presents them. The strings are the header
// values, unfolded and trimmed but not decoded: the RFC defines the
// envelope as "the [RFC5322] header" split into parts, and clients decode
// the RFC 2047 encoded words themselves, as they do in BODY[HEADER]. Use
// the Decoded* methods for display. An empty string or list stands for
// NIL: RFC 9051 lets a server send NIL for a field that is present but
// empty, and asks clients to treat the two alike.
type Envelope struct {
	Date, Subject                      string
	From, Sender, ReplyTo, To, Cc, Bcc []Address
	InReplyTo, MessageID               string
}

// Envelope computes the envelope of a message from its header: p is the
// message given to Parse, or the Message of a message/rfc822 part. Sender
// and Reply-To default to From when absent or empty (RFC 9051 §7.5.2).
func (p *Part) Envelope() *Envelope {
	h := &p.Header
	e := &Envelope{
		Date:      h.Get("Date"),
		Subject:   h.Get("Subject"),
		From:      addressField(h, "From"),
		Sender:    addressField(h, "Sender"),
		ReplyTo:   addressField(h, "Reply-To"),
		To:        addressField(h, "To"),
		Cc:        addressField(h, "Cc"),
		Bcc:       addressField(h, "Bcc"),
		InReplyTo: h.Get("In-Reply-To"),
		MessageID: h.Get("Message-ID"),
	}
	if len(e.Sender) == 0 {
		e.Sender = e.From
	}
	if len(e.ReplyTo) == 0 {
		e.ReplyTo = e.From
	}
	return e
}

// addressField parses the first field named name. A second From or To
// field is a broken message; the first one counts, as for the other
// envelope fields.
func addressField(h *Header, name string) []Address {
	v := h.Get(name)
	if v == "" {
		return nil
	}
	return ParseAddressList(v)
}

// DecodedSubject returns the subject with its encoded words decoded.
func (e *Envelope) DecodedSubject() string { return DecodeHeader(e.Subject) }

// IMAP returns the envelope as an IMAP value, in the order RFC 9051 §7.5.2
// gives: (date subject from sender reply-to to cc bcc in-reply-to
// message-id).
func (e *Envelope) IMAP() List {
	return List{
		nstring(e.Date),
		nstring(e.Subject),
		addressList(e.From),
		addressList(e.Sender),
		addressList(e.ReplyTo),
		addressList(e.To),
		addressList(e.Cc),
		addressList(e.Bcc),
		nstring(e.InReplyTo),
		nstring(e.MessageID),
	}
}

func addressList(as []Address) Value {
	if len(as) == 0 {
		return nil
	}
	l := make(List, len(as))
	for i, a := range as {
		l[i] = a.IMAP()
	}
	return l
}

// IMAP returns the address structure (name adl mailbox host), RFC 9051
// §7.5.2.
func (a Address) IMAP() List {
	return List{nstring(a.Name), nstring(a.ADL), nstring(a.Mailbox), nstring(a.Host)}
}
