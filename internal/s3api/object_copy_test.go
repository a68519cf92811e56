package s3api

import (
	"errors"
	"net/http"
	"testing"

	"github.com/anode/anode/internal/s3err"
)

func TestParseCopySource(t *testing.T) {
	tests := []struct {
		in  string
		src copySource
		err *s3err.Error
	}{
		{"bucket/key", copySource{"bucket", "key", ""}, nil},
		{"/bucket/key", copySource{"bucket", "key", ""}, nil},
		{"/bucket/a/b/c", copySource{"bucket", "a/b/c", ""}, nil},
		{"bucket/a%20b%2Bc+d", copySource{"bucket", "a b+c+d", ""}, nil},
		{"bucket/what%3F", copySource{"bucket", "what?", ""}, nil},
		{"bucket/%E6%97%A5", copySource{"bucket", "日", ""}, nil},
		{"bucket/../x", copySource{"bucket", "../x", ""}, nil},
		{"bucket/key?versionId=abc", copySource{"bucket", "key", "abc"}, nil},
		{"bucket/key?versionId=", copySource{}, s3err.InvalidArgument},
		{"bucket/key?other=1", copySource{}, s3err.InvalidArgument},
		{"", copySource{}, s3err.InvalidArgument},
		{"bucket", copySource{}, s3err.InvalidArgument},
		{"bucket/", copySource{}, s3err.InvalidArgument},
		{"/key", copySource{}, s3err.InvalidArgument},
		{"bucket/%zz", copySource{}, s3err.InvalidArgument},
		{"Bad_Bucket/key", copySource{}, s3err.InvalidBucketName},
		{"bucket/%FF", copySource{}, s3err.InvalidArgument},
	}
	for _, tt := range tests {
		src, err := parseCopySource(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("parseCopySource(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || src != tt.src {
			t.Errorf("parseCopySource(%q) = %+v, %v; want %+v", tt.in, src, err, tt.src)
		}
	}
}

func TestParseDirective(t *testing.T) {
	for _, tt := range []struct {
		v       string
		replace bool
		err     bool
	}{{"", false, false}, {"COPY", false, false}, {"REPLACE", true, false}, {"replace", false, true}, {"MOVE", false, true}} {
		h := http.Header{}
		h.Set("x-amz-metadata-directive", tt.v)
		replace, err := parseDirective(h, "x-amz-metadata-directive")
		if replace != tt.replace || (err != nil) != tt.err || err != nil && !errors.Is(err, s3err.InvalidArgument) {
			t.Errorf("parseDirective(%q) = %v, %v", tt.v, replace, err)
		}
	}
}
