// Package auth verifies AWS Signature Version 4 requests: the Authorization
// header, presigned URLs, and aws-chunked streaming payloads.
package auth

import (
	"io"
	"net/http"
)

// Credentials looks up the secret key of an access key.
type Credentials interface {
	SecretKey(accessKey string) (secret string, ok bool)
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

// Verifier authenticates requests against a credential store.
type Verifier struct {
	Creds  Credentials
	Region string
}

// Authenticate checks the request's signature. On failure it returns an
// *s3err.Error (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
// RequestTimeTooSkewed, AuthorizationHeaderMalformed, ...).
func (v *Verifier) Authenticate(r *http.Request) (*Result, error) {
	panic("not implemented yet")
}
