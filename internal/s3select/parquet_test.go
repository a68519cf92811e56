package s3select

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/anode/anode/internal/parquet"
)

type typedRow struct {
	ID    int64     `parquet:"id"`
	Price float64   `parquet:"price"`
	Name  string    `parquet:"name"`
	OK    bool      `parquet:"ok"`
	At    time.Time `parquet:"at,timestamp(millisecond)"`
	Note  *string   `parquet:"note,optional"`
}

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

func parquetQuery(t *testing.T, sql string, data []byte, footer *parquet.Footer, opts Options, output string) (result, Stats) {
	t.Helper()
	req, err := ParseRequest(strings.NewReader(reqXML(sql, `<Parquet/>`, output)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := Execute(context.Background(), req, src(data), footer, opts, &out)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	res := decode(t, out.Bytes())
	if res.errCode != "" {
		t.Fatalf("%s: error event %s", sql, res.errCode)
	}
	return res, st
}

func TestParquetTypesAndCodecs(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []typedRow
	for i := 0; i < 50; i++ {
		r := typedRow{ID: int64(i), Price: float64(i) * 1.5, Name: fmt.Sprintf("item%02d", i), OK: i%2 == 0, At: base.Add(time.Duration(i) * time.Hour)}
		if i%10 == 0 {
			n := "note" + fmt.Sprint(i)
			r.Note = &n
		}
		rows = append(rows, r)
	}
	for _, codec := range []pq.WriterOption{pq.Compression(&pq.Uncompressed), pq.Compression(&pq.Snappy), pq.Compression(&pq.Gzip), pq.Compression(&pq.Zstd)} {
		data := writeParquet(t, rows, 20, codec)
		res, _ := parquetQuery(t, "SELECT id, price, name, ok, at, note FROM S3Object WHERE id IN (10, 11)", data, nil, DefaultOptions(), outJSON)
		want := `{"id":10,"price":15,"name":"item10","ok":true,"at":"2024-01-01T10:00:00Z","note":"note10"}` + "\n" +
			`{"id":11,"price":16.5,"name":"item11","ok":false,"at":"2024-01-01T11:00:00Z","note":null}` + "\n"
		if res.records != want {
			t.Errorf("got %q\nwant %q", res.records, want)
		}
		res, _ = parquetQuery(t, "SELECT COUNT(*), SUM(id), MAX(price), COUNT(note) FROM S3Object WHERE at >= TO_TIMESTAMP('2024-01-02T00:00:00Z') AND ok = true", data, nil, DefaultOptions(), outCSV)
		if res.records != "13,468,72,2\n" {
			t.Errorf("aggregate: %q", res.records)
		}
	}
}

// wide has 20 columns.
type wide struct {
	K                                                                               int64   `parquet:"k"`
	V                                                                               float64 `parquet:"v"`
	C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18 string
}

func TestParquetPushdownAndPruning(t *testing.T) {
	pad := strings.Repeat("x", 40)
	var rows []wide
	for i := 0; i < 10000; i++ { // sorted on k; 100 row groups of 100 rows
		w := wide{K: int64(i), V: float64(i)}
		for _, p := range []*string{&w.C1, &w.C2, &w.C3, &w.C4, &w.C5, &w.C6, &w.C7, &w.C8, &w.C9, &w.C10, &w.C11, &w.C12, &w.C13, &w.C14, &w.C15, &w.C16, &w.C17, &w.C18} {
			*p = fmt.Sprintf("%s%d", pad, i)
		}
		rows = append(rows, w)
	}
	data := writeParquet(t, rows, 100)
	ft, err := parquet.ParseFooter(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ft.RowGroups) != 100 || len(ft.Columns) != 20 {
		t.Fatalf("%d row groups, %d columns", len(ft.RowGroups), len(ft.Columns))
	}
	sql := "SELECT k, v FROM S3Object WHERE k BETWEEN 4210 AND 4215"
	const want = "4210,4210\n4211,4211\n4212,4212\n4213,4213\n4214,4214\n4215,4215\n"

	res, st := parquetQuery(t, sql, data, nil, DefaultOptions(), outCSV)
	if res.records != want {
		t.Fatalf("got %q", res.records)
	}
	rg := ft.RowGroups[42]
	chunks := rg.Columns[0].Length + rg.Columns[1].Length
	footerBytes := int64(len(ft.Raw))
	if st.BytesScanned < chunks || st.BytesScanned > chunks+footerBytes+8 {
		t.Errorf("BytesScanned %d; want the two chunks (%d) + footer (%d)", st.BytesScanned, chunks, footerBytes)
	}
	// With the footer cached, only the chunks are read.
	_, st2 := parquetQuery(t, sql, data, ft, DefaultOptions(), outCSV)
	if st2.BytesScanned != chunks {
		t.Errorf("with footer: BytesScanned %d, want %d", st2.BytesScanned, chunks)
	}
	res, noPush := parquetQuery(t, sql, data, ft, Options{ColumnPruning: true}, outCSV)
	if res.records != want || noPush.BytesScanned < 50*chunks {
		t.Errorf("without pushdown: %d bytes scanned (with: %d)", noPush.BytesScanned, st2.BytesScanned)
	}
	res, noPrune := parquetQuery(t, sql, data, ft, Options{PredicatePushdown: true}, outCSV)
	if res.records != want || noPrune.BytesScanned < 5*chunks {
		t.Errorf("without pruning: %d bytes scanned (with: %d)", noPrune.BytesScanned, st2.BytesScanned)
	}
	t.Logf("bytes scanned: optimised %d, no pushdown %d, no pruning %d, file %d", st2.BytesScanned, noPush.BytesScanned, noPrune.BytesScanned, len(data))

	// Pushdown must never drop matching rows: compare with it off.
	for _, where := range []string{"k < 150 OR k > 9990", "NOT (k >= 10)", "k IN (5, 9999)", "k NOT BETWEEN 1 AND 9998", "v = 77 AND k = 77", "NOT (k < 9998 OR k > 9998)", "C1 = '" + pad + "5'"} {
		q := "SELECT COUNT(*) FROM S3Object WHERE " + where
		a, _ := parquetQuery(t, q, data, ft, DefaultOptions(), outCSV)
		b, _ := parquetQuery(t, q, data, ft, Options{}, outCSV)
		if a.records != b.records {
			t.Errorf("%s: with pushdown %q, without %q", where, a.records, b.records)
		}
	}
}

func FuzzParseSQL(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM S3Object",
		"SELECT s.a, COUNT(*) FROM S3Object[*].x s WHERE a BETWEEN 1 AND 2 LIMIT 3",
		"SELECT CAST(a AS INT), SUBSTRING(b FROM 1 FOR 2), TRIM(LEADING 'x' FROM c) FROM S3Object WHERE d LIKE 'a%' ESCAPE '!'",
		"SELECT EXTRACT(YEAR FROM ts), DATE_ADD(DAY, 1, ts) FROM S3Object WHERE x IS NOT MISSING",
		"SELECT CASE WHEN a THEN 1 ELSE 2 END FROM S3Object",
		"SELECT ((((((((a))))))))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseSQL(s)
		if err == nil && q == nil {
			t.Fatal("nil query without error")
		}
		if err != nil && !strings.Contains(err.Error(), ":") {
			t.Fatalf("error is not an S3 error: %v", err)
		}
	})
}
