package pop3_test

// Two devices, a laptop and a phone, read alice's mail over POP3, each sync
// on a connection of its own: the lecture's demonstration of why
// download-and-delete scatters mail, why download-and-keep needs UIDL
// (RFC 1939 §7), and why a second device meets the maildrop lock (RFC 1939
// §8, RFC 2449 §8.1.2 IN-USE).

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wirelab/wirelab/engine/pop3"
	"github.com/wirelab/wirelab/engine/transport"
)

// devNewMail is delivered to alice after the first sync.
const devNewMail = "From: Carol Nguyen <carol@example.com>\n" +
	"To: Alice Liddell <alice@example.com>\n" +
	"Subject: Lab 2 moved to room B-210\n" +
	"\n" +
	"Same time, new room.\n" +
	".\n" +
	"Carol\n"

// devSync syncs d as alice and fails the test on an error.
func devSync(t *testing.T, lab *cliLab, d *pop3.Device) pop3.SyncReport {
	t.Helper()
	rep, err := d.Sync(lab.connect(), "alice", "wonderland")
	if err != nil {
		t.Fatalf("%s sync: %v", d.Name, err)
	}
	return rep
}

// devRemote lists msgs as the server numbers them, with their unique-ids
// when uidls is not nil.
func devRemote(msgs [][]byte, uidls []string) []pop3.RemoteMessage {
	var out []pop3.RemoteMessage
	for i, m := range msgs {
		r := pop3.RemoteMessage{Number: i + 1, Octets: int64(len(m))}
		if uidls != nil {
			r.UIDL = uidls[i]
		}
		out = append(out, r)
	}
	return out
}

// devLocal is what a device's store holds after downloading msgs in one
// sync.
func devLocal(sync int, msgs [][]byte, uidls []string) []pop3.LocalMessage {
	var out []pop3.LocalMessage
	for i, m := range msgs {
		l := pop3.LocalMessage{Data: m, Sync: sync}
		if uidls != nil {
			l.UIDL = uidls[i]
		}
		out = append(out, l)
	}
	return out
}

// devAsText compares message bytes as strings: faster than element by
// element for the demo's 100 KB message, and the diff is readable.
var devAsText = cmp.Transformer("string", func(b []byte) string { return string(b) })

// devCheckLocal compares a device's local store.
func devCheckLocal(t *testing.T, d *pop3.Device, want []pop3.LocalMessage) {
	t.Helper()
	if diff := cmp.Diff(want, d.Local(), cmpopts.EquateEmpty(), devAsText); diff != "" {
		t.Errorf("%s's local store (-want +got):\n%s", d.Name, diff)
	}
}

// devCheckReport compares a sync report.
func devCheckReport(t *testing.T, want, got pop3.SyncReport) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s sync %d report (-want +got):\n%s", want.Device, want.Sync, diff)
	}
}

// TestDeviceDownloadAndDelete: the laptop takes everything, so the phone
// only ever sees what arrived after; each message lives on one device.
func TestDeviceDownloadAndDelete(t *testing.T) {
	lab := newCliLab(t)
	inbox := cliWorldInbox("alice")
	newMail := cliCRLF([]byte(devNewMail))
	laptop := &pop3.Device{Name: "laptop", Mode: pop3.DownloadAndDelete}
	phone := &pop3.Device{Name: "phone", Mode: pop3.DownloadAndDelete}

	rep := devSync(t, lab, laptop)
	all := devRemote(inbox, nil)
	devCheckReport(t, pop3.SyncReport{
		Device: "laptop", Sync: 1, Listed: 9,
		Downloaded: all, DownloadedOctets: cliOctets(inbox), Deleted: all,
	}, rep)
	if got, want := rep.String(), fmt.Sprintf("laptop sync 1: 9 listed, 9 downloaded (%d octets), 0 skipped, 9 deleted", cliOctets(inbox)); got != want {
		t.Errorf("report summary = %q, want %q", got, want)
	}
	if got := lab.uids("alice"); len(got) != 0 {
		t.Fatalf("maildrop after the laptop's sync holds UIDs %v, want none", got)
	}

	lab.deliver("alice", devNewMail)
	rep = devSync(t, lab, phone)
	one := devRemote([][]byte{newMail}, nil)
	devCheckReport(t, pop3.SyncReport{
		Device: "phone", Sync: 1, Listed: 1,
		Downloaded: one, DownloadedOctets: int64(len(newMail)), Deleted: one,
	}, rep)

	devCheckLocal(t, laptop, devLocal(1, inbox, nil))
	devCheckLocal(t, phone, devLocal(1, [][]byte{newMail}, nil))
	if got := lab.uids("alice"); len(got) != 0 {
		t.Errorf("maildrop after both syncs holds UIDs %v, want none", got)
	}
}

