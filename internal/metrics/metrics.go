// Package metrics holds Anode's Prometheus collectors. Every layer records
// into the collectors here; the admin server exposes Registry at /metrics.
package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry is the registry served at :8081/metrics.
var Registry = prometheus.NewRegistry()

var (
	// S3 API.
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_s3_requests_total", Help: "S3 requests by operation and HTTP status.",
	}, []string{"op", "status"})
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "anode_s3_request_duration_seconds", Help: "S3 request latency by operation.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"op"})
	BytesIn = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_s3_bytes_in_total", Help: "Request body bytes received by the S3 API.",
	})
	BytesOut = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_s3_bytes_out_total", Help: "Response body bytes sent by the S3 API.",
	})

	// Storage.
	LogicalBytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "anode_logical_bytes", Help: "Sum of the sizes of all stored object versions (before dedup), in the placement groups on this node.",
	}, func() float64 { _, b := stats(); return float64(b) })
	Objects = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "anode_objects", Help: "Number of stored object versions (delete markers excluded), in the placement groups on this node.",
	}, func() float64 { o, _ := stats(); return float64(o) })
	PhysicalBytes = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_chunk_bytes", Help: "Bytes held by this node's chunk store (after dedup).",
	})
	Chunks = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_chunks", Help: "Number of chunks in this node's chunk store.",
	})
	ChunkWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_chunk_writes_total", Help: "Chunk writes by result: stored (new) or dedup (already present).",
	}, []string{"result"})
	GCSweeps = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_gc_sweeps_total", Help: "Completed garbage collection sweeps.",
	})
	GCDeletedChunks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_gc_deleted_chunks_total", Help: "Chunks deleted by garbage collection.",
	})
	GCDeletedBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_gc_deleted_bytes_total", Help: "Bytes freed by garbage collection.",
	})

	// Raft.
	RaftProposals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_raft_proposals_total", Help: "Raft proposals by result.",
	}, []string{"result"})
	RaftReadyBatches = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "anode_raft_ready_groups", Help: "Groups handled per Ready batch (one fsync each).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 9),
	})
	RaftSyncDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "anode_raft_sync_duration_seconds", Help: "Time to persist one Ready batch.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		Requests, RequestDuration, BytesIn, BytesOut,
		LogicalBytes, Objects, PhysicalBytes, Chunks, ChunkWrites,
		GCSweeps, GCDeletedChunks, GCDeletedBytes,
		RaftProposals, RaftReadyBatches, RaftSyncDuration,
	)
}

// statsSource reports object count and logical bytes; the running server
// installs it with SetStatsSource.
var statsSource atomic.Pointer[func() (objects, bytes int64)]

// SetStatsSource installs the function the object and logical-byte gauges
// read when scraped.
func SetStatsSource(fn func() (objects, bytes int64)) { statsSource.Store(&fn) }

func stats() (int64, int64) {
	if fn := statsSource.Load(); fn != nil {
		return (*fn)()
	}
	return 0, 0
}
