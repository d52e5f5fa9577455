package playground

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
)

// TraceEvent is one step on the simulated network: a DNS message sent or
// received, a timeout, a cache event or a note.
type TraceEvent struct {
	// Kind is query, response, timeout, cache-hit, cache-miss,
	// cache-insert, cache-expire or note.
	Kind string `json:"kind"`
	// Time is the virtual time; ElapsedUs the microseconds since the call
	// began.
	Time      string `json:"time"`
	ElapsedUs int64  `json:"elapsedUs"`
	// From and To are address:port and the world's names for them, set
	// for messages.
	From     string `json:"from,omitempty"`
	FromName string `json:"fromName,omitempty"`
	To       string `json:"to,omitempty"`
	ToName   string `json:"toName,omitempty"`
	// Question is "name TYPE"; Summary a one-line account.
	Question string `json:"question,omitempty"`
	Summary  string `json:"summary,omitempty"`
	// Message is the DNS message in presentation form (as dig prints it)
	// and Wire its bytes in hex, for message events.
	Message string `json:"message,omitempty"`
	Wire    string `json:"wire,omitempty"`
}

func (e *env) takeTrace() []TraceEvent {
	out := make([]TraceEvent, 0, len(e.trace))
	for _, ev := range e.trace {
		t := TraceEvent{Kind: string(ev.Kind), Time: timeString(ev.Time), ElapsedUs: ev.Time.Sub(e.callStart).Microseconds(),
			FromName: trimDot(ev.FromName), ToName: trimDot(ev.ToName), Question: ev.Question, Summary: ev.Summary}
		if ev.From.IsValid() {
			t.From = ev.From.String()
		}
		if ev.To.IsValid() {
			t.To = ev.To.String()
		}
		if len(ev.Wire) > 0 {
			t.Wire = hex.EncodeToString(ev.Wire)
			var m mdns.Msg
			if err := m.Unpack(ev.Wire); err != nil {
				t.Message = "; unparsable message: " + err.Error()
			} else {
				t.Message = m.String()
			}
		}
		out = append(out, t)
	}
	e.trace = nil
	return out
}

func (e *env) lab() (*lab.Lab, error) {
	if e.dns == nil {
		return nil, ErrNoDNS
	}
	return e.dns, nil
}

// defaultHost is the host DNS calls come from when none is named: the
// world's first host ("laptop" in the demo world, as for the CLI).
func (e *env) defaultHost() string {
	if hosts := e.dns.Spec.Hosts; len(hosts) > 0 {
		return hosts[0].Name
	}
	return ""
}

// ResolveRequest asks a host's local DNS server for a name.
type ResolveRequest struct {
	Name string `json:"name"`
	// Type is a record type mnemonic; "" means A.
	Type string `json:"type"`
	// Mode is "iterated" (the local server walks the hierarchy) or
	// "recursive" (each server asks the next); "" means iterated.
	Mode string `json:"mode"`
	// From is a host ("laptop") or a local DNS server by name; "" means
	// the world's first host.
	From string `json:"from"`
}

// ResolveResult is the local server's answer and every step it took.
type ResolveResult struct {
	Question string `json:"question"`
	Mode     string `json:"mode"`
	From     string `json:"from"`
	// Server is the local DNS server that answered.
	Server string `json:"server"`
	Rcode  string `json:"rcode"`
	// The sections in presentation form, TTLs as they remain in the
	// cache.
	Answer     []string `json:"answer"`
	Authority  []string `json:"authority"`
	Additional []string `json:"additional"`
	// Upstream counts the queries the local server sent.
	Upstream int `json:"upstream"`
	// ElapsedUs is the virtual time the lookup took.
	ElapsedUs int64  `json:"elapsedUs"`
	Reason    string `json:"reason,omitempty"`
	Stale     bool   `json:"stale,omitempty"`
	// Trace is every message on the network during the lookup, in
	// recursive mode the servers' own queries too, and the local
	// server's cache events.
	Trace []TraceEvent `json:"trace"`
	Time  string       `json:"time"`
}

func parseType(t string) (uint16, error) {
	if t == "" {
		return mdns.TypeA, nil
	}
	qt, ok := mdns.StringToType[strings.ToUpper(t)]
	if !ok {
		return 0, fmt.Errorf("playground: unknown record type %q", t)
	}
	return qt, nil
}

