// Package dnsnet carries DNS messages over the engine's transports: a server
// binding for a [dns.Handler] on UDP and TCP (RFC 1035 §4.2), a [Client] that
// implements [dns.Exchanger] with EDNS(0) (RFC 6891), response matching (RFC
// 5452) and the TCP retry of truncated answers (RFC 1035 §4.2.1, RFC 7766),
// and a zone transfer client, [Transfer] (RFC 5936).
//
// Every message is real wire format, packed and unpacked by miekg/dns, and
// every message in and out can be observed as a [dns.TraceEvent] with its
// bytes and virtual time.
//
// # Reading streams without blocking the clock
//
// On a simulated network a stream segment only lands in a buffer, and a
// goroutine blocked in Read would make the order of events depend on the Go
// scheduler. dnsnet therefore reads every stream through [transport.Watch]:
// with a [clock.Virtual] a per-clock reactor reads simulated streams from the
// clock goroutine itself, at the instant each segment lands, so a reply to a
// query that arrives over TCP at 30 ms is sent at exactly 30 ms and two runs
// give the same event sequence. dnsnet pokes the reactor after its own
// writes and dials; bytes written by other code from outside any clock
// callback are read within [transport.ReactorMaxSleep] (100 ms) of virtual
// time, late but deterministically.
//
// With any other [clock.Clock] (the real clock at the native edge, where
// streams are sockets), each stream is read by its own goroutine with
// blocking reads; handlers may then run concurrently.
package dnsnet
