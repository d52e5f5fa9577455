package playground

import (
	"fmt"

	"github.com/wirelab/wirelab/engine/message"
)

// State is the mail store and the open sessions.
type State struct {
	Time     string        `json:"time"`
	Users    []UserState   `json:"users"`
	Sessions []SessionInfo `json:"sessions"`
}

// UserState is one user's mailboxes.
type UserState struct {
	Name      string         `json:"name"`
	Mailboxes []MailboxState `json:"mailboxes"`
}

// MailboxState is one mailbox. A \Noselect level of the hierarchy has no
// counters and no messages.
type MailboxState struct {
	Name          string         `json:"name"`
	Attributes    []string       `json:"attributes"`
	NoSelect      bool           `json:"noSelect,omitempty"`
	UIDValidity   uint32         `json:"uidValidity,omitempty"`
	UIDNext       uint32         `json:"uidNext,omitempty"`
	Unseen        int            `json:"unseen"`
	Recent        int            `json:"recent"`
	HighestModSeq uint64         `json:"highestModSeq,omitempty"`
	Messages      []MessageState `json:"messages"`
}

// MessageState is one stored message.
type MessageState struct {
	UID   uint32   `json:"uid"`
	Flags []string `json:"flags"`
	// Size is RFC822.SIZE: the octets with CRLF line ends, as POP3's LIST
	// and IMAP's FETCH report.
	Size int64 `json:"size"`
	// InternalDate is when the message arrived (RFC 9051 §2.3.3).
	InternalDate string `json:"internalDate"`
	// Subject and From are decoded for display (RFC 2047).
	Subject string `json:"subject"`
	From    string `json:"from"`
	ModSeq  uint64 `json:"modseq"`
}

// msgKey names a message's content for good: a UID is never reused within
// a UIDVALIDITY (RFC 9051 §2.3.1.1), and a message's content never changes.
type msgKey struct {
	user, mailbox string
	validity, uid uint32
}

type msgSummary struct{ subject, from string }

// State lists every user's mailboxes and messages and the open sessions.
func (l *Lab) State() (*State, error) {
	e := l.lock()
	defer l.mu.Unlock()
	st := &State{Time: timeString(e.clk.Now()), Users: []UserState{}, Sessions: []SessionInfo{}}
	for _, user := range e.w.Users.Names() {
		us := UserState{Name: user, Mailboxes: []MailboxState{}}
		infos, err := e.store.ListMailboxes(user)
		if err != nil {
			return nil, fmt.Errorf("playground: state: %w", err)
		}
		for _, info := range infos {
			mb := MailboxState{Name: info.Name, Attributes: info.Attributes(), NoSelect: info.NoSelect, Messages: []MessageState{}}
			if !info.NoSelect {
				if err := e.fillMailbox(user, &mb); err != nil {
					return nil, err
				}
			}
			us.Mailboxes = append(us.Mailboxes, mb)
		}
		st.Users = append(st.Users, us)
	}
	for _, id := range e.sessionIDs() {
		st.Sessions = append(st.Sessions, e.sessionInfo(e.sessions[id]))
	}
	return st, nil
}

func (e *env) fillMailbox(user string, mb *MailboxState) error {
	msgs, status, err := e.store.List(user, mb.Name)
	if err != nil {
		return fmt.Errorf("playground: state: %s/%s: %w", user, mb.Name, err)
	}
	mb.UIDValidity, mb.UIDNext = status.UIDValidity, status.UIDNext
	mb.Unseen, mb.Recent, mb.HighestModSeq = status.Unseen, status.Recent, status.HighestModSeq
	for _, m := range msgs {
		sum, err := e.summary(msgKey{user, mb.Name, status.UIDValidity, m.UID})
		if err != nil {
			return err
		}
		mb.Messages = append(mb.Messages, MessageState{
			UID: m.UID, Flags: flagStrings(m.Flags), Size: m.VSize, InternalDate: timeString(m.InternalDate),
			Subject: sum.subject, From: sum.from, ModSeq: m.ModSeq,
		})
	}
	return nil
}

// summary reads a message's subject and sender once and keeps them.
func (e *env) summary(k msgKey) (msgSummary, error) {
	if s, ok := e.summaries[k]; ok {
		return s, nil
	}
	raw, err := e.store.Read(k.user, k.mailbox, k.uid)
	if err != nil {
		return msgSummary{}, fmt.Errorf("playground: state: %s/%s UID %d: %w", k.user, k.mailbox, k.uid, err)
	}
	var s msgSummary
	// A message the parser rejects is still listed, without summary.
	if p, err := message.Parse(raw); err == nil {
		env := p.Envelope()
		s.subject = env.DecodedSubject()
		if len(env.From) > 0 {
			a := env.From[0]
			s.from = a.Email()
			if name := a.DecodedName(); name != "" {
				s.from = name + " <" + a.Email() + ">"
			}
		}
	}
	e.summaries[k] = s
	return s, nil
}
