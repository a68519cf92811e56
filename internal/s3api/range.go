package s3api

import (
	"math"
	"strconv"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// parseRange parses a Range header of the one form S3 serves: a single
// byte range, "bytes=a-b", "bytes=a-" or "bytes=-n".
//
// Like AWS it ignores (returns nil, nil) what it cannot use: an empty
// header, another unit, several ranges, bad syntax, or a last byte before
// the first; the whole object is then served. A range that parses but can
// never be satisfied ("bytes=-0", a first byte beyond any size) returns
// s3err.InvalidRange.
func parseRange(s string) (*object.Range, error) {
	unit, spec, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return nil, nil
	}
	if strings.Contains(spec, ",") {
		return nil, nil
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, ok := parseDigits(last)
		switch {
		case !ok:
			return nil, nil
		case n == 0:
			return nil, s3err.InvalidRange
		}
		return &object.Range{SuffixLength: n}, nil
	}
	start, ok := parseDigits(first)
	if !ok {
		return nil, nil
	}
	if start == math.MaxInt64 {
		return nil, s3err.InvalidRange
	}
	if last == "" {
		return &object.Range{Start: start, End: -1}, nil
	}
	end, ok := parseDigits(last)
	if !ok || end < start {
		return nil, nil
	}
	if end == math.MaxInt64 {
		end = -1 // beyond any object: to the end
	}
	return &object.Range{Start: start, End: end}, nil
}

// parseDigits parses a non-empty run of ASCII digits. Values too large for
// an int64 saturate at math.MaxInt64: they are valid syntax, only too big.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64, true
	}
	return n, true
}

// resolveRange applies a parsed range to an object of the given size and
// returns the inclusive byte offsets to serve, or ok=false when the range
// is not satisfiable.
func resolveRange(r *object.Range, size int64) (start, end int64, ok bool) {
	if size <= 0 {
		return 0, 0, false
	}
	if r.SuffixLength > 0 {
		start = size - r.SuffixLength
		if start < 0 {
			start = 0
		}
		return start, size - 1, true
	}
	if r.Start >= size {
		return 0, 0, false
	}
	end = r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	return r.Start, end, true
}

// contentRange formats a Content-Range header value.
func contentRange(start, end, size int64) string {
	return "bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10) + "/" + strconv.FormatInt(size, 10)
}
