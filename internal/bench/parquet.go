package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	pq "github.com/parquet-go/parquet-go"
)

func init() {
	Register("parquet", RunParquet)
}

// ParquetConfig holds the parameters of `anode bench parquet`.
type ParquetConfig struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	Bucket    string
	Key       string
	// AdminURL is the server's admin endpoint, scraped for metrics before
	// and after each query; empty skips the metrics.
	AdminURL  string
	Size      int64 // target file size
	RowGroups int
	// File keeps the generated file at this path (and reuses it if it
	// exists); empty generates into a temporary file removed at the end.
	File string
	// Reuse skips the upload when the object exists with the file's size.
	Reuse bool
	Quiet bool
}

func parseParquetFlags(args []string, stderr io.Writer) (*ParquetConfig, error) {
	c := &ParquetConfig{}
	fs := flag.NewFlagSet("bench parquet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: anode bench parquet [flags]\n\n"+
			"Generates a Parquet file, stores it, and compares a selective query run as\n"+
			"S3 Select with pushdown, S3 Select without pushdown, and a GET of the whole\n"+
			"object filtered by the client. See docs/benchmarks.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Endpoint, "endpoint", "http://127.0.0.1:8080", "S3 endpoint URL")
	fs.StringVar(&c.AccessKey, "access-key", envOr("ANODE_ROOT_USER", "minioadmin"), "access key (default from $ANODE_ROOT_USER)")
	fs.StringVar(&c.SecretKey, "secret-key", envOr("ANODE_ROOT_PASSWORD", "minioadmin"), "secret key (default from $ANODE_ROOT_PASSWORD)")
	fs.StringVar(&c.Region, "region", "us-east-1", "region used for signing")
	fs.StringVar(&c.Bucket, "bucket", "anode-bench", "bucket, created if missing")
	fs.StringVar(&c.Key, "key", "bench-parquet/data.parquet", "object key of the Parquet file")
	fs.StringVar(&c.AdminURL, "admin", "http://127.0.0.1:8081", "admin endpoint whose /metrics are compared around each query (empty: none)")
	size := fs.String("size", "1GiB", "size of the generated Parquet file")
	fs.IntVar(&c.RowGroups, "row-groups", 128, "number of row groups")
	fs.StringVar(&c.File, "file", "", "keep the generated file here and reuse it when it exists (default: a temporary file)")
	fs.BoolVar(&c.Reuse, "reuse", false, "do not upload when the object already exists with the file's size")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("bench parquet: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.Size, err = ParseSize(*size); err != nil {
		return nil, fmt.Errorf("bench parquet: --size: %w", err)
	}
	if c.RowGroups < 1 {
		return nil, errors.New("bench parquet: --row-groups must be at least 1")
	}
	if c.Size < int64(c.RowGroups)*benchRowBytes {
		return nil, fmt.Errorf("bench parquet: --size %s is too small for %d row groups", FormatSize(c.Size), c.RowGroups)
	}
	c.AdminURL = strings.TrimRight(c.AdminURL, "/")
	return c, nil
}

// benchRow is a row of the generated file: 20 columns, sorted on id, the
// rest random so that the file does not compress below its target size.
type benchRow struct {
	ID  int64   `parquet:"id"`
	TS  int64   `parquet:"ts,timestamp(millisecond)"`
	C02 int64   `parquet:"c02"`
	C03 int64   `parquet:"c03"`
	C04 int64   `parquet:"c04"`
	C05 int64   `parquet:"c05"`
	C06 int64   `parquet:"c06"`
	C07 int64   `parquet:"c07"`
	C08 int64   `parquet:"c08"`
	C09 int64   `parquet:"c09"`
	C10 int64   `parquet:"c10"`
	C11 int64   `parquet:"c11"`
	C12 int64   `parquet:"c12"`
	C13 int64   `parquet:"c13"`
	D14 float64 `parquet:"d14"`
	D15 float64 `parquet:"d15"`
	D16 float64 `parquet:"d16"`
	D17 float64 `parquet:"d17"`
	S18 string  `parquet:"s18"`
	S19 string  `parquet:"s19"`
}

// benchRowBytes is what a benchRow takes in the file, a little less than
// measured (168.7 bytes: 18 8-byte values and two 16-byte hex strings with
// their length prefixes, which Snappy shrinks a little), so that the file
// comes out slightly larger than asked for.
const benchRowBytes = 160

// generateParquet writes a Parquet file of about size bytes in rowGroups
// row groups to w, streaming: one row group is in memory at a time. It
// returns the number of rows.
func generateParquet(w io.Writer, size int64, rowGroups int, progress func(rows int64)) (int64, error) {
	rows := size / benchRowBytes
	perGroup := (rows + int64(rowGroups) - 1) / int64(rowGroups)
	rows = perGroup * int64(rowGroups)
	// Snappy, as most writers default to: it cannot shrink random data,
	// but a reader still pays for decoding it.
	pw := pq.NewGenericWriter[benchRow](w, pq.Compression(&pq.Snappy), pq.PageBufferSize(1<<20))
	rng := rand.New(rand.NewPCG(1, 2))
	const hexdigits = "0123456789abcdef"
	strs := make([]byte, 0, 32*1024)
	batch := make([]benchRow, 1024)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	var id int64
	for g := 0; g < rowGroups; g++ {
		for left := perGroup; left > 0; {
			n := int(min(left, int64(len(batch))))
			strs = strs[:0]
			for i := 0; i < n; i++ {
				for j := 0; j < 32; j++ {
					strs = append(strs, hexdigits[rng.IntN(16)])
				}
			}
			// One string backs a whole batch; rows slice it.
			all := string(strs)
			for i := range batch[:n] {
				r := &batch[i]
				r.ID = id
				r.TS = base + id*10
				r.C02, r.C03, r.C04, r.C05 = rng.Int64(), rng.Int64(), rng.Int64(), rng.Int64()
				r.C06, r.C07, r.C08, r.C09 = rng.Int64(), rng.Int64(), rng.Int64(), rng.Int64()
				r.C10, r.C11, r.C12, r.C13 = rng.Int64(), rng.Int64(), rng.Int64(), rng.Int64()
				r.D14, r.D15, r.D16, r.D17 = rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()
				r.S18, r.S19 = all[i*32:i*32+16], all[i*32+16:i*32+32]
				id++
			}
			if _, err := pw.Write(batch[:n]); err != nil {
				return 0, fmt.Errorf("write rows: %w", err)
			}
			left -= int64(n)
		}
		if err := pw.Flush(); err != nil { // ends the row group
			return 0, fmt.Errorf("flush row group: %w", err)
		}
		if progress != nil {
			progress(id)
		}
	}
	if err := pw.Close(); err != nil {
		return 0, fmt.Errorf("close parquet writer: %w", err)
	}
	return rows, nil
}

// parquetResult is one way of running the query.
type parquetResult struct {
	Name         string
	Rows         int64 // matching rows found
	Sum          int64 // sum of c02 over them (checks the three agree)
	Elapsed      time.Duration
	BytesScanned int64 // the Stats event's BytesScanned; -1 for GET
	// DiskBytes is what the server read from chunks: the growth of
	// anode_object_range_read_bytes_total for a select (-1 when the
	// metrics could not be read), the object's size for a GET, which
	// reads every chunk whole.
	DiskBytes int64
	ServerOut int64 // anode_s3_bytes_out_total growth; -1 unknown
	Received  int64 // response body bytes the client read
}

// parquetReport is the outcome of a run.
type parquetReport struct {
	Size, Rows int64
	SQL        string
	Results    []parquetResult // select with pushdown, without, GET
}

// RunParquet is the parquet sub-benchmark: it parses its flags, generates
// and stores the file, runs the query three ways and prints the report.
func RunParquet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseParquetFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := runParquet(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("bench parquet: %w", err)
	}
	rep.write(stdout, cfg)
	return nil
}

