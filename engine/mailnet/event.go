package mailnet

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/wirelab/wirelab/engine/dns"
)

// EventKind says what an Event records.
type EventKind string

// The kinds of event.
const (
	// EventDNS is a DNS message or resolver step (DNS holds it): a mail
	// server's stub asking its local DNS server, and everything that server
	// does to answer, root, TLD and authoritative queries included.
	EventDNS EventKind = "dns"
	// EventConnect is an SMTP client's connection being opened; Text says
	// to which exchanger and why.
	EventConnect EventKind = "connect"
	// EventUnreachable is a connection that failed: refused, no host at
	// the address, or a timeout on the virtual clock.
	EventUnreachable EventKind = "unreachable"
	// EventCommand is an SMTP command line as the client sends it (AUTH
	// redacted, message text summarised), stamped with its send time.
	EventCommand EventKind = "command"
	// EventReply is an SMTP reply as the client receives it, one event per
	// reply, its lines in Text joined by "\n".
	EventReply EventKind = "reply"
	// EventServer is what a server did with a message: delivered into a
	// mailbox, accepted for relay, refused.
	EventServer EventKind = "server"
	// EventQueue is a queue decision: a message queued, an exchanger list
	// chosen, a recipient delivered, deferred until a retry, or returned.
	EventQueue EventKind = "queue"
	// EventBounce is a delivery status notification sent to a sender.
	EventBounce EventKind = "bounce"
	// EventServerDown and EventServerUp record Server.Down and Server.Up.
	EventServerDown EventKind = "down"
	EventServerUp   EventKind = "up"
)

// Event is one step of a mail journey, for the playground's drawing, traces
// and tests.
type Event struct {
	Kind EventKind
	// Time is the virtual time it happened.
	Time time.Time
	// From and To name the hosts involved, when there are two (a message
	// on the wire goes From -> To); From alone names the host that acted.
	From, To         string
	FromAddr, ToAddr netip.AddrPort
	// Text is the command, the reply line, or an account of the decision.
	Text string
	// QueueID names the queued message the event belongs to, if any.
	QueueID string
	// DNS is the DNS lab's event, for EventDNS.
	DNS *dns.TraceEvent
}

// String formats e as one trace line; the lines of a multiline reply are
// separated by " | ".
func (e Event) String() string {
	hosts := e.From
	if e.To != "" {
		hosts += " -> " + e.To
	}
	id := ""
	if e.QueueID != "" {
		id = " [" + e.QueueID + "]"
	}
	return fmt.Sprintf("%s %-7s %s%s: %s", e.Time.Format("15:04:05.000"), e.Kind, hosts, id, strings.ReplaceAll(e.Text, "\n", " | "))
}

// dnsText is the one-line account of a DNS event.
func dnsText(e dns.TraceEvent) string {
	if e.Summary == "" {
		return fmt.Sprintf("%s %s", e.Kind, e.Question)
	}
	return fmt.Sprintf("%s %s: %s", e.Kind, e.Question, e.Summary)
}
