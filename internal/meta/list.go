package meta

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// ListEntry is one key of a listing with its current version.
type ListEntry struct {
	Key     string
	Version *Version
}

// ListPage is one page of a bucket listing, in key order.
type ListPage struct {
	Entries   []ListEntry
	Prefixes  []string
	Truncated bool
	// Next is the last key or common prefix returned: listing again after
	// it continues where this page stopped.
	Next string
}

// List returns up to max keys and common prefixes of a bucket, after the
// key "after", as ListObjects defines them. Keys live in every placement
// group, so List reads all groups' spans (after a read barrier on each, so
// the listing is linearizable) and merges them in key order. Delete markers
// are not listed.
func (s *Store) List(ctx context.Context, bucket, prefix, delimiter, after string, max int) (*ListPage, error) {
	if err := s.BarrierAll(ctx); err != nil {
		return nil, err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	start := prefix
	if after >= start {
		start = resumeAfter(prefix, delimiter, after)
	}
	m, err := s.mergeCurrent(snap, bucket, prefix, start)
	if err != nil {
		return nil, err
	}
	defer m.close()

	page := &ListPage{}
	count := 0
	for m.h.Len() > 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c := m.h[0]
		key := string(c.key())
		if delimiter != "" {
			if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
				cp := key[:len(prefix)+i+len(delimiter)]
				if count == max {
					page.Truncated = true
					break
				}
				page.Prefixes = append(page.Prefixes, cp)
				page.Next = cp
				count++
				m.seekAll([]byte(prefixEndString(cp)))
				continue
			}
		}
		var v Version
		if err := json.Unmarshal(c.it.Value(), (*listVersion)(&v)); err != nil {
			return nil, fmt.Errorf("list %s: %q: %w", bucket, key, err)
		}
		if !v.DeleteMarker {
			if count == max {
				page.Truncated = true
				break
			}
			page.Entries = append(page.Entries, ListEntry{Key: key, Version: &v})
			page.Next = key
			count++
		}
		m.advance()
	}
	if err := m.err(); err != nil {
		return nil, err
	}
	return page, nil
}

// resumeAfter returns where a listing continues after the key or common
// prefix `after`: just past it, or, when it rolls up into a common prefix,
// past every key under that prefix.
func resumeAfter(prefix, delimiter, after string) string {
	if delimiter != "" && strings.HasPrefix(after, prefix) {
		if i := strings.Index(after[len(prefix):], delimiter); i >= 0 {
			return prefixEndString(after[:len(prefix)+i+len(delimiter)])
		}
	}
	return after + "\x00"
}

// mergeCurrent opens one cursor per placement group over the current keys
// of a bucket under prefix, positioned at start, merged in key order.
func (s *Store) mergeCurrent(snap *pebble.Snapshot, bucket, prefix, start string) (*mergeIter, error) {
	m := &mergeIter{}
	for g := 1; g <= s.groups; g++ {
		base := bucketObjectsPrefix(uint64(g), kindCurrent, bucket)
		lo := append(append([]byte(nil), base...), prefix...)
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			m.close()
			return nil, err
		}
		c := &cursor{it: it, prefix: base}
		m.cursors = append(m.cursors, c)
		if c.seek([]byte(start)) {
			m.h = append(m.h, c)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// listVersion decodes a Version without its inline data, which a listing
// does not need.
type listVersion Version

func (v *listVersion) UnmarshalJSON(b []byte) error {
	var aux struct {
		Version
		Inline  json.RawMessage `json:"inline,omitempty"`
		Parquet json.RawMessage `json:"pq,omitempty"`
		Chunks  json.RawMessage `json:"chunks,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*v = listVersion(aux.Version)
	return nil
}

func prefixEndString(p string) string {
	return string(prefixEnd([]byte(p)))
}

// cursor walks one group's span of a bucket.
type cursor struct {
	it     *pebble.Iterator
	prefix []byte // the group/bucket prefix before the object key
}

func (c *cursor) key() []byte { return c.it.Key()[len(c.prefix):] }

func (c *cursor) next() bool { return c.it.Next() }

// seek positions the cursor at the first object key >= k.
func (c *cursor) seek(k []byte) bool {
	lo := make([]byte, 0, len(c.prefix)+len(k))
	lo = append(append(lo, c.prefix...), k...)
	return c.it.SeekGE(lo)
}

type mergeIter struct {
	cursors []*cursor
	h       cursorHeap
}

// seekAll moves every cursor still positioned before k to k.
func (m *mergeIter) seekAll(k []byte) {
	live := m.h[:0]
	for _, c := range m.h {
		if bytes.Compare(c.key(), k) >= 0 || c.seek(k) {
			live = append(live, c)
		}
	}
	m.h = live
	heap.Init(&m.h)
}

// advance moves the smallest cursor to its next key.
func (m *mergeIter) advance() {
	if m.h[0].next() {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
}

// err returns the first error of any cursor.
func (m *mergeIter) err() error {
	for _, c := range m.cursors {
		if err := c.it.Error(); err != nil {
			return err
		}
	}
	return nil
}

func (m *mergeIter) close() {
	for _, c := range m.cursors {
		c.it.Close()
	}
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return bytes.Compare(h[i].key(), h[j].key()) < 0 }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
