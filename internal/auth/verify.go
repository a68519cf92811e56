package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anode/anode/internal/s3err"
)

// The values of x-amz-content-sha256 that are not a hash.
const (
	unsignedPayload               = "UNSIGNED-PAYLOAD"
	streamingPayload              = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingPayloadTrailer       = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedPayloadTrail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// payloadMode is how the body is framed and protected.
type payloadMode int

const (
	payloadUnsigned        payloadMode = iota // passed through as is
	payloadSHA256                             // must hash to x-amz-content-sha256
	payloadChunkedSigned                      // aws-chunked, each chunk signed
	payloadChunkedSignedTr                    // aws-chunked, signed chunks and signed trailer
	payloadChunkedUnsigned                    // aws-chunked, unsigned chunks and a trailer
)

// parsePayloadMode interprets x-amz-content-sha256.
func parsePayloadMode(v string) (payloadMode, [32]byte, error) {
	var sum [32]byte
	switch v {
	case unsignedPayload:
		return payloadUnsigned, sum, nil
	case streamingPayload:
		return payloadChunkedSigned, sum, nil
	case streamingPayloadTrailer:
		return payloadChunkedSignedTr, sum, nil
	case streamingUnsignedPayloadTrail:
		return payloadChunkedUnsigned, sum, nil
	}
	if len(v) != 64 {
		return 0, sum, errBadContentSHA256
	}
	if _, err := hex.Decode(sum[:], []byte(v)); err != nil {
		return 0, sum, errBadContentSHA256
	}
	return payloadSHA256, sum, nil
}

// verifyHeader authenticates a request signed in its Authorization header.
func (v *Verifier) verifyHeader(r *http.Request, authz string, q queryParams) (*Result, error) {
	p, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	amzDate, t, err := headerDate(r)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(&p, amzDate, false); err != nil {
		return nil, err
	}
	if now := v.now(); now.Sub(t) > MaxClockSkew || now.Sub(t) < -MaxClockSkew {
		// The elements AWS adds, from which a client can correct its clock.
		return nil, s3err.RequestTimeTooSkewed.
			WithField("RequestTime", amzDate).
			WithField("ServerTime", now.UTC().Format(time.RFC3339)).
			WithField("MaxAllowedSkewMilliseconds", strconv.FormatInt(MaxClockSkew.Milliseconds(), 10))
	}
	// AWS requires x-amz-content-sha256 on every SigV4 header-signed S3
	// request, and so do we: without it there is no way to tell a signed
	// payload from an unsigned one.
	contentSHA := r.Header.Get("X-Amz-Content-Sha256")
	if contentSHA == "" {
		return nil, errMissingContentSHA256
	}
	mode, sum, err := parsePayloadMode(contentSHA)
	if err != nil {
		return nil, err
	}
	secret, err := v.secretOf(r.Context(), p.accessKey)
	if err != nil {
		return nil, err
	}
	key := v.keys.get(secret, p.date, p.region)
	seed, err := checkSignature(r, q, &p, amzDate, contentSHA, &key, false)
	if err != nil {
		return nil, err
	}
	if err := checkAllAmzSigned(r, p.signedHeaders); err != nil {
		return nil, err
	}
	return newResult(r, p.accessKey, mode, sum, chunkSigner{key: key, amzDate: amzDate, scope: p.scope, seed: seed})
}

// verifyPresigned authenticates a presigned URL.
func (v *Verifier) verifyPresigned(r *http.Request, q queryParams) (*Result, error) {
	p, err := parsePresigned(q)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(&p, p.amzDate, true); err != nil {
		return nil, err
	}
	t, _ := time.Parse(amzDateLayout, p.amzDate) // checked by parsePresigned
	now := v.now()
	if t.Sub(now) > MaxClockSkew {
		return nil, errNotYetValid
	}
	if now.Sub(t) > p.expires {
		return nil, errExpired
	}
	// A presigned URL signs no payload, unless the client also sent (and
	// signed the value of) x-amz-content-sha256.
	contentSHA := r.Header.Get("X-Amz-Content-Sha256")
	if contentSHA == "" {
		contentSHA = unsignedPayload
	}
	mode, sum, err := parsePayloadMode(contentSHA)
	if err != nil {
		return nil, err
	}
	if mode != payloadUnsigned && mode != payloadSHA256 {
		return nil, errPresignStreaming
	}
	secret, err := v.secretOf(r.Context(), p.accessKey)
	if err != nil {
		return nil, err
	}
	key := v.keys.get(secret, p.date, p.region)
	if _, err := checkSignature(r, q, &p, p.amzDate, contentSHA, &key, true); err != nil {
		return nil, err
	}
	if err := checkAllAmzSigned(r, p.signedHeaders); err != nil {
		return nil, err
	}
	return newResult(r, p.accessKey, mode, sum, chunkSigner{})
}

// checkAllAmzSigned refuses a request carrying an x-amz-* header that its
// signature does not cover, as AWS does (403 AccessDenied, "There were
// headers present in the request which were not signed"). Without it, the
// holder of a presigned PUT URL could add x-amz-copy-source and turn the
// upload into a copy of any object the signer can read, or add ACL,
// tagging or metadata headers the signer never approved.
func checkAllAmzSigned(r *http.Request, signedHeaders string) error {
	for name := range r.Header {
		if len(name) < 6 || !strings.EqualFold(name[:6], "x-amz-") {
			continue
		}
		if !listHas(signedHeaders, strings.ToLower(name)) {
			return errHeadersNotSigned.WithField("HeadersNotSigned", strings.ToLower(name))
		}
	}
	return nil
}

// listHas reports whether the ';'-separated list holds name.
func listHas(list, name string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ";")
		if item == name {
			return true
		}
	}
	return false
}

