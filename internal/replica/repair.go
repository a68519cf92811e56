package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/metrics"
)

// Re-replication. The Repairer runs passes over every chunk the metadata
// references, one after another: after a pass that left a chunk missing
// here it starts the next one at once (after a second), else it waits for
// RepairConfig.Pause or for Trigger (a membership change). A pass
//
//  1. fetches every chunk this node is a target of and lacks, from any
//     node holding a good copy (sources: targets first, then every
//     member), at most RepairConfig.Rate bytes per second;
//  2. removes the copies this node holds of chunks it is no longer a target
//     of, once every target has confirmed it holds its copy (a touch on
//     each, which also protects those copies from garbage collection for a
//     grace period). A target that does not answer keeps the extra copy
//     for the next pass: the last copy of a chunk is never removed here.
//
// Every node repairs itself, so a chunk is back to replication_factor
// copies once each of its targets has run a pass.

// RefFunc calls fn for every chunk reference of the committed metadata (a
// chunk may come more than once).
type RefFunc func(fn func(h chunk.Hash, size int64)) error

// RepairConfig paces the repairer.
type RepairConfig struct {
	// Rate is the most bytes per second a pass fetches from other nodes.
	Rate int64
	// Pause is the least time between the starts of two passes when the
	// last one left nothing missing.
	Pause time.Duration
}

// RepairStatus is what the repairer has done, for `anode admin status`.
type RepairStatus struct {
	Running       bool      `json:"running"`
	RateBytes     int64     `json:"rate_bytes_per_sec"`
	Passes        int64     `json:"passes_completed"`
	PassStarted   time.Time `json:"pass_started,omitzero"`
	LastPassEnded time.Time `json:"last_pass_ended,omitzero"`
	// Chunks referenced by the metadata at the start of the pass.
	ReferencedChunks int64 `json:"referenced_chunks"`
	// UnderReplicated is how many referenced chunks this node is a target
	// of and lacked at the start of the pass (MissingBytes their size);
	// Fetched and Failed count what the pass did about them so far.
	UnderReplicated int64  `json:"under_replicated_chunks"`
	MissingBytes    int64  `json:"under_replicated_bytes"`
	Fetched         int64  `json:"fetched_chunks"`
	FetchedBytes    int64  `json:"fetched_bytes"`
	Failed          int64  `json:"failed_chunks"`
	ETA             string `json:"eta,omitempty"`
	// Extra copies: chunks held here whose targets do not include this
	// node, found and removed by the pass.
	ExtraCopies  int64 `json:"extra_copies"`
	ExtraRemoved int64 `json:"extra_copies_removed"`
}

var (
	repairUnder = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_repair_under_replicated_chunks",
		Help: "Referenced chunks this node is a target of and lacks, at the start of the current repair pass minus those fetched since.",
	})
	repairPasses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_repair_passes_total", Help: "Completed re-replication passes.",
	})
	repairFetchedBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_repair_fetched_bytes_total", Help: "Bytes of chunks the repair passes fetched from other nodes.",
	})
	extraRemoved = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_repair_extra_copies_removed_total",
		Help: "Copies removed from this node because it is no longer among the chunk's targets and every target confirmed its copy.",
	})
)

func init() {
	metrics.Registry.MustRegister(repairUnder, repairPasses, repairFetchedBytes, extraRemoved)
}

// Repairer runs re-replication passes for one node.
type Repairer struct {
	c       *Chunks
	cfg     RepairConfig
	refs    RefFunc
	trigger chan struct{}

	mu sync.Mutex
	st RepairStatus
}

// NewRepairer returns a repairer of c's chunks; refs lists the chunks the
// metadata references.
func NewRepairer(c *Chunks, refs RefFunc, cfg RepairConfig) *Repairer {
	return &Repairer{c: c, cfg: cfg, refs: refs, trigger: make(chan struct{}, 1), st: RepairStatus{RateBytes: cfg.Rate}}
}

// Trigger starts a pass soon (after the running one), without waiting for
// the pause: placement changed.
func (r *Repairer) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// retryAfter is the wait before the next pass when the last one left a
// chunk missing (no node answered with it yet).
const retryAfter = time.Second

