package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/replica"
)

// runRepair runs the re-replication passes (replica.Repairer) until
// shutdown, with no deadline of their own: a pass is paced by
// storage.repair_rate, not cut short.
func (s *Server) runRepair() {
	defer s.wg.Done()
	ctx, cancel := s.passContext(100 * 365 * 24 * time.Hour) // ends at shutdown
	defer cancel()
	s.repairer.Run(ctx)
}

// chunkRefs lists the chunk references of the metadata this node has
// applied (every node holds every group).
func (s *Server) chunkRefs(fn func(h chunk.Hash, size int64)) error {
	return s.meta.EachChunkRef(func(c meta.ChunkRef) { fn(chunk.Hash(c.Hash), c.Size) })
}

// Repair runs one re-replication pass now.
func (s *Server) Repair(ctx context.Context) (replica.RepairStatus, error) {
	return s.repairer.Pass(ctx)
}

// barrierAll waits until this node has applied every command committed in
// every group before the call, so that its references are complete.
func (s *Server) barrierAll(ctx context.Context) error {
	for gid := uint64(0); gid <= uint64(s.cfg.Cluster.PlacementGroups); gid++ {
		if err := s.host.ReadBarrier(ctx, gid); err != nil {
			return fmt.Errorf("group %d: %w", gid, err)
		}
	}
	return nil
}

// drain copies every referenced chunk to its targets under the membership
// without node id (see replica.Chunks.Drain), after a read barrier in every
// group so that no committed reference is missed.
func (s *Server) drain(ctx context.Context, id uint64) (replica.DrainReport, error) {
	if err := s.barrierAll(ctx); err != nil {
		return replica.DrainReport{}, fmt.Errorf("drain: %w", err)
	}
	return s.replicas.Drain(ctx, s.chunkRefs, id, s.cfg.Cluster.ReplicationFactor)
}

// GCStatus is what garbage collection has done, for `anode admin status`.
type GCStatus struct {
	Running     bool      `json:"running"`
	PassStarted time.Time `json:"pass_started,omitzero"`
	// PassScanned is how many chunks the running (or last) sweep looked at.
	PassScanned int64     `json:"pass_chunks_scanned"`
	LastEnded   time.Time `json:"last_pass_ended,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Passes      int64     `json:"passes_completed"`
	// Of the last completed pass: chunks unreferenced at its mark, those
	// deleted and those kept for their grace period (reclaimable bytes:
	// freed by a pass once their grace ends, unless referenced again).
	Unreferenced     int64 `json:"unreferenced_chunks"`
	Deleted          int64 `json:"deleted_chunks"`
	DeletedBytes     int64 `json:"deleted_bytes"`
	Reclaimable      int64 `json:"reclaimable_chunks"`
	ReclaimableBytes int64 `json:"reclaimable_bytes"`
}

// gcStatus records the passes of CollectGarbage.
type gcStatus struct {
	mu sync.Mutex
	st GCStatus
}

var (
	gcLastRun = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_gc_last_pass_timestamp_seconds", Help: "When the last completed garbage collection pass ended (Unix time).",
	})
	gcUnreferenced = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_gc_unreferenced_chunks", Help: "Chunks no metadata referenced at the last garbage collection pass's mark (deleted, or kept for their grace period).",
	})
	gcReclaimable = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_gc_reclaimable_bytes", Help: "Bytes of unreferenced chunks the last garbage collection pass kept for their grace period: freed once it ends.",
	})
	gcRunning = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_gc_pass_running", Help: "1 while a garbage collection pass runs.",
	})
)

func init() {
	metrics.Registry.MustRegister(gcLastRun, gcUnreferenced, gcReclaimable, gcRunning)
}

func (g *gcStatus) start(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.st.Running, g.st.PassStarted = true, now
	gcRunning.Set(1)
}

func (g *gcStatus) finish(now time.Time, st chunk.SweepStats, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.st.Running = false
	gcRunning.Set(0)
	if err != nil {
		g.st.LastError = err.Error()
		return
	}
	g.st.LastError = ""
	g.st.LastEnded = now
	g.st.Passes++
	g.st.Unreferenced = st.Deleted + st.Young
	g.st.Deleted, g.st.DeletedBytes = st.Deleted, st.DeletedBytes
	g.st.Reclaimable, g.st.ReclaimableBytes = st.Young, st.YoungBytes
	gcLastRun.Set(float64(now.Unix()))
	gcUnreferenced.Set(float64(g.st.Unreferenced))
	gcReclaimable.Set(float64(st.YoungBytes))
}

func (s *Server) gcStatus() GCStatus {
	s.gc.mu.Lock()
	st := s.gc.st
	s.gc.mu.Unlock()
	st.PassScanned = s.chunks.SweepProgress()
	return st
}

// StorageStatus is the storage section of /cluster/status.
type StorageStatus struct {
	Chunks       int64                `json:"chunks"`
	ChunkBytes   int64                `json:"chunk_bytes"`
	PendingHints int                  `json:"pending_chunk_hints"`
	Scrub        replica.ScrubStatus  `json:"scrub"`
	Repair       replica.RepairStatus `json:"repair"`
	GC           GCStatus             `json:"gc"`
}

func (s *Server) storageStatus() any {
	n, b := s.chunks.Stats()
	return StorageStatus{Chunks: n, ChunkBytes: b, PendingHints: s.replicas.PendingHints(),
		Scrub: s.scrubber.Status(), Repair: s.repairer.Status(), GC: s.gcStatus()}
}
