package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// lockedBuffer collects a process's output while the harness reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail returns the last n bytes, for error messages.
func (l *lockedBuffer) tail(n int) string {
	s := l.String()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// proc is a server the harness started; every one is stopped on exit.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer // stdout and stderr
	done chan struct{}
	err  error // the exit status, once done is closed
}

// procs is every process started and not yet stopped.
var procs struct {
	mu  sync.Mutex
	all []*proc
}

// startProc starts a server in its own process group, so that stopping it
// also reaches the children it forks (Dovecot's login and mail processes).
func startProc(name string, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	procs.mu.Lock()
	procs.all = append(procs.all, p)
	procs.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop ends the process with SIGTERM, then, after 15 s, kills its group.
func (p *proc) stop() {
	procs.mu.Lock()
	for i, q := range procs.all {
		if q == p {
			procs.all = append(procs.all[:i], procs.all[i+1:]...)
			break
		}
	}
	procs.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// stopAll stops every process still running, newest first.
func stopAll() {
	for {
		procs.mu.Lock()
		if len(procs.all) == 0 {
			procs.mu.Unlock()
			return
		}
		p := procs.all[len(procs.all)-1]
		procs.mu.Unlock()
		p.stop()
	}
}

// waitTCP waits until every address accepts connections, or the process
// exits, or the timeout passes.
func (p *proc) waitTCP(timeout time.Duration, addrs ...string) error {
	deadline := time.Now().Add(timeout)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-p.done:
				return fmt.Errorf("%s exited (%v) before listening on %s:\n%s", p.name, p.err, a, p.out.tail(3000))
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not listen on %s after %s:\n%s", p.name, a, timeout, p.out.tail(3000))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// wirelabProc is a running "wirelab serve" and the addresses it printed.
type wirelabProc struct {
	*proc
	addrs map[string]string // "imap", "pop3", "dns" ...
}

var listenLine = regexp.MustCompile(`^  (\w+)\s+(127\.0\.0\.1:\d+)`)

// startWirelab runs "wirelab serve" on ephemeral loopback ports and waits
// for its banner. Its stdout is parsed for addresses; stderr is kept.
func startWirelab(name, bin string, args ...string) (*wirelabProc, error) {
	argv := append([]string{bin, "serve", "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0",
		"--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0"}, serveExtraFlags(bin)...)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	procs.mu.Lock()
	procs.all = append(procs.all, p)
	procs.mu.Unlock()
	w := &wirelabProc{proc: p, addrs: map[string]string{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			if m := listenLine.FindStringSubmatch(line); m != nil && !signalled {
				w.addrs[m[1]] = m[2]
			}
			if strings.HasPrefix(line, "  logins:") && !signalled {
				signalled = true
				close(ready)
			}
		}
		if !signalled {
			close(ready)
		}
		io.Copy(io.Discard, stdout)
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Minute):
		p.stop()
		return nil, fmt.Errorf("%s did not start:\n%s", name, p.out.tail(3000))
	}
	if w.addrs["imap"] == "" {
		p.stop()
		return nil, fmt.Errorf("%s printed no addresses:\n%s", name, p.out.tail(3000))
	}
	return w, nil
}

var statsLine = regexp.MustCompile(`msg="dns stats" authoritative_queries=(\d+)`)

// authoritativeQueries asks wirelab serve (SIGUSR1) how many queries the
// world's authoritative servers have answered so far.
func (w *wirelabProc) authoritativeQueries() (int, error) {
	before := len(statsLine.FindAllString(w.out.String(), -1))
	if err := w.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return 0, err
	}
	for range 200 {
		all := statsLine.FindAllStringSubmatch(w.out.String(), -1)
		if len(all) > before {
			var n int
			fmt.Sscan(all[len(all)-1][1], &n)
			return n, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, errors.New(w.name + " did not log its dns stats after SIGUSR1")
}

// lookPath finds a program, also in the sbin directories that a non-root
// PATH may lack.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// serveExtraFlags turns off the listeners of wirelab serve that no row
// uses and that would otherwise take fixed ports: the browser playground's
// HTTP listener, in the versions that have one.
func serveExtraFlags(bin string) []string {
	if serveHas(bin, "http") {
		return []string{"--http", ""}
	}
	return nil
}

// minimalResponses asks wirelab's local DNS server for answers of the shape
// Unbound gives by default (minimal-responses: yes): the answer section
// alone, without the zone's NS RRset and addresses after it; in the
// versions that have the flag.
func minimalResponses(bin string) []string {
	if serveHas(bin, "minimal-responses") {
		return []string{"--minimal-responses"}
	}
	return nil
}

// serveHelp caches wirelab serve's usage text by binary: every start of a
// server asks it what its flags are.
var serveHelp sync.Map

// serveHas reports whether the wirelab binary's serve command has flag.
func serveHas(bin, flag string) bool {
	help, ok := serveHelp.Load(bin)
	if !ok {
		out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
		help, _ = serveHelp.LoadOrStore(bin, string(out))
	}
	for _, line := range strings.Split(help.(string), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "-"+flag {
			return true
		}
	}
	return false
}