// Run runs passes until ctx ends. A rate of zero or less disables it.
func (r *Repairer) Run(ctx context.Context) {
	if r.cfg.Rate <= 0 {
		return
	}
	r.update(func(st *RepairStatus) { st.Running = true })
	defer r.update(func(st *RepairStatus) { st.Running = false })
	for ctx.Err() == nil {
		start := time.Now()
		st, err := r.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			r.c.log.Warn("repair pass", "err", err)
		}
		next := start.Add(r.cfg.Pause)
		if err != nil || st.Failed > 0 {
			next = time.Now().Add(retryAfter)
		}
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-r.trigger:
		}
		timer.Stop()
	}
}

// Status returns the repairer's progress.
func (r *Repairer) Status() RepairStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	if left := st.MissingBytes - st.FetchedBytes; st.Running && st.RateBytes > 0 && left > 0 && st.Fetched+st.Failed < st.UnderReplicated {
		st.ETA = atRate(left, st.RateBytes).Round(time.Second).String()
	}
	return st
}

func (r *Repairer) update(fn func(*RepairStatus)) {
	r.mu.Lock()
	fn(&r.st)
	r.mu.Unlock()
}

// Pass runs one re-replication pass now and returns its counts.
func (r *Repairer) Pass(ctx context.Context) (RepairStatus, error) {
	c := r.c
	start := time.Now()
	sizes := make(map[chunk.Hash]int64)
	if err := r.refs(func(h chunk.Hash, size int64) { sizes[h] = size }); err != nil {
		return RepairStatus{}, fmt.Errorf("repair: reading references: %w", err)
	}
	var missing, extra []chunk.Hash
	var missingBytes int64
	for h, size := range sizes {
		has := c.local.Has(h)
		switch target := c.isTarget(h); {
		case target && !has:
			missing = append(missing, h)
			missingBytes += size
		case !target && has:
			extra = append(extra, h)
		}
	}
	r.update(func(st *RepairStatus) {
		st.PassStarted = start
		st.ReferencedChunks = int64(len(sizes))
		st.UnderReplicated, st.MissingBytes = int64(len(missing)), missingBytes
		st.Fetched, st.FetchedBytes, st.Failed = 0, 0, 0
		st.ExtraCopies, st.ExtraRemoved = int64(len(extra)), 0
	})
	repairUnder.Set(float64(len(missing)))
	var fetchedBytes int64
	var buf []byte
	for i, h := range missing {
		if ctx.Err() != nil {
			return r.Status(), ctx.Err()
		}
		data, err := c.fetch(ctx, h, buf)
		if err != nil {
			c.log.Warn("repair: no node could give a chunk this node should hold", "chunk", h, "err", err)
			repairFailures.Inc()
			r.update(func(st *RepairStatus) { st.Failed++ })
			continue
		}
		buf = data
		fetchedBytes += int64(len(data))
		repairs.WithLabelValues("repair").Inc()
		repairFetchedBytes.Add(float64(len(data)))
		repairUnder.Set(float64(len(missing) - i - 1))
		r.update(func(st *RepairStatus) { st.Fetched++; st.FetchedBytes = fetchedBytes })
		// Pace: wait until the bytes fetched so far are due at the rate.
		if r.cfg.Rate > 0 {
			waitUntil(ctx, start.Add(atRate(fetchedBytes, r.cfg.Rate)))
		}
	}
	for _, h := range extra {
		if ctx.Err() != nil {
			return r.Status(), ctx.Err()
		}
		if removed, err := c.removeExtra(ctx, h); err != nil {
			c.log.Debug("repair: extra copy kept", "chunk", h, "err", err)
		} else if removed {
			extraRemoved.Inc()
			r.update(func(st *RepairStatus) { st.ExtraRemoved++ })
		}
	}
	repairPasses.Inc()
	r.update(func(st *RepairStatus) { st.Passes++; st.LastPassEnded = time.Now() })
	st := r.Status()
	if st.Fetched > 0 || st.Failed > 0 || st.ExtraRemoved > 0 {
		c.log.Info("repair pass", "fetched_chunks", st.Fetched, "failed_chunks", st.Failed,
			"extra_copies_removed", st.ExtraRemoved, "took", time.Since(start).Round(time.Millisecond))
	}
	return st, nil
}

