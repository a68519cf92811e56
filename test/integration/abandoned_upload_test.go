package integration

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// TestAbandonedUploadStops: a client that goes away in the middle of a
// large PUT (it announced 64 MiB and sent 5) costs the server no more than
// what it sent: the request ends soon after, it stored at most the chunks
// it received, and nothing is committed. Shown to fail with an ingest that
// keeps waiting for the rest of a body whose client left (object.ingest
// retrying read errors): the request is still running 10 s later.
func TestAbandonedUploadStops(t *testing.T) {
	const chunkSize = 1 << 20
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) { c.Storage.ChunkSize = chunkSize }})
	s := server{endpoint: srv.Endpoint, accessKey: srv.AccessKey, secretKey: srv.SecretKey}
	c := sdkClient(s)
	bucket := newBucket(t, c)
	requests := testutil.Metric(t, srv.AdminURL, "anode_s3_requests_total")
	stored := testutil.Metric(t, srv.AdminURL, "anode_chunk_writes_total")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.endpoint+"/"+bucket+"/big", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 64 << 20
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: s.accessKey, SecretAccessKey: s.secretKey}
	if err := v4.NewSigner(s3Signing).SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	const sent = 5 * chunkSize
	buf := make([]byte, sent)
	rand.Read(buf)
	if _, err := pw.Write(buf); err != nil {
		t.Fatal(err)
	}
	cancel() // the client goes away
	pw.CloseWithError(context.Canceled)
	<-done

	deadline := time.Now().Add(10 * time.Second)
	for testutil.Metric(t, srv.AdminURL, "anode_s3_requests_total") <= requests {
		if time.Now().After(deadline) {
			t.Fatal("the server was still handling the abandoned PUT 10 s after its client went away")
		}
		time.Sleep(20 * time.Millisecond)
	}
	n := testutil.Metric(t, srv.AdminURL, "anode_chunk_writes_total") - stored
	t.Logf("the abandoned PUT stored %v chunks", n)
	if n > sent/chunkSize {
		t.Errorf("the abandoned PUT stored %v chunks; it sent %d", n, sent/chunkSize)
	}
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")}); errorCode(err) != "NotFound" {
		t.Errorf("HEAD of the abandoned object: %v, want 404", err)
	}
}
