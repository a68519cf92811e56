//go:build !linux

package chunk

import (
	"math"
	"os"
)

// fdatasync falls back to fsync, which flushes metadata too.
func fdatasync(f *os.File) error { return f.Sync() }

// statfsFree is not measured on this platform: the reserve never triggers.
func statfsFree(string) (int64, error) { return math.MaxInt64, nil }
