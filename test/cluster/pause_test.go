package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

// TestPausedNodeDoesNotSlowPuts pauses one node of three (SIGSTOP) and
// writes large objects through another: each PUT finishes within one
// attempt's timeout, because a chunk write needs a majority of its
// replicas, not all. After the node resumes, it holds every chunk (the
// writer's hint queue delivers what it missed).
//
// Shown to fail with the protection removed: with replica.Chunks.Put
// waiting for every replica, the first PUT does not finish within the
// client's deadline while node 3 is stopped.
func TestPausedNodeDoesNotSlowPuts(t *testing.T) {
	cl := testutil.StartCluster(t, 3)
	c := testutil.S3Client(cl.Nodes[0].Endpoint)
	createBucket(t, c, "paused")

	cl.Nodes[2].Pause()
	paused := true
	defer func() {
		if paused {
			cl.Nodes[2].Resume()
		}
	}()
	const chunkSize = 4 << 20 // storage.chunk_size's default
	var chunks []string
	objects := map[string][]byte{}
	for i := 0; i < 3; i++ {
		key := fmt.Sprintf("big-%d", i)
		data := randomBytes(uint64(100+i), 9<<20+i)
		objects[key] = data
		for off := 0; off < len(data); off += chunkSize {
			sum := sha256.Sum256(data[off:min(off+chunkSize, len(data))])
			chunks = append(chunks, hex.EncodeToString(sum[:]))
		}
		// Groups led by the paused node elect a new leader first; the
		// SDK retries the 503 that a proposal gets meanwhile. One
		// attempt of a chunk write to the paused node is 60 s, so a
		// PUT that waited for it could not finish in 45 s.
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		start := time.Now()
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("paused"), Key: aws.String(key), Body: bytes.NewReader(data)})
		cancel()
		if err != nil {
			t.Fatalf("put %s with node 3 paused: %v (after %v)", key, err, time.Since(start))
		}
		t.Logf("put %s (%d MiB) with node 3 paused: %v", key, len(data)>>20, time.Since(start).Round(time.Millisecond))
	}
	cl.Nodes[2].Resume()
	paused = false

	dir := filepath.Join(cl.Dirs[2], "chunks")
	eventually(t, 90*time.Second, "node 3 holds every chunk written while it was paused", func() error {
		for _, x := range chunks {
			if _, err := os.Stat(filepath.Join(dir, x[0:2], x[2:4], x)); err != nil {
				return err
			}
		}
		return nil
	})
	c3 := testutil.S3Client(cl.Nodes[2].Endpoint)
	for key, data := range objects {
		mustGet(t, c3, "paused", key, data)
	}
}
