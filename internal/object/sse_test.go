package object

import (
	"bytes"
	"crypto/sha256"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
)

// tamperStore is a chunk store whose reads an attacker with the disk has
// changed: tamper edits what ReadAt and GetInto return, as if the files had
// been rewritten with their checksums recomputed.
type tamperStore struct {
	*chunk.Store
	tamper func(p []byte, off int64)
}

func (s tamperStore) ReadAt(h chunk.Hash, p []byte, off int64) (int, error) {
	n, err := s.Store.ReadAt(h, p, off)
	s.tamper(p[:n], off)
	return n, err
}

func (s tamperStore) GetInto(h chunk.Hash, buf []byte) ([]byte, error) {
	b, err := s.Store.GetInto(h, buf)
	if err == nil {
		s.tamper(b, 0)
	}
	return b, err
}

// encryptedChunk stores one encrypted chunk of plain and returns a service
// reading it through tamper (nil: honest), its ref and key.
func encryptedChunk(t *testing.T, plain []byte, tamper func([]byte, int64)) (*Service, meta.ChunkRef, []byte) {
	t.Helper()
	store, err := chunk.Open(chunk.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ct, key := benchKeys().encryptChunk(nil, plain)
	h := chunk.Hash(sha256.Sum256(ct))
	if _, err := store.Put(h, ct); err != nil {
		t.Fatal(err)
	}
	var cs ChunkStore = store
	if tamper != nil {
		cs = tamperStore{store, tamper}
	}
	return &Service{cfg: Config{Chunks: cs}, log: slog.New(slog.DiscardHandler)}, meta.ChunkRef{Hash: h, Size: int64(len(plain))}, key
}

func TestReadEncryptedRanges(t *testing.T) {
	plain := make([]byte, 3*sseBlock+1234)
	for i := range plain {
		plain[i] = byte(rand.IntN(256))
	}
	s, ref, key := encryptedChunk(t, plain, nil)
	n := int64(len(plain))
	for _, r := range [][2]int64{{0, n}, {0, 1}, {sseBlock - 1, sseBlock + 1}, {sseBlock, 2 * sseBlock}, {n - 1, n}, {100, n - 100}} {
		got, err := s.readEncrypted(ref, key, r[0], r[1], nil)
		if err != nil || !bytes.Equal(got, plain[r[0]:r[1]]) {
			t.Fatalf("range %v: %v (equal %v)", r, err, bytes.Equal(got, plain[r[0]:r[1]]))
		}
	}
	// dst is appended to, not overwritten.
	got, err := s.readEncrypted(ref, key, 5, 10, []byte("prefix"))
	if err != nil || !bytes.Equal(got, plain[5:10]) {
		t.Fatalf("with a dst: %v", err)
	}
}

// TestTamperedChunkNeverServed: a flipped bit, or two blocks swapped, in
// what the disk returns is refused by AES-GCM, whichever path reads it,
// even when every checksum of the chunk store was recomputed to match.
func TestTamperedChunkNeverServed(t *testing.T) {
	plain := bytes.Repeat([]byte("0123456789abcdef"), 3*sseBlock/16)
	flip := func(p []byte, off int64) {
		if off == 0 && len(p) > 10 {
			p[10] ^= 1
		}
	}
	swap := func(p []byte, off int64) {
		const b = sseBlock + sseTag
		if off == 0 && len(p) >= 2*b {
			tmp := append([]byte(nil), p[:b]...)
			copy(p[:b], p[b:2*b])
			copy(p[b:2*b], tmp)
		}
	}
	for name, tamper := range map[string]func([]byte, int64){"flip": flip, "swap": swap} {
		s, ref, key := encryptedChunk(t, plain, tamper)
		if got, err := s.readEncrypted(ref, key, 0, ref.Size, nil); err == nil {
			t.Fatalf("%s: tampered chunk served (%d bytes)", name, len(got))
		}
	}
	// Another chunk key (another object's) opens nothing.
	s, ref, _ := encryptedChunk(t, plain, nil)
	if _, err := s.readEncrypted(ref, make([]byte, 32), 0, ref.Size, nil); err == nil {
		t.Fatal("a chunk opened with the wrong key")
	}
}

// FuzzOpenBlocks: arbitrary bytes never decrypt under a key and never panic.
func FuzzOpenBlocks(f *testing.F) {
	k := benchKeys()
	ct, key := k.encryptChunk(nil, []byte("hello, blocks"))
	f.Add(ct, int64(0))
	f.Add([]byte{}, int64(3))
	g := gcm(key)
	f.Fuzz(func(t *testing.T, data []byte, first int64) {
		out, err := openBlocks(g, nil, data, first)
		if err == nil && len(data) > 0 && !(first == 0 && bytes.Equal(data, ct)) {
			t.Fatalf("forged input authenticated: %q", out)
		}
	})
}
