package imapwire

import (
	"errors"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// A Range is seq-number or seq-range of a sequence set (RFC 9051 §9).
// Stop is 0 for "*", the largest number in use; Start is 0 only in "*"
// alone. Otherwise Start <= Stop: "4:2" is stored as 2:4, "*:4" as 4:*.
type Range struct {
	Start, Stop uint32
}

// Star is the number that stands for "*" in a Range.
const Star = 0

func (r Range) dynamic() bool { return r.Stop == Star }

// resolve replaces "*" by max and orders the ends. RFC 9051 §9 seq-range:
// "3291:*" includes the last UID even if it is below 3291.
func (r Range) resolve(max uint32) Range {
	if !r.dynamic() {
		return r
	}
	if r.Start == Star || r.Start == max {
		return Range{max, max}
	}
	if r.Start < max {
		return Range{r.Start, max}
	}
	return Range{max, r.Start}
}

func (r Range) appendTo(dst []byte) []byte {
	if r.Start == Star {
		return append(dst, '*')
	}
	dst = strconv.AppendUint(dst, uint64(r.Start), 10)
	switch r.Stop {
	case r.Start:
		return dst
	case Star:
		return append(dst, ":*"...)
	}
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(r.Stop), 10)
}

// A SeqSet is a sequence-set (RFC 9051 §9): message sequence numbers or
// UIDs, as single numbers and ranges, possibly with "*"; or "$", the result
// saved by the last SEARCH RETURN (SAVE) (RFC 5182).
//
// A SeqSet is kept in canonical form: ranges without "*" sorted, with
// overlapping and adjacent ones merged; then ranges with "*", sorted and
// without duplicates. Ranges with "*" cannot be merged with the others,
// since what "*" stands for is known only when the set is used:
//
//   - for message sequence numbers, "*" is the number of messages in the
//     mailbox; with an empty mailbox, a set with "*" is an error the server
//     answers with BAD (RFC 9051 §9, seq-number);
//   - for UIDs, "*" is the UID of the last message, or, if the mailbox is
//     empty, UIDNEXT-1 by RFC 3501 §6.4.8's "largest UID in use" — RFC 9051
//     says the current UIDNEXT; either way "n:*" then matches nothing that
//     exists. So "3291:*" always includes the last message (RFC 9051 §9).
//
// The methods that resolve "*" take that number as max. The zero SeqSet is
// empty, and is not a valid sequence-set on the wire.
type SeqSet struct {
	ranges    []Range
	searchRes bool
}

// SearchRes returns the SeqSet "$" (RFC 5182 §2.1).
func SearchRes() SeqSet { return SeqSet{searchRes: true} }

// SeqSetOf returns the set of the given numbers (0 stands for "*").
func SeqSetOf(nums ...uint32) SeqSet {
	var s SeqSet
	for _, n := range nums {
		s.AddNum(n)
	}
	return s
}

// IsSearchRes reports whether s is "$".
func (s SeqSet) IsSearchRes() bool { return s.searchRes }

// IsEmpty reports whether s has no numbers (and is not "$").
func (s SeqSet) IsEmpty() bool { return len(s.ranges) == 0 && !s.searchRes }

// Dynamic reports whether s uses "*".
func (s SeqSet) Dynamic() bool {
	return len(s.ranges) > 0 && s.ranges[len(s.ranges)-1].dynamic()
}

// RawRanges returns the canonical ranges, with Star for "*". The slice must
// not be modified.
func (s SeqSet) RawRanges() []Range { return s.ranges }

// AddNum adds the number n (Star for "*").
func (s *SeqSet) AddNum(n uint32) { s.AddRange(n, n) }

