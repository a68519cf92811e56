package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/peer"
	"github.com/anode/anode/internal/s3err"
)

// identity is what a node records about itself in its data directory: the
// cluster it belongs to and the ID it has in it, so that a node that joined
// keeps its ID and every peer request names both.
type identity struct {
	ID uint64 `json:"id"`
	// ClusterID names the cluster (peer.ClusterIDHeader). Data directories
	// made before it was recorded use one derived from the cluster name.
	ClusterID string `json:"cluster_id,omitempty"`
	// Members are the members the node started with (the initial members,
	// or those the join answered), used until the system group's
	// membership reaches the node.
	Members []cluster.Node `json:"members"`
	// Boot is set on the nodes that bootstrapped the cluster: they propose
	// the initial membership to the system group until it is recorded.
	Boot bool `json:"boot,omitempty"`
}

func identityPath(dataDir string) string { return filepath.Join(dataDir, "node.json") }

// readIdentity reads the recorded identity; ok is false for a new data
// directory.
func readIdentity(dataDir string) (ident identity, ok bool, err error) {
	b, err := os.ReadFile(identityPath(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return identity{}, false, nil
	}
	if err != nil {
		return identity{}, false, err
	}
	if err := json.Unmarshal(b, &ident); err != nil {
		return identity{}, false, fmt.Errorf("%s: %w", identityPath(dataDir), err)
	}
	return ident, true, nil
}

// resolveIdentity decides the node's identity and the members it starts
// with. A node that has run before uses its recorded identity and the
// membership it has applied. A new node joins a running cluster
// (cluster.join) or bootstraps one from cluster.initial_members (or
// alone). boot reports the latter: the node then creates its groups with
// the initial members as voters, and proposes them as the cluster's
// membership. secret is the cluster secret a join by token answered.
func (s *Server) resolveIdentity(ctx context.Context, cfg *clusterSetup, db *pebble.DB, client *http.Client) (ident identity, nodes []cluster.Node, secret string, err error) {
	ident, ok, err := readIdentity(cfg.dataDir)
	if err != nil {
		return identity{}, nil, "", err
	}
	if ok {
		if ident.ClusterID == "" {
			// Made before cluster IDs were recorded: every such node of
			// one cluster (bootstrapped or joined) derives the same ID
			// from the cluster name alone.
			ident.ClusterID = derivedClusterID(cfg.name, nil)
		}
		nodes, err := meta.LocalMembers(db)
		if err != nil {
			return identity{}, nil, "", err
		}
		if len(nodes) > 0 {
			ident.Boot = false
			return ident, nodes, "", nil
		}
		// Restarted before the membership was recorded: start again as
		// the first time (a bootstrapper proposes it again; AddGroup
		// ignores the boot voters of groups that have state).
		return ident, ident.Members, "", nil
	}
	switch {
	case cfg.join != "":
		jr, err := join(ctx, cfg, client)
		if err != nil {
			return identity{}, nil, "", err
		}
		ident = identity{ID: jr.ID, ClusterID: jr.ClusterID, Members: jr.Members}
		secret = jr.Secret
	case len(cfg.initial) > 1:
		cid, err := s.checkFreshMember(ctx, cfg.id, cfg.initial, client)
		if err != nil {
			return identity{}, nil, "", err
		}
		ident = identity{ID: cfg.id, ClusterID: cid, Members: cfg.initial, Boot: true}
	default:
		ident = identity{ID: cfg.id, ClusterID: randomClusterID(), Members: cfg.initial, Boot: true}
	}
	if ident.ClusterID == "" {
		return identity{}, nil, "", errors.New("the cluster answered no cluster ID")
	}
	if secret != "" {
		// Kept before the identity: a node restarted after this point
		// finds both.
		if err := writeSecret(cfg.dataDir, secret); err != nil {
			return identity{}, nil, "", err
		}
	}
	b, _ := json.Marshal(ident)
	if err := writeFileSync(identityPath(cfg.dataDir), b); err != nil {
		return identity{}, nil, "", err
	}
	return ident, ident.Members, secret, nil
}

func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// clusterSetup is the part of the configuration membership needs.
type clusterSetup struct {
	dataDir string
	id      uint64
	initial []cluster.Node
	join    string
	token   string // join token, when the node has no cluster credentials
	addr    string // this node's cluster address, as others dial it
	name    string
	groups  int
}

type joinRequest struct {
	Addr            string `json:"addr"`
	PlacementGroups int    `json:"placement_groups"`
}

type joinResponse struct {
	ID        uint64         `json:"id"`
	Members   []cluster.Node `json:"members"`
	ClusterID string         `json:"cluster_id"`
	// Secret is the cluster secret, answered to a node that joined with a
	// join token (it has no other way to learn it).
	Secret string `json:"secret,omitempty"`
}

// join asks a member of a running cluster (at its cluster address) to add
// this node, retrying while the cluster elects leaders. client carries the
// node's cluster credentials, or, with a join token, the check of the
// cluster CA the token names.
func join(ctx context.Context, cfg *clusterSetup, client *http.Client) (*joinResponse, error) {
	body, _ := json.Marshal(joinRequest{Addr: cfg.addr, PlacementGroups: cfg.groups})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+cfg.join+"/join", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if cfg.token != "" {
			req.Header.Set(joinTokenHeader, cfg.token)
		}
		resp, err := client.Do(req)
		if err == nil {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var jr joinResponse
				if err := json.Unmarshal(msg, &jr); err != nil {
					return nil, fmt.Errorf("join %s: %w", cfg.join, err)
				}
				if cfg.token != "" && jr.Secret == "" {
					return nil, fmt.Errorf("join %s: the cluster answered no secret", cfg.join)
				}
				return &jr, nil
			}
			if resp.StatusCode < 500 {
				return nil, fmt.Errorf("join %s: %s: %s", cfg.join, resp.Status, msg)
			}
			err = fmt.Errorf("%s: %s", resp.Status, msg)
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("join %s: %w", cfg.join, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// joinHandler serves POST /join on the cluster port: it adds the caller to
// the membership through the system group and answers its ID. The caller
// proves it may join with a certificate of this cluster (it knows the
// secret, or has an operator certificate) or with a join token; anything
// else is refused before the membership is touched.
func (s *Server) joinHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "join: POST", http.StatusMethodNotAllowed)
		return
	}
	byToken := false
	if !peer.Authenticated(r) {
		tok := r.Header.Get(joinTokenHeader)
		if tok == "" || s.peerCreds.Secret == "" {
			http.Error(w, "join: a certificate of this cluster or a join token is required", http.StatusForbidden)
			return
		}
		if err := verifyJoinToken(s.peerCreds.Secret, tok, time.Now()); err != nil {
			s.log.Warn("join refused", "remote", r.RemoteAddr, "err", err)
			http.Error(w, "join: "+err.Error(), http.StatusForbidden)
			return
		}
		byToken = true
	}
	self := s.self.Load()
	if self == nil || s.meta == nil {
		http.Error(w, "join: this node is starting", http.StatusServiceUnavailable)
		return
	}
	var jr joinRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&jr); err != nil || jr.Addr == "" {
		http.Error(w, "join: bad request", http.StatusBadRequest)
		return
	}
	if jr.PlacementGroups != s.cfg.Cluster.PlacementGroups {
		http.Error(w, fmt.Sprintf("join: this cluster has %d placement groups, the joining node is configured with %d",
			s.cfg.Cluster.PlacementGroups, jr.PlacementGroups), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	res, err := s.meta.ChangeMembers(ctx, meta.OpAddNode, []cluster.Node{{Addr: jr.Addr}})
	if err != nil {
		// 503: the joining node retries (an election, or the membership
		// not recorded yet).
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	s.log.Info("node joined", "id", res.Node.ID, "addr", res.Node.Addr, "by_token", byToken)
	ans := joinResponse{ID: res.Node.ID, Members: res.Members, ClusterID: self.ClusterID}
	if byToken {
		ans.Secret = s.peerCreds.Secret
	}
	json.NewEncoder(w).Encode(ans)
}

// removeNodeHandler serves POST /cluster/remove-node?id=N on the admin port.
func (s *Server) removeNodeHandler(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
	if err != nil || id == 0 {
		http.Error(w, "remove-node: ?id=N required", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	res, err := s.meta.ChangeMembers(ctx, meta.OpRemoveNode, []cluster.Node{{ID: id}})
	if err != nil {
		http.Error(w, err.Error(), s3err.As(err).Status)
		return
	}
	s.log.Info("node removed", "id", id)
	json.NewEncoder(w).Encode(res.Members)
}

// replicationFactor is the configured factor, capped by the cluster size.
func (s *Server) replicationFactor() int {
	return min(s.cfg.Cluster.ReplicationFactor, len(s.members.IDs()))
}

// runMembership follows the membership the system group records: it keeps
// the transport's peers and placement up to date, proposes the initial
// membership once, and moves the groups this node leads toward their
// placement (Host.Reconcile), reporting progress in /cluster/status.
func (s *Server) runMembership(boot []cluster.Node) {
	defer s.wg.Done()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	var lastProposal, lastReconcile time.Time
	for {
		select {
		case <-s.stopGC:
			return
		case <-t.C:
		}
		nodes, err := meta.LocalMembers(s.db)
		if err != nil {
			s.log.Warn("membership: read", "err", err)
			continue
		}
		if len(nodes) == 0 {
			if boot != nil && time.Since(lastProposal) > time.Second {
				lastProposal = time.Now()
				go func() {
					ctx, cancel := s.passContext(5 * time.Second)
					defer cancel()
					s.meta.ChangeMembers(ctx, meta.OpSetMembers, boot)
				}()
			}
			continue
		}
		changed := s.setMembers(nodes)
		// A settled cluster is checked every few seconds only: reconciling
		// reads every group's full raft status.
		if st := s.reconcile.Load(); !changed && st != nil && st.Settled == st.Groups && time.Since(lastReconcile) < 5*time.Second {
			continue
		}
		lastReconcile = time.Now()
		ctx, cancel := s.passContext(5 * time.Second)
		st, err := s.host.Reconcile(ctx, s.members.IDs())
		cancel()
		if err == nil {
			s.reconcile.Store(&st)
		}
	}
}

// setMembers installs a new membership: transport peers, placement, and,
// when it changed, an immediate chunk repair pass so data moves to its new
// places without waiting for the next scrub.
func (s *Server) setMembers(nodes []cluster.Node) (changed bool) {
	old := s.members.Nodes()
	if slices.Equal(old, nodes) {
		return false
	}
	s.members.Set(nodes)
	for _, n := range old {
		if !slices.ContainsFunc(nodes, func(x cluster.Node) bool { return x.ID == n.ID }) {
			s.transport.RemovePeer(n.ID)
		}
	}
	for _, n := range nodes {
		if n.ID != s.cfg.Node.ID {
			s.transport.SetPeer(n.ID, n.Addr)
		}
	}
	s.replicas.SetReplicationFactor(s.replicationFactor())
	s.log.Info("membership changed", "members", nodes)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := s.passContext(10 * time.Minute)
		defer cancel()
		s.Repair(ctx)
	}()
	return true
}
