package parquet

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

// row is the record of the small fixtures: every format holds the same 200
// rows, with nulls in qty and note.
type row struct {
	ID    int64   `parquet:"id" json:"id"`
	Name  string  `parquet:"name" json:"name"`
	Price float64 `parquet:"price" json:"price"`
	Qty   *int32  `parquet:"qty,optional" json:"qty"`
	Note  *string `parquet:"note,optional" json:"note"`
}

const fixtureRows = 200

// fixtureData returns the rows: qty is null for multiples of 7, note is set
// only for multiples of 3.
func fixtureData() []row {
	rows := make([]row, fixtureRows)
	for i := range rows {
		r := row{ID: int64(i), Name: "n" + strconv.Itoa(i), Price: float64(i) * 0.5}
		if i%7 != 0 {
			q := int32(i)
			r.Qty = &q
		}
		if i%3 == 0 {
			n := "note" + strconv.Itoa(i)
			r.Note = &n
		}
		rows[i] = r
	}
	return rows
}

// wantRows20to22 is the JSON output of selecting id, name, qty and note of
// rows 20 to 22 of the fixture.
const wantRows20to22 = `{"id":20,"name":"n20","qty":20,"note":null}` + "\n" +
	`{"id":21,"name":"n21","qty":null,"note":"note21"}` + "\n" +
	`{"id":22,"name":"n22","qty":22,"note":null}` + "\n"

// fixtureAggregates returns COUNT(*), COUNT(qty) and SUM(price) over the
// rows whose note is null, as the CSV output line of the engine.
func fixtureAggregates() string {
	var n, q int
	var sum float64
	for _, r := range fixtureData() {
		if r.Note != nil {
			continue
		}
		n++
		if r.Qty != nil {
			q++
		}
		sum += r.Price
	}
	return fmt.Sprintf("%d,%d,%s\n", n, q, strconv.FormatFloat(sum, 'g', -1, 64))
}

// codecs are the Parquet compressions the fixtures are written with.
var codecs = []struct {
	name  string
	codec pq.WriterOption
}{
	{"none", pq.Compression(&pq.Uncompressed)},
	{"snappy", pq.Compression(&pq.Snappy)},
	{"gzip", pq.Compression(&pq.Gzip)},
	{"zstd", pq.Compression(&pq.Zstd)},
}

// writeParquet writes rows as a Parquet file with perGroup rows per row
// group.
func writeParquet[T any](t testing.TB, rows []T, perGroup int, opts ...pq.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[T](&buf, opts...)
	for i := 0; i < len(rows); i += perGroup {
		if _, err := w.Write(rows[i:min(i+perGroup, len(rows))]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureCSV returns the rows as CSV with a header line; nulls are empty
// fields.
func fixtureCSV() []byte {
	var b strings.Builder
	b.WriteString("id,name,price,qty,note\n")
	for _, r := range fixtureData() {
		fmt.Fprintf(&b, "%d,%s,%s,", r.ID, r.Name, strconv.FormatFloat(r.Price, 'g', -1, 64))
		if r.Qty != nil {
			fmt.Fprint(&b, *r.Qty)
		}
		b.WriteByte(',')
		if r.Note != nil {
			b.WriteString(*r.Note)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// fixtureJSONLines returns the rows as JSON LINES, nulls included.
func fixtureJSONLines(t testing.TB) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range fixtureData() {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// fixtureJSONDocument returns the rows as one JSON document
// {"rows": [...]}, pretty-printed across lines as people write them.
func fixtureJSONDocument(t testing.TB) []byte {
	b, err := json.MarshalIndent(map[string][]row{"rows": fixtureData()}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wide is the pushdown fixture's record: 20 columns, sorted on k.
type wide struct {
	K                                                                               int64   `parquet:"k"`
	V                                                                               float64 `parquet:"v"`
	C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18 string
}

// wideFile returns a Parquet file of 10000 rows in 100 row groups of 100
// rows, 20 columns, about 3 MB: several chunks at a 1 MiB chunk size.
func wideFile(t testing.TB) []byte {
	pad := strings.Repeat("x", 12)
	rows := make([]wide, 10000)
	for i := range rows {
		w := &rows[i]
		w.K, w.V = int64(i), float64(i)
		for j, p := range []*string{&w.C1, &w.C2, &w.C3, &w.C4, &w.C5, &w.C6, &w.C7, &w.C8, &w.C9, &w.C10, &w.C11, &w.C12, &w.C13, &w.C14, &w.C15, &w.C16, &w.C17, &w.C18} {
			*p = pad + strconv.Itoa(i*31+j)
		}
	}
	return writeParquet(t, rows, 100)
}