// TestDeviceDownloadAndKeepWithoutUIDL: nothing tells the laptop what it
// already has, so every sync downloads everything again.
func TestDeviceDownloadAndKeepWithoutUIDL(t *testing.T) {
	lab := newCliLab(t)
	inbox := cliWorldInbox("alice")
	before := lab.uids("alice")
	laptop := &pop3.Device{Name: "laptop", Mode: pop3.DownloadAndKeep}
	phone := &pop3.Device{Name: "phone", Mode: pop3.DownloadAndKeep}
	all := devRemote(inbox, nil)

	for sync := 1; sync <= 2; sync++ {
		rep := devSync(t, lab, laptop)
		devCheckReport(t, pop3.SyncReport{
			Device: "laptop", Sync: sync, Listed: 9,
			Downloaded: all, DownloadedOctets: cliOctets(inbox),
		}, rep)
	}
	rep := devSync(t, lab, phone)
	devCheckReport(t, pop3.SyncReport{
		Device: "phone", Sync: 1, Listed: 9,
		Downloaded: all, DownloadedOctets: cliOctets(inbox),
	}, rep)

	// The laptop now holds every message twice.
	devCheckLocal(t, laptop, append(devLocal(1, inbox, nil), devLocal(2, inbox, nil)...))
	devCheckLocal(t, phone, devLocal(1, inbox, nil))
	if diff := cmp.Diff(before, lab.uids("alice")); diff != "" {
		t.Errorf("maildrop UIDs changed (-before +after):\n%s", diff)
	}
	if got := laptop.Seen(); len(got) != 0 {
		t.Errorf("laptop saw unique-ids %v without asking for UIDL", got)
	}
}

// TestDeviceDownloadAndKeepWithUIDL: unique-ids let each device download a
// message once, however often it syncs.
func TestDeviceDownloadAndKeepWithUIDL(t *testing.T) {
	lab := newCliLab(t)
	inbox := cliWorldInbox("alice")
	newMail := cliCRLF([]byte(devNewMail))
	laptop := &pop3.Device{Name: "laptop", Mode: pop3.DownloadAndKeep, UseUIDL: true}
	phone := &pop3.Device{Name: "phone", Mode: pop3.DownloadAndKeep, UseUIDL: true}

	uidls := lab.uidls("alice", "wonderland")
	rep := devSync(t, lab, laptop)
	devCheckReport(t, pop3.SyncReport{
		Device: "laptop", Sync: 1, Listed: 9,
		Downloaded: devRemote(inbox, uidls), DownloadedOctets: cliOctets(inbox),
	}, rep)

	lab.deliver("alice", devNewMail)
	all := append(append([][]byte{}, inbox...), newMail)
	uidls = lab.uidls("alice", "wonderland")
	remote := devRemote(all, uidls)
	rep = devSync(t, lab, laptop)
	devCheckReport(t, pop3.SyncReport{
		Device: "laptop", Sync: 2, Listed: 10,
		Downloaded: remote[9:], DownloadedOctets: int64(len(newMail)),
		Skipped: remote[:9],
	}, rep)

	rep = devSync(t, lab, phone)
	devCheckReport(t, pop3.SyncReport{
		Device: "phone", Sync: 1, Listed: 10,
		Downloaded: remote, DownloadedOctets: cliOctets(all),
	}, rep)

	devCheckLocal(t, laptop, append(devLocal(1, inbox, uidls[:9]), devLocal(2, [][]byte{newMail}, uidls[9:])...))
	devCheckLocal(t, phone, devLocal(1, all, uidls))
	sorted := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	for _, d := range []*pop3.Device{laptop, phone} {
		if diff := cmp.Diff(uidls, d.Seen(), sorted); diff != "" {
			t.Errorf("%s's seen unique-ids (-want +got):\n%s", d.Name, diff)
		}
	}
	if got := lab.uids("alice"); len(got) != 10 {
		t.Errorf("maildrop holds %d messages, want 10", len(got))
	}
}

// TestDeviceMaildropInUse: while the phone is in the middle of its sync,
// holding the maildrop lock, the laptop's sync is refused with IN-USE and
// changes nothing; once the phone has quit, the laptop gets through.
func TestDeviceMaildropInUse(t *testing.T) {
	lab := newCliLab(t)
	inbox := cliWorldInbox("alice")
	laptop := &pop3.Device{Name: "laptop", Mode: pop3.DownloadAndDelete}
	phone := &pop3.Device{Name: "phone", Mode: pop3.DownloadAndKeep}

	var (
		laptopRep pop3.SyncReport
		laptopErr error
		tried     bool
	)
	// The trace hook runs on the phone's goroutine as it sends each line:
	// at its first RETR the phone is logged in and holds the lock.
	phone.Trace = func(dir pop3.Direction, line string) {
		if dir == pop3.ClientToServer && line == "RETR 1" && !tried {
			tried = true
			laptopRep, laptopErr = laptop.Sync(lab.connect(), "alice", "wonderland")
		}
	}
	devSync(t, lab, phone)
	if !tried {
		t.Fatal("the phone never sent RETR 1")
	}
	const wantMsg = "pop3: PASS: -ERR [IN-USE] Maildrop is locked by another POP3 session"
	if laptopErr == nil || laptopErr.Error() != wantMsg {
		t.Errorf("laptop sync during the phone's: error = %v, want %q", laptopErr, wantMsg)
	}
	var se *pop3.Error
	if !errors.As(laptopErr, &se) || se.Code != "IN-USE" {
		t.Errorf("laptop sync error %v does not wrap a *pop3.Error with Code IN-USE", laptopErr)
	}
	devCheckReport(t, pop3.SyncReport{Device: "laptop", Sync: 1}, laptopRep)
	devCheckLocal(t, laptop, nil)
	devCheckLocal(t, phone, devLocal(1, inbox, nil))

	all := devRemote(inbox, nil)
	rep := devSync(t, lab, laptop)
	devCheckReport(t, pop3.SyncReport{
		Device: "laptop", Sync: 2, Listed: 9,
		Downloaded: all, DownloadedOctets: cliOctets(inbox), Deleted: all,
	}, rep)
	devCheckLocal(t, laptop, devLocal(2, inbox, nil))
}

