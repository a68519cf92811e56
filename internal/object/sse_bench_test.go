package object

import (
	"crypto/sha256"
	"testing"

	"github.com/anode/anode/internal/meta"
)

// The CPU cost of encryption next to what every chunk already costs
// (SHA-256): go test -run - -bench Chunk ./internal/object/

const benchChunk = 4 << 20

func benchKeys() *objectKeys {
	return keysOf(&meta.Encryption{Mode: ModeS3}, make([]byte, 32), make([]byte, 32))
}

// BenchmarkChunkPlain is the hashing a plain chunk gets on write.
func BenchmarkChunkPlain(b *testing.B) {
	data := make([]byte, benchChunk)
	b.SetBytes(benchChunk)
	for b.Loop() {
		sha256.Sum256(data)
	}
}

// BenchmarkChunkEncrypt is what an encrypted chunk gets on write: the
// chunk key (HMAC-SHA256 of the plaintext), AES-256-GCM per 64 KiB block,
// SHA-256 of the ciphertext.
func BenchmarkChunkEncrypt(b *testing.B) {
	k := benchKeys()
	data := make([]byte, benchChunk)
	buf := make([]byte, 0, cipherLen(benchChunk))
	b.SetBytes(benchChunk)
	for b.Loop() {
		ct, _ := k.encryptChunk(buf, data)
		sha256.Sum256(ct)
	}
}

// BenchmarkChunkDecrypt is the decryption of a whole chunk on read.
func BenchmarkChunkDecrypt(b *testing.B) {
	k := benchKeys()
	data := make([]byte, benchChunk)
	ct, key := k.encryptChunk(nil, data)
	g := gcm(key)
	out := make([]byte, 0, benchChunk)
	b.SetBytes(benchChunk)
	for b.Loop() {
		if _, err := openBlocks(g, out[:0], ct, 0); err != nil {
			b.Fatal(err)
		}
	}
}
