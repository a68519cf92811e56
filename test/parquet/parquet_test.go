// Package parquet tests Anode's Parquet awareness end to end, against a
// freshly built anode binary running as a real process: S3 Select through
// the event-stream parsers of aws-sdk-go-v2 and boto3 over Parquet (four
// compressions, with nulls), CSV and JSON; predicate pushdown and column
// pruning, measured through the Stats event and the server's metrics; and
// the footer cache, through range GETs and its metrics.
package parquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	pq "github.com/parquet-go/parquet-go"

	"github.com/anode/anode/internal/parquet"
	"github.com/anode/anode/internal/testutil"
)

const bucket = "parquet-test"

// server is the process under test and a client for it.
type server struct {
	*testutil.Process
	c *s3.Client
}

// TestParquet runs every check against one server process, in sequence, so
// that each can read exact metric deltas.
func TestParquet(t *testing.T) {
	python := requireBoto3(t)
	bin := testutil.BuildAnode(t)
	// A 1 MiB chunk size makes the few-MB fixtures span several chunks, so
	// range reads cross chunk boundaries.
	p := testutil.StartProcess(t, bin, t.TempDir(), "--chunk-size", "1MiB")
	s := server{Process: p, c: testutil.S3Client(p.Endpoint)}
	if _, err := s.c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	t.Run("ParquetCodecs", s.testParquetCodecs)
	t.Run("CSV", s.testCSV)
	t.Run("JSON", s.testJSON)
	t.Run("Errors", s.testErrors)
	t.Run("Pushdown", s.testPushdown)
	t.Run("FooterCache", s.testFooterCache)
	t.Run("CorruptParquet", s.testCorruptParquet)
	t.Run("boto3", func(t *testing.T) { s.testBoto3(t, python) })
}

func (s server) put(t *testing.T, key string, data []byte) {
	t.Helper()
	_, err := s.c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// result is what a SelectObjectContent stream carried.
type result struct {
	records string
	stats   *types.Stats
	ended   bool
}

var (
	parquetIn = types.InputSerialization{Parquet: &types.ParquetInput{}}
	jsonOut   = types.OutputSerialization{JSON: &types.JSONOutput{}}
	csvOut    = types.OutputSerialization{CSV: &types.CSVOutput{}}
)

// noPushdown is a client option sending the header that turns predicate
// pushdown and column pruning off for one request.
func noPushdown(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-anode-select-pushdown", "off"))
}

// query runs a SelectObjectContent request with aws-sdk-go-v2 and reads the
// whole event stream. An error event, or a stream without End, is an error.
func (s server) query(key, sql string, in types.InputSerialization, out types.OutputSerialization, opts ...func(*s3.Options)) (result, error) {
	resp, err := s.c.SelectObjectContent(context.Background(), &s3.SelectObjectContentInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		Expression: aws.String(sql), ExpressionType: types.ExpressionTypeSql,
		InputSerialization: &in, OutputSerialization: &out,
	}, opts...)
	if err != nil {
		return result{}, err
	}
	stream := resp.GetStream()
	defer stream.Close()
	var res result
	var b strings.Builder
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.SelectObjectContentEventStreamMemberRecords:
			b.Write(v.Value.Payload)
		case *types.SelectObjectContentEventStreamMemberStats:
			res.stats = v.Value.Details
		case *types.SelectObjectContentEventStreamMemberEnd:
			res.ended = true
		}
	}
	res.records = b.String()
	if err := stream.Err(); err != nil {
		// Once End has arrived the server has sent everything; the SDK's
		// reader may still report its own connection closing under it
		// ("use of closed network connection") as the stream shuts down.
		if !(res.ended && (errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), net.ErrClosed.Error()))) {
			return res, err
		}
	}
	if !res.ended {
		return res, errors.New("event stream ended without an End event")
	}
	if res.stats == nil {
		return res, errors.New("event stream had no Stats event")
	}
	return res, nil
}

func (s server) mustQuery(t *testing.T, key, sql string, in types.InputSerialization, out types.OutputSerialization, opts ...func(*s3.Options)) result {
	t.Helper()
	res, err := s.query(key, sql, in, out, opts...)
	if err != nil {
		t.Fatalf("%s on %s: %v", sql, key, err)
	}
	return res
}

