package cluster

import (
	"encoding/binary"
	"sort"

	"github.com/cespare/xxhash/v2"
)

// Placement is deterministic: every node computes the same replicas for a
// group or a chunk from the same membership, with rendezvous (highest
// random weight) hashing. Each candidate node gets a score hash(key, node);
// the replicas are the nodes with the highest scores. Adding or removing a
// node moves only the keys whose top scores change: about 1/N of them.

// Rank orders nodes by their rendezvous score for key, best first.
func Rank(key uint64, nodes []uint64) []uint64 {
	type scored struct {
		id    uint64
		score uint64
	}
	s := make([]scored, len(nodes))
	var buf [16]byte
	for i, n := range nodes {
		binary.BigEndian.PutUint64(buf[:8], key)
		binary.BigEndian.PutUint64(buf[8:], n)
		s[i] = scored{n, xxhash.Sum64(buf[:])}
	}
	sort.Slice(s, func(i, j int) bool {
		if s[i].score != s[j].score {
			return s[i].score > s[j].score
		}
		return s[i].id < s[j].id
	})
	out := make([]uint64, len(s))
	for i := range s {
		out[i] = s[i].id
	}
	return out
}

// Replicas returns the first n nodes of Rank(key, nodes) (all of them when
// there are fewer).
func Replicas(key uint64, nodes []uint64, n int) []uint64 {
	r := Rank(key, nodes)
	if n < len(r) {
		r = r[:n]
	}
	return r
}

// MaxSystemVoters is the number of voters of the system group: enough to
// survive two failures, few enough that its commits stay cheap.
const MaxSystemVoters = 5

// GroupVoters returns the voters of a raft group. The system group (0) has
// up to MaxSystemVoters; placement groups have replicationFactor. The first
// voter is the group's preferred leader, which spreads leadership evenly.
func GroupVoters(gid uint64, nodes []uint64, replicationFactor int) []uint64 {
	if gid == 0 {
		return Replicas(gid, nodes, MaxSystemVoters)
	}
	return Replicas(gid, nodes, replicationFactor)
}

// ChunkKey is the placement key of a chunk: the first 8 bytes of its hash.
func ChunkKey(h [32]byte) uint64 { return binary.BigEndian.Uint64(h[:8]) }
