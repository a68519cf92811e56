package parquet

import (
	"container/list"
	"sync"
)

// DefaultTailSize is how many bytes at the end of a Parquet object are
// worth caching even when the footer is smaller: readers such as DuckDB,
// Arrow and Spark open a file with a speculative tail read of up to 64 KiB.
const DefaultTailSize = 64 << 10

// Cache keeps the tails (footer and trailer) of Parquet objects in memory,
// evicting the least recently used when the total size exceeds its
// capacity. It is safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	capacity int64
	size     int64
	ll       *list.List // front = most recently used; values are *cacheEntry
	items    map[string]*list.Element
}

type cacheEntry struct {
	key  string
	tail []byte
}

// NewCache returns a cache holding at most capacityBytes of tails
// (parquet.cache_size). A capacity <= 0 caches nothing.
func NewCache(capacityBytes int64) *Cache {
	return &Cache{capacity: capacityBytes, ll: list.New(), items: make(map[string]*list.Element)}
}

// CacheKey is the key under which an object version's tail is cached.
func CacheKey(bucket, key, versionID string) string {
	return bucket + "/" + key + "/" + versionID
}

// Get returns the cached tail for key. The returned slice must not be
// modified.
func (c *Cache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		cacheMisses.Inc()
		return nil, false
	}
	cacheHits.Inc()
	c.ll.MoveToFront(e)
	return e.Value.(*cacheEntry).tail, true
}

// Put stores the last bytes of an object under key, replacing any previous
// entry. A tail larger than the whole capacity is not cached. The cache
// keeps tail; the caller must not modify it afterwards.
func (c *Cache) Put(key string, tail []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.removeElement(e)
	}
	if int64(len(tail)) > c.capacity {
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, tail: tail})
	c.size += int64(len(tail))
	for c.size > c.capacity {
		c.removeElement(c.ll.Back())
	}
}

// Delete removes key from the cache (when the object version is deleted).
func (c *Cache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.removeElement(e)
	}
}

// Len returns the number of cached tails.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// Size returns the number of bytes held.
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

func (c *Cache) removeElement(e *list.Element) {
	ent := c.ll.Remove(e).(*cacheEntry)
	delete(c.items, ent.key)
	c.size -= int64(len(ent.tail))
}

// ReadRange serves the byte range [start, end] (inclusive, as in an HTTP
// Range header) of the object of the given size cached under key, when the
// range lies entirely inside the cached tail. It counts a hit or a miss.
func (c *Cache) ReadRange(key string, size, start, end int64) ([]byte, bool) {
	tail, ok := c.Get(key)
	if !ok {
		return nil, false
	}
	b, ok := TailRange(tail, size, start, end)
	if ok {
		bytesServed.Add(float64(len(b)))
	}
	return b, ok
}

// TailRange returns the bytes [start, end] (inclusive) of an object of the
// given size whose last len(tail) bytes are tail, when the range lies
// entirely inside tail. The result aliases tail.
func TailRange(tail []byte, size, start, end int64) ([]byte, bool) {
	base := size - int64(len(tail))
	if base < 0 || start < base || start > end || end >= size {
		return nil, false
	}
	return tail[start-base : end-base+1], true
}

// SuffixRange converts a suffix range "bytes=-n" on an object of the given
// size into [start, end] inclusive, as HTTP defines it.
func SuffixRange(size, n int64) (start, end int64) {
	return max(size-n, 0), size - 1
}
