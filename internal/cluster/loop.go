package cluster

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/anode/anode/internal/metrics"
)

// maxDrain bounds how many requests one loop iteration takes from a channel
// before it persists, so that a flood of proposals cannot starve ticks.
const maxDrain = 1024

// run is the event loop: it owns every RawNode. Each iteration takes what
// arrived (ticks, proposals, read requests, messages), then handles the
// Ready state of every group that has work in one batch.
func (h *Host) run() {
	defer close(h.donec)
	ticker := time.NewTicker(h.cfg.TickInterval)
	defer ticker.Stop()
	dirty := make(map[uint64]*group)
	var poll <-chan time.Time // ready when a group still has work: do not block
	closed := make(chan time.Time)
	close(closed)
	var ticks uint64
	for {
		poll = nil
		if len(dirty) > 0 {
			poll = closed
		}
		select {
		case <-poll:
		case <-h.stopc:
			h.failAll(ErrStopped)
			return
		case <-ticker.C:
			ticks++
			h.tickGroups(dirty)
			if ticks%uint64(h.cfg.ElectionTicks) == 0 {
				h.spreadLeaders()
			}
		case p := <-h.propc:
			h.propose(p, dirty)
			for i := 0; i < maxDrain; i++ {
				select {
				case p := <-h.propc:
					h.propose(p, dirty)
					continue
				default:
				}
				break
			}
		case r := <-h.readc:
			h.read(r, dirty)
			for i := 0; i < maxDrain; i++ {
				select {
				case r := <-h.readc:
					h.read(r, dirty)
					continue
				default:
				}
				break
			}
		case msgs := <-h.recvc:
			h.step(msgs, dirty)
		case r := <-h.reportc:
			if g, ok := h.groups[r.gid]; ok {
				if r.snapshot {
					status := raft.SnapshotFinish
					if !r.ok {
						status = raft.SnapshotFailure
					}
					g.rn.ReportSnapshot(r.to, status)
				} else {
					g.rn.ReportUnreachable(r.to)
				}
				dirty[g.id] = g
			}
		}
		// Issue one ReadIndex per group for all the reads that arrived.
		for _, g := range dirty {
			if len(g.pendingReads) > 0 {
				if g.rn.BasicStatus().Lead == raft.None {
					// Raft drops a ReadIndex it cannot forward: answer now,
					// and let the reader retry once a leader is elected.
					for _, r := range g.pendingReads {
						r.done <- fmt.Errorf("group %d: %w: no leader", g.id, ErrLeaderChanged)
					}
					g.pendingReads = nil
					continue
				}
				id := h.nextID.Add(1)
				g.inflight[id] = g.pendingReads
				g.pendingReads = nil
				g.rn.ReadIndex(binary.BigEndian.AppendUint64(nil, id))
			}
		}
		if err := h.handleReady(dirty); err != nil {
			// The node cannot make its state durable; continuing would
			// acknowledge writes that may be lost.
			h.failStop(err)
			return
		}
		// Groups that still have work (entries committed by the append
		// just persisted, say) stay dirty, so the next iteration handles
		// them without waiting for a tick.
		for id, g := range dirty {
			if !g.rn.HasReady() {
				delete(dirty, id)
			}
		}
	}
}

func (h *Host) propose(p *proposal, dirty map[uint64]*group) {
	g, ok := h.groups[p.gid]
	if !ok {
		p.errc <- ErrNoGroup
		return
	}
	if !p.deadline.IsZero() && time.Now().After(p.deadline) {
		metrics.RaftProposals.WithLabelValues("expired").Inc()
		p.errc <- fmt.Errorf("group %d: %w", p.gid, ErrProposalExpired)
		return
	}
	g.wake()
	var err error
	if p.cc != nil {
		if err = g.rn.ProposeConfChange(*p.cc); err == nil {
			g.confPending = true
		}
	} else {
		err = g.rn.Propose(p.data)
	}
	if err != nil {
		p.errc <- fmt.Errorf("group %d: %w", p.gid, err)
		return
	}
	p.errc <- nil
	dirty[g.id] = g
}

func (h *Host) read(r *readRequest, dirty map[uint64]*group) {
	if r.gid == statusRequest {
		*r.status = h.status()
		r.done <- nil
		return
	}
	g, ok := h.groups[r.gid]
	if !ok {
		r.done <- ErrNoGroup
		return
	}
	g.wake()
	g.pendingReads = append(g.pendingReads, r)
	dirty[g.id] = g
}

func (h *Host) step(msgs []GroupMessage, dirty map[uint64]*group) {
	now := time.Now()
	for i := range msgs {
		g, ok := h.groups[msgs[i].Group]
		if !ok {
			continue
		}
		if msgs[i].Msg.To != h.cfg.NodeID {
			// Meant for a node that had this address before (a replaced
			// node): stepping it would make us act as that node.
			continue
		}
		g.received(msgs[i])
		if !DropExpiredProposals(&msgs[i].Msg, now) {
			continue
		}
		if err := g.rn.Step(msgs[i].Msg); err != nil {
			h.log.Debug("raft: step", "group", g.id, "err", err)
		}
		dirty[g.id] = g
	}
}

