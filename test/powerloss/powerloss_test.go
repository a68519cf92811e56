// Package powerloss cuts the power under a real anode node: the node runs
// on lazyFS (lazyfs_test.go), a FUSE filesystem that discards every write
// not yet fsynced when the power is cut, unlike SIGKILL, which keeps the
// page cache. After each cut the node restarts on what was durable, and
// every acknowledged object must read back byte for byte, and the data
// directory must pass anode fsck.
//
// TestPowerLossWithoutSyncIsDetected runs the same with
// storage.sync_writes=false and requires the check to see acknowledged
// writes lost: it shows that the first test can fail.
//
// Needs root and /dev/fuse (the tests fail, not skip, without them).
package powerloss

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/testutil"
)

const bucket = "powerloss"

// Object shapes: inline (below the 64 KiB inline threshold), chunked
// (three 256 KiB chunks and a tail), and multipart (two parts).
const (
	chunkSize = 256 << 10
	partSize  = 300 << 10 // the first part; the test lowers s3.min_part_size to it
)

var shapes = []struct {
	name      string
	size      int
	multipart bool
}{
	{"inline", 3 << 10, false},
	{"inline", 60 << 10, false},
	{"chunked", 3*chunkSize + 4321, false},
	{"multipart", partSize + 70<<10, true},
}

// content is the deterministic body of a key.
func content(key string, size int) []byte {
	h := fnv.New64a()
	h.Write([]byte(key))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(size)))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

type history struct {
	mu    sync.Mutex
	acked map[string]int // key -> size of every write acknowledged
}

func requirePrivileges(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the power-loss test mounts a FUSE filesystem: run it as root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Fatalf("the power-loss test needs /dev/fuse: %v", err)
	}
}

// run starts a node on a lazyFS, cuts the power rounds times during
// concurrent writes, and returns what the checks found wrong.
func run(t *testing.T, syncWrites bool, rounds int) (problems []string, fsckErr error) {
	requirePrivileges(t)
	bin := testutil.BuildAnode(t)
	base := t.TempDir()
	backing, mnt := filepath.Join(base, "backing"), filepath.Join(base, "mnt")
	for _, d := range []string{backing, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lfs := mountLazyFS(t, backing, mnt)
	dataDir := filepath.Join(mnt, "data")
	args := []string{"--chunk-size", "256KiB", "--placement-groups", "8",
		"--set", fmt.Sprintf("s3.min_part_size=%d", partSize),
		"--set", fmt.Sprintf("storage.sync_writes=%v", syncWrites)}
	p := testutil.StartProcess(t, bin, dataDir, args...)
	c := testutil.S3Client(p.Endpoint)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	h := &history{acked: map[string]int{}}
	for round := range rounds {
		writeUntil(t, c, h, round, 24)
		p.Kill()
		lost := lfs.cut(t)
		t.Logf("round %d: power cut; %d files lost unsynced data", round, lost)
		p = testutil.StartProcess(t, bin, dataDir, args...)
		c = testutil.S3Client(p.Endpoint)
		problems = append(problems, verify(c, h)...)
	}
	p.Stop(t)
	out, err := exec.Command(bin, "fsck", "--data-dir", dataDir).CombinedOutput()
	t.Logf("anode fsck:\n%s", out)
	t.Logf("%d writes acknowledged over %d power cuts, %d fsyncs", len(h.acked), rounds, lfs.synced)
	return problems, err
}

// writeUntil runs writers of every shape until at least n more writes are
// acknowledged, and returns with writes still in flight (the caller cuts
// the power under them).
func writeUntil(t *testing.T, c *s3.Client, h *history, round, n int) {
	var acks atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	for w := range 6 {
		go func() {
			for i := 0; ; i++ {
				shape := shapes[(w+i)%len(shapes)]
				key := fmt.Sprintf("r%d/w%d/%04d-%s", round, w, i, shape.name)
				body := content(key, shape.size)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				var err error
				if shape.multipart {
					err = putMultipart(ctx, c, key, body)
				} else {
					_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
				}
				cancel()
				if err != nil {
					return // the node lost power under us
				}
				h.mu.Lock()
				h.acked[key] = shape.size
				h.mu.Unlock()
				if acks.Add(1) >= int64(n) {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatal("writers made no progress")
	}
}

func putMultipart(ctx context.Context, c *s3.Client, key string, body []byte) error {
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	for i, piece := range [][]byte{body[:partSize], body[partSize:]} {
		n := int32(i + 1)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(piece)})
		if err != nil {
			return err
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return err
}

// verify reads back every acknowledged object and returns what is wrong.
func verify(c *s3.Client, h *history) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var problems []string
	for key, size := range h.acked {
		got, err := get(c, key)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("acknowledged %s lost: %v", key, err))
		case len(got) != size || md5.Sum(got) != md5.Sum(content(key, size)):
			problems = append(problems, fmt.Sprintf("acknowledged %s reads back %d bytes, not the %d written", key, len(got), size))
		}
	}
	sort.Strings(problems)
	return problems
}

func get(c *s3.Client, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// TestPowerLoss: with fsync on (the default), every acknowledged object of
// every shape survives power cuts during concurrent writes, and fsck is
// clean.
func TestPowerLoss(t *testing.T) {
	problems, fsckErr := run(t, true, 2)
	for _, p := range problems {
		t.Error(p)
	}
	if fsckErr != nil {
		t.Errorf("anode fsck after power cuts: %v", fsckErr)
	}
}

// TestPowerLossWithoutSyncIsDetected is the mutation check of TestPowerLoss:
// with storage.sync_writes=false nothing is fsynced, so a power cut must
// lose acknowledged writes, and the same checks must see it. If they do
// not, TestPowerLoss proves nothing about fsync.
func TestPowerLossWithoutSyncIsDetected(t *testing.T) {
	problems, fsckErr := run(t, false, 1)
	t.Logf("with sync_writes=false: %d problems found, fsck: %v", len(problems), fsckErr)
	for i, p := range problems {
		if i == 5 {
			t.Logf("... and %d more", len(problems)-5)
			break
		}
		t.Logf("  %s", p)
	}
	if len(problems) == 0 && fsckErr == nil {
		t.Fatal("no acknowledged write was lost with sync_writes=false: the power-loss test cannot see missing fsyncs")
	}
}
