package imap

import (
	"errors"
	"iter"
)

// A long FETCH (every body of a large mailbox) is sent in parts when the
// driver asks for it (driver.Streamer): the command runs as a coroutine
// that hands over its output whenever about streamChunk octets are ready,
// so the client reads the first responses while the server makes the
// rest, and the session never holds the whole response. Callers that
// collect replies whole (the playground, the conformance runner) do not
// ask, and get one Reply per command as before.

// errStreamStopped ends a command whose session went away mid-response.
var errStreamStopped = errors.New("imap: session ended during a streamed response")

// Stream lets the session answer long commands in parts of about chunk
// octets (driver.Reply.More); 0 turns it off.
func (s *Session) Stream(chunk int) { s.streamChunk = chunk }

// stream is a command whose response is being sent in parts.
type stream struct {
	next  func() ([]byte, bool)
	stop  func()
	final Reply // the last part, once next reports no more
}

// streams says which commands may answer in parts: those that can list
// the contents of every message of a mailbox.
func streams(name string) bool { return name == "FETCH" || name == "UID FETCH" }

// runStreaming runs a command as a coroutine and returns its first part.
func (s *Session) runStreaming(run handler, c *cmd) Reply {
	st := &stream{}
	body := func(yield func([]byte) bool) {
		c.part = func() error {
			if c.out.Len() < s.streamChunk {
				return nil
			}
			if !yield(c.out.Bytes()) {
				return errStreamStopped
			}
			// The driver has sent the part: the buffer is free again.
			c.out.Reset()
			return nil
		}
		err := s.safeRun(run, c)
		c.part = nil
		if errors.Is(err, errStreamStopped) {
			return
		}
		st.final = Reply{Data: s.finish(c, err), Delay: c.delay, Close: c.close, StartTLS: c.startTLS}
	}
	st.next, st.stop = iter.Pull(body)
	return s.resume(st)
}

// resume returns the next part of a streamed command: More until the last.
func (s *Session) resume(st *stream) Reply {
	if part, ok := st.next(); ok {
		s.stream = st
		return Reply{Data: part, More: true}
	}
	s.stream = nil
	return st.final
}

// stopStream abandons a streamed command whose connection went away.
func (s *Session) stopStream() {
	if s.stream != nil {
		s.stream.stop()
		s.stream = nil
	}
}
