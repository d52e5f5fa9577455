package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringStorms kills `wirelab serve --data DIR` with SIGKILL while
// several clients APPEND, COPY, MOVE, EXPUNGE and run POP3 sessions, restarts
// it on the same directory, and checks that nothing was lost: every APPEND
// the server answered OK is there once, with its UID and flags, whole; UIDs
// ascend and are never reused; UIDVALIDITY is unchanged; a POP3 session that
// had not reached QUIT lost nothing. Kill points are random (the seed is
// logged; WIRELAB_KILL_SEED replays one, WIRELAB_KILL_ROUNDS runs more).
func TestKillDuringStorms(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server several times")
	}
	rounds := 6
	if s := os.Getenv("WIRELAB_KILL_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("WIRELAB_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (WIRELAB_KILL_SEED=%d replays it)", seed, seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	data := t.TempDir()

	st := &stormState{acked: map[string]ackedAppend{}, maxUID: map[string]uint32{}}
	// The mailboxes the storm uses, and their UIDVALIDITY, made once.
	srv := startServe(t, "--data", data)
	c := dialIMAPTest(t, srv.addrs["imap"])
	c.mustOK(t, "LOGIN alice wonderland")
	c.mustOK(t, "CREATE Moved")
	c.mustOK(t, "CREATE Copies")
	st.validity = map[string]string{}
	for _, mb := range stormMailboxes {
		st.validity[mb] = c.statusItem(t, mb, "UIDVALIDITY")
	}
	st.popCount = popCount(t, srv.addrs["pop3"])
	c.close()
	srv.stop(t)

	for round := range rounds {
		srv := startServe(t, "--data", data)
		st.verify(t, srv, round)
		if t.Failed() {
			return
		}
		killAfter := time.Duration(50+rnd.IntN(450)) * time.Millisecond
		st.storm(t, srv, round, killAfter)
	}
	srv = startServe(t, "--data", data)
	st.verify(t, srv, rounds)
	t.Logf("%d rounds: %d APPENDs acknowledged and found after SIGKILL; %d MOVEs, %d COPYs, %d EXPUNGEs, %d POP3 QUITs answered",
		rounds, len(st.acked), st.moves, st.copies, st.expunges, st.quits)
	if st.moves == 0 || st.copies == 0 || st.expunges == 0 {
		t.Errorf("the storms did not exercise MOVE, COPY and EXPUNGE")
	}
}

var stormMailboxes = []string{"INBOX", "Moved", "Copies"}

type ackedAppend struct {
	uid   uint32
	moved bool // may have been moved to Moved
}

// stormState is what the clients were told, across rounds.
type stormState struct {
	mu       sync.Mutex
	acked    map[string]ackedAppend // by subject
	maxUID   map[string]uint32      // highest UID handed out, by mailbox
	validity map[string]string
	popCount int // bob's maildrop size after the last acknowledged QUIT
	popSlack int // 1 when a QUIT was in flight at the kill
	popExtra int // 1 when an SMTP delivery to bob was in flight at the kill
	// What the storms did, to show they did it.
	moves, copies, expunges, quits int
}

func stormBody(subject string) []byte {
	return []byte("From: alice@example.com\r\nTo: alice@example.com\r\nSubject: " + subject +
		"\r\n\r\n" + strings.Repeat("a line of the body that makes the message a few kilobytes long\r\n", 40) +
		"end of " + subject + "\r\n")
}

var appendUIDRE = regexp.MustCompile(`\[APPENDUID (\d+) (\d+)\]`)