// runParquet runs a parsed configuration. It fails if the three methods do
// not find the same rows.
func runParquet(ctx context.Context, cfg *ParquetConfig, stderr io.Writer) (*parquetReport, error) {
	logf := func(format string, a ...any) {
		if !cfg.Quiet {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
	}
	counter := &countingTransport{}
	client := newParquetClient(cfg, counter)
	if err := ensureBucket(ctx, client, cfg.Bucket, cfg.Region); err != nil {
		return nil, err
	}

	path, rows, cleanup, err := parquetFile(cfg, logf)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := uploadParquet(ctx, client, cfg, path, fi.Size(), logf); err != nil {
		return nil, err
	}

	// About 1% of the rows, starting inside a row group so that the range
	// spans two of them, and 2 columns.
	lo := rows * 37 / 100
	lo += rows / int64(cfg.RowGroups) / 3
	hi := lo + rows/100
	sql := fmt.Sprintf("SELECT s.id, s.c02 FROM S3Object s WHERE s.id >= %d AND s.id < %d", lo, hi)
	logf("query: %s", sql)

	var results []parquetResult
	for _, run := range []struct {
		name string
		fn   func() (parquetResult, error)
	}{
		{"select (pushdown)", func() (parquetResult, error) { return runSelect(ctx, client, cfg, sql, true) }},
		{"select (no pushdown)", func() (parquetResult, error) { return runSelect(ctx, client, cfg, sql, false) }},
		{"GET + client filter", func() (parquetResult, error) { return runGetFilter(ctx, client, cfg, lo, hi) }},
	} {
		logf("running %s ...", run.name)
		before := scrapeMetrics(cfg.AdminURL)
		counter.n.Store(0)
		start := time.Now()
		res, err := run.fn()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", run.name, err)
		}
		res.Elapsed = time.Since(start)
		res.Received = counter.n.Load()
		res.Name = run.name
		after := scrapeMetrics(cfg.AdminURL)
		res.DiskBytes = metricDelta(before, after, "anode_object_range_read_bytes_total")
		if res.BytesScanned < 0 {
			res.DiskBytes = fi.Size()
		}
		res.ServerOut = metricDelta(before, after, "anode_s3_bytes_out_total")
		results = append(results, res)
	}
	for _, r := range results[1:] {
		if r.Rows != results[0].Rows || r.Sum != results[0].Sum {
			return nil, fmt.Errorf("%s found %d rows (sum %d), %s found %d (sum %d)",
				r.Name, r.Rows, r.Sum, results[0].Name, results[0].Rows, results[0].Sum)
		}
	}
	if results[0].Rows != hi-lo {
		return nil, fmt.Errorf("found %d rows, want %d", results[0].Rows, hi-lo)
	}
	return &parquetReport{Size: fi.Size(), Rows: rows, SQL: sql, Results: results}, nil
}