func parseMode(m string) (resolver.Mode, error) {
	switch strings.ToLower(m) {
	case "", "iterated", "iterative":
		return resolver.Iterated, nil
	case "recursive":
		return resolver.Recursive, nil
	}
	return 0, fmt.Errorf("playground: mode is iterated or recursive, not %q", m)
}

// Resolve has a host's local DNS server resolve a name, running the virtual
// clock until the answer is in.
func (l *Lab) Resolve(req ResolveRequest) (*ResolveResult, error) {
	qtype, err := parseType(req.Type)
	if err != nil {
		return nil, err
	}
	mode, err := parseMode(req.Mode)
	if err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, fmt.Errorf("playground: resolve: no name")
	}
	e := l.lock()
	defer l.mu.Unlock()
	dl, err := e.lab()
	if err != nil {
		return nil, err
	}
	from := req.From
	if from == "" {
		from = e.defaultHost()
	}
	local, err := dl.LocalServer(from)
	if err != nil {
		return nil, err
	}
	res, err := dl.Resolve(from, req.Name, qtype, mode)
	if err != nil {
		return nil, err
	}
	return &ResolveResult{
		Question: res.Question.String(), Mode: mode.String(), From: from, Server: trimDot(local.Spec.Name),
		Rcode: mdns.RcodeToString[res.Rcode], Answer: rrStrings(res.Answer), Authority: rrStrings(res.Authority),
		Additional: rrStrings(res.Additional), Upstream: res.Upstream, ElapsedUs: res.Elapsed.Microseconds(),
		Reason: res.Reason, Stale: res.Stale, Trace: e.takeTrace(), Time: timeString(e.clk.Now()),
	}, nil
}

