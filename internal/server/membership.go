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
	"github.com/anode/anode/internal/s3err"
)

// identity is what a node records about itself in its data directory: the
// ID it has in the cluster, so that a node that joined keeps its ID.
type identity struct {
	ID uint64 `json:"id"`
	// Members are the members the node started with (the initial members,
	// or those the join answered), used until the system group's
	// membership reaches the node.
	Members []cluster.Node `json:"members"`
	// Boot is set on the nodes that bootstrapped the cluster: they propose
	// the initial membership to the system group until it is recorded.
	Boot bool `json:"boot,omitempty"`
}

func identityPath(dataDir string) string { return filepath.Join(dataDir, "node.json") }

// resolveIdentity decides the node's ID and the members it starts with.
// A node that has run before uses its recorded ID and the membership it has
// applied. A new node joins a running cluster (cluster.join) or bootstraps
// one from cluster.initial_members (or alone). boot reports the latter:
// the node then creates its groups with the initial members as voters,
// and proposes them as the cluster's membership.
func resolveIdentity(ctx context.Context, cfg *clusterSetup, db *pebble.DB) (id uint64, nodes []cluster.Node, boot bool, err error) {
	b, err := os.ReadFile(identityPath(cfg.dataDir))
	switch {
	case err == nil:
		var ident identity
		if err := json.Unmarshal(b, &ident); err != nil {
			return 0, nil, false, fmt.Errorf("%s: %w", identityPath(cfg.dataDir), err)
		}
		nodes, err := meta.LocalMembers(db)
		if err != nil {
			return 0, nil, false, err
		}
		if len(nodes) > 0 {
			return ident.ID, nodes, false, nil
		}
		// Restarted before the membership was recorded: start again as
		// the first time (a bootstrapper proposes it again; AddGroup
		// ignores the boot voters of groups that have state).
		return ident.ID, ident.Members, ident.Boot, nil
	case !errors.Is(err, os.ErrNotExist):
		return 0, nil, false, err
	}
	if cfg.join != "" {
		id, nodes, err = join(ctx, cfg)
		if err != nil {
			return 0, nil, false, err
		}
	} else {
		id, nodes, boot = cfg.id, cfg.initial, true
	}
	b, _ = json.Marshal(identity{ID: id, Members: nodes, Boot: boot})
	if err := writeFileSync(identityPath(cfg.dataDir), b); err != nil {
		return 0, nil, false, err
	}
	return id, nodes, boot, nil
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
	addr    string // this node's cluster address, as others dial it
	name    string
	groups  int
}

type joinRequest struct {
	Addr            string `json:"addr"`
	PlacementGroups int    `json:"placement_groups"`
}

type joinResponse struct {
	ID      uint64         `json:"id"`
	Members []cluster.Node `json:"members"`
}

// join asks a member of a running cluster (at its cluster address) to add
// this node, retrying while the cluster elects leaders.
func join(ctx context.Context, cfg *clusterSetup) (uint64, []cluster.Node, error) {
	body, _ := json.Marshal(joinRequest{Addr: cfg.addr, PlacementGroups: cfg.groups})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+cfg.join+"/join", bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set(cluster.ClusterHeader, cfg.name)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var jr joinResponse
				if err := json.Unmarshal(msg, &jr); err != nil {
					return 0, nil, fmt.Errorf("join %s: %w", cfg.join, err)
				}
				return jr.ID, jr.Members, nil
			}
			if resp.StatusCode < 500 {
				return 0, nil, fmt.Errorf("join %s: %s: %s", cfg.join, resp.Status, msg)
			}
			err = fmt.Errorf("%s: %s", resp.Status, msg)
		}
		last = err
		select {
		case <-ctx.Done():
			return 0, nil, fmt.Errorf("join %s: %w", cfg.join, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// joinHandler serves POST /join on the cluster port: it adds the caller to
// the membership through the system group and answers its ID.
func (s *Server) joinHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get(cluster.ClusterHeader) != s.cfg.Cluster.Name {
		http.Error(w, "join: POST with the cluster's name", http.StatusForbidden)
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
	s.log.Info("node joined", "id", res.Node.ID, "addr", res.Node.Addr)
	json.NewEncoder(w).Encode(joinResponse{ID: res.Node.ID, Members: res.Members})
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
