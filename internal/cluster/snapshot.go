package cluster

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	pb "go.etcd.io/raft/v3/raftpb"
)

// applySnapshot installs a snapshot received from the leader. Snapshots
// carry no data in the raft message; transferring a group's state between
// nodes is part of the multi-node work and not supported yet, so a node
// that falls behind a truncated log cannot catch up.
func (h *Host) applySnapshot(b *pebble.Batch, g *group, snap pb.Snapshot) error {
	return fmt.Errorf("group %d: snapshot at index %d received; state transfer is not implemented", g.id, snap.Metadata.Index)
}
