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
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/anode/anode/internal/peer"
)

// The node transport carries raft messages between nodes as HTTP POSTs to
// /raft on the cluster port. Each peer has one sender goroutine with a
// queue: while one batch is in flight, the messages for that peer (of every
// group) gather into the next, so a busy link sends few large requests and
// an idle one costs nothing. A slow or dead peer's queue fills and further
// messages are dropped, which raft tolerates (it retries, and is told the
// peer is unreachable).

// MaxBatchBytes is the most a /raft request carries: the sender stops
// gathering messages at this size (a single larger message, a snapshot,
// goes alone), and the receiver refuses bodies above MaxRaftBody.
const MaxBatchBytes = 16 << 20

// MaxRaftBody is the largest /raft body a node accepts: a batch, or one
// snapshot of a group's metadata. It bounds what one request can make the
// receiver allocate.
const MaxRaftBody = 256 << 20

// HTTPTransport implements Transport over HTTPS on the cluster port (see
// internal/peer: mutual TLS, and the cluster and node IDs on every request).
type HTTPTransport struct {
	self   peer.Identity
	client *http.Client
	host   *Host
	log    *slog.Logger

	mu    sync.Mutex
	peers map[uint64]*peerLink
}

type peerLink struct {
	id    uint64
	addr  string
	queue chan []GroupMessage
	stop  chan struct{}
}

// NewHTTPTransport returns a transport for node self. client must carry
// the cluster's TLS configuration. SetHost must be called before messages
// flow.
func NewHTTPTransport(self peer.Identity, client *http.Client, log *slog.Logger) *HTTPTransport {
	return &HTTPTransport{self: self, client: client, log: log, peers: make(map[uint64]*peerLink)}
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
	p := &peerLink{id: id, addr: addr, queue: make(chan []GroupMessage, 256), stop: make(chan struct{})}
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

func (t *HTTPTransport) sendLoop(p *peerLink) {
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
		size := batchSize(batch)
	gather:
		for len(batch) < 4096 && size < MaxBatchBytes {
			select {
			case more := <-p.queue:
				batch = append(batch, more...)
				size += batchSize(more)
			default:
				break gather
			}
		}
		// A proposal that waited out a partition in this queue is not
		// delivered after its deadline (the leader would drop it too; this
		// spares the bytes, and covers a leader of an older version).
		batch = dropExpired(batch, time.Now())
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

// batchSize estimates the encoded size of messages (entries and snapshot
// data dominate).
func batchSize(batch []GroupMessage) int {
	n := 0
	for i := range batch {
		n += batch[i].Msg.Size()
	}
	return n
}

func (t *HTTPTransport) post(p *peerLink, batch []GroupMessage) error {
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+p.addr+"/raft", bytes.NewReader(body))
	if err != nil {
		return err
	}
	peer.SetHeaders(req, t.self, p.id)
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
// batches to the host. It must be mounted behind a peer.Guard, which has
// authenticated the sender and checked the cluster and node IDs; the
// handler checks that every message is from that sender and to this node.
// Bodies above maxBody are refused before they are read in full; the body
// buffer grows with what is actually received, never with what the
// Content-Length claims.
func (h *Host) Handler(maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.ContentLength > maxBody {
			http.Error(w, fmt.Sprintf("raft batch of %d bytes is over the limit of %d", r.ContentLength, maxBody), http.StatusRequestEntityTooLarge)
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
		from := peer.Sender(r)
		for _, m := range msgs {
			if m.Msg.From != from || m.Msg.To != h.cfg.NodeID {
				http.Error(w, fmt.Sprintf("raft message from %d to %d in a batch from node %d to node %d", m.Msg.From, m.Msg.To, from, h.cfg.NodeID), http.StatusForbidden)
				return
			}
		}
		if from != 0 {
			h.Heard(from)
		}
		if len(msgs) > 0 {
			h.Deliver(msgs)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// dropExpired removes from a batch the proposals whose deadline is before
// now (DropExpiredProposals), and the forwarded proposals left empty. The
// entries of a proposal are copied before filtering: raft may still hold
// the slice the message carries.
func dropExpired(batch []GroupMessage, now time.Time) []GroupMessage {
	kept := batch[:0]
	for _, m := range batch {
		if m.Msg.Type == pb.MsgProp {
			m.Msg.Entries = append([]pb.Entry(nil), m.Msg.Entries...)
			if !DropExpiredProposals(&m.Msg, now) {
				continue
			}
		}
		kept = append(kept, m)
	}
	return kept
}
