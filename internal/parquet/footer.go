// Package parquet keeps what Anode knows about Parquet objects: the footer
// (the Thrift FileMetaData every Parquet reader fetches first) parsed once
// when the object is written, and an in-memory cache of object tails that
// serves the footer range reads analytics engines start with.
//
// Decoding is done by github.com/parquet-go/parquet-go; this package only
// decides which bytes to read and how to keep the result.
package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Magic is the 4-byte marker at both ends of a Parquet file.
const Magic = "PAR1"

// maxFooterSize bounds the footer length read from the last 8 bytes of a
// file so that a corrupt length cannot make us allocate gigabytes.
const maxFooterSize = 256 << 20

// ErrNotParquet is returned (wrapped) for data that is not a Parquet file.
var ErrNotParquet = errors.New("parquet: not a parquet file")

// Footer is what Anode keeps with a Parquet object's metadata.
type Footer struct {
	// Raw holds the footer bytes exactly as they end the file: the Thrift
	// FileMetaData, its 4-byte little-endian length and "PAR1".
	Raw []byte
	// Size is the size of the whole file the footer was read from.
	Size      int64
	NumRows   int64
	RowGroups []RowGroupInfo
	// Columns are the leaf column paths, dot-separated, in schema order.
	Columns []string
}

// RowGroupInfo describes one row group.
type RowGroupInfo struct {
	NumRows int64
	Columns []ColumnChunkInfo
}

// ColumnChunkInfo describes one column chunk of a row group.
type ColumnChunkInfo struct {
	Path string // dot-separated leaf column path
	// Offset and Length are the byte range of the column chunk in the file
	// (dictionary page included).
	Offset, Length int64
	// Type is the physical type (INT64, BYTE_ARRAY, ...).
	Type string
	// Codec is the compression codec (UNCOMPRESSED, SNAPPY, ...).
	Codec     string
	NumValues int64
	// Min and Max are the statistics in Parquet's plain encoding of Type
	// (little-endian numbers, raw bytes for byte arrays). They are only
	// meaningful when HasStats is true.
	Min, Max       []byte
	NullCount      int64
	HasStats       bool
	HasBloomFilter bool
	HasPageIndex   bool
}

// LooksLikeParquet reports whether a file whose first bytes are head and
// last bytes are tail is probably a Parquet file: both end with the magic.
func LooksLikeParquet(head, tail []byte) bool {
	return len(head) >= 4 && string(head[:4]) == Magic &&
		len(tail) >= 8 && string(tail[len(tail)-4:]) == Magic
}

// ParseFooter reads and decodes the footer of the Parquet file of the given
// size in r. It reads only the last bytes of the file (the 8-byte trailer,
// then the footer). It returns an error, never panics, for data that is not
// Parquet or whose footer is corrupt.
func ParseFooter(r io.ReaderAt, size int64) (*Footer, error) {
	if size < 12 {
		return nil, fmt.Errorf("%w: %d bytes is too small", ErrNotParquet, size)
	}
	var trailer [8]byte
	if _, err := r.ReadAt(trailer[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parquet: reading trailer: %w", err)
	}
	if string(trailer[4:]) != Magic {
		return nil, fmt.Errorf("%w: no %q at the end", ErrNotParquet, Magic)
	}
	n := int64(binary.LittleEndian.Uint32(trailer[:4]))
	if n == 0 || n > size-12 || n > maxFooterSize {
		return nil, fmt.Errorf("parquet: corrupt footer length %d in a %d-byte file", n, size)
	}
	raw := make([]byte, n+8)
	if _, err := r.ReadAt(raw, size-int64(len(raw))); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parquet: reading footer: %w", err)
	}
	return decodeFooter(raw, size)
}

// decodeFooter decodes raw, the last len(raw) bytes of a file of the given
// size, with parquet-go. parquet-go is not hardened against hostile input,
// so a panic while decoding is turned into an error.
func decodeFooter(raw []byte, size int64) (ft *Footer, err error) {
	defer func() {
		if p := recover(); p != nil {
			ft, err = nil, fmt.Errorf("parquet: corrupt footer: %v", p)
		}
	}()
	f, err := openTail(raw, size)
	if err != nil {
		return nil, err
	}
	return buildFooter(f, raw, size)
}

// openTail opens a file from its footer bytes alone.
func openTail(raw []byte, size int64) (*pq.File, error) {
	f, err := pq.OpenFile(&overlayReaderAt{tail: raw, base: size - int64(len(raw))}, size,
		pq.SkipMagicBytes(true), pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("parquet: decoding footer: %w", err)
	}
	return f, nil
}

