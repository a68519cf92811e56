package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a number of bytes. In the file it is a TOML integer (bytes) or a
// string such as "4MiB"; in the environment and in flags it is a string.
//
// Every unit is binary: K, KB and KiB all mean 2^10, M, MB and MiB 2^20,
// and so on. "4MB" therefore means 4 MiB, as it does for MinIO, the aws CLI
// (multipart_chunksize) and most S3 tools; nobody sizing chunks or caches
// means 4,000,000 bytes.
type Size int64

// Binary size units.
const (
	B   Size = 1
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40
)

// units maps a lower-case unit to its multiplier.
var units = map[string]Size{
	"": B, "b": B,
	"k": KiB, "kb": KiB, "kib": KiB,
	"m": MiB, "mb": MiB, "mib": MiB,
	"g": GiB, "gb": GiB, "gib": GiB,
	"t": TiB, "tb": TiB, "tib": TiB,
}

// ParseSize parses a whole number of bytes with an optional unit, such as
// "10", "64k", "512KiB", "4MB" or "1 GiB". Units are case-insensitive and
// binary (see Size).
func ParseSize(s string) (Size, error) {
	n, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	return n, nil
}

func parseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty")
	}
	if s[0] == '-' {
		return 0, errors.New("sizes cannot be negative")
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errors.New("want a whole number of bytes with an optional unit, such as 4MiB")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, errors.New("number too large")
	}
	unit := strings.TrimSpace(s[i:])
	mult, ok := units[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (use B, KiB, MiB, GiB or TiB)", unit)
	}
	if n > math.MaxInt64/int64(mult) {
		return 0, errors.New("number too large")
	}
	return Size(n) * mult, nil
}

// String formats s with the largest binary unit that divides it exactly,
// such as "4MiB" or "1000B", so that ParseSize(s.String()) == s for
// every s >= 0.
func (s Size) String() string {
	for _, u := range []struct {
		size Size
		name string
	}{{TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if s != 0 && s%u.size == 0 {
			return strconv.FormatInt(int64(s/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// UnmarshalText implements encoding.TextUnmarshaler. go-toml uses it for
// TOML strings; TOML integers are stored directly as bytes.
func (s *Size) UnmarshalText(text []byte) error {
	n, err := ParseSize(string(text))
	if err != nil {
		return err
	}
	*s = n
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}
