package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/anode/anode/internal/metrics"
)

// StateMachine applies a group's committed commands. Apply must be
// deterministic: it may read and write only through b (an indexed batch
// over the node's Pebble, so it sees the writes of earlier entries of the
// same batch), and must not consult the clock, the network or randomness.
// The returned value is handed to the proposer, if it is waiting on this node.
type StateMachine interface {
	Apply(b *pebble.Batch, index uint64, cmd []byte) any
	// Snapshot encodes the group's state as r holds it.
	Snapshot(r pebble.Reader) ([]byte, error)
	// Restore replaces the group's state with a snapshot's, writing into b.
	Restore(b *pebble.Batch, data []byte) error
}

// GroupMessage is a raft message of one group. Raft messages do not carry
// the group they belong to; the host's transport adds it.
type GroupMessage struct {
	Group uint64
	Msg   pb.Message
	// Quiesce, on a heartbeat, tells the follower to stop ticking the
	// group until something happens in it (see quiesce.go).
	Quiesce bool
}

// Transport delivers raft messages to other nodes. Send must not block the
// host: a transport queues messages per destination and may drop them when
// a peer is slow or down (raft retries).
type Transport interface {
	Send(msgs []GroupMessage)
}

// Config configures a Host.
type Config struct {
	NodeID uint64
	DB     *pebble.DB
	// TickInterval is the duration of one raft tick. Heartbeats are sent
	// every HeartbeatTicks ticks; followers campaign after ElectionTicks
	// (randomized up to twice that by raft).
	TickInterval   time.Duration
	HeartbeatTicks int
	ElectionTicks  int
	// CompactAfter is how many applied entries a group's log may hold
	// before it is truncated; KeepEntries of them are kept for followers
	// that are a little behind.
	CompactAfter uint64
	KeepEntries  uint64
	Transport    Transport
	// NoSync skips fsync of the raft log (storage.sync_writes = false):
	// a crash may lose acknowledged writes. For tests and benchmarks.
	NoSync bool
	Logger *slog.Logger
}

// ErrStopped is returned by requests to a host that is shutting down.
var ErrStopped = errors.New("cluster: host stopped")

// ErrStorageFailed is returned by every request once the host could not
// persist its raft state (see failStop): the node is fail-stop.
var ErrStorageFailed = errors.New("cluster: raft storage failed; node refuses requests until restart")

