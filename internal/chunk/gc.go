package chunk

// Garbage collection: mark-and-sweep with a grace period.
//
// The object service marks: it reads the clock (markedAt, from the same
// clock as this store's Options.Now) and THEN takes a consistent snapshot
// of all committed metadata (objects, versions, multipart parts), collecting
// the chunk hashes they reference. It then calls Sweep with that mark set.
// Sweep deletes chunk h only if
//
//	!referenced(h)  and  now - mtime(h) >= grace
//
// where now is read when h is deleted. A chunk's mtime is the last time a
// Put wrote it or found it already present (a dedup hit refreshes it), or a
// Touch refreshed it.
//
// The danger is a chunk that a new object starts to reference while the
// sweep runs: the write found the chunk present (dedup) and so did not
// rewrite it, and the metadata that references it committed after the
// snapshot, so it is not in the mark set. Three rules make this safe.
//
//  1. Writers: a PUT calls Put (or Touch) for every chunk BEFORE proposing
//     the metadata that references it; the write's timer starts before
//     Put (at Tw), and the command carries the deadline
//     Tw + grace/2 - margin (margin is meta.ClockMargin). Apply refuses the
//     command once its group has applied a command stamped later than the
//     deadline plus the margin, i.e. later than Tw + grace/2.
//  2. Mark: before taking its snapshot, the mark phase commits a fence
//     stamped markedAt in every placement group and waits until they are
//     applied locally. So a commit not in the snapshot applied after its
//     group's fence, which it survived only if Tw + grace/2 >= markedAt.
//  3. Sweep: every deletion happens before markedAt + grace/2; past that,
//     Sweep stops with ErrSweepDeadline and deletes nothing more.
//
// Take a chunk h whose Put returned (its mtime set) after Tw, and whose
// metadata commits later. If the commit is in the snapshot, h is marked
// and kept. Otherwise, by 2, markedAt <= Tw + grace/2, and a deletion of h
// at Td has
//
//	Td < markedAt + grace/2 <= Tw + grace
//
// so Td - Tw < grace: h's mtime is too recent and Sweep keeps it. This
// holds however late the commit comes: the rule is enforced in apply, not
// by the writer giving up waiting.
//
// That argument needs "Put's touch" and "Sweep's check-then-delete" to be
// atomic with respect to each other. Otherwise Sweep could stat an old
// mtime, Put could then find the file and touch it (a dedup hit, so it
// writes nothing), and Sweep could delete it: the write would commit a
// reference to a chunk that is gone. Both hold the chunk's stripe lock
// (Store.locks) across the whole sequence. If Sweep deletes first, Put
// finds no file and writes it again (created == true); if Put touches
// first, Sweep sees the new mtime.
//
// Touches are not fsynced (that would cost a disk flush per dedup hit), so
// a crash can roll a chunk's mtime back to before a dedup hit whose commit
// still happens (the commit is on a Raft group, not on this node). All such
// touches happened before the store was reopened at openedAt, so after a
// crash Sweep treats every mtime as at least openedAt (touchFloor): for a
// lost touch at Tw the chain above gives Td < Tw + grace < openedAt +
// grace, which again is too recent. After a clean Close, which fsyncs every
// touched chunk before it writes its marker (touches.go), no touch can
// have been lost and there is no floor.
//
// Clocks: mtime, markedAt and Sweep's now all come from this node's clock
// (Options.Now); Tw and the deadline come from the writer's, and the
// margin covers the skew between the two (see meta.ClockMargin). A clock
// that jumps forward ages chunks early, so grace must be much longer than
// any plausible clock step (hours, not seconds).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/anode/anode/internal/metrics"
)

// ErrSweepDeadline is returned by Sweep when it runs past markedAt +
// grace/2, the last moment at which its mark set is still safe to use.
// Chunks already deleted were deleted safely; run a new mark phase.
var ErrSweepDeadline = errors.New("sweep deadline passed (markedAt + grace/2)")

