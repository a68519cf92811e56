// Package admin serves the admin port: health, readiness, Prometheus
// metrics, cluster status and operations and, when enabled, pprof profiles.
//
// Only /health and /ready are open, and /metrics unless metrics.auth asks
// for a bearer token. Every other endpoint needs a request signed with AWS
// Signature V4 in the Authorization header (as the S3 API checks it) by an
// access key that Config.Authorize accepts (the root user). A browser cannot
// be made to send such a header from another site: a form post or an image
// carries no Authorization header, and a script on another origin needs a
// CORS preflight the admin port never grants.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/anode/anode/internal/audit"
	"github.com/anode/anode/internal/auth"
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
	// Storage reports the chunk store, its scrubber and its repair queue,
	// for the "storage" section of /cluster/status.
	Storage func() any
	// RemoveNode serves POST /cluster/remove-node?id=N.
	RemoveNode http.HandlerFunc
	// JoinToken serves POST /cluster/join-token?ttl=D.
	JoinToken http.HandlerFunc
	Pprof     bool
	// Lifecycle reports what the lifecycle runner did per bucket, for the
	// "lifecycle" field of /cluster/status.
	Lifecycle func() any

	// Auth verifies the signature of requests to the authenticated
	// endpoints (an *auth.Verifier). Nil refuses them all.
	Auth Authenticator
	// Authorize decides whether an authenticated access key may use the
	// admin API; nil allows none.
	Authorize func(r *http.Request, accessKey string) error
	// Routes are more authenticated endpoints ("METHOD /path" patterns of
	// http.ServeMux), such as the user and access key administration: they
	// get the same authentication and authorization as /cluster/*.
	// AccessKey(r.Context()) tells a handler who called.
	Routes map[string]http.Handler
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// Audit receives one entry per signed request, refused ones included
	// (nil: none). The open probes (/health, /ready, /metrics) are not
	// audited.
	Audit *audit.Logger
	// DisableMetrics leaves /metrics out (metrics.enabled = false).
	DisableMetrics bool
}

// Authenticator verifies a request's signature and returns the access key.
type Authenticator interface {
	Authenticate(r *http.Request) (*auth.Result, error)
}

type accessKeyCtx struct{}

// AccessKey returns the access key that signed an authenticated admin
// request ("" outside one).
func AccessKey(ctx context.Context) string {
	k, _ := ctx.Value(accessKeyCtx{}).(string)
	return k
}

// authenticated wraps h: the request must carry a valid SigV4
// Authorization header (presigned URLs are refused: an admin action is
// never a link) by an access key Authorize accepts.
func (cfg Config) authenticated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			deny(w, http.StatusUnauthorized, "this admin endpoint needs a request signed with AWS Signature V4 by the root credentials (anode admin does this)")
			return
		}
		if cfg.Auth == nil || cfg.Authorize == nil {
			deny(w, http.StatusForbidden, "admin API authentication is not configured")
			return
		}
		res, err := cfg.Auth.Authenticate(r)
		if err != nil {
			deny(w, http.StatusForbidden, "signature: "+err.Error())
			return
		}
		if ai := auditInfoOf(r.Context()); ai != nil {
			ai.accessKey = res.AccessKey
		}
		if err := cfg.Authorize(r, res.AccessKey); err != nil {
			deny(w, http.StatusForbidden, err.Error())
			return
		}
		if ai := auditInfoOf(r.Context()); ai != nil {
			ai.authorized = true
		}
		// The body must be read through the verifier, which checks it
		// against the signed payload hash.
		r.Body = res.Body
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), accessKeyCtx{}, res.AccessKey)))
		io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	})
}

func deny(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// bearer wraps h: the request must carry "Authorization: Bearer <token>".
func bearer(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="anode metrics"`)
			deny(w, http.StatusUnauthorized, "metrics.auth is bearer: send Authorization: Bearer <metrics.bearer_token>")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// NewHandler returns the admin HTTP handler:
//
//	GET /health                 open: 200 while the process runs
//	GET /ready                  open: 200 when the node can serve requests, 503 otherwise
//	GET /metrics                Prometheus metrics (open, or bearer token)
//	GET /cluster/status         signed: JSON, this node and its raft groups
//	POST /cluster/remove-node   signed
//	POST /cluster/join-token    signed
//	/debug/pprof/...            signed, when Config.Pprof is set
//	Config.Routes               signed
func NewHandler(cfg Config) http.Handler {
	mux := http.NewServeMux()
	signed := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, audited(cfg.Audit, pattern, cfg.authenticated(h)))
	}
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
	var metricsHandler http.Handler = promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})
	if cfg.MetricsToken != "" {
		metricsHandler = bearer(cfg.MetricsToken, metricsHandler)
	}
	if !cfg.DisableMetrics {
		mux.Handle("GET /metrics", metricsHandler)
	}
	signed("GET /cluster/status", func(w http.ResponseWriter, r *http.Request) {
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
		if cfg.Storage != nil {
			out["storage"] = cfg.Storage()
		}
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
		signed("POST /cluster/remove-node", cfg.RemoveNode)
	}
	if cfg.JoinToken != nil {
		signed("POST /cluster/join-token", cfg.JoinToken)
	}
	if cfg.Pprof {
		signed("/debug/pprof/", pprof.Index)
		signed("/debug/pprof/cmdline", pprof.Cmdline)
		signed("/debug/pprof/profile", pprof.Profile)
		signed("/debug/pprof/symbol", pprof.Symbol)
		signed("/debug/pprof/trace", pprof.Trace)
	}
	for pattern, h := range cfg.Routes {
		mux.Handle(pattern, audited(cfg.Audit, pattern, cfg.authenticated(h)))
	}
	return mux
}
