package cluster

import (
	"encoding/binary"
	"errors"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/anode/anode/internal/metrics"
)

// Proposal deadlines. A normal entry's data starts with an 8-byte proposal
// ID. When the ID's top bit (deadlineFlag) is set, an 8-byte deadline
// (unix nanoseconds) follows it, then the command. The host uses the
// deadline only to drop a proposal nobody waits for any more before it
// enters a log: the local proposal before it is stepped, and a proposal
// forwarded by a follower (MsgProp) before the leader steps it. Dropping
// is an optimisation of the same rule that decides correctness, which the
// state machine enforces in apply from the deadline inside the command
// (meta/fence.go): an entry that escapes both drops is still refused there.
// Entries written before deadlines existed have the bit clear and parse as
// before.
const deadlineFlag = 1 << 63

// ErrProposalExpired is returned for a proposal whose deadline passed
// before it could be proposed: it never entered the log.
var ErrProposalExpired = errors.New("cluster: proposal deadline passed before it was proposed")

// encodeEntry returns the entry data of a proposal.
func encodeEntry(id uint64, deadline time.Time, cmd []byte) []byte {
	if deadline.IsZero() {
		data := make([]byte, 8+len(cmd))
		binary.BigEndian.PutUint64(data, id)
		copy(data[8:], cmd)
		return data
	}
	data := make([]byte, 16+len(cmd))
	binary.BigEndian.PutUint64(data, id|deadlineFlag)
	binary.BigEndian.PutUint64(data[8:], uint64(deadline.UnixNano()))
	copy(data[16:], cmd)
	return data
}

// decodeEntry splits entry data into the proposal ID, its deadline (zero
// for none) and the command; ok is false for data too short to be a
// proposal (raft's own empty entries).
func decodeEntry(data []byte) (id uint64, deadline int64, cmd []byte, ok bool) {
	if len(data) < 8 {
		return 0, 0, nil, false
	}
	id = binary.BigEndian.Uint64(data)
	if id&deadlineFlag == 0 {
		return id, 0, data[8:], true
	}
	if len(data) < 16 {
		return 0, 0, nil, false
	}
	return id &^ deadlineFlag, int64(binary.BigEndian.Uint64(data[8:])), data[16:], true
}

// expired reports whether an entry's proposal deadline is before now.
func expired(data []byte, now time.Time) bool {
	_, dl, _, ok := decodeEntry(data)
	return ok && dl != 0 && dl < now.UnixNano()
}

// DropExpiredProposals removes from a MsgProp the entries whose proposal
// deadline is before now, and reports whether anything is left to send or
// step. Other messages are left alone (true). The host calls it on
// forwarded proposals before stepping them; a transport may call it on
// queued messages before sending them, so that a proposal that waited out
// a partition in a queue is not delivered after its deadline.
func DropExpiredProposals(m *pb.Message, now time.Time) bool {
	if m.Type != pb.MsgProp {
		return true
	}
	kept := m.Entries[:0]
	for _, e := range m.Entries {
		if e.Type == pb.EntryNormal && expired(e.Data, now) {
			metrics.RaftProposals.WithLabelValues("expired").Inc()
			continue
		}
		kept = append(kept, e)
	}
	m.Entries = kept
	return len(kept) > 0
}
