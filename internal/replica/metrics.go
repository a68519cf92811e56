package replica

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/metrics"
)

var (
	repairs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_chunk_repairs_total",
		Help: "Chunks copied to this node from another replica, by cause: read (read repair) or repair (a re-replication pass found it missing).",
	}, []string{"cause"})
	repairFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_chunk_repair_failures_total",
		Help: "Chunks a re-replication pass found missing here and could fetch from no replica (retried by the next pass).",
	})

	hintsPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_chunk_hints_pending",
		Help: "Chunk copies a write left to the background (a replica had not confirmed when a majority had): queued for delivery.",
	})
	hintsDone = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_chunk_hints_total",
		Help: "Chunk hints finished, by result: delivered, expired (older than 10 minutes) or dropped (queue full); the repair pass completes expired and dropped ones.",
	}, []string{"result"})
)

func init() { metrics.Registry.MustRegister(repairs, repairFailures, hintsPending, hintsDone) }
