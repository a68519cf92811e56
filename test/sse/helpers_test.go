// Package sse tests server-side encryption end to end: aws-sdk-go-v2 and
// minio-go against a real server, the chunk files on disk, deduplication
// under encryption, and the KMS admin API.
package sse

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// masterKey is the test servers' KMS master key (32 bytes, base64).
var masterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))

const chunkSize = 1 << 20

// start starts a server with a master key, 1 MiB chunks and small parts.
// SSE-C over plain HTTP is allowed unless strict is set.
func start(t *testing.T, strict bool) (*testutil.Server, *s3.Client) {
	t.Helper()
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) {
		c.KMSMasterKey = masterKey
		c.Storage.ChunkSize = chunkSize
		c.S3.MinPartSize = 64 << 10
		c.S3.AllowSSECOverHTTP = !strict
	}})
	return srv, testutil.S3Client(srv.Endpoint)
}

func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mkBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// ssec is an SSE-C key as the SDK sends it.
type ssec struct{ key, md5 string }

func newSSEC(seed byte) ssec {
	k := bytes.Repeat([]byte{seed}, 32)
	sum := md5.Sum(k)
	return ssec{base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(sum[:])}
}

func get(t *testing.T, c *s3.Client, bucket, key string, rng string, key2 *ssec) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	if key2 != nil {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key2.key), aws.String(key2.md5)
	}
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("get %s/%s %s: %v", bucket, key, rng, err)
	}
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return out, b
}

// wantCode asserts that err is an S3 error with the code and HTTP status.
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("error %v: status %d, want %d", err, re.HTTPStatusCode(), status)
	}
}

// kmsAdmin sends a request to the KMS admin API signed with the root
// credentials (accessKey/secretKey), returning the status and body.
func kmsAdmin(t *testing.T, adminURL, method, path, body, accessKey, secretKey string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, adminURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func createKey(t *testing.T, srv *testutil.Server, id string) {
	t.Helper()
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/keys", `{"id":"`+id+`"}`, srv.AccessKey, srv.SecretKey); st != http.StatusCreated {
		t.Fatalf("create key %s: %d %s", id, st, body)
	}
}
