// Package world loads worlds: everything a lab needs (users, their mail, DNS
// data) in one txtar archive or one directory of the same files.
//
// The files of a world are:
//
//	users                       name:password lines, as in a Dovecot passwd-file
//	mail/<user>/<mailbox>.mbox  a mailbox in mbox form (RFC 4155), e.g.
//	                            mail/alice/INBOX.mbox or mail/alice/Archive/2025.mbox
//	dns/...                     DNS data, kept for the DNS loader as bytes:
//	                            servers, hosts, links and zones/ORIGIN.zone
//	                            (engine/dns/lab), and the optional
//	                            mailservers, which names the hosts that run
//	                            mail servers, their domains and users
//	                            (engine/mailnet)
//	description                 optional text; in a txtar archive, the comment
//
// Any other file is an error, so that a typo in a name is reported rather
// than silently ignored. Errors give the position in the world file:
// "world: lab.txtar:17: users: line 3: auth: unknown password scheme "{MD9}"".
//
// The package does no I/O of its own: Parse takes bytes and LoadDir an fs.FS,
// so the browser, the native server and the tests load worlds the same way.
package world

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/message"
	"golang.org/x/tools/txtar"
)

// Inbox is the name of every user's inbox (RFC 9051 §5.1: case-insensitive,
// so "inbox.mbox" is loaded as INBOX too).
const Inbox = "INBOX"

// World is a loaded world.
type World struct {
	// Description is the archive's comment (or the description file),
	// without leading or trailing space.
	Description string
	// Users are the users from the users file.
	Users *auth.Users
	// Mailboxes maps each user to their mailboxes, INBOX first and the rest
	// sorted by name. Every user has an INBOX, empty if the world gives none.
	Mailboxes map[string][]Mailbox
	// DNSFiles maps the paths of the files under dns/ ("dns/root.zone") to
	// their contents, uninterpreted.
	DNSFiles map[string][]byte

	src src
}

// Mailbox is one mailbox of a user.
type Mailbox struct {
	// Name is the mailbox name, with '/' between hierarchy levels.
	Name     string
	Messages []message.MboxMessage
}

// LoadError is a problem with a world, located in the file it came from.
type LoadError struct {
	File string // the archive, or a file of a world directory
	Line int    // 1-based line in File, or 0 if the problem is the whole file
	Err  error
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("world: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("world: %s: %v", e.File, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// src remembers where a world came from, to place errors in it.
type src struct {
	name    string         // archive name, or directory
	archive bool           // whether name is a txtar archive
	lines   map[string]int // archive line of each member's "-- name --" header
}

// MemberError returns a LoadError for line (1-based, or 0 for the whole
// file) of the world file member ("dns/root.zone"), positioned like the
// loader's own errors. Loaders of dns/ files use it to report problems.
func (w *World) MemberError(member string, line int, err error) *LoadError {
	return w.src.errorf(member, line, err)
}

func (s src) errorf(member string, line int, err error) *LoadError {
	if !s.archive {
		return &LoadError{File: path.Join(s.name, member), Line: line, Err: err}
	}
	if line == 0 {
		return &LoadError{File: s.name, Line: s.lines[member], Err: fmt.Errorf("%s: %w", member, err)}
	}
	return &LoadError{File: s.name, Line: s.lines[member] + line, Err: fmt.Errorf("%s: line %d: %w", member, line, err)}
}

// member is one file of a world, named by its slash-separated path.
type member struct {
	name string
	data []byte
}

// Parse loads a world from a txtar archive. name is used in errors.
func Parse(name string, data []byte) (*World, error) {
	a := txtar.Parse(data)
	s := src{name: name, archive: true, lines: make(map[string]int)}
	// txtar keeps every byte between headers, so a member's header is the
	// line after the comment and all earlier members.
	line := 1 + bytes.Count(a.Comment, []byte("\n"))
	members := make([]member, len(a.Files))
	for i, f := range a.Files {
		if _, dup := s.lines[f.Name]; dup {
			return nil, &LoadError{File: name, Line: line, Err: fmt.Errorf("%s: file appears twice", f.Name)}
		}
		s.lines[f.Name] = line
		members[i] = member{f.Name, f.Data}
		line += 1 + bytes.Count(f.Data, []byte("\n"))
	}
	return build(s, string(a.Comment), members)
}

// LoadDir loads a world from the directory dir of fsys. Files and
// directories whose names start with '.' (editor and VCS droppings) are
// skipped.
func LoadDir(fsys fs.FS, dir string) (*World, error) {
	s := src{name: dir}
	var members []member
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := p
		if dir != "." {
			rel = strings.TrimPrefix(p, dir+"/")
		}
		members = append(members, member{rel, data})
		return nil
	})
	if err != nil {
		return nil, &LoadError{File: dir, Err: err}
	}
	return build(s, "", members)
}

