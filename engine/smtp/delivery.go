package smtp

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Delivery is the sending side of one SMTP mail transaction as a sans-I/O
// state machine (RFC 5321 §3.3, §4.1.1): an MTA's queue, or a mail user
// agent submitting a message, drives it over a connection it owns. Feed
// takes the server's bytes and returns the commands to send in answer; the
// server speaks first, so the driver feeds nothing until the greeting
// arrives. The dialogue is the one RFC 5321 §3.3 draws, one command at a
// time: EHLO (HELO if the server does not know EHLO, §3.2), AUTH PLAIN when
// Auth is set (RFC 4954), MAIL, one RCPT per recipient, DATA and the message
// when a recipient was accepted, then QUIT.
//
// Each recipient ends with a result holding the reply that decided it: the
// RCPT reply if it was refused, else the reply to the end of the message
// (RFC 5321 §4.2.5), or the reply to an earlier step (greeting, EHLO, MAIL,
// DATA) that failed the whole transaction. A recipient the connection
// ended before deciding has Code 0, which counts as temporary. A Delivery
// is not safe for concurrent use.
type Delivery struct {
	// Hello is the domain given in EHLO or HELO.
	Hello string
	// From is the reverse-path; "" is the null reverse-path of
	// notifications (RFC 5321 §4.5.5).
	From string
	// To are the forward-paths, one RCPT each.
	To []string
	// Msg is the message, with LF or CRLF line ends; DATA sends it
	// dot-stuffed (§4.5.2).
	Msg []byte
	// AuthUser and AuthPass, when AuthUser is set, log in with AUTH PLAIN
	// after EHLO, as a user agent does on the submission port (RFC 6409).
	AuthUser, AuthPass string

	step    deliveryStep
	in      []byte
	lines   []string // lines of the reply being read
	rcpt    int      // index of the recipient whose RCPT is outstanding
	results []RcptResult
	decided []bool
}

// deliveryStep is what the Delivery waits for a reply to.
type deliveryStep int

const (
	stepGreeting deliveryStep = iota
	stepEHLO
	stepHELO
	stepAuth
	stepMail
	stepRcpt
	stepData
	stepBody
	stepQuit
	stepDone
)

// ServerReply is one complete reply from the server (RFC 5321 §4.2).
type ServerReply struct {
	Code int
	// Enhanced is the RFC 3463 status code of the first line, "" if none.
	Enhanced string
	// Lines are the text of each line after the code and separator.
	Lines []string
}

// Text returns the reply's text without the enhanced code, lines joined
// by spaces.
func (r ServerReply) Text() string {
	t := strings.Join(r.Lines, " ")
	if r.Enhanced != "" {
		t = strings.TrimSpace(strings.TrimPrefix(t, r.Enhanced))
	}
	return t
}

// String is the reply's first line as the server sent it.
func (r ServerReply) String() string {
	if len(r.Lines) == 0 {
		return strconv.Itoa(r.Code)
	}
	return fmt.Sprintf("%03d %s", r.Code, r.Lines[0])
}

// Command is one thing the client sends: a command line, or the message
// text after DATA.
type Command struct {
	// Line is the command without CRLF, "" for message text. An AUTH
	// line carries the credentials; Redacted hides them.
	Line string
	// Text is the dot-stuffed message ending in ".\r\n", for message text.
	Text []byte
}

// Bytes returns the command as it goes on the wire.
func (c Command) Bytes() []byte {
	if c.Line == "" {
		return c.Text
	}
	return []byte(c.Line + "\r\n")
}

// Redacted returns the command line for a trace, with the SASL response
// of AUTH replaced, or a summary of the message text.
func (c Command) Redacted() string {
	switch {
	case c.Line == "":
		return fmt.Sprintf("(message text, %d octets)", len(c.Text))
	case len(c.Line) > 10 && strings.EqualFold(c.Line[:10], "AUTH PLAIN"):
		return "AUTH PLAIN ****"
	}
	return c.Line
}

// RcptResult is the outcome for one recipient.
type RcptResult struct {
	Rcpt  string
	Reply ServerReply
	// Stage names the command whose reply decided it: "greeting", "EHLO",
	// "AUTH", "MAIL", "RCPT", "DATA", "end of data", or "" when the
	// connection ended first.
	Stage string
}

// Delivered reports a 2yz reply to the message.
func (r RcptResult) Delivered() bool { return r.Reply.Code >= 200 && r.Reply.Code < 300 }

// Permanent reports a 5yz reply: the message will never be accepted as it
// is, and the sender should be told (RFC 5321 §4.2.1).
func (r RcptResult) Permanent() bool { return r.Reply.Code >= 500 }

// Temporary reports a 4yz reply or no reply: try again later.
func (r RcptResult) Temporary() bool { return !r.Delivered() && !r.Permanent() }

// Done reports that the transaction is over: every recipient has a result
// and QUIT has been answered, or the server closed the dialogue.
func (d *Delivery) Done() bool { return d.step == stepDone }

// Results returns one result per recipient, in the order of To. Before
// Done, undecided recipients have Code 0.
func (d *Delivery) Results() []RcptResult {
	d.init()
	return append([]RcptResult(nil), d.results...)
}

func (d *Delivery) init() {
	if d.results != nil || len(d.To) == 0 {
		return
	}
	d.results = make([]RcptResult, len(d.To))
	d.decided = make([]bool, len(d.To))
	for i, to := range d.To {
		d.results[i].Rcpt = to
	}
}

