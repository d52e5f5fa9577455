package playground

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/world"
)

// Hostname is the server name in greetings and in the store's file names.
const Hostname = "wirelab.example"

// labSeed seeds DNS message IDs, as the CLI's resolve does, so that a trace
// in the playground matches "wirelab resolve --trace" byte for byte.
const labSeed = 1

// ErrNoDNS is returned by the DNS calls when the world has no dns/ part.
var ErrNoDNS = errors.New("playground: the world has no DNS (no dns/ files)")

// Lab is one learner's world: mail store, DNS hierarchy, virtual clock and
// open sessions. Its methods are safe for concurrent use; each runs to its
// end under one lock, and only they move the virtual clock, so every timer
// callback runs inside some call.
type Lab struct {
	mu sync.Mutex
	e  *env
}

// env is everything one loaded world holds. Load and Reset build a new one
// and swap it in only when it built, so a broken world leaves the old one
// running.
type env struct {
	custom []byte // the world's txtar source, nil for the demo world
	w      *world.World
	clk    *clock.Virtual
	fs     *mem.FS
	store  *mailstore.Store
	dns    *lab.Lab // nil when the world has no dns/
	pop3   *pop3.Config
	imap   *imap.Config

	sessions map[int]*session
	nextID   int
	edits    []UpdateRequest // zone edits that succeeded, replayed on Restore
	// mail is the journey lab's mail network, built on the first journey
	// call (journey.go); a new env (reset, load) starts without one.
	mail *journey

	// What happened during the current call: session and store events,
	// and every DNS message and cache event. begin empties them.
	events []Event
	trace  []dns.TraceEvent
	// callStart is the virtual time the current call began, the origin of
	// trace offsets.
	callStart time.Time

	summaries map[msgKey]msgSummary
	// pristine: the demo world, untouched since it was loaded; there is
	// nothing to persist.
	pristine bool
}

// New returns a lab holding the demo world.
func New() (*Lab, error) {
	e, err := build(nil, time.Time{}, nil)
	if err != nil {
		return nil, err
	}
	e.pristine = true
	return &Lab{e: e}, nil
}

// mailImage is the content of a restored store: files and directories with
// their modification times (a message's is its INTERNALDATE).
type mailImage struct {
	files  map[string][]byte
	dirs   []string
	mtimes map[string]time.Time
}

// build loads a world (custom txtar, or the demo when nil) with its DNS lab
// and a store filled from img (if any) and then from the world for users
// img does not have.
func build(custom []byte, start time.Time, img *mailImage) (*env, error) {
	var w *world.World
	if custom == nil {
		w = world.Demo()
	} else {
		var err error
		if w, err = world.Parse("world.txtar", custom); err != nil {
			return nil, err
		}
	}
	e := &env{custom: custom, w: w, sessions: map[int]*session{}, summaries: map[msgKey]msgSummary{}}
	l, err := lab.Build(w, lab.Options{Seed: labSeed, Start: start, OnTrace: e.onTrace})
	switch {
	case errors.Is(err, lab.ErrNoDNS):
		e.clk = clock.NewVirtual(start)
	case err != nil:
		return nil, err
	default:
		e.dns = l
		e.clk = l.Clock
		// Every message is reported twice to Options.OnTrace: by the
		// resolver that sends it and by the network client carrying it.
		// The clients' events have the bytes as they went on the wire and
		// cover every server's messages (recursion, UPDATE, NOTIFY), so
		// messages are taken from them, and only cache events and notes
		// from the resolvers.
		for _, s := range l.Servers() {
			s.Client.OnTrace = e.onWire
		}
		for _, h := range l.Hosts() {
			h.Client.OnTrace = e.onWire
		}
	}
	if e.fs, err = mem.NewFS(); err != nil {
		return nil, fmt.Errorf("playground: store: %w", err)
	}
	if img != nil {
		if err := img.writeTo(e.fs); err != nil {
			return nil, err
		}
	}
	e.store = mailstore.New(e.fs, mailstore.Options{Clock: e.clk, Hostname: Hostname})
	if _, err := w.Populate(e.store); err != nil {
		return nil, err
	}
	e.store.WatchAll(e.onChange)
	e.pop3 = &pop3.Config{Store: e.store, Users: w.Users, Hostname: Hostname, OnEvent: e.onPOP3}
	e.imap = &imap.Config{Store: e.store, Users: w.Users, Hostname: Hostname, OnEvent: e.onIMAP}
	e.trace = nil
	return e, nil
}

// lock takes the lab's lock and starts a call: the events and trace of the
// previous call are dropped.
func (l *Lab) lock() *env {
	l.mu.Lock()
	e := l.e
	e.events, e.trace = nil, nil
	e.callStart = e.clk.Now()
	return e
}

