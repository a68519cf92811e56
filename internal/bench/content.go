package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Object content is a pure function of a 64-bit seed and the byte offset:
// word i (8 bytes, little-endian) is mix64(seed + (i+1)*golden). Being
// counter-based, any byte range can be produced without generating what comes
// before it, so a body is generated straight into the HTTP transport's buffer
// (no object-sized buffers, even at 64 MiB) and the reader can seek, which the
// SDK needs to sign or resend a body. Every PUT uses a fresh seed, so no two
// bodies share a chunk and a deduplicating server cannot skip the disk.

const golden = 0x9E3779B97F4A7C15

// mix64 is the SplitMix64 finalizer: a cheap bijection whose outputs for
// consecutive inputs are statistically independent.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// fillContent writes bytes [off, off+len(p)) of the object with the given
// seed into p.
func fillContent(p []byte, seed uint64, off int64) {
	if len(p) == 0 {
		return
	}
	w := uint64(off / 8)
	// A leading partial word when off is not 8-aligned.
	if r := int(off % 8); r != 0 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], mix64(seed+(w+1)*golden))
		n := copy(p, b[r:])
		p = p[n:]
		w++
	}
	x := seed + (w+1)*golden
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, mix64(x))
		x += golden
		p = p[8:]
	}
	if len(p) > 0 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], mix64(x))
		copy(p, b[:])
	}
}

// contentReader is an io.ReadSeeker over the content of one object.
type contentReader struct {
	seed uint64
	size int64
	off  int64
}

func newContentReader(seed uint64, size int64) *contentReader {
	return &contentReader{seed: seed, size: size}
}

// Read implements io.Reader.
func (r *contentReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rem := r.size - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	fillContent(p, r.seed, r.off)
	r.off += int64(len(p))
	return len(p), nil
}

// Seek implements io.Seeker.
func (r *contentReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("content reader: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("content reader: negative position")
	}
	r.off = abs
	return abs, nil
}

// seedFor derives the content seed of an object from the run's seed, a
// stream number (which set of keys) and the object's index in that stream.
func seedFor(runSeed uint64, stream, index uint64) uint64 {
	return mix64(runSeed ^ mix64(stream*golden+index))
}

// Key streams. Read-set objects are the ones GET, HEAD, LIST and DELETE act
// on; put objects are written in the timed phase, one stream per worker.
const streamRead = 0

func streamPut(worker int) uint64 { return uint64(worker) + 1 }

// readKey returns the key of read-set object i.
func readKey(prefix string, i int) string {
	return fmt.Sprintf("%s/obj-%08d", prefix, i)
}

// putKey returns the key of the seq-th object written by worker w.
func putKey(prefix string, w int, seq uint64) string {
	return fmt.Sprintf("%s/put/w%03d-%010d", prefix, w, seq)
}
