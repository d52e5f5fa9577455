package imap

import (
	"slices"
	"strings"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
	"github.com/wirelab/wirelab/engine/mailstore"
)

// LIST (RFC 9051 §6.3.9, which includes LIST-EXTENDED, RFC 5258) with the
// return options of LIST-STATUS (RFC 5819) and SPECIAL-USE (RFC 6154), and
// the IMAP4rev1 LSUB (RFC 3501 §6.3.9).
//
// What every LIST response says about a name:
//
//   - \Noselect for a name that is only a level of the hierarchy (Maildir++
//     has ".a.b" but no ".a"), or \NonExistent (RFC 9051 §7.3.1, which
//     implies \Noselect) for a subscribed name with no mailbox;
//   - \HasChildren or \HasNoChildren, always: RFC 9051 §6.3.9.5 and RFC
//     3348 §3 allow them without the CHILDREN return option, so CHILDREN
//     is accepted and changes nothing;
//   - the special-use attribute (\Archive, \Drafts, \Junk, \Sent, \Trash),
//     always, as RFC 6154 §2 allows; the SPECIAL-USE return option is
//     accepted and changes nothing;
//   - \Subscribed, when the SUBSCRIBED selection or return option asks.

func init() {
	register("LIST", authed, (*Session).list)
	register("LSUB", authed, (*Session).lsub)
	advertise("LIST-EXTENDED", "LIST-STATUS", "CHILDREN", "SPECIAL-USE")
}

// listOptions are what one LIST command asks for.
type listOptions struct {
	// extended says the command used the extended syntax (RFC 9051
	// §6.3.9: selection options, a parenthesized pattern list, or return
	// options), where an empty pattern is ignored instead of asking for
	// the hierarchy delimiter.
	extended bool

	// Selection options (RFC 9051 §6.3.9.1, RFC 6154 §2). REMOTE is
	// accepted and ignored: there are no remote mailboxes.
	subscribed, specialUse, recursive bool

	// Return options (RFC 9051 §6.3.9.2, RFC 5819 §2).
	returnSubscribed bool
	status           statusItems // 0 for no STATUS return option
}

// hasCriteria says whether a selection option other than REMOTE and
// RECURSIVEMATCH restricts the names.
func (o *listOptions) hasCriteria() bool { return o.subscribed || o.specialUse }

// criteria names the base selection options for CHILDINFO (RFC 9051
// §6.3.9.6).
func (o *listOptions) criteria() []string {
	var out []string
	if o.subscribed {
		out = append(out, "SUBSCRIBED")
	}
	if o.specialUse {
		out = append(out, "SPECIAL-USE")
	}
	return out
}

// readSelectOptions reads list-select-opts: "(" [option *(SP option)] ")".
// An unknown option is a syntax error: RFC 9051 §6.3.9 says a server MUST
// answer options it does not recognize with BAD.
func readSelectOptions(d *imapwire.Decoder, o *listOptions) {
	for range d.List() {
		switch opt := d.Keyword(); opt {
		case "SUBSCRIBED":
			o.subscribed = true
		case "REMOTE":
		case "RECURSIVEMATCH":
			o.recursive = true
		case "SPECIAL-USE":
			o.specialUse = true
		default:
			if d.Err() == nil {
				d.Errorf("unknown LIST selection option %s", sanitize(opt))
			}
		}
	}
}

// readReturnOptions reads list-return-opts after "RETURN" SP:
// "(" [return-option *(SP return-option)] ")".
func (s *Session) readReturnOptions(d *imapwire.Decoder, o *listOptions) {
	for range d.List() {
		switch opt := d.Keyword(); opt {
		case "SUBSCRIBED":
			o.returnSubscribed = true
		case "CHILDREN", "SPECIAL-USE":
		case "STATUS":
			d.ExpectSP()
			o.status |= s.readStatusItems(d)
		default:
			if d.Err() == nil {
				d.Errorf("unknown LIST return option %s", sanitize(opt))
			}
		}
	}
}

