package chunk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Names of the store's own directories and files. They are longer than two
// characters, so they never collide with the fan-out directories.
const (
	lockName       = "LOCK"
	tmpName        = "tmp"
	quarantineName = "quarantine"
)

// path returns the file name of chunk h: <dir>/ab/cd/<hex>.
func (s *Store) path(h Hash) string {
	x := h.String()
	return filepath.Join(s.dir, x[0:2], x[2:4], x)
}

// makeFanout creates the two fan-out directories of h (if missing). The
// caller makes their entries durable (openFanout, durable.go).
func (s *Store) makeFanout(h Hash) error {
	x := h.String()
	parent := s.dir
	for _, name := range []string{x[0:2], x[2:4]} {
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("chunk: create directory: %w", err)
		}
		parent = dir
	}
	return nil
}

// syncDir fsyncs a directory, making the entries created or renamed in it
// durable. It does nothing when the store was opened with NoSync.
func (s *Store) syncDir(dir string) error {
	if s.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("chunk: sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("chunk: sync directory %s: %w", dir, err)
	}
	return nil
}

// walk calls fn for every chunk file, in hash order. It skips entries that
// are not chunks (they are logged once) and stops at the first error fn
// returns. Files created or removed during the walk may or may not be seen.
func (s *Store) walk(fn func(h Hash, path string, de fs.DirEntry) error) error {
	top, err := readFanout(s.dir)
	if err != nil {
		return err
	}
	for _, a := range top {
		mid, err := readFanout(filepath.Join(s.dir, a))
		if err != nil {
			return err
		}
		for _, b := range mid {
			dir := filepath.Join(s.dir, a, b)
			entries, err := os.ReadDir(dir)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return fmt.Errorf("chunk: walk: %w", err)
			}
			for _, de := range entries {
				name := de.Name()
				h, err := ParseHash(name)
				if err != nil || h.String() != name || name[0:2] != a || name[2:4] != b || !de.Type().IsRegular() {
					s.log.Warn("chunk: ignoring stray file in chunk directory", "path", filepath.Join(dir, name))
					continue
				}
				if err := fn(h, filepath.Join(dir, name), de); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readFanout lists the two-hex-digit subdirectories of dir, sorted.
func readFanout(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("chunk: walk: %w", err)
	}
	var names []string
	for _, de := range entries {
		if n := de.Name(); len(n) == 2 && isLowerHex(n) && de.IsDir() {
			names = append(names, n)
		}
	}
	return names, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
