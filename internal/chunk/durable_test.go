package chunk

import (
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestFlushErrorStopsWrites: once a chunk's fdatasync fails, that Put fails
// and so does every later write, even ones whose own flush would succeed
// (the kernel may have dropped the failed pages: retrying proves
// nothing). Reads keep working. Without the fail-stop (failStop not
// recording the error), the second Put succeeds and the test fails.
func TestFlushErrorStopsWrites(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), Logger: testLogger(t), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := mustPut(t, s, []byte("written before the fault"))
	var faults atomic.Int32
	s.syncFault = func(string) error {
		if faults.Add(1) == 1 {
			return syscall.EIO
		}
		return nil
	}
	bad := []byte("its flush fails")
	if _, err := s.Put(Sum(bad), bad); !errors.Is(err, ErrFailed) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Put whose fdatasync failed: %v, want ErrFailed wrapping EIO", err)
	}
	if s.Has(Sum(bad)) {
		t.Error("a chunk whose flush failed is in the store")
	}
	next := []byte("after the fault")
	if _, err := s.Put(Sum(next), next); !errors.Is(err, ErrFailed) {
		t.Fatalf("Put after a failed flush: %v, want ErrFailed", err)
	}
	if err := s.CheckSpace(); !errors.Is(err, ErrFailed) {
		t.Fatalf("CheckSpace after a failed flush: %v, want ErrFailed", err)
	}
	if _, err := s.Get(old); err != nil {
		t.Fatalf("read after a failed flush: %v", err)
	}
}

// TestReserveRefusesNewData: below the free-space reserve, new chunks are
// refused with ErrNoSpace while dedup hits and reads still work, and the
// store accepts new data again by itself once space is back.
func TestReserveRefusesNewData(t *testing.T) {
	var free atomic.Int64
	free.Store(1 << 30)
	s, err := Open(Options{Dir: t.TempDir(), NoSync: true, Logger: testLogger(t), MinFree: 100 << 20,
		FreeSpace: func(string) (int64, error) { return free.Load(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	have := mustPut(t, s, []byte("stored while there was room"))
	free.Store(10 << 20)
	waitFor(t, func() bool { return errors.Is(s.CheckSpace(), ErrNoSpace) })
	data := []byte("new data on a full disk")
	if _, err := s.Put(Sum(data), data); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("new chunk below the reserve: %v, want ErrNoSpace", err)
	}
	if created, err := s.Put(have, []byte("stored while there was room")); err != nil || created {
		t.Fatalf("dedup hit below the reserve: created %v, %v", created, err)
	}
	if _, err := s.Get(have); err != nil {
		t.Fatalf("read below the reserve: %v", err)
	}
	free.Store(1 << 30)
	waitFor(t, func() bool { return s.CheckSpace() == nil })
	if _, err := s.Put(Sum(data), data); err != nil {
		t.Fatalf("new chunk once space is back: %v", err)
	}
}

// waitFor polls cond until it holds, for up to 5 s (the store measures
// free space at most once per spaceCheckInterval).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
