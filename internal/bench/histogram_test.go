package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramExactOnSmallValues(t *testing.T) {
	var h Histogram
	// 1..100 in a scrambled order: percentiles must not depend on order.
	for _, i := range rand.New(rand.NewPCG(1, 2)).Perm(100) {
		h.Record(time.Duration(i + 1))
	}
	want := map[float64]time.Duration{1: 1, 50: 50, 90: 90, 95: 95, 99: 99, 99.9: 100, 100: 100}
	for p, w := range want {
		if got := h.Percentile(p); got != w {
			t.Errorf("Percentile(%v) = %v, want %v", p, got, w)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 {
		t.Errorf("count, min, max = %d, %v, %v; want 100, 1ns, 100ns", h.Count(), h.Min(), h.Max())
	}
	if got := h.Mean(); got != 51 { // 50.5 rounds to 51
		t.Errorf("Mean = %v, want 51ns", got)
	}
}

func TestHistogramExactOnBucketBoundaries(t *testing.T) {
	// Values of the form m<<e with m in [256, 512) start a bucket; recorded
	// alone, each must come back exactly (capped at the max).
	for _, v := range []time.Duration{512, 1000 << 10, 300 << 20, 257 << 30} {
		var h Histogram
		h.Record(v)
		if got := h.Percentile(50); got != v {
			t.Errorf("one value %v: Percentile(50) = %v", v, got)
		}
	}
}

func TestHistogramRelativeErrorOnLatencies(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h Histogram
	vals := make([]time.Duration, 100000)
	for i := range vals {
		// Log-uniform from 10µs to 10s, like real latencies.
		v := time.Duration(10e3 * float64(int64(1)<<rng.IntN(20)) * (1 + rng.Float64()))
		vals[i] = v
		h.Record(v)
	}
	slices.Sort(vals)
	for _, p := range []float64{50, 95, 99, 99.9} {
		exact := vals[int(p/100*float64(len(vals)))-1]
		got := h.Percentile(p)
		if got < exact || float64(got) > float64(exact)*(1+1.0/256) {
			t.Errorf("Percentile(%v) = %v, exact %v: outside [exact, exact*(1+1/256)]", p, got, exact)
		}
	}
	if h.Max() != vals[len(vals)-1] {
		t.Errorf("Max = %v, want %v", h.Max(), vals[len(vals)-1])
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Microsecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{}) // merging an empty histogram changes nothing
	for _, p := range []float64{1, 50, 95, 99, 100} {
		if m.Percentile(p) != all.Percentile(p) {
			t.Errorf("merged Percentile(%v) = %v, want %v", p, m.Percentile(p), all.Percentile(p))
		}
	}
	if m.Count() != 1000 || m.Min() != time.Microsecond || m.Max() != time.Millisecond || m.Mean() != all.Mean() {
		t.Errorf("merged count/min/max/mean = %d/%v/%v/%v", m.Count(), m.Min(), m.Max(), m.Mean())
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	var h Histogram
	if h.Percentile(50) != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram reports a nonzero value")
	}
	h.Record(-5)
	if h.Max() != 0 || h.Percentile(99) != 0 {
		t.Fatalf("negative duration not recorded as zero: max %v", h.Max())
	}
}

func TestHistIndexBounds(t *testing.T) {
	// Every value lies within the bounds of its own bucket, and buckets are
	// contiguous: highest(i)+1 is the first value of bucket i+1.
	for i := 0; i < histBuckets-1; i++ {
		hi := histHighest(i)
		if histIndex(hi) != i || histIndex(hi+1) != i+1 {
			t.Fatalf("bucket %d: highest %d maps to %d, next to %d", i, hi, histIndex(hi), histIndex(hi+1))
		}
	}
	if got := histIndex(^uint64(0)); got != histBuckets-1 {
		t.Fatalf("max uint64 maps to bucket %d, want %d", got, histBuckets-1)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := 1234567 * time.Nanosecond
	for b.Loop() {
		h.Record(d)
		d += 7919
	}
}
