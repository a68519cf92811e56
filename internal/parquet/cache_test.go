package parquet

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

func TestCacheEvictsByBytes(t *testing.T) {
	c := NewCache(100)
	c.Put("a", make([]byte, 40))
	c.Put("b", make([]byte, 40))
	if _, ok := c.Get("a"); !ok { // a is now most recently used
		t.Fatal("a missing")
	}
	c.Put("c", make([]byte, 40)) // 120 > 100: evicts b, the LRU
	if _, ok := c.Get("b"); ok {
		t.Error("b was not evicted")
	}
	if _, ok := c.Get("a"); !ok {
		t.Error("a was evicted")
	}
	if c.Size() != 80 || c.Len() != 2 {
		t.Errorf("size %d len %d", c.Size(), c.Len())
	}
	c.Put("huge", make([]byte, 101))
	if _, ok := c.Get("huge"); ok || c.Size() != 80 {
		t.Error("entry larger than capacity was cached")
	}
	c.Put("a", make([]byte, 10)) // replace shrinks
	if c.Size() != 50 {
		t.Errorf("size after replace = %d", c.Size())
	}
	c.Delete("a")
	if _, ok := c.Get("a"); ok || c.Size() != 40 {
		t.Error("delete failed")
	}
}

func TestCacheReadRange(t *testing.T) {
	obj := make([]byte, 1000)
	for i := range obj {
		obj[i] = byte(i)
	}
	c := NewCache(1 << 20)
	key := CacheKey("b", "k.parquet", "v1")
	c.Put(key, obj[900:])
	start, end := SuffixRange(1000, 8)
	if b, ok := c.ReadRange(key, 1000, start, end); !ok || !bytes.Equal(b, obj[992:]) {
		t.Errorf("suffix 8: %v %v", b, ok)
	}
	if b, ok := c.ReadRange(key, 1000, 900, 949); !ok || !bytes.Equal(b, obj[900:950]) {
		t.Error("inner range")
	}
	for _, r := range [][2]int64{{899, 950}, {950, 1000}, {10, 20}, {960, 950}} {
		if _, ok := c.ReadRange(key, 1000, r[0], r[1]); ok {
			t.Errorf("range %v served", r)
		}
	}
	if _, ok := c.ReadRange("other", 1000, 990, 999); ok {
		t.Error("unknown key served")
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := NewCache(1000)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k := fmt.Sprint(i % 37)
				c.Put(k, make([]byte, i%50))
				c.Get(fmt.Sprint(i % 41))
			}
		}()
	}
	wg.Wait()
	if c.Size() > 1000 {
		t.Errorf("size %d over capacity", c.Size())
	}
}
