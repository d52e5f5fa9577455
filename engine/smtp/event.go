package smtp

// EventKind says what happened in a session.
type EventKind int

// The kinds of events.
const (
	EventState      EventKind = iota + 1 // the session changed state
	EventAuth                            // a login succeeded
	EventAuthFailed                      // a login failed
	EventDelivered                       // a message was delivered or relayed
	EventRefused                         // a recipient or message was refused
)

// Event is one thing a session did, for traces and the playground.
type Event struct {
	Kind    EventKind
	Session uint64
	User    string
	From    State // for EventState: the previous state
	State   State
	Detail  string
}
