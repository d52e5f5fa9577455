// Package mailnet runs a world's mail servers on its simulated network, so
// a message can make the whole journey a networking course draws: a user
// agent submits it (RFC 6409), the sender's server looks up the recipient
// domain's MX records through its local DNS server (RFC 5321 §5.1), relays
// it to the best exchanger that answers, retries later on a 4yz reply or an
// unreachable server (RFC 5321 §4.5.4.1), returns it with a delivery status
// notification when it cannot be delivered (RFC 3464), and the recipient
// reads it with POP3 or IMAP from the store it landed in.
//
// Which hosts are mail servers, and which domains and users they hold, is
// the world's dns/mailservers file (see [ParseSpec]); the servers are hosts
// of dns/hosts, so each has an address and a local DNS server. Each server
// has one mailstore and runs, on its host, SMTP on port 25, message
// submission with AUTH PLAIN on port 587, POP3 on 110 and IMAP on 143 over
// that store, and a queue for mail it relays.
//
// Everything runs on the lab's virtual clock, on the goroutine that
// advances it: streams are read with [transport.Watch], lookups are DNS
// messages on the simulated network, and retry timers are clock timers, so
// the same world and seed give the same journey, event for event. Every DNS
// message, every SMTP command and reply, and every queue decision is an
// [Event] with its virtual time and the hosts involved.
package mailnet
