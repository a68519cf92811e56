package cluster

import (
	"context"
	"slices"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Membership changes. The system group records which nodes are members;
// placement (GroupVoters) says which of them should vote in each group. On
// every node, Reconcile compares each group it leads with that target and
// proposes one raft membership change at a time to close the gap:
//
//  1. members missing from the group are added as learners (they receive a
//     snapshot and catch up without affecting quorums);
//  2. learners that are no longer members are removed;
//  3. when the target voters are all caught-up learners or voters, one
//     joint-consensus change (ConfChangeV2) promotes the new voters and
//     demotes the old ones to learners; raft leaves the joint state by
//     itself once it is committed;
//  4. demoted nodes that are no longer members are removed in step 2.
//
// A leader never demotes itself: it first hands leadership to a target
// voter (spreadLeaders follows the target). Changes wait while a previous
// one is pending, so at most one is in flight per group.

// desiredVoters, when set, gives each group's target voters.
type desiredVoters func(gid uint64) []uint64

// SetPlacement installs the function giving each group's target voters;
// the first of them that is a voter is the group's preferred leader.
func (h *Host) SetPlacement(fn func(gid uint64) []uint64) {
	d := desiredVoters(fn)
	h.placement.Store(&d)
}

func (h *Host) desired(gid uint64) []uint64 {
	if p := h.placement.Load(); p != nil {
		return (*p)(gid)
	}
	return nil
}

// ReconcileStats says how far the groups are from the target membership.
type ReconcileStats struct {
	Groups   int // groups on this node
	Settled  int // groups whose voters and learners match the target
	Proposed int // membership changes proposed by this call
}

// Reconcile moves the groups this node leads toward the target membership
// (members, and the voters SetPlacement gives), by at most one change per
// group per call.
func (h *Host) Reconcile(ctx context.Context, members []uint64) (ReconcileStats, error) {
	st, err := h.Status(ctx)
	if err != nil {
		return ReconcileStats{}, err
	}
	var rs ReconcileStats
	rs.Groups = len(st)
	for _, g := range st {
		want := h.desired(g.ID)
		if want == nil {
			continue
		}
		cc, settled := nextChange(g, members, want, h.cfg.NodeID)
		if settled {
			rs.Settled++
		}
		if cc == nil || !g.IsLeader || g.PendingConf || len(g.Outgoing) > 0 {
			continue
		}
		if err := h.ProposeConfChange(ctx, g.ID, *cc); err != nil {
			h.log.Debug("reconcile: propose membership change", "group", g.ID, "err", err)
			continue
		}
		rs.Proposed++
	}
	return rs, nil
}

// maxPromotionLag is how many committed entries a learner may still miss
// when it is promoted: the group keeps committing while the change is
// proposed, so it can never be zero, and it is small enough that the new
// voter holds the log a quorum relies on.
const maxPromotionLag = 64

// caughtUp reports whether node id has acknowledged (raft progress Match)
// the group's log up to within maxPromotionLag of its commit index. A node
// that acknowledged nothing (Match 0: it has not even received a snapshot)
// is never caught up, whatever the commit index: promoting it would let a
// quorum form with a member that holds nothing.
func caughtUp(g GroupStatus, id uint64) bool {
	m, ok := g.Matched[id]
	if !ok || m == 0 || g.Commit == 0 {
		return false
	}
	return m+maxPromotionLag >= g.Commit
}

// nextChange returns the next membership change group g needs to reach
// the target (nil if none can be made now), and whether g is settled.
func nextChange(g GroupStatus, members, want []uint64, self uint64) (*pb.ConfChangeV2, bool) {
	in := func(list []uint64, id uint64) bool { return slices.Contains(list, id) }
	var adds, removes []pb.ConfChangeSingle
	for _, m := range members {
		if !in(g.Voters, m) && !in(g.Learners, m) {
			adds = append(adds, pb.ConfChangeSingle{Type: pb.ConfChangeAddLearnerNode, NodeID: m})
		}
	}
	for _, l := range g.Learners {
		if !in(members, l) {
			removes = append(removes, pb.ConfChangeSingle{Type: pb.ConfChangeRemoveNode, NodeID: l})
		}
	}
	votersOK := len(g.Voters) == len(want)
	for _, w := range want {
		votersOK = votersOK && in(g.Voters, w)
	}
	settled := votersOK && len(adds) == 0 && len(removes) == 0 && len(g.Outgoing) == 0
	switch {
	case settled:
		return nil, true
	case len(adds) > 0:
		return &pb.ConfChangeV2{Changes: adds}, false
	case len(removes) > 0:
		return &pb.ConfChangeV2{Changes: removes}, false
	}
	// Swap voters, once every new voter has caught up.
	var changes []pb.ConfChangeSingle
	for _, w := range want {
		if in(g.Voters, w) {
			continue
		}
		if !caughtUp(g, w) {
			return nil, false // still catching up
		}
		changes = append(changes, pb.ConfChangeSingle{Type: pb.ConfChangeAddNode, NodeID: w})
	}
	for _, v := range g.Voters {
		if !in(want, v) {
			if v == self {
				return nil, false // hand leadership over first
			}
			changes = append(changes, pb.ConfChangeSingle{Type: pb.ConfChangeAddLearnerNode, NodeID: v})
		}
	}
	if len(changes) == 0 {
		return nil, false
	}
	return &pb.ConfChangeV2{Transition: pb.ConfChangeTransitionAuto, Changes: changes}, false
}
