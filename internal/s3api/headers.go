package s3api

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// maxUserMetadata is the S3 limit on user metadata: the sum of the UTF-8
// lengths of every x-amz-meta-* key (without the prefix) and value.
const maxUserMetadata = 2 << 10

const metaPrefix = "X-Amz-Meta-"

// defaultContentType is what S3 reports for an object stored without a
// Content-Type.
const defaultContentType = "binary/octet-stream"

// objectMeta reads the entity headers and user metadata S3 stores with an
// object.
func objectMeta(h http.Header) (object.ObjectMeta, error) {
	m := object.ObjectMeta{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Values("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	if m.ContentType == "" {
		m.ContentType = defaultContentType
	}
	size := 0
	for name, values := range h {
		if len(name) <= len(metaPrefix) || !strings.EqualFold(name[:len(metaPrefix)], metaPrefix) {
			continue
		}
		k := strings.ToLower(name[len(metaPrefix):])
		// Repeated headers are one value joined by commas, as HTTP
		// defines and as S3 stores them.
		v := latin1IfNotUTF8(strings.Join(values, ","))
		size += len(k) + len(v)
		if m.User == nil {
			m.User = make(map[string]string)
		}
		m.User[k] = v
	}
	if size > maxUserMetadata {
		return m, s3err.MetadataTooLarge.WithMessage("Your metadata headers exceed the maximum allowed metadata size: %d bytes, the limit is %d.", size, maxUserMetadata)
	}
	return m, nil
}

// latin1IfNotUTF8 returns s as UTF-8: unchanged when it is UTF-8, else
// read as ISO-8859-1, the historical charset of HTTP header bytes above
// 0x7F (RFC 9110 section 5.5; Python's http.client sends it). Stored as
// is, such bytes would be lost: the metadata is kept as UTF-8 text.
func latin1IfNotUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// stripAWSChunked removes the aws-chunked coding, which describes the
// transfer of the body and not the object, from Content-Encoding, and
// keeps the rest exactly as sent ("gzip, br" stays "gzip, br").
func stripAWSChunked(values []string) string {
	var out []string
	for _, v := range values {
		if !strings.Contains(strings.ToLower(v), "aws-chunked") {
			if strings.TrimSpace(v) != "" {
				out = append(out, v)
			}
			continue
		}
		var kept []string
		for _, c := range strings.Split(v, ",") {
			if t := strings.TrimSpace(c); t != "" && !strings.EqualFold(t, "aws-chunked") {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, ","))
		}
	}
	return strings.Join(out, ",")
}

// metaValue is how a user metadata value is sent back: as stored when it
// is printable US-ASCII, else as RFC 2047 encoded words (UTF-8, base64),
// which is what AWS answers ("Working with object metadata": non-ASCII
// values are returned RFC 2047 encoded) and what SDKs decode.
func metaValue(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 0x7f || (c < ' ' && c != '\t') {
			return mime.BEncoding.Encode("UTF-8", v)
		}
	}
	return v
}

// setObjectHeaders writes the headers that describe an object on GET and
// HEAD. Its Content-Length, range and part headers are the caller's.
func setObjectHeaders(h http.Header, info object.ObjectInfo, checksums bool) {
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	ct := info.Meta.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	h.Set("Content-Type", ct)
	setIf(h, "Content-Encoding", info.Meta.ContentEncoding)
	setIf(h, "Content-Disposition", info.Meta.ContentDisposition)
	setIf(h, "Content-Language", info.Meta.ContentLanguage)
	setIf(h, "Cache-Control", info.Meta.CacheControl)
	setIf(h, "Expires", info.Meta.Expires)
	for k, v := range info.Meta.User {
		// Set the map entry directly: canonicalising would not change what
		// clients read, but keeps the key exactly as it was stored.
		h["X-Amz-Meta-"+k] = []string{metaValue(v)}
	}
	setIf(h, "x-amz-version-id", info.VersionID)
	if info.IsDeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
	if info.TagCount > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(info.TagCount))
	}
	if info.StorageClass != "" && info.StorageClass != "STANDARD" {
		// S3 omits the header for STANDARD.
		h.Set("x-amz-storage-class", info.StorageClass)
	}
	if checksums {
		setChecksumHeaders(h, info.Checksums, info.ChecksumType)
	}
	setLockHeaders(h, info.Lock)
	setExpirationHeader(h, info.Expiration)
}

// setPartsCount writes x-amz-mp-parts-count, which AWS sends only when
// the request named a part of a multipart object (GetObject, HeadObject).
func setPartsCount(h http.Header, info object.ObjectInfo, partNumber int) {
	if partNumber > 0 && info.PartsCount > 0 {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(info.PartsCount))
	}
}

func setIf(h http.Header, name, value string) {
	if value != "" {
		h.Set(name, value)
	}
}

// setChecksumHeaders writes x-amz-checksum-<algorithm> for each stored
// checksum, and x-amz-checksum-type.
func setChecksumHeaders(h http.Header, sums map[string]string, typ string) {
	for algo, v := range sums {
		h.Set("x-amz-checksum-"+strings.ToLower(algo), v)
	}
	if len(sums) > 0 && typ != "" {
		h.Set("x-amz-checksum-type", typ)
	}
}

