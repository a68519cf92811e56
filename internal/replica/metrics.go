package replica

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/metrics"
)

var (
	repairs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_chunk_repairs_total",
		Help: "Chunks copied to this node from another replica, by cause: read (read repair) or scrub (the scrubber found it missing).",
	}, []string{"cause"})
	repairFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_chunk_repair_failures_total",
		Help: "Chunks the scrubber found missing here and could fetch from no replica.",
	})
)

func init() { metrics.Registry.MustRegister(repairs, repairFailures) }
