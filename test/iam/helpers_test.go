// Package iam_test runs users, access keys and policies against real
// servers: the admin API creates identities, aws-sdk-go-v2 clients act as
// them, and every denied request is checked to have changed nothing.
package iam_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/admin"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/testutil"
)

// clientAs returns an S3 client signing as the given key.
func clientAs(endpoint, accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		UsePathStyle: true,
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		// A test must see every failure.
		RetryMaxAttempts: 1,
	})
}

func rootAdmin(url string) *admin.Client {
	return &admin.Client{URL: url, AccessKey: testutil.AccessKey, SecretKey: testutil.SecretKey}
}

func bg() context.Context { return context.Background() }

// code returns the S3 error code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("%s: got %q (%v), want %q", what, got, err, want)
	}
}

func mustAdmin(t *testing.T, c *admin.Client, method, path string, body, out any) {
	t.Helper()
	if err := c.Do(bg(), method, path, body, out); err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
}

// newUserKey creates a user with policies and one key, and returns an S3
// client signing with it and the key.
func newUserKey(t *testing.T, adm *admin.Client, endpoint, name string, policies ...string) (*s3.Client, iam.NewKey) {
	t.Helper()
	mustAdmin(t, adm, "POST", "/admin/users", map[string]any{"name": name, "policies": policies}, nil)
	var k iam.NewKey
	mustAdmin(t, adm, "POST", "/admin/users/"+name+"/keys", map[string]any{"description": "test key of " + name}, &k)
	return clientAs(endpoint, k.AccessKey, k.SecretKey), k
}

func put(c *s3.Client, bucket, key, body string) error {
	_, err := c.PutObject(bg(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)})
	return err
}

func get(c *s3.Client, bucket, key string) (string, error) {
	out, err := c.GetObject(bg(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func exists(t *testing.T, root *s3.Client, bucket, key string) bool {
	t.Helper()
	_, err := root.HeadObject(bg(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	switch code(err) {
	case "":
		return true
	case "NotFound", "NoSuchKey":
		return false
	}
	t.Fatalf("head %s/%s: %v", bucket, key, err)
	return false
}

// anon sends an unsigned request.
func anon(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
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

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
