package object

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/parquet"
)

// rangeReadBytes counts the bytes the object service read from chunks by
// range (ChunkStore.ReadAt): S3 Select scans, Parquet footer parsing and
// tail cache fills. Whole-object reads (GetObject) read whole chunks and
// are not counted here.
var rangeReadBytes = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "anode_object_range_read_bytes_total",
	Help: "Bytes read from chunks by range (S3 Select, Parquet footers and tail cache fills).",
})

func init() { metrics.Registry.MustRegister(rangeReadBytes) }

// parquetIndex returns the encoded footer index of a version whose data is
// a Parquet file, or nil. A file that only looks like Parquet, or whose
// footer is corrupt, is an ordinary object: this never fails a write.
//
// It reads the first 4 bytes, the last 8 and then the footer, by range,
// from the chunks the write has just stored; the body is never read again.
func (s *Service) parquetIndex(v *meta.Version, keys chunkKeys) (index []byte) {
	if v.Size < 12 {
		return nil
	}
	defer func() {
		// ParseFooter already turns decoder panics into errors; this is
		// the last guard of the promise that a write never fails here.
		if p := recover(); p != nil {
			s.log.Warn("parquet footer index panicked; object stored as ordinary data", "panic", fmt.Sprint(p))
			index = nil
		}
	}()
	r := s.versionReaderAt(v, keys)
	var head [4]byte
	var tail [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil
	}
	if _, err := r.ReadAt(tail[:], v.Size-8); err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	if !parquet.LooksLikeParquet(head[:], tail[:]) {
		return nil
	}
	ft, err := parquet.ParseFooter(r, v.Size)
	if err != nil {
		s.log.Info("object looks like Parquet but its footer cannot be read; stored as ordinary data", "size", v.Size, "err", err)
		return nil
	}
	b, err := ft.MarshalBinary()
	if err != nil {
		s.log.Info("parquet footer cannot be encoded; stored as ordinary data", "err", err)
		return nil
	}
	return b
}

// tailCache is the Service's cache of Parquet object tails, made on first
// use from Config.Parquet.
type tailCache struct {
	once  sync.Once
	cache *parquet.Cache // nil when parquet.enable_cache is off
}

// tails returns the tail cache, or nil when it is disabled.
func (s *Service) tails() *parquet.Cache {
	s.pqTails.once.Do(func() {
		if p := s.cfg.Parquet; p.EnableCache && p.CacheSize > 0 {
			s.pqTails.cache = parquet.NewCache(p.CacheSize)
		}
	})
	return s.pqTails.cache
}

// tailKey names a version in the tail cache. The raft index that created
// the version (Seq) is part of it: an overwritten unversioned key gets a
// new Seq, so a stale tail can never be served, and old entries simply age
// out of the LRU instead of needing an invalidation on every delete path.
func tailKey(bucket, key string, v *meta.Version) string {
	return parquet.CacheKey(bucket, key, v.VersionID+"@"+strconv.FormatUint(v.Seq, 10))
}

// tailSize is how many bytes at the end of a Parquet version are cached:
// the speculative 64 KiB tail read most readers start with, or the whole
// footer when it is larger, never more than the object.
func tailSize(v *meta.Version) int64 {
	n := int64(parquet.DefaultTailSize)
	// The encoded index ends with the raw footer, which ends with the
	// footer's 4-byte little-endian length and "PAR1" (the file format's
	// trailer), so its size is known without decoding the index.
	if p := v.Parquet; len(p) >= 8 {
		n = max(n, int64(binary.LittleEndian.Uint32(p[len(p)-8:]))+8)
	}
	return min(n, v.Size)
}