// parquetFile returns the path of the file to benchmark, generating it
// unless --file names one that exists, and its number of rows.
func parquetFile(cfg *ParquetConfig, logf func(string, ...any)) (path string, rows int64, cleanup func(), err error) {
	cleanup = func() {}
	if cfg.File != "" {
		if f, err := os.Open(cfg.File); err == nil {
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return "", 0, cleanup, err
			}
			pf, err := pq.OpenFile(f, fi.Size(), pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
			if err != nil {
				return "", 0, cleanup, fmt.Errorf("%s: %w", cfg.File, err)
			}
			logf("reusing %s (%s, %d rows, %d row groups)", cfg.File, FormatSize(fi.Size()), pf.NumRows(), len(pf.RowGroups()))
			return cfg.File, pf.NumRows(), cleanup, nil
		}
		path = cfg.File
	} else {
		f, err := os.CreateTemp("", "anode-bench-*.parquet")
		if err != nil {
			return "", 0, cleanup, err
		}
		f.Close()
		path = f.Name()
		cleanup = func() { os.Remove(path) }
	}
	f, err := os.Create(path)
	if err != nil {
		return "", 0, cleanup, err
	}
	defer f.Close()
	logf("generating %s of Parquet (%d row groups, 20 columns) into %s ...", FormatSize(cfg.Size), cfg.RowGroups, path)
	start := time.Now()
	bw := bufio.NewWriterSize(f, 1<<20)
	lastLog := time.Now()
	rows, err = generateParquet(bw, cfg.Size, cfg.RowGroups, func(n int64) {
		if time.Since(lastLog) >= 5*time.Second {
			lastLog = time.Now()
			logf("  %d rows ...", n)
		}
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		cleanup()
		return "", 0, func() {}, err
	}
	logf("generated %d rows in %v", rows, time.Since(start).Round(time.Millisecond))
	return path, rows, cleanup, nil
}

// uploadParquet stores the file with one PutObject, unless --reuse and the
// object is already there with the same size.
func uploadParquet(ctx context.Context, c *s3.Client, cfg *ParquetConfig, path string, size int64, logf func(string, ...any)) error {
	if cfg.Reuse {
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String(cfg.Key)})
		if err == nil && aws.ToInt64(h.ContentLength) == size {
			logf("reusing s3://%s/%s", cfg.Bucket, cfg.Key)
			return nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	logf("uploading %s to s3://%s/%s ...", FormatSize(size), cfg.Bucket, cfg.Key)
	start := time.Now()
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(cfg.Bucket), Key: aws.String(cfg.Key), Body: f, ContentLength: aws.Int64(size),
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", cfg.Key, err)
	}
	logf("uploaded in %v", time.Since(start).Round(time.Millisecond))
	return nil
}

