package chunk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Scrub reads and verifies every chunk (its block checksums and its
// SHA-256), quarantining the corrupt ones so that the next Put (from read
// repair or the repair service) writes a good copy. It calls fn for every
// chunk it checks, with the bytes it read and a nil error or one wrapping
// ErrCorrupt (or an I/O error); fn runs synchronously, so a caller can pace
// the scrub by blocking in fn. Scrub returns ctx's error if it is
// cancelled, or an error from listing the store.
func (s *Store) Scrub(ctx context.Context, fn func(h Hash, size int64, err error)) error {
	var buf []byte
	return s.walk(func(h Hash, path string, de fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			fi  os.FileInfo
			err error
		)
		buf, fi, err = s.read(h, buf)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil // deleted since the directory was listed
		case errors.Is(err, ErrCorrupt):
			s.quarantine(h, fi)
		case err != nil:
		case Sum(buf) != h:
			// The blocks match their checksums but not the name: the
			// chunk was written wrong. Scrub checks identity too.
			s.quarantine(h, fi)
			err = fmt.Errorf("chunk: scrub %s: %w", h, ErrCorrupt)
		}
		size := int64(len(buf))
		if fi != nil && err != nil {
			size = sizeOf(fi)
		}
		fn(h, size, err)
		return nil
	})
}

// quarantine moves the corrupt chunk file described by fi out of the store,
// unless it has been replaced since it was read.
func (s *Store) quarantine(h Hash, fi os.FileInfo) {
	mu := s.lock(h)
	defer mu.Unlock()
	cur, err := os.Lstat(s.path(h))
	if err != nil || !os.SameFile(cur, fi) {
		// Already quarantined, deleted or rewritten by someone else: the
		// file there now is not the one that failed.
		return
	}
	if err := s.quarantineLocked(h, cur); err != nil {
		s.log.Error("chunk: cannot quarantine corrupt chunk", "chunk", h, "err", err)
	}
}

// quarantineLocked moves chunk h, whose current file is described by fi,
// into the quarantine directory. The caller holds h's lock.
func (s *Store) quarantineLocked(h Hash, fi os.FileInfo) error {
	// The suffix keeps several bad copies of one chunk apart.
	dst := filepath.Join(s.quarantineDir, h.String()+"."+strconv.FormatInt(s.now().UnixNano(), 10))
	if err := os.Rename(s.path(h), dst); err != nil {
		return fmt.Errorf("chunk: quarantine %s: %w", h, err)
	}
	s.added(-1, -sizeOf(fi))
	s.log.Warn("chunk: quarantined corrupt chunk", "chunk", h, "path", dst)
	return nil
}
