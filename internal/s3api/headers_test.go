package s3api

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

func TestParseTagging(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		err  *s3err.Error
	}{
		{"", nil, nil},
		{"a=1", map[string]string{"a": "1"}, nil},
		{"a=1&b=two%20words&c=", map[string]string{"a": "1", "b": "two words", "c": ""}, nil},
		{"k%2Bx=v+y", map[string]string{"k+x": "v y"}, nil},
		{"a=1&a=2", nil, s3err.InvalidTag},
		{"=v", nil, s3err.InvalidTag},
		{"aws:x=1", nil, s3err.InvalidTag},
		{strings.Repeat("k", 129) + "=v", nil, s3err.InvalidTag},
		{"k=" + strings.Repeat("v", 257), nil, s3err.InvalidTag},
		{"a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1", nil, s3err.InvalidTag},
		{"a=%zz", nil, s3err.InvalidArgument},
	}
	for _, tt := range tests {
		got, err := parseTagging(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("parseTagging(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseTagging(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestObjectMeta(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "text/plain")
	h.Add("Content-Encoding", "aws-chunked, gzip")
	h.Set("Content-Disposition", "attachment")
	h.Set("Content-Language", "en")
	h.Set("Cache-Control", "no-cache")
	h.Set("Expires", "Thu, 01 Dec 2094 16:00:00 GMT")
	h.Set("X-Amz-Meta-Color", "blue")
	h.Add("x-amz-meta-Multi", "a")
	h.Add("x-amz-meta-Multi", "b")
	h.Set("X-Amz-Meta-", "no name: ignored")
	m, err := objectMeta(h)
	if err != nil {
		t.Fatal(err)
	}
	want := object.ObjectMeta{
		ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "attachment",
		ContentLanguage: "en", CacheControl: "no-cache", Expires: "Thu, 01 Dec 2094 16:00:00 GMT",
		User: map[string]string{"color": "blue", "multi": "a,b"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("objectMeta = %+v, want %+v", m, want)
	}

	m, err = objectMeta(http.Header{"Content-Encoding": {"aws-chunked"}})
	if err != nil || m.ContentType != defaultContentType || m.ContentEncoding != "" || m.User != nil {
		t.Errorf("objectMeta(empty) = %+v, %v", m, err)
	}

	// 2 KiB of keys and values is allowed, one byte more is not.
	h = http.Header{}
	h.Set("X-Amz-Meta-K", strings.Repeat("v", 2047))
	if _, err := objectMeta(h); err != nil {
		t.Errorf("2048 bytes of metadata: %v", err)
	}
	h.Set("X-Amz-Meta-K", strings.Repeat("v", 2048))
	if _, err := objectMeta(h); !errors.Is(err, s3err.MetadataTooLarge) {
		t.Errorf("2049 bytes of metadata: %v, want MetadataTooLarge", err)
	}
}

func TestContentMD5(t *testing.T) {
	tests := []struct {
		h   http.Header
		len int
		err bool
	}{
		{http.Header{}, 0, false},
		{http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, 16, false},
		{http.Header{"Content-Md5": {""}}, 0, true},
		{http.Header{"Content-Md5": {"not base64!"}}, 0, true},
		{http.Header{"Content-Md5": {"AAAA"}}, 0, true},
	}
	for _, tt := range tests {
		b, err := contentMD5(tt.h)
		if tt.err != errors.Is(err, s3err.InvalidDigest) || len(b) != tt.len {
			t.Errorf("contentMD5(%v) = %x, %v", tt.h, b, err)
		}
	}
}

func TestChecksumInput(t *testing.T) {
	trailers := func() http.Header { return http.Header{"X-Amz-Checksum-Crc32c": {"yZRlqg=="}} }
	tests := []struct {
		h       http.Header
		algo    string
		value   string
		trailer string
		err     bool
	}{
		{h: http.Header{}},
		{h: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}, algo: "CRC32", value: "AAAAAA=="},
		{h: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}, "X-Amz-Sdk-Checksum-Algorithm": {"crc32"}}, algo: "CRC32", value: "AAAAAA=="},
		{h: http.Header{"X-Amz-Checksum-Sha256": {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}, algo: "SHA256", value: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{h: http.Header{"X-Amz-Sdk-Checksum-Algorithm": {"CRC64NVME"}}, algo: "CRC64NVME"},
		{h: http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32c"}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC32C"}}, algo: "CRC32C", trailer: "yZRlqg=="},
		{h: http.Header{"X-Amz-Checksum-Crc32": {"AAAA"}}, err: true},
		{h: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}, "X-Amz-Checksum-Sha1": {"2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}, err: true},
		{h: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}, "X-Amz-Sdk-Checksum-Algorithm": {"SHA1"}}, err: true},
		{h: http.Header{"X-Amz-Sdk-Checksum-Algorithm": {"MD5"}}, err: true},
		{h: http.Header{"X-Amz-Trailer": {"x-amz-checksum-md5"}}, err: true},
		{h: http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}, "X-Amz-Checksum-Crc32": {"AAAAAA=="}}, err: true},
	}
	for _, tt := range tests {
		in, err := checksumInput(tt.h, trailers)
		if tt.err {
			if !errors.Is(err, s3err.InvalidRequest) {
				t.Errorf("checksumInput(%v) error = %v, want InvalidRequest", tt.h, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("checksumInput(%v): %v", tt.h, err)
			continue
		}
		if tt.algo == "" {
			if in != nil {
				t.Errorf("checksumInput(%v) = %+v, want nil", tt.h, in)
			}
			continue
		}
		if in == nil || in.Algorithm != tt.algo || in.Value != tt.value {
			t.Errorf("checksumInput(%v) = %+v, want %s %q", tt.h, in, tt.algo, tt.value)
			continue
		}
		if tt.trailer != "" && (in.Trailer == nil || in.Trailer() != tt.trailer) {
			t.Errorf("checksumInput(%v): trailer value wrong", tt.h)
		}
	}
	// No trailers at all (the body had none): the value is empty, no panic.
	in, err := checksumInput(http.Header{"X-Amz-Trailer": {"x-amz-checksum-sha1"}}, nil)
	if err != nil || in.Trailer() != "" {
		t.Errorf("checksumInput without trailers = %+v, %v", in, err)
	}
}

func TestConditions(t *testing.T) {
	h := http.Header{}
	h.Set("If-Match", `"abc"`)
	h.Set("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")
	h.Set("If-Unmodified-Since", "yesterday")
	c := conditions(h, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")
	if c.IfMatch != `"abc"` || c.IfNoneMatch != "" || c.IfModifiedSince == nil ||
		c.IfModifiedSince.Year() != 1994 || c.IfUnmodifiedSince != nil {
		t.Errorf("conditions = %+v", c)
	}
}
