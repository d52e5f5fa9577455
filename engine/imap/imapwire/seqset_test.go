package imapwire_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wirelab/wirelab/engine/imap/imapwire"
)

func TestParseSeqSet(t *testing.T) {
	tests := []struct {
		in, want string
		dynamic  bool
	}{
		{"1", "1", false},
		{"1:3", "1:3", false},
		{"3:1", "1:3", false},
		{"1,2,3", "1:3", false},
		{"3,2,1", "1:3", false},
		{"1:3,2:5", "1:5", false},
		{"1:3,4:5", "1:5", false},
		{"1:3,5:6", "1:3,5:6", false},
		{"5:6,1:3", "1:3,5:6", false},
		{"1,1,1", "1", false},
		{"10:20,15,12:13", "10:20", false},
		{"4294967294,4294967295,1", "1,4294967294:4294967295", false},
		{"4294967295,5", "5,4294967295", false},
		{"*", "*", true},
		{"*:*", "*", true},
		{"1:*", "1:*", true},
		{"*:1", "1:*", true},
		{"*,*", "*", true},
		{"*,3:*", "3:*", true},
		{"7:*,3:*", "3:*,7:*", true},
		{"7:*,7:*", "7:*", true},
		{"5,7:*,1:2", "1:2,5,7:*", true},
		{"2,4:7,9,12:*", "2,4:7,9,12:*", true},
		{"$", "$", false},
	}
	for _, tc := range tests {
		s, err := imapwire.ParseSeqSet(tc.in)
		if err != nil {
			t.Errorf("ParseSeqSet(%q): %v", tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("ParseSeqSet(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if s.Dynamic() != tc.dynamic {
			t.Errorf("ParseSeqSet(%q).Dynamic() = %v", tc.in, s.Dynamic())
		}
		// The canonical form parses to itself.
		again, err := imapwire.ParseSeqSet(tc.want)
		if err != nil || again.String() != tc.want {
			t.Errorf("canonical %q parses as %q, %v", tc.want, again.String(), err)
		}
	}
}

func TestParseSeqSetInvalid(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "empty sequence set",
		"0":                       "0 is not a valid message number (they start at 1)",
		"1:0":                     "0 is not a valid message number (they start at 1)",
		"1:":                      "missing number at the end",
		":1":                      `expected a number or "*" at offset 0`,
		"1,,2":                    `expected a number or "*" at offset 2`,
		"1,":                      "missing number at the end",
		"4294967296":              "number 4294967296 is larger than 4294967295",
		"99999999999999999999999": "number 99999999999999999999999 is larger than 4294967295",
		"1:x":                     `expected a number or "*" at offset 2`,
		"1 2":                     "unexpected ' ' at offset 1",
		"1:2:3":                   "unexpected ':' at offset 3",
		"**":                      "unexpected '*' at offset 1",
		"-1":                      `expected a number or "*" at offset 0`,
		"+1":                      `expected a number or "*" at offset 0`,
		"01":                      "number 01 has a leading zero",
		"1:02":                    "number 02 has a leading zero",
		"$:1":                     `"$" must stand alone`,
		"1,$":                     `"$" must stand alone`,
		"$$":                      `"$" must stand alone`,
	} {
		_, err := imapwire.ParseSeqSet(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseSeqSet(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestSeqSetRangeLimit(t *testing.T) {
	nums := make([]string, imapwire.MaxSeqSetRanges)
	for i := range nums {
		nums[i] = strconv.Itoa(2*i + 1)
	}
	if _, err := imapwire.ParseSeqSet(strings.Join(nums, ",")); err != nil {
		t.Errorf("%d ranges: %v", len(nums), err)
	}
	nums = append(nums, "99999")
	_, err := imapwire.ParseSeqSet(strings.Join(nums, ","))
	if want := "more than 16384 ranges in a sequence set"; err == nil || err.Error() != want {
		t.Errorf("%d ranges: error %v, want %q", len(nums), err, want)
	}
}

func TestSeqSetContains(t *testing.T) {
	tests := []struct {
		set string
		max uint32
		in  []uint32
		out []uint32
	}{
		{"1:3,5", 10, []uint32{1, 2, 3, 5}, []uint32{0, 4, 6, 10}},
		{"*", 10, []uint32{10}, []uint32{1, 9, 11}},
		{"5:*", 10, []uint32{5, 7, 10}, []uint32{4, 11}},
		// RFC 9051 §9: "3291:*" includes the last UID even below 3291.
		{"3291:*", 100, []uint32{100, 3291, 2000}, []uint32{99, 3292}},
		{"*:4,5:7", 10, []uint32{4, 5, 6, 7, 8, 9, 10}, []uint32{3, 11}},
		{"1:*", 0, []uint32{0, 1}, []uint32{2}},
		{"2,4:7,9,12:*", 15, []uint32{2, 4, 7, 9, 12, 15}, []uint32{1, 3, 8, 10, 11, 16}},
		{"$", 10, nil, []uint32{1, 10}},
	}
	for _, tc := range tests {
		s, err := imapwire.ParseSeqSet(tc.set)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tc.in {
			if !s.Contains(n, tc.max) {
				t.Errorf("%s with * = %d: Contains(%d) = false", tc.set, tc.max, n)
			}
		}
		for _, n := range tc.out {
			if s.Contains(n, tc.max) {
				t.Errorf("%s with * = %d: Contains(%d) = true", tc.set, tc.max, n)
			}
		}
	}
}

func TestSeqSetRanges(t *testing.T) {
	tests := []struct {
		set  string
		max  uint32
		want string
	}{
		{"1:3,5", 10, "1:3 5:5"},
		{"2,4:7,9,12:*", 15, "2:2 4:7 9:9 12:15"},
		{"*:4,5:7", 10, "4:10"},
		{"3291:*", 100, "100:3291"},
		{"1:2,5:*,*", 3, "1:5"},
		{"8,5:*", 20, "5:20"},
		{"30,5:*", 20, "5:20 30:30"},
		{"*", 7, "7:7"},
		{"1:*", 0, "0:1"},
	}
	for _, tc := range tests {
		s, err := imapwire.ParseSeqSet(tc.set)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for r := range s.Ranges(tc.max) {
			got = append(got, strconv.Itoa(int(r.Start))+":"+strconv.Itoa(int(r.Stop)))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s with * = %d: Ranges = %q, want %q", tc.set, tc.max, g, tc.want)
		}
	}
	// Stopping early.
	s, _ := imapwire.ParseSeqSet("1,3,5:*")
	n := 0
	for range s.Ranges(10) {
		n++
		break
	}
	for range s.Nums(10) {
		n++
		break
	}
	if n != 2 {
		t.Errorf("breaking out of the loops: %d iterations", n)
	}
}

func TestSeqSetNums(t *testing.T) {
	s, _ := imapwire.ParseSeqSet("*:4,5:7,2")
	got := slices.Collect(s.Nums(9))
	if diff := cmp.Diff([]uint32{2, 4, 5, 6, 7, 8, 9}, got); diff != "" {
		t.Errorf("Nums (-want +got):\n%s", diff)
	}
	// The largest number does not wrap around.
	s, _ = imapwire.ParseSeqSet("4294967294:*")
	got = slices.Collect(s.Nums(4294967295))
	if diff := cmp.Diff([]uint32{4294967294, 4294967295}, got); diff != "" {
		t.Errorf("Nums at the top (-want +got):\n%s", diff)
	}
}

func TestSeqSetBuild(t *testing.T) {
	var s imapwire.SeqSet
	if !s.IsEmpty() || s.String() != "" {
		t.Errorf("zero SeqSet: IsEmpty %v, String %q", s.IsEmpty(), s.String())
	}
	for _, n := range []uint32{304, 319, 320, 3956, 3957, 3958} {
		s.AddNum(n)
	}
	if got := s.String(); got != "304,319:320,3956:3958" {
		t.Errorf("ascending AddNum: %q", got)
	}
	s.AddRange(310, 305)
	s.AddNum(1)
	s.AddRange(imapwire.Star, 5000)
	s.AddNum(imapwire.Star)
	if got := s.String(); got != "1,304:310,319:320,3956:3958,5000:*" {
		t.Errorf("after out-of-order adds: %q", got)
	}
	s.AddNum(4000) // a static range after dynamic ones
	if got := s.String(); got != "1,304:310,319:320,3956:3958,4000,5000:*" {
		t.Errorf("after a static add: %q", got)
	}
	if got := imapwire.SeqSetOf(5, 1, 2, 3, imapwire.Star).String(); got != "1:3,5,*" {
		t.Errorf("SeqSetOf = %q", got)
	}
	res := imapwire.SearchRes()
	if !res.IsSearchRes() || res.IsEmpty() || res.String() != "$" {
		t.Errorf("SearchRes: %v %v %q", res.IsSearchRes(), res.IsEmpty(), res.String())
	}
	res.AddNum(3)
	if res.IsSearchRes() || res.String() != "3" {
		t.Errorf("SearchRes after AddNum: %q", res.String())
	}
	raw := imapwire.SeqSetOf(1, 2, 7, imapwire.Star).RawRanges()
	if diff := cmp.Diff([]imapwire.Range{{1, 2}, {7, 7}, {0, 0}}, raw); diff != "" {
		t.Errorf("RawRanges (-want +got):\n%s", diff)
	}
}

// TestSeqSetModel builds random sets with AddRange and by parsing, and
// checks them against a plain membership model, and the canonical form.
func TestSeqSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5182, 7162))
	const top = 60
	for i := range 2000 {
		var s imapwire.SeqSet
		var text []string
		model := map[uint32]bool{}
		max := uint32(r.IntN(top))
		for range 1 + r.IntN(6) {
			a, b := uint32(1+r.IntN(top)), uint32(1+r.IntN(top))
			if r.IntN(5) == 0 {
				a = imapwire.Star
			}
			if r.IntN(5) == 0 {
				b = imapwire.Star
			}
			s.AddRange(a, b)
			text = append(text, rangeText(a, b))
			ra, rb := a, b
			if ra == imapwire.Star {
				ra = max
			}
			if rb == imapwire.Star {
				rb = max
			}
			for n := min(ra, rb); n <= max32(ra, rb); n++ {
				model[n] = true
			}
		}
		parsed, err := imapwire.ParseSeqSet(strings.Join(text, ","))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if parsed.String() != s.String() {
			t.Fatalf("case %d: %q parses as %q, AddRange built %q", i, strings.Join(text, ","), parsed.String(), s.String())
		}
		for n := uint32(0); n <= top+1; n++ {
			if got := s.Contains(n, max); got != model[n] {
				t.Fatalf("case %d: %s with * = %d: Contains(%d) = %v", i, s.String(), max, n, got)
			}
		}
		var fromRanges []uint32
		prevStop := int64(-2)
		for rg := range s.Ranges(max) {
			if int64(rg.Start) <= prevStop+1 || rg.Start > rg.Stop {
				t.Fatalf("case %d: %s: Ranges not ascending and merged", i, s.String())
			}
			prevStop = int64(rg.Stop)
			for n := rg.Start; n <= rg.Stop; n++ {
				fromRanges = append(fromRanges, n)
			}
		}
		var want []uint32
		for n := uint32(0); n <= top+1; n++ {
			if model[n] {
				want = append(want, n)
			}
		}
		if diff := cmp.Diff(want, fromRanges); diff != "" {
			t.Fatalf("case %d: %s with * = %d: Ranges (-want +got):\n%s", i, s.String(), max, diff)
		}
	}
}

func rangeText(a, b uint32) string {
	f := func(n uint32) string {
		if n == imapwire.Star {
			return "*"
		}
		return strconv.FormatUint(uint64(n), 10)
	}
	return f(a) + ":" + f(b)
}

func max32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}
