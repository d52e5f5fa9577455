package imap

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// The commands that manage mailboxes by name (RFC 9051 §6.3.4 to §6.3.8):
// CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE, with the mailbox name
// rules every command in this file, list.go and status.go shares.

func init() {
	register("CREATE", authed, (*Session).create)
	register("DELETE", authed, (*Session).deleteCmd)
	register("RENAME", authed, (*Session).rename)
	register("SUBSCRIBE", authed, (*Session).subscribe)
	register("UNSUBSCRIBE", authed, (*Session).unsubscribe)
}

// mailboxArg reads a mailbox argument (RFC 9051 §9 mailbox: "INBOX" in any
// case, or an astring) and decodes it from modified UTF-7 (RFC 3501
// §5.1.3), or checks that it is UTF-8 once the client enabled UTF8=ACCEPT.
// A name that cannot be decoded is a syntax error (BAD). Unlike
// Decoder.Mailbox it lets control characters through, raw or encoded (a
// quoted string or a literal may carry them, and "&AAA-" is valid modified
// UTF-7 for NUL): the syntax is right and the name is not, so checkName
// refuses them with NO [CANNOT] once the command has been read.
func (s *Session) mailboxArg(c *cmd) string {
	d := c.dec
	raw := d.AString()
	if d.Err() != nil {
		return ""
	}
	if strings.EqualFold(raw, mailstore.Inbox) {
		return mailstore.Inbox
	}
	if hasControl(raw) {
		return raw // for checkName to refuse
	}
	if d.UTF8 {
		if !utf8.ValidString(raw) {
			d.Errorf("mailbox name %s is not valid UTF-8", strconv.Quote(raw))
			return ""
		}
		return raw
	}
	name, err := imapwire.DecodeModifiedUTF7(raw)
	if err != nil {
		d.Errorf("mailbox name %s is not valid modified UTF-7 (RFC 3501 §5.1.3): %s",
			strconv.Quote(raw), strings.TrimPrefix(err.Error(), imapwire.ErrModifiedUTF7.Error()+": "))
		return ""
	}
	return name
}

// checkName refuses, with NO [CANNOT] (RFC 5530 §3), a name that is not a
// mailbox of the user's own store: an empty name, one longer than the store
// keeps, one with control characters (RFC 9051 §5.1: names are
// Net-Unicode, RFC 5198), and any that could be read as a path out of the
// user's Maildir: an absolute name ("/etc"), an empty level ("a//b", "a/")
// or a "." or ".." level ("../bob"). Backslashes and other characters the
// file system cannot take are the store's to refuse (ErrBadMailboxName,
// also NO [CANNOT]).
func checkName(name string) error {
	switch {
	case name == "":
		return no("CANNOT", "Mailbox name is empty")
	case len(name) > mailstore.MaxMailboxNameLength:
		return no("CANNOT", "Mailbox name is longer than %d octets", mailstore.MaxMailboxNameLength)
	case strings.HasPrefix(name, mailstore.Separator):
		return no("CANNOT", "Mailbox names are relative to the personal namespace; they do not start with %q", mailstore.Separator)
	}
	if hasControl(name) {
		return no("CANNOT", "Mailbox name contains a control character")
	}
	for _, level := range strings.Split(name, mailstore.Separator) {
		switch level {
		case "":
			return no("CANNOT", "Mailbox name has an empty hierarchy level")
		case ".", "..":
			return no("CANNOT", "Mailbox name has a %q hierarchy level", level)
		}
	}
	return nil
}

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// canonicalName returns INBOX for any case of "INBOX" and other names as
// they are (RFC 9051 §5.1: only INBOX is case-insensitive).
func canonicalName(name string) string {
	if strings.EqualFold(name, mailstore.Inbox) {
		return mailstore.Inbox
	}
	return name
}

// superiors returns the superior hierarchical names of name, outermost
// first: "a/b/c" gives "a" and "a/b". Empty levels, which only a damaged
// subscriptions file could hold, give no superior.
func superiors(name string) []string {
	var out []string
	for i := 1; i < len(name); i++ {
		if name[i] == mailstore.Separator[0] && name[i-1] != mailstore.Separator[0] {
			out = append(out, name[:i])
		}
	}
	return out
}

