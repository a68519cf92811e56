package cluster

import (
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
)

// Quiescence. An idle group costs a heartbeat per follower per tick; with
// hundreds of groups per node that is most of an idle node's work. A group
// whose leader sees nothing to do (everything committed, applied and
// acknowledged by every member, no reads or changes pending) for
// quiesceAfter ticks quiesces: the leader sends one last heartbeat flagged
// Quiesce and stops ticking the group; followers that receive it stop too.
// Any proposal, read or message (other than heartbeat traffic) wakes the
// group on the node that sees it, and waking a follower makes it tick
// again, so it either hears the leader or campaigns.
//
// A quiesced follower must still notice its leader's death. Each node
// pings every peer each tick (an empty /raft batch, cheap next to one
// heartbeat per group), and a quiesced follower whose leader's node has
// been silent for an election timeout wakes up, then elects a new leader
// in the usual way.

// quiesceAfter is how many idle ticks a leader waits before quiescing.
const quiesceAfter = 3

// liveness records when each peer node was last heard from.
type liveness struct {
	mu   sync.Mutex
	last map[uint64]time.Time
}

func (l *liveness) heard(id uint64) {
	l.mu.Lock()
	if l.last == nil {
		l.last = make(map[uint64]time.Time)
	}
	l.last[id] = time.Now()
	l.mu.Unlock()
}

func (l *liveness) since(id uint64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.last[id]
	if !ok {
		return time.Duration(1<<62 - 1)
	}
	return time.Since(t)
}

// Heard records that a message from node id arrived (the transport calls
// it for every batch, empty pings included).
func (h *Host) Heard(id uint64) { h.live.heard(id) }

// wake makes a quiesced group tick again.
func (g *group) wake() {
	g.quiesced, g.quiescing, g.idleTicks = false, false, 0
}

// tickGroups ticks every group that is not quiesced, quiesces idle groups
// it leads, and wakes quiesced followers whose leader's node went silent.
func (h *Host) tickGroups(dirty map[uint64]*group) {
	timeout := time.Duration(h.cfg.ElectionTicks) * h.cfg.TickInterval
	for _, g := range h.groups {
		if g.quiesced {
			if g.lastLeader != h.cfg.NodeID && (g.lastLeader == raft.None || h.live.since(g.lastLeader) > timeout) {
				g.wake()
			} else {
				continue
			}
		}
		g.rn.Tick()
		dirty[g.id] = g
		if h.idle(g) {
			g.idleTicks++
			if g.idleTicks >= quiesceAfter && !g.quiescing {
				// The heartbeats of this tick carry the Quiesce flag.
				g.quiescing = true
			}
		} else {
			g.idleTicks = 0
			g.quiescing = false
		}
	}
}

// idle reports whether g, which this node must lead, has nothing in flight.
func (h *Host) idle(g *group) bool {
	if h.cfg.Transport == nil || len(g.pendingReads) > 0 || len(g.inflight) > 0 || len(g.readsAt) > 0 || g.confPending {
		return false
	}
	st := g.rn.BasicStatus()
	if st.RaftState != raft.StateLeader || st.LeadTransferee != raft.None || g.applied.Index < st.Commit ||
		len(g.applied.Conf.VotersOutgoing) > 0 {
		return false
	}
	last := g.store.lastIndex()
	if st.Commit != last {
		return false
	}
	caughtUp := true
	g.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if id != h.cfg.NodeID && pr.Match != last {
			caughtUp = false
		}
	})
	return caughtUp
}

// outgoing turns a group's Ready messages into GroupMessages, flagging the
// heartbeats of a group that is quiescing; once they are out, the leader
// stops ticking it.
func (g *group) outgoing(msgs []pb.Message, out []GroupMessage) []GroupMessage {
	sentQuiesce := false
	for _, m := range msgs {
		q := g.quiescing && m.Type == pb.MsgHeartbeat
		sentQuiesce = sentQuiesce || q
		out = append(out, GroupMessage{Group: g.id, Msg: m, Quiesce: q})
	}
	if sentQuiesce {
		g.quiescing = false
		g.quiesced = true
	}
	return out
}

// received updates a group's quiescence for a message it is stepping.
func (g *group) received(m GroupMessage) {
	switch {
	case m.Quiesce && m.Msg.Type == pb.MsgHeartbeat:
		g.quiesced, g.quiescing = true, false
	case m.Msg.Type == pb.MsgHeartbeat || m.Msg.Type == pb.MsgHeartbeatResp:
		// Heartbeat traffic neither wakes nor quiesces.
	default:
		g.wake()
	}
}
