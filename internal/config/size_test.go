package config

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"10", 10},
		{"0", 0},
		{"1048576", 1048576},
		{"4MB", 4194304},
		{"4MiB", 4194304},
		{"4M", 4194304},
		{"4mb", 4194304},
		{"512KiB", 512 * 1024},
		{"64k", 65536},
		{"64KB", 65536},
		{"1GB", 1 << 30},
		{"1GiB", 1 << 30},
		{"2TiB", 2 << 40},
		{"100B", 100},
		{" 1 GiB ", 1 << 30},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	tests := []struct {
		in, wantErr string
	}{
		{"4XB", `unknown unit "XB"`},
		{"-1MB", "negative"},
		{"", "empty"},
		{"   ", "empty"},
		{"MB", "whole number"},
		{"1.5GiB", `unknown unit ".5GiB"`},
		{"8EiB", `unknown unit "EiB"`},
		{"9223372036854775808", "too large"},
		{"8388608TiB", "too large"},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %d, want error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("ParseSize(%q) error %q, want it to quote the input and contain %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},
		{1000, "1000B"},
		{64 * KiB, "64KiB"},
		{4 * MiB, "4MiB"},
		{4*MiB + 1, "4194305B"},
		{1536 * KiB, "1536KiB"},
		{5 * GiB, "5GiB"},
		{3 * TiB, "3TiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if text, err := tt.in.MarshalText(); err != nil || string(text) != tt.want {
			t.Errorf("Size(%d).MarshalText() = %q, %v; want %q", int64(tt.in), text, err, tt.want)
		}
		back, err := ParseSize(tt.in.String())
		if err != nil || back != tt.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in.String(), back, err, int64(tt.in))
		}
	}
}

func TestSizeUnmarshalText(t *testing.T) {
	s := Size(7)
	if err := s.UnmarshalText([]byte("2MiB")); err != nil || s != 2*MiB {
		t.Fatalf("UnmarshalText(2MiB) = %v, %v", s, err)
	}
	if err := s.UnmarshalText([]byte("2XiB")); err == nil {
		t.Fatal("UnmarshalText(2XiB) succeeded")
	}
	if s != 2*MiB {
		t.Errorf("failed UnmarshalText changed the size to %v", s)
	}
}

// FuzzParseSize checks that ParseSize never panics, never returns a negative
// size, and that what it accepts formats back to the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4MB", "512KiB", "10", "", "-1MB", "4XB", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		back, err := ParseSize(n.String())
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d but ParseSize(%q) = %d, %v", s, n, n.String(), back, err)
		}
	})
}
