package integration

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKDeleteBucketRacingPuts: writers PUT and DELETE keys of a bucket
// while it is deleted; once DeleteBucket succeeds and the name is created
// again, the new bucket must be empty: no PUT of the old bucket may land
// in it. With the bucket-incarnation check removed from apply (meta
// fence.go admit), PUTs that raced the delete reappear in the new bucket
// and the test fails (3 runs of 3 failed so, in the first rounds).
func TestSDKDeleteBucketRacingPuts(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := bucketName(t)
	for round := range 8 {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("round %d: create: %v", round, err)
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; !stop.Load(); i++ {
					key := fmt.Sprintf("w%d-%d", w, i)
					_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: nil})
					if err == nil {
						c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
					}
				}
			}()
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			if err == nil {
				break
			}
			switch code := errorCode(err); code {
			case "BucketNotEmpty", "OperationAborted":
			default:
				t.Fatalf("round %d: DeleteBucket: %v", round, err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: DeleteBucket never succeeded: %v", round, err)
			}
		}
		stop.Store(true)
		wg.Wait()
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("round %d: re-create: %v", round, err)
		}
		l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Contents) != 0 {
			t.Fatalf("round %d: %d objects of the deleted bucket reappeared in the new one (first %q)",
				round, len(l.Contents), aws.ToString(l.Contents[0].Key))
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("round %d: delete of the re-created bucket: %v", round, err)
		}
	}
}