// listItem is one name LIST may report.
type listItem struct {
	name string
	// exists: the name is a mailbox or a level of the hierarchy.
	exists     bool
	noSelect   bool
	children   bool
	specialUse string
	subscribed bool
}

func (it *listItem) selectable() bool { return it.exists && !it.noSelect }

// attributes returns the name attributes of a LIST response.
func (it *listItem) attributes(showSubscribed bool) []string {
	var out []string
	switch {
	case !it.exists:
		out = append(out, `\NonExistent`)
	case it.noSelect:
		out = append(out, `\Noselect`)
	}
	if it.children {
		out = append(out, `\HasChildren`)
	} else {
		out = append(out, `\HasNoChildren`)
	}
	if it.specialUse != "" {
		out = append(out, it.specialUse)
	}
	if showSubscribed && it.subscribed {
		out = append(out, `\Subscribed`)
	}
	return out
}

// list answers LIST (RFC 9051 §6.3.9).
//
//	list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
//	       [SP list-return-opts]
func (s *Session) list(c *cmd) error {
	d := c.dec
	var o listOptions
	d.ExpectSP()
	if d.Peek() == '(' {
		o.extended = true
		readSelectOptions(d, &o)
		d.ExpectSP()
	}
	ref := d.Mailbox()
	d.ExpectSP()
	var patterns []string
	if d.Peek() == '(' {
		// RFC 5258 §6: patterns = "(" list-mailbox *(SP list-mailbox) ")".
		o.extended = true
		for range d.List() {
			patterns = append(patterns, d.ListMailbox())
		}
		if d.Err() == nil && len(patterns) == 0 {
			d.Errorf("expected at least one mailbox pattern in the parentheses")
		}
	} else {
		patterns = append(patterns, d.ListMailbox())
	}
	if d.SP() {
		o.extended = true
		d.ExpectKeyword("RETURN")
		d.ExpectSP()
		s.readReturnOptions(d, &o)
	}
	if !d.ExpectEOL() {
		return nil
	}
	if o.recursive && !o.hasCriteria() {
		return bad("RECURSIVEMATCH needs another selection option such as SUBSCRIBED (RFC 9051 §6.3.9.1)")
	}
	c.out.UTF8 = s.utf8
	if !o.extended && patterns[0] == "" {
		// The hierarchy delimiter and the root of the reference; names
		// are not rooted, so the root is "" (RFC 9051 §6.3.9).
		c.out.Untagged().Atom("LIST").SP().FlagList([]string{`\Noselect`}).SP().Str(mailstore.Separator).SP().Str("").CRLF()
		return nil
	}
	var matchers []listPattern
	for _, p := range patterns {
		if p == "" {
			continue // ignored in the extended syntax
		}
		if m, ok := compileListPattern(ref + p); ok {
			matchers = append(matchers, m)
		}
	}
	if len(matchers) == 0 {
		return nil
	}
	items, err := s.listItems(&o)
	if err != nil {
		return storeError(err)
	}
	s.writeList(c.out, &o, items, matchers)
	return nil
}

