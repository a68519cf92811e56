package parquet

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/metrics"
)

var (
	cacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_parquet_footer_cache_hits_total", Help: "Parquet tail cache lookups that found the object.",
	})
	cacheMisses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_parquet_footer_cache_misses_total", Help: "Parquet tail cache lookups that did not find the object.",
	})
	bytesServed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_parquet_footer_cache_bytes_served_total", Help: "Range read bytes served from the Parquet tail cache.",
	})
)

func init() {
	metrics.Registry.MustRegister(cacheHits, cacheMisses, bytesServed)
}
