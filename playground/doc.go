// Package playground is the engine's API for the browser playground: one
// learner's world (mail store, DNS hierarchy, virtual clock) with POP3 and
// IMAP sessions fed bytes by hand, DNS lookups with a full trace, zone edits
// sent as dynamic updates (RFC 2136) and conformance runs.
//
// Every call is a method of Lab taking and returning JSON-friendly structs;
// Lab.Call is the same API keyed by method name with JSON in and out, which
// the WebAssembly main (wasm/) exposes to JavaScript unchanged. API.md in
// this directory documents the methods and their JSON for the site's code.
//
// The package is ordinary Go: it builds and is tested natively and for
// GOOS=js, and the golden test checks that both give the same bytes. It
// does no I/O. The store lives on hackpadfs's mem.FS; Snapshot and Restore
// turn the learner's world into files and back, and Mirror keeps a copy of
// them in another file system (IndexedDB in the browser), writing only what
// changed, so that the world survives a reload.
//
// One lock serialises the calls. Only calls move the virtual clock, so the
// timers (autologout, DNS retransmissions) and the store's change feed run
// inside the call that caused them, and their events are part of its
// result.
package playground
