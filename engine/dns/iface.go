package dns

import (
	"net/netip"
	"time"

	mdns "github.com/miekg/dns"
)

// Request is a DNS message as a server receives it.
type Request struct {
	Msg *mdns.Msg
	// Wire is the message as it arrived, for traces and size checks.
	Wire     []byte
	From, To netip.AddrPort
	// TCP says the request came over a stream (RFC 7766), where answers
	// are not truncated to the UDP payload size.
	TCP bool
}

// ResponseWriter sends the answer to a Request. WriteMsg may be called once,
// at once or later: a server in recursive mode first asks the next server
// itself. A handler that never calls it leaves the request unanswered, which
// the client sees as a timeout.
type ResponseWriter interface {
	WriteMsg(m *mdns.Msg) error
}

// Handler answers DNS requests, the shape of miekg/dns's Handler without
// its sockets.
type Handler interface {
	ServeDNS(w ResponseWriter, r *Request)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(w ResponseWriter, r *Request)

// ServeDNS calls f(w, r).
func (f HandlerFunc) ServeDNS(w ResponseWriter, r *Request) { f(w, r) }

// Exchanger sends a query to a server and reports the outcome once: the
// response, or an error such as a timeout. done may run before Exchange
// returns or later, from the goroutine that advances the virtual clock.
// Implementations set nothing on q but what the transport needs; callers
// give it an ID from IDs.
type Exchanger interface {
	Exchange(to netip.AddrPort, q *mdns.Msg, done func(resp *mdns.Msg, err error))
}

// TraceKind names what a TraceEvent records.
type TraceKind string

// The kinds of trace event.
const (
	TraceQuery     TraceKind = "query"     // a message sent to a server
	TraceResponse  TraceKind = "response"  // a response received
	TraceTimeout   TraceKind = "timeout"   // no response in time
	TraceCacheHit  TraceKind = "cache-hit" // answered from the cache
	TraceCacheMiss TraceKind = "cache-miss"
	TraceCacheAdd  TraceKind = "cache-insert"
	TraceExpire    TraceKind = "cache-expire"
	TraceNote      TraceKind = "note" // a decision worth showing (limit hit, record dropped, ...)
)

// TraceEvent is one step of a lookup, for the playground's sequence
// diagram, the CLI's --trace and tests.
type TraceEvent struct {
	Kind TraceKind
	Time time.Time
	// From and To are set for messages; the names are the world's host
	// names when known.
	From, To         netip.AddrPort
	FromName, ToName string
	// Question is "name TYPE" of the message or cache entry.
	Question string
	// Summary is a one-line account: rcode and sections for responses,
	// the record for cache events, the reason for notes.
	Summary string
	// Wire holds the packed message for query and response events.
	Wire []byte
}
