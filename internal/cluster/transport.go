package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// The node transport carries raft messages between nodes as HTTP POSTs to
// /raft on the cluster port. Each peer has one sender goroutine with a
// queue: while one batch is in flight, the messages for that peer (of every
// group) gather into the next, so a busy link sends few large requests and
// an idle one costs nothing. A slow or dead peer's queue fills and further
// messages are dropped, which raft tolerates (it retries, and is told the
// peer is unreachable).

// ClusterHeader carries the cluster name on every node-to-node request, so
// that nodes of different clusters never talk.
const ClusterHeader = "X-Anode-Cluster"

// fromHeader carries the sending node's ID on /raft batches.
const fromHeader = "X-Anode-From"

// HTTPTransport implements Transport over HTTP.
type HTTPTransport struct {
	self    uint64
	cluster string
	client  *http.Client
	host    *Host
	log     *slog.Logger

	mu    sync.Mutex
	peers map[uint64]*peer
}

type peer struct {
	id    uint64
	addr  string
	queue chan []GroupMessage
	stop  chan struct{}
}

// NewHTTPTransport returns a transport for node self of the named cluster.
// SetHost must be called before messages flow.
func NewHTTPTransport(self uint64, cluster string, client *http.Client, log *slog.Logger) *HTTPTransport {
	return &HTTPTransport{self: self, cluster: cluster, client: client, log: log, peers: make(map[uint64]*peer)}
}

// SetHost sets the host that receives reports about sends.
func (t *HTTPTransport) SetHost(h *Host) { t.host = h }

// pingInterval is how often an idle link carries an empty batch: the
// host's tick, so a peer misses no more than a tick of liveness.
func (t *HTTPTransport) pingInterval() time.Duration {
	if t.host != nil && t.host.cfg.TickInterval > 0 {
		return t.host.cfg.TickInterval
	}
	return 100 * time.Millisecond
}

// SetPeer adds or updates the address of a node.
func (t *HTTPTransport) SetPeer(id uint64, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok {
		if p.addr == addr {
			return
		}
		close(p.stop)
	}
	p := &peer{id: id, addr: addr, queue: make(chan []GroupMessage, 256), stop: make(chan struct{})}
	t.peers[id] = p
	go t.sendLoop(p)
}

// RemovePeer stops sending to a node.
func (t *HTTPTransport) RemovePeer(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok {
		close(p.stop)
		delete(t.peers, id)
	}
}

// Close stops every sender.
func (t *HTTPTransport) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, p := range t.peers {
		close(p.stop)
		delete(t.peers, id)
	}
}

// Send implements Transport. It never blocks.
func (t *HTTPTransport) Send(msgs []GroupMessage) {
	byPeer := make(map[uint64][]GroupMessage)
	for _, m := range msgs {
		byPeer[m.Msg.To] = append(byPeer[m.Msg.To], m)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for to, batch := range byPeer {
		p, ok := t.peers[to]
		if !ok {
			t.unreachable(batch)
			continue
		}
		select {
		case p.queue <- batch:
		default:
			t.unreachable(batch)
		}
	}
}

func (t *HTTPTransport) unreachable(batch []GroupMessage) {
	if t.host == nil {
		return
	}
	for _, m := range batch {
		if m.Msg.Type == pb.MsgSnap {
			go t.host.ReportSnapshot(m.Group, m.Msg.To, false)
		} else {
			t.host.ReportUnreachable(m.Group, m.Msg.To)
		}
	}
}

func (t *HTTPTransport) sendLoop(p *peer) {
	// An empty batch goes out when nothing else did for a ping interval:
	// it tells the peer this node is alive (see quiesce.go).
	ping := time.NewTicker(t.pingInterval())
	defer ping.Stop()
	for {
		var batch []GroupMessage
		select {
		case <-p.stop:
			return
		case batch = <-p.queue:
		case <-ping.C:
		}
	gather:
		for len(batch) < 4096 {
			select {
			case more := <-p.queue:
				batch = append(batch, more...)
			default:
				break gather
			}
		}
		err := t.post(p, batch)
		hasSnap := false
		for _, m := range batch {
			if m.Msg.Type == pb.MsgSnap {
				hasSnap = true
			}
		}
		if err != nil {
			t.log.Debug("raft transport: send failed", "peer", p.id, "addr", p.addr, "messages", len(batch), "err", err)
			t.unreachable(batch)
			continue
		}
		if hasSnap && t.host != nil {
			for _, m := range batch {
				if m.Msg.Type == pb.MsgSnap {
					t.host.ReportSnapshot(m.Group, m.Msg.To, true)
				}
			}
		}
	}
}

func (t *HTTPTransport) post(p *peer, batch []GroupMessage) error {
	body, err := EncodeMessages(batch)
	if err != nil {
		return err
	}
	timeout := 5 * time.Second
	if len(body) > 4<<20 {
		timeout = 60 * time.Second // snapshots
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.addr+"/raft", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set(ClusterHeader, t.cluster)
	req.Header.Set(fromHeader, strconv.FormatUint(t.self, 10))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("peer %d answered %s", p.id, resp.Status)
	}
	return nil
}

// EncodeMessages encodes a batch: for each message, uvarint group,
// uvarint length, the raftpb.Message bytes.
func EncodeMessages(batch []GroupMessage) ([]byte, error) {
	var out []byte
	for i := range batch {
		b, err := batch[i].Msg.Marshal()
		if err != nil {
			return nil, err
		}
		// The group ID shifted left, with the Quiesce flag in bit 0.
		g := batch[i].Group << 1
		if batch[i].Quiesce {
			g |= 1
		}
		out = binary.AppendUvarint(out, g)
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out, nil
}

// DecodeMessages decodes a batch made by EncodeMessages.
func DecodeMessages(b []byte) ([]GroupMessage, error) {
	var out []GroupMessage
	for len(b) > 0 {
		gid, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("raft batch: bad group")
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < size {
			return nil, errors.New("raft batch: truncated message")
		}
		b = b[n:]
		var m pb.Message
		if err := m.Unmarshal(b[:size]); err != nil {
			return nil, fmt.Errorf("raft batch: %w", err)
		}
		out = append(out, GroupMessage{Group: gid >> 1, Msg: m, Quiesce: gid&1 == 1})
		b = b[size:]
	}
	return out, nil
}

// Handler returns the HTTP handler of /raft, which delivers received
// batches to the host.
func (h *Host) Handler(cluster string, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get(ClusterHeader) != cluster {
			http.Error(w, "wrong cluster", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		msgs, err := DecodeMessages(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if from, err := strconv.ParseUint(r.Header.Get(fromHeader), 10, 64); err == nil {
			h.Heard(from)
		}
		if len(msgs) > 0 {
			h.Deliver(msgs)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