// SweepStats counts what a Sweep did.
type SweepStats struct {
	Scanned      int64 // chunks looked at
	Referenced   int64 // kept because the mark set references them
	Young        int64 // kept because written or touched within the grace period
	YoungBytes   int64 // their bytes: reclaimable once their grace period ends
	Deleted      int64 // chunks deleted
	DeletedBytes int64 // bytes freed
}

// Sweep deletes every chunk that referenced reports as unreferenced and
// that was not written or touched for at least grace. markedAt must have
// been read from the store's clock before the snapshot that built
// referenced was taken; referenced must not change during the sweep.
// Sweep stops with ErrSweepDeadline once markedAt + grace/2 has passed,
// and with ctx's error if ctx is cancelled; the stats count what was done
// until then. The rules that make this safe against concurrent writes are
// explained in gc.go.
func (s *Store) Sweep(ctx context.Context, markedAt time.Time, referenced func(Hash) bool, grace time.Duration) (SweepStats, error) {
	var st SweepStats
	if grace <= 0 {
		return st, fmt.Errorf("chunk: sweep: grace period must be positive, got %v", grace)
	}
	if now := s.now(); now.Before(markedAt) {
		return st, fmt.Errorf("chunk: sweep: markedAt %v is after now %v", markedAt, now)
	}
	deadline := markedAt.Add(grace / 2)
	s.sweepScanned.Store(0)
	err := s.walk(func(h Hash, path string, _ fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.Scanned++
		s.sweepScanned.Add(1)
		if referenced(h) {
			st.Referenced++
			return nil
		}
		return s.sweepOne(h, path, deadline, grace, &st)
	})
	metrics.GCDeletedChunks.Add(float64(st.Deleted))
	metrics.GCDeletedBytes.Add(float64(st.DeletedBytes))
	if err != nil {
		return st, err
	}
	metrics.GCSweeps.Inc()
	return st, nil
}

// SweepProgress returns how many chunks the running (or last) Sweep has
// looked at.
func (s *Store) SweepProgress() int64 { return s.sweepScanned.Load() }

// sweepOne deletes the unreferenced chunk h if it is old enough, holding
// h's lock from the age check to the deletion.
func (s *Store) sweepOne(h Hash, path string, deadline time.Time, grace time.Duration, st *SweepStats) error {
	mu := s.lock(h)
	defer mu.Unlock()
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("chunk: sweep: %w", err)
	}
	now := s.now()
	if !now.Before(deadline) {
		return fmt.Errorf("chunk: sweep: %w", ErrSweepDeadline)
	}
	mtime := fi.ModTime()
	if mtime.Before(s.touchFloor) {
		mtime = s.touchFloor // the touch that set it may have been lost in a crash
	}
	if now.Sub(mtime) < grace {
		st.Young++
		st.YoungBytes += sizeOf(fi)
		return nil
	}
	if s.beforeRemove != nil {
		s.beforeRemove(h)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("chunk: sweep: %w", err)
	}
	// No directory fsync: if a crash undoes the removal, the chunk simply
	// comes back and the next sweep removes it again.
	s.added(-1, -sizeOf(fi))
	st.Deleted++
	st.DeletedBytes += sizeOf(fi)
	return nil
}

// Touch refreshes the modification time of chunk h, protecting it from
// garbage collection like a dedup hit in Put, or returns an error wrapping
// ErrNotFound. A writer that skips sending a chunk to a replica because the
// replica already holds it, or that copies an object by reference, must
// Touch the chunk (never just check Has) before committing metadata that
// references it.
func (s *Store) Touch(h Hash) error {
	mu := s.lock(h)
	defer mu.Unlock()
	now := s.now()
	if err := os.Chtimes(s.path(h), now, now); err != nil {
		return s.pathError("touch", h, err)
	}
	s.touches.add(h)
	return nil
}