type groupReady struct {
	g  *group
	rd raft.Ready
}

// handleReady persists and applies the Ready state of the dirty groups.
// Order within one iteration: append entries and hard state, apply
// committed entries (same batch), one synced commit, then send messages,
// answer waiters and Advance.
func (h *Host) handleReady(dirty map[uint64]*group) error {
	var readies []groupReady
	for _, g := range dirty {
		if g.rn.HasReady() {
			readies = append(readies, groupReady{g, g.rn.Ready()})
		}
	}
	if len(readies) == 0 {
		return nil
	}
	b := h.cfg.DB.NewIndexedBatch()
	defer b.Close()
	type result struct {
		id  uint64
		res any
	}
	var results []result
	var msgs []GroupMessage
	sync := false
	for _, r := range readies {
		g, rd := r.g, r.rd
		if !raft.IsEmptySnap(rd.Snapshot) {
			if err := h.applySnapshot(b, g, rd.Snapshot); err != nil {
				return err
			}
			sync = true
		}
		if err := g.store.append(b, rd.Entries); err != nil {
			return err
		}
		if !raft.IsEmptyHardState(rd.HardState) {
			if err := g.store.setHardState(b, rd.HardState); err != nil {
				return err
			}
		}
		sync = sync || rd.MustSync
		for _, e := range rd.CommittedEntries {
			if e.Index <= g.applied.Index {
				continue
			}
			switch e.Type {
			case pb.EntryNormal:
				if id, _, cmd, ok := decodeEntry(e.Data); ok {
					res := g.sm.Apply(b, e.Index, cmd)
					results = append(results, result{id, res})
				}
			case pb.EntryConfChange, pb.EntryConfChangeV2:
				cc, err := decodeConfChange(e)
				if err != nil {
					return fmt.Errorf("group %d: entry %d: %w", g.id, e.Index, err)
				}
				g.applied.Conf = *g.rn.ApplyConfChange(cc)
				g.confChanged(h.cfg.NodeID)
				g.confPending = false
				h.log.Info("raft: membership changed", "group", g.id, "voters", g.applied.Conf.Voters,
					"learners", g.applied.Conf.Learners, "outgoing", g.applied.Conf.VotersOutgoing)
			}
			g.applied.Index = e.Index
		}
		if len(rd.CommittedEntries) > 0 {
			// Applying needs no fsync of its own: the entries are durable in
			// the log, and a restart re-applies whatever the state machine
			// lost, from the applied index stored in the same batch.
			if err := b.Set(groupKey(g.id, suffixApplied), g.applied.marshal(), nil); err != nil {
				return err
			}
			if err := h.maybeCompact(b, g); err != nil {
				return err
			}
		}
		msgs = g.outgoing(rd.Messages, msgs)
	}
	start := time.Now()
	opts := pebble.NoSync
	if sync && !h.cfg.NoSync {
		opts = pebble.Sync
	}
	if err := b.Commit(opts); err != nil {
		return fmt.Errorf("commit raft batch: %w", err)
	}
	metrics.RaftSyncDuration.Observe(time.Since(start).Seconds())
	metrics.RaftReadyBatches.Observe(float64(len(readies)))
	if len(msgs) > 0 && h.cfg.Transport != nil {
		h.cfg.Transport.Send(msgs)
	}
	h.mu.Lock()
	for _, r := range results {
		if w, ok := h.waiters[r.id]; ok {
			w.c <- r.res
			delete(h.waiters, r.id)
		}
	}
	h.mu.Unlock()
	for _, r := range readies {
		g, rd := r.g, r.rd
		for _, rs := range rd.ReadStates {
			id := binary.BigEndian.Uint64(rs.RequestCtx)
			if readers, ok := g.inflight[id]; ok {
				delete(g.inflight, id)
				g.readsAt = append(g.readsAt, indexedReads{rs.Index, readers})
			}
		}
		g.releaseReads()
		if rd.SoftState != nil && rd.SoftState.Lead != g.lastLeader {
			old := g.lastLeader
			g.lastLeader = rd.SoftState.Lead
			h.log.Debug("raft: leader changed", "group", g.id, "leader", g.lastLeader)
			// Reads and proposals in flight through the old leader may
			// never be answered; fail them so their callers can retry.
			// (With no leader before, raft dropped them at once: nothing
			// can be in flight, and a proposal just made to the new
			// leader must not be failed.)
			if old != raft.None {
				g.failInflightReads(fmt.Errorf("group %d: %w", g.id, ErrLeaderChanged))
				h.failProposals(g.id)
				g.confPending = false
			}
		}
		g.rn.Advance(rd)
		g.checkSoleVoter(h.cfg.NodeID)
	}
	return nil
}

// releaseReads answers the readers whose read index has been applied.
func (g *group) releaseReads() {
	n := 0
	for _, ir := range g.readsAt {
		if ir.index <= g.applied.Index {
			for _, r := range ir.readers {
				r.done <- nil
			}
			continue
		}
		g.readsAt[n] = ir
		n++
	}
	g.readsAt = g.readsAt[:n]
}

