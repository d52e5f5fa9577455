package pop3

// EventKind says what an Event reports.
type EventKind string

// The kinds of session event.
const (
	EventState         EventKind = "state"
	EventLoginFailed   EventKind = "login-failed"
	EventRetrieved     EventKind = "retrieved"
	EventMarkedDeleted EventKind = "marked-deleted"
	EventUnmarked      EventKind = "unmarked"
	EventUpdated       EventKind = "updated"
)

// Event is something a session did that an observer (the playground's state
// panel, the CLI's --trace, a test) may want to show.
type Event struct {
	Session uint64
	User    string
	Kind    EventKind
	// From and State are the old and new states of an EventState; State is
	// the current state for other kinds.
	From  State
	State State
	// Msg is the message number an event is about.
	Msg    int
	Detail string
}