// storm runs the clients until the server is killed after d.
func (st *stormState) storm(t *testing.T, srv *server, round int, d time.Duration) {
	var wg sync.WaitGroup
	addr := srv.addrs["imap"]
	for w := range 2 {
		wg.Go(func() { // appenders
			c, err := dialIMAP(addr)
			if err != nil {
				return
			}
			defer c.close()
			if _, _, err := c.cmd("LOGIN alice wonderland"); err != nil {
				return
			}
			for i := 0; ; i++ {
				subject := fmt.Sprintf("storm %d.%d.%d", round, w, i)
				if i%3 == 0 {
					subject += " tomove"
				}
				if i%4 == 0 {
					subject += " tocopy"
				}
				status, err := c.appendMsg("INBOX", `(\Flagged)`, stormBody(subject))
				if err != nil {
					return
				}
				m := appendUIDRE.FindStringSubmatch(status)
				if !strings.Contains(status, " OK ") || m == nil {
					t.Errorf("APPEND answered %q", status)
					return
				}
				if m[1] != st.validity["INBOX"] {
					t.Errorf("APPENDUID validity %s, want %s", m[1], st.validity["INBOX"])
				}
				uid, _ := strconv.ParseUint(m[2], 10, 32)
				st.mu.Lock()
				st.acked[subject] = ackedAppend{uid: uint32(uid), moved: strings.Contains(subject, "tomove")}
				st.maxUID["INBOX"] = max(st.maxUID["INBOX"], uint32(uid))
				st.mu.Unlock()
			}
		})
	}
	wg.Go(func() { // MOVE and COPY
		c, err := dialIMAP(addr)
		if err != nil {
			return
		}
		defer c.close()
		if _, _, err := c.cmd("LOGIN alice wonderland"); err != nil {
			return
		}
		if _, _, err := c.cmd("SELECT INBOX"); err != nil {
			return
		}
		for {
			if _, _, err := c.cmd(`UID MOVE 1:* Moved`); err != nil { // nothing matches: checks the empty case
				return
			}
			lines, _, err := c.cmd(`UID SEARCH SUBJECT "tomove"`)
			if err != nil {
				return
			}
			if uids := searchUIDs(lines); uids != "" {
				if _, status, err := c.cmd("UID MOVE " + uids + " Moved"); err != nil {
					return
				} else if strings.Contains(status, " OK ") {
					st.mu.Lock()
					st.moves++
					st.mu.Unlock()
				}
			}
			lines, _, err = c.cmd(`UID SEARCH SUBJECT "tocopy" NOT SUBJECT "tomove"`)
			if err != nil {
				return
			}
			if uids := searchUIDs(lines); uids != "" {
				if _, status, err := c.cmd("UID COPY " + uids + " Copies"); err != nil {
					return
				} else if strings.Contains(status, " OK ") {
					st.mu.Lock()
					st.copies++
					st.mu.Unlock()
				}
			}
		}
	})
	wg.Go(func() { // EXPUNGE of its own junk
		c, err := dialIMAP(addr)
		if err != nil {
			return
		}
		defer c.close()
		if _, _, err := c.cmd("LOGIN alice wonderland"); err != nil {
			return
		}
		if _, _, err := c.cmd("SELECT Copies"); err != nil {
			return
		}
		for i := 0; ; i++ {
			if _, err := c.appendMsg("Copies", "()", stormBody(fmt.Sprintf("junk %d.%d", round, i))); err != nil {
				return
			}
			lines, _, err := c.cmd(`UID SEARCH SUBJECT "junk"`)
			if err != nil {
				return
			}
			if uids := searchUIDs(lines); uids != "" {
				if _, _, err := c.cmd(`UID STORE ` + uids + ` +FLAGS.SILENT (\Deleted)`); err != nil {
					return
				}
				if _, status, err := c.cmd("EXPUNGE"); err != nil {
					return
				} else if strings.Contains(status, " OK ") {
					st.mu.Lock()
					st.expunges++
					st.mu.Unlock()
				}
			}
		}
	})
	wg.Go(func() { // POP3: read everything, delete one, QUIT
		for st.popSession(srv.addrs["pop3"]) {
		}
	})
	wg.Go(func() { // SMTP: new mail for bob, so the POP3 sessions have some
		for i := 0; st.deliver(srv.addrs["smtp"], fmt.Sprintf("for bob %d.%d", round, i)); i++ {
		}
	})
	time.Sleep(d)
	srv.cmd.Process.Signal(syscall.SIGKILL)
	<-srv.done
	wg.Wait()
}

// deliver sends bob one message over SMTP and reports whether the server
// took it.
func (st *stormState) deliver(addr, subject string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	r := bufio.NewReader(c)
	msg := strings.ReplaceAll(string(stormBody(subject)), "To: alice@", "To: bob@")
	for _, cmd := range []string{"", "HELO storm.example.com", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA", msg + "."} {
		if cmd != "" {
			if _, err := fmt.Fprintf(c, "%s\r\n", cmd); err != nil {
				return false
			}
		}
		if cmd == msg+"." {
			st.mu.Lock()
			st.popExtra = 1
			st.mu.Unlock()
		}
		line, err := r.ReadString('\n')
		if err != nil || line[0] != '2' && line[0] != '3' {
			return false
		}
	}
	st.mu.Lock()
	st.popCount++
	st.popExtra = 0
	st.mu.Unlock()
	fmt.Fprintf(c, "QUIT\r\n")
	return true
}

