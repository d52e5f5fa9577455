package pop3

import (
	"bytes"
	"strconv"
	"strings"
)

// Response codes (RFC 2449 §8, RFC 3206).
const (
	codeInUse   = "IN-USE"
	codeAuth    = "AUTH"
	codeSysTemp = "SYS/TEMP"
)

// replyError is an error whose text goes to the client as is, after -ERR;
// it is written as the RFCs' examples write reply text.
type replyError string

func (e replyError) Error() string { return string(e) }

// parseCommand splits a command line into its keyword, upper-cased, and its
// arguments (RFC 1939 §3: a keyword, then arguments separated by single
// spaces, each at most 40 characters).
func parseCommand(line string) (string, []string, error) {
	if line == "" {
		return "", nil, replyError("Empty command")
	}
	fields := strings.Split(line, " ")
	name := strings.ToUpper(fields[0])
	if name == "" {
		return "", nil, replyError("Command must not start with a space")
	}
	args := fields[1:]
	// Be liberal with trailing spaces, as most servers are.
	for len(args) > 0 && args[len(args)-1] == "" {
		args = args[:len(args)-1]
	}
	for _, a := range args {
		if a == "" {
			return "", nil, replyError("Arguments must be separated by single spaces")
		}
		if len(a) > MaxArgLength && name != "AUTH" {
			return "", nil, replyError("Argument too long")
		}
	}
	return name, args, nil
}

// sanitize keeps a client-supplied word printable and short before it is
// echoed in a reply.
func sanitize(s string) string {
	if len(s) > 20 {
		s = s[:20] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, s)
}

func okLine(text string) []byte { return []byte("+OK " + text + "\r\n") }

func errLine(code, text string) []byte {
	if code != "" {
		return []byte("-ERR [" + code + "] " + text + "\r\n")
	}
	return []byte("-ERR " + text + "\r\n")
}

func okReply(text string) Reply        { return Reply{Data: okLine(text)} }
func errReply(code, text string) Reply { return Reply{Data: errLine(code, text)} }
func multiline(first string, body []byte) []byte {
	out := make([]byte, 0, len(first)+len(body)+16)
	out = append(out, "+OK "...)
	out = append(out, first...)
	out = append(out, "\r\n"...)
	return appendDotStuffed(out, body)
}

// messages says "1 message" or "n messages".
func messages(n int) string {
	if n == 1 {
		return "1 message"
	}
	return strconv.Itoa(n) + " messages"
}

// parseMsgNumber reads a message-number argument (RFC 1939 §3: a decimal
// number starting at 1). Signs, spaces and leading '+' are refused.
func parseMsgNumber(arg string) (int, error) {
	for i := 0; i < len(arg); i++ {
		if arg[i] < '0' || arg[i] > '9' {
			return 0, replyError("Invalid message number")
		}
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 {
		return 0, replyError("Invalid message number")
	}
	return n, nil
}

// appendDotStuffed appends data as a POP3 multi-line response body
// (RFC 1939 §3): every line ending becomes CRLF, a line that begins with
// '.' gets one more '.', and the terminating ".\r\n" is added. A final line
// without an ending gets one.
func appendDotStuffed(dst, data []byte) []byte {
	for len(data) > 0 {
		var line []byte
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			dst = append(dst, '.')
		}
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
	}
	return append(dst, '.', '\r', '\n')
}

// headerAndLines returns the header of a message, the blank line after it,
// and at most n lines of its body: TOP's answer (RFC 1939 §7).
func headerAndLines(msg []byte, n int) []byte {
	end := 0
	for end < len(msg) {
		i := bytes.IndexByte(msg[end:], '\n')
		if i < 0 {
			return msg // all header, no body
		}
		line := msg[end : end+i]
		end += i + 1
		if len(bytes.TrimSuffix(line, []byte("\r"))) == 0 {
			break // the blank line that ends the header
		}
	}
	for ; n > 0 && end < len(msg); n-- {
		i := bytes.IndexByte(msg[end:], '\n')
		if i < 0 {
			return msg
		}
		end += i + 1
	}
	return msg[:end]
}