func (s server) testParquetCodecs(t *testing.T) {
	rows := fixtureData()
	for _, c := range codecs {
		key := "fixture-" + c.name + ".parquet"
		data := writeParquet(t, rows, 50, c.codec)
		s.put(t, key, data)
		res := s.mustQuery(t, key, "SELECT s.id, s.name, s.qty, s.note FROM S3Object s WHERE s.id BETWEEN 20 AND 22", parquetIn, jsonOut)
		if res.records != wantRows20to22 {
			t.Errorf("%s: records\n%s\nwant\n%s", c.name, res.records, wantRows20to22)
		}
		res = s.mustQuery(t, key, "SELECT COUNT(*), COUNT(qty), SUM(price) FROM S3Object WHERE note IS NULL", parquetIn, csvOut)
		if want := fixtureAggregates(); res.records != want {
			t.Errorf("%s: aggregates %q, want %q", c.name, res.records, want)
		}
		if got := aws.ToInt64(res.stats.BytesScanned); got <= 0 || got >= int64(len(data)) {
			t.Errorf("%s: BytesScanned %d of a %d-byte file: the query needs 3 columns of 5", c.name, got, len(data))
		}
	}
}

func (s server) testCSV(t *testing.T) {
	csv := fixtureCSV()
	s.put(t, "fixture.csv", csv)
	s.put(t, "fixture.csv.gz", gzipped(t, csv))
	const sql = "SELECT s.name, s.qty FROM S3Object s WHERE CAST(s.id AS INT) BETWEEN 20 AND 22"
	const want = "n20,20\nn21,\nn22,22\n"
	for _, tc := range []struct{ key, compression string }{{"fixture.csv", "NONE"}, {"fixture.csv.gz", "GZIP"}} {
		in := types.InputSerialization{
			CSV:             &types.CSVInput{FileHeaderInfo: types.FileHeaderInfoUse},
			CompressionType: types.CompressionType(tc.compression),
		}
		res := s.mustQuery(t, tc.key, sql, in, csvOut)
		if res.records != want {
			t.Errorf("%s: %q, want %q", tc.key, res.records, want)
		}
		if got := aws.ToInt64(res.stats.BytesProcessed); got != int64(len(csv)) {
			t.Errorf("%s: BytesProcessed %d, want the uncompressed size %d", tc.key, got, len(csv))
		}
	}
	// Positional columns without a header line; JSON output.
	in := types.InputSerialization{CSV: &types.CSVInput{FileHeaderInfo: types.FileHeaderInfoIgnore}}
	res := s.mustQuery(t, "fixture.csv", "SELECT _2 FROM S3Object WHERE _1 = '199'", in, jsonOut)
	if res.records != `{"_2":"n199"}`+"\n" {
		t.Errorf("positional: %q", res.records)
	}
}

func (s server) testJSON(t *testing.T) {
	s.put(t, "fixture.jsonl", fixtureJSONLines(t))
	s.put(t, "fixture.json.gz", gzipped(t, fixtureJSONDocument(t)))
	lines := types.InputSerialization{JSON: &types.JSONInput{Type: types.JSONTypeLines}}
	res := s.mustQuery(t, "fixture.jsonl", "SELECT s.id, s.name, s.qty, s.note FROM S3Object s WHERE s.id BETWEEN 20 AND 22", lines, jsonOut)
	if res.records != wantRows20to22 {
		t.Errorf("LINES: %q", res.records)
	}
	doc := types.InputSerialization{JSON: &types.JSONInput{Type: types.JSONTypeDocument}, CompressionType: types.CompressionTypeGzip}
	res = s.mustQuery(t, "fixture.json.gz", "SELECT s.id, s.name, s.qty, s.note FROM S3Object[*].rows[*] s WHERE s.id BETWEEN 20 AND 22", doc, jsonOut)
	if res.records != wantRows20to22 {
		t.Errorf("DOCUMENT: %q", res.records)
	}
	res = s.mustQuery(t, "fixture.jsonl", "SELECT COUNT(*), COUNT(qty), SUM(price) FROM S3Object WHERE note IS NULL", lines, csvOut)
	if want := fixtureAggregates(); res.records != want {
		t.Errorf("LINES aggregates %q, want %q", res.records, want)
	}
}

// testErrors checks that errors found before streaming are S3 XML errors
// the SDK decodes, and errors found while streaming are error events.
func (s server) testErrors(t *testing.T) {
	for _, tc := range []struct{ key, sql, code string }{
		{"fixture-none.parquet", "SELECT FROM S3Object", "ParseEmptySelect"},
		{"no-such-key.parquet", "SELECT * FROM S3Object", "NoSuchKey"},
		{"fixture.csv", "SELECT * FROM S3Object", "ParquetParsingError"},
	} {
		_, err := s.query(tc.key, tc.sql, parquetIn, jsonOut)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
			t.Errorf("%s on %s: %v, want %s", tc.sql, tc.key, err, tc.code)
		}
	}
	// A cast that fails on the 1st row of data is found while streaming.
	in := types.InputSerialization{CSV: &types.CSVInput{FileHeaderInfo: types.FileHeaderInfoNone}}
	_, err := s.query("fixture.csv", "SELECT CAST(_2 AS INT) FROM S3Object", in, csvOut)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "CastFailed" {
		t.Errorf("cast error: %v, want CastFailed", err)
	}
}

