// Package crash kills a real anode process with SIGKILL in the middle of
// concurrent writes, restarts it, and checks that every acknowledged write
// survived, that nothing unacknowledged is half-visible, and that the data
// directory passes anode fsck.
package crash

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

const bucket = "crash"

// sizes mixes inline objects, single-chunk objects and multi-chunk objects
// (the default chunk size is 4 MiB).
var sizes = []int{0, 1 << 10, 70 << 10, 600 << 10, 4<<20 + 12345}

// content is the deterministic body of a key: any byte of it can be
// checked after a crash without remembering what was sent.
func content(key string, size int) []byte {
	h := fnv.New64a()
	h.Write([]byte(key))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(size)))
	b := make([]byte, size)
	for i := 0; i+8 <= size; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := size &^ 7; i < size; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

type history struct {
	mu        sync.Mutex
	attempted map[string]int // key -> size, for every PUT started
	acked     map[string]int // key -> size, for every PUT that returned 200
}

func TestCrashDuringConcurrentWrites(t *testing.T) {
	bin := testutil.BuildAnode(t)
	dataDir := t.TempDir()
	h := &history{attempted: map[string]int{}, acked: map[string]int{}}

	p := testutil.StartProcess(t, bin, dataDir)
	c := testutil.S3Client(p.Endpoint)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const rounds = 3
	for round := 0; round < rounds; round++ {
		p = crashRound(t, bin, p, h, round)
		verify(t, testutil.S3Client(p.Endpoint), h)
	}
	p.Stop(t)
	out, err := exec.Command(bin, "fsck", "--data-dir", dataDir).CombinedOutput()
	t.Logf("anode fsck:\n%s", out)
	if err != nil {
		t.Fatalf("fsck failed: %v", err)
	}
	t.Logf("%d PUTs attempted, %d acknowledged, across %d SIGKILLs", len(h.attempted), len(h.acked), rounds)
}

// crashRound runs writers against p until at least 40 more writes are
// acknowledged, kills p with SIGKILL while they are still writing, and
// returns a new process on the same data directory.
func crashRound(t *testing.T, bin string, p *testutil.Process, h *history, round int) *testutil.Process {
	c := testutil.S3Client(p.Endpoint)
	var acks atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				size := sizes[(w+n)%len(sizes)]
				key := fmt.Sprintf("r%d/w%d/%04d-%d", round, w, n, size)
				h.mu.Lock()
				h.attempted[key] = size
				h.mu.Unlock()
				body := content(key, size)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
				})
				cancel()
				if err != nil {
					return // the server died under us
				}
				h.mu.Lock()
				h.acked[key] = size
				h.mu.Unlock()
				if acks.Add(1) >= 40 {
					once.Do(func() { close(enough) })
				}
			}
		}(w)
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatal("writers made no progress")
	}
	p.Kill() // writes are in flight: every writer is mid-request or about to be
	close(stop)
	wg.Wait()
	return testutil.StartProcess(t, bin, p.DataDir)
}

// verify checks that every acknowledged key reads back byte for byte, and
// that every listed key was at least attempted and holds its complete body.
func verify(t *testing.T, c *s3.Client, h *history) {
	t.Helper()
	ctx := context.Background()
	h.mu.Lock()
	defer h.mu.Unlock()
	for key, size := range h.acked {
		got, err := get(ctx, c, key)
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", key, err)
		}
		if len(got) != size || md5.Sum(got) != md5.Sum(content(key, size)) {
			t.Fatalf("acknowledged %s: read %d bytes, different from the %d written", key, len(got), size)
		}
	}
	listed := 0
	pager := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			listed++
			key := aws.ToString(o.Key)
			size, ok := h.attempted[key]
			if !ok {
				t.Fatalf("listed %s, which was never written", key)
			}
			if aws.ToInt64(o.Size) != int64(size) {
				t.Fatalf("listed %s with size %d, want %d", key, aws.ToInt64(o.Size), size)
			}
			if _, acked := h.acked[key]; !acked {
				// An unacknowledged write may have committed; if it did, it
				// must be whole.
				got, err := get(ctx, c, key)
				if err != nil || !bytes.Equal(got, content(key, size)) {
					t.Fatalf("unacknowledged %s is visible but not whole (err %v)", key, err)
				}
			}
		}
	}
	if listed < len(h.acked) {
		t.Fatalf("listing shows %d objects, %d were acknowledged", listed, len(h.acked))
	}
}

func get(ctx context.Context, c *s3.Client, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("read %s", key), err)
	}
	return b, nil
}
