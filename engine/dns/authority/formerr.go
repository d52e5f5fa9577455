package authority

import (
	"encoding/binary"

	mdns "github.com/miekg/dns"
)

// Header bits (RFC 1035 §4.1.1).
const (
	flagQR     = 1 << 15
	opcodeMask = 0xf << 11
	flagRD     = 1 << 8
)

// FormErr builds the answer to a message that failed to unpack: a bare
// header with the request's ID, opcode and RD bit, QR set, RCODE FORMERR and
// every section empty (RFC 1035 §4.1.1: "the name server was unable to
// interpret the query"). It returns nil, meaning no answer, when wire is
// shorter than a header, since there is no ID to answer to, and when wire
// has QR set, since a response is never answered. The binding of the server
// to the network calls it for datagrams it cannot parse.
func FormErr(wire []byte) []byte {
	if len(wire) < headerSize {
		return nil
	}
	flags := binary.BigEndian.Uint16(wire[2:4])
	if flags&flagQR != 0 {
		return nil
	}
	out := make([]byte, headerSize)
	copy(out[:2], wire[:2])
	binary.BigEndian.PutUint16(out[2:4], flagQR|flags&(opcodeMask|flagRD)|mdns.RcodeFormatError)
	return out
}
