package mailnet

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// notification builds the delivery status notification (RFC 3464) that
// returns q to its sender: a multipart/report (RFC 6522) with a part for
// people, a message/delivery-status part with one block per failed
// recipient, and the returned message's header as text/rfc822-headers
// (RFC 6522 §4), which spares resending a large body.
func (s *Server) notification(q *queued, failed []*rcptState, now time.Time) []byte {
	boundary := "=_dsn_" + strings.NewReplacer("/", "_", ".", "_").Replace(q.id)
	date := now.Format(time.RFC1123Z)
	var b bytes.Buffer
	crlf := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	crlf("From: Mail Delivery System <MAILER-DAEMON@%s>", s.Spec.Name)
	crlf("To: <%s>", q.from)
	crlf("Subject: Undelivered Mail Returned to Sender")
	crlf("Date: %s", date)
	crlf("Message-ID: <%s.dsn@%s>", strings.ReplaceAll(q.id, "/", "."), s.Spec.Name)
	// RFC 3834 §5: an automatic reply, which no responder answers.
	crlf("Auto-Submitted: auto-replied")
	crlf("MIME-Version: 1.0")
	crlf("Content-Type: multipart/report; report-type=delivery-status;")
	crlf("\tboundary=\"%s\"", boundary)
	crlf("")
	crlf("This is a MIME-encapsulated delivery status notification.")
	crlf("")

	crlf("--%s", boundary)
	crlf("Content-Type: text/plain; charset=us-ascii")
	crlf("Content-Description: Notification")
	crlf("")
	crlf("This is the mail system at host %s.", s.Spec.Name)
	crlf("")
	crlf("Your message could not be delivered to one or more recipients:")
	for _, r := range failed {
		crlf("")
		crlf("  <%s>: %s", r.addr, oneLine(r.why))
	}
	crlf("")

	// RFC 3464 §2.2: per-message fields, then one block per recipient.
	crlf("--%s", boundary)
	crlf("Content-Type: message/delivery-status")
	crlf("Content-Description: Delivery report")
	crlf("")
	crlf("Reporting-MTA: dns; %s", s.Spec.Name)
	crlf("X-Wirelab-Queue-ID: %s", q.id)
	crlf("Arrival-Date: %s", q.arrived.Format(time.RFC1123Z))
	for _, r := range failed {
		crlf("")
		crlf("Final-Recipient: rfc822; %s", r.addr)
		crlf("Action: failed")
		crlf("Status: %s", r.status)
		if r.remote != "" {
			crlf("Remote-MTA: dns; %s", r.remote)
		}
		if r.diag != "" {
			crlf("Diagnostic-Code: smtp; %s", oneLine(r.diag))
		}
		if !r.at.IsZero() {
			crlf("Last-Attempt-Date: %s", r.at.Format(time.RFC1123Z))
		}
	}
	crlf("")

	crlf("--%s", boundary)
	crlf("Content-Type: text/rfc822-headers")
	crlf("Content-Description: Undelivered message header")
	crlf("")
	b.Write(toCRLF(headerOf(q.msg)))
	crlf("--%s--", boundary)
	return b.Bytes()
}

// headerOf returns a message's header fields, without the blank line.
func headerOf(msg []byte) []byte {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(msg, []byte(sep)); i >= 0 {
			return msg[:i+len(sep)/2]
		}
	}
	return msg
}

// toCRLF makes every line end CRLF.
func toCRLF(p []byte) []byte {
	p = bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n"))
	p = bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))
	if len(p) > 0 && !bytes.HasSuffix(p, []byte("\r\n")) {
		p = append(p, '\r', '\n')
	}
	return p
}

// oneLine keeps a reply or account on one line of a header field.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
