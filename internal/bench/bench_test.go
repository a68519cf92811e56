package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
)

// echoArgs holds the arguments the test-echo sub-benchmark last saw.
var (
	echoOnce sync.Once
	echoArgs []string
)

func TestMainDispatchesToRegisteredSubcommand(t *testing.T) {
	// Once: registering a name twice panics, and -count=2 reruns the test.
	echoOnce.Do(func() {
		Register("test-echo", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			echoArgs = args
			_, err := io.WriteString(stdout, "echo ran")
			return err
		})
	})
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"test-echo", "--rows", "5"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.String() != "echo ran" || strings.Join(echoArgs, " ") != "--rows 5" {
		t.Fatalf("sub-benchmark got args %q and printed %q", echoArgs, out.String())
	}

	err := Main(context.Background(), []string{"nosuch"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nosuch") || !strings.Contains(err.Error(), "s3") {
		t.Fatalf("unknown sub-benchmark: err = %v", err)
	}
}

func TestMainHelpListsFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := Main(context.Background(), []string{"-h"}, io.Discard, &stderr); err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, f := range []string{"-endpoint", "-op", "-size", "-concurrency", "-duration", "-count", "-objects", "-json", "-limits", "-data-dir", "-quiet"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("usage lacks %s", f)
		}
	}
}

func TestParseS3FlagsDefaults(t *testing.T) {
	t.Setenv("ANODE_ROOT_USER", "")
	t.Setenv("ANODE_ROOT_PASSWORD", "")
	c, err := parseS3Flags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "http://127.0.0.1:8080" || c.AccessKey != "minioadmin" || c.SecretKey != "minioadmin" ||
		c.Region != "us-east-1" || c.Bucket != "anode-bench" || c.Op != "put" || c.Size != 1<<20 ||
		c.Concurrency != 8 || c.Duration != 10*time.Second || c.Count != 0 || !c.Limits || !c.Cleanup ||
		c.Objects != 100 || c.DataDir == "" || c.Progress != time.Second {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestParseS3Flags(t *testing.T) {
	t.Setenv("ANODE_ROOT_USER", "alice")
	t.Setenv("ANODE_ROOT_PASSWORD", "s3cret")
	c, err := parseS3Flags([]string{"--op", "get", "--size", "64MiB", "--count", "500", "--concurrency", "16", "--quiet"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKey != "alice" || c.SecretKey != "s3cret" {
		t.Errorf("credentials from the environment: %q %q", c.AccessKey, c.SecretKey)
	}
	if c.Size != 64<<20 || c.Count != 500 || c.Duration != 0 || c.Concurrency != 16 || c.Progress != 0 {
		t.Errorf("parsed %+v", c)
	}
	if c.Objects != 16 { // 1 GiB / 64 MiB, and no fewer than the workers
		t.Errorf("auto objects for 64MiB x16 = %d, want 16", c.Objects)
	}

	c, err = parseS3Flags([]string{"--count", "50", "--duration", "3s"}, io.Discard)
	if err != nil || c.Count != 50 || c.Duration != 3*time.Second {
		t.Errorf("--count with --duration: %+v, %v", c, err)
	}
	c, err = parseS3Flags([]string{"--op", "delete", "--count", "5000"}, io.Discard)
	if err != nil || c.Objects != 5000 {
		t.Errorf("delete objects default: %+v, %v", c, err)
	}

	for _, bad := range [][]string{
		{"--op", "copy"},
		{"--size", "4XB"},
		{"--concurrency", "0"},
		{"--duration", "0s"},
		{"--nosuchflag"},
		{"--op", "put", "extra"},
	} {
		if _, err := parseS3Flags(bad, io.Discard); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("parseS3Flags(%q) = %v, want an error", bad, err)
		}
	}
}

func TestVerifyBody(t *testing.T) {
	const size = 100000
	good := make([]byte, size)
	fillContent(good, 9, 0)
	want := xxhash.Sum64(good)
	buf := make([]byte, 4096)
	d := xxhash.New()

	n, err := verifyBody(bytes.NewReader(good), buf, d, size, want)
	if err != nil || n != size {
		t.Fatalf("good body: n=%d err=%v", n, err)
	}

	bad := bytes.Clone(good)
	bad[size/2] ^= 1
	if _, err := verifyBody(bytes.NewReader(bad), buf, d, size, want); err == nil {
		t.Error("a body with one flipped bit passed")
	}
	if _, err := verifyBody(bytes.NewReader(good[:size-1]), buf, d, size, want); err == nil {
		t.Error("a short body passed")
	}
	if _, err := verifyBody(bytes.NewReader(append(bytes.Clone(good), 0)), buf, d, size, want); err == nil {
		t.Error("a long body passed")
	}
	if _, err := verifyBody(io.MultiReader(bytes.NewReader(good[:10]), errReader{}), buf, d, size, want); err == nil {
		t.Error("a body cut by a read error passed")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestMixedSharesSumTo100(t *testing.T) {
	sum := 0
	for _, s := range mixedShares {
		sum += s
	}
	if sum != 100 {
		t.Fatalf("mixed shares sum to %d", sum)
	}
	// The mix a worker draws follows the shares.
	r := &runner{cfg: &S3Config{Op: "mixed"}, runSeed: 1}
	w := r.newWorker(0)
	w.putSeq = 1 << 40 // always something to delete
	var n [numOps]int
	for range 100000 {
		n[w.choose()]++
	}
	for k := range numOps {
		if got := float64(n[k]) / 1000; got < float64(mixedShares[k])-1 || got > float64(mixedShares[k])+1 {
			t.Errorf("%s drawn %.1f%% of the time, want %d%%", k, got, mixedShares[k])
		}
	}
}

func TestErrorSamplesAreDistinctAcrossWorkers(t *testing.T) {
	var a, b, total opStats
	for range 3 {
		a.fail(errors.New("body differs"))
		b.fail(errors.New("body differs"))
	}
	b.fail(errors.New("status 500"))
	total.merge(&a)
	total.merge(&b)
	if total.errors != 7 || strings.Join(total.samples, "|") != "body differs|status 500" {
		t.Fatalf("merged errors %d, samples %q", total.errors, total.samples)
	}
}
