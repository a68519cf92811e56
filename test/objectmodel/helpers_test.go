// Package objectmodel tests the S3 object model of a running Anode server
// with real clients: multipart uploads, checksums, conditional writes,
// versioning, tagging, object attributes, CORS and ACLs, and what garbage
// collection makes of them. aws-sdk-go-v2 and minio-go run in process; the
// aws CLI and boto3 run against the anode binary (cli_test.go).
package objectmodel

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/testutil"
)

const mib = 1 << 20

// env is a test server and a client of it.
type env struct {
	t        *testing.T
	ctx      context.Context
	endpoint string
	c        *s3.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	endpoint, _, _ := testutil.StartServer(t)
	return &env{t: t, ctx: context.Background(), endpoint: endpoint, c: testutil.S3Client(endpoint)}
}

var bucketSeq atomic.Int64

// bucket creates a new bucket and returns its name.
func (e *env) bucket() string {
	e.t.Helper()
	name := fmt.Sprintf("om-%d-%d", time.Now().UnixNano()%1e6, bucketSeq.Add(1))
	if _, err := e.c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	return name
}

// put writes an object and returns its version ID.
func (e *env) put(bucket, key string, data []byte) string {
	e.t.Helper()
	out, err := e.c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

// get reads an object (a version of it when versionID is set).
func (e *env) get(bucket, key, versionID string) []byte {
	e.t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := e.c.GetObject(e.ctx, in)
	if err != nil {
		e.t.Fatalf("get %s/%s@%s: %v", bucket, key, versionID, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// wantCode fails unless err is an S3 error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want S3 error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got %s (%v), want %s", ae.ErrorCode(), err, code)
	}
}

// wantStatus fails unless err is an HTTP error with the given status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re interface{ HTTPStatusCode() int }
	if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("got %v, want HTTP %d", err, status)
	}
}

// signedRequest sends a SigV4-signed request with the test credentials.
func (e *env) signedRequest(method, path string, header http.Header, body []byte) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.endpoint+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	sum := sha256hex(body)
	req.Header.Set("X-Amz-Content-Sha256", sum)
	creds := credentials.NewStaticCredentialsProvider(testutil.AccessKey, testutil.SecretKey, "")
	c, _ := creds.Retrieve(e.ctx)
	if err := v4.NewSigner().SignHTTP(e.ctx, c, req, sum, "s3", "us-east-1", time.Now()); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