var (
	//go:embed demo.txtar
	demoArchive []byte
	demoWorld   = sync.OnceValue(func() *World {
		w, err := Parse("demo.txtar", demoArchive)
		if err != nil {
			panic(err) // TestDemo keeps this from happening
		}
		return w
	})
)

// Demo returns the embedded demo world, parsed on first use. The World is
// shared: callers must not modify it.
func Demo() *World { return demoWorld() }

// DemoArchive returns a copy of the demo world's txtar source, for showing or
// editing it.
func DemoArchive() []byte { return bytes.Clone(demoArchive) }

func build(s src, comment string, members []member) (*World, error) {
	w := &World{
		Description: strings.TrimSpace(comment),
		Users:       auth.NewUsers(),
		Mailboxes:   make(map[string][]Mailbox),
		DNSFiles:    make(map[string][]byte),
		src:         s,
	}
	// Users first: mailboxes are checked against them.
	for _, m := range members {
		if m.name == "users" {
			if err := parseUsers(w.Users, m.data); err != nil {
				var le *lineError
				if errors.As(err, &le) {
					return nil, s.errorf(m.name, le.line, le.err)
				}
				return nil, s.errorf(m.name, 0, err)
			}
		}
	}
	for _, m := range members {
		top, _, _ := strings.Cut(m.name, "/")
		var err error
		switch {
		case !fs.ValidPath(m.name) || m.name == ".":
			err = errors.New("file name is not a clean relative path")
		case m.name == "users":
		case m.name == "description":
			if w.Description != "" {
				err = errors.New("description given twice (the archive comment is one)")
				break
			}
			w.Description = strings.TrimSpace(string(m.data))
		case top == "dns" && m.name != "dns":
			w.DNSFiles[m.name] = m.data
		case top == "mail":
			err = w.addMailbox(m)
		default:
			err = fmt.Errorf("unknown file (a world has users, description, mail/<user>/<mailbox>.mbox and dns/...)")
		}
		if err != nil {
			var me *message.MboxError
			if errors.As(err, &me) {
				return nil, s.errorf(m.name, me.Line, me.Err)
			}
			return nil, s.errorf(m.name, 0, err)
		}
	}
	for _, name := range w.Users.Names() {
		boxes := w.Mailboxes[name]
		if !slices.ContainsFunc(boxes, func(b Mailbox) bool { return b.Name == Inbox }) {
			boxes = append(boxes, Mailbox{Name: Inbox})
		}
		slices.SortFunc(boxes, func(a, b Mailbox) int {
			if (a.Name == Inbox) != (b.Name == Inbox) {
				if a.Name == Inbox {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Name, b.Name)
		})
		w.Mailboxes[name] = boxes
	}
	return w, nil
}

// lineError places an error on a line of a member.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// parseUsers reads passwd-file lines: name ':' password [':' ignored...].
func parseUsers(users *auth.Users, data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			return &lineError{i + 1, errors.New(`want "name:password"`)}
		}
		pass, _, _ := strings.Cut(rest, ":")
		p, err := auth.ParsePassword(pass)
		if err == nil {
			err = users.Add(name, p)
		}
		if err != nil {
			return &lineError{i + 1, err}
		}
	}
	return nil
}

// addMailbox loads mail/<user>/<mailbox>.mbox.
func (w *World) addMailbox(m member) error {
	parts := strings.SplitN(m.name, "/", 3)
	if len(parts) < 3 || !strings.HasSuffix(parts[2], ".mbox") {
		return errors.New("want mail/<user>/<mailbox>.mbox")
	}
	user, name := parts[1], strings.TrimSuffix(parts[2], ".mbox")
	if _, ok := w.Users.Lookup(user); !ok {
		return fmt.Errorf("mailbox for unknown user %q (not in users)", user)
	}
	if strings.EqualFold(name, Inbox) {
		name = Inbox
	}
	if err := validMailboxName(name); err != nil {
		return err
	}
	if slices.ContainsFunc(w.Mailboxes[user], func(b Mailbox) bool { return b.Name == name }) {
		return fmt.Errorf("mailbox %q given twice", name)
	}
	msgs, err := message.ReadMbox(bytes.NewReader(m.data))
	if err != nil {
		return err
	}
	w.Mailboxes[user] = append(w.Mailboxes[user], Mailbox{Name: name, Messages: msgs})
	return nil
}

func validMailboxName(name string) error {
	for _, elem := range strings.Split(name, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("bad mailbox name %q", name)
		}
		if strings.ContainsFunc(elem, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("mailbox name %q contains a control character", name)
		}
	}
	return nil
}