// runSelect runs the query as S3 Select, with or without pushdown (the
// x-anode-select-pushdown header), and sums what it returns.
func runSelect(ctx context.Context, c *s3.Client, cfg *ParquetConfig, sql string, pushdown bool) (parquetResult, error) {
	var opts []func(*s3.Options)
	if !pushdown {
		opts = append(opts, func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-anode-select-pushdown", "off"))
		})
	}
	resp, err := c.SelectObjectContent(ctx, &s3.SelectObjectContentInput{
		Bucket: aws.String(cfg.Bucket), Key: aws.String(cfg.Key),
		Expression: aws.String(sql), ExpressionType: types.ExpressionTypeSql,
		InputSerialization:  &types.InputSerialization{Parquet: &types.ParquetInput{}},
		OutputSerialization: &types.OutputSerialization{CSV: &types.CSVOutput{}},
	}, opts...)
	if err != nil {
		return parquetResult{}, err
	}
	stream := resp.GetStream()
	defer stream.Close()
	res := parquetResult{BytesScanned: -1}
	var partial []byte // a record split across two Records events
	ended := false
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.SelectObjectContentEventStreamMemberRecords:
			partial = append(partial, v.Value.Payload...)
			i := bytes.LastIndexByte(partial, '\n')
			if i < 0 {
				continue
			}
			if err := sumCSV(partial[:i+1], &res); err != nil {
				return res, err
			}
			partial = append(partial[:0], partial[i+1:]...)
		case *types.SelectObjectContentEventStreamMemberStats:
			res.BytesScanned = aws.ToInt64(v.Value.Details.BytesScanned)
		case *types.SelectObjectContentEventStreamMemberEnd:
			ended = true
		}
	}
	if err := stream.Err(); err != nil {
		return res, err
	}
	if !ended || len(partial) > 0 {
		return res, errors.New("event stream ended early")
	}
	return res, nil
}

// sumCSV adds the "id,c02" lines of b to res.
func sumCSV(b []byte, res *parquetResult) error {
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte{'\n'})
		b = rest
		_, v, ok := bytes.Cut(line, []byte{','})
		if !ok {
			return fmt.Errorf("bad record %q", line)
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("bad record %q: %w", line, err)
		}
		res.Rows++
		res.Sum += n
	}
	return nil
}

// runGetFilter downloads the whole object and filters it on the client,
// decoding only the two columns the query needs, as a client without S3
// Select would.
func runGetFilter(ctx context.Context, c *s3.Client, cfg *ParquetConfig, lo, hi int64) (parquetResult, error) {
	res := parquetResult{BytesScanned: -1}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String(cfg.Key)})
	if err != nil {
		return res, err
	}
	data := make([]byte, 0, aws.ToInt64(out.ContentLength))
	buf := bytes.NewBuffer(data)
	_, err = buf.ReadFrom(out.Body)
	out.Body.Close()
	if err != nil {
		return res, fmt.Errorf("read body: %w", err)
	}
	data = buf.Bytes()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)), pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return res, fmt.Errorf("open parquet: %w", err)
	}
	idCol, valCol := columnIndex(f, "id"), columnIndex(f, "c02")
	if idCol < 0 || valCol < 0 {
		return res, errors.New("the file has no id or c02 column")
	}
	for _, rg := range f.RowGroups() {
		ids, err := readInt64s(rg.ColumnChunks()[idCol])
		if err != nil {
			return res, err
		}
		vals, err := readInt64s(rg.ColumnChunks()[valCol])
		if err != nil {
			return res, err
		}
		if len(ids) != len(vals) {
			return res, fmt.Errorf("row group with %d ids and %d values", len(ids), len(vals))
		}
		for i, id := range ids {
			if id >= lo && id < hi {
				res.Rows++
				res.Sum += vals[i]
			}
		}
	}
	return res, nil
}

