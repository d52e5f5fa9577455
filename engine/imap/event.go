package imap

// EventKind says what an Event reports.
type EventKind string

// The kinds of session event.
const (
	EventState       EventKind = "state"
	EventCommand     EventKind = "command"
	EventLoginFailed EventKind = "login-failed"
	EventServerError EventKind = "server-error"
)

// Event is something a session did, for the playground, logs and tests.
type Event struct {
	Session uint64
	User    string
	Kind    EventKind
	From    State
	State   State
	Command string
	Tag     string
	Detail  string
}
