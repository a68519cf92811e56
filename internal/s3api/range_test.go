package s3api

import (
	"errors"
	"math"
	"testing"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		in      string
		want    *object.Range
		invalid bool // InvalidRange
	}{
		{"", nil, false},
		{"bytes=0-0", &object.Range{Start: 0, End: 0}, false},
		{"bytes=0-99", &object.Range{Start: 0, End: 99}, false},
		{"bytes=100-", &object.Range{Start: 100, End: -1}, false},
		{"bytes=-5", &object.Range{SuffixLength: 5}, false},
		{" bytes = 1 - 2 ", &object.Range{Start: 1, End: 2}, false},
		{"BYTES=1-2", &object.Range{Start: 1, End: 2}, false},
		{"bytes=-0", nil, true},
		{"bytes=99999999999999999999-", nil, true},
		{"bytes=0-99999999999999999999", &object.Range{Start: 0, End: -1}, false},
		{"bytes=-99999999999999999999", &object.Range{SuffixLength: math.MaxInt64}, false},
		// Ignored: the whole object is served.
		{"bytes=5-2", nil, false},
		{"bytes=0-1,4-5", nil, false},
		{"bytes=", nil, false},
		{"bytes=-", nil, false},
		{"bytes=a-b", nil, false},
		{"bytes=1", nil, false},
		{"bytes=+1-2", nil, false},
		{"bytes=1-+2", nil, false},
		{"bytes=--1", nil, false},
		{"items=0-1", nil, false},
		{"0-1", nil, false},
	}
	for _, tt := range tests {
		got, err := parseRange(tt.in)
		if tt.invalid {
			if !errors.Is(err, s3err.InvalidRange) {
				t.Errorf("parseRange(%q) error = %v, want InvalidRange", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRange(%q) error = %v", tt.in, err)
			continue
		}
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("parseRange(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestResolveRange(t *testing.T) {
	tests := []struct {
		r          object.Range
		size       int64
		start, end int64
		ok         bool
	}{
		{object.Range{Start: 0, End: 9}, 100, 0, 9, true},
		{object.Range{Start: 90, End: 200}, 100, 90, 99, true},
		{object.Range{Start: 10, End: -1}, 100, 10, 99, true},
		{object.Range{Start: 100, End: -1}, 100, 0, 0, false},
		{object.Range{SuffixLength: 10}, 100, 90, 99, true},
		{object.Range{SuffixLength: 1000}, 100, 0, 99, true},
		{object.Range{Start: 0, End: 0}, 0, 0, 0, false},
		{object.Range{SuffixLength: 1}, 0, 0, 0, false},
	}
	for _, tt := range tests {
		start, end, ok := resolveRange(&tt.r, tt.size)
		if ok != tt.ok || ok && (start != tt.start || end != tt.end) {
			t.Errorf("resolveRange(%+v, %d) = %d, %d, %v; want %d, %d, %v",
				tt.r, tt.size, start, end, ok, tt.start, tt.end, tt.ok)
		}
	}
}

// FuzzParseRange checks that no Range header panics the parser and that
// every range it accepts is well formed.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=5-", "bytes=1-2,3-4", "bytes=-0", "bytes=99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRange(s)
		if err != nil && !errors.Is(err, s3err.InvalidRange) {
			t.Fatalf("parseRange(%q) unexpected error %v", s, err)
		}
		if r == nil {
			return
		}
		if r.SuffixLength < 0 || r.Start < 0 || r.SuffixLength > 0 && (r.Start != 0 || r.End != 0) ||
			r.SuffixLength == 0 && r.End >= 0 && r.End < r.Start {
			t.Fatalf("parseRange(%q) = %+v: malformed", s, r)
		}
		start, end, ok := resolveRange(r, 1000)
		if ok && (start < 0 || end >= 1000 || end < start) {
			t.Fatalf("resolveRange(%+v, 1000) = %d, %d", r, start, end)
		}
	})
}
