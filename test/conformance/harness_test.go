// Package conformance checks Anode's answers against the Amazon S3 API
// reference, one case per behaviour, each naming the section of the AWS
// documentation it follows (and, where the documentation is silent, what
// AWS does in practice and how that is known).
//
// Every behaviour is checked twice where a client can express it: with raw
// requests signed by the SDK's SigV4 signer and sent with net/http
// (raw_test.go), so that no SDK can paper over a difference in status,
// code, header or XML, and with aws-sdk-go-v2 (sdk_test.go), so that the
// answers are ones a real client parses. boto3_conformance.py covers what
// boto3 users hit.
package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// servers are started once per test binary: one with no configured region
// (the default) and one with s3.region set, which enforces it.
var (
	serverOnce sync.Once
	servers    struct {
		open, regional *testutil.Server
	}
)

const configuredRegion = "eu-west-3"

// startServers starts the two servers; t is the first test that needs them
// and they live until the binary exits (t.Cleanup would stop them with it).
func startServers(t *testing.T) {
	serverOnce.Do(func() {
		servers.open = testutil.Start(noCleanup{t}, testutil.Options{})
		servers.regional = testutil.Start(noCleanup{t}, testutil.Options{Configure: func(c *config.Config) {
			c.S3.Region = configuredRegion
		}})
	})
	if servers.open == nil || servers.regional == nil {
		t.Fatal("test servers did not start")
	}
}

// noCleanup lets servers outlive the test that started them: TestMain
// stops them and removes their data after the last test.
type noCleanup struct{ *testing.T }

var tempDirs []string

func (noCleanup) Cleanup(func()) {}
func (n noCleanup) TempDir() string {
	d, err := os.MkdirTemp("", "anode-conformance-")
	if err != nil {
		n.Fatal(err)
	}
	tempDirs = append(tempDirs, d)
	return d
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range []*testutil.Server{servers.open, servers.regional} {
		if s != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			s.Server.Shutdown(ctx)
			cancel()
		}
	}
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

var bucketSeq atomic.Int64

// newBucketName returns a bucket name no other case uses.
func newBucketName() string {
	return fmt.Sprintf("cf-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
}

// raw is a request built and signed by hand.
type raw struct {
	method, path string
	header       map[string]string
	body         string
	// region signs the request for this region (default us-east-1).
	region string
	// anonymous sends no signature at all.
	anonymous bool
	// presign signs in the query for this long instead of the header.
	presign time.Duration
	// afterSign changes the request after it was signed (an attacker's
	// additions, or framing the signer does not see).
	afterSign func(*http.Request)
	// unsignedPayload signs UNSIGNED-PAYLOAD instead of the body's hash.
	unsignedPayload bool
	// chunked sends the body with Transfer-Encoding: chunked and no
	// Content-Length.
	chunked bool
	// signedAt is the signing time (default now).
	signedAt time.Time
}

// response is what came back, body read.
type response struct {
	*http.Response
	body []byte
}

// errDoc is the S3 error document.
type errDoc struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (r *response) errCode() string {
	var e errDoc
	xml.Unmarshal(r.body, &e)
	return e.Code
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// send builds, signs and sends rq against the server at endpoint, with
// bucket substituted for {b} in the path and header values.
func send(t *testing.T, endpoint, bucket string, rq raw) *response {
	t.Helper()
	req := build(t, endpoint, bucket, rq)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", rq.method, req.URL.Path, err)
	}
	return &response{Response: resp, body: b}
}

// build builds and signs rq.
func build(t *testing.T, endpoint, bucket string, rq raw) *http.Request {
	t.Helper()
	path := strings.ReplaceAll(rq.path, "{b}", bucket)
	req, err := http.NewRequest(rq.method, endpoint+path, strings.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	if rq.body == "" {
		req.Body = http.NoBody
	}
	req.ContentLength = int64(len(rq.body))
	if rq.chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	at := rq.signedAt
	if at.IsZero() {
		at = time.Now()
	}
	for k, v := range rq.header {
		req.Header.Set(k, strings.ReplaceAll(v, "{b}", bucket))
	}
	region := rq.region
	if region == "" {
		region = "us-east-1"
	}
	if !rq.anonymous {
		sum := sha256.Sum256([]byte(rq.body))
		hash := hex.EncodeToString(sum[:])
		if rq.unsignedPayload || rq.presign > 0 {
			hash = "UNSIGNED-PAYLOAD"
		}
		creds := aws.Credentials{AccessKeyID: testutil.AccessKey, SecretAccessKey: testutil.SecretKey}
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if rq.presign > 0 {
			q := req.URL.Query()
			q.Set("X-Amz-Expires", fmt.Sprint(int(rq.presign/time.Second)))
			req.URL.RawQuery = q.Encode()
			u, hdr, err := signer.PresignHTTP(context.Background(), creds, req, hash, "s3", region, at)
			if err != nil {
				t.Fatal(err)
			}
			body := req.Body
			req, _ = http.NewRequest(rq.method, u, body)
			req.ContentLength = int64(len(rq.body))
			if rq.chunked {
				req.ContentLength = -1
				req.TransferEncoding = []string{"chunked"}
			}
			for k, v := range hdr {
				req.Header[k] = v
			}
			req.Header.Del("Host")
		} else {
			req.Header.Set("X-Amz-Content-Sha256", hash)
			if err := signer.SignHTTP(context.Background(), creds, req, hash, "s3", region, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rq.afterSign != nil {
		rq.afterSign(req)
	}
	return req
}

// mustSend sends rq and fails unless it succeeded (2xx).
func mustSend(t *testing.T, endpoint, bucket string, rq raw) *response {
	t.Helper()
	r := send(t, endpoint, bucket, rq)
	if r.StatusCode/100 != 2 {
		t.Fatalf("setup %s %s: %d %s", rq.method, rq.path, r.StatusCode, r.body)
	}
	return r
}

// xmlField returns the text of the first element named name in an XML
// document ("" when there is none).
func xmlField(doc []byte, name string) string {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var s string
			if d.DecodeElement(&s, &se) == nil {
				return s
			}
			return ""
		}
	}
}

// xmlFields returns the texts of every element named name.
func xmlFields(doc []byte, name string) []string {
	var out []string
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var s string
			if d.DecodeElement(&s, &se) == nil {
				out = append(out, s)
			}
		}
	}
}