// Feed takes bytes from the server and returns the complete replies among
// them and the commands to send in answer, in order. Feeding a Done
// Delivery returns nothing.
func (d *Delivery) Feed(p []byte) (replies []ServerReply, send []Command) {
	d.init()
	d.in = append(d.in, p...)
	for d.step != stepDone {
		r, ok, err := d.nextReply()
		if err != nil {
			// Not SMTP: decide the rest as if the connection ended and
			// say goodbye.
			d.End()
			return replies, append(send, Command{Line: "QUIT"})
		}
		if !ok {
			break
		}
		replies = append(replies, r)
		send = append(send, d.handle(r)...)
	}
	return replies, send
}

// End tells the Delivery the connection ended (or never opened, or timed
// out): every undecided recipient keeps Code 0, a temporary failure.
func (d *Delivery) End() {
	d.init()
	d.step = stepDone
}

// nextReply takes one complete reply off the input (RFC 5321 §4.2.1:
// "ddd-" on every line but the last, "ddd " or "ddd" on the last).
func (d *Delivery) nextReply() (ServerReply, bool, error) {
	for {
		i := bytes.IndexByte(d.in, '\n')
		if i < 0 {
			return ServerReply{}, false, nil
		}
		line := string(bytes.TrimRight(d.in[:i], "\r"))
		d.in = d.in[i+1:]
		if len(line) < 3 {
			return ServerReply{}, false, ProtocolError("short reply " + strconv.Quote(line))
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil || code < 200 || code > 599 {
			return ServerReply{}, false, ProtocolError("bad reply code " + strconv.Quote(line))
		}
		last := len(line) == 3 || line[3] == ' '
		if !last && line[3] != '-' {
			return ServerReply{}, false, ProtocolError("bad reply separator " + strconv.Quote(line))
		}
		text := ""
		if len(line) > 4 {
			text = line[4:]
		}
		d.lines = append(d.lines, text)
		if !last {
			continue
		}
		r := ServerReply{Code: code, Lines: d.lines}
		d.lines = nil
		if enh, _, _ := strings.Cut(r.Lines[0], " "); isEnhanced(enh) && enh[0] == byte('0'+code/100) {
			r.Enhanced = enh
		}
		return r, true, nil
	}
}

// handle acts on one reply and returns what to send next.
func (d *Delivery) handle(r ServerReply) []Command {
	if r.Code == 421 && d.step != stepQuit {
		// The server is shutting the channel (RFC 5321 §3.8): everything
		// undecided fails temporarily with this reply.
		d.decideAll(r, d.stage())
		d.step = stepDone
		return nil
	}
	switch d.step {
	case stepGreeting:
		if r.Code != 220 {
			return d.fail(r, "greeting")
		}
		d.step = stepEHLO
		return []Command{{Line: "EHLO " + d.Hello}}
	case stepEHLO:
		if r.Code == 500 || r.Code == 502 {
			// An old server: HELO instead (RFC 5321 §3.2).
			d.step = stepHELO
			return []Command{{Line: "HELO " + d.Hello}}
		}
		if r.Code != 250 {
			return d.fail(r, "EHLO")
		}
		return d.afterHello()
	case stepHELO:
		if r.Code != 250 {
			return d.fail(r, "EHLO")
		}
		return d.afterHello()
	case stepAuth:
		if r.Code != 235 {
			return d.fail(r, "AUTH")
		}
		return d.mail()
	case stepMail:
		if r.Code != 250 {
			return d.fail(r, "MAIL")
		}
		d.rcpt = 0
		d.step = stepRcpt
		return []Command{{Line: "RCPT TO:<" + d.To[0] + ">"}}
	case stepRcpt:
		if r.Code != 250 && r.Code != 251 {
			d.decide(d.rcpt, r, "RCPT")
		}
		d.rcpt++
		if d.rcpt < len(d.To) {
			return []Command{{Line: "RCPT TO:<" + d.To[d.rcpt] + ">"}}
		}
		for _, done := range d.decided {
			if !done {
				d.step = stepData
				return []Command{{Line: "DATA"}}
			}
		}
		// Nobody accepted: no DATA (RFC 5321 §3.3).
		return d.quit()
	case stepData:
		if r.Code != 354 {
			return d.fail(r, "DATA")
		}
		d.step = stepBody
		return []Command{{Text: DotStuff(d.Msg)}}
	case stepBody:
		d.decideAll(r, "end of data")
		return d.quit()
	case stepQuit:
		d.step = stepDone
	}
	return nil
}

func (d *Delivery) afterHello() []Command {
	if d.AuthUser != "" {
		d.step = stepAuth
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + d.AuthUser + "\x00" + d.AuthPass))
		return []Command{{Line: "AUTH PLAIN " + ir}}
	}
	return d.mail()
}

func (d *Delivery) mail() []Command {
	if len(d.To) == 0 {
		return d.quit()
	}
	d.step = stepMail
	return []Command{{Line: "MAIL FROM:<" + d.From + ">"}}
}

// fail decides every recipient with a reply that ends the transaction.
func (d *Delivery) fail(r ServerReply, stage string) []Command {
	d.decideAll(r, stage)
	return d.quit()
}

func (d *Delivery) quit() []Command {
	d.step = stepQuit
	return []Command{{Line: "QUIT"}}
}

func (d *Delivery) decide(i int, r ServerReply, stage string) {
	if d.decided[i] {
		return
	}
	d.decided[i] = true
	d.results[i].Reply = r
	d.results[i].Stage = stage
}

func (d *Delivery) decideAll(r ServerReply, stage string) {
	for i := range d.results {
		d.decide(i, r, stage)
	}
}

// stage names the step a reply now would answer.
func (d *Delivery) stage() string {
	switch d.step {
	case stepGreeting:
		return "greeting"
	case stepEHLO, stepHELO:
		return "EHLO"
	case stepAuth:
		return "AUTH"
	case stepMail:
		return "MAIL"
	case stepRcpt:
		return "RCPT"
	case stepData:
		return "DATA"
	}
	return "end of data"
}
