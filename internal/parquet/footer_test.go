package parquet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

type testRow struct {
	ID    int64   `parquet:"id"`
	Name  string  `parquet:"name,optional"`
	Score float64 `parquet:"score"`
	Tags  struct {
		Color string `parquet:"color"`
	} `parquet:"tags"`
}

// writeTestFile writes rows rows in row groups of perGroup rows.
func writeTestFile(t testing.TB, rows, perGroup int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[testRow](&buf, pq.PageBufferSize(1024))
	for i := 0; i < rows; i++ {
		r := testRow{ID: int64(i), Name: fmt.Sprintf("n%03d", i), Score: float64(i) / 2}
		r.Tags.Color = []string{"red", "green"}[i%2]
		if _, err := w.Write([]testRow{r}); err != nil {
			t.Fatal(err)
		}
		if (i+1)%perGroup == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// countingReader counts bytes read.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func TestParseFooterMatchesParquetGo(t *testing.T) {
	data := writeTestFile(t, 100, 30)
	cr := &countingReader{r: bytes.NewReader(data)}
	ft, err := ParseFooter(cr, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := cr.n.Load(); got != int64(len(ft.Raw))+8 {
		t.Errorf("read %d bytes, want trailer + footer = %d", got, len(ft.Raw)+8)
	}
	if !bytes.Equal(ft.Raw, data[len(data)-len(ft.Raw):]) {
		t.Error("Raw is not the end of the file")
	}
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if ft.NumRows != f.NumRows() || ft.NumRows != 100 {
		t.Errorf("NumRows = %d, parquet-go says %d", ft.NumRows, f.NumRows())
	}
	if want := []string{"id", "name", "score", "tags.color"}; strings.Join(ft.Columns, ",") != strings.Join(want, ",") {
		t.Errorf("Columns = %v, want %v", ft.Columns, want)
	}
	md := f.Metadata()
	if len(ft.RowGroups) != len(md.RowGroups) || len(ft.RowGroups) != 4 {
		t.Fatalf("%d row groups, parquet-go says %d", len(ft.RowGroups), len(md.RowGroups))
	}
	for i, rg := range f.RowGroups() {
		if ft.RowGroups[i].NumRows != rg.NumRows() {
			t.Errorf("row group %d: %d rows, want %d", i, ft.RowGroups[i].NumRows, rg.NumRows())
		}
		for j, cc := range rg.ColumnChunks() {
			got := ft.RowGroups[i].Columns[j]
			m := md.RowGroups[i].Columns[j].MetaData
			if got.Length != m.TotalCompressedSize || got.Type != m.Type.String() {
				t.Errorf("rg %d col %d: %+v vs %+v", i, j, got, m)
			}
			lo, hi, ok := cc.(*pq.FileColumnChunk).Bounds()
			if ok != got.HasStats || !bytes.Equal(lo.Bytes(), got.Min) || !bytes.Equal(hi.Bytes(), got.Max) {
				t.Errorf("rg %d col %d: stats %x..%x, parquet-go %x..%x", i, j, got.Min, got.Max, lo.Bytes(), hi.Bytes())
			}
			// The chunk's byte range must hold the chunk: reading pages
			// through a reader restricted to it must work.
			sr := &rangeOnly{r: bytes.NewReader(data), off: got.Offset, end: got.Offset + got.Length}
			pages := cc.(*pq.FileColumnChunk).PagesFrom(sr)
			n := 0
			for {
				p, err := pages.ReadPage()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("rg %d col %d: reading pages in [%d,+%d): %v", i, j, got.Offset, got.Length, err)
				}
				n += int(p.NumRows())
			}
			pages.Close()
			if int64(n) != rg.NumRows() {
				t.Errorf("rg %d col %d: %d rows in pages, want %d", i, j, n, rg.NumRows())
			}
		}
	}
	// Row group 0 holds ids 0..29.
	id := ft.RowGroups[0].Columns[0]
	if !id.HasStats || binary.LittleEndian.Uint64(id.Min) != 0 || binary.LittleEndian.Uint64(id.Max) != 29 {
		t.Errorf("id stats of row group 0: %x..%x", id.Min, id.Max)
	}
}

// rangeOnly fails reads outside [off, end).
type rangeOnly struct {
	r        io.ReaderAt
	off, end int64
}

func (r *rangeOnly) ReadAt(p []byte, off int64) (int, error) {
	if off < r.off || off >= r.end {
		return 0, fmt.Errorf("read at %d outside [%d,%d)", off, r.off, r.end)
	}
	if off+int64(len(p)) > r.end {
		n, _ := r.r.ReadAt(p[:r.end-off], off)
		return n, io.EOF
	}
	return r.r.ReadAt(p, off)
}

func TestParseFooterErrors(t *testing.T) {
	good := writeTestFile(t, 10, 10)
	corrupt := bytes.Clone(good)
	// Overwrite the middle of the Thrift footer, keeping length and magic.
	n := int(binary.LittleEndian.Uint32(corrupt[len(corrupt)-8:]))
	for i := len(corrupt) - 8 - n; i < len(corrupt)-8; i += 3 {
		corrupt[i] = 0xff
	}
	badLen := bytes.Clone(good)
	binary.LittleEndian.PutUint32(badLen[len(badLen)-8:], uint32(len(badLen)))
	cases := map[string][]byte{
		"empty":         nil,
		"short":         []byte("PAR1PAR1"),
		"text":          []byte("hello, world, this is not parquet at all"),
		"magic only":    []byte("PAR1\x00\x00\x00\x00\x00\x00\x00\x00PAR1"),
		"corrupt":       corrupt,
		"bad length":    badLen,
		"truncated":     good[len(good)/2:],
		"zero metadata": append([]byte("PAR1"), append(make([]byte, 20), 20, 0, 0, 0, 'P', 'A', 'R', '1')...),
	}
	for name, data := range cases {
		if _, err := ParseFooter(bytes.NewReader(data), int64(len(data))); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if LooksLikeParquet(good[:4], good[len(good)-8:]) != true || LooksLikeParquet([]byte("PK\x03\x04"), good[len(good)-8:]) {
		t.Error("LooksLikeParquet is wrong")
	}
}

func TestFooterMarshalRoundTrip(t *testing.T) {
	data := writeTestFile(t, 50, 20)
	ft, err := ParseFooter(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ft.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > len(ft.Raw)+12 {
		t.Errorf("encoding is %d bytes for a %d-byte footer", len(b), len(ft.Raw))
	}
	var got Footer
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", *ft) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, *ft)
	}
	if err := got.UnmarshalBinary(b[:len(b)/2]); err == nil {
		t.Error("truncated encoding decoded")
	}
}

func TestOpenWithFooterReadsNothing(t *testing.T) {
	data := writeTestFile(t, 50, 20)
	ft, err := ParseFooter(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: bytes.NewReader(data)}
	f, err := Open(cr, int64(len(data)), ft)
	if err != nil {
		t.Fatal(err)
	}
	if cr.n.Load() != 0 || f.NumRows() != 50 {
		t.Errorf("Open read %d bytes, %d rows", cr.n.Load(), f.NumRows())
	}
}

func FuzzParseFooter(f *testing.F) {
	good := writeTestFile(f, 10, 5)
	f.Add(good)
	f.Add(good[len(good)-200:])
	f.Add([]byte("PAR1\x05\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ft, err := ParseFooter(bytes.NewReader(data), int64(len(data)))
		if err == nil && ft.NumRows < 0 {
			t.Fatal("negative rows")
		}
		// Random bytes with a valid-looking trailer must not panic either.
		tail := append(bytes.Clone(data), 0, 0, 0, 0, 'P', 'A', 'R', '1')
		binary.LittleEndian.PutUint32(tail[len(tail)-8:], uint32(len(data)/2))
		ParseFooter(bytes.NewReader(tail), int64(len(tail)))
	})
}
