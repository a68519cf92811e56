package chunk

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

func randomData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// flipAt flips the byte at off of chunk h's file.
func flipAt(t *testing.T, s *Store, h Hash, off int64) {
	t.Helper()
	b, err := os.ReadFile(s.path(h))
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x01
	if err := os.WriteFile(s.path(h), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileSizeInverts(t *testing.T) {
	for _, n := range []int64{0, 1, blockSize - 1, blockSize, blockSize + 1, 3*blockSize + 7, 4 << 20, 4<<20 + 1, 64 << 20} {
		if got, ok := dataSize(fileSize(n)); !ok || got != n {
			t.Errorf("dataSize(fileSize(%d)) = %d, %v", n, got, ok)
		}
	}
}

// TestRangeReadsVerifyTheirBlocks: a range read verifies exactly the blocks
// it returns: a flipped bit in a block it does not touch does not fail it,
// one in a block it touches does, the file is quarantined, and no wrong
// byte is returned.
//
// Shown to fail with the protection removed: with the verifyBlocks call in
// readRange skipped, the read over the damaged block returns the flipped
// byte and "returned damaged bytes" fails.
func TestRangeReadsVerifyTheirBlocks(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	data := randomData(1, 4*blockSize+100)
	h := mustPut(t, s, data)

	p := make([]byte, 1000)
	if n, err := s.ReadAt(h, p, blockSize+10); err != nil || n != len(p) || !bytes.Equal(p, data[blockSize+10:blockSize+1010]) {
		t.Fatalf("clean range: n=%d err=%v", n, err)
	}
	// The tail: io.EOF with what there is, like io.ReaderAt.
	if n, err := s.ReadAt(h, p, int64(len(data))-10); err != io.EOF || n != 10 || !bytes.Equal(p[:10], data[len(data)-10:]) {
		t.Fatalf("tail range: n=%d err=%v", n, err)
	}

	flipAt(t, s, h, 3*blockSize+5) // block 3
	if n, err := s.ReadAt(h, p, blockSize+10); err != nil || n != len(p) {
		t.Fatalf("range away from the damage: n=%d err=%v", n, err)
	}
	n, err := s.ReadAt(h, p, 3*blockSize)
	if !errors.Is(err, ErrCorrupt) {
		if bytes.Equal(p[:n], data[3*blockSize:3*blockSize+n]) {
			t.Fatalf("range over the damage: err=%v, want ErrCorrupt", err)
		}
		t.Fatal("range over the damage returned damaged bytes")
	}
	if s.Has(h) {
		t.Fatal("damaged chunk not quarantined")
	}
	wantStats(t, s, 0, 0)
}

// TestWholeReadsVerifyBlocks: a whole read of a chunk with a flipped bit
// fails with ErrCorrupt, also when the damage is in the checksums.
func TestWholeReadsVerifyBlocks(t *testing.T) {
	for _, where := range []string{"data", "checksums"} {
		t.Run(where, func(t *testing.T) {
			s := openTest(t, t.TempDir(), nil)
			data := randomData(2, 2*blockSize+3)
			h := mustPut(t, s, data)
			off := int64(blockSize + 1)
			if where == "checksums" {
				off = int64(len(data)) + 4
			}
			flipAt(t, s, h, off)
			if _, err := s.Get(h); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get of a damaged chunk: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestDedupHitVerifiesExistingCopy: a Put of a chunk whose copy on disk is
// damaged (same size, a flipped bit) writes it afresh instead of trusting
// the damaged copy as a dedup hit.
//
// Shown to fail with the protection removed: with Put's dedup check back to
// comparing sizes only (no s.read in intact), the second Put reports a
// dedup hit and Get then fails.
func TestDedupHitVerifiesExistingCopy(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	data := randomData(3, blockSize*2)
	h := mustPut(t, s, data)
	flipAt(t, s, h, 10)
	created, err := s.Put(h, data)
	if err != nil || !created {
		t.Fatalf("Put over a damaged copy: created=%v err=%v, want a fresh write", created, err)
	}
	got, err := s.Get(h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after the rewrite: %v", err)
	}
	wantStats(t, s, 1, int64(len(data)))
}

// TestChunkWithoutTrailer: a chunk file written before block checksums
// (the bare data) is still read, whole and by range, verified by its
// SHA-256; a damaged one is refused.
func TestChunkWithoutTrailer(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	data := randomData(4, blockSize+77)
	h := Sum(data)
	if err := s.makeFanout(h); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(h), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %v", err)
	}
	p := make([]byte, 50)
	if n, err := s.ReadAt(h, p, blockSize); err != nil || n != 50 || !bytes.Equal(p, data[blockSize:blockSize+50]) {
		t.Fatalf("ReadAt: n=%d err=%v", n, err)
	}
	if created, err := s.Put(h, data); err != nil || created {
		t.Fatalf("Put over an intact old-format copy: created=%v err=%v, want a dedup hit", created, err)
	}
	flipAt(t, s, h, 5)
	if _, err := s.ReadAt(h, p, blockSize); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadAt of a damaged old-format chunk: %v, want ErrCorrupt", err)
	}
}
