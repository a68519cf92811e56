package chunk

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anode/anode/internal/metrics"
)

func TestPutGetRoundTrip(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	data := bytes.Repeat([]byte("anode"), 1000)
	h := Sum(data)

	created, err := s.Put(h, data)
	if err != nil || !created {
		t.Fatalf("Put = %v, %v; want created", created, err)
	}
	x := h.String()
	if _, err := os.Stat(filepath.Join(s.dir, x[:2], x[2:4], x)); err != nil {
		t.Fatalf("chunk not at its fan-out path: %v", err)
	}
	got, err := s.Get(h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %d bytes, %v; want the data put", len(got), err)
	}
	if !s.Has(h) {
		t.Error("Has = false after Put")
	}
	if n, err := s.Size(h); err != nil || n != int64(len(data)) {
		t.Errorf("Size = %d, %v; want %d", n, err, len(data))
	}
	wantStats(t, s, 1, int64(len(data)))

	// GetInto reuses a buffer that is large enough.
	buf := make([]byte, 0, 8192)
	got, err = s.GetInto(h, buf)
	if err != nil || !bytes.Equal(got, data) || &got[0] != &buf[:1][0] {
		t.Fatalf("GetInto did not return the data in buf's storage (err %v)", err)
	}
	// ... and grows one that is not.
	got, err = s.GetInto(h, make([]byte, 10))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetInto with a small buffer = %d bytes, %v", len(got), err)
	}

	p := make([]byte, 5)
	if n, err := s.ReadAt(h, p, 5); err != nil || n != 5 || string(p) != "anode" {
		t.Errorf("ReadAt(5) = %d, %q, %v; want 5, anode", n, p, err)
	}
	if n, err := s.ReadAt(h, p, int64(len(data))-2); err != io.EOF || n != 2 {
		t.Errorf("ReadAt past the end = %d, %v; want 2, io.EOF", n, err)
	}
}

func TestMissingChunk(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	h := Sum([]byte("never stored"))
	if _, err := s.Get(h); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
	if _, err := s.ReadAt(h, make([]byte, 1), 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAt = %v, want ErrNotFound", err)
	}
	if _, err := s.Size(h); !errors.Is(err, ErrNotFound) {
		t.Errorf("Size = %v, want ErrNotFound", err)
	}
	if err := s.Delete(h); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete = %v, want ErrNotFound", err)
	}
	if err := s.Touch(h); !errors.Is(err, ErrNotFound) {
		t.Errorf("Touch = %v, want ErrNotFound", err)
	}
	if s.Has(h) {
		t.Error("Has = true for a missing chunk")
	}
}

func TestPutDedup(t *testing.T) {
	var clk testClock
	s := openTest(t, t.TempDir(), &clk)
	data := []byte("the same bytes from two objects")
	h := mustPut(t, s, data)
	first := clk.Now()

	clk.Advance(time.Hour)
	before := metricValue(t, dedupWrites)
	created, err := s.Put(h, data)
	if err != nil || created {
		t.Fatalf("second Put = %v, %v; want a dedup hit (created false)", created, err)
	}
	if got := metricValue(t, dedupWrites) - before; got != 1 {
		t.Errorf("dedup counter grew by %v, want 1", got)
	}
	wantStats(t, s, 1, int64(len(data)))
	err = s.Walk(func(got Hash, size int64, mtime time.Time) error {
		if got != h || size != int64(len(data)) {
			t.Errorf("Walk saw %s (%d bytes), want %s (%d)", got, size, h, len(data))
		}
		if !mtime.Equal(first.Add(time.Hour)) {
			t.Errorf("mtime = %v, want it refreshed to %v", mtime, first.Add(time.Hour))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentPutsOfOneChunkStoreItOnce(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	data := bytes.Repeat([]byte{7}, 64<<10)
	h := Sum(data)
	var wg sync.WaitGroup
	results := make(chan bool, 8)
	for range 8 {
		wg.Go(func() {
			created, err := s.Put(h, data)
			if err != nil {
				t.Error(err)
			}
			results <- created
		})
	}
	wg.Wait()
	close(results)
	n := 0
	for created := range results {
		if created {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Puts reported created, want exactly 1", n)
	}
	wantStats(t, s, 1, int64(len(data)))
}

func TestGetCorruptChunkIsQuarantined(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	data := bytes.Repeat([]byte("x"), 4096)
	h := mustPut(t, s, data)
	corrupt(t, s, h)

	if _, err := s.Get(h); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of a damaged chunk = %v, want ErrCorrupt", err)
	}
	if s.Has(h) {
		t.Fatal("damaged chunk still in place after Get")
	}
	q, err := os.ReadDir(s.quarantineDir)
	if err != nil || len(q) != 1 {
		t.Fatalf("quarantine holds %d files (%v), want 1", len(q), err)
	}
	wantStats(t, s, 0, 0)

	// Read repair: the next Put writes a good copy.
	created, err := s.Put(h, data)
	if err != nil || !created {
		t.Fatalf("Put after quarantine = %v, %v; want created", created, err)
	}
	if got, err := s.Get(h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after repair = %v", err)
	}
}

func TestPutReplacesTruncatedChunk(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	data := bytes.Repeat([]byte("y"), 4096)
	h := mustPut(t, s, data)
	s.Close()
	// A torn write, as a crash without fsync can leave.
	if err := os.Truncate(s.path(h), 100); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, nil)
	created, err := s.Put(h, data)
	if err != nil || !created {
		t.Fatalf("Put over a truncated chunk = %v, %v; want created", created, err)
	}
	if got, err := s.Get(h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %v, want the full chunk", err)
	}
	wantStats(t, s, 1, int64(len(data)))
}

func TestOpenCleansUpAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Logger: testLogger(t)}) // with fsync, as in production
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for i := range 3 {
		data := bytes.Repeat([]byte{byte(i)}, 1000*(i+1))
		mustPut(t, s, data)
		total += int64(len(data))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// What a crash in the middle of a Put leaves behind.
	leftover := filepath.Join(dir, tmpName, Sum([]byte("half")).String()+".123")
	if err := os.WriteFile(leftover, []byte("half a chu"), 0o600); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, dir, nil)
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file survived Open: %v", err)
	}
	wantStats(t, s, 3, total)
}

