package chunk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A touch (the mtime a dedup hit or Touch sets) is not fsynced: that would
// cost a flush per dedup hit. After a crash a touch may be lost, so Sweep
// floors every mtime at the time the store was opened (gc.go), which
// delays the collection of everything by a whole grace period.
//
// A clean Close avoids that: it fsyncs every chunk touched since Open and
// then writes the CLEAN marker. Open finds the marker, removes it durably
// (so that a crash after this Open cannot be mistaken for a clean stop),
// and needs no floor: every touch before the stop is on disk. Only a
// crash, or a node that touched more chunks than it tracks, pays the
// grace period again.
const (
	cleanName         = "CLEAN"
	maxTrackedTouches = 1 << 20 // 32 MiB of hashes; beyond, Close writes no marker
)

// touchLog is the set of chunks touched since Open.
type touchLog struct {
	mu       sync.Mutex
	set      map[Hash]struct{}
	overflow bool
}

func (t *touchLog) add(h Hash) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.overflow {
		return
	}
	if t.set == nil {
		t.set = make(map[Hash]struct{})
	}
	if len(t.set) >= maxTrackedTouches {
		t.overflow, t.set = true, nil
		return
	}
	t.set[h] = struct{}{}
}

// openMarker reads and removes the clean-stop marker. It returns the floor
// Sweep applies to mtimes: zero after a clean stop, now otherwise.
func (s *Store) openMarker(now time.Time) (time.Time, error) {
	p := filepath.Join(s.dir, cleanName)
	_, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return now, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("chunk: open: %w", err)
	}
	if err := os.Remove(p); err != nil {
		return time.Time{}, fmt.Errorf("chunk: open: remove %s: %w", cleanName, err)
	}
	if err := s.syncDir(s.dir); err != nil {
		return time.Time{}, err
	}
	return time.Time{}, nil
}

// closeMarker makes every touch since Open durable and writes the marker.
// On any failure it writes none: the next Open then applies the floor.
func (s *Store) closeMarker() error {
	s.touches.mu.Lock()
	set, overflow := s.touches.set, s.touches.overflow
	s.touches.mu.Unlock()
	if overflow {
		return nil
	}
	if !s.noSync {
		for h := range set {
			f, err := os.Open(s.path(h))
			if errors.Is(err, fs.ErrNotExist) {
				continue // collected since
			}
			if err != nil {
				return fmt.Errorf("chunk: close: %w", err)
			}
			err = f.Sync()
			f.Close()
			if err != nil {
				return fmt.Errorf("chunk: close: sync touched chunk %s: %w", h, err)
			}
		}
	}
	p := filepath.Join(s.dir, cleanName)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("chunk: close: %w", err)
	}
	_, err = f.WriteString(s.now().UTC().Format(time.RFC3339Nano) + "\n")
	if err == nil && !s.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.syncDir(s.dir)
	}
	if err != nil {
		os.Remove(p)
		return fmt.Errorf("chunk: close: write %s: %w", cleanName, err)
	}
	return nil
}
