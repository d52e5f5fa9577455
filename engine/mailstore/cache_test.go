package mailstore

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContentCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newContentCache(40)
	for i := range 4 {
		c.put(fmt.Sprint(i), make([]byte, 10))
	}
	c.get("0") // 0 is now the most recent; 1 is the oldest
	c.put("4", make([]byte, 10))
	var present []string
	for i := range 5 {
		if _, ok := c.get(fmt.Sprint(i)); ok {
			present = append(present, fmt.Sprint(i))
		}
	}
	if diff := cmp.Diff([]string{"0", "2", "3", "4"}, present); diff != "" {
		t.Errorf("cached keys (-want +got):\n%s", diff)
	}
	if c.used != 40 {
		t.Errorf("used = %d, want 40", c.used)
	}
	c.drop("2")
	if _, ok := c.get("2"); ok || c.used != 30 {
		t.Errorf("after drop: present=%v used=%d", ok, c.used)
	}
	c.put("big", make([]byte, 11)) // over a quarter of the budget
	if _, ok := c.get("big"); ok {
		t.Error("a message over a quarter of the budget was cached")
	}
	var off *contentCache // a store with the cache turned off
	off.put("x", []byte("x"))
	if _, ok := off.get("x"); ok {
		t.Error("nil cache returned an entry")
	}
}