// mailboxIndex is the store's LIST view of the user's names.
func (s *Session) mailboxIndex() (map[string]mailstore.MailboxInfo, error) {
	infos, err := s.cfg.Store.ListMailboxes(s.user)
	if err != nil {
		return nil, err
	}
	m := make(map[string]mailstore.MailboxInfo, len(infos))
	for _, in := range infos {
		m[in.Name] = in
	}
	return m, nil
}

// createSuperiors creates the superior names of name that were missing
// from the index taken before the command (RFC 9051 §6.3.4 and §6.3.6: the
// server SHOULD create them). A level that exists only because names below
// it do is kept as it is: the user may have deleted that mailbox on
// purpose, and it still lists, as \Noselect. The command has done its work
// by then, and Maildir++ needs no superior directories, so a failure here
// is reported as an event, not to the client.
func (s *Session) createSuperiors(c *cmd, index map[string]mailstore.MailboxInfo, name string) {
	for _, sup := range superiors(name) {
		if _, ok := index[canonicalName(sup)]; ok {
			continue
		}
		if err := s.cfg.Store.CreateMailbox(s.user, sup); err != nil && !errors.Is(err, mailstore.ErrMailboxExists) {
			s.emit(Event{Kind: EventServerError, Command: c.name, Tag: c.tag, Detail: err.Error()})
			return
		}
	}
}

