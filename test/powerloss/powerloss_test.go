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
	"strings"
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

// nodes is the anode processes of the test, all on one lazyFS.
type nodes struct {
	bin     string
	dirs    []string
	args    [][]string
	running []*testutil.Process
}

func newNodes(t *testing.T, bin, mnt string, n int, extra []string) *nodes {
	ns := &nodes{bin: bin}
	if n == 1 {
		ns.dirs = []string{filepath.Join(mnt, "node1")}
		ns.args = [][]string{extra}
		return ns
	}
	a, b := 1+rand.IntN(250), 1+rand.IntN(250)
	var members []string
	for i := range n {
		members = append(members, fmt.Sprintf("127.%d.%d.%d:9090", a, b, i+1))
	}
	secret := testutil.NewSecret()
	for i := range n {
		ns.dirs = append(ns.dirs, filepath.Join(mnt, fmt.Sprintf("node%d", i+1)))
		ns.args = append(ns.args, append([]string{
			"--node-id", fmt.Sprint(i + 1), "--node-name", fmt.Sprintf("anode-%d", i+1),
			"--grpc-addr", members[i], "--initial-members", strings.Join(members, ","),
			"--set", "cluster.secret=" + secret,
		}, extra...))
	}
	return ns
}

// start starts every node and waits until all are ready.
func (ns *nodes) start(t *testing.T) {
	t.Helper()
	ns.running = make([]*testutil.Process, len(ns.dirs))
	var wg sync.WaitGroup
	for i := range ns.dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns.running[i] = testutil.LaunchProcess(t, ns.bin, ns.dirs[i], ns.args[i]...)
		}()
	}
	wg.Wait()
	for _, p := range ns.running {
		if p == nil {
			t.FailNow()
		}
		p.WaitReady(t)
	}
}

// kill kills every node at once, as a power cut does.
func (ns *nodes) kill() {
	var wg sync.WaitGroup
	for _, p := range ns.running {
		wg.Add(1)
		go func() { defer wg.Done(); p.Kill() }()
	}
	wg.Wait()
}

func (ns *nodes) clients() []*s3.Client {
	var cs []*s3.Client
	for _, p := range ns.running {
		cs = append(cs, testutil.S3Client(p.Endpoint))
	}
	return cs
}

// run starts n nodes on a lazyFS, cuts the power under all of them rounds
// times during concurrent writes, and returns what the checks found wrong.
func run(t *testing.T, n int, syncWrites bool, rounds int) (problems []string, fsckErr error) {
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
	ns := newNodes(t, bin, mnt, n, []string{"--chunk-size", "256KiB", "--placement-groups", "8",
		"--set", fmt.Sprintf("s3.min_part_size=%d", partSize),
		"--set", fmt.Sprintf("storage.sync_writes=%v", syncWrites)})
	ns.start(t)
	cs := ns.clients()
	createBucket(t, cs[0])
	h := &history{acked: map[string]int{}}
	for round := range rounds {
		writeUntil(t, cs, h, round, 24)
		ns.kill()
		lost := lfs.cut(t)
		t.Logf("round %d: power cut under %d nodes; %d files lost unsynced data", round, n, lost)
		ns.start(t)
		cs = ns.clients()
		for i, c := range cs {
			for _, p := range verify(c, h) {
				problems = append(problems, fmt.Sprintf("through node %d: %s", i+1, p))
			}
		}
	}
	for _, p := range ns.running {
		p.Stop(t)
	}
	for i, dir := range ns.dirs {
		out, err := exec.Command(bin, "fsck", "--data-dir", dir).CombinedOutput()
		t.Logf("anode fsck of node %d:\n%s", i+1, out)
		if err != nil && fsckErr == nil {
			fsckErr = fmt.Errorf("node %d: %w", i+1, err)
		}
	}
	t.Logf("%d writes acknowledged over %d power cuts, %d fsyncs", len(h.acked), rounds, lfs.synced)
	return problems, fsckErr
}

// createBucket creates the bucket, retrying while a new cluster settles.
func createBucket(t *testing.T, c *s3.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("create bucket: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeUntil runs writers of every shape until at least n more writes are
// acknowledged, and returns with writes still in flight (the caller cuts
// the power under them).
func writeUntil(t *testing.T, cs []*s3.Client, h *history, round, n int) {
	var acks atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	for w := range 6 {
		c := cs[w%len(cs)]
		go func() {
			for i := 0; ; i++ {
				shape := shapes[(w+i)%len(shapes)]
				key := fmt.Sprintf("r%d/w%d/%04d-%s-%d", round, w, i, shape.name, shape.size)
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
	// A write that was not acknowledged may have committed: then it must
	// be whole. (Reading it also repairs a copy a node lacks, as the hint
	// that would have delivered it died in the cut.)
	pager := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pager.HasMorePages() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		page, err := pager.NextPage(ctx)
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("list: %v", err))
			break
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if _, ok := h.acked[key]; ok {
				continue
			}
			var size int
			if i := strings.LastIndexByte(key, '-'); i >= 0 {
				fmt.Sscan(key[i+1:], &size)
			}
			got, err := get(c, key)
			if err != nil || !bytes.Equal(got, content(key, size)) {
				problems = append(problems, fmt.Sprintf("unacknowledged %s is listed but not whole (err %v)", key, err))
			}
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
	problems, fsckErr := run(t, 1, true, 2)
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
	problems, fsckErr := run(t, 1, false, 1)
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

// TestPowerLossCluster: three nodes (replication factor 3) lose power at
// once during concurrent writes through two of them; after the restart
// every acknowledged object reads back whole through every node, and each
// node's data directory passes fsck.
func TestPowerLossCluster(t *testing.T) {
	problems, fsckErr := run(t, 3, true, 1)
	for _, p := range problems {
		t.Error(p)
	}
	if fsckErr != nil {
		t.Errorf("anode fsck after the power cut: %v", fsckErr)
	}
}
