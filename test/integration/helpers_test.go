// Package integration tests a running Anode server end to end with the S3
// clients people use: aws-sdk-go-v2 and minio-go.
package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/testutil"
)

const region = "us-east-1"

// server is a running Anode and its root credentials.
type server struct {
	endpoint             string // http://host:port
	accessKey, secretKey string
}

func startServer(t *testing.T) server {
	t.Helper()
	endpoint, ak, sk := testutil.StartServer(t)
	return server{endpoint: endpoint, accessKey: ak, secretKey: sk}
}

// hostPort returns the server's host:port.
func (s server) hostPort(t *testing.T) string {
	u, err := url.Parse(s.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// port returns the server's port.
func (s server) port(t *testing.T) string {
	_, port, err := net.SplitHostPort(s.hostPort(t))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// loopbackTransport dials 127.0.0.1 for "localhost" and every
// "*.localhost" name: Linux resolvers do not resolve the subdomains, and
// virtual-host-style tests need them.
func loopbackTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host == "localhost" || strings.HasSuffix(host, ".localhost") {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
	}
}

// sdkClient returns an aws-sdk-go-v2 S3 client for s, path-style unless
// an option says otherwise.
func sdkClient(s server, opts ...func(*s3.Options)) *s3.Client {
	return sdkClientWithKeys(s, s.accessKey, s.secretKey, opts...)
}

func sdkClientWithKeys(s server, ak, sk string, opts ...func(*s3.Options)) *s3.Client {
	o := s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
		HTTPClient:   &http.Client{Transport: loopbackTransport()},
		// Fail fast: a retry would hide the first answer.
		RetryMaxAttempts: 1,
	}
	for _, fn := range opts {
		fn(&o)
	}
	return s3.New(o)
}

// whenRequired makes the SDK compute checksums only where the API requires
// them, like older SDKs and many third-party tools.
func whenRequired(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

// errorCode returns the S3 error code of an SDK error, or "" for none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errorCode(err); got != code {
		t.Errorf("%s: error code %q, want %q (err: %v)", what, got, code, err)
	}
}

// bucketName returns a bucket name unique to this test.
func bucketName(t *testing.T) string {
	var b [4]byte
	rand.Read(b[:])
	name := strings.ToLower(t.Name())
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, name)
	name = strings.Trim(name, "-")
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.Trim(name, "-") + "-" + hex.EncodeToString(b[:])
}

// newBucket creates a bucket for the test with the SDK.
func newBucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	name := bucketName(t)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// put stores data under key with the SDK.
func put(t *testing.T, c *s3.Client, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("PutObject %s/%q: %v", bucket, key, err)
	}
	return out
}

// get reads key with the SDK.
func get(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%q: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawRequest sends a request signed with SigV4 (payload hash included)
// by hand, for what the SDKs will not send: bad names, odd headers,
// unknown sub-resources. target is the escaped path and query.
func rawRequest(t *testing.T, s server, method, target string, body []byte, header http.Header) *http.Response {
	t.Helper()
	return rawRequestKeys(t, s, s.accessKey, s.secretKey, method, target, body, header)
}

func rawRequestKeys(t *testing.T, s server, ak, sk, method, target string, body []byte, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.endpoint+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
	if err := v4.NewSigner(s3Signing).SignHTTP(context.Background(), creds, req, hash, "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp
}

// readAll reads and closes a response body.
func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantXMLError checks a raw response is the S3 error document with code.
func wantXMLError(t *testing.T, what string, resp *http.Response, status int, code string) {
	t.Helper()
	body := string(readAll(t, resp))
	if resp.StatusCode != status || !strings.Contains(body, "<Code>"+code+"</Code>") {
		t.Errorf("%s: %d %s, want %d with code %s", what, resp.StatusCode, body, status, code)
	}
	if resp.Header.Get("x-amz-request-id") == "" {
		t.Errorf("%s: no x-amz-request-id", what)
	}
}

// pastPresigner presigns as if it were an hour ago, to make URLs that
// have already expired without waiting for them to.
type pastPresigner struct{ signer *v4.Signer }

func (p pastPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, signingTime time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, signingTime.Add(-time.Hour), optFns...)
}

// specialKeys are keys whose bytes must survive the trip through URLs,
// signatures and XML exactly.
var specialKeys = []string{
	"plain",
	"with space",
	"plus+sign",
	"percent%20literal",
	"100%",
	"dir/sub/file.txt",
	"../dotdot",
	"a/../b",
	"./dot",
	"double//slash",
	"unicode-日本語-é-🚀",
	"amp&lt;<>\"'",
	"question?mark#hash",
	"tilde~equals=semi;colon,comma",
	"trailing-slash/",
	strings.Repeat("k", 1024),
}

func fmtKey(k string) string {
	if len(k) > 40 {
		return fmt.Sprintf("%q...(%d bytes)", k[:20], len(k))
	}
	return fmt.Sprintf("%q", k)
}

// s3Signing signs the way S3 clients do: the path is used as sent, not
// escaped a second time.
func s3Signing(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }
