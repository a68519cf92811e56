package s3api

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/anode/anode/internal/s3err"
)

func TestParseListParams(t *testing.T) {
	tests := []struct {
		query string
		want  listParams
		err   bool
	}{
		{"", listParams{maxKeys: 1000}, false},
		{"prefix=a/&delimiter=/", listParams{prefix: "a/", delimiter: "/", maxKeys: 1000}, false},
		{"max-keys=5", listParams{maxKeys: 5}, false},
		{"max-keys=0", listParams{maxKeys: 0}, false},
		{"max-keys=5000", listParams{maxKeys: 1000}, false},
		{"encoding-type=url", listParams{maxKeys: 1000, urlEncode: true}, false},
		{"max-keys=-1", listParams{}, true},
		{"max-keys=abc", listParams{}, true},
		{"max-keys=", listParams{}, true},
		{"max-keys=99999999999999999999", listParams{}, true},
		{"encoding-type=base64", listParams{}, true},
		{"encoding-type=URL", listParams{}, true},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := parseListParams(q)
		if tt.err {
			if !errors.Is(err, s3err.InvalidArgument) {
				t.Errorf("parseListParams(%q) error = %v, want InvalidArgument", tt.query, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseListParams(%q) = %+v, %v; want %+v", tt.query, got, err, tt.want)
		}
	}
}

func TestContinuationToken(t *testing.T) {
	for _, key := range []string{"a", "dir/sub/", "日本 + %2F", "\x00"} {
		got, err := decodeContinuationToken(encodeContinuationToken(key))
		if err != nil || got != key {
			t.Errorf("token round trip of %q = %q, %v", key, got, err)
		}
	}
	for _, bad := range []string{"", "!!!", "_w", encodeContinuationToken("\xff")} {
		if _, err := decodeContinuationToken(bad); !errors.Is(err, s3err.InvalidArgument) {
			t.Errorf("decodeContinuationToken(%q) = %v, want InvalidArgument", bad, err)
		}
	}
}

// TestEncodeName checks that encoding-type=url output decodes back, with
// the query-unescaping every SDK uses, to the original name.
func TestEncodeName(t *testing.T) {
	for _, s := range []string{"plain", "a b", "a+b", "100%", "dir/sub/", "日本", "a&b<c>", "\x01"} {
		enc := encodeName(s, true)
		dec, err := url.QueryUnescape(enc)
		if err != nil || dec != s {
			t.Errorf("encodeName(%q) = %q, decodes to %q, %v", s, enc, dec, err)
		}
		if encodeName(s, false) != s {
			t.Errorf("encodeName(%q, false) changed it", s)
		}
	}
	for in, want := range map[string]string{"a b/c": "a%20b/c", "a+b": "a%2Bb", "~x_y-z.": "~x_y-z.", "\x01é": "%01%C3%A9"} {
		if got := encodeName(in, true); got != want {
			t.Errorf("encodeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSkipRolledUp(t *testing.T) {
	tests := []struct{ marker, prefix, delimiter, want string }{
		{"q/", "", "/", "q/\xff"},
		{"a/b/", "a/", "/", "a/b/\xff"},
		{"a/b/c", "a/", "/", "a/b/c"},
		{"a/b/c/", "a/", "/", "a/b/c/"}, // not the prefix a/ rolls up to
		{"q/", "", "", "q/"},
		{"x/", "a/", "/", "x/"},
		{"", "", "/", ""},
		{"abXY", "ab", "XY", "abXY\xff"},
	}
	for _, tt := range tests {
		if got := skipRolledUp(tt.marker, tt.prefix, tt.delimiter); got != tt.want {
			t.Errorf("skipRolledUp(%q, %q, %q) = %q, want %q", tt.marker, tt.prefix, tt.delimiter, got, tt.want)
		}
	}
	// The extended marker sorts after every key under the prefix and
	// before the next one.
	m := skipRolledUp("q/", "", "/")
	if !(m > "q/"+strings.Repeat("\U0010FFFF", 200) && m < "q0") {
		t.Errorf("marker %q does not separate q/... from q0", m)
	}
}
