package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	// StorageFailed is 1 for a store (chunks, raft) whose flush failed: the
	// node no longer acknowledges writes to it until restarted.
	StorageFailed = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "anode_storage_failed", Help: "1 when a flush (fsync) of this store failed: it refuses writes until the node restarts.",
	}, []string{"store"})
	// StorageLowSpace is 1 while the chunk store's filesystem has less free
	// space than its reserve: the node refuses new data, serves reads and
	// deletes.
	StorageLowSpace = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_storage_low_space", Help: "1 while free space is below the reserve: new data is refused, reads and deletes still work.",
	})
	// StorageFreeBytes is the free space last measured on the chunk
	// store's filesystem (available to this process).
	StorageFreeBytes = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "anode_storage_free_bytes", Help: "Free bytes on the data filesystem, as last measured.",
	})
)

func init() {
	Registry.MustRegister(StorageFailed, StorageLowSpace, StorageFreeBytes)
}
