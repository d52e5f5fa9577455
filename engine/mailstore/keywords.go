package mailstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/hack-pad/hackpadfs"
)

// keywordsName is the per-mailbox file that maps keyword letters to names,
// in Dovecot's format: one "<index> <keyword>" line per keyword, where
// index 0 is the info letter 'a', 1 is 'b' and so on.
//
//	0 $Forwarded
//	1 Junk
const keywordsName = "dovecot-keywords"

// keywordTable is a mailbox's keyword letters.
type keywordTable struct {
	names []Flag         // index = letter - 'a'; "" is a free slot
	index map[string]int // lower-cased name -> index
}

func (t *keywordTable) byLetter(c byte) (Flag, bool) {
	if c < 'a' || c > 'z' || int(c-'a') >= len(t.names) || t.names[c-'a'] == "" {
		return "", false
	}
	return t.names[c-'a'], true
}

func (t *keywordTable) letter(f Flag) (byte, bool) {
	i, ok := t.index[strings.ToLower(string(f))]
	return byte('a' + i), ok
}

// lookup returns the table's spelling of keyword f.
func (t *keywordTable) lookup(f Flag) (Flag, bool) {
	i, ok := t.index[strings.ToLower(string(f))]
	if !ok {
		return "", false
	}
	return t.names[i], true
}

// list returns the defined keywords in letter order.
func (t *keywordTable) list() []Flag {
	out := make([]Flag, 0, len(t.index))
	for _, f := range t.names {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// slot returns the first letter index a new keyword can take: free, and
// not reserved (a bit per letter that files use without a name), or -1.
func (t *keywordTable) slot(reserved uint32) int {
	for i := range MaxKeywords {
		if (i >= len(t.names) || t.names[i] == "") && reserved&(1<<i) == 0 {
			return i
		}
	}
	return -1
}

func (t *keywordTable) clone() keywordTable {
	c := keywordTable{names: append([]Flag(nil), t.names...), index: make(map[string]int, len(t.index))}
	for k, v := range t.index {
		c.index[k] = v
	}
	return c
}

// add defines f in the first usable slot.
func (t *keywordTable) add(f Flag, reserved uint32) bool {
	i := t.slot(reserved)
	if i < 0 {
		return false
	}
	for len(t.names) <= i {
		t.names = append(t.names, "")
	}
	if t.index == nil {
		t.index = make(map[string]int)
	}
	t.names[i] = f
	t.index[strings.ToLower(string(f))] = i
	return true
}

// reservedLetters returns a bit per keyword letter that appears in extra.
func reservedLetters(extra string) uint32 {
	var m uint32
	for i := 0; i < len(extra); i++ {
		if c := extra[i]; c >= 'a' && c <= 'z' {
			m |= 1 << (c - 'a')
		}
	}
	return m
}

// withoutKeywordLetters drops the keyword letters from extra: unnamed in
// one mailbox, they would mean whatever another mailbox names them.
func withoutKeywordLetters(extra string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return -1
		}
		return r
	}, extra)
}

// parseKeywords reads a dovecot-keywords file. Lines it cannot use (bad
// index, not a keyword, a second spelling of a defined keyword) are skipped:
// their letters then stay uninterpreted, which keeps them on disk.
func parseKeywords(data []byte) keywordTable {
	t := keywordTable{index: make(map[string]int)}
	for line := range strings.SplitSeq(string(data), "\n") {
		idxText, name, ok := strings.Cut(strings.TrimRight(line, "\r"), " ")
		idx, err := strconv.Atoi(idxText)
		if !ok || err != nil || idx < 0 || idx >= MaxKeywords {
			continue
		}
		f, err := ParseFlag(name)
		if err != nil || !IsKeyword(f) {
			continue
		}
		if _, dup := t.index[strings.ToLower(name)]; dup {
			continue
		}
		for len(t.names) <= idx {
			t.names = append(t.names, "")
		}
		if t.names[idx] != "" {
			continue
		}
		t.names[idx] = f
		t.index[strings.ToLower(name)] = idx
	}
	return t
}

func (t *keywordTable) encode() []byte {
	var b bytes.Buffer
	for i, f := range t.names {
		if f != "" {
			fmt.Fprintf(&b, "%d %s\n", i, f)
		}
	}
	return b.Bytes()
}

// readKeywords loads the mailbox's keyword table; no file is an empty one.
func (mb *mailbox) readKeywords() (keywordTable, error) {
	data, err := hackpadfs.ReadFile(mb.store.fs, mb.path(keywordsName))
	if errors.Is(err, fs.ErrNotExist) {
		return keywordTable{index: make(map[string]int)}, nil
	}
	if err != nil {
		return keywordTable{}, mb.errorf("read keywords", err)
	}
	return parseKeywords(data), nil
}

// defineKeywordsLocked gives a letter to every keyword in the flag sets that
// the mailbox does not know yet and saves the table. It defines all of them
// or, past MaxKeywords, none and fails with ErrTooManyKeywords.
func (mb *mailbox) defineKeywordsLocked(sets ...[]Flag) (added []Flag, err error) {
	// The table is cloned only once a keyword is new: most messages
	// bring none, and this runs for every delivery.
	next := &mb.keywords
	var clone keywordTable
	for _, flags := range sets {
		for _, f := range flags {
			if !IsKeyword(f) {
				continue
			}
			if _, ok := next.lookup(f); ok {
				continue
			}
			if next == &mb.keywords {
				clone = mb.keywords.clone()
				next = &clone
			}
			if !next.add(f, mb.reserved) {
				return nil, fmt.Errorf("%w: %s/%s has %d keywords, the most a Maildir can keep; %q is one too many",
					ErrTooManyKeywords, mb.user, mb.name, MaxKeywords, f)
			}
			added = append(added, f)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	if err := mb.store.writeFileAtomic(mb.path(keywordsName), next.encode()); err != nil {
		return nil, mb.errorf("write keywords", err)
	}
	mb.keywords = clone
	return added, nil
}

// canonicalLocked spells the keywords in flags as the mailbox does and drops
// the ones it does not know. The result is sorted.
func (mb *mailbox) canonicalLocked(flags []Flag) []Flag {
	out := make([]Flag, 0, len(flags))
	for _, f := range flags {
		if IsKeyword(f) {
			g, ok := mb.keywords.lookup(f)
			if !ok {
				continue
			}
			f = g
		}
		if !hasFlag(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sortFlags(out)
	return out
}

// keywordsChange is the change published when a mailbox gains keywords.
func (mb *mailbox) keywordsChangeLocked() Change {
	return Change{User: mb.user, Mailbox: mb.name, Kind: KeywordsChanged, Keywords: mb.keywords.list()}
}