func rrStrings(rrs []mdns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

// CacheRequest names a local DNS server, or a host for its local server;
// "" lists every local server's cache.
type CacheRequest struct {
	Server string `json:"server"`
}

// CacheResult lists caches.
type CacheResult struct {
	Time   string        `json:"time"`
	Caches []ServerCache `json:"caches"`
	// Trace holds the cache-expire events of entries found expired while
	// listing.
	Trace []TraceEvent `json:"trace"`
}

// ServerCache is one local DNS server's cache.
type ServerCache struct {
	Server  string       `json:"server"`
	Entries []CacheEntry `json:"entries"`
}

// CacheEntry is one cached RRset or negative answer.
type CacheEntry struct {
	Name string `json:"name"`
	// Type is "" for an NXDOMAIN entry, which covers every type.
	Type string `json:"type"`
	// TTL is the remaining time to live in seconds.
	TTL      uint32   `json:"ttl"`
	Stale    bool     `json:"stale,omitempty"`
	Records  []string `json:"records"`
	Negative string   `json:"negative,omitempty"`
	// Rank is the data's credibility (RFC 2181 §5.4.1): additional,
	// answer, authority-aa, answer-aa.
	Rank string `json:"rank"`
}

// Cache lists local DNS servers' caches in DNS canonical order, with each
// entry's remaining TTL. Expired entries are removed first.
func (l *Lab) Cache(req CacheRequest) (*CacheResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	servers, err := e.localServers(req.Server)
	if err != nil {
		return nil, err
	}
	res := &CacheResult{Time: timeString(e.clk.Now()), Caches: []ServerCache{}}
	for _, s := range servers {
		sc := ServerCache{Server: trimDot(s.Spec.Name), Entries: []CacheEntry{}}
		for _, c := range s.Resolver.Cache() {
			sc.Entries = append(sc.Entries, CacheEntry{Name: c.Name, Type: c.Type, TTL: c.TTL, Stale: c.Stale,
				Records: c.Records, Negative: c.Negative, Rank: c.Rank.String()})
		}
		res.Caches = append(res.Caches, sc)
	}
	res.Trace = e.takeTrace()
	return res, nil
}

// ServersResult lists the DNS servers with their counters.
type ServersResult struct {
	Time    string       `json:"time"`
	Servers []ServerInfo `json:"servers"`
}

// ServerInfo is one DNS server and what it has done.
type ServerInfo struct {
	Name  string   `json:"name"`
	Addrs []string `json:"addrs"`
	// Role is "resolver" (a local DNS server) or "authoritative".
	Role      string   `json:"role"`
	Primary   []string `json:"primary"`
	Secondary []string `json:"secondary"`
	// Received counts the queries the server was asked; Sent those it sent
	// to other servers (in recursive mode, for an authoritative server).
	Received uint64 `json:"received"`
	Sent     uint64 `json:"sent"`
	// CacheHits and CacheMisses count a local server's cache lookups.
	CacheHits   uint64 `json:"cacheHits"`
	CacheMisses uint64 `json:"cacheMisses"`
	// Requests and Responses count an authoritative server's requests by
	// opcode and answers by rcode.
	Requests  map[string]uint64 `json:"requests,omitempty"`
	Responses map[string]uint64 `json:"responses,omitempty"`
	// Transfers are a secondary's last zone transfers, by zone.
	Transfers map[string]TransferInfo `json:"transfers,omitempty"`
}

// TransferInfo is a secondary's last transfer of a zone.
type TransferInfo struct {
	Serial uint32 `json:"serial"`
	Time   string `json:"time"`
	Error  string `json:"error,omitempty"`
}

// Servers lists the DNS servers in world order with their counters.
func (l *Lab) Servers() (*ServersResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	dl, err := e.lab()
	if err != nil {
		return nil, err
	}
	res := &ServersResult{Time: timeString(e.clk.Now()), Servers: []ServerInfo{}}
	for _, s := range dl.Servers() {
		si := ServerInfo{Name: trimDot(s.Spec.Name), Role: "authoritative", Primary: nonNil(s.Spec.Primary), Secondary: nonNil(s.Spec.Secondary)}
		for _, a := range s.Spec.Addrs {
			si.Addrs = append(si.Addrs, a.String())
		}
		var c resolver.Counters
		if s.Resolver != nil {
			si.Role = "resolver"
			c = s.Resolver.Counters()
		} else {
			c = s.Recurser.Counters()
			st := s.Authority.Stats()
			si.Requests, si.Responses = st.Requests, st.Responses
		}
		si.Received, si.Sent, si.CacheHits, si.CacheMisses = c.Received, c.Sent, c.CacheHits, c.CacheMisses
		for z, t := range s.Transfers {
			if si.Transfers == nil {
				si.Transfers = map[string]TransferInfo{}
			}
			ti := TransferInfo{Serial: t.Serial, Time: timeString(t.At)}
			if t.Err != nil {
				ti.Error = t.Err.Error()
			}
			si.Transfers[z] = ti
		}
		res.Servers = append(res.Servers, si)
	}
	return res, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ZonesRequest picks one zone; "" lists every zone.
type ZonesRequest struct {
	Zone string `json:"zone"`
}

// ZonesResult lists zones as their servers hold them.
type ZonesResult struct {
	Zones []ZoneInfo `json:"zones"`
}

// ZoneInfo is one zone: its records as the primary serves them, and each
// server's serial, so that a secondary lagging behind shows.
type ZoneInfo struct {
	Name    string       `json:"name"`
	Primary string       `json:"primary"`
	Serial  uint32       `json:"serial"`
	Servers []ZoneServer `json:"servers"`
	Records []string     `json:"records"`
}

// ZoneServer is a server of a zone and the serial it has.
type ZoneServer struct {
	Server string `json:"server"`
	Role   string `json:"role"` // "primary" or "secondary"
	Serial uint32 `json:"serial"`
}

// Zones lists the world's zones in name order.
func (l *Lab) Zones(req ZonesRequest) (*ZonesResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	dl, err := e.lab()
	if err != nil {
		return nil, err
	}
	var names []string
	if req.Zone != "" {
		z := mdns.CanonicalName(req.Zone)
		if _, ok := dl.Spec.Zones[z]; !ok {
			return nil, fmt.Errorf("playground: no zone %s in the world", z)
		}
		names = []string{z}
	} else {
		for z := range dl.Spec.Zones {
			names = append(names, z)
		}
		sort.Strings(names)
	}
	res := &ZonesResult{Zones: []ZoneInfo{}}
	for _, z := range names {
		zi := ZoneInfo{Name: z, Servers: []ZoneServer{}, Records: []string{}}
		for _, s := range dl.Servers() {
			if s.Authority == nil {
				continue
			}
			role := ""
			for _, p := range s.Spec.Primary {
				if p == z {
					role = "primary"
				}
			}
			for _, p := range s.Spec.Secondary {
				if p == z {
					role = "secondary"
				}
			}
			if role == "" {
				continue
			}
			serial, _ := s.Authority.Serial(z)
			zi.Servers = append(zi.Servers, ZoneServer{Server: trimDot(s.Spec.Name), Role: role, Serial: serial})
			if role == "primary" && zi.Primary == "" {
				zi.Primary, zi.Serial = trimDot(s.Spec.Name), serial
				if zone := s.Authority.Zone(z); zone != nil {
					zi.Records = rrStrings(zone.Records())
				}
			}
		}
		res.Zones = append(res.Zones, zi)
	}
	return res, nil
}

// UpdateRequest is a dynamic update (RFC 2136) a host sends to a zone's
// primary server. Records are in master-file form, relative names taken
// from Zone ("news 30 IN A 198.51.100.91").
type UpdateRequest struct {
	Zone string `json:"zone"`
	// From is the host that sends the UPDATE; "" means the first host.
	From string `json:"from,omitempty"`
	// Add are records to add (RFC 2136 §2.5.1).
	Add []string `json:"add,omitempty"`
	// Remove are records to delete, matched by name, type and data
	// (§2.5.4).
	Remove []string `json:"remove,omitempty"`
	// RemoveRRsets are "name TYPE" pairs whose whole RRset goes (§2.5.2).
	RemoveRRsets []string `json:"removeRRsets,omitempty"`
}

// UpdateResult is the primary's answer and what followed: NOTIFY to the
// secondaries and their transfers.
type UpdateResult struct {
	Rcode   string       `json:"rcode"`
	Zone    string       `json:"zone"`
	Primary string       `json:"primary"`
	Servers []ZoneServer `json:"servers"`
	Trace   []TraceEvent `json:"trace"`
	Time    string       `json:"time"`
}

// UpdateRecord sends an UPDATE for a zone from a host to the zone's primary
// and runs the clock until the NOTIFY it triggers and the secondaries'
// transfers are done (RFC 1996). Edits that succeed are kept and persist.
func (l *Lab) UpdateRecord(req UpdateRequest) (*UpdateResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	res, err := e.update(req)
	if err != nil {
		return nil, err
	}
	if res.Rcode == mdns.RcodeToString[mdns.RcodeSuccess] {
		e.edits = append(e.edits, req)
		e.pristine = false
	}
	return res, nil
}

func (e *env) update(req UpdateRequest) (*UpdateResult, error) {
	dl, err := e.lab()
	if err != nil {
		return nil, err
	}
	z := mdns.CanonicalName(req.Zone)
	if _, ok := dl.Spec.Zones[z]; !ok {
		return nil, fmt.Errorf("playground: update: no zone %s in the world", z)
	}
	add, err := parseRRs(z, req.Add)
	if err != nil {
		return nil, err
	}
	remove, err := parseRRs(z, req.Remove)
	if err != nil {
		return nil, err
	}
	var sets []mdns.RR
	for _, s := range req.RemoveRRsets {
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, fmt.Errorf("playground: update: removeRRsets entry %q is not \"name TYPE\"", s)
		}
		t, err := parseType(f[1])
		if err != nil {
			return nil, err
		}
		sets = append(sets, &mdns.ANY{Hdr: mdns.RR_Header{Name: absName(f[0], z), Rrtype: t, Class: mdns.ClassINET}})
	}
	if len(add)+len(remove)+len(sets) == 0 {
		return nil, fmt.Errorf("playground: update: nothing to add or remove")
	}
	from := req.From
	if from == "" {
		from = e.defaultHost()
	}
	resp, err := dl.Update(from, z, func(m *mdns.Msg) {
		if len(sets) > 0 {
			m.RemoveRRset(sets)
		}
		if len(remove) > 0 {
			m.Remove(remove)
		}
		if len(add) > 0 {
			m.Insert(add)
		}
	})
	if err != nil {
		return nil, err
	}
	zones, err := e.zoneServers(dl, z)
	if err != nil {
		return nil, err
	}
	return &UpdateResult{Rcode: mdns.RcodeToString[resp.Rcode], Zone: z, Primary: zones.Primary, Servers: zones.Servers,
		Trace: e.takeTrace(), Time: timeString(e.clk.Now())}, nil
}

func (e *env) zoneServers(dl *lab.Lab, z string) (ZoneInfo, error) {
	zi := ZoneInfo{Servers: []ZoneServer{}}
	for _, s := range dl.Servers() {
		if s.Authority == nil {
			continue
		}
		serial, ok := s.Authority.Serial(z)
		if !ok {
			continue
		}
		role := "secondary"
		for _, p := range s.Spec.Primary {
			if p == z {
				role = "primary"
				zi.Primary = trimDot(s.Spec.Name)
			}
		}
		zi.Servers = append(zi.Servers, ZoneServer{Server: trimDot(s.Spec.Name), Role: role, Serial: serial})
	}
	return zi, nil
}

// parseRRs reads records in master-file form with zone as the origin.
func parseRRs(zone string, texts []string) ([]mdns.RR, error) {
	var out []mdns.RR
	for _, text := range texts {
		zp := mdns.NewZoneParser(strings.NewReader(text), zone, "")
		rr, ok := zp.Next()
		if err := zp.Err(); err != nil {
			return nil, fmt.Errorf("playground: update: record %q: %w", text, err)
		}
		if !ok {
			return nil, fmt.Errorf("playground: update: %q is not a record", text)
		}
		out = append(out, rr)
	}
	return out, nil
}

func absName(name, zone string) string {
	if name == "@" {
		return zone
	}
	if strings.HasSuffix(name, ".") {
		return mdns.CanonicalName(name)
	}
	return mdns.CanonicalName(name + "." + zone)
}

// ClockInfo is the virtual clock.
type ClockInfo struct {
	Time string `json:"time"`
	// Pending counts the timers waiting (autologout, retransmissions).
	Pending int `json:"pending"`
	// Next is the earliest timer's time, "" when none waits.
	Next string `json:"next,omitempty"`
}

// Now reads the virtual clock.
func (l *Lab) Now() *ClockInfo {
	e := l.lock()
	defer l.mu.Unlock()
	return e.clockInfo()
}

func (e *env) clockInfo() *ClockInfo {
	ci := &ClockInfo{Time: timeString(e.clk.Now()), Pending: e.clk.Pending()}
	if next, ok := e.clk.Next(); ok {
		ci.Next = timeString(next)
	}
	return ci
}

// AdvanceRequest moves the clock: Duration in Go's form ("31s", "10m",
// "1h30m").
type AdvanceRequest struct {
	Duration string `json:"duration"`
}

// StepResult is what happened while the clock moved.
type StepResult struct {
	Clock ClockInfo `json:"clock"`
	// Fired counts the timers that fired (RunUntilIdle only).
	Fired  int          `json:"fired,omitempty"`
	Events []Event      `json:"events"`
	Pushed []Push       `json:"pushed"`
	Trace  []TraceEvent `json:"trace"`
}

// MaxAdvance bounds one Advance: a lab has no use for years, and a
// mistyped unit should fail rather than expire everything silently.
const MaxAdvance = 366 * 24 * time.Hour

// Advance moves the virtual clock forward, firing the timers on the way:
// sessions idle past their autologout time end, and cached DNS data ages.
func (l *Lab) Advance(req AdvanceRequest) (*StepResult, error) {
	d, err := time.ParseDuration(req.Duration)
	if err != nil {
		return nil, fmt.Errorf("playground: advance: %w", err)
	}
	if d < 0 || d > MaxAdvance {
		return nil, fmt.Errorf("playground: advance: %s is outside 0..%s", d, MaxAdvance)
	}
	e := l.lock()
	defer l.mu.Unlock()
	e.clk.Advance(d)
	return e.step(0), nil
}

// RunRequest bounds RunUntilIdle; Limit 0 means DefaultRunLimit.
type RunRequest struct {
	Limit int `json:"limit"`
}

// DefaultRunLimit is how many timers RunUntilIdle fires at most.
const DefaultRunLimit = 100_000

// RunUntilIdle fires timers in order until none is left (or Limit fired):
// every idle session reaches its autologout.
func (l *Lab) RunUntilIdle(req RunRequest) *StepResult {
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultRunLimit
	}
	e := l.lock()
	defer l.mu.Unlock()
	return e.step(e.clk.RunUntilIdle(limit))
}

