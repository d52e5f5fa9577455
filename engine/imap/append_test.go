package imap_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// appendMsg is the message the APPEND tests send: RFC 9051 §6.3.12's.
const appendMsg = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
	"From: Fred Foobar <foobar@Blurdybloop.example>\r\n" +
	"Subject: afternoon meeting\r\n" +
	"To: mooch@owatagu.siam.edu.example\r\n" +
	"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
	"\r\n" +
	"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"

func TestAppend(t *testing.T) {
	lit := fmt.Sprintf("{%d}\r\n%s", len(appendMsg), appendMsg)
	litPlus := fmt.Sprintf("{%d+}\r\n%s", len(appendMsg), appendMsg)
	type stored struct {
		Flags []mailstore.Flag
		Date  string // internal date, UTC
		Raw   string
	}
	for _, tc := range []struct {
		name   string
		cmd    string
		want   []string // {v} stands for Archive's UIDVALIDITY
		stored *stored  // Archive's new message 3, if one is expected
	}{
		{"flags and date, synchronizing literal", `a APPEND Archive (\Seen $Work) "17-Jul-1996 02:44:25 -0700" ` + lit,
			[]string{"+ Ready for literal data", "a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{[]mailstore.Flag{`\Seen`, "$Work"}, "1996-07-17 09:44:25", appendMsg}},
		{"LITERAL+", `a APPEND Archive (\Flagged) ` + litPlus,
			[]string{"a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{[]mailstore.Flag{`\Flagged`}, testNow.UTC().Format(time.DateTime), appendMsg}},
		{"no flags, no date: now", "a APPEND Archive " + litPlus,
			[]string{"a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{nil, testNow.UTC().Format(time.DateTime), appendMsg}},
		{"date only, space-padded day", `a APPEND Archive " 7-Feb-1994 21:52:25 -0800" ` + litPlus,
			[]string{"a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{nil, "1994-02-08 05:52:25", appendMsg}},
		{"empty flag list", "a APPEND Archive () " + litPlus,
			[]string{"a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{nil, testNow.UTC().Format(time.DateTime), appendMsg}},
		{"system flags in any case; \\Recent ignored", `a APPEND Archive (\seen \DRAFT \Recent) ` + litPlus,
			[]string{"a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{[]mailstore.Flag{`\Draft`, `\Seen`}, testNow.UTC().Format(time.DateTime), appendMsg}},
		{"literal8 may carry NUL", "a APPEND Archive ~{7+}\r\nx\x00y\r\n\r\n",
			[]string{"a OK [APPENDUID {v} 3] APPEND completed"},
			&stored{nil, testNow.UTC().Format(time.DateTime), "x\x00y\r\n\r\n"}},
		{"missing mailbox", "a APPEND Nowhere " + litPlus,
			[]string{"a NO [TRYCREATE] No such mailbox; create it first"}, nil},
		{"missing mailbox, synchronizing", "a APPEND Nowhere " + lit,
			[]string{"+ Ready for literal data", "a NO [TRYCREATE] No such mailbox; create it first"}, nil},
		{"unknown system flag", `a APPEND Archive (\Frob) ` + litPlus,
			[]string{`a NO Invalid flag \Frob`}, nil},
		{"NUL in a literal", "a APPEND Archive {7+}\r\nx\x00y\r\n\r\n",
			[]string{"a BAD The message contains NUL, which a literal may not carry (use literal8, ~{n})"}, nil},
		{"bad date-time", `a APPEND Archive "31-Feb-2025 00:00:00 +0000" ` + litPlus,
			[]string{`a BAD invalid date-time "\"31-Feb-2025 00:00:00 +0000\"" (no such day)`}, nil},
		{"quoted string instead of a literal", `a APPEND Archive "hello"`,
			[]string{`a BAD invalid date-time "\"hello\"" (expected "dd-Mon-yyyy hh:mm:ss +zzzz")`}, nil},
		{"no message", `a APPEND Archive`,
			[]string{"a BAD expected SP after mailbox name, found end of command"}, nil},
		{"something after the literal", "a APPEND Archive {3+}\r\nabc extra",
			[]string{"a BAD expected end of command after literal, found SP"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.login(t, "alice")
			r := strings.NewReplacer("{v}", fmt.Sprint(e.validity(t, "alice", "Archive")))
			var want []string
			for _, w := range tc.want {
				want = append(want, r.Replace(w))
			}
			if diff := cmp.Diff(want, respLines(feed(s, tc.cmd))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			msgs, _, err := e.store.List("alice", "Archive")
			if err != nil {
				t.Fatal(err)
			}
			if tc.stored == nil {
				if len(msgs) != 2 {
					t.Errorf("Archive has %d messages, want 2", len(msgs))
				}
				return
			}
			if len(msgs) != 3 {
				t.Fatalf("Archive has %d messages, want 3", len(msgs))
			}
			raw, err := e.store.Read("alice", "Archive", 3)
			if err != nil {
				t.Fatal(err)
			}
			got := stored{msgs[2].Flags, msgs[2].InternalDate.UTC().Format(time.DateTime), string(raw)}
			if diff := cmp.Diff(*tc.stored, got); diff != "" {
				t.Errorf("stored message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAppendTooBig: a synchronizing literal over the limit is refused
// before the client sends it (RFC 7888 §4, RFC 9051 §7.1 TOOBIG), so the
// session goes on with the next command. With the default limits the
// Reader refuses it (its MaxLiteral is the store's MaxMessageSize); with
// a Reader that takes larger literals, the session's literalRequest
// refuses APPENDs over the store's limit all the same.
func TestAppendTooBig(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxLiteral int64
		want       string
	}{
		{"reader limit", 0, fmt.Sprintf("a NO [TOOBIG] Literal of %d octets exceeds the limit of %d", mailstore.MaxMessageSize+1, mailstore.MaxMessageSize)},
		{"store limit", 2 * mailstore.MaxMessageSize, fmt.Sprintf("a NO [TOOBIG] Message of %d octets exceeds the limit of %d", mailstore.MaxMessageSize+1, mailstore.MaxMessageSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Limits.MaxLiteral = tc.maxLiteral
			e.cfg.Limits.MaxCommand = 3 * tc.maxLiteral
			s := e.login(t, "alice")
			got := respLines(feed(s, fmt.Sprintf("a APPEND INBOX {%d}", mailstore.MaxMessageSize+1), "b NOOP"))
			if diff := cmp.Diff([]string{tc.want, "b OK NOOP completed"}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAppendSelected: APPEND to the selected mailbox reports the new
// message in its own response (RFC 9051 §6.3.12), and other sessions on
// the mailbox see it as EXISTS.
func TestAppendSelected(t *testing.T) {
	e := newEnv(t)
	a := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	b := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	v := e.validity(t, "alice", "INBOX")
	want := []string{"* 10 EXISTS", `* 10 FETCH (UID 10 FLAGS (\Seen))`, fmt.Sprintf("x OK [APPENDUID %d 10] APPEND completed", v)}
	if diff := cmp.Diff(want, respLines(feed(a, fmt.Sprintf(`x APPEND INBOX (\Seen) {%d+}`+"\r\n%s", len(appendMsg), appendMsg)))); diff != "" {
		t.Errorf("APPEND (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`* ESEARCH (TAG "y") ALL 10`, "y OK SEARCH completed"}, respLines(feed(a, "y SEARCH SUBJECT afternoon"))); diff != "" {
		t.Errorf("SEARCH (-want +got):\n%s", diff)
	}
	want = []string{"* 10 EXISTS", `* 10 FETCH (UID 10 FLAGS (\Seen))`, "n OK NOOP completed"}
	if diff := cmp.Diff(want, respLines(feed(b, "n NOOP"))); diff != "" {
		t.Errorf("other session's NOOP (-want +got):\n%s", diff)
	}
	// APPEND to another mailbox says nothing about the selected one.
	want = []string{fmt.Sprintf("z OK [APPENDUID %d 3] APPEND completed", e.validity(t, "alice", "Archive"))}
	if diff := cmp.Diff(want, respLines(feed(a, fmt.Sprintf("z APPEND Archive {%d+}\r\n%s", len(appendMsg), appendMsg)))); diff != "" {
		t.Errorf("APPEND to Archive (-want +got):\n%s", diff)
	}
}

// TestAppendSelectedWhileFeedBusy: when another goroutine is delivering
// the mailbox's earlier changes at the moment of the APPEND, the store's
// Appended change reaches the session only later; the session still
// reports the new message (and the earlier one) in the APPEND's response,
// and not a second time when the late changes arrive.
func TestAppendSelectedWhileFeedBusy(t *testing.T) {
	e := newEnv(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	// Registered first, so it sees each change before the session does.
	cancel := e.store.Watch("alice", "INBOX", func(c mailstore.Change) {
		if c.Kind == mailstore.Appended {
			once.Do(func() {
				close(entered)
				<-release
			})
		}
	})
	defer cancel()
	a := e.opened(t, "alice", "INBOX", "IMAP4rev2")
	delivered := make(chan error)
	go func() {
		_, err := e.store.Deliver("alice", "INBOX", []byte("Subject: first\r\n\r\nx\r\n"), nil, testNow)
		delivered <- err
	}()
	<-entered // the other delivery is stuck in the feed, holding it
	want := []string{"* 11 EXISTS", fmt.Sprintf("x OK [APPENDUID %d 11] APPEND completed", e.validity(t, "alice", "INBOX"))}
	if diff := cmp.Diff(want, respLines(feed(a, fmt.Sprintf("x APPEND INBOX {%d+}\r\n%s", len(appendMsg), appendMsg)))); diff != "" {
		t.Errorf("APPEND (-want +got):\n%s", diff)
	}
	close(release)
	if err := <-delivered; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"n OK NOOP completed"}, respLines(feed(a, "n NOOP"))); diff != "" {
		t.Errorf("NOOP after the late changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`* ESEARCH (TAG "s") ALL 10:11`, "s OK SEARCH completed"}, respLines(feed(a, "s SEARCH 10:*"))); diff != "" {
		t.Errorf("SEARCH (-want +got):\n%s", diff)
	}
}

// TestAppendSingleWrites shows that an APPEND costs no Nagle/delayed-ACK
// stall (about 40 ms per command on real TCP when a server writes one
// response in several small segments): Serve answers the synchronizing
// literal's continuation request as soon as the command line is in, on
// the virtual clock's same instant, and writes every response, and every
// batch of pipelined responses, with a single Write.
func TestAppendSingleWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.serve(t, t.Context(), imap.ServeOptions{ID: 1})
		start := c.clk.Now()
		var reads []string // what the client read, one entry per response
		reads = append(reads, c.line())
		c.send("a LOGIN alice wonderland")
		reads = append(reads, c.line())
		c.send(fmt.Sprintf("b APPEND INBOX {%d}", len(appendMsg)))
		cont := c.line()
		if cont != "+ Ready for literal data\r\n" {
			t.Fatalf("continuation request: %q", cont)
		}
		if now := c.clk.Now(); !now.Equal(start) {
			t.Errorf("the continuation request came after %v of virtual time", now.Sub(start))
		}
		reads = append(reads, cont)
		c.sendRaw(appendMsg + "\r\n")
		reads = append(reads, c.line())
		// Three pipelined LITERAL+ APPENDs in one segment: one answer.
		var batch strings.Builder
		for _, tag := range []string{"c", "d", "f"} {
			fmt.Fprintf(&batch, "%s APPEND INBOX {%d+}\r\n%s\r\n", tag, len(appendMsg), appendMsg)
		}
		c.sendRaw(batch.String())
		reads = append(reads, c.line()+c.line()+c.line())
		c.send("z LOGOUT")
		reads = append(reads, c.rest())
		if res := c.wait(); res.err != nil {
			t.Errorf("Serve: %v", res.err)
		}
		v := e.validity(t, "alice", "INBOX")
		if want := fmt.Sprintf("b OK [APPENDUID %d 10] APPEND completed\r\n", v); reads[3] != want {
			t.Errorf("APPEND: %q, want %q", reads[3], want)
		}
		if want := fmt.Sprintf("c OK [APPENDUID %[1]d 11] APPEND completed\r\nd OK [APPENDUID %[1]d 12] APPEND completed\r\nf OK [APPENDUID %[1]d 13] APPEND completed\r\n", v); reads[4] != want {
			t.Errorf("pipelined APPENDs: %q, want %q", reads[4], want)
		}
		if diff := cmp.Diff(reads, c.writes()); diff != "" {
			t.Errorf("server writes, one per response (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkAppend measures APPENDs through Feed, each with a LITERAL+
// literal of a 2 KB message, into a mem.FS store.
func BenchmarkAppend(b *testing.B) {
	e := newEnv(b)
	if err := e.store.CreateMailbox("alice", "Bench"); err != nil {
		b.Fatal(err)
	}
	s := e.login(b, "alice")
	body := appendMsg + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 30)
	cmd := []byte(fmt.Sprintf("a APPEND Bench (\\Seen) {%d+}\r\n%s\r\n", len(body), body))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		r := s.Feed(cmd, testNow)
		if len(r) != 1 || !strings.HasPrefix(string(r[0].Data), "a OK [APPENDUID") {
			b.Fatalf("APPEND: %+v", r)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
