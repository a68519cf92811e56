package cluster

import (
	"slices"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

func TestRankIsDeterministicAndStable(t *testing.T) {
	nodes := []uint64{1, 2, 3, 4, 5}
	for key := uint64(0); key < 100; key++ {
		a, b := Rank(key, nodes), Rank(key, []uint64{5, 4, 3, 2, 1})
		if !slices.Equal(a, b) {
			t.Fatalf("key %d: rank depends on input order: %v vs %v", key, a, b)
		}
	}
	// Adding a node only moves keys to the new node: the relative order
	// of the others does not change.
	moved := 0
	for key := uint64(0); key < 1000; key++ {
		before := Replicas(key, nodes, 3)
		after := Replicas(key, append(slices.Clone(nodes), 6), 3)
		if !slices.Equal(before, after) {
			moved++
			if !slices.Contains(after, 6) {
				t.Fatalf("key %d: replicas changed from %v to %v without the new node", key, before, after)
			}
		}
	}
	if moved == 0 || moved > 800 {
		t.Fatalf("adding a sixth node moved %d of 1000 replica sets; want about 3/6 of them", moved)
	}
}

func TestPreferredLeadersSpread(t *testing.T) {
	nodes := []uint64{1, 2, 3}
	leads := map[uint64]int{}
	for gid := uint64(1); gid <= 128; gid++ {
		leads[GroupVoters(gid, nodes, 3)[0]]++
	}
	for _, n := range nodes {
		if leads[n] < 25 || leads[n] > 60 {
			t.Fatalf("preferred leaders per node %v: not an even spread", leads)
		}
	}
	if got := GroupVoters(0, []uint64{1, 2, 3, 4, 5, 6, 7}, 3); len(got) != MaxSystemVoters {
		t.Fatalf("system group voters %v, want %d", got, MaxSystemVoters)
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	in := []GroupMessage{
		{Group: 0, Msg: pb.Message{Type: pb.MsgHeartbeat, To: 2, From: 1, Term: 3, Commit: 9}},
		{Group: 127, Msg: pb.Message{Type: pb.MsgApp, To: 3, From: 1, Term: 3, Index: 10,
			Entries: []pb.Entry{{Term: 3, Index: 11, Data: []byte("x")}}}},
	}
	b, err := EncodeMessages(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeMessages(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[1].Group != 127 || string(out[1].Msg.Entries[0].Data) != "x" || out[0].Msg.Commit != 9 {
		t.Fatalf("round trip: %+v", out)
	}
	if _, err := DecodeMessages(b[:len(b)-1]); err == nil {
		t.Fatal("a truncated batch decoded without error")
	}
}

func FuzzDecodeMessages(f *testing.F) {
	b, _ := EncodeMessages([]GroupMessage{{Group: 4, Msg: pb.Message{Type: pb.MsgApp, To: 1}}})
	f.Add(b)
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		DecodeMessages(data) // must not panic
	})
}

func TestNextChange(t *testing.T) {
	tests := []struct {
		name    string
		g       GroupStatus
		members []uint64
		want    []uint64
		changes []pb.ConfChangeSingle
		settled bool
	}{{
		name: "settled", g: GroupStatus{Voters: []uint64{1, 2, 3}}, members: []uint64{1, 2, 3},
		want: []uint64{1, 2, 3}, settled: true,
	}, {
		name: "new member becomes a learner first", g: GroupStatus{Voters: []uint64{1, 2, 3}, IsLeader: true},
		members: []uint64{1, 2, 3, 4}, want: []uint64{1, 2, 4},
		changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeAddLearnerNode, NodeID: 4}},
	}, {
		name:    "caught-up learner swaps with the voter it replaces",
		g:       GroupStatus{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}, Commit: 100, Matched: map[uint64]uint64{4: 100}},
		members: []uint64{1, 2, 3, 4}, want: []uint64{1, 2, 4},
		changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeAddNode, NodeID: 4}, {Type: pb.ConfChangeAddLearnerNode, NodeID: 3}},
	}, {
		name:    "a learner still catching up waits",
		g:       GroupStatus{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}, Commit: 1000, Matched: map[uint64]uint64{4: 10}},
		members: []uint64{1, 2, 3, 4}, want: []uint64{1, 2, 4},
	}, {
		name:    "a removed learner is dropped",
		g:       GroupStatus{Voters: []uint64{1, 2, 4}, Learners: []uint64{3}},
		members: []uint64{1, 2, 4}, want: []uint64{1, 2, 4},
		changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeRemoveNode, NodeID: 3}},
	}, {
		name:    "the leader does not demote itself",
		g:       GroupStatus{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}, Commit: 5, Matched: map[uint64]uint64{4: 5}},
		members: []uint64{1, 2, 3, 4}, want: []uint64{2, 3, 4},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, settled := nextChange(tt.g, tt.members, tt.want, 1)
			if settled != tt.settled {
				t.Fatalf("settled = %v, want %v", settled, tt.settled)
			}
			var got []pb.ConfChangeSingle
			if cc != nil {
				got = cc.Changes
			}
			if !slices.Equal(got, tt.changes) {
				t.Fatalf("changes %v, want %v", got, tt.changes)
			}
		})
	}
}