// popSession runs one POP3 session that deletes one message, and reports
// whether the server was still there at the end.
func (st *stormState) popSession(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(cmd string) (string, error) {
		if cmd != "" {
			if _, err := fmt.Fprintf(c, "%s\r\n", cmd); err != nil {
				return "", err
			}
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		return line, nil
	}
	multi := func() error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if line == ".\r\n" {
				return nil
			}
		}
	}
	for _, cmd := range []string{"", "USER bob", "PASS builder"} {
		if line, err := say(cmd); err != nil || !strings.HasPrefix(line, "+OK") {
			return false
		}
	}
	line, err := say("STAT")
	if err != nil {
		return false
	}
	var n int
	fmt.Sscanf(line, "+OK %d", &n)
	if n == 0 {
		say("QUIT")
		return true
	}
	for i := 1; i <= n; i++ {
		if line, err := say(fmt.Sprintf("RETR %d", i)); err != nil || !strings.HasPrefix(line, "+OK") {
			return false
		}
		if multi() != nil {
			return false
		}
	}
	if line, err := say("DELE 1"); err != nil || !strings.HasPrefix(line, "+OK") {
		return false
	}
	st.mu.Lock()
	st.popSlack = 1 // QUIT in flight: either outcome is right
	st.mu.Unlock()
	line, err = say("QUIT")
	st.mu.Lock()
	defer st.mu.Unlock()
	if err == nil && strings.HasPrefix(line, "+OK") {
		st.popCount--
		st.popSlack = 0
		st.quits++
		return true
	}
	return false
}

// verify checks the store after a restart.
func (st *stormState) verify(t *testing.T, srv *server, round int) {
	t.Helper()
	c := dialIMAPTest(t, srv.addrs["imap"])
	defer c.close()
	c.mustOK(t, "LOGIN alice wonderland")
	found := map[string]int{}
	for _, mb := range stormMailboxes {
		if v := c.statusItem(t, mb, "UIDVALIDITY"); v != st.validity[mb] {
			t.Errorf("round %d: %s UIDVALIDITY %s, want %s", round, mb, v, st.validity[mb])
		}
		next, _ := strconv.ParseUint(c.statusItem(t, mb, "UIDNEXT"), 10, 32)
		if uint32(next) <= st.maxUID[mb] {
			t.Errorf("round %d: %s UIDNEXT %d, but UID %d was handed out: it would be reused", round, mb, next, st.maxUID[mb])
		}
		c.mustOK(t, "EXAMINE "+mb)
		lines, _ := c.mustOK(t, "UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[])")
		var last uint32
		for _, l := range lines {
			m := fetchRE.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			uid64, _ := strconv.ParseUint(m[1], 10, 32)
			uid := uint32(uid64)
			flags, size, body := m[2], m[3], m[4]
			if uid <= last {
				t.Errorf("round %d: %s UIDs do not ascend: %d after %d", round, mb, uid, last)
			}
			last = uid
			if strconv.Itoa(len(body)) != size {
				t.Errorf("round %d: %s UID %d: RFC822.SIZE %s but %d octets", round, mb, uid, size, len(body))
			}
			subject := subjectOf(body)
			if !strings.HasPrefix(subject, "storm ") && !strings.HasPrefix(subject, "junk ") {
				continue // the demo world's own mail
			}
			if body != string(stormBody(subject)) {
				t.Errorf("round %d: %s UID %d (%q) is not whole: %d octets", round, mb, uid, subject, len(body))
				continue
			}
			a, ok := st.acked[subject]
			if !ok || mb == "Copies" {
				continue
			}
			found[subject]++
			if mb == "INBOX" && uid != a.uid {
				t.Errorf("round %d: %q has UID %d, but APPEND answered APPENDUID %d", round, subject, uid, a.uid)
			}
			if !strings.Contains(flags, `\Flagged`) {
				t.Errorf("round %d: %q lost its \\Flagged flag: (%s)", round, subject, flags)
			}
			st.maxUID[mb] = max(st.maxUID[mb], uid)
		}
	}
	for subject := range st.acked {
		switch n := found[subject]; {
		case n == 0:
			t.Errorf("round %d: APPEND of %q was answered OK but the message is gone", round, subject)
		case n > 1:
			t.Errorf("round %d: %q is in INBOX and Moved %d times", round, subject, n)
		}
	}
	got := popCount(t, srv.addrs["pop3"])
	if got < st.popCount-st.popSlack || got > st.popCount+st.popExtra {
		t.Errorf("round %d: bob's maildrop has %d messages, want %d (deliveries answered 250, less deletions of sessions that reached QUIT)", round, got, st.popCount)
	}
	st.popCount, st.popSlack, st.popExtra = got, 0, 0
}

