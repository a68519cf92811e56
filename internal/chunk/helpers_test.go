package chunk

import (
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// testClock is a clock tests move by hand.
type testClock struct{ ns atomic.Int64 }

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *testClock) Now() time.Time          { return epoch.Add(time.Duration(c.ns.Load())) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *testClock) Set(t time.Time)         { c.ns.Store(int64(t.Sub(epoch))) }
func noneReferenced(Hash) bool               { return false }
func setOf(hs ...Hash) func(Hash) bool {
	m := map[Hash]bool{}
	for _, h := range hs {
		m[h] = true
	}
	return func(h Hash) bool { return m[h] }
}

// openTest opens a NoSync store in dir with clk (nil for the real clock)
// and closes it when the test ends.
func openTest(t testing.TB, dir string, clk *testClock) *Store {
	t.Helper()
	opts := Options{Dir: dir, NoSync: true, Logger: testLogger(t)}
	if clk != nil {
		opts.Now = clk.Now
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustPut puts data and returns its hash.
func mustPut(t testing.TB, s *Store, data []byte) Hash {
	t.Helper()
	h := Sum(data)
	if _, err := s.Put(h, data); err != nil {
		t.Fatal(err)
	}
	return h
}

// corrupt flips one byte of chunk h on disk.
func corrupt(t testing.TB, s *Store, h Hash) {
	t.Helper()
	p := s.path(h)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantStats(t testing.TB, s *Store, chunks, bytes int64) {
	t.Helper()
	if c, b := s.Stats(); c != chunks || b != bytes {
		t.Fatalf("Stats() = %d chunks, %d bytes; want %d, %d", c, b, chunks, bytes)
	}
}

// metricValue reads a gauge or counter.
func metricValue(t testing.TB, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.Counter.GetValue()
}

// testLogger logs to the test's output, shown only for failed or -v tests.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}
