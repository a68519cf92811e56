package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/anode/anode/internal/auth"
	"github.com/anode/anode/internal/object"
)

const (
	testAccessKey = "AKIAHANDLERTEST"
	testSecretKey = "handler-test-secret"
)

// newTestServer serves the S3 handler with real SigV4 verification in
// front of an object service that has no storage behind it. The tests
// below exercise only what the HTTP layer decides on its own (auth
// failures, routing, validation): a request that reached the service
// would panic and come back as InternalError, failing the test.
func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := NewHandler(Config{
		Objects: object.New(object.Config{}),
		Auth:    &auth.Verifier{Creds: auth.StaticCredentials{testAccessKey: testSecretKey}, Region: "us-east-1"},
		Region:  "us-east-1",
		Logger:  discard,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request signed with SigV4 and a signed payload hash.
func do(t *testing.T, srv *httptest.Server, method, target string, body []byte, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner(s3Signing).SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHandlerRejectsBeforeTheService(t *testing.T) {
	srv := newTestServer(t)
	long := strings.Repeat("k", 1025)
	tests := []struct {
		name, method, target string
		body                 string
		header               http.Header
		status               int
		code                 string
	}{
		{"tagging bad XML", "PUT", "/bucket/k?tagging", "<Tagging>", nil, 400, "MalformedXML"},
		{"versioning off", "PUT", "/bucket?versioning", "<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>", nil, 400, "MalformedXML"},
		{"part number 0", "PUT", "/bucket/k?partNumber=0&uploadId=x", "x", nil, 400, "InvalidArgument"},
		{"part without number", "PUT", "/bucket/k?uploadId=x", "x", nil, 400, "InvalidArgument"},
		{"upload bad checksum", "POST", "/bucket/k?uploads", "", http.Header{"X-Amz-Checksum-Algorithm": {"MD4"}}, 400, "InvalidRequest"},
		{"complete bad XML", "POST", "/bucket/k?uploadId=x", "<CompleteMultipartUpload>", nil, 400, "MalformedXML"},
		{"bad copy range", "PUT", "/bucket/k?partNumber=1&uploadId=x", "", http.Header{"X-Amz-Copy-Source": {"bucket/src"}, "X-Amz-Copy-Source-Range": {"bytes=5-1"}}, 400, "InvalidArgument"},
		{"attributes missing", "GET", "/bucket/k?attributes", "", nil, 400, "InvalidArgument"},
		{"public object ACL", "PUT", "/bucket/k?acl", "", http.Header{"X-Amz-Acl": {"public-read"}}, 501, "NotImplemented"},
		// An ACL on a write is refused, never ignored.
		{"public ACL on PutObject", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Acl": {"public-read"}}, 501, "NotImplemented"},
		{"grant on PutObject", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Grant-Read": {"uri=http://acs.amazonaws.com/groups/global/AllUsers"}}, 501, "NotImplemented"},
		{"public ACL on CopyObject", "PUT", "/bucket/k", "", http.Header{"X-Amz-Copy-Source": {"bucket/src"}, "X-Amz-Acl": {"public-read-write"}}, 501, "NotImplemented"},
		{"ACL on CreateMultipartUpload", "POST", "/bucket/k?uploads", "", http.Header{"X-Amz-Acl": {"authenticated-read"}}, 501, "NotImplemented"},
		{"public ACL on CreateBucket", "PUT", "/bucket", "", http.Header{"X-Amz-Acl": {"public-read"}}, 501, "NotImplemented"},
		{"ObjectWriter ownership on CreateBucket", "PUT", "/bucket", "", http.Header{"X-Amz-Object-Ownership": {"ObjectWriter"}}, 501, "NotImplemented"},
		{"bad bucket name", "PUT", "/Bad_Name", "", nil, 400, "InvalidBucketName"},
		{"short bucket name", "GET", "/ab/k", "", nil, 400, "InvalidBucketName"},
		{"key too long", "PUT", "/bucket/" + long, "x", nil, 400, "KeyTooLongError"},
		{"key not UTF-8", "PUT", "/bucket/%C3%28", "x", nil, 400, "InvalidArgument"},
		{"create bucket bad XML", "PUT", "/bucket", "<CreateBucketConfiguration>", nil, 400, "MalformedXML"},
		{"create bucket other region", "PUT", "/bucket", "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>", nil, 400, "IllegalLocationConstraintException"},
		{"create bucket explicit us-east-1", "PUT", "/bucket", "<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>", nil, 400, "InvalidLocationConstraint"},
		{"create bucket not a region", "PUT", "/bucket", "<CreateBucketConfiguration><LocationConstraint>mars</LocationConstraint></CreateBucketConfiguration>", nil, 400, "InvalidLocationConstraint"},
		{"delete objects bad XML", "POST", "/bucket?delete", "<Delete>", nil, 400, "MalformedXML"},
		{"delete objects no keys", "POST", "/bucket?delete", "<Delete></Delete>", nil, 400, "MalformedXML"},
		{"delete objects bad MD5", "POST", "/bucket?delete", "<Delete><Object><Key>a</Key></Object></Delete>",
			http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, 400, "BadDigest"},
		{"delete objects bad checksum", "POST", "/bucket?delete", "<Delete><Object><Key>a</Key></Object></Delete>",
			http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}, 400, "BadDigest"},
		{"invalid Content-MD5", "PUT", "/bucket/k", "x", http.Header{"Content-Md5": {"zzz"}}, 400, "InvalidDigest"},
		{"metadata too large", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Meta-Big": {strings.Repeat("v", 2100)}}, 400, "MetadataTooLarge"},
		{"bad tagging", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Tagging": {"a=1&a=2"}}, 400, "InvalidTag"},
		{"two checksums", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}, "X-Amz-Checksum-Crc32c": {"AAAAAA=="}}, 400, "InvalidRequest"},
		{"SSE-C over HTTP", "PUT", "/bucket/k", "x", ssecHeaders(), 400, "InvalidRequest"},
		{"SSE-C get over HTTP", "GET", "/bucket/k", "", ssecHeaders(), 400, "InvalidRequest"},
		{"SSE-C copy source over HTTP", "PUT", "/bucket/k", "", withCopySource(ssecCopySourceHeaders()), 400, "InvalidRequest"},
		{"SSE-C no key", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption-Customer-Algorithm": {"AES256"}}, 400, "InvalidArgument"},
		{"SSE-C bad algorithm", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption-Customer-Algorithm": {"DES"}}, 400, "InvalidEncryptionAlgorithmError"},
		{"SSE unknown", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption": {"ROT13"}}, 400, "InvalidArgument"},
		{"SSE dsse", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption": {"aws:kms:dsse"}}, 501, "NotImplemented"},
		{"SSE key id without kms", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption": {"AES256"}, "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": {"k"}}, 400, "InvalidArgument"},
		{"SSE bad context", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption": {"aws:kms"}, "X-Amz-Server-Side-Encryption-Context": {"!!"}}, 400, "InvalidArgument"},
		{"SSE on GET", "GET", "/bucket/k", "", http.Header{"X-Amz-Server-Side-Encryption": {"AES256"}}, 400, "InvalidArgument"},
		{"SSE on UploadPart", "PUT", "/bucket/k?partNumber=1&uploadId=x", "x", http.Header{"X-Amz-Server-Side-Encryption": {"AES256"}}, 400, "InvalidArgument"},
		{"SSE on delete", "DELETE", "/bucket/k", "", http.Header{"X-Amz-Server-Side-Encryption": {"AES256"}}, 400, "InvalidArgument"},
		{"unknown SSE header", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption-Foo": {"1"}}, 501, "NotImplemented"},
		{"bucket key without SSE", "PUT", "/bucket/k", "x", http.Header{"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled": {"true"}}, 400, "InvalidArgument"},
		{"bucket encryption bad XML", "PUT", "/bucket?encryption", "<ServerSideEncryptionConfiguration>", nil, 400, "MalformedXML"},
		{"copy source without key", "PUT", "/bucket/k", "", http.Header{"X-Amz-Copy-Source": {"bucket"}}, 400, "InvalidArgument"},
		{"copy bad directive", "PUT", "/bucket/k", "", http.Header{"X-Amz-Copy-Source": {"bucket/src"}, "X-Amz-Metadata-Directive": {"MOVE"}}, 400, "InvalidArgument"},
		{"copy onto itself", "PUT", "/bucket/k", "", http.Header{"X-Amz-Copy-Source": {"/bucket/k"}}, 400, "InvalidRequest"},
		{"negative max-keys", "GET", "/bucket?max-keys=-1", "", nil, 400, "InvalidArgument"},
		{"bad encoding-type", "GET", "/bucket?list-type=2&encoding-type=xml", "", nil, 400, "InvalidArgument"},
		{"bad continuation token", "GET", "/bucket?list-type=2&continuation-token=%21%21", "", nil, 400, "InvalidArgument"},
		{"bad list-type", "GET", "/bucket?list-type=3", "", nil, 400, "InvalidArgument"},
		{"bad partNumber", "GET", "/bucket/k?partNumber=0", "", nil, 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		resp, body := do(t, srv, tt.method, tt.target, []byte(tt.body), tt.header)
		if resp.StatusCode != tt.status || !strings.Contains(body, "<Code>"+tt.code+"</Code>") {
			t.Errorf("%s: %d %s; want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
		}
		if resp.Header.Get("x-amz-request-id") == "" || resp.Header.Get("Server") != "Anode" {
			t.Errorf("%s: common headers missing: %v", tt.name, resp.Header)
		}
	}
}

func TestHandlerAuthFailures(t *testing.T) {
	srv := newTestServer(t)

	// Anonymous requests naming a bucket look the bucket up (NoSuchBucket
	// is public knowledge on AWS), which this service without storage
	// cannot do: test/conformance covers them. The service level needs no
	// lookup.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<Code>AccessDenied</Code>") ||
		!strings.Contains(string(b), "<Resource>/</Resource>") {
		t.Errorf("anonymous GET: %d %s", resp.StatusCode, b)
	}

	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	v4.NewSigner(s3Signing).SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "wrong"},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("wrong secret: %d %s", resp.StatusCode, b)
	}

	// A HEAD error is the status alone.
	req, _ = http.NewRequest("HEAD", srv.URL+"/", nil)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("x-amz-request-id") == "" || resp.Header.Get("Content-Type") != "" {
		t.Errorf("anonymous HEAD: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestHandlerRecoversFromServicePanics(t *testing.T) {
	// The unconfigured service panics on use: the server must answer
	// InternalError and keep serving.
	srv := newTestServer(t)
	for range 2 {
		resp, body := do(t, srv, "GET", "/", nil, nil)
		if resp.StatusCode != 500 || !strings.Contains(body, "<Code>InternalError</Code>") {
			t.Fatalf("ListBuckets on a broken service: %d %s", resp.StatusCode, body)
		}
	}
}

// s3Signing signs the way S3 clients do: the path is used as sent, not
// escaped a second time.
func s3Signing(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }

// ssecHeaders are valid SSE-C headers (a random-looking key and its MD5).
func ssecHeaders() http.Header {
	key := bytes.Repeat([]byte{7}, 32)
	sum := md5.Sum(key)
	return http.Header{
		"X-Amz-Server-Side-Encryption-Customer-Algorithm": {"AES256"},
		"X-Amz-Server-Side-Encryption-Customer-Key":       {base64.StdEncoding.EncodeToString(key)},
		"X-Amz-Server-Side-Encryption-Customer-Key-Md5":   {base64.StdEncoding.EncodeToString(sum[:])},
	}
}

func ssecCopySourceHeaders() http.Header {
	h := http.Header{}
	for k, v := range ssecHeaders() {
		h[strings.Replace(k, "X-Amz-Server", "X-Amz-Copy-Source-Server", 1)] = v
	}
	return h
}

func withCopySource(h http.Header) http.Header {
	h.Set("X-Amz-Copy-Source", "bucket/src")
	return h
}
