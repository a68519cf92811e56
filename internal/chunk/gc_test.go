package chunk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testGrace = 100 * time.Second

func TestSweepDeletesOnlyUnreferencedOldChunks(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	garbage := mustPut(t, s, []byte("old and unreferenced"))
	kept := mustPut(t, s, []byte("old but referenced"))
	clk.Advance(testGrace)
	young := mustPut(t, s, []byte("unreferenced but young"))

	st, err := s.Sweep(context.Background(), clk.Now(), setOf(kept), testGrace)
	if err != nil {
		t.Fatal(err)
	}
	want := SweepStats{Scanned: 3, Referenced: 1, Young: 1, YoungBytes: int64(len("unreferenced but young")), Deleted: 1, DeletedBytes: int64(len("old and unreferenced"))}
	if st != want {
		t.Errorf("Sweep stats = %+v, want %+v", st, want)
	}
	if s.Has(garbage) || !s.Has(kept) || !s.Has(young) {
		t.Errorf("after Sweep: garbage %v, referenced %v, young %v; want false, true, true", s.Has(garbage), s.Has(kept), s.Has(young))
	}
	wantStats(t, s, 2, int64(len("old but referenced")+len("unreferenced but young")))
}

// TestSweepGraceBoundary walks the inequality of gc.go at its edges: a
// chunk is deletable exactly when it was last touched grace or more ago.
func TestSweepGraceBoundary(t *testing.T) {
	for _, tc := range []struct {
		age     time.Duration
		deleted bool
	}{
		{0, false},
		{testGrace - time.Nanosecond, false},
		{testGrace, true},
		{10 * testGrace, true},
	} {
		t.Run(tc.age.String(), func(t *testing.T) {
			var clk testClock
			s := openTest(t, t.TempDir(), &clk)
			h := mustPut(t, s, []byte("chunk"))
			clk.Advance(tc.age)
			if _, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, testGrace); err != nil {
				t.Fatal(err)
			}
			if got := !s.Has(h); got != tc.deleted {
				t.Errorf("age %v: deleted = %v, want %v", tc.age, got, tc.deleted)
			}
		})
	}
}

// TestDedupHitCommittedAfterMarkSurvives is the scenario of gc.go with the
// worst timing the rules allow: a dedup hit on an old chunk just before
// the writer's deadline, a mark just before the commit, and a deletion
// attempt just before the sweep's deadline.
func TestDedupHitCommittedAfterMarkSurvives(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	data := []byte("shared by an old, deleted object and a new one")
	h := mustPut(t, s, data)
	clk.Advance(10 * testGrace) // the old object is long gone

	tw := clk.Now()
	if created, err := s.Put(h, data); err != nil || created {
		t.Fatalf("Put = %v, %v; want a dedup hit", created, err)
	}
	// The commit lands just inside the writer's budget, just after the mark.
	markedAt := tw.Add(testGrace/2 - 2*time.Nanosecond)
	// The sweep reaches the chunk just inside its own deadline.
	clk.Set(markedAt.Add(testGrace/2 - time.Nanosecond))
	st, err := s.Sweep(context.Background(), markedAt, noneReferenced, testGrace)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Has(h) || st.Young != 1 {
		t.Fatalf("chunk deleted (stats %+v): a committed object lost its data", st)
	}
}

func TestSweepStopsAtDeadline(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	for i := range 4 {
		mustPut(t, s, []byte{byte(i)})
	}
	clk.Advance(2 * testGrace)
	markedAt := clk.Now()

	// Each deletion takes a quarter of the grace period: the sweep may
	// delete two chunks before markedAt + grace/2, then must stop.
	s.beforeRemove = func(Hash) { clk.Advance(testGrace / 4) }
	st, err := s.Sweep(context.Background(), markedAt, noneReferenced, testGrace)
	if !errors.Is(err, ErrSweepDeadline) {
		t.Fatalf("Sweep = %v, want ErrSweepDeadline", err)
	}
	if st.Deleted != 2 {
		t.Errorf("deleted %d chunks before the deadline, want 2", st.Deleted)
	}
	wantStats(t, s, 2, 2)

	// A sweep that starts after its deadline deletes nothing.
	s.beforeRemove = nil
	st, err = s.Sweep(context.Background(), markedAt, noneReferenced, testGrace)
	if !errors.Is(err, ErrSweepDeadline) || st.Deleted != 0 {
		t.Fatalf("late Sweep = %+v, %v; want nothing deleted and ErrSweepDeadline", st, err)
	}
}

func TestSweepRejectsBadArguments(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	h := mustPut(t, s, []byte("x"))
	clk.Advance(2 * testGrace)
	if _, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, 0); err == nil {
		t.Error("Sweep with zero grace succeeded")
	}
	if _, err := s.Sweep(context.Background(), clk.Now().Add(time.Second), noneReferenced, testGrace); err == nil {
		t.Error("Sweep with markedAt in the future succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sweep(ctx, clk.Now(), noneReferenced, testGrace); !errors.Is(err, context.Canceled) {
		t.Errorf("Sweep with a cancelled context = %v, want context.Canceled", err)
	}
	if !s.Has(h) {
		t.Error("a rejected Sweep deleted a chunk")
	}
}

