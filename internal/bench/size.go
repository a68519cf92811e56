package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Size units accepted by ParseSize. Binary units (KiB, MiB, GiB) are powers
// of 1024; decimal units (KB, MB, GB) are powers of 1000, as storage vendors
// use them. A single-letter unit (K, M, G) is binary, as in dd and most
// benchmark tools.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first so that "KiB" is not read as "B".
	{"kib", 1 << 10},
	{"mib", 1 << 20},
	{"gib", 1 << 30},
	{"tib", 1 << 40},
	{"kb", 1000},
	{"mb", 1000 * 1000},
	{"gb", 1000 * 1000 * 1000},
	{"tb", 1000 * 1000 * 1000 * 1000},
	{"ki", 1 << 10},
	{"mi", 1 << 20},
	{"gi", 1 << 30},
	{"k", 1 << 10},
	{"m", 1 << 20},
	{"g", 1 << 30},
	{"b", 1},
}

// ParseSize parses a byte size such as "4KiB", "1MiB", "64MiB", "10MB",
// "1.5GiB" or "4096". Units are case-insensitive. The result must be a whole
// number of bytes and not negative.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("parse size %q: empty", s)
	}
	lower := strings.ToLower(t)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(lower, u.suffix) {
			mult = u.mult
			lower = strings.TrimSpace(lower[:len(lower)-len(u.suffix)])
			break
		}
	}
	if lower == "" {
		return 0, fmt.Errorf("parse size %q: missing number", s)
	}
	if n, err := strconv.ParseInt(lower, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("parse size %q: negative", s)
		}
		if n > 0 && mult > (1<<62)/n {
			return 0, fmt.Errorf("parse size %q: too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(lower, 64)
	if err != nil {
		return 0, fmt.Errorf("parse size %q: %w", s, err)
	}
	if f < 0 {
		return 0, fmt.Errorf("parse size %q: negative", s)
	}
	v := f * float64(mult)
	if v > 1<<62 {
		return 0, fmt.Errorf("parse size %q: too large", s)
	}
	if v != float64(int64(v)) {
		return 0, fmt.Errorf("parse size %q: not a whole number of bytes", s)
	}
	return int64(v), nil
}

// FormatSize formats n bytes with the largest binary unit that divides it
// exactly ("4KiB", "1MiB", "1000B"), or with two decimals when none does
// ("1.50MiB"). It is the inverse of ParseSize for the sizes people type.
func FormatSize(n int64) string {
	units := []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	for _, u := range units {
		if n >= u.mult {
			return strconv.FormatFloat(float64(n)/float64(u.mult), 'f', 2, 64) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