// responseOverrides are the GetObject query parameters that replace a
// response header.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// applyResponseOverrides sets the headers GetObject's response-* query
// parameters ask for.
func applyResponseOverrides(h http.Header, q url.Values) {
	for _, o := range responseOverrides {
		if v := q.Get(o.param); v != "" {
			h.Set(o.header, v)
		}
	}
}

// conditions reads the HTTP preconditions from h, under the given header
// names (the plain ones for GET and HEAD, x-amz-copy-source-if-* for a
// copy source). Dates that do not parse are ignored, as HTTP requires
// and AWS does.
func conditions(h http.Header, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string) object.Conditions {
	return object.Conditions{
		IfMatch:           h.Get(ifMatch),
		IfNoneMatch:       h.Get(ifNoneMatch),
		IfModifiedSince:   httpDate(h.Get(ifModifiedSince)),
		IfUnmodifiedSince: httpDate(h.Get(ifUnmodifiedSince)),
	}
}

func httpDate(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return nil
	}
	return &t
}

// checksumAlgorithms maps the lower-case name used in headers to the
// upper-case name used in x-amz-sdk-checksum-algorithm and in the object
// service, with the length of the decoded value.
var checksumAlgorithms = map[string]struct {
	name string
	size int
}{
	"crc32":     {"CRC32", 4},
	"crc32c":    {"CRC32C", 4},
	"crc64nvme": {"CRC64NVME", 8},
	"sha1":      {"SHA1", 20},
	"sha256":    {"SHA256", 32},
}

// checksumAlgorithm normalises an algorithm name (any case) and reports
// whether it is one S3 supports.
func checksumAlgorithm(s string) (string, bool) {
	a, ok := checksumAlgorithms[strings.ToLower(s)]
	return a.name, ok
}

var errUnsupportedChecksum = s3err.InvalidRequest.WithMessage("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")

// checksumInput reads the checksum a write asks for: a value in an
// x-amz-checksum-<algorithm> header, or a value announced in x-amz-trailer
// and read from the trailers after the body, or only an algorithm in
// x-amz-sdk-checksum-algorithm (the server computes it). trailers may be
// nil. It returns nil when the request asks for no checksum.
func checksumInput(h http.Header, trailers func() http.Header) (*object.ChecksumInput, error) {
	var in *object.ChecksumInput
	for lower, a := range checksumAlgorithms {
		v := h.Get("x-amz-checksum-" + lower)
		if v == "" {
			continue
		}
		if in != nil {
			return nil, s3err.InvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		if b, err := base64.StdEncoding.DecodeString(v); err != nil || len(b) != a.size {
			return nil, s3err.InvalidRequest.WithMessage("Value for x-amz-checksum-%s header is invalid.", lower)
		}
		in = &object.ChecksumInput{Algorithm: a.name, Value: v}
	}
	if t := strings.TrimSpace(h.Get("x-amz-trailer")); t != "" {
		lower, ok := strings.CutPrefix(strings.ToLower(t), "x-amz-checksum-")
		a, known := checksumAlgorithms[lower]
		if !ok || !known {
			return nil, s3err.InvalidRequest.WithMessage("The value specified in the x-amz-trailer header is not supported")
		}
		if in != nil {
			return nil, s3err.InvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		name := "x-amz-checksum-" + lower
		in = &object.ChecksumInput{Algorithm: a.name, Trailer: func() string {
			if trailers == nil {
				return ""
			}
			if th := trailers(); th != nil {
				return th.Get(name)
			}
			return ""
		}}
	}
	if s := h.Get("x-amz-sdk-checksum-algorithm"); s != "" {
		algo, ok := checksumAlgorithm(s)
		if !ok {
			return nil, errUnsupportedChecksum
		}
		if in == nil {
			in = &object.ChecksumInput{Algorithm: algo}
		} else if in.Algorithm != algo {
			return nil, s3err.InvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return in, nil
}

// Tag limits from the S3 documentation on object tagging.
const (
	maxObjectTags  = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// parseTagging parses the x-amz-tagging header: tags as a URL query
// string ("k1=v1&k2=v2"). It returns nil for an empty header.
func parseTagging(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, s3err.InvalidArgument.WithMessage("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	if len(q) > maxObjectTags {
		return nil, s3err.InvalidTag.WithMessage("Object tags cannot be greater than %d", maxObjectTags)
	}
	tags := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, s3err.InvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		v := vs[0]
		if k == "" || utf8.RuneCountInString(k) > maxTagKeyLen || !utf8.ValidString(k) {
			return nil, s3err.InvalidTag.WithMessage("The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(v) > maxTagValueLen || !utf8.ValidString(v) {
			return nil, s3err.InvalidTag.WithMessage("The TagValue you have provided is invalid")
		}
		if strings.HasPrefix(k, "aws:") {
			return nil, s3err.InvalidTag.WithMessage("Your TagKey cannot be prefixed with aws:")
		}
		tags[k] = v
	}
	return tags, nil
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
