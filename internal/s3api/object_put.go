package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// putObject serves PutObject (PUT /bucket/key).
func (a *api) putObject(rq *request) error {
	h := rq.r.Header
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return err
	}
	body, err := a.uploadBody(rq)
	if err != nil {
		return err
	}
	meta, err := objectMeta(h)
	if err != nil {
		return err
	}
	tags, err := parseTagging(h.Get("x-amz-tagging"))
	if err != nil {
		return err
	}
	lock, err := putLockRequest(h)
	if err != nil {
		return err
	}
	in := object.PutInput{
		Lock:        lock,
		Bucket:      rq.bucket,
		Key:         rq.key,
		Body:        body.r,
		Size:        body.size,
		ContentMD5:  body.md5,
		Meta:        meta,
		Checksum:    body.checksum,
		Tags:        tags,
		IfMatch:     h.Get("If-Match"),
		IfNoneMatch: h.Get("If-None-Match"),
		SSE:         rq.sse.write,
	}
	info, err := a.objects.PutObject(rq.ctx(), in)
	if err != nil {
		return err
	}
	wh := rq.w.Header()
	wh.Set("ETag", info.ETag)
	setIf(wh, "x-amz-version-id", info.VersionID)
	setSSEHeaders(wh, info.Encryption, rq.sse.customerMD5)
	if sum := body.checksum; sum != nil {
		if v := info.Checksums[sum.Algorithm]; v != "" {
			wh.Set("x-amz-checksum-"+strings.ToLower(sum.Algorithm), v)
			setIf(wh, "x-amz-checksum-type", info.ChecksumType)
		}
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// uploadBody is the data of a PutObject or UploadPart request, with what
// the request says about it.
type uploadBody struct {
	r        io.Reader
	size     int64 // -1 when unknown
	md5      []byte
	checksum *object.ChecksumInput
}

// uploadBody reads the body headers shared by PutObject and UploadPart:
// the length, Content-MD5 and the checksum (header or trailer). A body of
// unknown length (aws-chunked without a decoded length) is limited while it
// is read instead.
func (a *api) uploadBody(rq *request) (uploadBody, error) {
	size, err := a.bodySize(rq)
	if err != nil {
		return uploadBody{}, err
	}
	md5sum, err := contentMD5(rq.r.Header)
	if err != nil {
		return uploadBody{}, err
	}
	sum, err := checksumInput(rq.r.Header, rq.auth.Trailers)
	if err != nil {
		return uploadBody{}, err
	}
	b := uploadBody{r: rq.body, size: size, md5: md5sum, checksum: sum}
	if size < 0 {
		b.r = &limitedBody{r: rq.body, left: a.maxBodySize}
	}
	return b, nil
}

// bodySize returns the length of the object body: the decoded length the
// authenticator found (which differs from Content-Length for aws-chunked
// bodies), or -1 when a streaming upload did not announce it or the body
// came with Transfer-Encoding: chunked (read to its end, within the limit).
// Any other body must have a Content-Length, and no body may exceed the
// configured limit.
func (a *api) bodySize(rq *request) (int64, error) {
	size := rq.auth.ContentLength
	httpChunked := len(rq.r.TransferEncoding) > 0
	if size < 0 && !isStreaming(rq.r) && rq.r.ContentLength < 0 && !httpChunked {
		return 0, s3err.MissingContentLength
	}
	if size < 0 && !isStreaming(rq.r) {
		size = rq.r.ContentLength
	}
	if size > a.maxBodySize {
		return 0, s3err.EntityTooLarge.WithMessage("Your proposed upload of %d bytes exceeds the maximum allowed object size of %d bytes.", size, a.maxBodySize)
	}
	return size, nil
}

// isStreaming reports whether the body is aws-chunked encoded.
func isStreaming(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return true
	}
	for _, v := range r.Header.Values("Content-Encoding") {
		if strings.Contains(strings.ToLower(v), "aws-chunked") {
			return true
		}
	}
	return r.Header.Get("X-Amz-Decoded-Content-Length") != ""
}

// contentMD5 decodes the Content-MD5 header: nil when absent, InvalidDigest
// when it is not the base64 of 16 bytes.
func contentMD5(h http.Header) ([]byte, error) {
	v, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(v, "")))
	if err != nil || len(b) != md5.Size {
		return nil, s3err.InvalidDigest
	}
	return b, nil
}

// checkUnsupportedPutHeaders refuses writes that ask for features Anode
// does not have and whose silent loss would surprise the client: keys it
// would expect to need to read the object back, or a redirect.
func checkUnsupportedPutHeaders(h http.Header) error {
	for _, name := range []string{
		"x-amz-website-redirect-location",
	} {
		if h.Get(name) != "" {
			return s3err.NotImplemented.WithMessage("The %s header is not implemented.", name)
		}
	}
	if sc := h.Get("x-amz-storage-class"); sc != "" && !storageClasses[sc] {
		return s3err.InvalidStorageClass
	}
	return nil
}

// storageClasses are the storage class names S3 accepts. Anode stores
// every object the same way; the name is accepted for compatibility.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true,
	"ONEZONE_IA": true, "INTELLIGENT_TIERING": true, "GLACIER": true,
	"DEEP_ARCHIVE": true, "GLACIER_IR": true, "EXPRESS_ONEZONE": true,
	"OUTPOSTS": true, "SNOW": true,
}

// limitedBody fails with EntityTooLarge once more than left bytes have
// been read.
type limitedBody struct {
	r    io.Reader
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, s3err.EntityTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, s3err.EntityTooLarge
	}
	return n, err
}
