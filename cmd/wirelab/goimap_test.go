package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// goIMAPTimeout bounds every connection of the go-imap tests: each
// connection gets this deadline, so that a server that stops answering
// fails the test instead of hanging it.
const goIMAPTimeout = 60 * time.Second

// dialGoIMAP connects an imapclient to addr, logged in as alice. The
// connection is closed when the test ends.
func dialGoIMAP(t *testing.T, addr string, h *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(goIMAPTimeout))
	c := imapclient.New(conn, &imapclient.Options{UnilateralDataHandler: h})
	t.Cleanup(func() { c.Close() })
	if err := c.WaitGreeting(); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	if err := c.Login("alice", "wonderland").Wait(); err != nil {
		t.Fatalf("LOGIN: %v", err)
	}
	return c
}

// demoHeader parses the header of a demo message.
func demoHeader(t *testing.T, raw []byte) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.Header
}

// TestGoIMAP drives the server with emersion/go-imap v2's imapclient, an
// independent implementation: LOGIN, LIST, SELECT, FETCH of ENVELOPE,
// BODYSTRUCTURE and BODY[] compared with the demo world, SEARCH, STORE,
// COPY, MOVE, EXPUNGE, APPEND, RENAME, STATUS, and IDLE seeing another
// session's APPEND.
func TestGoIMAP(t *testing.T) {
	srv := startServe(t)
	addr := srv.addrs["imap"]
	inbox := demoInbox(t, "alice")

	updates := make(chan uint32, 16)
	c := dialGoIMAP(t, addr, &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case updates <- *d.NumMessages:
				default: // never block the client's reader
				}
			}
		},
	})

	// LIST
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	for _, want := range []string{"INBOX", "Sent", "Archive"} {
		if !slices.Contains(names, want) {
			t.Errorf("LIST gives %q, lacking %s", names, want)
		}
	}

	// SELECT
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	if sel.NumMessages != uint32(len(inbox)) || sel.UIDValidity == 0 {
		t.Errorf("SELECT: %d messages, UIDVALIDITY %d; want %d messages", sel.NumMessages, sel.UIDValidity, len(inbox))
	}

	// FETCH every message: ENVELOPE, BODYSTRUCTURE, BODY.PEEK[], and check
	// them against the world.
	whole := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: uint32(len(inbox))}}, &imap.FetchOptions{
		UID: true, Envelope: true, RFC822Size: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection:   []*imap.FetchItemBodySection{whole},
	}).Collect()
	if err != nil {
		t.Fatalf("FETCH: %v", err)
	}
	if len(msgs) != len(inbox) {
		t.Fatalf("FETCH 1:%d gave %d messages", len(inbox), len(msgs))
	}
	var dec mime.WordDecoder
	for i, m := range msgs {
		want := inbox[i]
		if got := m.FindBodySection(whole); !bytes.Equal(got, want) {
			t.Errorf("message %d: BODY[] is %d octets, want %d; first difference at %d", i+1, len(got), len(want), firstDiff(got, want))
		}
		if m.RFC822Size != int64(len(want)) {
			t.Errorf("message %d: RFC822.SIZE %d, want %d", i+1, m.RFC822Size, len(want))
		}
		h := demoHeader(t, want)
		subject, err := dec.DecodeHeader(h.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Envelope == nil {
			t.Fatalf("message %d: no ENVELOPE", i+1)
		}
		if m.Envelope.Subject != subject {
			t.Errorf("message %d: ENVELOPE subject %q, want %q", i+1, m.Envelope.Subject, subject)
		}
		if got, want := strings.Trim(m.Envelope.MessageID, "<>"), strings.Trim(h.Get("Message-ID"), "<>"); got != want {
			t.Errorf("message %d: ENVELOPE message-id %q, want %q", i+1, got, want)
		}
		if from, err := h.AddressList("From"); err == nil && (len(m.Envelope.From) != 1 || m.Envelope.From[0].Addr() != from[0].Address) {
			t.Errorf("message %d: ENVELOPE from %+v, want %s", i+1, m.Envelope.From, from[0].Address)
		}
		if m.BodyStructure == nil {
			t.Fatalf("message %d: no BODYSTRUCTURE", i+1)
		}
		ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.ToLower(m.BodyStructure.MediaType()); got != ct {
			t.Errorf("message %d: BODYSTRUCTURE type %s, want %s", i+1, got, ct)
		}
	}
	// Message 1's To is a group; message 2 has a PNG attachment.
	if to := msgs[0].Envelope.To; len(to) == 0 || !to[0].IsGroupStart() || to[0].Mailbox != "undisclosed-recipients" {
		t.Errorf("message 1: ENVELOPE to %+v, want the group undisclosed-recipients", to)
	}
	mp, ok := msgs[1].BodyStructure.(*imap.BodyStructureMultiPart)
	if !ok || len(mp.Children) != 2 {
		t.Fatalf("message 2: BODYSTRUCTURE %#v, want multipart with two parts", msgs[1].BodyStructure)
	}
	png, ok := mp.Children[1].(*imap.BodyStructureSinglePart)
	if !ok || png.MediaType() != "image/png" || !strings.EqualFold(png.Encoding, "base64") || png.Filename() != "lab1-topology.png" {
		t.Errorf("message 2 part 2: %#v, want image/png base64 lab1-topology.png", mp.Children[1])
	}
	part1 := &imap.FetchItemBodySection{Part: []int{1}, Peek: true}
	hdr := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	parts, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{part1, hdr}}).Collect()
	if err != nil || len(parts) != 1 {
		t.Fatalf("FETCH 2 BODY[1] BODY[HEADER]: %v", err)
	}
	if got := parts[0].FindBodySection(part1); !bytes.HasPrefix(got, []byte("Hi both,\r\n")) {
		t.Errorf("BODY[1] of message 2 starts %q", got[:min(len(got), 40)])
	}
	if got, want := parts[0].FindBodySection(hdr), inbox[1][:bytes.Index(inbox[1], []byte("\r\n\r\n"))+4]; !bytes.Equal(got, want) {
		t.Errorf("BODY[HEADER] of message 2:\n%q\nwant\n%q", got, want)
	}

	// SEARCH
	found, err := c.Search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "POP3 by hand"}}}, nil).Wait()
	if err != nil {
		t.Fatalf("SEARCH: %v", err)
	}
	if got := found.AllSeqNums(); !slices.Equal(got, []uint32{2}) {
		t.Errorf("SEARCH SUBJECT \"POP3 by hand\": %v, want [2]", got)
	}
	unseen, err := c.Search(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil || len(unseen.AllSeqNums()) == 0 || unseen.AllSeqNums()[0] != 4 {
		t.Errorf("SEARCH UNSEEN: %v %v, want 4 first", unseen, err)
	}

	// STORE
	stored, err := c.Store(imap.SeqSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "$study"}}, nil).Collect()
	if err != nil || len(stored) != 1 || !slices.Contains(stored[0].Flags, imap.FlagFlagged) || !slices.Contains(stored[0].Flags, "$study") {
		t.Errorf("STORE 3 +FLAGS: %+v %v", stored, err)
	}

	// COPY and MOVE into Archive.
	archiveBefore := statusMessages(t, c, "Archive")
	if _, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait(); err != nil {
		t.Errorf("COPY: %v", err)
	}
	moved, err := c.Move(imap.SeqSetNum(4), "Archive").Wait()
	if err != nil {
		t.Errorf("MOVE: %v", err)
	} else if moved.DestUIDs == nil {
		t.Errorf("MOVE gave no COPYUID")
	}
	if got := statusMessages(t, c, "Archive"); got != archiveBefore+2 {
		t.Errorf("Archive has %d messages after COPY and MOVE, want %d", got, archiveBefore+2)
	}

	// EXPUNGE
	if err := c.Store(imap.SeqSetNum(5), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Errorf("STORE \\Deleted: %v", err)
	}
	expunged, err := c.Expunge().Collect()
	if err != nil || !slices.Equal(expunged, []uint32{5}) {
		t.Errorf("EXPUNGE: %v %v, want [5]", expunged, err)
	}

	// APPEND
	msg := crlf([]byte("From: Alice Liddell <alice@example.com>\nTo: Bob Baker <bob@example.com>\nSubject: appended by go-imap\n\nhello\n"))
	app := c.Append("INBOX", int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := app.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	appended, err := app.Wait()
	if err != nil || appended.UID == 0 {
		t.Fatalf("APPEND: %+v %v", appended, err)
	}
	got, err := c.Fetch(imap.UIDSetNum(appended.UID), &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].FindBodySection(whole), msg) || !slices.Contains(got[0].Flags, imap.FlagSeen) {
		t.Errorf("UID FETCH of the appended message: %+v %v", got, err)
	}

	// RENAME and STATUS
	if err := c.Rename("Archive", "Archive 2025", nil).Wait(); err != nil {
		t.Errorf("RENAME: %v", err)
	}
	if got := statusMessages(t, c, "Archive 2025"); got != archiveBefore+2 {
		t.Errorf("STATUS of the renamed mailbox: %d messages, want %d", got, archiveBefore+2)
	}
	// INBOX: the demo's messages, less one moved and one expunged, plus
	// one appended.
	inboxNow := uint32(len(inbox)) - 1
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != inboxNow || st.UIDNext != appended.UID+1 || st.UIDValidity != sel.UIDValidity {
		t.Errorf("STATUS INBOX: %+v %v; want %d messages, UIDNEXT %d", st, err, inboxNow, appended.UID+1)
	}

	// IDLE: another session's APPEND arrives as EXISTS.
	for len(updates) > 0 {
		<-updates
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	other := dialGoIMAP(t, addr, nil)
	note := crlf([]byte("Subject: during IDLE\n\nping\n"))
	app2 := other.Append("INBOX", int64(len(note)), nil)
	if _, err := app2.Write(note); err != nil {
		t.Fatal(err)
	}
	if err := app2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := app2.Wait(); err != nil {
		t.Errorf("APPEND from the other session: %v", err)
	}
	select {
	case n := <-updates:
		if n != inboxNow+1 {
			t.Errorf("IDLE: EXISTS %d, want %d", n, inboxNow+1)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("IDLE: no EXISTS within 20s of the other session's APPEND")
	}
	if err := idle.Close(); err != nil {
		t.Errorf("DONE: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Errorf("IDLE: %v", err)
	}
	if err := other.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}
}

func statusMessages(t *testing.T, c *imapclient.Client, mailbox string) uint32 {
	t.Helper()
	st, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil {
		t.Fatalf("STATUS %s: %v", mailbox, err)
	}
	return *st.NumMessages
}

// TestGoIMAPResync is the CONDSTORE/QRESYNC resynchronisation of RFC 7162
// §3.2.5 and §6: a client notes HIGHESTMODSEQ, another session changes
// flags and expunges, and the client catches up.
//
// go-imap v2.0.0-beta.8 can SELECT with CONDSTORE and reports MODSEQ and
// CHANGEDSINCE results, but refuses to ENABLE QRESYNC ("imapclient: cannot
// enable "QRESYNC": not supported"), has no API for the QRESYNC SELECT
// parameter, and fails on an untagged VANISHED ("unsupported response
// type"). So the client does the CONDSTORE half (RFC 7162 §3.1.4.1
// CHANGEDSINCE, and UID SEARCH to find the expunged UIDs, as a client
// without QRESYNC must), and ENABLE QRESYNC with the QRESYNC SELECT and
// its VANISHED (EARLIER) is checked on a plain connection speaking the
// RFC's syntax.
func TestGoIMAPResync(t *testing.T) {
	srv := startServe(t)
	addr := srv.addrs["imap"]

	c := dialGoIMAP(t, addr, nil)
	if !c.Caps().Has(imap.CapQResync) || !c.Caps().Has(imap.CapCondStore) {
		t.Fatalf("capabilities %v lack CONDSTORE or QRESYNC", c.Caps())
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil || sel.HighestModSeq == 0 {
		t.Fatalf("SELECT (CONDSTORE): %+v %v", sel, err)
	}
	before, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	known := before.AllUIDs()
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}

	// Another client flags UID 3, deletes UIDs 2 and 5 and expunges them.
	other := dialGoIMAP(t, addr, nil)
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatalf("STORE: %v", err)
	}
	if err := other.Store(imap.UIDSetNum(2, 5), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatalf("STORE: %v", err)
	}
	if _, err := other.Expunge().Collect(); err != nil {
		t.Fatalf("EXPUNGE: %v", err)
	}
	if err := other.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}

	// The client reselects and asks what changed since HIGHESTMODSEQ.
	sel2, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel2.UIDValidity != sel.UIDValidity || sel2.HighestModSeq <= sel.HighestModSeq {
		t.Errorf("reselect: UIDVALIDITY %d HIGHESTMODSEQ %d, was %d %d", sel2.UIDValidity, sel2.HighestModSeq, sel.UIDValidity, sel.HighestModSeq)
	}
	changed, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: sel.HighestModSeq}).Collect()
	if err != nil {
		t.Fatalf("UID FETCH CHANGEDSINCE: %v", err)
	}
	if len(changed) != 1 || changed[0].UID != 3 || !slices.Contains(changed[0].Flags, imap.FlagFlagged) || changed[0].ModSeq <= sel.HighestModSeq {
		t.Errorf("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d): %+v, want UID 3 \\Flagged with a higher MODSEQ", sel.HighestModSeq, changed)
	}
	after, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	var gone []imap.UID
	for _, u := range known {
		if !slices.Contains(after.AllUIDs(), u) {
			gone = append(gone, u)
		}
	}
	if !slices.Equal(gone, []imap.UID{2, 5}) {
		t.Errorf("UIDs gone since the first SELECT: %v, want [2 5]", gone)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}

	// QRESYNC SELECT (RFC 7162 §3.2.5.1) on a plain connection.
	out := rawIMAP(t, addr,
		"a LOGIN alice wonderland",
		"b ENABLE QRESYNC",
		fmt.Sprintf("c SELECT INBOX (QRESYNC (%d %d 1:9))", sel.UIDValidity, sel.HighestModSeq),
		"d LOGOUT")
	for _, re := range []string{
		`(?m)^\* VANISHED \(EARLIER\) 2,5\r$`,
		`(?m)^\* \d+ FETCH \((?:.* )?UID 3 .*\\Flagged.*\)\r$`,
		fmt.Sprintf(`(?m)^\* OK \[HIGHESTMODSEQ %d\]`, sel2.HighestModSeq),
		`(?m)^\* ENABLED QRESYNC\r$`,
		`(?m)^c OK `,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("QRESYNC SELECT: no line matching %s in\n%s", re, out)
		}
	}
	if n := strings.Count(out, " FETCH ("); n != 1 {
		t.Errorf("QRESYNC SELECT sent %d FETCH responses, want 1 (UID 3):\n%s", n, out)
	}
}

// rawIMAP sends each line after the previous command's tagged response
// and returns everything the server sent.
func rawIMAP(t *testing.T, addr string, lines ...string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(goIMAPTimeout))
	r := bufio.NewReader(conn)
	var b strings.Builder
	read := func(tag string) {
		for {
			l, err := r.ReadString('\n')
			b.WriteString(l)
			if err != nil {
				if err != io.EOF {
					t.Errorf("reading: %v", err)
				}
				return
			}
			if strings.HasPrefix(l, tag+" ") {
				return
			}
		}
	}
	read("*")
	for _, l := range lines {
		tag, _, _ := strings.Cut(l, " ")
		fmt.Fprintf(conn, "%s\r\n", l)
		read(tag)
	}
	return b.String()
}
