package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/s3err"
)

// AWS Signature Version 2 (the "AWS" Authorization header and the
// AWSAccessKeyId/Signature/Expires query), as Amazon S3 still accepts it
// and clients still send it (boto3's generate_presigned_url with a custom
// endpoint, old SDKs, s3cmd). The signature is a base64 HMAC-SHA1 over
//
//	Verb \n Content-MD5 \n Content-Type \n Date-or-Expires \n
//	CanonicalizedAmzHeaders CanonicalizedResource
//
// See "Signing and authenticating REST requests" in the S3 documentation.
// V2 signs no payload: the body is passed through unverified (Content-MD5,
// when sent, is checked by the S3 layer).

var (
	errV2Malformed = s3err.InvalidArgument.WithMessage(
		"AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
	errV2QueryMissing = s3err.AccessDenied.WithMessage(
		"Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	errV2Expires = s3err.AccessDenied.WithMessage("Invalid date (should be seconds since epoch): Expires")
	errV2Mixed   = s3err.InvalidArgument.WithMessage(
		"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
)

// v2SubResources are the query parameters that are part of the V2
// canonicalized resource (botocore's list, which matches S3's).
var v2SubResources = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "cors": true, "defaultObjectAcl": true,
	"delete": true, "inventory": true, "lifecycle": true, "location": true, "logging": true,
	"metrics": true, "notification": true, "object-lock": true, "partNumber": true, "policy": true,
	"replication": true, "requestPayment": true, "response-cache-control": true,
	"response-content-disposition": true, "response-content-encoding": true,
	"response-content-language": true, "response-content-type": true, "response-expires": true,
	"restore": true, "select": true, "select-type": true, "storageClass": true, "tagging": true,
	"torrent": true, "uploadId": true, "uploads": true, "versionId": true, "versioning": true,
	"versions": true, "website": true,
}

// isV2Header reports whether an Authorization header is a V2 one.
func isV2Header(authz string) bool { return strings.HasPrefix(authz, "AWS ") }

// parseV2Header splits "AWS AccessKeyId:Signature".
func parseV2Header(authz string) (accessKey, signature string, err error) {
	rest, ok := strings.CutPrefix(authz, "AWS ")
	if !ok {
		return "", "", errV2Malformed
	}
	accessKey, signature, ok = strings.Cut(strings.TrimSpace(rest), ":")
	if !ok || accessKey == "" || signature == "" || strings.ContainsAny(accessKey, " \t") {
		return "", "", errV2Malformed
	}
	return accessKey, signature, nil
}

// verifyV2Header authenticates a request with a V2 Authorization header.
func (v *Verifier) verifyV2Header(r *http.Request, authz string, q queryParams) (*Result, error) {
	if q.has("Signature") || q.has("X-Amz-Signature") {
		return nil, errV2Mixed
	}
	accessKey, sig, err := parseV2Header(authz)
	if err != nil {
		return nil, err
	}
	// The request time: x-amz-date wins over Date (and the Date line of
	// the string to sign is then empty).
	dateLine := r.Header.Get("Date")
	ds := r.Header.Get("X-Amz-Date")
	if ds != "" {
		dateLine = ""
	} else {
		ds = dateLine
	}
	t, err := parseHTTPDate(ds)
	if err != nil {
		return nil, errMissingDate
	}
	if d := v.now().Sub(t); d > MaxClockSkew || d < -MaxClockSkew {
		return nil, s3err.RequestTimeTooSkewed
	}
	secret, err := v.secretOf(r.Context(), accessKey)
	if err != nil {
		return nil, err
	}
	if !v2Matches(secret, r, q, dateLine, sig) {
		return nil, s3err.SignatureDoesNotMatch
	}
	return newResult(r, accessKey, payloadUnsigned, [32]byte{}, chunkSigner{})
}

// v2Matches checks the signature over the request's resource as sent and,
// for a bucket-level path-style request ("/bucket"), also over "/bucket/":
// botocore signs bucket requests that way, and S3 accepts both spellings
// of the same resource.
func v2Matches(secret string, r *http.Request, q queryParams, dateLine, sig string) bool {
	sts := stringToSignV2(r, q, dateLine)
	if v2SignatureOK(secret, sts, sig) {
		return true
	}
	path := requestPath(r)
	if len(path) > 1 && strings.Count(path, "/") == 1 {
		i := strings.Index(sts, path)
		alt := sts[:i] + path + "/" + sts[i+len(path):]
		return v2SignatureOK(secret, alt, sig)
	}
	return false
}

// verifyV2Query authenticates a V2 presigned URL.
func (v *Verifier) verifyV2Query(r *http.Request, q queryParams) (*Result, error) {
	accessKey, _ := q.get("AWSAccessKeyId")
	sig, _ := q.get("Signature")
	expires, ok := q.get("Expires")
	if accessKey == "" || sig == "" || !ok {
		return nil, errV2QueryMissing
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || exp < 0 {
		return nil, errV2Expires
	}
	if v.now().Unix() > exp {
		return nil, errExpired
	}
	secret, err := v.secretOf(r.Context(), accessKey)
	if err != nil {
		return nil, err
	}
	if !v2Matches(secret, r, q, expires, sig) {
		return nil, s3err.SignatureDoesNotMatch
	}
	return newResult(r, accessKey, payloadUnsigned, [32]byte{}, chunkSigner{})
}

func v2SignatureOK(secret, stringToSign, sig string) bool {
	want, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hmac.Equal(mac.Sum(nil), want)
}

// stringToSignV2 builds the V2 string to sign; dateLine is the Date
// header (header auth, empty when x-amz-date is sent) or Expires (query
// auth).
func stringToSignV2(r *http.Request, q queryParams, dateLine string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Content-Md5"))
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Content-Type"))
	b.WriteByte('\n')
	b.WriteString(dateLine)
	b.WriteByte('\n')
	// CanonicalizedAmzHeaders: x-amz-* names lower-cased and sorted, values
	// trimmed and joined with ",".
	var names []string
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	for _, name := range names {
		vals := r.Header[name]
		trimmed := make([]string, len(vals))
		for i, v := range vals {
			trimmed[i] = strings.TrimSpace(v)
		}
		b.WriteString(strings.ToLower(name))
		b.WriteByte(':')
		b.WriteString(strings.Join(trimmed, ","))
		b.WriteByte('\n')
	}
	// CanonicalizedResource: the path as sent, then the sub-resources,
	// sorted, with their decoded values.
	b.WriteString(requestPath(r))
	var subs []queryParam
	for _, p := range q {
		if v2SubResources[p.key] {
			subs = append(subs, p)
		}
	}
	slices.SortStableFunc(subs, func(a, b queryParam) int { return strings.Compare(a.key, b.key) })
	for i, p := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.value != "" {
			b.WriteByte('=')
			b.WriteString(p.value)
		}
	}
	return b.String()
}

type v2BucketCtx struct{}

// WithVirtualHostBucket tells the V2 verifier that the request names its
// bucket in the Host header (virtual-host style): the V2 string to sign
// then starts its resource with "/bucket", as S3 defines.
func WithVirtualHostBucket(r *http.Request, bucket string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), v2BucketCtx{}, bucket))
}

// requestPath returns the request's path as the client sent it, after
// "/bucket" for a virtual-host-style request.
func requestPath(r *http.Request) string {
	if b, _ := r.Context().Value(v2BucketCtx{}).(string); b != "" {
		return "/" + b + rawPath(r)
	}
	return rawPath(r)
}

func rawPath(r *http.Request) string {
	path := r.RequestURI
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		path = r.URL.EscapedPath()
	}
	return path
}

// parseHTTPDate parses a Date or V2 x-amz-date header (RFC 1123 and the
// other HTTP forms, or ISO 8601 basic as V4 clients send).
func parseHTTPDate(s string) (time.Time, error) {
	if t, err := http.ParseTime(s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC1123Z, s); err == nil {
		return t, nil
	}
	return time.Parse(amzDateLayout, s)
}
