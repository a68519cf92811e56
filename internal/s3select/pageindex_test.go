package s3select

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/anode/anode/internal/parquet"
)

type pagedRow struct {
	ID   int64    `parquet:"id"`
	Val  float64  `parquet:"val"`
	Name string   `parquet:"name"`
	Note *string  `parquet:"note,optional"`
	Tags []string `parquet:"tags"`
}

// pagedRows returns n rows sorted on id; val is random, note is null in
// long runs (so some pages are all null) and tags has 0 to 3 elements.
func pagedRows(n int, rng *rand.Rand) []pagedRow {
	rows := make([]pagedRow, n)
	for i := range rows {
		r := pagedRow{ID: int64(i), Val: float64(rng.Intn(1000)), Name: fmt.Sprintf("name%05d", i)}
		if (i/300)%2 == 1 {
			s := fmt.Sprintf("note%d", i%7)
			r.Note = &s
		}
		for k := range i % 4 {
			r.Tags = append(r.Tags, fmt.Sprintf("t%d-%d", i, k))
		}
		rows[i] = r
	}
	return rows
}

// numPages returns the number of pages of column col in row group 0,
// from the offset index.
func numPages(t *testing.T, data []byte, col int) int {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	oi, err := f.RowGroups()[0].ColumnChunks()[col].OffsetIndex()
	if err != nil {
		t.Fatalf("no offset index: %v", err)
	}
	return oi.NumPages()
}

func TestParquetPagePruning(t *testing.T) {
	// Pages much larger than parquet-go's 4 KiB read buffer, so that
	// reading one page does not read its neighbours too.
	rows := pagedRows(10000, rand.New(rand.NewSource(1)))
	data := writeParquet(t, rows, len(rows), pq.PageBufferSize(8192))
	ft, err := parquet.ParseFooter(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ft.RowGroups) != 1 {
		t.Fatalf("%d row groups", len(ft.RowGroups))
	}
	if n := numPages(t, data, 0); n < 8 || n > 14 {
		t.Fatalf("id has %d pages, want about 10", n)
	}
	sql := "SELECT id, val, name FROM S3Object WHERE id BETWEEN 6000 AND 6100"
	var want strings.Builder
	for _, r := range rows[6000:6101] {
		fmt.Fprintf(&want, "%d,%v,%s\n", r.ID, r.Val, r.Name)
	}
	noPages := DefaultOptions()
	noPages.noPageIndex = true

	res, pruned := parquetQuery(t, sql, data, ft, DefaultOptions(), outCSV)
	if res.records != want.String() {
		t.Fatalf("with page pruning got %q\nwant %q", res.records, want.String())
	}
	res, whole := parquetQuery(t, sql, data, ft, noPages, outCSV)
	if res.records != want.String() {
		t.Fatalf("without page pruning got %q\nwant %q", res.records, want.String())
	}
	t.Logf("bytes scanned: page pruning %d, without %d; processed %d, %d", pruned.BytesScanned, whole.BytesScanned, pruned.BytesProcessed, whole.BytesProcessed)
	if pruned.BytesScanned*3 > whole.BytesScanned {
		t.Errorf("BytesScanned %d with page pruning, %d without: want far fewer", pruned.BytesScanned, whole.BytesScanned)
	}
	if pruned.BytesProcessed >= whole.BytesProcessed {
		t.Errorf("BytesProcessed %d with page pruning, %d without", pruned.BytesProcessed, whole.BytesProcessed)
	}

	// A predicate no page can satisfy reads no data page at all.
	res, none := parquetQuery(t, "SELECT COUNT(*) FROM S3Object WHERE id = 5 AND name = 'name09000'", data, ft, DefaultOptions(), outCSV)
	if res.records != "0\n" || none.BytesScanned >= pruned.BytesScanned {
		t.Errorf("impossible predicate: %q, %d bytes scanned", res.records, none.BytesScanned)
	}
}

// TestParquetPagePruningEquivalence checks that page pruning never changes
// a result, over random predicates, page versions and row group sizes.
func TestParquetPagePruningEquivalence(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	rows := pagedRows(2000, rng)
	noPages := DefaultOptions()
	noPages.noPageIndex = true
	preds := []func() string{
		func() string { return fmt.Sprintf("id < %d", rng.Intn(2100)) },
		func() string { a := rng.Intn(2000); return fmt.Sprintf("id >= %d AND id < %d", a, a+rng.Intn(300)) },
		func() string { return fmt.Sprintf("id = %d OR id = %d", rng.Intn(2000), rng.Intn(2000)) },
		func() string { return fmt.Sprintf("name = 'name%05d'", rng.Intn(2000)) },
		func() string { return fmt.Sprintf("val > %d AND id < %d", rng.Intn(1000), rng.Intn(2000)) },
		func() string {
			a := rng.Intn(2000)
			return fmt.Sprintf("NOT (id BETWEEN %d AND %d)", a, a+rng.Intn(1900))
		},
		func() string {
			return fmt.Sprintf("id IN (%d, %d, %d)", rng.Intn(2000), rng.Intn(2000), rng.Intn(2000))
		},
		func() string { return fmt.Sprintf("note = 'note%d' AND id > %d", rng.Intn(7), rng.Intn(2000)) },
		func() string { return fmt.Sprintf("note IS NULL AND id < %d", rng.Intn(2000)) },
		func() string {
			return fmt.Sprintf("(id < %d OR val = %d) AND NOT note != 'note3'", rng.Intn(2000), rng.Intn(1000))
		},
	}
	files := []struct {
		name     string
		perGroup int
		opts     []pq.WriterOption
	}{
		{"v2 1 group", 2000, []pq.WriterOption{pq.PageBufferSize(1024)}},
		{"v1 3 groups", 700, []pq.WriterOption{pq.PageBufferSize(1024), pq.DataPageVersion(1)}},
		{"v2 snappy 512", 1000, []pq.WriterOption{pq.PageBufferSize(512), pq.Compression(&pq.Snappy)}},
	}
	for _, f := range files {
		data := writeParquet(t, rows, f.perGroup, f.opts...)
		fewer := 0
		if n := numPages(t, data, 0); n < 4 {
			t.Fatalf("%s: only %d pages", f.name, n)
		}
		for i := 0; i < 12; i++ {
			where := preds[rng.Intn(len(preds))]()
			for _, sel := range []string{"*", "COUNT(*), SUM(val)", "tags, id"} {
				q := "SELECT " + sel + " FROM S3Object WHERE " + where
				a, sa := parquetQuery(t, q, data, nil, DefaultOptions(), outJSON)
				b, sb := parquetQuery(t, q, data, nil, noPages, outJSON)
				if sa.BytesScanned < sb.BytesScanned {
					fewer++
				}
				c, _ := parquetQuery(t, q, data, nil, Options{}, outJSON)
				if a.records != b.records || a.records != c.records {
					t.Errorf("%s: %s:\npage pruning %q\nno page pruning %q\nno pushdown %q", f.name, q, a.records, b.records, c.records)
				}
			}
		}
		if fewer == 0 {
			t.Errorf("%s: page pruning never scanned fewer bytes", f.name)
		}
	}
}