// testPushdown checks that a query touching 2 of 20 columns and 1 of 100
// row groups reads exactly those two column chunks, by range: the Stats
// event and the server's range-read counter agree to the byte.
func (s server) testPushdown(t *testing.T) {
	data := wideFile(t)
	s.put(t, "wide.parquet", data)
	ft, err := parquet.ParseFooter(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ft.RowGroups) != 100 || len(ft.Columns) != 20 {
		t.Fatalf("fixture has %d row groups and %d columns, want 100 and 20", len(ft.RowGroups), len(ft.Columns))
	}
	const sql = "SELECT k, v FROM S3Object WHERE k BETWEEN 4210 AND 4215"
	const want = "4210,4210\n4211,4211\n4212,4212\n4213,4213\n4214,4214\n4215,4215\n"
	rg := ft.RowGroups[42]
	chunks := rg.Columns[0].Length + rg.Columns[1].Length

	before := s.metrics(t)
	res := s.mustQuery(t, "wide.parquet", sql, parquetIn, csvOut)
	after := s.metrics(t)
	if res.records != want {
		t.Fatalf("records %q, want %q", res.records, want)
	}
	scanned := aws.ToInt64(res.stats.BytesScanned)
	if scanned != chunks {
		t.Errorf("BytesScanned %d, want %d: the two column chunks of row group 42 only", scanned, chunks)
	}
	// The footer came from the index stored with the object, so the
	// chunks were read for the column chunks only.
	if d := after.delta(before, "anode_object_range_read_bytes_total"); d != float64(chunks) {
		t.Errorf("anode_object_range_read_bytes_total grew by %v, want %d", d, chunks)
	}
	if d := after.delta(before, "anode_select_bytes_scanned_total"); d != float64(chunks) {
		t.Errorf("anode_select_bytes_scanned_total grew by %v, want %d", d, chunks)
	}

	// Without pushdown and pruning the same query reads every column
	// chunk of every row group, and returns the same records.
	var all int64
	for _, g := range ft.RowGroups {
		for _, c := range g.Columns {
			all += c.Length
		}
	}
	res = s.mustQuery(t, "wide.parquet", sql, parquetIn, csvOut, noPushdown)
	if res.records != want {
		t.Errorf("without pushdown: records %q, want %q", res.records, want)
	}
	if got := aws.ToInt64(res.stats.BytesScanned); got < all {
		t.Errorf("without pushdown: BytesScanned %d, want at least the %d bytes of all column chunks", got, all)
	}
}

// testFooterCache checks that footer range reads of a Parquet object are
// served from the tail cache: the first fills it with one ranged read of
// the tail, the next ones read no chunk, and the metrics count exactly.
func (s server) testFooterCache(t *testing.T) {
	data := wideFile(t)
	const key = "cached.parquet"
	s.put(t, key, data)
	size := int64(len(data))
	footerLen := int64(binary.LittleEndian.Uint32(data[size-8:])) + 8
	tail := min(max(int64(parquet.DefaultTailSize), footerLen), size)

	m0 := s.metrics(t)
	s.checkRange(t, key, data, "bytes=-8", size-8, size-1) // miss: fills the cache
	m1 := s.metrics(t)
	if d := m1.delta(m0, "anode_parquet_footer_cache_misses_total"); d != 1 {
		t.Errorf("first footer read: misses grew by %v, want 1", d)
	}
	// The footer is in the object's metadata: even the first read of it
	// touches no chunk.
	if d := m1.delta(m0, "anode_object_range_read_bytes_total"); d != 0 {
		t.Errorf("first footer read read %v bytes of chunks, want 0", d)
	}

	footerRange := "bytes=" + itoa(size-footerLen) + "-" + itoa(size-9)
	s.checkRange(t, key, data, footerRange, size-footerLen, size-9)
	s.checkRange(t, key, data, "bytes=-8", size-8, size-1)
	m2 := s.metrics(t)
	if d := m2.delta(m1, "anode_parquet_footer_cache_hits_total"); d != 2 {
		t.Errorf("hits grew by %v, want 2", d)
	}
	if d := m2.delta(m1, "anode_parquet_footer_cache_misses_total"); d != 0 {
		t.Errorf("misses grew by %v, want 0", d)
	}
	if d, want := m2.delta(m1, "anode_parquet_footer_cache_bytes_served_total"), float64(footerLen); d != want {
		t.Errorf("bytes served from the cache grew by %v, want %v", d, want)
	}
	if d := m2.delta(m1, "anode_object_range_read_bytes_total"); d != 0 {
		t.Errorf("cache hits read %v bytes of chunks, want 0", d)
	}
	// A reader's speculative tail read (larger than the footer) reads the
	// tail from the chunks once, then from the cache.
	if tail > footerLen {
		r := "bytes=-" + itoa(tail)
		s.checkRange(t, key, data, r, size-tail, size-1)
		s.checkRange(t, key, data, r, size-tail, size-1)
		mt := s.metrics(t)
		if d := mt.delta(m2, "anode_object_range_read_bytes_total"); d != float64(tail) {
			t.Errorf("two tail reads read %v bytes of chunks, want the %d-byte tail once", d, tail)
		}
		m2 = mt
	}

	// A range outside the tail is an ordinary read: no hit, no miss.
	s.checkRange(t, key, data, "bytes=0-99", 0, 99)
	m3 := s.metrics(t)
	if m3.delta(m2, "anode_parquet_footer_cache_hits_total")+m3.delta(m2, "anode_parquet_footer_cache_misses_total") != 0 {
		t.Errorf("a read outside the tail used the cache")
	}

	// Overwriting the key must not serve the old tail.
	data2 := append([]byte(nil), data...)
	copy(data2[size-footerLen-4:], "zzzz") // inside the last data page: a different file of the same size
	s.put(t, key, data2)
	s.checkRange(t, key, data2, "bytes=-"+itoa(footerLen+4), size-footerLen-4, size-1)
}