func (g *group) failInflightReads(err error) {
	for id, readers := range g.inflight {
		for _, r := range readers {
			r.done <- err
		}
		delete(g.inflight, id)
	}
}

// failStop is what the loop does once it cannot persist a Ready: nothing
// more is stepped, proposed, applied or acknowledged (the node is
// fail-stop), every waiter gets ErrStorageFailed, and requests get it until
// Stop. It does not exit the process: reads of other stores and the admin
// API keep answering, and an operator (or the supervisor, on restart)
// sees why in the log and in anode_storage_failed{store="raft"}.
func (h *Host) failStop(cause error) {
	err := fmt.Errorf("%w: %w", ErrStorageFailed, cause)
	h.log.Error("raft: persisting ready state failed; the node stops acknowledging writes until restarted", "err", cause)
	metrics.StorageFailed.WithLabelValues("raft").Set(1)
	h.failed.Store(&err)
	h.failAll(err)
	h.mu.Lock()
	for id, w := range h.waiters {
		w.c <- err
		delete(h.waiters, id)
	}
	h.mu.Unlock()
	for {
		select {
		case <-h.stopc:
			return
		case p := <-h.propc:
			p.errc <- err
		case r := <-h.readc:
			r.done <- err
		case <-h.recvc:
		case <-h.reportc:
		}
	}
}

func (h *Host) failAll(err error) {
	for _, g := range h.groups {
		g.failInflightReads(err)
		for _, r := range g.pendingReads {
			r.done <- err
		}
		for _, ir := range g.readsAt {
			for _, r := range ir.readers {
				r.done <- err
			}
		}
	}
}

// maybeCompact truncates a group's log once it holds CompactAfter applied
// entries, keeping the last KeepEntries. The applied state in Pebble is the
// snapshot: nothing needs to be written out before truncating.
//
// A leader does not truncate past what its followers have acknowledged
// unless they are too far behind; those catch up by snapshot.
func (h *Host) maybeCompact(b *pebble.Batch, g *group) error {
	first := g.store.firstIndex()
	if g.applied.Index < first || g.applied.Index-first < h.cfg.CompactAfter {
		return nil
	}
	upTo := g.applied.Index - h.cfg.KeepEntries
	st := g.rn.Status()
	if st.RaftState == raft.StateLeader {
		for id, pr := range st.Progress {
			if id != h.cfg.NodeID && pr.Match > first && pr.Match < upTo && g.applied.Index-pr.Match < 2*h.cfg.CompactAfter {
				upTo = pr.Match
			}
		}
	}
	if upTo < first {
		return nil
	}
	return g.store.compact(b, upTo, g.applied.Conf)
}

func (h *Host) status() []GroupStatus {
	out := make([]GroupStatus, 0, len(h.groups))
	for _, g := range h.groups {
		st := g.rn.Status()
		gs := GroupStatus{
			ID: g.id, Leader: st.Lead, Term: st.Term, Applied: g.applied.Index,
			Commit: st.Commit, Voters: append([]uint64(nil), g.applied.Conf.Voters...),
			Learners: append([]uint64(nil), g.applied.Conf.Learners...),
			Outgoing: append([]uint64(nil), g.applied.Conf.VotersOutgoing...),
			IsLeader: st.RaftState == raft.StateLeader,
			Quiesced: g.quiesced,
		}
		if gs.IsLeader {
			gs.Matched = make(map[uint64]uint64, len(st.Progress))
			for id, pr := range st.Progress {
				gs.Matched[id] = pr.Match
			}
			gs.PendingConf = g.confPending
		}
		out = append(out, gs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func decodeConfChange(e pb.Entry) (pb.ConfChangeI, error) {
	if e.Type == pb.EntryConfChange {
		var cc pb.ConfChange
		err := cc.Unmarshal(e.Data)
		return cc, err
	}
	var cc pb.ConfChangeV2
	err := cc.Unmarshal(e.Data)
	return cc, err
}

// spreadLeaders hands leadership of each group this node leads to the
// group's preferred leader, when that voter is caught up. Placement makes
// the preferred leaders of the groups an even spread over the nodes.
func (h *Host) spreadLeaders() {
	for _, g := range h.groups {
		preferred := g.preferred
		for _, d := range h.desired(g.id) {
			if slices.Contains(g.applied.Conf.Voters, d) {
				preferred = d
				break
			}
		}
		if preferred == 0 || preferred == h.cfg.NodeID || g.rn.BasicStatus().RaftState != raft.StateLeader {
			continue
		}
		if g.quiesced {
			g.wake() // a transfer needs the group ticking
		}
		st := g.rn.Status()
		if st.RaftState != raft.StateLeader || st.LeadTransferee != raft.None {
			continue
		}
		pr, ok := st.Progress[preferred]
		if ok && pr.RecentActive && pr.Match == g.store.lastIndex() && !pr.IsLearner {
			g.rn.TransferLeader(preferred)
		}
	}
}
