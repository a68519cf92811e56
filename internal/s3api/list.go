package s3api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// maxListKeys is both the default and the largest page of a listing.
const maxListKeys = 1000

// listParams are the query parameters ListObjects v1 and v2 share.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	urlEncode         bool
}

// parseListParams reads prefix, delimiter, max-keys and encoding-type.
func parseListParams(q url.Values) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: maxListKeys}
	if s, ok := q["max-keys"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 0 {
			return p, s3err.InvalidArgument.WithMessage("Provided max-keys not an integer or within integer range")
		}
		p.maxKeys = min(n, maxListKeys)
	}
	switch e := q.Get("encoding-type"); e {
	case "":
	case "url":
		p.urlEncode = true
	default:
		return p, s3err.InvalidArgument.WithMessage("Invalid Encoding Method specified in Request")
	}
	return p, nil
}

// encodeName URL-encodes a key, prefix, delimiter or marker for
// encoding-type=url the way S3 does: every byte other than the unreserved
// characters of RFC 3986 and '/' is percent-encoded in upper-case hex, so
// a space is "%20" (never '+', which SDKs would decode as a plus or a
// space depending on the decoder), a '+' is "%2B" and control characters
// survive an XML 1.0 document.
func encodeName(s string, enable bool) string {
	if !enable {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// list runs the listing, or answers an empty page for max-keys=0 once the
// bucket is known to exist.
func (a *api) list(rq *request, p listParams, marker string) (object.ListResult, error) {
	if p.maxKeys == 0 {
		_, err := a.objects.HeadBucket(rq.ctx(), rq.bucket)
		return object.ListResult{}, err
	}
	return a.objects.ListObjects(rq.ctx(), object.ListInput{
		Bucket:    rq.bucket,
		Prefix:    p.prefix,
		Delimiter: p.delimiter,
		Marker:    skipRolledUp(marker, p.prefix, p.delimiter),
		MaxKeys:   p.maxKeys,
	})
}

// skipRolledUp returns the marker to list from. When the marker is a common
// prefix (as NextMarker and continuation tokens are after a page that ended
// on one), every key under it was already reported as that prefix, so the
// listing resumes after all of them, as S3 does: the marker is extended
// with a 0xFF byte, which sorts after every UTF-8 key that starts with it.
func skipRolledUp(marker, prefix, delimiter string) string {
	if delimiter == "" || !strings.HasPrefix(marker, prefix) {
		return marker
	}
	rest := marker[len(prefix):]
	if i := strings.Index(rest, delimiter); i >= 0 && i+len(delimiter) == len(rest) {
		return marker + "\xff"
	}
	return marker
}

// entries converts listed objects to XML entries, with their owner when
// withOwner is set.
func entries(objs []object.ObjectInfo, p listParams, o *owner) []listEntry {
	out := make([]listEntry, 0, len(objs))
	for _, info := range objs {
		e := listEntry{
			Key:          encodeName(info.Key, p.urlEncode),
			LastModified: xmlTime(info.LastModified),
			ETag:         info.ETag,
			Size:         info.Size,
			Owner:        o,
			StorageClass: info.StorageClass,
		}
		if e.StorageClass == "" {
			e.StorageClass = "STANDARD"
		}
		for _, algo := range []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"} {
			if info.Checksums[algo] != "" {
				e.ChecksumAlgorithm = append(e.ChecksumAlgorithm, algo)
			}
		}
		if len(e.ChecksumAlgorithm) > 0 {
			e.ChecksumType = info.ChecksumType
		}
		out = append(out, e)
	}
	return out
}

func prefixes(ps []string, p listParams) []commonPrefix {
	out := make([]commonPrefix, 0, len(ps))
	for _, s := range ps {
		out = append(out, commonPrefix{Prefix: encodeName(s, p.urlEncode)})
	}
	return out
}

// listObjects serves ListObjects version 1 (GET /bucket).
func (a *api) listObjects(rq *request) error {
	q := rq.r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	marker := q.Get("marker")
	res, err := a.list(rq, p, marker)
	if err != nil {
		return err
	}
	o := rq.requester()
	out := listBucketResult{
		NS:             s3NS,
		Name:           rq.bucket,
		Prefix:         encodeName(p.prefix, p.urlEncode),
		Marker:         encodeName(marker, p.urlEncode),
		MaxKeys:        p.maxKeys,
		Delimiter:      encodeName(p.delimiter, p.urlEncode),
		IsTruncated:    res.IsTruncated,
		Contents:       entries(res.Objects, p, &o),
		CommonPrefixes: prefixes(res.CommonPrefixes, p),
	}
	if p.urlEncode {
		out.EncodingType = "url"
	}
	// AWS sends NextMarker only with a delimiter; without one, clients
	// continue from the last key returned.
	if res.IsTruncated && p.delimiter != "" {
		out.NextMarker = encodeName(res.NextMarker, p.urlEncode)
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}

// listObjectsV2 serves ListObjectsV2 (GET /bucket?list-type=2).
func (a *api) listObjectsV2(rq *request) error {
	q := rq.r.URL.Query()
	if lt := q.Get("list-type"); lt != "2" {
		return s3err.InvalidArgument.WithMessage("Invalid list-type %q.", lt)
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	startAfter := q.Get("start-after")
	token, hasToken := q["continuation-token"]
	marker := startAfter
	// An empty token lists from the start, as AWS does (ceph s3-tests
	// test_bucket_listv2_continuationtoken_empty: the answer echoes it).
	if hasToken && token[0] != "" {
		last, err := decodeContinuationToken(token[0])
		if err != nil {
			return err
		}
		marker = max(marker, last)
	}
	res, err := a.list(rq, p, marker)
	if err != nil {
		return err
	}
	var o *owner
	if q.Get("fetch-owner") == "true" {
		ow := rq.requester()
		o = &ow
	}
	out := listBucketResultV2{
		NS:             s3NS,
		Name:           rq.bucket,
		Prefix:         encodeName(p.prefix, p.urlEncode),
		StartAfter:     encodeName(startAfter, p.urlEncode),
		MaxKeys:        p.maxKeys,
		Delimiter:      encodeName(p.delimiter, p.urlEncode),
		IsTruncated:    res.IsTruncated,
		Contents:       entries(res.Objects, p, o),
		CommonPrefixes: prefixes(res.CommonPrefixes, p),
		KeyCount:       len(res.Objects) + len(res.CommonPrefixes),
	}
	if hasToken {
		out.ContinuationToken = &token[0]
	}
	if res.IsTruncated {
		out.NextContinuationToken = encodeContinuationToken(res.NextMarker)
	}
	if p.urlEncode {
		out.EncodingType = "url"
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}

// Continuation tokens are opaque to clients; ours carry the last key or
// common prefix returned, so any node can continue any listing without
// server-side state.
func encodeContinuationToken(lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

var errBadToken = s3err.InvalidArgument.WithMessage("The continuation token provided is incorrect")

func decodeContinuationToken(token string) (string, error) {
	if token == "" {
		return "", errBadToken
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !utf8.Valid(b) || len(b) > maxKeyLength {
		return "", errBadToken
	}
	return string(b), nil
}
