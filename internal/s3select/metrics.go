package s3select

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/metrics"
)

var (
	selectRequests = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_select_requests_total", Help: "SelectObjectContent queries run.",
	})
	selectScanned = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_select_bytes_scanned_total", Help: "Bytes read from objects by S3 Select.",
	})
	selectProcessed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_select_bytes_processed_total", Help: "Uncompressed bytes processed by S3 Select.",
	})
	selectReturned = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_select_bytes_returned_total", Help: "Record bytes returned by S3 Select.",
	})
)

func init() {
	metrics.Registry.MustRegister(selectRequests, selectScanned, selectProcessed, selectReturned)
}

func recordMetrics(s Stats) {
	selectRequests.Inc()
	selectScanned.Add(float64(s.BytesScanned))
	selectProcessed.Add(float64(s.BytesProcessed))
	selectReturned.Add(float64(s.BytesReturned))
}
