package object

import (
	"math/rand/v2"
	"testing"
)

// TestFullObjectCRC checks CRC combination against a CRC of the whole data
// for every CRC algorithm, with parts of many sizes, empty ones included.
func TestFullObjectCRC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, algo := range []string{CRC32, CRC32C, CRC64NVME} {
		for trial := 0; trial < 20; trial++ {
			var pieces []checksumPiece
			off := 0
			for off < len(data) {
				n := min(r.IntN(30000), len(data)-off)
				h, _ := NewChecksum(algo)
				h.Write(data[off : off+n])
				pieces = append(pieces, checksumPiece{sum: EncodeChecksum(h.Sum(nil)), size: int64(n)})
				off += n
			}
			got, err := fullObjectCRC(algo, pieces)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := NewChecksum(algo)
			h.Write(data)
			if want := EncodeChecksum(h.Sum(nil)); got != want {
				t.Fatalf("%s over %d parts: combined %s, want %s", algo, len(pieces), got, want)
			}
		}
	}
}

func TestCompositeChecksum(t *testing.T) {
	// Two parts "a" and "b": SHA256 of sha256("a")‖sha256("b"), then "-2".
	pieces := []checksumPiece{}
	for _, s := range []string{"a", "b"} {
		h, _ := NewChecksum(SHA256)
		h.Write([]byte(s))
		pieces = append(pieces, checksumPiece{sum: EncodeChecksum(h.Sum(nil)), size: 1})
	}
	got, err := compositeChecksum(SHA256, pieces)
	if err != nil {
		t.Fatal(err)
	}
	// Computed independently with Python hashlib: the binary digests of
	// "a" and "b", concatenated, hashed again and base64-encoded.
	if want := "5aAf7hTg7VxIcU8iGA8lrYNltT+XefedxKPX6Tlj+Uo=-2"; got != want {
		t.Fatalf("composite %s, want %s", got, want)
	}
}