// Failed returns the error that stopped the host's storage, or nil.
func (h *Host) Failed() error {
	if p := h.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// ErrNoGroup is returned for requests to a group this node does not host.
var ErrNoGroup = errors.New("cluster: no such group on this node")

// Host runs every raft group of one node in a single event loop. The loop
// gathers the Ready state of all groups that have work and persists it in
// one Pebble batch with one fsync, so concurrent proposals to many groups
// share the cost of durability (group commit). Committed entries are applied
// in that same batch, atomically with each group's applied index.
type Host struct {
	cfg    Config
	log    *slog.Logger
	groups map[uint64]*group

	propc   chan *proposal
	readc   chan *readRequest
	recvc   chan []GroupMessage
	reportc chan report
	stopc   chan struct{}
	donec   chan struct{}
	nextID  atomic.Uint64
	// failed holds the error that made the loop fail-stop (see failStop).
	failed atomic.Pointer[error]

	placement atomic.Pointer[desiredVoters]
	live      liveness

	mu      sync.Mutex
	waiters map[uint64]waiter // proposal id -> the proposer waiting for it
	stopped bool
}

type group struct {
	id      uint64
	rn      *raft.RawNode
	store   *logStore
	sm      StateMachine
	applied appliedState

	preferred    uint64      // the voter that should lead, to spread leadership
	soleVoter    atomic.Bool // this node is the group's only voter (see ReadBarrier)
	quiesced     bool        // not ticked: see quiesce.go
	quiescing    bool        // this tick's heartbeats tell followers to quiesce
	idleTicks    int
	confPending  bool                      // a membership change was proposed and is not applied yet
	pendingReads []*readRequest            // waiting for a ReadIndex to be issued
	inflight     map[uint64][]*readRequest // ReadIndex request ctx -> readers
	readsAt      []indexedReads            // readers waiting for applied >= index
	lastLeader   uint64
}

type indexedReads struct {
	index   uint64
	readers []*readRequest
}

type proposal struct {
	gid  uint64
	data []byte // the entry: proposal id, deadline, command (deadline.go)
	cc   *pb.ConfChangeV2
	// deadline is when the proposer stops waiting (zero: never); a
	// proposal still queued then is dropped, not stepped.
	deadline time.Time
	errc     chan error
}

type readRequest struct {
	gid    uint64
	done   chan error
	status *[]GroupStatus // set for Status requests, which use gid statusRequest
}

// statusRequest is the group id of a readRequest asking for Status.
const statusRequest = ^uint64(0)

// NewHost creates a host. Groups are added with AddGroup before Start.
func NewHost(cfg Config) *Host {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TickInterval == 0 {
		cfg.TickInterval = 100 * time.Millisecond
	}
	if cfg.HeartbeatTicks == 0 {
		cfg.HeartbeatTicks = 1
	}
	if cfg.ElectionTicks == 0 {
		cfg.ElectionTicks = 10
	}
	if cfg.CompactAfter == 0 {
		cfg.CompactAfter = 10000
	}
	if cfg.KeepEntries == 0 || cfg.KeepEntries > cfg.CompactAfter {
		cfg.KeepEntries = cfg.CompactAfter / 2
	}
	h := &Host{
		cfg:     cfg,
		log:     cfg.Logger,
		groups:  make(map[uint64]*group),
		propc:   make(chan *proposal, 4096),
		readc:   make(chan *readRequest, 4096),
		recvc:   make(chan []GroupMessage, 1024),
		reportc: make(chan report, 1024),
		stopc:   make(chan struct{}),
		donec:   make(chan struct{}),
		waiters: make(map[uint64]waiter),
	}
	h.nextID.Store(rand.Uint64() >> 1)
	return h
}

// AddGroup opens (or, when it has no state yet, bootstraps with the given
// voters) a raft group on this node. It must be called before Start.
//
// With no voters the group starts empty, waiting to be added by the leader
// of a running cluster (a joining node).
func (h *Host) AddGroup(gid uint64, voters, learners []uint64, sm StateMachine) error {
	var boot *pb.ConfState
	if len(voters) > 0 {
		boot = &pb.ConfState{Voters: voters, Learners: learners}
	}
	store, err := openLogStore(h.cfg.DB, gid, boot)
	if err != nil {
		return err
	}
	applied := appliedState{Index: store.trunc.Index, Conf: store.trunc.Conf}
	if v, closer, err := h.cfg.DB.Get(groupKey(gid, suffixApplied)); err == nil {
		applied, err = decodeApplied(v)
		closer.Close()
		if err != nil {
			return fmt.Errorf("group %d: %w", gid, err)
		}
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("group %d: read applied index: %w", gid, err)
	}
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              h.cfg.NodeID,
		ElectionTick:    h.cfg.ElectionTicks,
		HeartbeatTick:   h.cfg.HeartbeatTicks,
		Storage:         store,
		Applied:         applied.Index,
		MaxSizePerMsg:   4 << 20,
		MaxInflightMsgs: 256,
		CheckQuorum:     true,
		PreVote:         true,
		ReadOnlyOption:  raft.ReadOnlySafe,
		Logger:          raftLogger{h.log.With("group", gid)},
	})
	if err != nil {
		return fmt.Errorf("group %d: %w", gid, err)
	}
	g := &group{
		id: gid, rn: rn, store: store, sm: sm, applied: applied,
		inflight: make(map[uint64][]*readRequest),
	}
	if len(voters) > 0 {
		g.preferred = voters[0]
	}
	store.snapshot = func() (pb.Snapshot, error) { return h.snapshot(g) }
	g.confChanged(h.cfg.NodeID)
	h.groups[gid] = g
	return nil
}

