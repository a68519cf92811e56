package integration

import (
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKConditionalDelete: DeleteObject and DeleteObjects honour If-Match
// (the ETag element per key) against the current version: a mismatch is
// 412 PreconditionFailed, a missing key 404 NoSuchKey, and neither deletes
// anything. With the check removed from apply (meta.deleteObject), the
// mismatch cases delete the object and the test fails.
func TestSDKConditionalDelete(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	exists := func(key string) bool {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err == nil
	}

	etag := aws.ToString(put(t, c, bucket, "k", []byte("one")).ETag)
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	wantCode(t, "DeleteObject with another ETag", err, "PreconditionFailed")
	if !exists("k") {
		t.Fatal("a DeleteObject whose If-Match failed deleted the object")
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("ghost"),
		IfMatch: aws.String("*")})
	wantCode(t, "conditional DeleteObject of a missing key", err, "NoSuchKey")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		IfMatch: aws.String(etag)}); err != nil {
		t.Fatalf("DeleteObject with the right ETag: %v", err)
	}
	if exists("k") {
		t.Fatal("a DeleteObject whose If-Match matched did not delete")
	}

	// An overwrite between reading the ETag and deleting makes the delete fail.
	old := aws.ToString(put(t, c, bucket, "k", []byte("two")).ETag)
	put(t, c, bucket, "k", []byte("three"))
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), IfMatch: aws.String(old)})
	wantCode(t, "DeleteObject with a stale ETag", err, "PreconditionFailed")

	// DeleteObjects: per-key ETag.
	ea := aws.ToString(put(t, c, bucket, "a", []byte("a")).ETag)
	put(t, c, bucket, "b", []byte("b"))
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a"), ETag: aws.String(ea)},
		{Key: aws.String("b"), ETag: aws.String(ea)},
		{Key: aws.String("nope"), ETag: aws.String(ea)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, e := range out.Errors {
		codes[aws.ToString(e.Key)] = aws.ToString(e.Code)
	}
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "a" ||
		codes["b"] != "PreconditionFailed" || codes["nope"] != "NoSuchKey" {
		t.Errorf("DeleteObjects with ETags: deleted %d, errors %v", len(out.Deleted), codes)
	}
	if exists("a") || !exists("b") {
		t.Errorf("after DeleteObjects: a exists %v (want false), b exists %v (want true)", exists("a"), exists("b"))
	}

	// Directory-bucket conditions are refused, not ignored.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("b"), IfMatchSize: aws.Int64(1)})
	wantCode(t, "DeleteObject with x-amz-if-match-size", err, "NotImplemented")
	if !exists("b") {
		t.Error("a refused DeleteObject deleted the object")
	}
}

// TestSDKConditionalDeleteIsAtomic races conditional deletes naming the
// same ETag, each against a fresh write of the key in a versioned bucket
// (a delete adds a delete marker, so a second conditional delete would
// find no live object): exactly one delete per round may succeed. An
// If-Match checked before proposing rather than in apply lets several
// succeed.
func TestSDKConditionalDeleteIsAtomic(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		etag := aws.ToString(put(t, c, bucket, "k", []byte("v")).ETag)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), IfMatch: aws.String(etag)})
				mu.Lock()
				defer mu.Unlock()
				switch code := errorCode(err); code {
				case "":
					ok++
				case "NoSuchKey", "PreconditionFailed":
					refused++
				default:
					t.Errorf("round %d: conditional delete: %v", round, err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("round %d: %d conditional deletes of one version succeeded (%d refused), want exactly 1", round, ok, refused)
		}
	}
}
