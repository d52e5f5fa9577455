package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hack-pad/hackpadfs"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/memfs"
	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/smtp"
	"github.com/wirelab/wirelab/engine/transport"
	"github.com/wirelab/wirelab/engine/world"
)

// serveFlags are the flags of "wirelab serve".
type serveFlags struct {
	world, data     string
	pop3, imap      string
	smtp, submit    string
	dns, dnsServer  string
	exposeDNS       bool
	rootHints       string
	minimalDNS      bool
	tlsCert, tlsKey string
	hostname        string
	cpuProfile      string
	http            string
	allowPlaintext  bool
	debugAddr       string
	lineTimeout     time.Duration
	writeTimeout    time.Duration
	maxSessions     int
}

func serve(args []string, stdout, stderr io.Writer) error {
	var f serveFlags
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&f.world, "world", "", "world `file` (txtar) or folder (default: the embedded demo world)")
	fl.StringVar(&f.data, "data", "", "keep mail as Maildir++ under `DIR` (default: in memory)")
	fl.StringVar(&f.pop3, "pop3", "127.0.0.1:1110", "POP3 listen `address`")
	fl.StringVar(&f.imap, "imap", "127.0.0.1:1143", "IMAP listen `address`")
	fl.StringVar(&f.smtp, "smtp", "127.0.0.1:1025", "SMTP listen `address` (mail for the world's domains only)")
	fl.StringVar(&f.submit, "submission", "127.0.0.1:1587", "message submission listen `address` (RFC 6409: AUTH first)")
	fl.StringVar(&f.dns, "dns", "127.0.0.1:1053", "DNS listen `address` (UDP and TCP) for the world's local DNS server; empty turns it off")
	fl.StringVar(&f.dnsServer, "dns-server", "", "which local DNS server of the world answers on --dns (default: the first one)")
	fl.BoolVar(&f.exposeDNS, "expose-dns", false, "also run every root, TLD and authoritative server of the world on its own address in 127.53.0.0/16, port 53 (needs root), for real resolvers and dig +trace")
	fl.BoolVar(&f.minimalDNS, "minimal-responses", false, "the local DNS server leaves the authority and additional sections out of positive answers, as Unbound does by default")
	fl.StringVar(&f.rootHints, "root-hints", "", "with --expose-dns, write a root hints `file` (named.root format) for a real resolver such as Unbound")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate `file` (PEM) for STLS (default: self-signed at start)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS private key `file` (PEM)")
	fl.StringVar(&f.hostname, "hostname", "wirelab.example", "server host `name` for greetings and the certificate")
	fl.StringVar(&f.http, "http", "127.0.0.1:8080", "browser playground listen `address`; empty turns it off")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to `file` until shutdown (for go tool pprof)")
	fl.BoolVar(&f.allowPlaintext, "allow-plaintext", false, "accept passwords in the clear (LOGIN, USER/PASS, AUTH PLAIN without TLS) on non-loopback listeners too")
	fl.DurationVar(&f.lineTimeout, "line-timeout", DefaultLineTimeout, "close a connection whose command line is not complete this long after it began (slow clients)")
	fl.DurationVar(&f.writeTimeout, "write-timeout", DefaultWriteTimeout, "close a connection that does not read an answer for this long")
	fl.IntVar(&f.maxSessions, "max-sessions", DefaultMaxSessions, "connections each listener serves at once; more are refused")
	fl.StringVar(&f.debugAddr, "debug-addr", "", "serve expvar (/debug/vars: goroutines, memstats) and pprof on this loopback `address`; empty turns it off")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "wirelab serve: unexpected argument %q\n", fl.Arg(0))
		return errUsage
	}

	logs := newLogBuffer(stderr, logFlushDelay)
	defer logs.Flush() // registered first, so run last: every line is out when serve returns
	log := slog.New(flushingHandler{slog.NewTextHandler(logs, nil), logs})
	w, err := loadWorld(f.world)
	if err != nil {
		return err
	}
	store, err := openStore(f.data, f.hostname)
	if err != nil {
		return err
	}
	filled, err := w.Populate(store)
	if err != nil {
		return err
	}
	tlsConf, err := tlsConfig(f.tlsCert, f.tlsKey, f.hostname)
	if err != nil {
		return err
	}

	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			pf.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			pf.Close()
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	guard := newLoginGuard(time.Now, log)
	pop3Cfg := &pop3.Config{Store: store, Users: w.Users, Hostname: f.hostname, OnEvent: guard.pop3Event}
	pop3Srv := &sessionServer{proto: "pop3", tls: tlsConf, log: log,
		serve: func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (string, string, error) {
			sess, err := pop3.Serve(ctx, pop3Cfg, conn, pop3.ServeOptions{ID: id, StartTLS: startTLS})
			return sess.User(), sess.EndReason(), err
		}}
	imapCfg := &imap.Config{Store: store, Users: w.Users, Hostname: f.hostname, OnEvent: guard.imapEvent}
	imapSrv := &sessionServer{proto: "imap", tls: tlsConf, log: log,
		serve: func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (string, string, error) {
			sess, err := imap.Serve(ctx, imapCfg, conn, imap.ServeOptions{ID: id, StartTLS: startTLS})
			return sess.User(), sess.EndReason(), err
		}}
	// SMTP takes mail for the world's domains into the same store; nothing
	// is ever relayed outside the world (no Relay hook).
	var submitCfg *smtp.Config
	smtpServer := func(proto string, submission bool) *sessionServer {
		cfg := &smtp.Config{Store: store, Users: w.Users, Hostname: f.hostname, Domains: worldDomains, Submission: submission, OnEvent: guard.smtpEvent(proto)}
		if submission {
			submitCfg = cfg
		}
		return &sessionServer{proto: proto, tls: tlsConf, log: log,
			serve: func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (string, string, error) {
				sess, err := smtp.Serve(ctx, cfg, conn, smtp.ServeOptions{ID: id, Peer: conn.RemoteAddr().String(), StartTLS: startTLS})
				return sess.User(), sess.EndReason(), err
			}}
	}
	servers := []*sessionServer{pop3Srv, imapSrv, smtpServer("smtp", false), smtpServer("submission", true)}
	// Port 25 takes mail from anyone and has no logins to guard.
	guard.guard(pop3Srv, pop3Refusal)
	guard.guard(imapSrv, imapRefusal)
	guard.guard(servers[3], smtpRefusal)
	for _, srv := range servers {
		guardSlow(srv, f.lineTimeout, f.writeTimeout)
		limitSessions(srv, f.maxSessions, sessionsRefusal[srv.proto])
	}
	addrs := []string{f.pop3, f.imap, f.smtp, f.submit}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	for i, srv := range servers {
		l, err := listenSessions(addrs[i])
		if err != nil {
			closeAll()
			return fmt.Errorf("%s: %w", srv.proto, err)
		}
		listeners = append(listeners, l)
	}
	ln, imapLn := listeners[0], listeners[1]
	pop3Cfg.PlaintextNeedsTLS = plaintextNeedsTLS(ln.Addr(), f.allowPlaintext, isLoopback)
	imapCfg.PlaintextNeedsTLS = plaintextNeedsTLS(imapLn.Addr(), f.allowPlaintext, isLoopback)
	submitCfg.PlaintextNeedsTLS = plaintextNeedsTLS(listeners[3].Addr(), f.allowPlaintext, isLoopback)
	dnsSrv, err := startDNS(ctx, w, f, log)
	if err != nil {
		closeAll()
		return err
	}
	// SIGUSR1 logs the DNS counters: benchmarks read how many queries the
	// world's servers have answered to learn what a lookup cost upstream.
	// It is caught before the banner, which tells that serve is ready.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	go func() {
		for {
			select {
			case <-usr1:
				dnsSrv.logStats(log)
			case <-ctx.Done():
				return
			}
		}
	}()

	web, err := startWeb(f.http, log)
	if err != nil {
		closeAll()
		dnsSrv.close()
		return err
	}
	defer web.close()
	debug, err := startDebug(f.debugAddr, log)
	if err != nil {
		closeAll()
		dnsSrv.close()
		return err
	}
	defer debug.close()

	fmt.Fprintf(stdout, "wirelab serve: world %q, %d users", worldName(f.world), w.Users.Len())
	if f.data != "" {
		fmt.Fprintf(stdout, ", mail in %s (%d users filled from the world)\n", f.data, len(filled))
	} else {
		fmt.Fprintf(stdout, ", mail in memory\n")
	}
	fmt.Fprintf(stdout, "  pop3  %s  (STLS available; try: curl pop3://%s/ -u alice:wonderland)\n", ln.Addr(), ln.Addr())
	fmt.Fprintf(stdout, "  imap  %s  (STARTTLS available; try: curl imap://%s/INBOX -u alice:wonderland)\n", imapLn.Addr(), imapLn.Addr())
	fmt.Fprintf(stdout, "  smtp  %s  (mail for %s)\n", listeners[2].Addr(), strings.Join(worldDomains, ", "))
	fmt.Fprintf(stdout, "  submission  %s  (AUTH PLAIN, then send as yourself)\n", listeners[3].Addr())
	if dnsSrv != nil {
		fmt.Fprintf(stdout, "  dns   %s  (%s; try: dig @%s -p %d www.example.com)\n", dnsSrv.addr, strings.TrimSuffix(dnsSrv.frontend.server.Spec.Name, "."), dnsSrv.addr.Addr(), dnsSrv.addr.Port())
		if e := dnsSrv.exposed; e != nil {
			fmt.Fprintf(stdout, "  exposed %d DNS servers on %s port 53, roots from %s (try: dig +trace @%s www.example.com)\n", len(e.servers), exposePrefix, e.servers[0].addr, e.servers[0].addr)
		}
	}
	web.banner(stdout)
	debug.banner(stdout)
	if logins := demoLogins(w); logins != "" {
		fmt.Fprintf(stdout, "  logins: %s\n", logins)
	}

	var wg sync.WaitGroup
	for i, srv := range servers {
		l := listeners[i]
		wg.Go(func() { srv.acceptLoop(ctx, l) })
	}
	<-ctx.Done()
	closeAll()
	dnsSrv.close()
	wg.Wait()
	for _, srv := range servers {
		srv.sessions.Wait()
	}
	log.Info("shut down", "reason", context.Cause(ctx))
	return nil
}

