//go:build js && wasm

// Command wasm is wirelab's engine for the browser playground: it puts one
// object, wirelab, on the JavaScript global object, whose functions are
// the methods of package playground (see playground/API.md). Each takes its
// parameters as a JSON string or a plain object and returns a JSON string:
// the result, or {"error": "..."}. Nothing a call does can throw into
// JavaScript.
//
//	await wirelab.ready                  // resolves once the saved world is loaded
//	JSON.parse(wirelab.resolve('{"name":"www.example.com"}'))
//	JSON.parse(wirelab.feed({session: 1, data: "USER alice\r\n"}))
//	await wirelab.flush()                // the latest state is in IndexedDB
//
// The learner's world (mail store, zone edits, loaded world) is kept in
// IndexedDB through hackpadfs's indexeddb file system, so that it survives
// a reload; "reset" restores the demo world and clears it. IndexedDB
// answers through the browser's event loop, which is blocked while a Go
// function called from JavaScript runs, so the exported functions never
// touch it: they work on the in-memory lab and only signal a goroutine,
// which takes a snapshot and writes what changed once the call has
// returned.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"syscall/js"

	"github.com/hack-pad/hackpadfs/indexeddb"

	"github.com/wirelab/wirelab/playground"
)

const (
	// dbName is the IndexedDB database; mirrorDir the directory in it
	// that holds the snapshot.
	dbName    = "wirelab-playground"
	mirrorDir = "lab"
)

// readyInfo is what wirelab.ready resolves to (as a JSON string).
type readyInfo struct {
	// Persistent says the world is kept in IndexedDB.
	Persistent bool `json:"persistent"`
	// Restored says a saved world was loaded; false means the demo world.
	Restored bool `json:"restored"`
	// Error says why the world is not persistent, or why the saved one
	// could not be loaded (the demo world runs instead).
	Error string `json:"error,omitempty"`
}

func main() {
	api := js.Global().Get("Object").New()
	js.Global().Set("wirelab", api)
	var resolveReady js.Value
	ready := js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolveReady = args[0]
		return nil
	}))
	api.Set("ready", ready)

	lab, err := playground.New()
	if err != nil {
		resolveReady.Invoke(toJSON(readyInfo{Error: err.Error()}))
		select {}
	}
	p := &persister{lab: lab, kick: make(chan struct{}, 1), flush: make(chan chan struct{})}
	var started atomic.Bool

	methods := js.Global().Get("Array").New()
	for _, name := range playground.Methods() {
		methods.Call("push", name)
		api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) (result any) {
			defer func() {
				if r := recover(); r != nil {
					result = errorJSON(fmt.Errorf("wirelab: %s: internal error: %v", name, r))
				}
			}()
			if !started.Load() {
				return errorJSON(fmt.Errorf("wirelab: not ready yet: await wirelab.ready"))
			}
			params, err := paramsOf(args)
			if err != nil {
				return errorJSON(err)
			}
			out, mutated := lab.Call(name, params)
			if mutated {
				p.schedule()
			}
			return string(out)
		}))
	}
	api.Set("methods", methods)
	api.Set("flush", js.FuncOf(func(js.Value, []js.Value) any { return p.flushPromise() }))

	// Loading the saved world waits on IndexedDB, so it runs here, on a
	// goroutine, with the event loop free; calls are refused until it is
	// done.
	go func() {
		info := p.start(context.Background())
		go p.run()
		started.Store(true)
		resolveReady.Invoke(toJSON(info))
	}()
	select {}
}

// persister writes snapshots of the lab to IndexedDB, one at a time, after
// the calls that changed something.
type persister struct {
	lab    *playground.Lab
	mirror *playground.Mirror // nil when IndexedDB is not available
	kick   chan struct{}
	flush  chan chan struct{}
}

// start opens IndexedDB and loads the saved world into the lab.
func (p *persister) start(ctx context.Context) readyInfo {
	fsys, err := openIndexedDB(ctx)
	if err != nil {
		return readyInfo{Error: "IndexedDB is not available, the world lasts until the page is closed: " + err.Error()}
	}
	p.mirror = &playground.Mirror{FS: fsys, Dir: mirrorDir}
	info := readyInfo{Persistent: true}
	files, err := p.mirror.Load()
	if err != nil {
		info.Error = "the saved world could not be read, the demo world runs: " + err.Error()
		return info
	}
	if len(files) > 0 {
		if err := p.lab.Restore(files); err != nil {
			info.Error = "the saved world could not be loaded, the demo world runs: " + err.Error()
			return info
		}
		info.Restored = true
	}
	return info
}

// openIndexedDB opens the database. go-indexeddb panics where the page has
// no indexedDB global (Node, some private windows), so that is checked
// first, and any other panic becomes an error too.
func openIndexedDB(ctx context.Context) (fsys *indexeddb.FS, err error) {
	if !js.Global().Get("indexedDB").Truthy() {
		return nil, errors.New("no indexedDB in this JavaScript environment")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("opening IndexedDB: %v", r)
		}
	}()
	return indexeddb.NewFS(ctx, dbName, indexeddb.Options{})
}

// schedule asks for a snapshot to be saved; it never blocks, and several
// requests before the goroutine gets to them make one save.
func (p *persister) schedule() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *persister) run() {
	for {
		select {
		case <-p.kick:
			p.save()
		case done := <-p.flush:
			select {
			case <-p.kick:
			default:
			}
			p.save()
			close(done)
		}
	}
}

func (p *persister) save() {
	if p.mirror == nil {
		return
	}
	files, err := p.lab.Snapshot()
	if err == nil {
		_, _, err = p.mirror.Sync(files)
	}
	if err != nil {
		js.Global().Get("console").Call("warn", "wirelab: saving the world to IndexedDB: "+err.Error())
	}
}

// flushPromise returns a promise that resolves once the lab's current state
// is saved.
func (p *persister) flushPromise() js.Value {
	return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve := args[0]
		go func() {
			done := make(chan struct{})
			p.flush <- done
			<-done
			resolve.Invoke()
		}()
		return nil
	}))
}

// paramsOf takes a call's parameters: nothing, a JSON string, or a plain
// object, which JSON.stringify turns into one.
func paramsOf(args []js.Value) ([]byte, error) {
	if len(args) == 0 || args[0].IsUndefined() || args[0].IsNull() {
		return nil, nil
	}
	switch a := args[0]; a.Type() {
	case js.TypeString:
		return []byte(a.String()), nil
	case js.TypeObject:
		return []byte(js.Global().Get("JSON").Call("stringify", a).String()), nil
	default:
		return nil, fmt.Errorf("wirelab: parameters are a JSON string or an object, not a %s", a.Type())
	}
}

func toJSON(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		return errorJSON(err)
	}
	return string(out)
}

func errorJSON(err error) string {
	out, _ := json.Marshal(map[string]string{"error": err.Error()})
	return string(out)
}
