package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// S3Config holds the parameters of one S3 benchmark run. It is written into
// the JSON report as given, except for the secret key.
type S3Config struct {
	Endpoint    string        `json:"endpoint"`
	AccessKey   string        `json:"access_key"`
	SecretKey   string        `json:"-"`
	Region      string        `json:"region"`
	Bucket      string        `json:"bucket"`
	Prefix      string        `json:"prefix"`
	Op          string        `json:"op"`
	Size        int64         `json:"size"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration_ns"`
	Count       int64         `json:"count"`
	Objects     int           `json:"objects"`
	JSONPath    string        `json:"-"`
	Limits      bool          `json:"limits"`
	DataDir     string        `json:"data_dir"`
	Quiet       bool          `json:"-"`
	SignPayload bool          `json:"sign_payload"`
	// SSE is the server-side encryption PUTs ask for: "", AES256 or aws:kms.
	SSE     string `json:"sse,omitempty"`
	Cleanup bool   `json:"cleanup"`
	// Progress is the interval between progress lines; zero means none.
	Progress time.Duration `json:"-"`
}

// The operations --op accepts.
var validOps = []string{"put", "get", "head", "list", "delete", "mixed"}

// envOr returns the environment variable's value, or def when it is unset
// or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseS3Flags parses the flags of the s3 sub-benchmark. Usage and parse
// errors go to stderr; -h yields flag.ErrHelp.
func parseS3Flags(args []string, stderr io.Writer) (*S3Config, error) {
	c := &S3Config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: anode bench [s3|%s] [flags]\n\n", strings.Join(registeredNames(), "|"))
		fmt.Fprintf(stderr, "Drives an S3 endpoint with a load and measures the machine's limits.\n\nFlags of s3:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Endpoint, "endpoint", "http://127.0.0.1:8080", "S3 endpoint URL")
	fs.StringVar(&c.AccessKey, "access-key", envOr("ANODE_ROOT_USER", "minioadmin"), "access key (default from $ANODE_ROOT_USER)")
	fs.StringVar(&c.SecretKey, "secret-key", envOr("ANODE_ROOT_PASSWORD", "minioadmin"), "secret key (default from $ANODE_ROOT_PASSWORD)")
	fs.StringVar(&c.Region, "region", "us-east-1", "region used for signing")
	fs.StringVar(&c.Bucket, "bucket", "anode-bench", "bucket, created if missing")
	fs.StringVar(&c.Prefix, "prefix", "", "key prefix of this run (default bench-<random>)")
	fs.StringVar(&c.Op, "op", "put", "operation: "+strings.Join(validOps, "|"))
	size := fs.String("size", "1MiB", "object size: bytes or with a unit (KiB, MiB, GiB, KB, MB, GB)")
	fs.IntVar(&c.Concurrency, "concurrency", 8, "number of concurrent workers")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of the timed phase")
	fs.Int64Var(&c.Count, "count", 0, "stop after this many operations (with --duration unset: run until then)")
	fs.IntVar(&c.Objects, "objects", 0, "number of objects read by get/head/list/mixed or deleted by delete (default: auto)")
	fs.StringVar(&c.JSONPath, "json", "", "write the report as JSON to this file (- for stdout)")
	fs.BoolVar(&c.Limits, "limits", true, "measure the machine's limits (disk, fsync, hashing, loopback)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory on the disk to measure (default ./data if present, else the temp dir)")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress lines")
	fs.BoolVar(&c.SignPayload, "sign-payload", false, "sign the SHA-256 of PUT bodies instead of sending UNSIGNED-PAYLOAD")
	fs.BoolVar(&c.Cleanup, "cleanup", true, "delete the objects the run wrote when it ends")
	fs.StringVar(&c.SSE, "sse", "", "server-side encryption of PUTs: AES256 (SSE-S3) or aws:kms (default key); empty for none")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var err error
	if c.Size, err = ParseSize(*size); err != nil {
		return nil, fmt.Errorf("bench: --size: %w", err)
	}
	if !validOp(c.Op) {
		return nil, fmt.Errorf("bench: --op %q: want one of %s", c.Op, strings.Join(validOps, ", "))
	}
	if c.SSE != "" && c.SSE != "AES256" && c.SSE != "aws:kms" {
		return nil, fmt.Errorf("bench: --sse %q: want AES256 or aws:kms", c.SSE)
	}
	if c.Concurrency < 1 {
		return nil, errors.New("bench: --concurrency must be at least 1")
	}
	if c.Count < 0 || c.Objects < 0 {
		return nil, errors.New("bench: --count and --objects must not be negative")
	}
	// --count alone runs to the count; --duration given too stops at
	// whichever comes first.
	if c.Count > 0 && !set["duration"] {
		c.Duration = 0
	}
	if c.Duration <= 0 && c.Count == 0 {
		return nil, errors.New("bench: need a positive --duration or --count")
	}
	if c.Objects == 0 {
		c.Objects = defaultObjects(c)
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir()
	}
	if !c.Quiet {
		c.Progress = time.Second
	}
	return c, nil
}

func validOp(op string) bool {
	for _, v := range validOps {
		if op == v {
			return true
		}
	}
	return false
}

// defaultObjects picks the size of the read set: 100 objects, fewer for
// large sizes so that populating it writes at most 1 GiB, but never fewer
// than the number of workers. A delete run consumes its read set, so it gets
// at least 1000 objects, or --count of them.
func defaultObjects(c *S3Config) int {
	if c.Op == "delete" {
		return int(max(c.Count, 1000))
	}
	n := int64(100)
	if c.Size > 0 {
		n = min(n, (1<<30)/c.Size)
	}
	return int(max(n, int64(c.Concurrency), 1))
}