func TestTouchProtectsChunk(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	h := mustPut(t, s, []byte("copied by reference"))
	clk.Advance(2 * testGrace)
	if err := s.Touch(h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, testGrace); err != nil {
		t.Fatal(err)
	}
	if !s.Has(h) {
		t.Fatal("Sweep deleted a chunk touched just before")
	}
}

// crash releases s as a killed process would: no Close, no clean-stop
// marker.
func crash(s *Store) {
	s.added(-s.chunks.Load(), -s.bytes.Load())
	s.lockFile.Close()
	s.lockFile = nil
}

// TestSweepAfterRestartTreatsChunksAsFresh: touches are not fsynced, so
// after a crash a chunk's mtime may predate a dedup hit whose commit is
// still to come. Until grace has passed since Open, nothing is old enough.
func TestSweepAfterRestartTreatsChunksAsFresh(t *testing.T) {
	var clk testClock
	dir := t.TempDir()
	s := openTest(t, dir, &clk)
	h := mustPut(t, s, []byte("touched before the crash, touch lost"))
	crash(s)

	clk.Advance(10 * testGrace)
	s = openTest(t, dir, &clk)
	clk.Advance(testGrace / 2)
	if _, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, testGrace); err != nil {
		t.Fatal(err)
	}
	if !s.Has(h) {
		t.Fatal("Sweep deleted a chunk within grace of Open")
	}
	clk.Advance(testGrace / 2)
	if _, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, testGrace); err != nil {
		t.Fatal(err)
	}
	if s.Has(h) {
		t.Fatal("Sweep kept an unreferenced chunk grace after Open")
	}
}

// TestSweepAndDedupHitAreAtomic puts a dedup hit exactly between Sweep's
// decision to delete a chunk and the deletion. The Put must wait for the
// stripe lock and then write the chunk again; without the lock it would
// touch the doomed file, report a dedup hit, and its object would commit a
// reference to a deleted chunk. The test needs no timing: the hooks tell it
// whether Put blocked on the lock or ran to completion.
func TestSweepAndDedupHitAreAtomic(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	data := []byte("old chunk about to be swept")
	h := mustPut(t, s, data)
	clk.Advance(2 * testGrace)

	type result struct {
		created bool
		err     error
	}
	putDone := make(chan result, 1)
	contended := make(chan struct{})
	var once sync.Once
	s.onContended = func(Hash) { once.Do(func() { close(contended) }) }
	s.beforeRemove = func(Hash) {
		go func() {
			created, err := s.Put(h, data)
			putDone <- result{created, err}
		}()
		select {
		case <-contended: // Put is waiting for the stripe: the delete goes first.
		case r := <-putDone: // Put ran inside Sweep's critical section.
			putDone <- r
		}
	}
	st, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, testGrace)
	if err != nil || st.Deleted != 1 {
		t.Fatalf("Sweep = %+v, %v; want one chunk deleted", st, err)
	}
	r := <-putDone
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !s.Has(h) {
		t.Fatal("chunk gone after a Put that returned during the sweep: its object would be lost")
	}
	if !r.created {
		t.Error("Put after the deletion reported a dedup hit, want a fresh write")
	}
	wantStats(t, s, 1, int64(len(data)))
}

// gcSimResult counts what a run of the GC protocol simulation did.
type gcSimResult struct {
	lost                   int // checks that found a live object's chunk missing
	commits, aborts        int
	created, dedups        int
	sweeps, deadlineAborts int
	deleted                int64
}

