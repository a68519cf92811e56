package crash

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

// slowBody hands out its bytes in pieces and tells when half has been read,
// so that SIGTERM arrives while the upload is in flight.
type slowBody struct {
	data []byte
	off  int
	half chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	if b.off >= len(b.data)/2 && b.half != nil {
		close(b.half)
		b.half = nil
		time.Sleep(300 * time.Millisecond) // keep the request in flight across the signal
	}
	n := copy(p, b.data[b.off:min(len(b.data), b.off+64<<10)])
	b.off += n
	return n, nil
}

// TestGracefulShutdown sends SIGTERM while an upload is in flight: the
// upload must finish and be acknowledged, the server must exit cleanly,
// and the object must be there after a restart.
func TestGracefulShutdown(t *testing.T) {
	bin := testutil.BuildAnode(t)
	dir := t.TempDir()
	p := testutil.StartProcess(t, bin, dir)
	c := testutil.S3Client(p.Endpoint)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	data := content("in-flight", 6<<20)
	body := &slowBody{data: data, half: make(chan struct{})}
	half := body.half
	// A presigned PUT streams the body as it is read (the SDK would read
	// the whole body first to sign it).
	ps, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("in-flight")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPut, ps.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(data))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", resp.Status, msg)
			}
		}
		done <- err
	}()
	<-half
	stopped := make(chan struct{})
	go func() { p.Stop(t); close(stopped) }()
	if err := <-done; err != nil {
		t.Fatalf("in-flight upload failed across SIGTERM: %v", err)
	}
	<-stopped
	// New connections are refused once the server is gone.
	if _, err := http.Get(p.Endpoint); err == nil {
		t.Fatal("server still answers after SIGTERM")
	}
	p = testutil.StartProcess(t, bin, dir)
	got, err := get(ctx, testutil.S3Client(p.Endpoint), "in-flight")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object uploaded across SIGTERM: err %v, %d bytes (want %d)", err, len(got), len(data))
	}
}
