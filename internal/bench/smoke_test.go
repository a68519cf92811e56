package bench

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/anode/anode/internal/testutil"
)

// TestSmokeAgainstServer runs the s3 benchmark against a real Anode server:
// PUT, then GET (which populates and verifies its objects), each for 2s.
func TestSmokeAgainstServer(t *testing.T) {
	endpoint, accessKey, secretKey := testutil.StartServer(t)
	for _, op := range []string{"put", "get"} {
		t.Run(op, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.json")
			args := []string{
				"--endpoint", endpoint, "--access-key", accessKey, "--secret-key", secretKey,
				"--bucket", "smoke-bench", "--op", op, "--duration", "2s", "--size", "4KiB",
				"--concurrency", "2", "--objects", "20", "--limits=false", "--cleanup=false", "--quiet",
				"--json", path,
			}
			if err := Main(context.Background(), args, io.Discard, io.Discard); err != nil {
				t.Fatalf("bench %s: %v", op, err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var rep Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Results) != 1 {
				t.Fatalf("results %+v, want one op", rep.Results)
			}
			r := rep.Results[0]
			if r.Errors != 0 || r.Count == 0 || r.OpsPerSec <= 0 {
				t.Fatalf("%s: count %d, errors %d (%q), ops/s %v; want >0 ops and no errors",
					op, r.Count, r.Errors, r.ErrorSamples, r.OpsPerSec)
			}
			if r.Bytes != r.Count*4096 {
				t.Fatalf("%s: %d bytes for %d ops of 4KiB", op, r.Bytes, r.Count)
			}
		})
	}
}
