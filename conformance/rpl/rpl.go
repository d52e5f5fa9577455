// Package rpl reads resolver scenarios in the replay format of Unbound's
// testbound (".rpl" files, also used by CZ.NIC's Deckard) and replays them
// against wirelab's resolver on a simulated network.
//
// A scenario file has three parts:
//
//	server:                             resolver configuration, unbound.conf
//		qname-minimisation: no          syntax, up to CONFIG_END
//	stub-zone:
//		name: "."
//		stub-addr: 193.0.14.129
//	CONFIG_END
//
//	SCENARIO_BEGIN title
//	RANGE_BEGIN 0 100                   canned upstream answers, valid from
//		ADDRESS 193.0.14.129            step 0 to step 100, from the
//	ENTRY_BEGIN                         servers at these addresses (any
//	MATCH opcode qtype qname            address when the range names none)
//	ADJUST copy_id
//	REPLY QR NOERROR
//	SECTION QUESTION
//	. IN NS
//	SECTION ANSWER
//	. IN NS K.ROOT-SERVERS.NET.
//	ENTRY_END
//	RANGE_END
//
//	STEP 1 QUERY                        the steps: a query to the resolver,
//	ENTRY_BEGIN ... ENTRY_END           a check of its answer, virtual time
//	STEP 10 CHECK_ANSWER                passing
//	ENTRY_BEGIN ... ENTRY_END
//	STEP 20 TIME_PASSES ELAPSE 5
//	SCENARIO_END
//
// An ENTRY is a DNS message written as its header line (REPLY: opcode,
// rcode, flags) and its sections in presentation format, with what a
// message must share with it to match (MATCH) and how the answer is
// adjusted to the query (ADJUST copy_id, copy_query). Lines starting with
// ';' or '#' are comments.
//
// Matching follows testbound: MATCH all compares the header (opcode, rcode,
// flags), then each section record by record in order, names compared
// without case and TTLs ignored unless MATCH ttl, and the presence, version
// and DO bit of an OPT record (not its payload size, nor the message ID).
// An upstream query is answered by the first matching ENTRY of the first
// range that is valid at the step after the one that caused it and serves
// the address asked; a query that no ENTRY matches stays unanswered, and
// the resolver sees a timeout. CHECK_ANSWER takes the oldest unchecked
// answer that matches; answers left unchecked at the end fail the
// scenario, as in testbound.
//
// Configuration lines are mapped onto the resolver's options (see
// [Scenario.Settings]); a line the replay does not understand is reported
// in the [Outcome], and when it could change what the resolver does the
// scenario is reported as skipped rather than passed.
package rpl

import (
	"fmt"
	"net/netip"

	mdns "github.com/miekg/dns"
)

// Scenario is one parsed .rpl file.
type Scenario struct {
	File  string
	Title string
	// Line is the line of SCENARIO_BEGIN.
	Line   int
	Config []Option
	Ranges []*Range
	Steps  []*Step
}

// Option is one "key: value" of the configuration, with the clause it
// belongs to ("server", "stub-zone", "forward-zone", ...).
type Option struct {
	Line   int
	Clause string
	// ClauseLine is the line of the clause's header: two stub-zone
	// clauses are told apart by it.
	ClauseLine int
	Key        string
	// Value is the option's value, quotes removed; several words stay
	// separated by one space ("127.0.0.1 allow_snoop").
	Value string
}

func (o Option) String() string { return fmt.Sprintf("%s: %s: %s", o.Clause, o.Key, o.Value) }

// Range is a set of canned answers valid for steps Start to End.
type Range struct {
	Line       int
	Start, End int
	// Addrs are the upstream servers that give these answers; none means
	// any server.
	Addrs   []netip.Addr
	Entries []*Entry
}

// Entry is a canned message and the rules for matching it.
type Entry struct {
	Line   int
	Match  Match
	Adjust Adjust
	// Msg is the message as written: header flags, opcode and rcode from
	// REPLY, and the sections. Its ID is 0.
	Msg *mdns.Msg
	// Unsupported lists what the entry asks for that the replay does not
	// do (ADJUST sleep=, EXTRA_PACKET, hex answers ...), each with its
	// line.
	Unsupported []Note
}

// Match is what a message must share with an entry (testbound's MATCH
// keywords; Deckard's section names too).
type Match struct {
	Opcode, Qtype, Qname, Subdomain bool
	All, TTL                        bool
	Rcode, Flags                    bool
	Question, Answer                bool
	Authority, Additional           bool
	DO, NoEDNS                      bool
	// TCP and UDP restrict the transport the query came over.
	TCP, UDP bool
	// Serial, when HasSerial, is the SOA serial an IXFR query must carry.
	Serial    uint32
	HasSerial bool
}

// Adjust is how an answer is fitted to the query it answers.
type Adjust struct {
	// CopyID gives the answer the query's ID; CopyQuery its question.
	CopyID, CopyQuery bool
	// NoAnswer (Deckard's do_not_answer) leaves the query unanswered.
	NoAnswer bool
}

// StepKind names what a step does.
type StepKind string

// The step kinds. The replay performs Query, CheckAnswer, TimePasses and
// Nothing; the others are parsed and reported as not understood.
const (
	Query       StepKind = "QUERY"
	CheckAnswer StepKind = "CHECK_ANSWER"
	TimePasses  StepKind = "TIME_PASSES"
	Nothing     StepKind = "NOTHING"
)

// Step is one STEP line and the entry that follows it, if any.
type Step struct {
	Line int
	N    int
	Kind StepKind
	// Entry is the query to send (Query) or the answer expected
	// (CheckAnswer).
	Entry *Entry
	// Elapse is the time TIME_PASSES lets pass, in seconds.
	Elapse float64
	// Args holds the rest of the line for steps the replay does not
	// perform.
	Args string
}

// Note is a line the replay reports: one it did not understand, or one it
// understood but does not need.
type Note struct {
	Line int
	Text string
}

func (n Note) String() string { return fmt.Sprintf("line %d: %s", n.Line, n.Text) }

// Error locates a problem in a scenario file.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rpl: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("rpl: %s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