func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	if s2, err := Open(Options{Dir: dir, Logger: testLogger(t)}); err == nil {
		s2.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
	s.Close()
	s2, err := Open(Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open after Close = %v", err)
	}
	s2.Close()
}

func TestDelete(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	a := mustPut(t, s, []byte("aaaa"))
	b := mustPut(t, s, []byte("bbbbbb"))
	if err := s.Delete(a); err != nil {
		t.Fatal(err)
	}
	if s.Has(a) || !s.Has(b) {
		t.Fatalf("after Delete(a): Has(a) = %v, Has(b) = %v", s.Has(a), s.Has(b))
	}
	wantStats(t, s, 1, 6)
}

func TestVerifyPuts(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), NoSync: true, VerifyPuts: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wrong := Sum([]byte("other"))
	if _, err := s.Put(wrong, []byte("data")); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("Put with a wrong hash = %v, want ErrHashMismatch", err)
	}
	if s.Has(wrong) {
		t.Fatal("Put with a wrong hash stored something")
	}
}

func TestWalkSeesEveryChunk(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	want := map[Hash]int64{}
	for i := range 50 {
		data := bytes.Repeat([]byte{byte(i)}, i+1)
		want[mustPut(t, s, data)] = int64(i + 1)
	}
	// Not chunks: Walk must skip them.
	os.WriteFile(filepath.Join(s.dir, "README"), []byte("hi"), 0o644)
	os.MkdirAll(filepath.Join(s.dir, "zz", "00"), 0o755)
	var prev string
	err := s.Walk(func(h Hash, size int64, _ time.Time) error {
		if want[h] != size {
			t.Errorf("Walk: %s has size %d, want %d", h, size, want[h])
		}
		if h.String() <= prev {
			t.Errorf("Walk out of hash order: %s after %s", h, prev)
		}
		prev = h.String()
		delete(want, h)
		return nil
	})
	if err != nil || len(want) != 0 {
		t.Fatalf("Walk = %v, missed %d chunks", err, len(want))
	}
	stop := errors.New("stop")
	if err := s.Walk(func(Hash, int64, time.Time) error { return stop }); err != stop {
		t.Fatalf("Walk returned %v, want the callback's error", err)
	}
}

func TestMetricsFollowStats(t *testing.T) {
	chunks0, bytes0 := metricValue(t, metrics.Chunks), metricValue(t, metrics.PhysicalBytes)
	s, err := Open(Options{Dir: t.TempDir(), NoSync: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	a := mustPut(t, s, make([]byte, 100))
	mustPut(t, s, make([]byte, 200))
	mustPut(t, s, make([]byte, 200)) // dedup
	s.Delete(a)
	if c, b := metricValue(t, metrics.Chunks)-chunks0, metricValue(t, metrics.PhysicalBytes)-bytes0; c != 1 || b != 200 {
		t.Errorf("gauges moved by %v chunks, %v bytes; want 1, 200", c, b)
	}
	s.Close()
	if c, b := metricValue(t, metrics.Chunks)-chunks0, metricValue(t, metrics.PhysicalBytes)-bytes0; c != 0 || b != 0 {
		t.Errorf("after Close gauges moved by %v chunks, %v bytes; want 0, 0", c, b)
	}
}