// fetch reads chunk h from the first other node with a good copy and
// stores it locally.
func (c *Chunks) fetch(ctx context.Context, h chunk.Hash, buf []byte) ([]byte, error) {
	var errs []error
	for _, id := range c.sources(h) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		data, err := c.remoteGet(id, h, buf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := c.local.Put(h, data); err != nil {
			return nil, fmt.Errorf("store fetched chunk %s: %w", h, err)
		}
		return data, nil
	}
	return nil, fmt.Errorf("chunk %s: %w", h, errors.Join(errs...))
}

// errTargetLacks is returned by removeExtra when a target did not confirm
// its copy.
var errTargetLacks = errors.New("a target did not confirm its copy")

// removeExtra deletes this node's copy of h when this node is not one of
// h's targets and every target confirms (by a touch) that it holds a copy.
// It never deletes a copy a target lacks, so never the last one. Nodes may
// briefly disagree on the membership; a node that is a target under both
// views never deletes its copy, and two views one or two membership
// changes apart share a target for replication_factor >= 3 (>= 2 for one
// change), so some copy always stays.
func (c *Chunks) removeExtra(ctx context.Context, h chunk.Hash) (bool, error) {
	targets := c.Targets(h)
	if len(targets) == 0 {
		return false, errTargetLacks
	}
	for _, id := range targets {
		if id == c.self {
			return false, nil // placement moved back here: keep it
		}
		if err := c.remoteTouch(ctx, id, h); err != nil {
			return false, fmt.Errorf("%w: %w", errTargetLacks, err)
		}
	}
	// Placement may have changed during the touches: only a copy this node
	// is still not a target of goes.
	if c.isTarget(h) {
		return false, nil
	}
	if err := c.local.Delete(h); err != nil {
		return false, err
	}
	return true, nil
}

// DrainReport is what Drain did.
type DrainReport struct {
	Chunks  int64    `json:"chunks"`            // distinct chunks referenced
	Copied  int64    `json:"copied"`            // copies made on a target under the new membership
	Missing int64    `json:"missing"`           // chunks some new target still lacks
	Samples []string `json:"samples,omitempty"` // a few of them, with the reason
}

// Drain makes every referenced chunk present on each of its targets under
// the membership without node leaving (with rf copies), copying it there
// from any member that holds a good copy, the leaving node included. A
// node is drained when the report has Missing == 0: each chunk then has a
// copy on every one of its future targets, confirmed by a touch (or a
// copy) during the call, so removing the node takes no last copy away.
func (c *Chunks) Drain(ctx context.Context, refs RefFunc, leaving uint64, rf int) (DrainReport, error) {
	var rep DrainReport
	var ids []uint64
	for _, id := range c.members.IDs() {
		if id != leaving {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return rep, errors.New("drain: no member would be left")
	}
	rf = min(rf, len(ids))
	seen := make(map[chunk.Hash]bool)
	var hashes []chunk.Hash
	if err := refs(func(h chunk.Hash, _ int64) {
		if !seen[h] {
			seen[h] = true
			hashes = append(hashes, h)
		}
	}); err != nil {
		return rep, fmt.Errorf("drain: reading references: %w", err)
	}
	rep.Chunks = int64(len(hashes))
	var buf []byte
	for _, h := range hashes {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var data []byte // read once, the first time a target lacks it
		for _, id := range cluster.Replicas(cluster.ChunkKey(h), ids, rf) {
			err := c.confirmCopy(ctx, id, h)
			if err == nil {
				continue
			}
			if data == nil {
				if data, err = c.GetInto(h, buf[:0]); err == nil {
					buf = data
				}
			}
			if err == nil {
				err = c.storeOn(ctx, id, h, data)
			}
			if err != nil {
				rep.Missing++
				if len(rep.Samples) < 10 {
					rep.Samples = append(rep.Samples, fmt.Sprintf("chunk %s on node %d: %v", h, id, err))
				}
				break
			}
			rep.Copied++
		}
	}
	return rep, nil
}

// confirmCopy touches node id's copy of h (the local store's for this
// node): it holds one, protected from collection for a grace period.
func (c *Chunks) confirmCopy(ctx context.Context, id uint64, h chunk.Hash) error {
	if id == c.self {
		return c.local.Touch(h)
	}
	return c.remoteTouch(ctx, id, h)
}

// storeOn writes chunk h to node id.
func (c *Chunks) storeOn(ctx context.Context, id uint64, h chunk.Hash, data []byte) error {
	if id == c.self {
		_, err := c.local.Put(h, data)
		return err
	}
	_, err := c.remotePut(ctx, id, h, data, false)
	return err
}