// headerDate returns the request time from X-Amz-Date, or else from Date,
// with its ISO 8601 form used in the string to sign.
func headerDate(r *http.Request) (string, time.Time, error) {
	if s := r.Header.Get("X-Amz-Date"); s != "" {
		t, err := time.Parse(amzDateLayout, s)
		if err != nil {
			return "", time.Time{}, errMissingDate
		}
		return s, t, nil
	}
	if s := r.Header.Get("Date"); s != "" {
		t, err := http.ParseTime(s)
		if err != nil {
			return "", time.Time{}, errMissingDate
		}
		t = t.UTC()
		return t.Format(amzDateLayout), t, nil
	}
	return "", time.Time{}, errMissingDate
}

// bufPool holds the buffers canonical requests and strings to sign are
// built in, so that verifying a request allocates little.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// checkSignature computes the request's signature and compares it with the
// one the client sent. It returns the signature, which seeds the chain of
// chunk signatures of a streaming payload.
//
// The canonical URI is built from the path as decoded and re-encoded the
// AWS way. A client that signed its path exactly as it sent it, with some
// characters left unencoded, gets a second chance with the path verbatim:
// both name the same object, so accepting either gives nothing away.
func checkSignature(r *http.Request, q queryParams, p *sigParams, amzDate, payloadHash string, key *[32]byte, presigned bool) ([32]byte, error) {
	bp := bufPool.Get().(*[]byte)
	defer func() {
		// A request with an outsized query would pin its buffer forever.
		if cap(*bp) <= 64<<10 {
			bufPool.Put(bp)
		}
	}()
	buf := *bp

	path := r.URL.EscapedPath()
	var sig [32]byte
	var ok bool
	buf, sig, ok = trySignature(buf[:0], r, q, p, amzDate, payloadHash, key, presigned, path, true)
	if !ok && path != "" && string(appendCanonicalURI(buf[:0], path)) != path {
		buf, sig, ok = trySignature(buf[:0], r, q, p, amzDate, payloadHash, key, presigned, path, false)
	}
	*bp = buf
	if !ok {
		return sig, s3err.SignatureDoesNotMatch
	}
	return sig, nil
}

func trySignature(buf []byte, r *http.Request, q queryParams, p *sigParams, amzDate, payloadHash string, key *[32]byte, presigned bool, path string, canonicalPath bool) ([]byte, [32]byte, bool) {
	// The canonical request.
	buf = append(buf, r.Method...)
	buf = append(buf, '\n')
	if canonicalPath {
		buf = appendCanonicalURI(buf, path)
	} else {
		buf = append(buf, path...)
	}
	buf = append(buf, '\n')
	buf = appendCanonicalQuery(buf, q, presigned)
	buf = append(buf, '\n')
	buf = appendCanonicalHeaders(buf, r, p.signedHeaders)
	buf = append(buf, '\n')
	buf = append(buf, p.signedHeaders...)
	buf = append(buf, '\n')
	buf = append(buf, payloadHash...)
	crHash := sha256.Sum256(buf)

	// The string to sign, after the 64 bytes hmacPadded works in.
	buf = append(buf[:0], make([]byte, sha256.BlockSize)...)
	buf = append(buf, algorithm+"\n"...)
	buf = append(buf, amzDate...)
	buf = append(buf, '\n')
	buf = append(buf, p.scope...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, crHash[:])

	sig := hmacPadded(key, buf)
	return buf, sig, hexEqual(p.signature, &sig)
}

// hexEqual reports, in constant time, whether s is the lower-case hex form
// of sum.
func hexEqual(s string, sum *[32]byte) bool {
	if len(s) != 64 {
		return false
	}
	const digits = "0123456789abcdef"
	var d byte
	for i, b := range sum {
		d |= s[2*i] ^ digits[b>>4]
		d |= s[2*i+1] ^ digits[b&15]
	}
	return d == 0
}

// newResult wraps the request body as its payload mode requires.
func newResult(r *http.Request, accessKey string, mode payloadMode, sum [32]byte, cs chunkSigner) (*Result, error) {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	res := &Result{AccessKey: accessKey, ContentLength: r.ContentLength, Trailers: noTrailers}
	switch mode {
	case payloadUnsigned:
		res.Body = &plainBody{body: body}
	case payloadSHA256:
		res.Body = newHashedBody(body, sum)
	default:
		decoded := int64(-1)
		if s := r.Header.Get("X-Amz-Decoded-Content-Length"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return nil, errBadDecodedLength
			}
			decoded = n
		}
		var signer *chunkSigner
		if mode != payloadChunkedUnsigned {
			signer = &cs
		}
		cr := newChunkedReader(body, decoded, signer, mode != payloadChunkedSigned, r.Header.Values("X-Amz-Trailer"))
		res.Body = cr
		res.ContentLength = decoded
		res.Trailers = cr.Trailers
	}
	if res.ContentLength < 0 {
		res.ContentLength = -1
	}
	return res, nil
}

func noTrailers() http.Header { return nil }
