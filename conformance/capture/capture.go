// Package capture turns captured sessions into conformance transcripts, so
// that a real client's session can be replayed against wirelab's engine or
// any live server, and kept as a new conformance case.
//
// Three kinds of capture are read, none of them through a socket:
//
//   - pcap and pcapng files as tcpdump, tshark and Wireshark write them.
//     Each TCP connection is reassembled from its segments (out-of-order and
//     retransmitted segments allowed; RFC 9293 §3.4 sequence numbers) and
//     becomes one session; DNS messages over UDP, and over TCP with their
//     two-octet length prefix (RFC 1035 §4.2.2), are paired by ID.
//   - plain-text logs of "C:" and "S:" lines, the notation of the RFCs'
//     examples.
//   - Dovecot's rawlog pairs, FILE.in (what the client sent) and FILE.out
//     (what the server sent), with or without per-line timestamps.
//
// POP3, IMAP and DNS are recognised by port (110, 143, 53 and wirelab's
// own 1110, 1143, 1053), else by the server's greeting, unless Options say
// which. [Session.Transcript] writes a session as a txtar transcript with
// placeholders for what differs from one server run to the next, which the
// conformance runner replays; each step keeps its place in the capture.
package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	mdns "github.com/miekg/dns"
)

// Options say how to read a capture.
type Options struct {
	// Protocol is pop3, imap or dns: every TCP connection (and, for dns,
	// every UDP datagram) in a packet capture is taken as that protocol,
	// whatever its ports. Empty: recognise sessions by port, and logs by
	// their greeting.
	Protocol string
}

// Place locates a line or message in its capture: a packet number (1 for
// the first packet, as Wireshark numbers frames) or a line of a log.
type Place struct {
	File   string
	Packet int
	Line   int
}

func (p Place) String() string {
	switch {
	case p.Packet > 0:
		return fmt.Sprintf("%s: packet %d", p.File, p.Packet)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Line is one line of a POP3 or IMAP session, without its CRLF.
type Line struct {
	Dir   byte // 'C' client, 'S' server
	Text  string
	Place Place
}

// Exchange is one DNS query and the response to it, if one was captured.
type Exchange struct {
	Query, Response           *mdns.Msg
	QueryPlace, ResponsePlace Place
}

// Session is one captured conversation.
type Session struct {
	File     string
	Protocol string
	// Name says which conversation of the file: "127.0.0.1:40312 >
	// 127.0.0.1:1110" for a TCP connection, "" for a log.
	Name string
	// Lines is a POP3 or IMAP session in the order it happened.
	Lines []Line
	// Exchanges are a DNS session's queries and responses.
	Exchanges []Exchange
	// Notes are things the reader could not keep, for the transcript's
	// description: data after STARTTLS, a lost segment.
	Notes []string
}

// Error locates a problem in a capture.
type Error struct {
	Place Place
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("capture: %s: %v", e.Place, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// ErrNoSession is returned when a capture holds no POP3, IMAP or DNS
// session.
var ErrNoSession = errors.New("no POP3, IMAP or DNS session found")

// Protocols a capture may hold; the same names as the conformance package's.
const (
	POP3 = "pop3"
	IMAP = "imap"
	DNS  = "dns"
)

// wellKnown maps server ports to protocols: the IANA ports and the
// defaults of wirelab serve.
var wellKnown = map[uint16]string{
	110: POP3, 1110: POP3,
	143: IMAP, 1143: IMAP,
	53: DNS, 1053: DNS,
}

func checkProtocol(p string) error {
	switch p {
	case "", POP3, IMAP, DNS:
		return nil
	}
	return fmt.Errorf("capture: unknown protocol %q (want pop3, imap or dns)", p)
}

// File magic numbers: pcap in both byte orders, with microsecond or
// nanosecond timestamps, and pcapng's Section Header Block type.
var (
	pcapMagics = [][]byte{
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
		{0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
	}
	pcapngMagic = []byte{0x0a, 0x0d, 0x0d, 0x0a}
)

// ReadFile reads a capture of any kind: a pcap or pcapng file (known by its
// first bytes), a Dovecot rawlog (a path ending in .in or .out, or naming
// the pair without the suffix), or a log of C: and S: lines.
func ReadFile(path string, opt Options) ([]*Session, error) {
	if err := checkProtocol(opt.Protocol); err != nil {
		return nil, err
	}
	base, isRawlog := rawlogBase(path)
	if isRawlog {
		s, err := readRawlogFiles(base, opt)
		if err != nil {
			return nil, err
		}
		return []*Session{s}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	return Read(path, f, opt)
}

// Read reads a pcap, pcapng or C:/S: capture from r; file names it in
// places and errors. Rawlogs come in two files: see ReadRawlog.
func Read(file string, r io.Reader, opt Options) ([]*Session, error) {
	if err := checkProtocol(opt.Protocol); err != nil {
		return nil, err
	}
	br := bufio.NewReader(r)
	head, _ := br.Peek(4)
	if bytes.Equal(head, pcapngMagic) || isPcap(head) {
		return ReadPackets(file, br, opt)
	}
	s, err := ReadText(file, br, opt)
	if err != nil {
		return nil, err
	}
	return []*Session{s}, nil
}

func isPcap(head []byte) bool {
	for _, m := range pcapMagics {
		if bytes.Equal(head, m) {
			return true
		}
	}
	return false
}

// rawlogBase reports whether path names a rawlog pair: FILE.in, FILE.out,
// or FILE where FILE.in and FILE.out both exist.
func rawlogBase(path string) (string, bool) {
	for _, suffix := range []string{".in", ".out"} {
		if base, ok := strings.CutSuffix(path, suffix); ok {
			return base, true
		}
	}
	_, errIn := os.Stat(path + ".in")
	_, errOut := os.Stat(path + ".out")
	if errIn == nil && errOut == nil {
		if _, err := os.Stat(path); err != nil {
			return path, true
		}
	}
	return "", false
}

func readRawlogFiles(base string, opt Options) (*Session, error) {
	in, err := os.Open(base + ".in")
	if err != nil {
		return nil, fmt.Errorf("capture: rawlog: %w", err)
	}
	defer in.Close()
	out, err := os.Open(base + ".out")
	if err != nil {
		return nil, fmt.Errorf("capture: rawlog: %w", err)
	}
	defer out.Close()
	return ReadRawlog(base, in, out, opt)
}