func buildFooter(f *pq.File, raw []byte, size int64) (*Footer, error) {
	md := f.Metadata()
	if md.NumRows < 0 {
		return nil, fmt.Errorf("parquet: corrupt footer: %d rows", md.NumRows)
	}
	ft := &Footer{Raw: raw, Size: size, NumRows: md.NumRows}
	for _, leaf := range leafColumns(f.Root()) {
		ft.Columns = append(ft.Columns, strings.Join(leaf.Path(), "."))
	}
	dataEnd := size - int64(len(raw))
	var rows int64
	for i := range md.RowGroups {
		rg := &md.RowGroups[i]
		if rg.NumRows < 0 || len(rg.Columns) != len(ft.Columns) {
			return nil, fmt.Errorf("parquet: corrupt row group %d", i)
		}
		rows += rg.NumRows
		info := RowGroupInfo{NumRows: rg.NumRows, Columns: make([]ColumnChunkInfo, len(rg.Columns))}
		for j := range rg.Columns {
			cc := &rg.Columns[j]
			m := &cc.MetaData
			off := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < off {
				off = m.DictionaryPageOffset
			}
			if off < 4 || m.TotalCompressedSize < 0 || off+m.TotalCompressedSize > dataEnd {
				return nil, fmt.Errorf("parquet: corrupt footer: column chunk %d of row group %d at [%d,+%d) is outside the file",
					j, i, off, m.TotalCompressedSize)
			}
			c := ColumnChunkInfo{
				Path:           ft.Columns[j],
				Offset:         off,
				Length:         m.TotalCompressedSize,
				Type:           m.Type.String(),
				Codec:          m.Codec.String(),
				NumValues:      m.NumValues,
				NullCount:      m.Statistics.NullCount,
				HasBloomFilter: m.BloomFilterOffset > 0,
				HasPageIndex:   cc.ColumnIndexOffset > 0 && cc.OffsetIndexOffset > 0,
			}
			c.Min, c.Max, c.HasStats = chunkStats(m)
			info.Columns[j] = c
		}
		ft.RowGroups = append(ft.RowGroups, info)
	}
	if rows != md.NumRows {
		return nil, fmt.Errorf("parquet: corrupt footer: row groups hold %d rows, file says %d", rows, md.NumRows)
	}
	return ft, nil
}

// chunkStats returns the min/max statistics of a column chunk. The
// deprecated Min/Max fields are used only for types whose legacy sort order
// was signed and therefore correct.
func chunkStats(m *format.ColumnMetaData) (lo, hi []byte, ok bool) {
	s := &m.Statistics
	if s.MinValue != nil && s.MaxValue != nil {
		return s.MinValue, s.MaxValue, true
	}
	switch m.Type {
	case format.Boolean, format.Int32, format.Int64, format.Float, format.Double:
		if s.Min != nil && s.Max != nil {
			return s.Min, s.Max, true
		}
	}
	return nil, nil, false
}

func leafColumns(c *pq.Column) []*pq.Column {
	if c.Leaf() {
		return []*pq.Column{c}
	}
	var out []*pq.Column
	for _, child := range c.Columns() {
		out = append(out, leafColumns(child)...)
	}
	return out
}

// Open opens the Parquet file of the given size in r with parquet-go. When
// footer is not nil its bytes are served from memory, so opening reads
// nothing from r; otherwise only the footer is read. Page indexes and bloom
// filters are not read up front: the caller fetches those it needs.
func Open(r io.ReaderAt, size int64, footer *Footer) (f *pq.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("parquet: corrupt file: %v", p)
		}
	}()
	ra := r
	if footer != nil && footer.Size == size {
		ra = &overlayReaderAt{r: r, tail: footer.Raw, base: size - int64(len(footer.Raw))}
	}
	f, err = pq.OpenFile(ra, size,
		pq.SkipMagicBytes(true), pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("parquet: opening file: %w", err)
	}
	return f, nil
}

// overlayReaderAt serves reads that fall inside tail (the bytes at base and
// after) from memory and any other read from r, which may be nil.
type overlayReaderAt struct {
	r    io.ReaderAt
	tail []byte
	base int64
}

func (o *overlayReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= o.base && off-o.base <= int64(len(o.tail)) {
		n := copy(p, o.tail[off-o.base:])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	if o.r == nil {
		return 0, fmt.Errorf("parquet: read of %d bytes at %d outside the footer", len(p), off)
	}
	return o.r.ReadAt(p, off)
}

// ReadTail returns the last n bytes of an object of the given size in r
// (all of it when n >= size), for the cache.
func ReadTail(r io.ReaderAt, size, n int64) ([]byte, error) {
	n = min(n, size)
	b := make([]byte, n)
	if _, err := r.ReadAt(b, size-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parquet: reading tail: %w", err)
	}
	return b, nil
}