// onTrace sees the resolvers' events; their messages come from onWire.
func (e *env) onTrace(ev dns.TraceEvent) {
	switch ev.Kind {
	case dns.TraceQuery, dns.TraceResponse, dns.TraceTimeout:
		return
	}
	e.trace = append(e.trace, ev)
}

// onWire sees the network clients' events: every message sent and
// received, and timeouts.
func (e *env) onWire(ev dns.TraceEvent) { e.trace = append(e.trace, ev) }

// close ends every session of a world being replaced, as dropped
// connections: no POP3 deletion is committed (RFC 1939 §6).
func (e *env) close() {
	for _, id := range e.sessionIDs() {
		e.sessions[id].abort()
	}
}

func (e *env) sessionIDs() []int {
	ids := make([]int, 0, len(e.sessions))
	for id := range e.sessions {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// WorldInfo describes the loaded world.
type WorldInfo struct {
	Demo        bool   `json:"demo"`
	Description string `json:"description"`
	// Users are the world's users; Logins those whose passwords the world
	// gives in clear (hashed ones stay private).
	Users  []string `json:"users"`
	Logins []Login  `json:"logins"`
	// DNS is false for a world without dns/ files; the DNS calls then fail.
	DNS     bool       `json:"dns"`
	Hosts   []HostInfo `json:"hosts"`
	Servers []string   `json:"servers"`
	Zones   []string   `json:"zones"`
	Time    string     `json:"time"`
}

// Login is a user and password to offer the learner.
type Login struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// HostInfo is a client machine of the DNS world.
type HostInfo struct {
	Name     string `json:"name"`
	Addr     string `json:"addr"`
	Resolver string `json:"resolver"`
}

func (e *env) info() *WorldInfo {
	wi := &WorldInfo{Demo: e.custom == nil, Description: e.w.Description, Users: e.w.Users.Names(),
		Logins: []Login{}, Hosts: []HostInfo{}, Servers: []string{}, Zones: []string{}, Time: timeString(e.clk.Now())}
	for _, name := range wi.Users {
		if p, ok := e.w.Users.Lookup(name); ok {
			if plain, ok := p.Plain(); ok {
				wi.Logins = append(wi.Logins, Login{name, plain})
			}
		}
	}
	if e.dns != nil {
		wi.DNS = true
		for _, h := range e.dns.Hosts() {
			wi.Hosts = append(wi.Hosts, HostInfo{h.Spec.Name, h.Spec.Addr.String(), trimDot(h.Spec.Resolver)})
		}
		for _, s := range e.dns.Servers() {
			wi.Servers = append(wi.Servers, trimDot(s.Spec.Name))
		}
		for z := range e.dns.Spec.Zones {
			wi.Zones = append(wi.Zones, z)
		}
		sort.Strings(wi.Zones)
	}
	return wi
}

// World describes the loaded world.
func (l *Lab) World() *WorldInfo {
	e := l.lock()
	defer l.mu.Unlock()
	return e.info()
}

// WorldSource is the loaded world's txtar text.
type WorldSource struct {
	Demo bool   `json:"demo"`
	Text string `json:"text"`
}

// Source returns the loaded world's txtar text, for the learner to read
// and edit.
func (l *Lab) Source() *WorldSource {
	e := l.lock()
	defer l.mu.Unlock()
	if e.custom == nil {
		return &WorldSource{Demo: true, Text: string(world.DemoArchive())}
	}
	return &WorldSource{Text: string(e.custom)}
}

// Reset ends every session and restores the demo world as it ships: its
// mail, its zones and a clock at clock.Epoch.
func (l *Lab) Reset() (*WorldInfo, error) {
	e, err := build(nil, time.Time{}, nil)
	if err != nil {
		return nil, err
	}
	e.pristine = true
	return l.swap(e), nil
}

// LoadRequest gives a world as txtar text (the format of the demo world,
// see package world).
type LoadRequest struct {
	World string `json:"world"`
}

// Load ends every session and replaces the world with the one given. A
// world that does not load leaves the current one in place.
func (l *Lab) Load(req LoadRequest) (*WorldInfo, error) {
	if strings.TrimSpace(req.World) == "" {
		return nil, errors.New("playground: load: no world text")
	}
	e, err := build([]byte(req.World), time.Time{}, nil)
	if err != nil {
		return nil, err
	}
	return l.swap(e), nil
}

func (l *Lab) swap(e *env) *WorldInfo {
	old := l.lock()
	defer l.mu.Unlock()
	old.close()
	l.e = e
	e.callStart = e.clk.Now()
	return e.info()
}

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func trimDot(name string) string { return strings.TrimSuffix(name, ".") }
