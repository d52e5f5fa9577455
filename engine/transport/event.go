package transport

import (
	"fmt"
	"net/netip"
	"time"
)

// EventKind says what happened to a datagram or stream.
type EventKind uint8

// A datagram gives one PacketSend when sent and, one link latency later,
// exactly one of PacketDeliver, PacketLoss, PacketNoHost or PacketNoListener.
// A stream gives StreamDial (or StreamRefuse) at the dialer, then StreamAccept
// (or StreamRefuse, if the listener closed meanwhile) when the connection
// reaches the listener. Each write gives StreamSend and later StreamDeliver,
// or StreamDrop if the receiving end has closed. Each end's Close gives
// StreamClose.
const (
	PacketSend EventKind = iota + 1
	PacketDeliver
	PacketLoss
	PacketNoHost
	PacketNoListener
	StreamDial
	StreamRefuse
	StreamAccept
	StreamSend
	StreamDeliver
	StreamDrop
	StreamClose
)

var kindNames = [...]string{
	PacketSend:       "PacketSend",
	PacketDeliver:    "PacketDeliver",
	PacketLoss:       "PacketLoss",
	PacketNoHost:     "PacketNoHost",
	PacketNoListener: "PacketNoListener",
	StreamDial:       "StreamDial",
	StreamRefuse:     "StreamRefuse",
	StreamAccept:     "StreamAccept",
	StreamSend:       "StreamSend",
	StreamDeliver:    "StreamDeliver",
	StreamDrop:       "StreamDrop",
	StreamClose:      "StreamClose",
}

func (k EventKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", k)
}

// Event is one thing the network did, for drawing and for tests.
type Event struct {
	Kind EventKind
	// Time is the virtual time it happened: for arrivals, the send time plus
	// the link latency.
	Time time.Time
	// ID numbers the datagram (shared by its send and its outcome) or the
	// stream connection (shared by all its events).
	ID uint64
	// From and To are the sender and destination. For stream events From is
	// the end that acted: the dialer, the writer or the closer.
	From, To netip.AddrPort
	// FromHost and ToHost name the hosts at From and To, "" if none.
	FromHost, ToHost string
	// Payload is a copy of the datagram or the written bytes.
	Payload []byte
}

// String formats e as one trace line.
func (e Event) String() string {
	return fmt.Sprintf("%s %s #%d %s %v -> %s %v (%d bytes)",
		e.Time.Format("15:04:05.000000"), e.Kind, e.ID,
		orDash(e.FromHost), e.From, orDash(e.ToHost), e.To, len(e.Payload))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
