package mailstore

import (
	"container/list"
	"sync"
)

// DefaultCacheBytes is the default budget of the message cache: enough to
// hold a lab's recent mail, small enough for a browser tab.
const DefaultCacheBytes = 32 << 20

// contentCache keeps the bytes of recently delivered or read messages,
// least recently used first out. A Maildir file's content never changes
// under its key (flag changes only rename it), so entries need no
// invalidation except on expunge. New mail is the mail most likely to be
// fetched next, which is why delivery fills the cache too.
type contentCache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	order  *list.List // of *cacheEntry, most recent at the front
	byKey  map[string]*list.Element
}

type cacheEntry struct {
	key  string
	data []byte
}

func newContentCache(budget int64) *contentCache {
	return &contentCache{budget: budget, order: list.New(), byKey: make(map[string]*list.Element)}
}

func (c *contentCache) get(key string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).data, true
}

// put stores data, which the caller must not modify afterwards.
func (c *contentCache) put(key string, data []byte) {
	if c == nil || int64(len(data)) > c.budget/4 {
		return // one huge message should not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, data: data})
	c.used += int64(len(data))
	for c.used > c.budget {
		last := c.order.Back()
		e := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.used -= int64(len(e.data))
	}
}

func (c *contentCache) drop(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.order.Remove(el)
		delete(c.byKey, key)
		c.used -= int64(len(el.Value.(*cacheEntry).data))
	}
}
