package object

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/anode/anode/internal/chunk"
)

// BenchmarkIngest measures the PUT path's single pass over a body: MD5 for
// the ETag, a CRC32C checksum, SHA-256 per chunk, and the chunk writes
// (without fsync, to show the CPU cost).
func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20, 16 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			store, err := chunk.Open(chunk.Options{Dir: b.TempDir(), NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			s := New(Config{Chunks: store, ChunkSize: 4 << 20, InlineThreshold: 64 << 10, MaxObjectSize: 1 << 40})
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 7)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				data[0] = byte(i) // a new chunk every time, not a dedup hit
				data[len(data)-1] = byte(i >> 8)
				if _, err := s.ingest(bytes.NewReader(data), int64(size), &ChecksumInput{Algorithm: CRC32C}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}
