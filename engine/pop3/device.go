package pop3

// A mail user agent on a device, as the networking lecture shows POP3: each
// sync logs in, downloads, maybe deletes, and quits. With several devices
// on one maildrop, download-and-delete scatters the mail between them and
// download-and-keep without UIDL (RFC 1939 §7) downloads it again and again.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/wirelab/wirelab/engine/transport"
)

// Mode is what a device does with a message once it has downloaded it.
type Mode int

// The two POP3 modes of a mail user agent. There is no default: a zero Mode
// is refused, since guessing "delete" loses mail on other devices.
const (
	// DownloadAndDelete deletes every message from the server after
	// retrieving it: the mail then lives on whichever device synced first.
	DownloadAndDelete Mode = iota + 1
	// DownloadAndKeep leaves the messages on the server, so that other
	// devices get them too.
	DownloadAndKeep
)

func (m Mode) String() string {
	switch m {
	case DownloadAndDelete:
		return "download-and-delete"
	case DownloadAndKeep:
		return "download-and-keep"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ErrNoMode is returned by Sync for a device whose Mode is not set.
var ErrNoMode = errors.New("pop3: device has no mode")

// Device is a mail user agent on one device, keeping the messages it
// downloads in a local store. Configure it through its fields before the
// first Sync. It is not safe for concurrent use.
type Device struct {
	// Name identifies the device in reports ("laptop", "phone").
	Name string
	Mode Mode
	// UseUIDL makes the device ask for unique-ids (RFC 1939 §7) and
	// download only messages it has not seen before. Without it, every
	// message on the server is downloaded at every sync.
	UseUIDL bool
	// Trace, when not nil, is called with every line of every sync's
	// dialogue, as ClientOptions.Trace is.
	Trace func(dir Direction, line string)

	local []LocalMessage
	seen  map[string]bool
	syncs int
}

// LocalMessage is a message in a device's local store.
type LocalMessage struct {
	// Data is the message as RETR gave it, with CRLF line endings.
	Data []byte
	// UIDL is the message's unique-id on the server, or "" when the device
	// does not use UIDL.
	UIDL string
	// Sync is the number of the sync (1 for the first) that downloaded it.
	Sync int
}

// RemoteMessage is a message as the server listed it during a sync.
type RemoteMessage struct {
	Number int    // message number in that session (RFC 1939 §5)
	UIDL   string // unique-id, or "" when the device does not use UIDL
	Octets int64  // size from LIST
}

// SyncReport says what one sync did.
type SyncReport struct {
	Device string
	Sync   int // 1 for the device's first sync
	// Listed is how many messages the maildrop held at login.
	Listed int
	// Downloaded are the messages retrieved, in order.
	Downloaded []RemoteMessage
	// DownloadedOctets is the size of what was retrieved.
	DownloadedOctets int64
	// Skipped are the messages not retrieved because their unique-id was
	// already seen.
	Skipped []RemoteMessage
	// Deleted are the messages marked with DELE; the server removes them
	// when the sync's QUIT succeeds (RFC 1939 §6).
	Deleted []RemoteMessage
}

// String summarises the report on one line for a log or a status bar.
func (r SyncReport) String() string {
	return fmt.Sprintf("%s sync %d: %d listed, %d downloaded (%d octets), %d skipped, %d deleted",
		r.Device, r.Sync, r.Listed, len(r.Downloaded), r.DownloadedOctets, len(r.Skipped), len(r.Deleted))
}

// Local returns a copy of the device's local store, oldest first.
func (d *Device) Local() []LocalMessage {
	out := make([]LocalMessage, len(d.local))
	for i, m := range d.local {
		m.Data = bytes.Clone(m.Data)
		out[i] = m
	}
	return out
}

// Seen returns the unique-ids the device has downloaded, sorted.
func (d *Device) Seen() []string {
	out := make([]string, 0, len(d.seen))
	for id := range d.seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Syncs returns how many syncs the device has started.
func (d *Device) Syncs() int { return d.syncs }

// Sync runs one session on s, a fresh connection to the server: it logs in
// with USER and PASS, lists the maildrop, retrieves what the mode and UIDL
// call for, deletes in download-and-delete mode, and quits.
//
// On an error the connection is closed without QUIT, so the server deletes
// nothing (RFC 1939 §6); messages downloaded before the error stay in the
// local store and in the report, which is returned with the error. A
// maildrop locked by another session gives an *Error with Code "IN-USE".
func (d *Device) Sync(s transport.Stream, user, password string) (SyncReport, error) {
	d.syncs++
	rep := SyncReport{Device: d.Name, Sync: d.syncs}
	if d.Mode != DownloadAndDelete && d.Mode != DownloadAndKeep {
		s.Close()
		return rep, fmt.Errorf("%w: %s", ErrNoMode, d.Name)
	}
	c, err := NewClientOptions(s, ClientOptions{Trace: d.Trace})
	if err != nil {
		return rep, err
	}
	if err := d.session(c, user, password, &rep); err != nil {
		c.Close()
		return rep, err
	}
	return rep, nil
}

func (d *Device) session(c *Client, user, password string, rep *SyncReport) error {
	if err := c.Login(user, password); err != nil {
		return err
	}
	list, err := c.List()
	if err != nil {
		return err
	}
	rep.Listed = len(list)
	var ids map[int]string
	if d.UseUIDL {
		entries, err := c.UIDL()
		if err != nil {
			return err
		}
		ids = make(map[int]string, len(entries))
		for _, e := range entries {
			ids[e.Number] = e.UID
		}
	}
	for _, m := range list {
		rm := RemoteMessage{Number: m.Number, UIDL: ids[m.Number], Octets: m.Octets}
		if rm.UIDL != "" && d.seen[rm.UIDL] {
			rep.Skipped = append(rep.Skipped, rm)
		} else {
			data, err := c.Retr(m.Number)
			if err != nil {
				return err
			}
			d.local = append(d.local, LocalMessage{Data: data, UIDL: rm.UIDL, Sync: rep.Sync})
			if rm.UIDL != "" {
				if d.seen == nil {
					d.seen = make(map[string]bool)
				}
				d.seen[rm.UIDL] = true
			}
			rep.Downloaded = append(rep.Downloaded, rm)
			rep.DownloadedOctets += int64(len(data))
		}
		// A message seen in an earlier sync whose QUIT never came is
		// deleted now: the device has it.
		if d.Mode == DownloadAndDelete {
			if err := c.Dele(m.Number); err != nil {
				return err
			}
			rep.Deleted = append(rep.Deleted, rm)
		}
	}
	return c.Quit()
}
