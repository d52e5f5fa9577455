// Package engine is the root of wirelab's sans-I/O protocol engine.
//
// Nothing below this directory opens a socket, sleeps or reads the wall clock
// directly: time comes from a [clock.Clock], randomness from a seeded source and
// the network from a transport. The same code therefore runs natively, in the
// browser (GOOS=js GOARCH=wasm) and inside the conformance runner, and a replay
// of the same inputs gives the same bytes. engine_test.go enforces the rule.
package engine