// runGCSim runs writers and a collector against one store, following the
// protocol of gc.go: writers Put a chunk and commit an object referencing
// it unless grace/2 has passed since they started (breakWriters drops that
// rule); objects are deleted to keep a few live; the collector marks from a
// snapshot of the live objects and sweeps. After every sweep it checks that
// every live object's chunk is present. A shared fake clock moves forward
// with every step; one write in eight is slow and sleeps (in fake time)
// through a whole sweep before committing.
func runGCSim(t *testing.T, breakWriters bool) gcSimResult {
	const (
		grace    = testGrace
		writers  = 4
		ops      = 250
		contents = 64
		maxLive  = 8
	)
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	data := make([][]byte, contents)
	hashes := make([]Hash, contents)
	for i := range data {
		data[i] = fmt.Appendf(nil, "content %d", i)
		hashes[i] = Sum(data[i])
	}

	var (
		metaMu sync.Mutex // guards live and res
		live   []Hash     // one entry per live object: the chunk it references
		res    gcSimResult

		sweepMu   sync.Mutex
		sweepCond = sync.NewCond(&sweepMu)
		sweeps    int

		writersLeft atomic.Int32
	)
	waitForSweeps := func(n int) {
		sweepMu.Lock()
		defer sweepMu.Unlock()
		for target := sweeps + n; sweeps < target; {
			sweepCond.Wait()
		}
	}
	advance := func(rng *rand.Rand, max time.Duration) { clk.Advance(time.Duration(rng.Int64N(int64(max)))) }

	var wg sync.WaitGroup
	writersLeft.Store(writers)
	for w := range writers {
		wg.Go(func() {
			defer writersLeft.Add(-1)
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range ops {
				i := rng.IntN(contents)
				start := clk.Now()
				created, err := s.Put(hashes[i], data[i])
				if err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(8) == 0 {
					clk.Advance(grace)
					waitForSweeps(2) // one whole sweep starts and ends before the commit
				} else {
					advance(rng, grace/20)
				}
				metaMu.Lock()
				if created {
					res.created++
				} else {
					res.dedups++
				}
				if breakWriters || clk.Now().Before(start.Add(grace/2)) {
					live = append(live, hashes[i])
					res.commits++
				} else {
					res.aborts++
				}
				if len(live) > maxLive {
					j := rng.IntN(len(live))
					live = append(live[:j], live[j+1:]...)
				}
				metaMu.Unlock()
			}
		})
	}

	rng := rand.New(rand.NewPCG(99, 1))
	check := func() {
		metaMu.Lock()
		defer metaMu.Unlock()
		for _, h := range live {
			if !s.Has(h) {
				res.lost++
			}
		}
	}
	for writersLeft.Load() > 0 {
		metaMu.Lock()
		markedAt := clk.Now()
		marked := setOf(live...)
		metaMu.Unlock()
		advance(rng, grace/20)
		st, err := s.Sweep(context.Background(), markedAt, marked, grace)
		if errors.Is(err, ErrSweepDeadline) {
			res.deadlineAborts++
		} else if err != nil {
			t.Fatal(err)
		}
		check()
		metaMu.Lock()
		res.deleted += st.Deleted
		res.sweeps++
		metaMu.Unlock()
		sweepMu.Lock()
		sweeps++
		sweepCond.Broadcast()
		sweepMu.Unlock()
	}
	wg.Wait()
	check()
	return res
}

// TestGCProtocolNeverLosesCommittedChunks runs writers and sweeps
// concurrently and checks that no live object ever misses its chunk. It
// also checks that the run exercised the dangerous paths: dedup hits,
// chunks deleted and written again, commits aborted for lateness.
func TestGCProtocolNeverLosesCommittedChunks(t *testing.T) {
	res := runGCSim(t, false)
	t.Logf("%+v", res)
	if res.lost != 0 {
		t.Errorf("%d checks found a live object's chunk missing", res.lost)
	}
	if res.dedups == 0 || res.deleted == 0 || res.aborts == 0 || res.created <= 64 {
		t.Errorf("the run did not exercise GC against dedup hits: %+v", res)
	}
}

// TestGCProtocolCheckDetectsLateCommits shows that the simulation above can
// fail: with writers that commit after their grace/2 budget, sweeps delete
// chunks that are about to be referenced and the check sees the loss.
func TestGCProtocolCheckDetectsLateCommits(t *testing.T) {
	res := runGCSim(t, true)
	t.Logf("%+v", res)
	if res.lost == 0 {
		t.Errorf("no loss detected with writers that break the commit deadline: %+v", res)
	}
}

// TestSweepAfterCleanRestart: after a clean Close every touch is durable, so
// a restart does not delay collection: an old unreferenced chunk goes at
// the first sweep, and one touched just before the stop keeps its grace.
//
// Shown to fail with the protection removed: with the marker ignored
// (openMarker always returning now), the old chunk survives the first
// sweep and "kept an old unreferenced chunk" fails.
func TestSweepAfterCleanRestart(t *testing.T) {
	var clk testClock
	dir := t.TempDir()
	s := openTest(t, dir, &clk)
	old := mustPut(t, s, []byte("written long ago, unreferenced"))
	touched := []byte("written long ago, touched just before the stop")
	h := mustPut(t, s, touched)
	clk.Advance(10 * testGrace)
	if created, err := s.Put(h, touched); err != nil || created {
		t.Fatalf("dedup Put: created=%v err=%v", created, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, &clk)
	if _, err := os.Lstat(filepath.Join(dir, cleanName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the clean-stop marker is still there after Open: %v", err)
	}
	clk.Advance(testGrace / 2)
	if _, err := s.Sweep(context.Background(), clk.Now(), noneReferenced, testGrace); err != nil {
		t.Fatal(err)
	}
	if s.Has(old) {
		t.Fatal("Sweep after a clean restart kept an old unreferenced chunk")
	}
	if !s.Has(h) {
		t.Fatal("Sweep deleted a chunk touched within grace before the stop")
	}
	// A crash now must not look like a clean stop.
	crash(s)
	s = openTest(t, dir, &clk)
	if s.touchFloor.IsZero() {
		t.Fatal("a crash after a clean restart was taken for a clean stop")
	}
}