func worldName(path string) string {
	if path == "" {
		return "demo"
	}
	return path
}

// demoLogins lists the users whose passwords the world gives in clear, for
// the start-up banner; hashed passwords stay private.
func demoLogins(w *world.World) string {
	var out []string
	for _, name := range w.Users.Names() {
		p, _ := w.Users.Lookup(name)
		if plain, ok := p.Plain(); ok {
			out = append(out, name+"/"+plain)
		}
	}
	return strings.Join(out, ", ")
}

// loadWorld reads a world from a txtar file or a folder, or returns the
// embedded demo world.
func loadWorld(path string) (*world.World, error) {
	if path == "" {
		return world.Demo(), nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	if info.IsDir() {
		return world.LoadDir(os.DirFS(path), ".")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	return world.Parse(path, data)
}

// openStore opens the Maildir++ tree under dir, or an in-memory store.
func openStore(dir, hostname string) (*mailstore.Store, error) {
	var fsys hackpadfs.FS
	opts := mailstore.Options{Clock: clock.Real{}, Hostname: hostname}
	if dir == "" {
		// memfs rather than hackpadfs's mem: a store operation there is a
		// few map look-ups, where mem's key-value layer cost an APPEND
		// most of its time.
		fsys = memfs.New(opts.Clock)
		opts.Exclusive = true // nothing outside this process can change it
		// The files are in memory already: a content cache would only
		// keep a second copy of every new message.
		opts.CacheBytes = -1
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		sub, err := osfs.NewFS().Sub(strings.TrimPrefix(filepath.ToSlash(abs), "/"))
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		fsys = &mailstore.FaultFS{FS: sub, Map: markDiskError}
		opts.Sync = true
	}
	return mailstore.New(fsys, opts), nil
}

// worldDomains are the mail domains the demo world's users receive mail
// at: every user is user@ each of them.
var worldDomains = []string{"example.com", "example.org", "example.net"}

// dnsListener is the native DNS front end of serve.
type dnsListener struct {
	addr     netip.AddrPort
	frontend *dnsFrontend
	udp      net.PacketConn
	tcp      net.Listener
	exposed  *exposedDNS
	wg       sync.WaitGroup
}

// startDNS listens for DNS on UDP and TCP at the same address, unless the
// flag is empty or the world has no DNS.
func startDNS(ctx context.Context, w *world.World, f serveFlags, log *slog.Logger) (*dnsListener, error) {
	if f.dns == "" {
		return nil, nil
	}
	// Replica addresses rotate between answers, as the lecture's load
	// distribution shows.
	l, err := lab.Build(w, lab.Options{Seed: 1, Switches: resolver.Switches{RoundRobin: true, MinimalResponses: f.minimalDNS}})
	if errors.Is(err, lab.ErrNoDNS) {
		log.Info("dns off: the world has no dns/ files")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	name := f.dnsServer
	if name == "" {
		name = firstResolver(l)
	}
	fe, err := newDNSFrontend(l, name, log)
	if err != nil {
		return nil, err
	}
	udp, tcp, err := listenDNS(f.dns)
	if err != nil {
		return nil, err
	}
	addr := addrPort(udp.LocalAddr())
	d := &dnsListener{addr: addr, frontend: fe, udp: udp, tcp: tcp}
	if f.exposeDNS {
		if d.exposed, err = exposeDNS(ctx, l, 53, log); err != nil {
			udp.Close()
			tcp.Close()
			return nil, err
		}
		if f.rootHints != "" {
			var b strings.Builder
			d.exposed.hints(&b)
			if err := os.WriteFile(f.rootHints, []byte(b.String()), 0o644); err != nil {
				d.close()
				return nil, fmt.Errorf("--root-hints: %w", err)
			}
		}
	}
	// One reader: a second one on the same socket only waits for the
	// first's read to end (the socket's read lock) and costs a wake-up per
	// batch; with dnsperf on this 2-CPU machine one reader answered as
	// many cache hits (86,000-111,000 a second) for 8% less CPU.
	uc := udp.(*net.UDPConn) // what ListenPacket("udp") returns
	d.wg.Go(func() { fe.serveUDP(ctx, uc) })
	d.wg.Go(func() { fe.serveTCP(ctx, tcp, &d.wg) })
	return d, nil
}

// listenDNS listens on UDP and TCP at the same address. With port 0 the
// UDP socket picks the port, which a TCP connection of another program may
// hold (browsers and test clients take ephemeral ports from the same
// range), so a few fresh ports are tried before giving up.
func listenDNS(addr string) (net.PacketConn, net.Listener, error) {
	_, port, _ := net.SplitHostPort(addr)
	for attempt := 1; ; attempt++ {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dns: %w", err)
		}
		tcp, err := net.Listen("tcp", addrPort(udp.LocalAddr()).String())
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != "0" || attempt == maxDNSListenAttempts {
			return nil, nil, fmt.Errorf("dns: %w", err)
		}
	}
}

// maxDNSListenAttempts bounds listenDNS's search for a port free for both
// UDP and TCP.
const maxDNSListenAttempts = 10

// logStats logs how many queries the world's authoritative servers have
// answered so far, from the local DNS server and from outside alike.
func (d *dnsListener) logStats(log *slog.Logger) {
	if d == nil {
		return
	}
	var queries uint64
	for _, s := range d.frontend.lab.Servers() {
		if s.Authority != nil {
			queries += s.Authority.Stats().Requests["QUERY"]
		}
	}
	log.Info("dns stats", "authoritative_queries", queries)
}

func (d *dnsListener) close() {
	if d == nil {
		return
	}
	d.udp.Close()
	d.tcp.Close()
	d.exposed.close()
	d.wg.Wait()
}

// sessionServer binds one protocol engine to a TCP listener: it accepts
// connections, runs a session on each and logs their start and end.
type sessionServer struct {
	proto    string
	tls      *tls.Config
	log      *slog.Logger
	nextID   atomic.Uint64
	sessions sync.WaitGroup
	// serve runs one session; it returns the user and how it ended.
	serve func(ctx context.Context, conn net.Conn, id uint64, startTLS func(transport.Stream) (transport.Stream, error)) (user, end string, err error)
	// idle hands accepted connections to workers waiting for one.
	idle chan accepted
}

// accepted is a connection for a worker to serve.
type accepted struct {
	conn net.Conn
	id   uint64
}

// workerIdle is how long a worker whose session has ended waits for the
// next connection before it exits.
const workerIdle = 2 * time.Second

func (s *sessionServer) acceptLoop(ctx context.Context, ln net.Listener) {
	if s.idle == nil {
		s.idle = make(chan accepted)
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Error(s.proto+" accept", "err", err)
			continue
		}
		a := accepted{withQuickAck(conn), s.nextID.Add(1)}
		select {
		case s.idle <- a:
		default:
			s.sessions.Go(func() { s.work(ctx, a) })
		}
	}
}

// work serves a, then the connections handed to it while it waits idle.
// A session runs deep in the engine: on a fresh goroutine its 2 KB stack
// is grown and copied twice, some 7% of what a short session (LOGIN,
// LOGOUT) costs the server; a worker whose stack has grown keeps it for
// the next session.
func (s *sessionServer) work(ctx context.Context, a accepted) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		s.handle(ctx, a.conn, a.id)
		t.Reset(workerIdle)
		select {
		case a = <-s.idle:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *sessionServer) handle(ctx context.Context, conn net.Conn, id uint64) {
	start := time.Now()
	remote := remoteString(conn)
	// One line per session, at its end, says all: under a storm of short
	// connections a second line costs a sixth of the server's time
	// (formatting and a write each). The start is there for debugging.
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug(s.proto+" session start", "id", id, "remote", remote)
	}
	user, end, err := s.serve(ctx, conn, id, func(st transport.Stream) (transport.Stream, error) {
		c, ok := st.(net.Conn)
		if !ok {
			return nil, errors.New("stream is not a network connection")
		}
		return tls.Server(c, s.tls), nil
	})
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	// The record is made here rather than by Logger.Info: typed attributes
	// spare boxing each value into an any, and no caller's program
	// counter is looked up for a source the handler does not print.
	r := slog.NewRecord(time.Now(), slog.LevelInfo, s.proto+" session end", 0)
	r.AddAttrs(slog.Uint64("id", id), slog.String("remote", remote), slog.String("user", user), slog.String("end", end), slog.Duration("duration", time.Since(start).Round(time.Millisecond)))
	if err != nil {
		r.AddAttrs(slog.Any("err", err))
	}
	s.log.Handler().Handle(ctx, r)
}

