package cluster

import "encoding/binary"

// Every group keeps its Raft state in the node's single Pebble instance under
// its own prefix, so that one WAL fsync commits the entries of many groups:
//
//	'r' gid(8) 'e' index(8)   log entry (raftpb.Entry)
//	'r' gid(8) 'h'            hard state (raftpb.HardState)
//	'r' gid(8) 't'            truncated state: index and term of the last entry
//	                          removed from the log, and the ConfState as of it
//	'r' gid(8) 'a'            applied index and ConfState as of it
//
// The state machine's own keys live under other prefixes ('m' for metadata)
// and are written in the same batch as the applied index.
const (
	raftPrefix     = 'r'
	suffixEntry    = 'e'
	suffixHard     = 'h'
	suffixTrunc    = 't'
	suffixApplied  = 'a'
	groupKeyPrefix = 1 + 8
)

func groupKey(gid uint64, suffix byte) []byte {
	k := make([]byte, groupKeyPrefix+1, groupKeyPrefix+1+8)
	k[0] = raftPrefix
	binary.BigEndian.PutUint64(k[1:], gid)
	k[groupKeyPrefix] = suffix
	return k
}

func entryKey(gid, index uint64) []byte {
	return binary.BigEndian.AppendUint64(groupKey(gid, suffixEntry), index)
}

// groupRaftSpan returns the key span [lo, hi) holding all of a group's raft keys.
func groupRaftSpan(gid uint64) (lo, hi []byte) {
	lo = groupKey(gid, 0)[:groupKeyPrefix]
	hi = groupKey(gid+1, 0)[:groupKeyPrefix]
	return lo, hi
}
