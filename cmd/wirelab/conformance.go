package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wirelab/wirelab/conformance"
	"github.com/wirelab/wirelab/engine/world"
)

// liveReadTimeout is how long a live server may stay silent before the
// runner takes it as having nothing more to say. A failed login is delayed
// a few seconds by many servers (wirelab 2 s, Dovecot 2 s), so it must be
// longer than that.
const liveReadTimeout = 5 * time.Second

// mappings is a repeatable NAME=VALUE flag.
type mappings map[string]string

func (m mappings) String() string { return fmt.Sprint(map[string]string(m)) }

func (m mappings) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, not %q", s)
	}
	m[k] = v
	return nil
}

func conformanceCmd(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fl.SetOutput(stderr)
	target := fl.String("target", "", "run against a live server: pop3://host:port, imap://host:port, smtp://host:port or dns://host:port (default: the engine)")
	junit := fl.String("junit", "", "also write a JUnit XML report to `file`")
	asJSON := fl.Bool("json", false, "print one JSON object per transcript instead of text")
	run := fl.String("run", "", "run only transcripts whose file or title matches `regexp`")
	maildir := fl.String("maildir", "", "with --target: before each transcript, write its world under `DIR` as Maildir++ (DIR/mail/USER) and a passwd-file (DIR/users) for a live server that serves them, such as Dovecot; transcripts then run one at a time")
	peer := fl.String("peer", "", "the live server is `NAME` (e.g. dovecot): transcripts that record a deviation of that server from an RFC report it as an expected failure")
	users, passes := mappings{}, mappings{}
	fl.Var(users, "user", "map a transcript's user to a real account: `name=account` (repeatable)")
	fl.Var(passes, "pass", "the real account's password for a transcript's user: `name=password` (repeatable)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: wirelab conformance [flags] [PATH...]\n\nReplays transcripts (.txtar) and testbound resolver scenarios (.rpl), by default the\nbuilt-in corpus, and prints one line each.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	var filter *regexp.Regexp
	if *run != "" {
		var err error
		if filter, err = regexp.Compile(*run); err != nil {
			return fmt.Errorf("conformance: --run: %w", err)
		}
	}
	ts, err := loadTranscripts(fl.Args())
	if err != nil {
		return err
	}
	var tgt conformance.Target = conformance.Engine{}
	targetProto := ""
	if *target != "" {
		live, err := newLiveTarget(*target)
		if err != nil {
			return err
		}
		if *maildir != "" {
			live.worlds = &maildirWorlds{dir: *maildir}
		}
		tgt = live
		targetProto = live.scheme
	} else if *maildir != "" {
		return fmt.Errorf("conformance: --maildir needs --target")
	}
	var selected []*conformance.Transcript
	for _, t := range ts {
		// A live server speaks one protocol; the others' transcripts are
		// not its business, so they are left out rather than skipped.
		if targetProto != "" && t.Protocol != targetProto {
			continue
		}
		if filter == nil || filter.MatchString(t.File) || filter.MatchString(t.Title) {
			if len(users) > 0 || len(passes) > 0 {
				mapAccounts(t, users, passes)
			}
			selected = append(selected, t)
		}
	}
	if len(selected) == 0 {
		return errors.New("conformance: no transcripts to run")
	}

	workers := runtime.GOMAXPROCS(0)
	if *maildir != "" {
		workers = 1
	}
	results := runAll(selected, tgt, workers, stderr)
	for i := range results {
		results[i] = conformance.AsDeviation(results[i], selected[i], *peer)
	}
	var sum conformance.Summary
	enc := json.NewEncoder(stdout)
	for _, r := range results {
		sum.Add(r)
		if *asJSON {
			enc.Encode(r)
			continue
		}
		printResult(stdout, r)
	}
	if *junit != "" {
		if err := writeJUnit(*junit, results); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, sum.Line())
	if sum.Failed > 0 {
		return errSilentFailure
	}
	return nil
}

// errSilentFailure makes the command exit 1 without another message: the
// summary line has said it.
var errSilentFailure = errors.New("")

func printResult(w io.Writer, r conformance.Result) {
	loc := r.File
	if r.Line > 0 && r.Status != conformance.Pass {
		loc = fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	fmt.Fprintf(w, "%-5s %s  %s (%s)\n", strings.ToUpper(string(r.Status)), loc, r.Title, r.Duration.Round(time.Microsecond))
	if r.Status == conformance.Fail || r.Status == conformance.XPass || r.Status == conformance.Skip {
		if r.Message != "" {
			fmt.Fprintf(w, "      %s\n", r.Message)
		}
		if r.Diff != "" {
			fmt.Fprintf(w, "      (-want +got):\n%s", indent(r.Diff, "      "))
		}
	}
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// runAll runs transcripts in parallel, keeping their order in the output,
// with a progress bar on stderr when it is a terminal.
func runAll(ts []*conformance.Transcript, tgt conformance.Target, workers int, stderr io.Writer) []conformance.Result {
	results := make([]conformance.Result, len(ts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	progress := isTerminal(stderr)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				results[i] = conformance.Run(ts[i], tgt, time.Now)
				if progress {
					mu.Lock()
					done++
					bar := strings.Repeat("#", done*30/len(ts))
					fmt.Fprintf(stderr, "\r[%-30s] %d/%d", bar, done, len(ts))
					mu.Unlock()
				}
			}
		})
	}
	for i := range ts {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	return results
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// loadTranscripts reads the paths given, or the built-in corpus.
func loadTranscripts(paths []string) ([]*conformance.Transcript, error) {
	if len(paths) == 0 {
		return conformance.LoadDir(conformance.Corpus, "testdata")
	}
	var out []*conformance.Transcript
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		if info.IsDir() {
			ts, err := conformance.LoadDir(os.DirFS(p), ".")
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				t.File = p + "/" + t.File
			}
			out = append(out, ts...)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		t, err := conformance.Parse(p, data)
		if err != nil {
			return nil, err
		}
		// A scenario's expected failure is listed beside it.
		if err := conformance.ApplyExpected(os.DirFS(filepath.Dir(p)), ".", t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// mapAccounts rewrites a transcript's client lines so that its users and
// their world passwords become the live server's accounts.
func mapAccounts(t *conformance.Transcript, users, passes mappings) {
	w := t.World
	if w == nil {
		w = world.Demo()
	}
	replace := map[string]string{}
	for name, account := range users {
		replace[name] = account
	}
	for name, pass := range passes {
		if p, ok := w.Users.Lookup(name); ok {
			if plain, ok := p.Plain(); ok {
				replace[plain] = pass
			}
		}
	}
	for i, s := range t.Steps {
		if s.Dir != 'C' {
			continue
		}
		words := strings.Split(s.Text, " ")
		for j, word := range words {
			trimmed := strings.TrimSuffix(word, "}")
			if v, ok := replace[trimmed]; ok {
				words[j] = v + word[len(trimmed):]
			}
		}
		t.Steps[i].Text = strings.Join(words, " ")
	}
}

// liveTarget runs transcripts against a real server over a socket.
type liveTarget struct {
	scheme, addr string
	// worlds, when set, writes each transcript's world for the server.
	worlds *maildirWorlds
}

func newLiveTarget(raw string) (*liveTarget, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("conformance: --target wants pop3://, imap://, smtp:// or dns://host:port, not %q", raw)
	}
	switch u.Scheme {
	case conformance.POP3, conformance.IMAP, conformance.SMTP, conformance.DNS:
	default:
		return nil, fmt.Errorf("conformance: --target scheme %q is not pop3, imap, smtp or dns", u.Scheme)
	}
	return &liveTarget{scheme: u.Scheme, addr: u.Host}, nil
}

var errInlineWorld = fmt.Errorf("%w: this transcript brings its own world, which a live server does not have", conformance.ErrUnsupported)

var errSMTPServer = fmt.Errorf("%w: this transcript names its SMTP server (hostname, smtp-*), which a live server is not", conformance.ErrUnsupported)

func (l *liveTarget) Dial(t *conformance.Transcript) (conformance.Conn, error) {
	if t.Protocol != l.scheme {
		return nil, fmt.Errorf("%w: a %s transcript against a %s target", conformance.ErrUnsupported, t.Protocol, l.scheme)
	}
	switch {
	case l.worlds != nil:
		if err := l.worlds.prepare(t); err != nil {
			return nil, err
		}
	case t.World != nil:
		return nil, errInlineWorld
	}
	if t.SMTPServer != nil {
		return nil, errSMTPServer
	}
	c, err := net.DialTimeout("tcp", l.addr, liveReadTimeout)
	if err != nil {
		return nil, err
	}
	return &liveConn{c: c, r: bufio.NewReader(c)}, nil
}

type liveConn struct {
	c net.Conn
	r *bufio.Reader
}

func (l *liveConn) Send(line string) error {
	l.c.SetWriteDeadline(time.Now().Add(liveReadTimeout))
	_, err := io.WriteString(l.c, line+"\r\n")
	return err
}

func (l *liveConn) ReadLine() (string, error) {
	l.c.SetReadDeadline(time.Now().Add(liveReadTimeout))
	line, err := l.r.ReadString('\n')
	if err != nil {
		var ne net.Error
		if errors.Is(err, io.EOF) || (errors.As(err, &ne) && ne.Timeout()) {
			return "", conformance.ErrNoMoreLines
		}
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

func (l *liveConn) Close() error { return l.c.Close() }

func (l *liveTarget) DNS(t *conformance.Transcript) (conformance.DNSClient, error) {
	if t.World != nil {
		return nil, errInlineWorld
	}
	if l.scheme != conformance.DNS {
		return nil, fmt.Errorf("%w: a dns transcript against a %s target", conformance.ErrUnsupported, l.scheme)
	}
	return &liveDNS{addr: l.addr}, nil
}

type liveDNS struct{ addr string }

func (d *liveDNS) Query(q conformance.DNSQuery) (*conformance.DNSAnswer, error) {
	m := new(mdns.Msg)
	m.SetQuestion(q.Name, q.Type)
	m.RecursionDesired = !q.NoRecurse
	m.SetEdns0(1232, false)
	c := &mdns.Client{Timeout: liveReadTimeout}
	resp, _, err := c.Exchange(m, d.addr)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.Exchange(m, d.addr)
	}
	if err != nil {
		return nil, err
	}
	return &conformance.DNSAnswer{Msg: resp}, nil
}

func (d *liveDNS) Advance(time.Duration) error {
	return fmt.Errorf("%w: a live server's clock cannot be advanced", conformance.ErrUnsupported)
}

func (d *liveDNS) Close() error { return nil }

// JUnit XML, as CI systems read it.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func writeJUnit(path string, results []conformance.Result) error {
	s := junitSuite{Name: "wirelab conformance", Tests: len(results)}
	for _, r := range results {
		c := junitCase{Name: r.Title, Classname: r.File, Time: r.Duration.Seconds()}
		switch r.Status {
		case conformance.Fail, conformance.XPass:
			s.Failures++
			c.Failure = &junitMessage{Message: fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Message), Body: r.Diff}
		case conformance.Skip, conformance.XFail:
			s.Skipped++
			c.Skipped = &junitMessage{Message: r.Message}
		}
		s.Cases = append(s.Cases, c)
	}
	data, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), data...), 0o644)
}