// AddRange adds the range a:b, in either order (Star for "*"). Adding in
// ascending order, as a server building COPYUID or ESEARCH data does, costs
// O(1) per call.
func (s *SeqSet) AddRange(a, b uint32) {
	s.searchRes = false
	r := Range{a, b}
	switch {
	case a == Star:
		r = Range{b, Star}
	case b != Star && a > b:
		r = Range{b, a}
	}
	if r.dynamic() {
		s.addDynamic(r)
		return
	}
	// The static ranges are s.ranges[:k].
	k := len(s.ranges)
	for k > 0 && s.ranges[k-1].dynamic() {
		k--
	}
	if k == len(s.ranges) && k > 0 {
		last := &s.ranges[k-1]
		if r.Start > last.Stop && r.Start-last.Stop > 1 {
			s.ranges = append(s.ranges, r)
			return
		}
		if r.Start >= last.Start {
			last.Stop = max(last.Stop, r.Stop)
			return
		}
	}
	if k == 0 && len(s.ranges) == 0 {
		s.ranges = append(s.ranges, r)
		return
	}
	s.ranges = slices.Insert(s.ranges, k, r)
	s.normalize()
}

func (s *SeqSet) addDynamic(r Range) {
	s.ranges = append(s.ranges, r)
	s.normalize()
}

// normalize puts s.ranges in canonical form.
func (s *SeqSet) normalize() {
	rs := s.ranges
	slices.SortFunc(rs, func(a, b Range) int {
		// Static ranges first, by start; then "n:*" by n; "*" last.
		if a.dynamic() != b.dynamic() {
			if a.dynamic() {
				return 1
			}
			return -1
		}
		as, bs := uint64(a.Start), uint64(b.Start)
		if a.dynamic() {
			as, bs = (as-1)&(1<<33-1), (bs-1)&(1<<33-1) // Star (0) sorts last
		}
		switch {
		case as < bs:
			return -1
		case as > bs:
			return 1
		}
		return 0
	})
	out := rs[:0]
	hasOpen := false // some "n:*", which includes "*"
	for _, r := range rs {
		if r.dynamic() {
			if r.Start != Star {
				hasOpen = true
			} else if hasOpen {
				continue
			}
			if n := len(out); n > 0 && out[n-1] == r {
				continue
			}
			out = append(out, r)
			continue
		}
		if n := len(out); n > 0 && uint64(r.Start) <= uint64(out[n-1].Stop)+1 {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	s.ranges = out
}

// Contains reports whether n is in s, with "*" standing for max. It is
// false for "$", which the server resolves itself.
func (s SeqSet) Contains(n, max uint32) bool {
	rs := s.ranges
	k := len(rs)
	for k > 0 && rs[k-1].dynamic() {
		k--
	}
	i, _ := slices.BinarySearchFunc(rs[:k], n, func(r Range, n uint32) int {
		switch {
		case r.Stop < n:
			return -1
		case r.Start > n:
			return 1
		}
		return 0
	})
	if i < k && rs[i].Start <= n && n <= rs[i].Stop {
		return true
	}
	for _, r := range rs[k:] {
		if r = r.resolve(max); r.Start <= n && n <= r.Stop {
			return true
		}
	}
	return false
}

// Ranges yields the ranges of s with "*" resolved to max, ascending and
// merged. They are not clipped to max: for UIDs, numbers beyond the last
// one simply match no message; for sequence numbers, the server answers
// BAD (RFC 9051 §9, seq-number). With max 0, "*" resolves to 0, a number no
// message has.
func (s SeqSet) Ranges(max uint32) iter.Seq[Range] {
	return func(yield func(Range) bool) {
		if !s.Dynamic() {
			for _, r := range s.ranges {
				if !yield(r) {
					return
				}
			}
			return
		}
		if len(s.ranges) == 1 {
			yield(s.ranges[0].resolve(max))
			return
		}
		rs := make([]Range, len(s.ranges))
		for i, r := range s.ranges {
			rs[i] = r.resolve(max)
		}
		slices.SortFunc(rs, func(a, b Range) int { return int(int64(a.Start) - int64(b.Start)) })
		cur := rs[0]
		for _, r := range rs[1:] {
			if uint64(r.Start) <= uint64(cur.Stop)+1 {
				cur.Stop = max32(cur.Stop, r.Stop)
				continue
			}
			if !yield(cur) {
				return
			}
			cur = r
		}
		yield(cur)
	}
}

func max32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

// Nums yields every number of s with "*" resolved to max, ascending. Mind
// that "1:4294967295" has four billion numbers: clip with max first where
// that is what "*" means.
func (s SeqSet) Nums(max uint32) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		for r := range s.Ranges(max) {
			for n := uint64(r.Start); n <= uint64(r.Stop); n++ {
				if !yield(uint32(n)) {
					return
				}
			}
		}
	}
}

