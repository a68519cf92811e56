package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

// TestGCAfterCleanRestart deletes an object, restarts the node (SIGTERM,
// then start again on the same data directory) during the grace period,
// and sees the chunk freed within the grace period of its last write plus
// a pass: a clean restart does not push collection back by a whole grace
// period.
//
// Shown to fail with the protection removed: with the chunk store ignoring
// its clean-stop marker (every Open floors mtimes at the open time, as
// before), the chunk is still there at the deadline.
func TestGCAfterCleanRestart(t *testing.T) {
	const grace = 15 * time.Second
	conf := filepath.Join(t.TempDir(), "gc.toml")
	if err := os.WriteFile(conf, []byte("[storage]\ngc_grace_secs = 15\ngc_interval_secs = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := testutil.BuildAnode(t)
	dir := filepath.Join(t.TempDir(), "node")
	p := testutil.StartProcess(t, bin, dir, "--config", conf)
	c := testutil.S3Client(p.Endpoint)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gc-restart")}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	written := time.Now()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("gc-restart"), Key: aws.String("k"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("gc-restart"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	x := hex.EncodeToString(sum[:])
	path := filepath.Join(dir, "chunks", x[0:2], x[2:4], x)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the chunk is not on disk after the PUT: %v", err)
	}
	// Restart a third of the way into the grace period: the moment of the
	// restart is what the test is about, so it waits for it.
	time.Sleep(time.Until(written.Add(grace / 3)))
	p.Stop(t)
	restarted := time.Now()
	p = testutil.StartProcess(t, bin, dir, "--config", conf)

	// Freed by the end of the grace period after the write, plus a few
	// passes (each 1 s) of slack; a node that floored mtimes at its
	// restart would keep the chunk until restarted+grace, which is later.
	deadline := restarted.Add(grace - time.Second)
	if min := written.Add(grace + 3*time.Second); deadline.Before(min) {
		t.Fatalf("restart came too early (%v after the write) to tell the cases apart", restarted.Sub(written))
	}
	// Before it is freed, the passes report it: one unreferenced chunk of
	// at least its 1 MiB, reclaimable once its grace period ends.
	for testutil.Metric(t, p.AdminURL, "anode_gc_reclaimable_bytes") < 1<<20 ||
		testutil.Metric(t, p.AdminURL, "anode_gc_unreferenced_chunks") < 1 {
		if time.Now().After(written.Add(grace - 2*time.Second)) {
			t.Fatal("no garbage collection pass reported the deleted object's chunk as reclaimable")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		_, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deleted object's chunk is still on disk %v after a clean restart (grace %v, written %v before the restart)",
				time.Since(restarted).Round(time.Millisecond), grace, restarted.Sub(written).Round(time.Millisecond))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Once it is gone, nothing is left to reclaim.
	for testutil.Metric(t, p.AdminURL, "anode_gc_reclaimable_bytes") != 0 {
		if time.Since(restarted) > grace+10*time.Second {
			t.Fatalf("anode_gc_reclaimable_bytes = %v after the chunk was freed", testutil.Metric(t, p.AdminURL, "anode_gc_reclaimable_bytes"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("freed %v after the write, %v after the restart", time.Since(written).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
}