// listItems gathers the names LIST considers, INBOX first and the rest
// sorted: every mailbox and level of the hierarchy, with SUBSCRIBED the
// subscribed names that have no mailbox, and with RECURSIVEMATCH the
// superiors of the names that meet the selection criteria.
func (s *Session) listItems(o *listOptions) ([]*listItem, error) {
	infos, err := s.cfg.Store.ListMailboxes(s.user)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*listItem, len(infos))
	for _, in := range infos {
		byName[in.Name] = &listItem{name: in.Name, exists: true, noSelect: in.NoSelect, children: in.HasChildren, specialUse: in.SpecialUse}
	}
	if o.subscribed || o.returnSubscribed {
		subs, err := s.cfg.Store.Subscriptions(s.user)
		if err != nil {
			return nil, err
		}
		for _, name := range subs {
			if it := byName[name]; it != nil {
				it.subscribed = true
			} else if o.subscribed {
				byName[name] = &listItem{name: name, subscribed: true}
			}
		}
	}
	if o.recursive {
		var meeting []string
		for name, it := range byName {
			if o.meets(it) {
				meeting = append(meeting, name)
			}
		}
		for _, name := range meeting {
			for _, sup := range superiors(name) {
				if byName[sup] == nil {
					byName[sup] = &listItem{name: sup}
				}
			}
		}
	}
	items := make([]*listItem, 0, len(byName))
	for _, it := range byName {
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *listItem) int {
		if (a.name == mailstore.Inbox) != (b.name == mailstore.Inbox) {
			if a.name == mailstore.Inbox {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return items, nil
}

// meets says whether a name satisfies the selection criteria: without
// selection options every existing name does; SUBSCRIBED wants subscribed
// names, existing or not; SPECIAL-USE mailboxes with a special use.
func (o *listOptions) meets(it *listItem) bool {
	if !o.hasCriteria() {
		return it.exists
	}
	if o.subscribed && !it.subscribed {
		return false
	}
	if o.specialUse && it.specialUse == "" {
		return false
	}
	return true
}

// writeList writes the LIST responses (and STATUS responses) for the items
// that match one of the patterns, following RFC 9051 §6.3.9.3: a name is
// reported if it meets the selection criteria or, with RECURSIVEMATCH, if
// a name below it does and does not match a pattern itself (then with
// CHILDINFO). A name that meets the criteria and has names below that do
// too gets CHILDINFO as well.
func (s *Session) writeList(e *imapwire.Encoder, o *listOptions, items []*listItem, matchers []listPattern) {
	matches := func(name string) bool {
		for _, m := range matchers {
			if m.match(name) {
				return true
			}
		}
		return false
	}
	showSubscribed := o.subscribed || o.returnSubscribed
	for i, it := range items {
		if !matches(it.name) {
			continue
		}
		meets := o.meets(it)
		var childInfo bool
		if o.recursive {
			// Items are sorted, so the names below it follow it (a byte
			// after '/' may sort between them, hence no early stop).
			prefix := it.name + mailstore.Separator
			for _, below := range items[i+1:] {
				if strings.HasPrefix(below.name, prefix) && o.meets(below) && (meets || !matches(below.name)) {
					childInfo = true
					break
				}
			}
		}
		if !meets && !childInfo {
			continue
		}
		attrs := it.attributes(showSubscribed)
		var st mailstore.Status
		withStatus := meets && o.status != 0 && it.selectable()
		if withStatus {
			var err error
			if st, err = s.mailboxStatus(it.name); err != nil {
				// RFC 5819 §2 (RFC 9051 §6.3.9.2): no STATUS, and the
				// LIST response says \Noselect.
				withStatus = false
				attrs = append([]string{`\Noselect`}, attrs...)
			}
		}
		e.Untagged().Atom("LIST").SP().FlagList(attrs).SP().Str(mailstore.Separator).SP().Mailbox(it.name)
		if childInfo {
			e.SP().BeginList().Str("CHILDINFO").SP().BeginList()
			for j, crit := range o.criteria() {
				if j > 0 {
					e.SP()
				}
				e.Str(crit)
			}
			e.EndList().EndList()
		}
		e.CRLF()
		if withStatus {
			writeStatus(e, it.name, o.status, st)
		}
	}
}

// lsub answers LSUB (RFC 3501 §6.3.9), which IMAP4rev2 dropped for LIST
// (SUBSCRIBED) but IMAP4rev1 clients still send. Subscribed names that
// match are reported, with \Noselect when no mailbox by that name can be
// selected. With a "%" in the pattern, a superior of a subscribed name that
// does not match is reported in its place, with \Noselect if it is not
// subscribed itself, as RFC 3501 §6.3.9 asks.
func (s *Session) lsub(c *cmd) error {
	d := c.dec
	d.ExpectSP()
	ref := d.Mailbox()
	d.ExpectSP()
	pattern := d.ListMailbox()
	if !d.ExpectEOL() {
		return nil
	}
	c.out.UTF8 = s.utf8
	m, ok := compileListPattern(ref + pattern)
	if !ok {
		return nil
	}
	subs, err := s.cfg.Store.Subscriptions(s.user)
	if err != nil {
		return storeError(err)
	}
	index, err := s.mailboxIndex()
	if err != nil {
		return storeError(err)
	}
	subscribed := make(map[string]bool, len(subs))
	for _, name := range subs {
		subscribed[name] = true
	}
	noSelect := map[string]bool{} // the names to report
	for _, name := range subs {
		if m.match(name) {
			info, ok := index[name]
			noSelect[name] = !ok || info.NoSelect
			continue
		}
		if !strings.Contains(pattern, "%") {
			continue
		}
		for _, sup := range superiors(name) {
			if !subscribed[sup] && m.match(sup) {
				noSelect[sup] = true
			}
		}
	}
	names := make([]string, 0, len(noSelect))
	for name := range noSelect {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == mailstore.Inbox) != (b == mailstore.Inbox) {
			if a == mailstore.Inbox {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		var attrs []string
		if noSelect[name] {
			attrs = []string{`\Noselect`}
		}
		c.out.Untagged().Atom("LSUB").SP().FlagList(attrs).SP().Str(mailstore.Separator).SP().Mailbox(name).CRLF()
	}
	return nil
}

// A listPattern is a canonical LIST pattern (RFC 9051 §6.3.9): the
// reference and the mailbox argument joined. "*" matches any run of
// characters, "%" any run without the hierarchy delimiter, and every other
// character itself, case-sensitively, except that a leading "INBOX" in any
// case (alone or before the delimiter) stands for INBOX, whose name is
// case-insensitive.
type listPattern struct {
	p string
	// literals counts the pattern's non-wildcard octets: a name shorter
	// than that cannot match, which bounds the matching work.
	literals int
}

// compileListPattern canonicalizes a pattern: runs of wildcards collapse
// ("**" and "%*" match what "*" does, "%%" what "%" does), and a leading
// "inbox" becomes "INBOX". A pattern that could only match names longer
// than the store allows is refused (ok false); RFC 9051 §6.3.9 asks that
// such a pattern be silently ignored, not rejected.
func compileListPattern(p string) (listPattern, bool) {
	const inbox = mailstore.Inbox
	if len(p) >= len(inbox) && strings.EqualFold(p[:len(inbox)], inbox) &&
		(len(p) == len(inbox) || strings.HasPrefix(p[len(inbox):], mailstore.Separator)) {
		p = inbox + p[len(inbox):]
	}
	out := make([]byte, 0, len(p))
	literals := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '*' && c != '%' {
			out = append(out, c)
			literals++
			continue
		}
		if n := len(out); n > 0 && (out[n-1] == '*' || out[n-1] == '%') {
			if c == '*' {
				out[n-1] = '*'
			}
			continue
		}
		out = append(out, c)
	}
	if literals > mailstore.MaxMailboxNameLength {
		return listPattern{}, false
	}
	return listPattern{p: string(out), literals: literals}, true
}

// match reports whether name matches the pattern. It runs in
// O(len(pattern) * len(name)) time, with no backtracking, whatever the
// wildcards.
func (lp listPattern) match(name string) bool {
	if len(name) < lp.literals {
		return false
	}
	// row[j] says whether the pattern read so far matches name[:j].
	row := make([]bool, len(name)+1)
	next := make([]bool, len(name)+1)
	row[0] = true
	for i := 0; i < len(lp.p); i++ {
		switch c := lp.p[i]; c {
		case '*':
			reach := false
			for j := range next {
				reach = reach || row[j]
				next[j] = reach
			}
		case '%':
			reach := false
			for j := range next {
				if j > 0 && name[j-1] == mailstore.Separator[0] {
					reach = false
				}
				reach = reach || row[j]
				next[j] = reach
			}
		default:
			next[0] = false
			for j := 1; j < len(next); j++ {
				next[j] = row[j-1] && name[j-1] == c
			}
		}
		row, next = next, row
	}
	return row[len(name)]
}
