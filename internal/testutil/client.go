package testutil

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Client returns an aws-sdk-go-v2 client for a test endpoint: path-style,
// static test credentials, no retries (a test must see every failure).
func S3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		UsePathStyle: true,
		HTTPClient: &http.Client{
			Timeout:   60 * time.Second,
			Transport: ownedBodies{&http.Transport{MaxIdleConnsPerHost: 64}},
		},
		RetryMaxAttempts: 1,
	})
}

// ownedBodies gives the transport its own copy of small request bodies.
//
// The SDK closes an operation's request body when the operation returns,
// and an event-stream operation (SelectObjectContent) returns as soon as
// the response headers arrive. The transport's write loop may not have
// finished with the body by then (its last read comes after the server has
// every byte and has answered); that read then sees the closed body's EOF,
// the write loop reports a write error and closes the connection, and the
// client's read of the event stream fails with "use of closed network
// connection" (seen in about one run in two on a loaded machine; traced
// with a conn wrapper and httptrace.WroteRequest). It is the client's race,
// not the server's answer, so the test client avoids it; bodies above 1 MiB
// (object uploads) are passed through untouched.
type ownedBodies struct{ rt http.RoundTripper }

func (o ownedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength >= 0 && r.ContentLength <= 1<<20 {
		b, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return o.rt.RoundTrip(r)
}
