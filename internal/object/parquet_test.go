package object

import (
	"bytes"
	"crypto/sha256"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
)

// chunked stores data in a real chunk store cut into chunks of the given
// size and returns a Service reading from it and the version.
func chunked(t *testing.T, data []byte, size int) (*Service, *meta.Version) {
	t.Helper()
	store, err := chunk.Open(chunk.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	v := &meta.Version{Size: int64(len(data))}
	for off := 0; off < len(data); off += size {
		part := data[off:min(off+size, len(data))]
		h := chunk.Hash(sha256.Sum256(part))
		if _, err := store.Put(h, part); err != nil {
			t.Fatal(err)
		}
		v.Chunks = append(v.Chunks, meta.ChunkRef{Hash: h, Size: int64(len(part))})
	}
	return &Service{cfg: Config{Chunks: store}, log: slog.New(slog.DiscardHandler)}, v
}

// TestVersionReaderAt checks range reads within and across chunk
// boundaries, at the end of the object and past it.
func TestVersionReaderAt(t *testing.T) {
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	s, v := chunked(t, data, 1000)
	r := s.versionReaderAt(v, nil)
	for _, tc := range []struct {
		off, n int64
	}{{0, 1}, {0, 1000}, {999, 2}, {500, 3000}, {9990, 10}, {0, 10000}, {4000, 1000}} {
		p := make([]byte, tc.n)
		n, err := r.ReadAt(p, tc.off)
		if err != nil || int64(n) != tc.n || !bytes.Equal(p, data[tc.off:tc.off+tc.n]) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v; or the bytes differ", tc.n, tc.off, n, err)
		}
	}
	p := make([]byte, 20)
	if n, err := r.ReadAt(p, 9990); n != 10 || err != io.EOF || !bytes.Equal(p[:10], data[9990:]) {
		t.Errorf("read past the end: %d, %v; want 10, EOF", n, err)
	}
	if n, err := r.ReadAt(p, 10000); n != 0 || err != io.EOF {
		t.Errorf("read at the end: %d, %v; want 0, EOF", n, err)
	}

	inline := &meta.Version{Size: 5, Inline: []byte("hello")}
	ri := s.versionReaderAt(inline, nil)
	if n, err := ri.ReadAt(p[:3], 2); n != 3 || err != nil || string(p[:3]) != "llo" {
		t.Errorf("inline read: %d %v %q", n, err, p[:3])
	}
}

// TestParquetIndexNeverFails checks that data that only looks like Parquet
// gets no index, and a short or ordinary object neither.
func TestParquetIndexNeverFails(t *testing.T) {
	for name, data := range map[string][]byte{
		"magic only":   []byte("PAR1PAR1"),
		"corrupt":      append(append([]byte("PAR1"), bytes.Repeat([]byte{0xff}, 5000)...), "PAR1"...),
		"zero length":  append(append([]byte("PAR1"), make([]byte, 5000)...), "\x00\x00\x00\x00PAR1"...),
		"not parquet":  bytes.Repeat([]byte("abc"), 3000),
		"huge footer":  append(append([]byte("PAR1"), make([]byte, 5000)...), "\xff\xff\xff\x7fPAR1"...),
		"small footer": append(append([]byte("PAR1"), bytes.Repeat([]byte{0x15}, 5000)...), "\x20\x00\x00\x00PAR1"...),
	} {
		s, v := chunked(t, data, 1024)
		if idx := s.parquetIndex(v, nil); idx != nil {
			t.Errorf("%s: index of %d bytes, want none", name, len(idx))
		}
	}
}