func (e *env) step(fired int) *StepResult {
	return &StepResult{Clock: *e.clockInfo(), Fired: fired, Events: e.takeEvents(), Pushed: e.pushed(), Trace: e.takeTrace()}
}

// Switches are a local DNS server's behaviours the lab turns on and off
// (see resolver.Switches).
type Switches struct {
	// MinimalResponses leaves the authority and additional sections out of
	// positive answers.
	MinimalResponses bool `json:"minimalResponses"`
	// QNAMEMinimisation sends each server only as much of the name as it
	// needs (RFC 9156); iterated mode only.
	QNAMEMinimisation bool `json:"qnameMinimisation"`
	// ServeStale answers from expired data when the servers fail (RFC 8767).
	ServeStale bool `json:"serveStale"`
	// RoundRobin rotates RRsets of several records between answers.
	RoundRobin bool `json:"roundRobin"`
	// EDNS puts an OPT record in the server's queries (RFC 6891).
	EDNS bool `json:"edns"`
}

func switchesOf(s resolver.Switches) Switches {
	return Switches{s.MinimalResponses, s.QNAMEMinimisation, s.ServeStale, s.RoundRobin, s.EDNS}
}

func (s Switches) resolver() resolver.Switches {
	return resolver.Switches{MinimalResponses: s.MinimalResponses, QNAMEMinimisation: s.QNAMEMinimisation,
		ServeStale: s.ServeStale, RoundRobin: s.RoundRobin, EDNS: s.EDNS}
}

