package replica

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/metrics"
)

// The scrubber walks this node's chunks continuously and verifies each
// (block checksums and SHA-256), at a bounded rate so that it never takes
// the disk from clients. A corrupt copy is quarantined by the chunk store
// and, when this node is one of the chunk's targets, fetched again from any
// node that holds a good copy. A copy nobody reads is therefore repaired
// within one pass: its size over the rate, plus the pause between passes.

// ScrubConfig paces the scrubber.
type ScrubConfig struct {
	// Rate is the most bytes per second a pass reads.
	Rate int64
	// Pause is the least time between the starts of two passes, so a small
	// store is not read over and over.
	Pause time.Duration
}

// ScrubStatus is what the scrubber has done, for `anode admin status`.
type ScrubStatus struct {
	Running        bool      `json:"running"`
	RateBytes      int64     `json:"rate_bytes_per_sec"`
	Passes         int64     `json:"passes_completed"`
	PassStarted    time.Time `json:"pass_started,omitzero"`
	LastPassEnded  time.Time `json:"last_pass_ended,omitzero"`
	PassChunks     int64     `json:"pass_chunks_checked"`
	PassBytes      int64     `json:"pass_bytes_checked"`
	StoreChunks    int64     `json:"store_chunks"`
	StoreBytes     int64     `json:"store_bytes"`
	ETA            string    `json:"pass_eta,omitempty"`
	Corrupt        int64     `json:"corrupt_found"`
	Repaired       int64     `json:"corrupt_repaired"`
	RepairFailures int64     `json:"corrupt_unrepaired"`
}

var (
	scrubChunks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_scrub_chunks_total",
		Help: "Chunks the scrubber verified, by result: ok, corrupt (quarantined) or error (could not be read).",
	}, []string{"result"})
	scrubBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_scrub_bytes_total", Help: "Bytes of chunk data the scrubber read and verified.",
	})
	scrubPasses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_scrub_passes_total", Help: "Completed scrub passes over this node's chunks.",
	})
	scrubProgress = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_scrub_pass_progress_ratio", Help: "How far the current scrub pass is, in bytes checked over the store's bytes at its start (0 to 1).",
	})
	scrubRepairs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_scrub_repairs_total",
		Help: "Corrupt copies the scrubber found on a target node, by result: repaired (a good copy fetched) or failed (no node had one).",
	}, []string{"result"})
)

func init() {
	metrics.Registry.MustRegister(scrubChunks, scrubBytes, scrubPasses, scrubProgress, scrubRepairs)
	// Every series exists from the start, so a dashboard (or a test) sees
	// zeros rather than nothing.
	for _, r := range []string{"ok", "corrupt", "error"} {
		scrubChunks.WithLabelValues(r)
	}
	scrubRepairs.WithLabelValues("repaired")
	scrubRepairs.WithLabelValues("failed")
}

// Scrubber runs scrub passes over one node's chunks.
type Scrubber struct {
	c   *Chunks
	cfg ScrubConfig

	mu sync.Mutex
	st ScrubStatus
}

// NewScrubber returns a scrubber of c's local store.
func NewScrubber(c *Chunks, cfg ScrubConfig) *Scrubber {
	return &Scrubber{c: c, cfg: cfg, st: ScrubStatus{RateBytes: cfg.Rate}}
}

// Run scrubs until ctx ends. A rate of zero or less disables it.
func (s *Scrubber) Run(ctx context.Context) {
	if s.cfg.Rate <= 0 {
		return
	}
	s.update(func(st *ScrubStatus) { st.Running = true })
	defer s.update(func(st *ScrubStatus) { st.Running = false })
	for ctx.Err() == nil {
		start := time.Now()
		if err := s.pass(ctx); err != nil && ctx.Err() == nil {
			s.c.log.Warn("scrub pass", "err", err)
		}
		if !waitUntil(ctx, start.Add(s.cfg.Pause)) {
			return
		}
	}
}

// Status returns what the scrubber has done so far.
func (s *Scrubber) Status() ScrubStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if st.Running && st.RateBytes > 0 && st.StoreBytes > st.PassBytes {
		st.ETA = atRate(st.StoreBytes-st.PassBytes, st.RateBytes).Round(time.Second).String()
	}
	return st
}

func (s *Scrubber) update(fn func(*ScrubStatus)) {
	s.mu.Lock()
	fn(&s.st)
	s.mu.Unlock()
}

// pass verifies every chunk once, pacing itself to the rate: after each
// chunk it waits until the time at which the bytes read so far are due.
func (s *Scrubber) pass(ctx context.Context) error {
	start := time.Now()
	chunks, bytes := s.c.local.Stats()
	s.update(func(st *ScrubStatus) {
		st.PassStarted, st.PassChunks, st.PassBytes = start, 0, 0
		st.StoreChunks, st.StoreBytes = chunks, bytes
	})
	scrubProgress.Set(0)
	var read int64
	var buf []byte
	err := s.c.local.Scrub(ctx, func(h chunk.Hash, size int64, err error) {
		read += size
		scrubBytes.Add(float64(size))
		switch {
		case err == nil:
			scrubChunks.WithLabelValues("ok").Inc()
		case errors.Is(err, chunk.ErrCorrupt):
			scrubChunks.WithLabelValues("corrupt").Inc()
			s.c.log.Warn("scrub found a corrupt chunk copy", "chunk", h, "err", err)
			buf = s.repair(h, buf)
		default:
			scrubChunks.WithLabelValues("error").Inc()
			s.c.log.Warn("scrub could not read a chunk", "chunk", h, "err", err)
		}
		s.update(func(st *ScrubStatus) { st.PassChunks++; st.PassBytes = read })
		if bytes > 0 {
			scrubProgress.Set(min(1, float64(read)/float64(bytes)))
		}
		waitUntil(ctx, start.Add(atRate(read, s.cfg.Rate)))
	})
	if err != nil {
		return err
	}
	scrubPasses.Inc()
	s.update(func(st *ScrubStatus) { st.Passes++; st.LastPassEnded = time.Now() })
	return nil
}

// repair fetches a good copy of h from another node after the scrubber
// quarantined the local one, if this node is one of h's targets.
func (s *Scrubber) repair(h chunk.Hash, buf []byte) []byte {
	s.update(func(st *ScrubStatus) { st.Corrupt++ })
	if !s.c.isTarget(h) {
		return buf // the copy was extra; the targets hold theirs
	}
	data, err := s.c.GetInto(h, buf[:0]) // read repair stores the copy it fetches
	if err == nil && s.c.local.Has(h) {
		scrubRepairs.WithLabelValues("repaired").Inc()
		s.update(func(st *ScrubStatus) { st.Repaired++ })
		return data
	}
	scrubRepairs.WithLabelValues("failed").Inc()
	s.update(func(st *ScrubStatus) { st.RepairFailures++ })
	s.c.log.Error("scrub could not repair a corrupt chunk copy: no node has a good one", "chunk", h, "err", err)
	return buf
}

// atRate is how long moving n bytes takes at rate bytes per second: the
// scrubber and the repairer pace themselves, and estimate what is left, by
// it. The rate must be positive.
func atRate(n, rate int64) time.Duration {
	return time.Duration(float64(n) / float64(rate) * float64(time.Second))
}

// waitUntil blocks until t or until ctx ends; it reports whether t came.
func waitUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