// create answers CREATE (RFC 9051 §6.3.4). A trailing hierarchy delimiter
// only declares that names will be created below; the name created is the
// one without it. Missing superior names are created as mailboxes too.
func (s *Session) create(c *cmd) error {
	c.dec.ExpectSP()
	name := s.mailboxArg(c)
	if !c.dec.ExpectEOL() {
		return nil
	}
	if n := strings.TrimSuffix(name, mailstore.Separator); n != "" {
		name = canonicalName(n)
	}
	if err := checkName(name); err != nil {
		return err
	}
	if name == mailstore.Inbox {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	// The index is taken before the mailbox exists: afterwards its
	// superiors would show as levels of the hierarchy.
	index, err := s.mailboxIndex()
	if err != nil {
		return storeError(err)
	}
	if err := s.cfg.Store.CreateMailbox(s.user, name); err != nil {
		return storeError(err)
	}
	s.createSuperiors(c, index, name)
	return nil
}

// deleteCmd answers DELETE (RFC 9051 §6.3.5). INBOX cannot be deleted. A
// mailbox with inferior names can be: they stay, and its name then lists as
// \Noselect. A name that is only a level of the hierarchy (\Noselect with
// children) cannot, and gets NO [HASCHILDREN] (RFC 5530 §3). Deleting the
// selected mailbox also closes it: the session returns to the
// authenticated state, and the client learns it from an untagged OK
// [CLOSED] before the tagged OK (RFC 9051 §7.1 defines CLOSED for SELECT
// leaving a mailbox; clients that do not know it ignore it, §7.1 too).
func (s *Session) deleteCmd(c *cmd) error {
	c.dec.ExpectSP()
	name := s.mailboxArg(c)
	if !c.dec.ExpectEOL() {
		return nil
	}
	if err := checkName(name); err != nil {
		return err
	}
	if name == mailstore.Inbox {
		return no("CANNOT", "INBOX cannot be deleted")
	}
	index, err := s.mailboxIndex()
	if err != nil {
		return storeError(err)
	}
	info, ok := index[name]
	switch {
	case !ok:
		return no("NONEXISTENT", "No such mailbox")
	case info.NoSelect && info.HasChildren:
		return no("HASCHILDREN", "Name has inferior hierarchical names and is not a mailbox")
	}
	if err := s.cfg.Store.DeleteMailbox(s.user, name); err != nil {
		return storeError(err)
	}
	if s.sel != nil && s.sel.name == name {
		s.closeSelection()
		s.setState(Authenticated)
		c.out.Untagged().Atom("OK").SP().Code("CLOSED").CodeEnd().Text("The selected mailbox was deleted").CRLF()
	}
	return nil
}

// rename answers RENAME (RFC 9051 §6.3.6). Inferior names are renamed
// with the mailbox; missing superiors of the new name are created.
// Renaming INBOX moves its messages to a new mailbox and leaves INBOX empty,
// its inferiors untouched. Subscriptions are not changed. A session whose
// selected mailbox is renamed (or lies below the renamed name) keeps it
// selected under its new name: the store keeps its UIDVALIDITY, UIDs and
// flags, so nothing the client knows becomes wrong.
//
// Errors: the old name does not exist, NO [NONEXISTENT]; the new name is a
// mailbox already (INBOX always is), NO [ALREADYEXISTS]; the new name is
// below the old one, NO [CANNOT]. TRYCREATE is not used: RFC 9051 §7.1
// gives it to APPEND, COPY and MOVE, and the superiors RENAME needs are
// created here.
func (s *Session) rename(c *cmd) error {
	c.dec.ExpectSP()
	from := s.mailboxArg(c)
	c.dec.ExpectSP()
	to := s.mailboxArg(c)
	if !c.dec.ExpectEOL() {
		return nil
	}
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	index, err := s.mailboxIndex()
	if err != nil {
		return storeError(err)
	}
	if _, ok := index[from]; !ok {
		return no("NONEXISTENT", "No such mailbox")
	}
	if info, ok := index[to]; to == from || to == mailstore.Inbox || ok && !info.NoSelect {
		return no("ALREADYEXISTS", "Mailbox already exists")
	}
	if from != mailstore.Inbox && strings.HasPrefix(to, from+mailstore.Separator) {
		return no("CANNOT", "A mailbox cannot be moved below itself")
	}
	follow := s.followRename(from, to)
	err = s.cfg.Store.Rename(s.user, from, to)
	follow(err == nil)
	if err != nil {
		return storeError(err)
	}
	s.createSuperiors(c, index, to)
	return nil
}

// followRename prepares the selection for a RENAME that moves the selected
// mailbox, and returns the function to call with the rename's outcome. It
// watches the mailbox's new name before the rename happens, holding what
// arrives there until the rename has succeeded, so that no change made
// under the new name is missed; then the selection switches to the new
// name and stops watching the old one, whose MailboxRenamed change is
// dropped (this session follows the mailbox, it does not lose it). If the
// rename failed the new watch is cancelled.
func (s *Session) followRename(from, to string) func(ok bool) {
	sel := s.sel
	if sel == nil || from == mailstore.Inbox {
		return func(bool) {}
	}
	var newName string
	switch {
	case sel.name == from:
		newName = to
	case strings.HasPrefix(sel.name, from+mailstore.Separator):
		newName = to + sel.name[len(from):]
	default:
		return func(bool) {}
	}
	var held []mailstore.Change
	live := false
	cancel := s.cfg.Store.Watch(s.user, newName, func(ch mailstore.Change) {
		s.mu.Lock()
		var wake func()
		if live {
			sel.pending = append(sel.pending, ch)
			wake = s.wake
		} else {
			held = append(held, ch)
		}
		s.mu.Unlock()
		if wake != nil {
			wake()
		}
	})
	return func(ok bool) {
		if !ok {
			cancel()
			return
		}
		if sel.cancel != nil {
			sel.cancel()
		}
		s.mu.Lock()
		live = true
		kept := sel.pending[:0]
		for _, ch := range sel.pending {
			if ch.Kind != mailstore.MailboxRenamed {
				kept = append(kept, ch)
			}
		}
		sel.pending = append(kept, held...)
		held = nil
		s.mu.Unlock()
		sel.cancel = cancel
		sel.name = newName
	}
}

// subscribe answers SUBSCRIBE (RFC 9051 §6.3.7). The name need not exist
// (a subscription may come before the mailbox or outlive it), but it must
// be a valid name; subscribing twice is not an error.
func (s *Session) subscribe(c *cmd) error {
	c.dec.ExpectSP()
	name := s.mailboxArg(c)
	if !c.dec.ExpectEOL() {
		return nil
	}
	if err := checkName(name); err != nil {
		return err
	}
	return storeError(s.cfg.Store.Subscribe(s.user, name))
}

// unsubscribe answers UNSUBSCRIBE (RFC 9051 §6.3.8). A name that is not
// subscribed is not an error.
func (s *Session) unsubscribe(c *cmd) error {
	c.dec.ExpectSP()
	name := s.mailboxArg(c)
	if !c.dec.ExpectEOL() {
		return nil
	}
	if err := checkName(name); err != nil {
		return err
	}
	return storeError(s.cfg.Store.Unsubscribe(s.user, name))
}
