package objectmodel

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestConditionalCreateRace races many creators of the same keys, with
// If-None-Match: * on PutObject and on CompleteMultipartUpload: exactly one
// wins each key, every other gets 412 PreconditionFailed, and the key
// holds the winner's data.
func TestConditionalCreateRace(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	const keys, writers = 6, 12
	// Half of each key's writers complete a multipart upload, prepared
	// beforehand so that the completions race with the puts.
	uploads := make([][]*upload, keys)
	for k := 0; k < keys; k++ {
		for w := 0; w < writers/2; w++ {
			u := e.createUpload(b, fmt.Sprintf("key-%d", k))
			u.mustPart(1, []byte(fmt.Sprintf("multipart %d/%d", k, w)))
			uploads[k] = append(uploads[k], u)
		}
	}
	type result struct {
		key, writer int
		err         error
	}
	results := make(chan result, keys*writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k := 0; k < keys; k++ {
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				key := fmt.Sprintf("key-%d", k)
				var err error
				if w%2 == 0 {
					_, err = e.c.PutObject(e.ctx, &s3.PutObjectInput{
						Bucket: aws.String(b), Key: aws.String(key), IfNoneMatch: aws.String("*"),
						Body: bytes.NewReader([]byte(fmt.Sprintf("put %d/%d", k, w))),
					})
				} else {
					u := uploads[k][w/2]
					_, err = e.c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{
						Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(u.id), IfNoneMatch: aws.String("*"),
						MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
					})
				}
				results <- result{k, w, err}
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)
	winners := make([]int, keys)
	for i := range winners {
		winners[i] = -1
	}
	for r := range results {
		if r.err == nil {
			if winners[r.key] >= 0 {
				t.Fatalf("key-%d: writers %d and %d both succeeded", r.key, winners[r.key], r.writer)
			}
			winners[r.key] = r.writer
			continue
		}
		var ae smithy.APIError
		if !errors.As(r.err, &ae) || ae.ErrorCode() != "PreconditionFailed" {
			t.Fatalf("key-%d writer %d: %v, want PreconditionFailed", r.key, r.writer, r.err)
		}
	}
	for k, w := range winners {
		if w < 0 {
			t.Fatalf("key-%d: no writer succeeded", k)
		}
		want := fmt.Sprintf("put %d/%d", k, w)
		if w%2 == 1 {
			want = fmt.Sprintf("multipart %d/%d", k, w/2)
		}
		if got := string(e.get(b, fmt.Sprintf("key-%d", k), "")); got != want {
			t.Fatalf("key-%d holds %q, winner wrote %q", k, got, want)
		}
	}
}
