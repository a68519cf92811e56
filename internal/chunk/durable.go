package chunk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anode/anode/internal/metrics"
)

// Durability. A chunk is durable when Put returns: its data was flushed
// with fdatasync(2) on the writer's own file descriptor, then the file was
// renamed to its name, then the directory holding the name was fsynced,
// through a descriptor opened before the rename. These are the primitives
// every filesystem honours, FUSE and network filesystems included (an
// earlier version flushed with one syncfs(2) for all writers, which FUSE
// does not pass on, and whose error one writer could consume for
// another). Each writer issues its own flushes, so concurrent writers'
// flushes run concurrently and the filesystem commits them together (its
// journal is the group commit); no lock is held across a flush.
//
// Because each descriptor is the writer's own and was opened before its
// writes, a writeback error of those writes is reported to that writer
// (Linux reports an error to every descriptor open when it happened).
//
// Fail-stop: after any flush error the store refuses every write, with
// ErrFailed, until the process restarts (the rule Pebble and PostgreSQL
// follow: after a failed fsync the kernel may have dropped the dirty pages,
// so retrying could "succeed" without the data). It logs the error once and
// sets anode_storage_failed{store="chunks"}. A restart re-reads what is
// really on disk.

// ErrFailed is returned by writes to a store whose flush failed.
var ErrFailed = errors.New("chunk store failed a flush and refuses writes until restart")

// ErrNoSpace is returned by writes of new chunks while the filesystem's
// free space is below the reserve (Options.MinFree).
var ErrNoSpace = errors.New("chunk store: free space below the reserve; new data refused")

// failStop records the first flush error and refuses writes from then on.
func (s *Store) failStop(err error) error {
	if s.failed.CompareAndSwap(nil, &err) {
		s.log.Error("chunk: flush failed; the store refuses writes until the node restarts", "dir", s.dir, "err", err)
		metrics.StorageFailed.WithLabelValues("chunks").Set(1)
	}
	return fmt.Errorf("%w: %w", ErrFailed, err)
}

// Failed returns the flush error that stopped the store, or nil.
func (s *Store) Failed() error {
	if p := s.failed.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrFailed, *p)
	}
	return nil
}

// dataSync flushes f's data (and the size needed to read it back).
func (s *Store) dataSync(f *os.File) error {
	if s.noSync {
		return nil
	}
	err := fdatasync(f)
	if err == nil && s.syncFault != nil {
		err = s.syncFault(f.Name())
	}
	if err != nil {
		return s.failStop(fmt.Errorf("fdatasync %s: %w", f.Name(), err))
	}
	return nil
}

// dirSync fsyncs an open directory.
func (s *Store) dirSync(d *os.File) error {
	if s.noSync {
		return nil
	}
	if err := d.Sync(); err != nil {
		return s.failStop(fmt.Errorf("fsync directory %s: %w", d.Name(), err))
	}
	return nil
}

// fanoutDirs remembers the fan-out directories whose own entries this
// process has made durable (see openFanout).
type fanoutDirs struct {
	mu   sync.Mutex // held while creating and syncing a fan-out directory
	done sync.Map   // directory path -> struct{}
}

// openFanout opens the fan-out directory of chunk h, creating it if need
// be, and makes sure its entry and its parent's entry are durable: the
// first time this process uses a directory, it fsyncs the two levels
// above, whoever created it (another writer may have just made it and not
// yet synced its parent; a directory seen after a crash without reboot may
// exist only in the page cache).
func (s *Store) openFanout(h Hash) (*os.File, error) {
	x := h.String()
	top := filepath.Join(s.dir, x[0:2])
	dir := filepath.Join(top, x[2:4])
	if _, ok := s.fanout.done.Load(dir); !ok {
		s.fanout.mu.Lock()
		if _, ok := s.fanout.done.Load(dir); !ok {
			err := s.makeFanout(h)
			if err == nil && !s.noSync {
				for _, d := range []string{s.dir, top} {
					if err = s.syncDirPath(d); err != nil {
						break
					}
				}
			}
			if err != nil {
				s.fanout.mu.Unlock()
				return nil, err
			}
			s.fanout.done.Store(dir, struct{}{})
		}
		s.fanout.mu.Unlock()
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("chunk: open directory: %w", err)
	}
	return d, nil
}

// syncDirPath fsyncs the directory at path.
func (s *Store) syncDirPath(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("chunk: sync directory: %w", err)
	}
	defer d.Close()
	return s.dirSync(d)
}

// spaceCheckInterval bounds how often the free space is measured: a
// statfs per chunk would be cheap, but once a second is plenty to stop
// well before the reserve is gone.
const spaceCheckInterval = time.Second

// spaceState caches the last free-space measurement.
type spaceState struct {
	checkedAt atomic.Int64 // unix nanoseconds
	free      atomic.Int64 // bytes available
	low       atomic.Bool
}

// CheckSpace returns ErrNoSpace while the filesystem holding the store has
// less free space than the reserve, and ErrFailed once a flush failed; nil
// otherwise. The object service asks before accepting new data; reads and
// deletes never ask. It recovers by itself: once space is freed (deletes
// and garbage collection), the next measurement lifts the refusal.
func (s *Store) CheckSpace() error {
	if err := s.Failed(); err != nil {
		return err
	}
	if s.minFree <= 0 {
		return nil
	}
	now := time.Now()
	if now.UnixNano()-s.space.checkedAt.Load() >= int64(spaceCheckInterval) {
		free, err := s.freeSpace(s.dir)
		s.space.checkedAt.Store(now.UnixNano())
		if err != nil {
			s.log.Warn("chunk: cannot measure free space", "dir", s.dir, "err", err)
		} else {
			s.space.free.Store(free)
			low := free < s.minFree
			if s.space.low.Swap(low) != low {
				if low {
					s.log.Error("chunk: free space below the reserve; refusing new data", "dir", s.dir, "free", free, "reserve", s.minFree)
				} else {
					s.log.Info("chunk: free space back above the reserve; accepting new data", "dir", s.dir, "free", free, "reserve", s.minFree)
				}
			}
			metrics.StorageFreeBytes.Set(float64(free))
			if low {
				metrics.StorageLowSpace.Set(1)
			} else {
				metrics.StorageLowSpace.Set(0)
			}
		}
	}
	if s.space.low.Load() {
		return ErrNoSpace
	}
	return nil
}