// String returns s in canonical compact form, e.g. "1:3,5,7:*", or "$".
func (s SeqSet) String() string { return string(s.AppendTo(nil)) }

// AppendTo appends the String form of s to dst.
func (s SeqSet) AppendTo(dst []byte) []byte {
	if s.searchRes {
		return append(dst, '$')
	}
	for i, r := range s.ranges {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = r.appendTo(dst)
	}
	return dst
}

var errEmptySeqSet = errors.New("empty sequence set")

// ParseSeqSet parses a sequence-set (RFC 9051 §9, with "$" of RFC 5182).
// Numbers are nz-number: 1 to 4294967295, no leading zero. The error
// explains what is wrong, without the "imapwire:" prefix, for a BAD
// response.
func ParseSeqSet(text string) (SeqSet, error) {
	var s SeqSet
	err := s.parse(text)
	if err != nil {
		return SeqSet{}, err
	}
	return s, nil
}

func (s *SeqSet) parse(text string) error {
	if text == "$" {
		s.searchRes = true
		return nil
	}
	if text == "" {
		return errEmptySeqSet
	}
	if strings.IndexByte(text, '$') >= 0 {
		return errors.New(`"$" must stand alone`)
	}
	n := 1
	for i := 0; i < len(text); i++ {
		if text[i] == ',' {
			n++
		}
	}
	if n > MaxSeqSetRanges {
		return errors.New("more than " + strconv.Itoa(MaxSeqSetRanges) + " ranges in a sequence set")
	}
	s.ranges = make([]Range, 0, n)
	sorted := true
	for i := 0; i <= len(text); {
		a, j, err := parseSeqNumber(text, i)
		if err != nil {
			return err
		}
		b := a
		if j < len(text) && text[j] == ':' {
			if b, j, err = parseSeqNumber(text, j+1); err != nil {
				return err
			}
		}
		if j < len(text) && text[j] != ',' {
			return errors.New("unexpected " + strconv.QuoteRune(rune(text[j])) + " at offset " + strconv.Itoa(j))
		}
		r := Range{a, b}
		switch {
		case a == Star:
			r = Range{b, Star}
		case b != Star && a > b:
			r = Range{b, a}
		}
		if k := len(s.ranges); k > 0 {
			last := s.ranges[k-1]
			if r.dynamic() || last.dynamic() || uint64(r.Start) <= uint64(last.Stop)+1 {
				sorted = false
			}
		}
		s.ranges = append(s.ranges, r)
		i = j + 1
		if j == len(text) {
			break
		}
	}
	if !sorted {
		s.normalize()
	}
	return nil
}

// parseSeqNumber parses seq-number (nz-number / "*") at text[i:] and returns
// it (Star for "*") and the offset after it.
func parseSeqNumber(text string, i int) (uint32, int, error) {
	if i >= len(text) {
		return 0, i, errors.New("missing number at the end")
	}
	if text[i] == '*' {
		return Star, i + 1, nil
	}
	j := i
	var v uint64
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		v = v*10 + uint64(text[j]-'0')
		if v > 1<<32-1 {
			return 0, j, errors.New("number " + digitsAt(text, i) + " is larger than 4294967295")
		}
		j++
	}
	switch {
	case j == i:
		return 0, i, errors.New("expected a number or \"*\" at offset " + strconv.Itoa(i))
	case text[i] == '0' && j-i == 1:
		return 0, i, errors.New("0 is not a valid message number (they start at 1)")
	case text[i] == '0':
		return 0, i, errors.New("number " + text[i:j] + " has a leading zero")
	}
	return uint32(v), j, nil
}

func digitsAt(text string, i int) string {
	j := i
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		j++
	}
	return text[i:j]
}
