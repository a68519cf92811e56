package s3select

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"sync/atomic"
)

// Source is the object being queried.
type Source interface {
	io.ReaderAt
	Size() int64
}

// countingReaderAt counts the bytes read from the source: BytesScanned.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// countingReader counts bytes read from a stream: BytesProcessed.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recordReader yields the records of an object, one root value each.
type recordReader interface {
	// next returns the next record or io.EOF.
	next() (any, error)
	// processed returns the uncompressed bytes read so far.
	processed() int64
}

// streamRange resolves the part of a text object to read for a scan range:
// the stream starts at from, and records starting after end are not
// processed (end < 0: no limit). skipFirst tells the reader to drop
// everything up to the first record delimiter, because reading started one
// byte before the range to find where the first whole record begins.
func streamRange(sr *ScanRange, size int64) (from, end int64, skipFirst bool) {
	if sr == nil {
		return 0, -1, false
	}
	start := sr.Start
	if start < 0 { // suffix form: the last -start bytes
		start = max(size+start, 0)
	}
	end = sr.End
	if end >= size {
		end = -1
	}
	if start == 0 {
		return 0, end, false
	}
	return start - 1, end, true
}

// openStream returns the decompressed byte stream of a text object.
func openStream(src io.ReaderAt, size, from int64, compression string) (io.Reader, *countingReader, error) {
	raw := bufio.NewReaderSize(io.NewSectionReader(src, from, size-from), 256<<10)
	var r io.Reader = raw
	switch compression {
	case "GZIP":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, nil, ErrInvalidCompressionFormat.WithMessage("The object is not GZIP-compressed: %v", err)
		}
		zr.Multistream(true)
		r = zr
	case "BZIP2":
		r = bzip2.NewReader(raw)
	}
	cr := &countingReader{r: r}
	return cr, cr, nil
}

// readError maps a failed read of the object to the error to report.
func readError(err error, compression string) error {
	if compression != "NONE" {
		return ErrTruncatedInput.WithMessage("Object decompression failed: %v", err)
	}
	return fmt.Errorf("s3select: reading object: %w", err)
}
