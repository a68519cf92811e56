package bench

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is log-linear, in the manner of HdrHistogram: values below
// 2^histSubBits are counted exactly, and above that every power of two is
// split into 2^(histSubBits-1) equal buckets, so a recorded value is known to
// within 1/256 (0.4%) of itself. That is far finer than the run-to-run noise of
// any latency measurement, costs a fixed 114 KiB per histogram however long
// the run, and makes Record a few instructions with no allocation.
const (
	histSubBits  = 9
	histSubCount = 1 << histSubBits // values below this are exact
	histHalf     = histSubCount / 2 // buckets per power of two above that
	histBuckets  = (64-histSubBits)*histHalf + histSubCount
)

// Histogram records durations (as nanoseconds) and answers percentiles.
// The zero value is ready to use. It is not safe for concurrent use: each
// worker records into its own and the results are merged.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    float64 // nanoseconds; float so that hours of load cannot overflow
	min    int64
	max    int64
}

// histIndex returns the bucket of a non-negative value.
func histIndex(v uint64) int {
	if v < histSubCount {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits // >= 1
	m := v >> uint(e)                // in [histHalf, histSubCount)
	return e*histHalf + int(m)
}

// histHighest returns the largest value that falls in bucket i.
func histHighest(i int) uint64 {
	if i < histSubCount {
		return uint64(i)
	}
	e := i/histHalf - 1
	m := uint64(i%histHalf + histHalf)
	return (m+1)<<uint(e) - 1
}

// Record adds one duration. Negative durations (a clock step) count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(uint64(v))]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min returns the smallest recorded value, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean returns the arithmetic mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(math.Round(h.sum / float64(h.n)))
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// smallest recorded value v such that at least p% of the values are <= v.
// The answer is the highest value of v's bucket, capped at the maximum, so it
// is exact below 512ns and above that never under-reports, and over-reports
// by less than 0.4%.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	if rank >= h.n {
		return time.Duration(h.max)
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := int64(histHighest(i))
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
