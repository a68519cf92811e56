package cluster

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	pb "go.etcd.io/raft/v3/raftpb"
)

// applySnapshot installs a snapshot received from the leader: the group's
// state is replaced by the snapshot's, its log restarts after the
// snapshot's index, and the applied index moves there. All in batch b, so
// a crash leaves either the old state or the new one.
func (h *Host) applySnapshot(b *pebble.Batch, g *group, snap pb.Snapshot) error {
	if snap.Metadata.Index <= g.applied.Index {
		return nil
	}
	if err := g.sm.Restore(b, snap.Data); err != nil {
		return fmt.Errorf("group %d: restore snapshot at %d: %w", g.id, snap.Metadata.Index, err)
	}
	if err := g.store.resetTo(b, snap.Metadata); err != nil {
		return err
	}
	g.applied = appliedState{Index: snap.Metadata.Index, Conf: snap.Metadata.ConfState}
	g.confChanged(h.cfg.NodeID)
	h.log.Info("raft: installed snapshot", "group", g.id, "index", snap.Metadata.Index, "bytes", len(snap.Data))
	return b.Set(groupKey(g.id, suffixApplied), g.applied.marshal(), nil)
}
