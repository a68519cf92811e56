// Package auth verifies AWS Signature Version 4 requests (the
// Authorization header, presigned URLs, and aws-chunked streaming
// payloads) and Signature Version 2 ones (header and query, sigv2.go).
//
// Verification follows what Amazon S3 does, so that every S3 client works
// unchanged: the canonical request is built from the request as received
// (path segments URI-encoded once, no normalisation of "..", sorted query,
// the signed headers in the order the client listed them), the signature is
// an HMAC-SHA256 under a key derived from the secret, the date, the region
// and the service "s3", and the payload is checked against
// x-amz-content-sha256 while the caller reads it.
//
// A Verifier is safe for concurrent use. See docs/auth.md for the list of
// supported modes and the S3 error each failure produces.
package auth

import (
	"io"
	"net/http"
	"time"
)

// Credentials looks up the secret key of an access key.
type Credentials interface {
	SecretKey(accessKey string) (secret string, ok bool)
}

// StaticCredentials maps access keys to secret keys. It suits tests and the
// root user, whose keys come from configuration.
type StaticCredentials map[string]string

// SecretKey returns the secret of accessKey.
func (c StaticCredentials) SecretKey(accessKey string) (string, bool) {
	s, ok := c[accessKey]
	return s, ok
}

// Result is what a successful authentication yields.
type Result struct {
	// AccessKey is the authenticated access key ID.
	AccessKey string
	// Body is the payload to store. For aws-chunked requests it is the
	// decoded payload; for signed payloads it fails (instead of returning
	// io.EOF) when the bytes do not match x-amz-content-sha256 or a chunk
	// signature. Callers must read it to io.EOF before committing anything.
	Body io.ReadCloser
	// ContentLength is the decoded payload length, or -1 when unknown.
	ContentLength int64
	// Trailers returns the trailing headers of an aws-chunked body (such as
	// x-amz-checksum-crc32). It is valid only after Body returned io.EOF,
	// and is nil when the request has no trailer.
	Trailers func() http.Header
}

// MaxClockSkew is how far a request's date may be from the server's clock,
// as on AWS.
const MaxClockSkew = 15 * time.Minute

// MaxPresignExpiry is the longest validity a presigned URL may ask for
// (X-Amz-Expires), seven days as on AWS.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Verifier authenticates requests against a credential store.
type Verifier struct {
	Creds Credentials
	// Region is the region of this deployment: when set, only requests
	// signed for it are accepted (AWS answers AuthorizationHeaderMalformed
	// for any other region, us-east-1 included); empty accepts any region,
	// so that clients work whatever their default region is.
	Region string
	// Now returns the current time; nil means time.Now. Tests set it to
	// check clock skew and expiry.
	Now func() time.Time

	keys keyCache
}

// Authenticate checks the request's signature. On failure it returns an
// *s3err.Error (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
// RequestTimeTooSkewed, AuthorizationHeaderMalformed, ...).
//
// On success the returned Result.Body replaces r.Body: it yields the
// decoded payload and verifies it as it is read.
func (v *Verifier) Authenticate(r *http.Request) (*Result, error) {
	query := parseQuery(r.URL.RawQuery)
	authz := r.Header.Get("Authorization")
	presigned := query.has("X-Amz-Algorithm") || query.has("X-Amz-Credential") || query.has("X-Amz-Signature")
	switch {
	case authz != "" && presigned:
		return nil, errBothAuthMechanisms
	case isV2Header(authz):
		return v.verifyV2Header(r, authz, query)
	case authz != "":
		return v.verifyHeader(r, authz, query)
	case presigned:
		return v.verifyPresigned(r, query)
	case query.has("AWSAccessKeyId") || query.has("Signature"):
		return v.verifyV2Query(r, query)
	}
	return nil, errAnonymous
}

// IsAnonymous reports whether r carries no signature at all, neither an
// Authorization header nor a presigned query. Such requests fail
// Authenticate with AccessDenied; a caller that grants anonymous access
// (public buckets) asks this first.
func IsAnonymous(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	q := parseQuery(r.URL.RawQuery)
	return !q.has("X-Amz-Algorithm") && !q.has("X-Amz-Credential") && !q.has("X-Amz-Signature") &&
		!q.has("AWSAccessKeyId") && !q.has("Signature")
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// regionOK reports whether a credential scope's region is one this server
// answers for.
func (v *Verifier) regionOK(region string) bool {
	return v.Region == "" || region == v.Region
}