// TestDeviceDialogue checks the commands a device sends in each mode, on
// bob's three messages.
func TestDeviceDialogue(t *testing.T) {
	login := []string{"USER bob", "PASS builder", "LIST"}
	tests := []struct {
		name    string
		mode    pop3.Mode
		useUIDL bool
		syncs   int
		want    []string // the commands of the last sync
	}{
		{
			name: "download-and-delete", mode: pop3.DownloadAndDelete, syncs: 1,
			want: append(login, "RETR 1", "DELE 1", "RETR 2", "DELE 2", "RETR 3", "DELE 3", "QUIT"),
		},
		{
			name: "download-and-keep", mode: pop3.DownloadAndKeep, syncs: 2,
			want: append(login, "RETR 1", "RETR 2", "RETR 3", "QUIT"),
		},
		{
			name: "download-and-keep with UIDL, first sync", mode: pop3.DownloadAndKeep, useUIDL: true, syncs: 1,
			want: append(login, "UIDL", "RETR 1", "RETR 2", "RETR 3", "QUIT"),
		},
		{
			name: "download-and-keep with UIDL, second sync", mode: pop3.DownloadAndKeep, useUIDL: true, syncs: 2,
			want: append(login, "UIDL", "QUIT"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lab := newCliLab(t)
			var tr cliTranscript
			d := &pop3.Device{Name: "laptop", Mode: tc.mode, UseUIDL: tc.useUIDL, Trace: tr.trace}
			for range tc.syncs {
				tr.lines = nil
				if _, err := d.Sync(lab.connect(), "bob", "builder"); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, tr.sent()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeviceErrors checks that a sync that fails leaves the server's
// maildrop as it was.
func TestDeviceErrors(t *testing.T) {
	t.Run("no mode", func(t *testing.T) {
		cs, ss := transport.Pipe()
		defer ss.Close()
		d := &pop3.Device{Name: "tablet"}
		rep, err := d.Sync(cs, "alice", "wonderland")
		if !errors.Is(err, pop3.ErrNoMode) || err.Error() != "pop3: device has no mode: tablet" {
			t.Errorf("error = %v, want pop3.ErrNoMode for tablet", err)
		}
		devCheckReport(t, pop3.SyncReport{Device: "tablet", Sync: 1}, rep)
		// The device closed its end without a word.
		if n, err := ss.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("server end read %d bytes, %v; want the end of the stream", n, err)
		}
	})
	t.Run("connection lost mid-sync", func(t *testing.T) {
		// RFC 1939 §6: without QUIT the server deletes nothing, so the
		// message the device had already downloaded and marked with DELE
		// stays on the server and comes down again at the next sync.
		lab := newCliLab(t)
		inbox := cliWorldInbox("alice")
		before := lab.uids("alice")
		d := &pop3.Device{Name: "laptop", Mode: pop3.DownloadAndDelete}
		conn := lab.connect()
		d.Trace = func(dir pop3.Direction, line string) {
			if dir == pop3.ClientToServer && line == "RETR 2" {
				conn.Close() // the train enters a tunnel
			}
		}
		rep, err := d.Sync(conn, "alice", "wonderland")
		if !errors.Is(err, io.ErrClosedPipe) || !strings.HasPrefix(err.Error(), "pop3: RETR 2: ") {
			t.Errorf("error = %v, want RETR 2 failing with io.ErrClosedPipe", err)
		}
		first := devRemote(inbox[:1], nil)
		devCheckReport(t, pop3.SyncReport{
			Device: "laptop", Sync: 1, Listed: 9,
			Downloaded: first, DownloadedOctets: int64(len(inbox[0])), Deleted: first,
		}, rep)
		if diff := cmp.Diff(before, lab.uids("alice")); diff != "" {
			t.Errorf("maildrop UIDs changed (-before +after):\n%s", diff)
		}

		d.Trace = nil
		lab.waitEnded()
		devSync(t, lab, d)
		devCheckLocal(t, d, append(devLocal(1, inbox[:1], nil), devLocal(2, inbox, nil)...))
		if got := lab.uids("alice"); len(got) != 0 {
			t.Errorf("maildrop after the second sync holds UIDs %v, want none", got)
		}
	})
}
