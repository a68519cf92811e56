package cluster

import (
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

// A learner is promoted only once raft's progress shows it acknowledged
// the log up to near the commit index. Before the fix, a learner that had
// acknowledged nothing (Match 0) counted as caught up while the commit
// index was at most 64: with the check reverted to
// `g.Matched[w]+64 < g.Commit`, the Match-0 cases below fail.
func TestPromotionWaitsForMatch(t *testing.T) {
	base := GroupStatus{ID: 1, IsLeader: true, Voters: []uint64{1, 2}, Learners: []uint64{3}}
	want := []uint64{1, 2, 3}
	for _, tc := range []struct {
		name    string
		commit  uint64
		matched map[uint64]uint64
		promote bool
	}{
		{"acknowledged nothing, small log", 10, map[uint64]uint64{1: 10, 2: 10, 3: 0}, false},
		{"acknowledged nothing, commit 64", 64, map[uint64]uint64{1: 64, 2: 64, 3: 0}, false},
		{"not in the progress map", 10, map[uint64]uint64{1: 10, 2: 10}, false},
		{"far behind", 1000, map[uint64]uint64{1: 1000, 2: 1000, 3: 500}, false},
		{"caught up", 10, map[uint64]uint64{1: 10, 2: 10, 3: 10}, true},
		{"a few entries behind", 1000, map[uint64]uint64{1: 1000, 2: 1000, 3: 990}, true},
	} {
		g := base
		g.Commit, g.Matched = tc.commit, tc.matched
		cc, _ := nextChange(g, want, want, 1)
		promoted := cc != nil && len(cc.Changes) > 0 && cc.Changes[0].Type == pb.ConfChangeAddNode && cc.Changes[0].NodeID == 3
		if promoted != tc.promote {
			t.Errorf("%s: promoted = %v (change %v), want %v", tc.name, promoted, cc, tc.promote)
		}
	}
}
