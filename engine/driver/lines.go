package driver

import (
	"bytes"
	"strings"
)

// Lines is a line-oriented session's input (POP3, SMTP): the bytes the
// client has sent, handed out a line at a time. A line over the caller's
// limit is dropped through its end, even before its end has arrived, so an
// endless line costs no more memory than the limit and the session answers
// it once, as one error.
type Lines struct {
	buf     []byte
	discard bool // inside a line already over the limit
}

// Write adds bytes the client sent.
func (l *Lines) Write(p []byte) { l.buf = append(l.buf, p...) }

// Drop forgets the bytes not yet taken: input pipelined after a STARTTLS or
// STLS arrived in the clear and must not run under TLS (RFC 3207 §4.2,
// RFC 2595 §3.1).
func (l *Lines) Drop() { l.buf = l.buf[:0] }

// HasPrefixFold reports whether the next line starts with prefix, compared
// without case, so a session can choose the limit for it (a SASL line
// may be longer than a command).
func (l *Lines) HasPrefixFold(prefix string) bool {
	return len(l.buf) >= len(prefix) && strings.EqualFold(string(l.buf[:len(prefix)]), prefix)
}

// Next takes the next complete line, without its CRLF (or bare LF). ok is
// false when no whole line is there yet. tooLong reports a line of more
// than limit octets, line end included; its bytes are gone and ok is
// false.
func (l *Lines) Next(limit int) (line string, ok, tooLong bool) {
	i := bytes.IndexByte(l.buf, '\n')
	if l.discard {
		if i < 0 {
			l.buf = l.buf[:0]
			return "", false, false
		}
		l.buf = l.buf[i+1:]
		l.discard = false
		return "", false, true
	}
	if i < 0 {
		if len(l.buf) > limit {
			l.buf = l.buf[:0]
			l.discard = true
		}
		return "", false, false
	}
	if i+1 > limit {
		l.buf = l.buf[i+1:]
		return "", false, true
	}
	line = string(bytes.TrimSuffix(l.buf[:i], []byte("\r")))
	l.buf = l.buf[i+1:]
	return line, true, false
}

// Feed runs a line-oriented session over the input it holds: it takes each
// whole line with the limit the session sets for it (limit is asked before
// every line), hands it to step, and collects the replies step gives (ok
// false: the line needs none, as a line of message text). It stops when no
// whole line is left, after a reply that closes the session, and after one
// that starts TLS, dropping what the client pipelined behind it in the
// clear (RFC 3207 §4.2, RFC 2595 §3.1).
func (l *Lines) Feed(limit func() int, step func(line string, tooLong bool) (r Reply, ok bool)) []Reply {
	var replies []Reply
	for {
		line, ok, tooLong := l.Next(limit())
		if !ok && !tooLong {
			return replies
		}
		r, reply := step(line, tooLong)
		if !reply {
			continue
		}
		replies = append(replies, r)
		if r.StartTLS {
			l.Drop()
			return replies
		}
		if r.Close {
			return replies
		}
	}
}
