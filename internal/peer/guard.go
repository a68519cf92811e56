package peer

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Every peer request names the cluster it is for and the sending and
// receiving nodes. The receiver refuses one whose cluster ID is not its
// own or that is addressed to another node ID: a node that was given
// another's address, or a node of another cluster that shares the secret,
// never gets its messages applied.
const (
	ClusterIDHeader = "X-Anode-Cluster-Id"
	FromHeader      = "X-Anode-From"
	ToHeader        = "X-Anode-To"
)

// Identity is who a node is: the cluster it belongs to and its node ID,
// both recorded in its data directory.
type Identity struct {
	ClusterID string `json:"cluster_id"`
	NodeID    uint64 `json:"node_id"`
}

// SetHeaders names the sender (self) and the receiving node on req.
func SetHeaders(req *http.Request, self Identity, to uint64) {
	req.Header.Set(ClusterIDHeader, self.ClusterID)
	req.Header.Set(FromHeader, strconv.FormatUint(self.NodeID, 10))
	req.Header.Set(ToHeader, strconv.FormatUint(to, 10))
}

// Sender returns the node ID a request names as its sender (0 if none).
func Sender(r *http.Request) uint64 {
	id, _ := strconv.ParseUint(r.Header.Get(FromHeader), 10, 64)
	return id
}

// Authenticated reports whether the request came over TLS with a client
// certificate that verified against the cluster CA.
func Authenticated(r *http.Request) bool {
	return r.TLS != nil && len(r.TLS.VerifiedChains) > 0
}

// Guard is the cluster port's front door. It refuses a request that has no
// verified member certificate, or that names another cluster or another
// node, and bounds the requests served at once.
type Guard struct {
	// Self returns this node's identity.
	Self func() Identity
	// MaxConcurrent bounds the requests being served at once; a request
	// waits up to QueueWait for a slot and is then refused with 503.
	MaxConcurrent int
	QueueWait     time.Duration
	// Seen, when set, is told the sender of every request that passed.
	Seen func(id uint64)
	// Unidentified are paths served without the identity check (but still
	// under the concurrency bound): /join and /identity, asked by nodes
	// that do not know the cluster ID yet. Their handlers do their own
	// authentication (Authenticated, or a join token).
	Unidentified map[string]bool

	slots chan struct{}
}

// Wrap returns h behind the guard.
func (g *Guard) Wrap(h http.Handler) http.Handler {
	n := g.MaxConcurrent
	if n <= 0 {
		n = 128
	}
	g.slots = make(chan struct{}, n)
	wait := g.QueueWait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Refused requests never take a slot: a flood of them cannot
		// crowd out the members.
		identified := !g.Unidentified[r.URL.Path]
		if identified {
			if err := g.check(r); err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		select {
		case g.slots <- struct{}{}:
			cancel()
		case <-ctx.Done():
			cancel()
			http.Error(w, "peer: too many requests in progress", http.StatusServiceUnavailable)
			return
		}
		defer func() { <-g.slots }()
		if identified && g.Seen != nil {
			g.Seen(Sender(r))
		}
		h.ServeHTTP(w, r)
	})
}

func (g *Guard) check(r *http.Request) error {
	if !Authenticated(r) {
		return fmt.Errorf("peer: a certificate of this cluster is required")
	}
	self := g.Self()
	if got := r.Header.Get(ClusterIDHeader); got != self.ClusterID {
		return fmt.Errorf("peer: request for cluster %q, this node belongs to cluster %q", got, self.ClusterID)
	}
	if to := r.Header.Get(ToHeader); to != strconv.FormatUint(self.NodeID, 10) {
		return fmt.Errorf("peer: request for node %q, this is node %d", to, self.NodeID)
	}
	if Sender(r) == 0 {
		return fmt.Errorf("peer: the request does not name its sender")
	}
	return nil
}