// SwitchesRequest reads, or with Set changes, the switches of a local DNS
// server (or a host's), or of every local server when Server is "".
type SwitchesRequest struct {
	Server string    `json:"server,omitempty"`
	Set    *Switches `json:"set,omitempty"`
}

// SwitchesResult lists the local servers' switches.
type SwitchesResult struct {
	Servers []ServerSwitches `json:"servers"`
}

// ServerSwitches is one local server's switches.
type ServerSwitches struct {
	Server   string   `json:"server"`
	Switches Switches `json:"switches"`
}

// Switches reads or sets local DNS servers' switches. Setting them keeps
// the cache, except for the answers MinimalResponses shapes; the setting
// persists.
func (l *Lab) Switches(req SwitchesRequest) (*SwitchesResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	servers, err := e.localServers(req.Server)
	if err != nil {
		return nil, err
	}
	res := &SwitchesResult{Servers: []ServerSwitches{}}
	for _, s := range servers {
		if req.Set != nil {
			s.Resolver.SetSwitches(req.Set.resolver())
			e.pristine = false
		}
		res.Servers = append(res.Servers, ServerSwitches{Server: trimDot(s.Spec.Name), Switches: switchesOf(s.Resolver.Switches())})
	}
	return res, nil
}

// FlushRequest names the local server (or host) whose cache to empty; ""
// empties every local server's.
type FlushRequest struct {
	Server string `json:"server,omitempty"`
}

// FlushCache empties local DNS servers' caches, so that the next lookup
// walks the hierarchy again.
func (l *Lab) FlushCache(req FlushRequest) (*CacheResult, error) {
	e := l.lock()
	defer l.mu.Unlock()
	servers, err := e.localServers(req.Server)
	if err != nil {
		return nil, err
	}
	res := &CacheResult{Time: timeString(e.clk.Now()), Caches: []ServerCache{}, Trace: []TraceEvent{}}
	for _, s := range servers {
		s.Resolver.Flush()
		res.Caches = append(res.Caches, ServerCache{Server: trimDot(s.Spec.Name), Entries: []CacheEntry{}})
	}
	return res, nil
}

// localServers resolves a server or host name to local DNS servers; ""
// means all of them, in world order.
func (e *env) localServers(name string) ([]*lab.ServerNode, error) {
	dl, err := e.lab()
	if err != nil {
		return nil, err
	}
	if name != "" {
		s, err := dl.LocalServer(name)
		if err != nil {
			return nil, err
		}
		return []*lab.ServerNode{s}, nil
	}
	var out []*lab.ServerNode
	for _, s := range dl.Servers() {
		if s.Resolver != nil {
			out = append(out, s)
		}
	}
	return out, nil
}