// parquetTailRange returns bytes [start, end] (inclusive) of a Parquet
// version from the tail cache when the range lies inside the cached tail.
// On a miss it fills the cache with one ranged read of the tail, so the
// footer reads that follow (readers typically fetch the last 8 bytes, then
// the footer, then the column chunks) do not touch chunks. It reports false
// for anything else, and the caller reads the chunks as usual.
func (s *Service) parquetTailRange(bucket, key string, v *meta.Version, keys chunkKeys, start, end int64) ([]byte, bool) {
	if v.Parquet == nil {
		return nil, false
	}
	c := s.tails()
	if c == nil {
		return nil, false
	}
	n := tailSize(v)
	if start < v.Size-n || end >= v.Size || start > end {
		return nil, false // not a footer read: no hit or miss to count
	}
	k := tailKey(bucket, key, v)
	if b, ok := c.ReadRange(k, v.Size, start, end); ok {
		return b, true
	}
	// The footer and the file's 8-byte trailer are in the metadata record
	// already: a read inside them fills the cache without touching chunks.
	if ft := footerTail(v); ft != nil && start >= v.Size-int64(len(ft)) {
		c.Put(k, ft)
		return parquet.TailRange(ft, v.Size, start, end)
	}
	tail, err := parquet.ReadTail(s.versionReaderAt(v, keys), v.Size, n)
	if err != nil {
		s.log.Warn("parquet tail cache fill failed", "bucket", bucket, "key", key, "err", err)
		return nil, false
	}
	c.Put(k, tail)
	return parquet.TailRange(tail, v.Size, start, end)
}

// versionReaderAt is an io.ReaderAt over a version's data: its inline bytes,
// or its chunks read by range with ChunkStore.ReadAt, so that a small read
// of a large object touches only the bytes asked for. Range reads are not
// hash-verified (the scrubber verifies chunks); whole-object reads are.
type versionReaderAt struct {
	s      *Service
	chunks ChunkStore
	keys   chunkKeys // of an encrypted version: its chunks are decrypted
	v      *meta.Version
	ends   []int64 // ends[i] is the object offset just past chunk i
}

func (s *Service) versionReaderAt(v *meta.Version, keys chunkKeys) *versionReaderAt {
	r := &versionReaderAt{s: s, chunks: s.cfg.Chunks, keys: keys, v: v}
	if v.Inline == nil {
		r.ends = make([]int64, len(v.Chunks))
		var off int64
		for i, c := range v.Chunks {
			off += c.Size
			r.ends[i] = off
		}
	}
	return r
}

// Size returns the size of the version.
func (r *versionReaderAt) Size() int64 { return r.v.Size }

// ReadAt implements io.ReaderAt. It is safe for concurrent use.
func (r *versionReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("object: read at negative offset %d", off)
	}
	if off >= r.v.Size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	if r.v.Inline != nil || len(r.v.Chunks) == 0 {
		n := copy(p, r.v.Inline[min(off, int64(len(r.v.Inline))):])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	i := sort.Search(len(r.ends), func(i int) bool { return r.ends[i] > off })
	n := 0
	for n < len(p) && i < len(r.v.Chunks) {
		c := r.v.Chunks[i]
		within := off + int64(n) - (r.ends[i] - c.Size)
		want := int(min(int64(len(p)-n), c.Size-within))
		var m int
		var err error
		if r.keys != nil {
			var plain []byte
			plain, err = r.s.readEncrypted(c, r.keys[i], within, within+int64(want), nil)
			m = copy(p[n:n+want], plain)
		} else {
			m, err = r.chunks.ReadAt(chunk.Hash(c.Hash), p[n:n+want], within)
		}
		n += m
		rangeReadBytes.Add(float64(m))
		if m < want {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, fmt.Errorf("object: read chunk %x at %d: %w", c.Hash[:8], within, err)
		}
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// footerTail returns the last bytes of a Parquet version that its footer
// index holds verbatim: the footer, its length and "PAR1".
func footerTail(v *meta.Version) []byte {
	p := v.Parquet
	if len(p) < 8 {
		return nil
	}
	n := int64(binary.LittleEndian.Uint32(p[len(p)-8:])) + 8
	if n > int64(len(p)) || n > v.Size {
		return nil
	}
	return p[int64(len(p))-n:]
}
