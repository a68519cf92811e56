package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
)

// Block checksums. A chunk file holds the chunk's bytes followed by a
// trailer: the CRC-32C of every 64 KiB block of the data, then a footer
// (data length, block size, magic). A read of any range verifies only the
// blocks it returns, so a ranged GET, an S3 Select scan or a Parquet footer
// read never serves a damaged byte and costs a CRC of what it reads (a few
// GB/s per core), not a SHA-256 of the whole chunk.
//
// The SHA-256 that names a chunk is checked where bytes enter a node (the
// writer hashes while streaming; a replica receiving a chunk hashes it) and
// by the scrubber. The block checksums are computed from the same bytes
// at write time and catch what happens to them afterwards on disk.
//
//	file   = data || crc32c(block 0) .. crc32c(block k-1) || footer
//	footer = uint64 len(data) | uint32 blockSize | "ANB1"   (little endian)
//
// Files written before block checksums existed have no trailer; they are
// read whole and verified by their SHA-256 (slower, never unverified).
const (
	blockSize = 64 << 10
	footerLen = 16
)

var blockMagic = [4]byte{'A', 'N', 'B', '1'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func numBlocks(n int64) int64 { return (n + blockSize - 1) / blockSize }

// fileSize is the size of the file holding n bytes of chunk data.
func fileSize(n int64) int64 { return n + 4*numBlocks(n) + footerLen }

// dataSize inverts fileSize: the chunk data held by a file of size s.
// ok is false for a size no trailer-carrying file can have (a file
// without a trailer, or a torn one).
func dataSize(s int64) (n int64, ok bool) {
	if s < footerLen {
		return 0, false
	}
	k := (s - footerLen + blockSize + 4 - 1) / (blockSize + 4)
	n = s - footerLen - 4*k
	return n, n >= 0 && numBlocks(n) == k
}

// appendTrailer appends the block checksums and footer of data to dst.
func appendTrailer(dst, data []byte) []byte {
	for off := 0; off < len(data); off += blockSize {
		dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(data[off:min(off+blockSize, len(data))], castagnoli))
	}
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, blockSize)
	return append(dst, blockMagic[:]...)
}

// errNoTrailer marks a file written before block checksums.
var errNoTrailer = errors.New("chunk file has no block checksums")

// parseFooter reads the footer at the end of a file of size s and returns
// the data length, or errNoTrailer.
func parseFooter(f io.ReaderAt, s int64) (int64, error) {
	if s < footerLen {
		return 0, errNoTrailer
	}
	var ft [footerLen]byte
	if _, err := f.ReadAt(ft[:], s-footerLen); err != nil {
		return 0, err
	}
	return decodeFooter(ft[:], s)
}

func decodeFooter(ft []byte, s int64) (int64, error) {
	if [4]byte(ft[12:16]) != blockMagic || binary.LittleEndian.Uint32(ft[8:12]) != blockSize {
		return 0, errNoTrailer
	}
	n := int64(binary.LittleEndian.Uint64(ft[0:8]))
	if n < 0 || fileSize(n) != s {
		return 0, errNoTrailer
	}
	return n, nil
}

// verifyBlocks checks data, which starts at block first, against crcs (4
// bytes per block). It returns the index of the first bad block, or -1.
func verifyBlocks(data, crcs []byte, first int64) int64 {
	for i := int64(0); int64(len(data)) > i*blockSize; i++ {
		blk := data[i*blockSize : min((i+1)*blockSize, int64(len(data)))]
		if crc32.Checksum(blk, castagnoli) != binary.LittleEndian.Uint32(crcs[4*i:]) {
			return first + i
		}
	}
	return -1
}

// splitWhole verifies a whole chunk file held in buf and returns its data.
// A file without a trailer is verified by its SHA-256 against h instead.
func splitWhole(h Hash, buf []byte) ([]byte, error) {
	s := int64(len(buf))
	if s >= footerLen {
		if n, err := decodeFooter(buf[s-footerLen:], s); err == nil {
			if bad := verifyBlocks(buf[:n], buf[n:s-footerLen], 0); bad >= 0 {
				return nil, fmt.Errorf("block %d: %w", bad, ErrCorrupt)
			}
			return buf[:n], nil
		}
	}
	if Sum(buf) != h {
		return nil, ErrCorrupt
	}
	return buf, nil
}

// readRange reads len(p) bytes of data at off from the open chunk file f
// of size s, verifying every block it touches. It returns io.EOF, like
// io.ReaderAt, when the data ends before p is full.
func readRange(h Hash, f *os.File, s int64, p []byte, off int64) (int, error) {
	n, err := parseFooter(f, s)
	if errors.Is(err, errNoTrailer) {
		return readRangeLegacy(h, f, s, p, off)
	}
	if err != nil {
		return 0, err
	}
	if off >= n {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), n)
	b0, b1 := off/blockSize, (end-1)/blockSize // blocks touched, inclusive
	crcs := make([]byte, 4*(b1-b0+1))
	if _, err := f.ReadAt(crcs, n+4*b0); err != nil {
		return 0, err
	}
	bufp := blockBufs.Get().(*[]byte)
	defer blockBufs.Put(bufp)
	buf := *bufp
	copied := 0
	// One block at a time bounds the memory a read takes, whatever the
	// range asked for.
	for b := b0; b <= b1; b++ {
		start := b * blockSize
		blk := buf[:min(blockSize, n-start)]
		if _, err := f.ReadAt(blk, start); err != nil {
			return copied, err
		}
		if verifyBlocks(blk, crcs[4*(b-b0):], b) >= 0 {
			return copied, fmt.Errorf("block %d: %w", b, ErrCorrupt)
		}
		lo := max(off, start) - start
		hi := min(end, start+int64(len(blk))) - start
		copied += copy(p[copied:], blk[lo:hi])
	}
	if copied < len(p) {
		return copied, io.EOF
	}
	return copied, nil
}

// readRangeLegacy serves a range of a file without block checksums: it
// reads and verifies the whole chunk.
func readRangeLegacy(h Hash, f *os.File, s int64, p []byte, off int64) (int, error) {
	buf := make([]byte, s)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return 0, err
	}
	if Sum(buf) != h {
		return 0, ErrCorrupt
	}
	if off >= s {
		return 0, io.EOF
	}
	n := copy(p, buf[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// blockBufs holds one-block buffers for range reads; chunkBufs whole-chunk
// buffers for the dedup check.
var (
	blockBufs = sync.Pool{New: func() any { b := make([]byte, blockSize); return &b }}
	chunkBufs = sync.Pool{New: func() any { var b []byte; return &b }}
)
