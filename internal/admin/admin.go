// Package admin serves the admin port: health, readiness, Prometheus
// metrics, cluster status and, when enabled, pprof profiles.
package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/metrics"
)

// Config configures the admin handler.
type Config struct {
	// Ready reports whether the node can serve S3 requests (every group it
	// hosts has a leader). Nil means always ready.
	Ready func(ctx context.Context) error
	// Status returns the raft groups' status, for /cluster/status.
	Status func(ctx context.Context) ([]cluster.GroupStatus, error)
	// NodeID and Name identify the node in /cluster/status.
	NodeID uint64
	Name   string
	// Nodes returns the cluster's members.
	Nodes func() []cluster.Node
	// Reconcile reports how many groups have reached their placement.
	Reconcile func() *cluster.ReconcileStats
	// RemoveNode serves POST /cluster/remove-node?id=N.
	RemoveNode http.HandlerFunc
	Pprof      bool
	// Lifecycle reports what the lifecycle runner did per bucket, for the
	// "lifecycle" field of /cluster/status.
	Lifecycle func() any
}

// NewHandler returns the admin HTTP handler:
//
//	GET /health          200 while the process runs
//	GET /ready           200 when the node can serve requests, 503 otherwise
//	GET /metrics         Prometheus metrics
//	GET /cluster/status  JSON: this node and its raft groups
//	/debug/pprof/...     profiles, when Config.Pprof is set
func NewHandler(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if cfg.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := cfg.Ready(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				json.NewEncoder(w).Encode(map[string]string{"status": "not ready", "reason": err.Error()})
				return
			}
		}
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /cluster/status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		var groups []cluster.GroupStatus
		if cfg.Status != nil {
			var err error
			if groups, err = cfg.Status(ctx); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		var nodes []cluster.Node
		if cfg.Nodes != nil {
			nodes = cfg.Nodes()
		}
		out := map[string]any{"node_id": cfg.NodeID, "name": cfg.Name, "nodes": nodes, "groups": groups}
		if cfg.Reconcile != nil {
			if st := cfg.Reconcile(); st != nil {
				out["placement"] = map[string]int{"groups": st.Groups, "settled": st.Settled}
			}
		}
		if cfg.Lifecycle != nil {
			out["lifecycle"] = cfg.Lifecycle()
		}
		enc.Encode(out)
	})
	if cfg.RemoveNode != nil {
		mux.HandleFunc("POST /cluster/remove-node", cfg.RemoveNode)
	}
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
