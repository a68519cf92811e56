package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testLimits() *Limits {
	return &Limits{
		DiskWriteMiBps: 400,
		FsyncP50Ms:     2,
		FsyncP99Ms:     5,
		FsyncCount:     200,
		SHA256MiBps:    1600,
		MD5MiBps:       700,
		LoopbackMiBps:  3000,
		DataDir:        "/data",
	}
}

// testReport builds a report from known stats: 2s of 8 workers doing 1000
// PUTs of 1 MiB and 3000 GETs, 2 of which failed.
func testReport(t *testing.T) *Report {
	t.Helper()
	cfg := &S3Config{Endpoint: "http://127.0.0.1:8080", Bucket: "b", Op: "mixed",
		Size: 1 << 20, Concurrency: 8, Duration: 2 * time.Second, Objects: 100, Limits: true}
	var stats [numOps]opStats
	stats[opPut] = opStats{hist: new(Histogram), count: 1000, bytes: 1000 << 20}
	for i := 1; i <= 1000; i++ {
		stats[opPut].hist.Record(time.Duration(i) * time.Microsecond)
	}
	stats[opGet] = opStats{hist: new(Histogram), count: 3000, bytes: 3000 << 20, errors: 2,
		samples: []string{"get k: body differs from the content written"}}
	for i := 0; i < 3000; i++ {
		stats[opGet].hist.Record(time.Millisecond)
	}
	return newReport(cfg, &stats, 2*time.Second, testLimits())
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestNewReportComputesRates(t *testing.T) {
	rep := testReport(t)
	if len(rep.Results) != 2 {
		t.Fatalf("%d results, want PUT and GET only", len(rep.Results))
	}
	put, get := rep.Results[0], rep.Results[1]
	if put.Op != "PUT" || !near(put.OpsPerSec, 500) || !near(put.MiBPerSec, 500) {
		t.Errorf("PUT = %+v; want 500 ops/s and 500 MiB/s", put)
	}
	// Percentiles are within the histogram's 1/256; max and mean are exact.
	if put.Latency.P50 < 0.5 || put.Latency.P50 > 0.5*(1+1.0/256) || !near(put.Latency.Max, 1) || !near(put.Latency.Mean, 0.5005) {
		t.Errorf("PUT latency = %+v; want p50 0.5ms, max 1ms, mean 0.5005ms", put.Latency)
	}
	if get.Op != "GET" || get.Errors != 2 || !near(get.OpsPerSec, 1500) || len(get.ErrorSamples) != 1 {
		t.Errorf("GET = %+v", get)
	}
	if rep.TotalErrors() != 2 {
		t.Errorf("TotalErrors = %d, want 2", rep.TotalErrors())
	}
}

func TestBounds(t *testing.T) {
	rep := testReport(t)
	want := []Bound{
		// min(400 disk, 1600 sha, 700 md5, 3000 loopback) = 400.
		{Op: "PUT", Metric: "mib_per_sec", Measured: 500, Limit: 400, Formula: "min(disk_write, sha256, md5, loopback)", Ratio: 1.25},
		// 8 workers / 2ms = 4000 ops/s.
		{Op: "PUT", Metric: "ops_per_sec", Measured: 500, Limit: 4000, Formula: "concurrency / fsync_p50", Ratio: 0.125},
		// min(3000 loopback, 1600 sha) = 1600.
		{Op: "GET", Metric: "mib_per_sec", Measured: 1500, Limit: 1600, Formula: "min(loopback, sha256)", Ratio: 1500.0 / 1600},
	}
	if len(rep.Bounds) != len(want) {
		t.Fatalf("bounds = %+v, want %+v", rep.Bounds, want)
	}
	for i, b := range rep.Bounds {
		w := want[i]
		if b.Op != w.Op || b.Metric != w.Metric || b.Formula != w.Formula ||
			!near(b.Measured, w.Measured) || !near(b.Limit, w.Limit) || !near(b.Ratio, w.Ratio) {
			t.Errorf("bound %d = %+v, want %+v", i, b, w)
		}
	}
	if b := computeBounds(rep.Results, nil, 8); b != nil {
		t.Errorf("bounds without limits = %+v, want none", b)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	rep := testReport(t)
	path := filepath.Join(t.TempDir(), "r.json")
	if err := rep.writeJSONFile(path, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, rep) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, *rep)
	}
	// The fields that tools compare across machines are spelled as documented.
	for _, key := range []string{`"nproc"`, `"goos"`, `"hostname"`, `"timestamp"`, `"ops_per_sec"`,
		`"mib_per_sec"`, `"latency_ms"`, `"p99"`, `"disk_write_mib_per_sec"`, `"fsync_p50_ms"`, `"ratio"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	if bytes.Contains(data, []byte("secret")) {
		t.Error("JSON mentions the secret key")
	}

	var stdout bytes.Buffer
	if err := rep.writeJSONFile("-", &stdout); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), data) {
		t.Error(`--json - writes something else than --json FILE`)
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := testReport(t).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"p50 ms", "p99 ms", "PUT", "GET",
		"GET error: get k: body differs",
		"disk write, fsync every 4MiB  400.0 MiB/s",
		"PUT MiB/s", "= 125.0%", "= 12.5%", "min(loopback, sha256)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