// remoteString is the client's address as the log shows it: netip's
// formatting, cheaper than net.TCPAddr's, with an IPv4 client of a
// dual-stack listener shown as IPv4 all the same.
func remoteString(conn net.Conn) string {
	ap := addrPort(conn.RemoteAddr())
	if !ap.IsValid() {
		return conn.RemoteAddr().String()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
}

// logFlushDelay is how long a log line may wait in the log buffer for
// others to go out with it.
const logFlushDelay = 50 * time.Millisecond

// maxLogBuffer is how much the log buffer holds before it writes at once.
const maxLogBuffer = 64 << 10

// logBuffer gathers the log's lines and writes them out together, at most
// a delay after the first of them: every session ends with a line, and
// under a storm of short connections a write per line cost the server a
// twentieth of its time, and whoever reads the log as much again.
type logBuffer struct {
	w     io.Writer
	delay time.Duration
	mu    sync.Mutex
	buf   []byte
	timer *time.Timer // runs Flush; armed while buf holds lines
	armed bool
}

func newLogBuffer(w io.Writer, delay time.Duration) *logBuffer {
	b := &logBuffer{w: w, delay: delay}
	b.timer = time.AfterFunc(time.Hour, func() { b.Flush() })
	b.timer.Stop()
	return b
}

// Write takes one log line, as slog hands them.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > maxLogBuffer {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxLogBuffer {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	if !b.armed {
		b.armed = true
		b.timer.Reset(b.delay)
	}
	return len(p), nil
}

// Flush writes out what the buffer holds.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *logBuffer) flushLocked() error {
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// flushingHandler sends warnings and errors out at once, with the lines
// buffered before them: a blocked source or a failing listener is for the
// operator to see now, and not to lose should the process die.
type flushingHandler struct {
	slog.Handler
	logs *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.logs.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.logs}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.logs}
}
