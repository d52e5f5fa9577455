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
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	osfs "github.com/hack-pad/hackpadfs/os"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/dns/lab"
	"github.com/wirelab/wirelab/engine/dns/resolver"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
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

	log := slog.New(slog.NewTextHandler(stderr, nil))
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
		l, err := net.Listen("tcp", addrs[i])
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
		m, err := mem.NewFS()
		if err != nil {
			return nil, fmt.Errorf("in-memory store: %w", err)
		}
		fsys = m
		opts.Exclusive = true // nothing outside this process can change it
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
	l, err := lab.Build(w, lab.Options{Seed: 1, Switches: resolver.Switches{RoundRobin: true}})
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
	// Several readers, so that unpacking and packing run in parallel.
	uc := udp.(*net.UDPConn) // what ListenPacket("udp") returns
	for range runtime.GOMAXPROCS(0) {
		d.wg.Go(func() { fe.serveUDP(ctx, uc) })
	}
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
}

func (s *sessionServer) acceptLoop(ctx context.Context, ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Error(s.proto+" accept", "err", err)
			continue
		}
		id := s.nextID.Add(1)
		conn = withQuickAck(conn)
		s.sessions.Go(func() { s.handle(ctx, conn, id) })
	}
}

func (s *sessionServer) handle(ctx context.Context, conn net.Conn, id uint64) {
	start := time.Now()
	remote := conn.RemoteAddr().String()
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
	attrs := []any{"id", id, "remote", remote, "user", user, "end", end, "duration", time.Since(start).Round(time.Millisecond)}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	s.log.Info(s.proto+" session end", attrs...)
}