// Start runs the event loop. Single-voter groups elect themselves at once.
//
// In a group with several voters the preferred leader campaigns at once
// (with PreVote, which cannot disrupt a group that already has a leader);
// the others wait for an election timeout.
func (h *Host) Start() {
	for _, g := range h.groups {
		if g.preferred == h.cfg.NodeID {
			_ = g.rn.Campaign()
		}
	}
	go h.run()
}

// Stop ends the event loop after the batch in progress is durable. Waiting
// proposers get ErrStopped.
func (h *Host) Stop() {
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return
	}
	h.stopped = true
	h.mu.Unlock()
	close(h.stopc)
	<-h.donec
}

// Propose replicates cmd through group gid and returns what the state
// machine's Apply returned for it, once the entry is committed, applied and
// durable on this node.
func (h *Host) Propose(ctx context.Context, gid uint64, cmd []byte) (any, error) {
	id := h.nextID.Add(1)
	deadline, _ := ctx.Deadline()
	data := encodeEntry(id, deadline, cmd)
	resc := make(chan any, 1)
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return nil, ErrStopped
	}
	h.waiters[id] = waiter{gid: gid, c: resc}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.waiters, id)
		h.mu.Unlock()
	}()
	p := &proposal{gid: gid, data: data, deadline: deadline, errc: make(chan error, 1)}
	select {
	case h.propc <- p:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.stopc:
		return nil, ErrStopped
	}
	select {
	case err := <-p.errc:
		if err != nil {
			metrics.RaftProposals.WithLabelValues("dropped").Inc()
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.stopc:
		return nil, ErrStopped
	}
	select {
	case res := <-resc:
		if err, ok := res.(leaderChanged); ok {
			metrics.RaftProposals.WithLabelValues("leader_changed").Inc()
			return nil, err
		}
		if err, ok := res.(error); ok {
			return nil, err
		}
		metrics.RaftProposals.WithLabelValues("applied").Inc()
		return res, nil
	case <-ctx.Done():
		metrics.RaftProposals.WithLabelValues("timeout").Inc()
		return nil, ctx.Err()
	case <-h.stopc:
		return nil, ErrStopped
	}
}

// ReadBarrier returns once this node has applied every entry that was
// committed in group gid before the call: reads of the group's state that
// follow are linearizable. It uses raft's ReadIndex, which confirms with a
// quorum of the group that the leader is still the leader.
//
// A group whose only voter is this node needs no round: nothing can commit
// without this node, and a write is acknowledged only once this node has
// applied it, so its applied state already holds every acknowledged write.
func (h *Host) ReadBarrier(ctx context.Context, gid uint64) error {
	if g, ok := h.groups[gid]; ok && g.soleVoter.Load() {
		return nil
	}
	r := &readRequest{gid: gid, done: make(chan error, 1)}
	select {
	case h.readc <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-h.stopc:
		return ErrStopped
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-h.stopc:
		return ErrStopped
	}
}

// Deliver hands messages received from other nodes to the host.
func (h *Host) Deliver(msgs []GroupMessage) {
	select {
	case h.recvc <- msgs:
	case <-h.stopc:
	}
}

// GroupStatus describes one group as this node sees it.
type GroupStatus struct {
	ID       uint64   `json:"id"`
	Leader   uint64   `json:"leader"`
	Term     uint64   `json:"term"`
	Applied  uint64   `json:"applied"`
	Commit   uint64   `json:"commit"`
	Voters   []uint64 `json:"voters"`
	Learners []uint64 `json:"learners,omitempty"`
	// Outgoing holds the previous voters while a membership change is in
	// its joint phase.
	Outgoing []uint64 `json:"outgoing,omitempty"`
	IsLeader bool     `json:"is_leader"`
	// Matched is, on the leader, the index each member has acknowledged.
	Matched map[uint64]uint64 `json:"matched,omitempty"`
	// PendingConf is set while a membership change is proposed but not applied.
	PendingConf bool `json:"pending_conf,omitempty"`
	// Quiesced is set while the group is idle and not ticked on this node.
	Quiesced bool `json:"quiesced,omitempty"`
}

