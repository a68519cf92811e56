package bench

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/anode/anode/internal/testutil"
)

// TestParquetBenchAgainstServer runs a small `anode bench parquet` against
// a real server: the three methods must agree (runParquet checks), and
// pushdown must read and send a small fraction of what a GET does.
func TestParquetBenchAgainstServer(t *testing.T) {
	s := testutil.Start(t, testutil.Options{})
	cfg, err := parseParquetFlags([]string{
		"--endpoint", s.Endpoint, "--admin", s.AdminURL,
		"--access-key", s.AccessKey, "--secret-key", s.SecretKey,
		"--bucket", "parquet-bench", "--size", "8MiB", "--row-groups", "100", "--quiet",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runParquet(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size < 8<<20 {
		t.Errorf("generated %d bytes, want at least --size 8MiB", rep.Size)
	}
	push, nopush, get := rep.Results[0], rep.Results[1], rep.Results[2]
	if push.Rows != rep.Rows/100 {
		t.Errorf("pushdown found %d rows, want 1%% of %d", push.Rows, rep.Rows)
	}
	if push.DiskBytes <= 0 || push.DiskBytes != push.BytesScanned {
		t.Errorf("pushdown: %d bytes read from disk, BytesScanned %d: want them equal and positive", push.DiskBytes, push.BytesScanned)
	}
	if push.DiskBytes*10 > get.DiskBytes || push.Received*10 > get.Received {
		t.Errorf("pushdown read %d and sent %d bytes, GET %d and %d: want 10x fewer", push.DiskBytes, push.Received, get.DiskBytes, get.Received)
	}
	if nopush.BytesScanned < rep.Size*9/10 {
		t.Errorf("without pushdown BytesScanned %d of a %d-byte file: want nearly all of it", nopush.BytesScanned, rep.Size)
	}
	if get.Received != rep.Size {
		t.Errorf("GET received %d bytes, want %d", get.Received, rep.Size)
	}
	var out bytes.Buffer
	rep.write(&out, cfg)
	for _, want := range []string{"select (pushdown)", "select (no pushdown)", "GET + client filter", "fewer bytes read from disk"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