var fetchRE = regexp.MustCompile(`(?s)^\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) RFC822\.SIZE (\d+) BODY\[\] \{\d+\}\r\n(.*)\)$`)

func subjectOf(msg string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if s, ok := strings.CutPrefix(l, "Subject: "); ok {
			return s
		}
		if l == "" {
			break
		}
	}
	return ""
}

func searchUIDs(lines []string) string {
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "* SEARCH"); ok {
			return strings.ReplaceAll(strings.TrimSpace(rest), " ", ",")
		}
	}
	return ""
}

func popCount(t *testing.T, addr string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	var n int
	for _, cmd := range []string{"", "USER bob", "PASS builder", "STAT", "QUIT"} {
		if cmd != "" {
			fmt.Fprintf(c, "%s\r\n", cmd)
		}
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "+OK") {
			t.Fatalf("POP3 %q: %q, %v", cmd, line, err)
		}
		if cmd == "STAT" {
			fmt.Sscanf(line, "+OK %d", &n)
		}
	}
	return n
}

// imapTestConn is a minimal IMAP client: tagged commands, responses with
// literals folded into their lines.
type imapTestConn struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func dialIMAP(addr string) (*imapTestConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &imapTestConn{c: nc, r: bufio.NewReader(nc)}
	if _, err := c.readResponse(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func dialIMAPTest(t *testing.T, addr string) *imapTestConn {
	t.Helper()
	c, err := dialIMAP(addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *imapTestConn) close() { c.c.Close() }

var literalRE = regexp.MustCompile(`\{(\d+)\}\r\n$`)

// readResponse reads one response line, with any literals it announces.
func (c *imapTestConn) readResponse() (string, error) {
	var b strings.Builder
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		b.WriteString(line)
		m := literalRE.FindStringSubmatch(line)
		if m == nil {
			return strings.TrimSuffix(b.String(), "\r\n"), nil
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return "", err
		}
		b.Write(buf)
	}
}

// cmd sends a command and reads up to its tagged response.
func (c *imapTestConn) cmd(command string) (untagged []string, status string, err error) {
	c.tag++
	tag := fmt.Sprintf("k%d", c.tag)
	if _, err := fmt.Fprintf(c.c, "%s %s\r\n", tag, command); err != nil {
		return nil, "", err
	}
	return c.until(tag)
}

func (c *imapTestConn) until(tag string) ([]string, string, error) {
	var untagged []string
	for {
		l, err := c.readResponse()
		if err != nil {
			return untagged, "", err
		}
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l, nil
		}
		untagged = append(untagged, l)
	}
}

func (c *imapTestConn) appendMsg(mailbox, flags string, msg []byte) (string, error) {
	c.tag++
	tag := fmt.Sprintf("k%d", c.tag)
	if _, err := fmt.Fprintf(c.c, "%s APPEND %s %s {%d}\r\n", tag, mailbox, flags, len(msg)); err != nil {
		return "", err
	}
	l, err := c.readResponse()
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(l, "+") {
		return l, nil
	}
	if _, err := c.c.Write(append(msg, "\r\n"...)); err != nil {
		return "", err
	}
	_, status, err := c.until(tag)
	return status, err
}

func (c *imapTestConn) mustOK(t *testing.T, command string) ([]string, string) {
	t.Helper()
	lines, status, err := c.cmd(command)
	if err != nil || !strings.Contains(status, " OK") {
		t.Fatalf("%s: %q, %v", command, status, err)
	}
	return lines, status
}

// statusItem returns one STATUS item of a mailbox.
func (c *imapTestConn) statusItem(t *testing.T, mailbox, item string) string {
	t.Helper()
	lines, _ := c.mustOK(t, fmt.Sprintf("STATUS %s (%s)", mailbox, item))
	re := regexp.MustCompile(item + ` (\d+)`)
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	t.Fatalf("STATUS %s (%s) gave no %s: %q", mailbox, item, item, lines)
	return ""
}