// testCorruptParquet checks that a file that only looks like Parquet (the
// magic at both ends, garbage between) is stored and read back as an
// ordinary object, and that S3 Select reports it as unreadable Parquet.
func (s server) testCorruptParquet(t *testing.T) {
	data := bytes.Repeat([]byte("not a parquet footer "), 10000)
	copy(data, parquet.Magic)
	copy(data[len(data)-4:], parquet.Magic)
	// A plausible footer length, so the parser gets as far as decoding.
	binary.LittleEndian.PutUint32(data[len(data)-8:], 1000)
	const key = "corrupt.parquet"
	m0 := s.metrics(t)
	s.put(t, key, data)
	out, err := s.c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GET of the corrupt file: %d bytes, err %v; want the %d bytes written", len(got), err, len(data))
	}
	size := int64(len(data))
	s.checkRange(t, key, data, "bytes=-8", size-8, size-1)
	m1 := s.metrics(t)
	if m1.delta(m0, "anode_parquet_footer_cache_hits_total")+m1.delta(m0, "anode_parquet_footer_cache_misses_total") != 0 {
		t.Errorf("the corrupt file was treated as Parquet by the footer cache")
	}
	_, err = s.query(key, "SELECT * FROM S3Object", parquetIn, jsonOut)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ParquetParsingError" {
		t.Errorf("select over the corrupt file: %v, want ParquetParsingError", err)
	}
}

// checkRange GETs a range and checks the status, Content-Range and bytes.
func (s server) checkRange(t *testing.T, key string, data []byte, rng string, start, end int64) {
	t.Helper()
	out, err := s.c.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String(rng),
	})
	if err != nil {
		t.Fatalf("GET %s %s: %v", key, rng, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GET %s %s: %v", key, rng, err)
	}
	wantCR := "bytes " + itoa(start) + "-" + itoa(end) + "/" + itoa(int64(len(data)))
	if cr := aws.ToString(out.ContentRange); cr != wantCR {
		t.Errorf("GET %s %s: Content-Range %q, want %q", key, rng, cr, wantCR)
	}
	if !bytes.Equal(got, data[start:end+1]) {
		t.Errorf("GET %s %s: %d bytes that differ from bytes %d-%d of the object", key, rng, len(got), start, end)
	}
}

// httpGet returns the body of a GET of url.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// testBoto3 runs select_boto3.py: the same queries through boto3's
// select_object_content, plus BZIP2 inputs that only Python can make here.
func (s server) testBoto3(t *testing.T, python string) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fixture.parquet"), writeParquet(t, fixtureData(), 50, pq.Compression(&pq.Snappy)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixture.csv"), fixtureCSV(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "select_boto3.py")
	cmd.Env = append(os.Environ(),
		"ANODE_ENDPOINT="+s.Endpoint, "FIXTURES="+dir, "BUCKET="+bucket,
		"AWS_ACCESS_KEY_ID="+testutil.AccessKey, "AWS_SECRET_ACCESS_KEY="+testutil.SecretKey,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("select_boto3.py: %v\n%s", err, out)
	}
	t.Logf("select_boto3.py: %s", bytes.TrimSpace(out))
}
