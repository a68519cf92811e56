// Package storage tests what the storage engine promises, through the S3
// API and the admin metrics of a real server: deduplication and garbage
// collection.
package storage

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// TestDedupAcrossKeysAndBuckets writes the same 20 MiB under 10 keys in 2
// buckets: the chunk store must hold it once. Deleting every key must then
// free the space through garbage collection.
func TestDedupAcrossKeysAndBuckets(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) {
		c.Storage.GCGraceSecs = 10 // writers must commit within half of it, even on a loaded machine
		c.Storage.GCIntervalSecs = 1
	}})
	c := testutil.S3Client(srv.Endpoint)
	ctx := context.Background()
	const size = 20 << 20
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	buckets := []string{"dedup-a", "dedup-b"}
	for _, b := range buckets {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10; i++ {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(buckets[i%2]), Key: aws.String(fmt.Sprintf("copy-%d", i)),
			Body: bytes.NewReader(data),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	logical := testutil.Metric(t, srv.AdminURL, "anode_logical_bytes")
	physical := testutil.Metric(t, srv.AdminURL, "anode_chunk_bytes")
	t.Logf("logical %.0f bytes, physical %.0f bytes: dedup ratio %.1f", logical, physical, logical/physical)
	if logical != 10*size {
		t.Fatalf("logical bytes %.0f, want %d", logical, 10*size)
	}
	if physical != size {
		t.Fatalf("physical bytes %.0f, want %d (the data once)", physical, size)
	}
	// Every copy reads back whole.
	for i := 0; i < 10; i++ {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(buckets[i%2]), Key: aws.String(fmt.Sprintf("copy-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.ReadFrom(out.Body)
		out.Body.Close()
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("copy-%d differs", i)
		}
	}
	// Deleting 9 of 10 copies frees nothing: one still references the chunks.
	for i := 1; i < 10; i++ {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(buckets[i%2]), Key: aws.String(fmt.Sprintf("copy-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	sweeps := testutil.Metric(t, srv.AdminURL, "anode_gc_sweeps_total")
	waitFor(t, 60*time.Second, func() bool { return testutil.Metric(t, srv.AdminURL, "anode_gc_sweeps_total") >= sweeps+2 })
	if p := testutil.Metric(t, srv.AdminURL, "anode_chunk_bytes"); p != size {
		t.Fatalf("after deleting 9 copies physical bytes are %.0f, want %d", p, size)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(buckets[0]), Key: aws.String("copy-0")}); err != nil {
		t.Fatal(err)
	}
	// The grace period (10 s) must pass before the sweep may free the chunks.
	waitFor(t, 60*time.Second, func() bool { return testutil.Metric(t, srv.AdminURL, "anode_chunk_bytes") == 0 })
	if l := testutil.Metric(t, srv.AdminURL, "anode_logical_bytes"); l != 0 {
		t.Fatalf("logical bytes %.0f after deleting everything", l)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
