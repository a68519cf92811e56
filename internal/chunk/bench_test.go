package chunk

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
)

// BenchmarkPut1MiB writes distinct 1 MiB chunks, as a PUT of new data does.
// Hashing happens outside the timer: the caller hashes while streaming.
func BenchmarkPut1MiB(b *testing.B) {
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"sync", false}, {"nosync", true}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := Open(Options{Dir: b.TempDir(), NoSync: bc.noSync, Logger: testLogger(b)})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := make([]byte, 1<<20)
			b.SetBytes(int64(len(data)))
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				binary.LittleEndian.PutUint64(data, uint64(i))
				h := Sum(data)
				b.StartTimer()
				if _, err := s.Put(h, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPut1MiBParallel writes distinct 1 MiB chunks with fsync from
// several goroutines, as concurrent PUTs do: fsyncs of different chunks
// overlap, so throughput exceeds one goroutine's.
func BenchmarkPut1MiBParallel(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), Logger: testLogger(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Uint64
	b.SetBytes(1 << 20)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		data := make([]byte, 1<<20)
		for pb.Next() {
			binary.LittleEndian.PutUint64(data, next.Add(1))
			if _, err := s.Put(Sum(data), data); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPut1MiBDedup puts a chunk the store already holds.
func BenchmarkPut1MiBDedup(b *testing.B) {
	s := openTest(b, b.TempDir(), nil)
	data := make([]byte, 1<<20)
	h := mustPut(b, s, data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := s.Put(h, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet1MiB reads and verifies a 1 MiB chunk into a reused buffer.
func BenchmarkGet1MiB(b *testing.B) {
	s := openTest(b, b.TempDir(), nil)
	h := mustPut(b, s, make([]byte, 1<<20))
	buf := make([]byte, 0, 1<<20)
	b.SetBytes(1 << 20)
	for b.Loop() {
		var err error
		if buf, err = s.GetInto(h, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSum4MiB measures hashing a default-sized chunk: the ceiling on
// chunk throughput per core.
func BenchmarkSum4MiB(b *testing.B) {
	data := make([]byte, 4<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Sum(data)
	}
}