func columnIndex(f *pq.File, name string) int {
	for i, c := range f.Root().Columns() {
		if c.Name() == name {
			return i
		}
	}
	return -1
}

// readInt64s decodes a required INT64 column chunk.
func readInt64s(cc pq.ColumnChunk) ([]int64, error) {
	pages := cc.Pages()
	defer pages.Close()
	out := make([]int64, 0, cc.NumValues())
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read page: %w", err)
		}
		data := p.Data()
		out = append(out, data.Int64()...)
		pq.Release(p)
	}
}

// countingTransport counts the response body bytes the client reads.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.Body != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// newParquetClient returns the benchmark's S3 client (see newS3Client),
// counting response bytes through counter.
func newParquetClient(cfg *ParquetConfig, counter *countingTransport) *s3.Client {
	sc := &S3Config{Endpoint: cfg.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, Region: cfg.Region, Concurrency: 1}
	o := newS3Client(sc).Options()
	counter.base = o.HTTPClient.(*http.Client).Transport
	o.HTTPClient = &http.Client{Transport: counter}
	return s3.New(o)
}

// scrapeMetrics returns the admin endpoint's metrics, each summed over its
// labels, or nil when there is no admin URL or it cannot be read.
func scrapeMetrics(adminURL string) map[string]float64 {
	if adminURL == "" {
		return nil
	}
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, value := line, ""
		if i := strings.LastIndexAny(line, " "); i >= 0 {
			name, value = line[:i], line[i+1:]
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(value, 64)
		if err == nil {
			m[strings.TrimSpace(name)] += v
		}
	}
	return m
}

// metricDelta returns how much a metric grew, or -1 when unknown.
func metricDelta(before, after map[string]float64, name string) int64 {
	b, ok1 := before[name]
	a, ok2 := after[name]
	if !ok1 || !ok2 {
		return -1
	}
	return int64(a - b)
}

func (rep *parquetReport) write(w io.Writer, cfg *ParquetConfig) {
	size, rows, sql, results := rep.Size, rep.Rows, rep.SQL, rep.Results
	fmt.Fprintf(w, "object: s3://%s/%s, %s (%d bytes), %d rows, %d row groups, 20 columns\n",
		cfg.Bucket, cfg.Key, FormatSize(size), size, rows, cfg.RowGroups)
	fmt.Fprintf(w, "query:  %s\n", sql)
	fmt.Fprintf(w, "result: %d rows\n\n", results[0].Rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\ttime\tbytes read from disk\tStats BytesScanned\tS3 bytes out\tbytes received\t")
	num := func(n int64) string {
		if n < 0 {
			return "-"
		}
		return strconv.FormatInt(n, 10)
	}
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\t\n", r.Name, r.Elapsed.Round(time.Millisecond),
			num(r.DiskBytes), num(r.BytesScanned), num(r.ServerOut), num(r.Received))
	}
	tw.Flush()
	get := results[len(results)-1]
	fmt.Fprintln(w)
	for _, r := range results[:len(results)-1] {
		fmt.Fprintf(w, "%s vs GET: %.1fx fewer bytes read from disk, %.1fx fewer bytes sent, %.1fx less time\n",
			r.Name, ratio(get.DiskBytes, r.DiskBytes), ratio(get.Received, r.Received), float64(get.Elapsed)/float64(max(r.Elapsed, 1)))
	}
	fmt.Fprintln(w, "(a GET reads every chunk of the object whole: its bytes read from disk are the object's size)")
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