// ProposeConfChange proposes a membership change to group gid, which this
// node must lead. It returns once raft accepted the proposal; the change is
// applied like any entry (Status shows it).
func (h *Host) ProposeConfChange(ctx context.Context, gid uint64, cc pb.ConfChangeV2) error {
	p := &proposal{gid: gid, cc: &cc, errc: make(chan error, 1)}
	select {
	case h.propc <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-h.stopc:
		return ErrStopped
	}
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-h.stopc:
		return ErrStopped
	}
}

// Status returns the status of every group. It is answered by the loop.
func (h *Host) Status(ctx context.Context) ([]GroupStatus, error) {
	r := &readRequest{gid: statusRequest, done: make(chan error, 1)}
	var out []GroupStatus
	r.status = &out
	select {
	case h.readc <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.stopc:
		return nil, ErrStopped
	}
	select {
	case err := <-r.done:
		return out, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// report is a transport's news about a peer, for raft's flow control.
type report struct {
	gid, to  uint64
	snapshot bool // a snapshot send finished (ok tells how)
	ok       bool
}

// ReportUnreachable tells group gid's raft that a message to node `to`
// could not be delivered, so it probes instead of streaming.
func (h *Host) ReportUnreachable(gid, to uint64) {
	select {
	case h.reportc <- report{gid: gid, to: to}:
	default:
	}
}

// ReportSnapshot tells group gid's raft how sending a snapshot to `to` went.
func (h *Host) ReportSnapshot(gid, to uint64, ok bool) {
	select {
	case h.reportc <- report{gid: gid, to: to, snapshot: true, ok: ok}:
	case <-h.stopc:
	}
}

// snapshot returns a snapshot of a group's applied state. Raft calls it
// (through logStore.Snapshot) from the host loop, between batches, when
// Pebble holds exactly the applied state.
func (h *Host) snapshot(g *group) (pb.Snapshot, error) {
	data, err := g.sm.Snapshot(h.cfg.DB)
	if err != nil {
		return pb.Snapshot{}, fmt.Errorf("group %d: snapshot: %w", g.id, err)
	}
	term, err := g.store.Term(g.applied.Index)
	if err != nil {
		return pb.Snapshot{}, fmt.Errorf("group %d: snapshot term: %w", g.id, err)
	}
	return pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{
		Index: g.applied.Index, Term: term, ConfState: g.applied.Conf,
	}}, nil
}

type waiter struct {
	gid uint64
	c   chan any
}

// leaderChanged is handed to proposers whose group changed leader before
// their entry was applied. A proposal forwarded to a leader that died is
// lost, and one in the log of a leader that stepped down may or may not
// commit: the outcome is unknown, and the client is told to retry rather
// than left waiting for its deadline.
type leaderChanged struct{ gid uint64 }

func (e leaderChanged) Error() string {
	return fmt.Sprintf("group %d changed leader before the proposal was applied; its outcome is unknown", e.gid)
}

// ErrLeaderChanged matches the error of a proposal cut short by a change of
// leader (errors.Is).
var ErrLeaderChanged = errors.New("leader changed")

func (e leaderChanged) Is(target error) bool { return target == ErrLeaderChanged }

// failProposals answers every proposal waiting on group gid with
// leaderChanged.
func (h *Host) failProposals(gid uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, w := range h.waiters {
		if w.gid == gid {
			select {
			case w.c <- leaderChanged{gid}:
			default:
			}
			delete(h.waiters, id)
		}
	}
}

// confChanged runs whenever applied.Conf changes: the fast read path is
// off until checkSoleVoter finds it safe again.
func (g *group) confChanged(self uint64) { g.soleVoter.Store(false) }

// checkSoleVoter turns the fast read path on once this node is the group's
// only voter, leads it, and has applied everything committed: after a
// restart, entries committed (and perhaps acknowledged) before the crash
// are applied again first.
func (g *group) checkSoleVoter(self uint64) {
	if g.soleVoter.Load() {
		return
	}
	c := g.applied.Conf
	if len(c.Voters) != 1 || c.Voters[0] != self || len(c.VotersOutgoing) != 0 {
		return
	}
	st := g.rn.BasicStatus()
	if st.RaftState == raft.StateLeader && g.applied.Index >= st.Commit {
		g.soleVoter.Store(true)
	}
}
