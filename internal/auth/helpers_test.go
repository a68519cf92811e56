package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/anode/anode/internal/s3err"
)

const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion    = "eu-west-3"
)

func testCreds() StaticCredentials {
	return StaticCredentials{testAccessKey: testSecretKey, "other": "other-secret"}
}

// outcome is what the test server saw: the error of Authenticate or of
// reading the body, or the body, its announced length and the trailers.
type outcome struct {
	Code          string      // S3 error code, "" on success
	Stage         string      // "auth" or "body" when Code is set
	Message       string      // S3 error message
	AccessKey     string      `json:",omitempty"`
	Body          []byte      `json:",omitempty"`
	ContentLength int64       `json:",omitempty"`
	Trailers      http.Header `json:",omitempty"`
}

// newServer starts an HTTP server that authenticates each request with v,
// reads the body to its end and answers with the outcome as JSON. Requests
// thus cross a real net/http client and server, as they will in production.
func newServer(t testing.TB, v *Verifier) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o outcome
		res, err := v.Authenticate(r)
		if err != nil {
			o.Code, o.Stage, o.Message = s3err.As(err).Code, "auth", s3err.As(err).Message
			io.Copy(io.Discard, r.Body)
		} else {
			o.AccessKey, o.ContentLength = res.AccessKey, res.ContentLength
			if res.Trailers() != nil {
				t.Errorf("Trailers() is not nil before the body was read")
			}
			o.Body, err = io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				o.Code, o.Stage, o.Message = s3err.As(err).Code, "body", s3err.As(err).Message
				o.Body = nil
			} else {
				o.Trailers = res.Trailers()
			}
		}
		json.NewEncoder(w).Encode(o)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// do sends req and returns the server's outcome.
func do(t testing.TB, req *http.Request) outcome {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var o outcome
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatalf("decoding outcome: %v", err)
	}
	return o
}

func wantOK(t testing.TB, o outcome, body string) {
	t.Helper()
	if o.Code != "" {
		t.Fatalf("got %s at %s (%s), want success", o.Code, o.Stage, o.Message)
	}
	if string(o.Body) != body {
		t.Fatalf("body = %q, want %q", trunc(o.Body), trunc([]byte(body)))
	}
}

func wantErr(t testing.TB, o outcome, stage, code string) {
	t.Helper()
	if o.Code != code || o.Stage != stage {
		t.Fatalf("got code %q at %q (%s), want %q at %q", o.Code, o.Stage, o.Message, code, stage)
	}
}

func trunc(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// awsEscape encodes an object key as AWS SDKs put it on the wire: every
// byte but the unreserved ones and '/' percent-encoded.
func awsEscape(key string) string {
	var b []byte
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			b = append(b, '/')
			continue
		}
		b = appendEncodedByte(b, key[i])
	}
	return string(b)
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// awsSigner returns the aws-sdk-go-v2 signer configured as its S3 client
// configures it: the path is signed as sent, not escaped a second time. A
// new one each time, because the signer caches derived keys by access key
// alone and would sign a wrong-secret request with the right key.
func awsSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// awsSign signs req with aws-sdk-go-v2, setting x-amz-content-sha256 to
// payloadHash first, as the SDK's S3 client does.
func awsSign(t testing.TB, req *http.Request, ak, sk, payloadHash, region string, at time.Time) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	err := awsSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk},
		req, payloadHash, "s3", region, at)
	if err != nil {
		t.Fatal(err)
	}
}

// awsPresign returns a request for the URL that aws-sdk-go-v2 presigns.
func awsPresign(t testing.TB, method, url string, ak, sk, region string, at time.Time, expires time.Duration) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if expires > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
		req.URL.RawQuery = q.Encode()
	}
	signed, hdr, err := awsSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk},
		req, unsignedPayload, "s3", region, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(method, signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if !strings.EqualFold(k, "host") {
			out.Header[k] = v
		}
	}
	return out
}

// sha256Hasher adapts crypto/sha256 to the md5simd.Hasher minio-go's
// streaming signer wants.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

func newSHA256Hasher() sha256Hasher { return sha256Hasher{sha256.New()} }

func awsCreds(ak, sk string) aws.Credentials {
	return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
}
