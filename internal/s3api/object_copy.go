package s3api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// copySource is a parsed x-amz-copy-source header.
type copySource struct {
	bucket, key, versionID string
}

var errBadCopySource = s3err.InvalidArgument.WithMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")

// parseCopySource parses x-amz-copy-source: "bucket/key" or
// "/bucket/key", URL-encoded, optionally followed by "?versionId=id".
// The version suffix is split off before decoding, so that an encoded
// '?' ("%3F") stays part of the key.
func parseCopySource(s string) (copySource, error) {
	var src copySource
	path, query, hasQuery := strings.Cut(s, "?")
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return src, errBadCopySource
		}
		v, ok := q["versionId"]
		if !ok || len(v) != 1 || v[0] == "" {
			return src, s3err.InvalidArgument.WithMessage("Invalid version id specified")
		}
		src.versionID = v[0]
	}
	path, err := url.PathUnescape(path)
	if err != nil {
		return src, errBadCopySource
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return src, errBadCopySource
	}
	if err := checkBucketName(bucket); err != nil {
		return src, err
	}
	if err := checkKey(key); err != nil {
		return src, err
	}
	src.bucket, src.key = bucket, key
	return src, nil
}

// parseDirective reads a COPY|REPLACE directive header; empty means COPY.
func parseDirective(h http.Header, name string) (replace bool, err error) {
	switch v := h.Get(name); v {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	default:
		return false, s3err.InvalidArgument.WithMessage("Unknown %s directive %q.", name, v)
	}
}

// copyObject serves CopyObject (PUT /bucket/key with x-amz-copy-source).
func (a *api) copyObject(rq *request) error {
	h := rq.r.Header
	if err := noBody(rq); err != nil {
		return err
	}
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return err
	}
	src, err := parseCopySource(h.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	replaceMeta, err := parseDirective(h, "x-amz-metadata-directive")
	if err != nil {
		return err
	}
	replaceTags, err := parseDirective(h, "x-amz-tagging-directive")
	if err != nil {
		return err
	}
	if src.bucket == rq.bucket && src.key == rq.key && src.versionID == "" && !replaceMeta && rq.sse.write == nil {
		return errCopyToItself
	}
	in := object.CopyInput{
		SrcBucket:    src.bucket,
		SrcKey:       src.key,
		SrcVersionID: src.versionID,
		SrcConditions: conditions(h, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
			"x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since"),
		DstBucket:      rq.bucket,
		DstKey:         rq.key,
		ReplaceMeta:    replaceMeta,
		ReplaceTags:    replaceTags,
		SSE:            rq.sse.write,
		SrcCustomerKey: rq.sse.srcKey,
	}
	if replaceMeta {
		if in.Meta, err = objectMeta(h); err != nil {
			return err
		}
	}
	if replaceTags {
		if in.Tags, err = parseTagging(h.Get("x-amz-tagging")); err != nil {
			return err
		}
	}
	if s := h.Get("x-amz-checksum-algorithm"); s != "" {
		algo, ok := checksumAlgorithm(s)
		if !ok {
			return errUnsupportedChecksum
		}
		in.ChecksumAlgo = algo
	}
	info, err := a.objects.CopyObject(rq.ctx(), in)
	if errors.Is(err, s3err.NotModified) {
		// A copy source that fails If-None-Match or If-Modified-Since is a
		// failed precondition, not a 304: there is no cached copy to reuse.
		err = s3err.PreconditionFailed
	}
	if err != nil {
		return err
	}
	wh := rq.w.Header()
	setIf(wh, "x-amz-version-id", info.VersionID)
	setIf(wh, "x-amz-copy-source-version-id", src.versionID)
	setSSEHeaders(wh, info.Encryption, rq.sse.customerMD5)
	res := copyObjectResult{NS: s3NS, LastModified: xmlTime(info.LastModified), ETag: info.ETag}
	if in.ChecksumAlgo != "" || len(info.Checksums) > 0 {
		res.ChecksumType = info.ChecksumType
		res.ChecksumCRC32 = info.Checksums["CRC32"]
		res.ChecksumCRC32C = info.Checksums["CRC32C"]
		res.ChecksumCRC64NVME = info.Checksums["CRC64NVME"]
		res.ChecksumSHA1 = info.Checksums["SHA1"]
		res.ChecksumSHA256 = info.Checksums["SHA256"]
	}
	writeXML(rq.w, http.StatusOK, res)
	return nil
}

// errBodyNotAllowed is AWS's answer to a copy that carries a body
// (versity/versitygw#1242 shows it): the body would be silently dropped.
var errBodyNotAllowed = s3err.InvalidRequest.WithMessage("The request included a body. Requests of this type must not include a non-empty body.")

// noBody refuses a request that must not have a body but has one.
func noBody(rq *request) error {
	if rq.r.ContentLength > 0 || (rq.r.ContentLength < 0 && rq.auth.ContentLength != 0) {
		return errBodyNotAllowed
	}
	return nil
}
