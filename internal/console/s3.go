package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The console acts for the logged-in user by calling the S3 handler in
// process with requests signed by the user's own key: the S3 API's
// authentication (the key must still be valid), authorization (the
// user's policies, bucket policies, ACLs) and audit log apply to every
// console action exactly as to a request from an S3 client.

const unsignedPayload = "UNSIGNED-PAYLOAD"

// s3Escape encodes a bucket or key for the path of an S3 request: every
// byte but the unreserved characters and "/" is percent-encoded, as S3
// clients do.
func s3Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// s3Request builds a signed request for the S3 handler. path is the
// escaped path ("/bucket/key"), query the raw query.
func (c *Console) s3Request(orig *http.Request, sess *session, method, path string, query url.Values, body io.Reader, length int64) (*http.Request, error) {
	u, err := url.Parse("http://" + c.cfg.S3Host + path)
	if err != nil {
		return nil, fmt.Errorf("console: request path: %w", err)
	}
	u.RawQuery = strings.ReplaceAll(query.Encode(), "+", "%20")
	ctx := orig.Context()
	r, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("console: build request: %w", err)
	}
	if body != nil {
		r.ContentLength = length
	}
	// The policy condition keys aws:SourceIp and aws:SecureTransport see
	// the browser's connection.
	r.RemoteAddr = orig.RemoteAddr
	r.TLS = orig.TLS
	if ct := orig.Header.Get("Content-Type"); method == http.MethodPut && body != nil && ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	r.Header.Set("User-Agent", "anode-console")
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: sess.accessKey, SecretAccessKey: sess.secret}
	if err := signer.SignHTTP(ctx, creds, r, unsignedPayload, "s3", c.region(), c.cfg.now()); err != nil {
		return nil, fmt.Errorf("console: sign request: %w", err)
	}
	return r, nil
}

func (c *Console) region() string {
	if c.cfg.Region != "" {
		return c.cfg.Region
	}
	return "us-east-1"
}

// s3Result is the buffered answer of an in-process S3 request.
type s3Result struct {
	status int
	header http.Header
	body   []byte
}

// s3Error is S3's XML error body.
type s3Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (res *s3Result) err() *apiError {
	if res.status < 300 {
		return nil
	}
	var e s3Error
	xml.Unmarshal(res.body, &e)
	if e.Code == "" { // a HEAD answer has no body
		switch res.status {
		case http.StatusForbidden:
			e.Code = "AccessDenied"
		case http.StatusNotFound:
			e.Code = "NotFound"
		default:
			e.Code = http.StatusText(res.status)
		}
	}
	if e.Message == "" {
		e.Message = e.Code
	}
	return &apiError{status: res.status, Code: e.Code, Message: e.Message}
}

// boundedRecorder is a ResponseWriter that keeps at most max bytes of the
// body (a list answer is a few MB at most; more is an error).
type boundedRecorder struct {
	header   http.Header
	status   int
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *boundedRecorder) Header() http.Header { return b.header }
func (b *boundedRecorder) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
func (b *boundedRecorder) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.buf.Len()+len(p) > b.max {
		b.overflow = true
		return 0, fmt.Errorf("console: S3 answer larger than %d bytes", b.max)
	}
	return b.buf.Write(p)
}

const maxS3Answer = 16 << 20

// do runs a signed request through the S3 handler and buffers the answer.
func (c *Console) do(orig *http.Request, sess *session, method, path string, query url.Values, body io.Reader, length int64) (*s3Result, error) {
	r, err := c.s3Request(orig, sess, method, path, query, body, length)
	if err != nil {
		return nil, err
	}
	rec := &boundedRecorder{header: http.Header{}, max: maxS3Answer}
	c.cfg.S3.ServeHTTP(rec, r)
	if rec.overflow {
		return nil, fmt.Errorf("console: S3 answer larger than %d bytes", rec.max)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &s3Result{status: rec.status, header: rec.header, body: rec.buf.Bytes()}, nil
}

// presign returns a presigned GET URL of an object on the S3 endpoint,
// signed with the session's key.
func (c *Console) presign(ctx context.Context, sess *session, s3URL, bucket, key string, expires time.Duration) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s3URL, "/") + "/" + s3Escape(bucket) + "/" + s3Escape(key))
	if err != nil {
		return "", fmt.Errorf("console: share URL: %w", err)
	}
	u.RawQuery = url.Values{"X-Amz-Expires": {fmt.Sprint(int64(expires / time.Second))}}.Encode()
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("console: share request: %w", err)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: sess.accessKey, SecretAccessKey: sess.secret}
	signed, _, err := signer.PresignHTTP(ctx, creds, r, unsignedPayload, "s3", c.region(), c.cfg.now())
	if err != nil {
		return "", fmt.Errorf("console: presign: %w", err)
	}
	return signed, nil
}

// adminCall returns a handler that forwards the console request (its
// JSON body, at most maxJSONBody) to the admin API as the request
// method path (with {name} taken from the console path), signed with the
// session's key: the admin API's own authorization (root only) decides.
func (c *Console) adminCall(method, pattern string) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if c.cfg.Admin == nil {
			writeError(w, &apiError{status: http.StatusNotImplemented, Code: "NotImplemented", Message: "no admin API here"})
			return
		}
		var body []byte
		if method != http.MethodGet {
			var err error
			body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
			if err != nil {
				writeError(w, &apiError{status: http.StatusBadRequest, Code: "InvalidInput", Message: "body: " + err.Error()})
				return
			}
		}
		p := strings.ReplaceAll(pattern, "{name}", url.PathEscape(r.PathValue("name")))
		req, err := http.NewRequestWithContext(r.Context(), method, "http://"+r.Host+p, bytes.NewReader(body))
		if err != nil {
			internalError(w, err)
			return
		}
		req.RemoteAddr, req.TLS = r.RemoteAddr, r.TLS
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", hash)
		req.Header.Set("User-Agent", "anode-console")
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		creds := aws.Credentials{AccessKeyID: sess.accessKey, SecretAccessKey: sess.secret}
		if err := v4.NewSigner().SignHTTP(r.Context(), creds, req, hash, "s3", c.region(), c.cfg.now()); err != nil {
			internalError(w, err)
			return
		}
		rec := &boundedRecorder{header: http.Header{}, max: maxS3Answer}
		c.cfg.Admin.ServeHTTP(rec, req)
		if rec.overflow {
			internalError(w, fmt.Errorf("console: admin answer larger than %d bytes", rec.max))
			return
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.status)
		w.Write(rec.buf.Bytes())
	}
}
