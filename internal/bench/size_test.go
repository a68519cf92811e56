package bench

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"4096", 4096},
		{"4096B", 4096},
		{"4KiB", 4 << 10},
		{"4kib", 4 << 10},
		{"4K", 4 << 10},
		{"1MiB", 1 << 20},
		{"64MiB", 64 << 20},
		{"64Mi", 64 << 20},
		{"2GiB", 2 << 30},
		{"1TiB", 1 << 40},
		{"10KB", 10000},
		{"10MB", 10000000},
		{"1GB", 1000000000},
		{"1.5MiB", 3 << 19},
		{" 8 KiB ", 8 << 10},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil {
			t.Errorf("ParseSize(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseSizeRejects(t *testing.T) {
	for _, in := range []string{"", "KiB", "-1", "-4KiB", "abc", "4XB", "1.3B", "0.3KiB", "9999999999TiB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 1, 1000, 4 << 10, 1 << 20, 64 << 20, 3 << 30, 5 << 40} {
		s := FormatSize(n)
		got, err := ParseSize(s)
		if err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
	if got := FormatSize(1536 << 10); got != "1536KiB" {
		t.Errorf("FormatSize(1536KiB) = %q, want the exact 1536KiB", got)
	}
	if got := FormatSize(1536<<10 + 1); got != "1.50MiB" {
		t.Errorf("FormatSize(1536KiB+1) = %q, want 1.50MiB", got)
	}
}
