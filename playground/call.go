package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// method is one entry of the JSON API.
type method struct {
	// mutates says the call may change what a snapshot holds, so the
	// browser should persist afterwards.
	mutates bool
	run     func(l *Lab, params []byte) (any, error)
}

// handler adapts a typed method to the JSON table: params decode into Req
// (unknown fields are an error, to catch typos in the site's code).
func handler[Req, Resp any](mutates bool, f func(*Lab, Req) (Resp, error)) method {
	return method{mutates: mutates, run: func(l *Lab, params []byte) (any, error) {
		var req Req
		if p := bytes.TrimSpace(params); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
			dec := json.NewDecoder(bytes.NewReader(p))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				return nil, fmt.Errorf("playground: parameters: %w", err)
			}
		}
		return f(l, req)
	}}
}

// none is the parameters of calls that take none.
type none struct{}

func noError[Resp any](f func(*Lab) Resp) func(*Lab, none) (Resp, error) {
	return func(l *Lab, _ none) (Resp, error) { return f(l), nil }
}

var methods = map[string]method{
	"world":          handler(false, noError((*Lab).World)),
	"source":         handler(false, noError((*Lab).Source)),
	"reset":          handler(true, func(l *Lab, _ none) (*WorldInfo, error) { return l.Reset() }),
	"load":           handler(true, (*Lab).Load),
	"openSession":    handler(true, (*Lab).OpenSession),
	"feed":           handler(true, (*Lab).Feed),
	"closeSession":   handler(true, (*Lab).CloseSession),
	"state":          handler(false, func(l *Lab, _ none) (*State, error) { return l.State() }),
	"resolve":        handler(true, (*Lab).Resolve),
	"cache":          handler(false, (*Lab).Cache),
	"servers":        handler(false, func(l *Lab, _ none) (*ServersResult, error) { return l.Servers() }),
	"zones":          handler(false, (*Lab).Zones),
	"updateRecord":   handler(true, (*Lab).UpdateRecord),
	"switches":       handler(true, (*Lab).Switches),
	"flushCache":     handler(true, (*Lab).FlushCache),
	"now":            handler(false, noError((*Lab).Now)),
	"advance":        handler(true, (*Lab).Advance),
	"runUntilIdle":   handler(true, func(l *Lab, r RunRequest) (*StepResult, error) { return l.RunUntilIdle(r), nil }),
	"runConformance": handler(false, (*Lab).RunConformance),
	// The journey lab (journey.go).
	"mailServers":   handler(false, func(l *Lab, _ none) (*MailServersResult, error) { return l.MailServers() }),
	"setServerDown": handler(false, (*Lab).SetServerDown),
	"journeySend":   handler(false, (*Lab).JourneySend),
	"journeyRun":    handler(false, (*Lab).JourneyRun),
	"journeyEvents": handler(false, (*Lab).JourneyEvents),
}

// Methods lists the API's method names, sorted.
func Methods() []string {
	out := make([]string, 0, len(methods))
	for name := range methods {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// errorResult is what every failed call returns.
type errorResult struct {
	Error string `json:"error"`
}

// Call runs one API method with JSON parameters and returns its JSON
// result, or {"error": "..."}. It never panics: a panic in the engine is
// reported as an error. mutated says the call may have changed what
// Snapshot returns; the browser then persists.
func (l *Lab) Call(name string, params []byte) (result []byte, mutated bool) {
	m, ok := methods[name]
	if !ok {
		return errorJSON(fmt.Errorf("playground: no method %q", name)), false
	}
	res, err := l.safeRun(m, name, params)
	if err != nil {
		return errorJSON(err), m.mutates
	}
	// Protocol text is full of <, > and &; JSON.parse needs no HTML
	// escaping of them.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return errorJSON(fmt.Errorf("playground: %s: encode result: %w", name, err)), m.mutates
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), m.mutates
}

func (l *Lab) safeRun(m method, name string, params []byte) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			// Every method releases the lab's lock in a defer, so the
			// page can go on (and reset) after this.
			res, err = nil, fmt.Errorf("playground: %s: internal error: %v", name, p)
		}
	}()
	return m.run(l, params)
}

func errorJSON(err error) []byte {
	out, _ := json.Marshal(errorResult{Error: err.Error()})
	return out
}
