package mailstore

import (
	"fmt"
	"sort"
	"strings"
)

// Flag is an IMAP system flag (RFC 3501 §2.3.2).
type Flag string

// The system flags, and the Maildir info letters that carry them on disk
// (https://cr.yp.to/proto/maildir.html: D draft, F flagged, R replied,
// S seen, T trashed).
const (
	FlagSeen     Flag = `\Seen`
	FlagAnswered Flag = `\Answered`
	FlagFlagged  Flag = `\Flagged`
	FlagDeleted  Flag = `\Deleted`
	FlagDraft    Flag = `\Draft`
)

var letterOf = map[Flag]byte{
	FlagDraft:    'D',
	FlagFlagged:  'F',
	FlagAnswered: 'R',
	FlagSeen:     'S',
	FlagDeleted:  'T',
}

var flagOf = map[byte]Flag{
	'D': FlagDraft,
	'F': FlagFlagged,
	'R': FlagAnswered,
	'S': FlagSeen,
	'T': FlagDeleted,
}

// ParseFlag matches a flag name case-insensitively, as IMAP compares them.
func ParseFlag(s string) (Flag, error) {
	for f := range letterOf {
		if strings.EqualFold(string(f), s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("mailstore: unsupported flag %q", s)
}

// normalizeFlags validates flags and returns them sorted without duplicates.
func normalizeFlags(flags []Flag) ([]Flag, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := make([]Flag, 0, len(flags))
	for _, f := range flags {
		g, err := ParseFlag(string(f))
		if err != nil {
			return nil, err
		}
		if !hasFlag(out, g) {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func hasFlag(flags []Flag, f Flag) bool {
	for _, g := range flags {
		if g == f {
			return true
		}
	}
	return false
}

func equalFlags(a, b []Flag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flagsFromInfo reads the letters after ":2,". Letters wirelab does not map
// (P for passed, lower-case keyword letters) are returned as extra so they
// survive flag changes.
func flagsFromInfo(info string) (flags []Flag, extra string) {
	var ex []byte
	for i := 0; i < len(info); i++ {
		if f, ok := flagOf[info[i]]; ok {
			if !hasFlag(flags, f) {
				flags = append(flags, f)
			}
		} else {
			ex = append(ex, info[i])
		}
	}
	sort.Slice(flags, func(i, j int) bool { return flags[i] < flags[j] })
	return flags, string(ex)
}

// infoFromFlags builds the info letters; Maildir wants them in ASCII order.
func infoFromFlags(flags []Flag, extra string) string {
	letters := []byte(extra)
	for _, f := range flags {
		letters = append(letters, letterOf[f])
	}
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	return string(letters)
}
