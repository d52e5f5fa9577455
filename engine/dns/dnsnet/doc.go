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
// On a simulated network nothing moves until the virtual clock is advanced:
// a datagram arrives as a clock callback, which is how the UDP side works,
// but a stream segment only lands in a buffer, and the transport offers no
// callback for it. A goroutine blocked in Read would wake up while the clock
// goroutine has already moved on, so the reply's send time, and the order of
// events, would depend on the Go scheduler; RunUntilIdle could also return
// before the reader had run.
//
// dnsnet therefore reads simulated streams from the clock goroutine itself,
// with a reactor: one per [clock.Virtual], shared by every server, client and
// transfer on that clock (an internal table holds it while it watches
// streams). The reactor is an ordinary timer that, each time it fires, reads
// what [transport.Buffered] says has arrived on each watched stream, in the
// order the streams were registered, and then re-arms itself for the instant
// of the clock's next pending timer. When other timers are still due at the
// current instant it re-arms for that same instant, so it runs after them: it
// is the last callback at every instant while streams are open, and sees
// every segment the moment it lands, as an event loop checks its sockets
// after each event. A reply to a query that arrives over TCP at 30 ms is
// therefore sent at exactly 30 ms, and two runs give the same event sequence.
//
// The reactor cannot foresee a segment that code outside dnsnet writes from
// outside any clock callback while it sleeps until a later instant; it never
// sleeps longer than 100 ms of virtual time while it watches streams, so such
// bytes are read late but deterministically. dnsnet's own writes and dials
// wake it at once.
//
// With any other [clock.Clock] (the real clock at the native edge, where
// streams are sockets and [transport.Buffered] knows nothing), each stream is
// read by its own goroutine with blocking reads; handlers may then run
// concurrently.
package dnsnet
