package objectmodel

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// TestGarbageCollection shows that aborted uploads, parts left out of a
// completion, overwritten objects and permanently deleted versions free
// their chunks, while chunks they shared with live objects stay.
func TestGarbageCollection(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) {
		c.Storage.GCGraceSecs = 10 // writers must commit within half of it, even on a loaded machine
		c.Storage.GCIntervalSecs = 1
	}})
	e := &env{t: t, ctx: context.Background(), endpoint: srv.Endpoint, c: testutil.S3Client(srv.Endpoint)}
	b := e.bucket()
	shared := randBytes(100, 6*mib)
	e.put(b, "shared", shared)

	// An aborted upload whose first part has the same content as "shared".
	a := e.createUpload(b, "aborted")
	a.mustPart(1, shared)
	a.mustPart(2, randBytes(101, 5*mib))
	if _, err := e.c.AbortMultipartUpload(e.ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: aws.String(a.id)}); err != nil {
		t.Fatal(err)
	}
	// A completed upload that leaves part 2 out, and shares part 1.
	c := e.createUpload(b, "completed")
	c.mustPart(1, shared)
	c.mustPart(2, randBytes(102, 5*mib))
	if _, err := c.complete(c.parts[:1]); err != nil {
		t.Fatal(err)
	}
	// An overwritten object.
	e.put(b, "overwritten", randBytes(103, 3*mib))
	last := randBytes(104, 3*mib+1)
	e.put(b, "overwritten", last)
	// A versioned key whose old version is deleted for good.
	vb := e.bucket()
	e.setVersioning(vb, types.BucketVersioningStatusEnabled)
	v1 := e.put(vb, "v", randBytes(105, 2*mib))
	v2data := randBytes(106, 2*mib+1)
	e.put(vb, "v", v2data)
	if _, err := e.c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String(vb), Key: aws.String("v"), VersionId: aws.String(v1)}); err != nil {
		t.Fatal(err)
	}

	want := float64(len(shared) + len(last) + len(v2data))
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := testutil.Metric(t, srv.AdminURL, "anode_chunk_bytes")
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chunk bytes %.0f, want %.0f (only live data)", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The live objects read back whole after the sweeps.
	if !bytes.Equal(e.get(b, "shared", ""), shared) || !bytes.Equal(e.get(b, "completed", ""), shared) ||
		!bytes.Equal(e.get(b, "overwritten", ""), last) || !bytes.Equal(e.get(vb, "v", ""), v2data) {
		t.Fatal("a live object lost data to garbage collection")
	}
}
