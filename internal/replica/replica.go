// Package replica replicates chunks across the nodes of a cluster. A chunk
// lives on the replication_factor nodes that rank highest for its hash
// (rendezvous placement over the membership); writes go to those nodes,
// reads prefer the local copy, verify the SHA-256, and repair a missing or
// corrupt copy from another replica.
//
// Chunks are immutable and named by their hash, so replicating them needs
// no consensus: a copy is either right (it hashes to its name) or useless.
package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/peer"
	"github.com/anode/anode/internal/s3err"
)

// Chunks is the cluster-wide chunk store of one node. It implements the
// object service's ChunkStore.
type Chunks struct {
	self    uint64
	local   *chunk.Store
	members *cluster.Membership
	rf      atomic.Int64
	cluster string // cluster ID, named on every request (internal/peer)
	client  *http.Client
	log     *slog.Logger
	hints   *hintQueue
}

// Config configures Chunks.
type Config struct {
	Self              uint64
	Local             *chunk.Store
	Members           *cluster.Membership
	ReplicationFactor int
	// ClusterID is the cluster's ID; Client must carry the cluster port's
	// TLS configuration (internal/peer).
	ClusterID string
	Client    *http.Client
	Logger    *slog.Logger
}

// New returns the replicated chunk store.
func New(cfg Config) *Chunks {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Chunks{self: cfg.Self, local: cfg.Local, members: cfg.Members,
		cluster: cfg.ClusterID, client: cfg.Client, log: cfg.Logger}
	c.rf.Store(int64(cfg.ReplicationFactor))
	c.hints = newHintQueue(c)
	return c
}

// SetReplicationFactor changes how many copies new placements ask for
// (the configured factor, capped by the cluster size, changes with it).
func (c *Chunks) SetReplicationFactor(n int) { c.rf.Store(int64(n)) }

// Targets returns the nodes that should hold chunk h, best first.
func (c *Chunks) Targets(h chunk.Hash) []uint64 {
	return cluster.Replicas(cluster.ChunkKey(h), c.members.IDs(), int(c.rf.Load()))
}

// quorum is how many replicas must take a write before it counts: a
// majority, so a write survives the loss of any minority of its replicas.
func quorum(n int) int { return n/2 + 1 }

// Put writes chunk h to its replica nodes in parallel and returns as soon as
// a majority of them has it durably (fsynced), so a paused or partitioned
// replica costs a PUT nothing. A node that already holds the chunk only has
// its time refreshed (a dedup hit costs no transfer). The replicas that had
// not answered by then are cancelled and handed to the hint queue, which
// completes them in the background (see hints.go); the repair pass of each
// node remains the backstop for hints lost in a restart.
//
// created reports whether any replica that answered stored a new copy.
func (c *Chunks) Put(h chunk.Hash, data []byte) (bool, error) {
	targets := c.Targets(h)
	need := quorum(len(targets))
	// Put returns at a majority while the other writes (the local one
	// included) may still be reading data, and callers reuse their buffer
	// for the next chunk as soon as Put returns: the stragglers get a copy
	// of their own, or they would store the next chunk's bytes under this
	// chunk's name (with block checksums that match them). With a single
	// target (one node) Put waits for the one write, so no copy is needed.
	if len(targets) > need {
		data = bytes.Clone(data)
	}
	// A chunk this node already holds is probably held by its other
	// replicas too: ask them to refresh it before sending the bytes. A new
	// chunk goes straight to a PUT, saving the round trip.
	probe := c.isTarget(h) && c.local.Has(h)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		id      uint64
		created bool
		err     error
	}
	results := make(chan result, len(targets))
	for _, id := range targets {
		go func(id uint64) {
			r := result{id: id}
			if id == c.self {
				r.created, r.err = c.local.Put(h, data)
				if r.err != nil {
					r.err = &nodeError{id, r.err}
				}
			} else {
				r.created, r.err = c.remotePut(ctx, id, h, data, probe)
			}
			results <- r
		}(id)
	}
	ok, created := 0, false
	var errs []error
	answered := make(map[uint64]bool, len(targets))
	for range targets {
		r := <-results
		answered[r.id] = true
		if r.err != nil {
			errs = append(errs, r.err)
		} else {
			ok++
			created = created || r.created
		}
		if ok >= need || len(errs) > len(targets)-need {
			break
		}
	}
	if ok < need {
		return false, fmt.Errorf("%w: chunk %s stored on %d of %d replicas: %w",
			s3err.ServiceUnavailable, h, ok, len(targets), errors.Join(errs...))
	}
	// The stragglers are cancelled when Put returns (data belongs to the
	// caller, who may reuse it); the hint queue re-sends from a good copy.
	var missing []uint64
	for _, id := range targets {
		if !answered[id] {
			missing = append(missing, id)
		}
	}
	for _, e := range errs {
		var ne *nodeError
		if errors.As(e, &ne) {
			missing = append(missing, ne.id)
		}
	}
	if len(missing) > 0 {
		c.hints.add(h, missing)
	}
	return created, nil
}

// Touch refreshes the time of chunk h on every replica that holds it. It
// fails only when no replica holds it.
func (c *Chunks) Touch(h chunk.Hash) error {
	targets := c.Targets(h)
	errc := make(chan error, len(targets))
	for _, id := range targets {
		go func(id uint64) {
			if id == c.self {
				errc <- c.local.Touch(h)
				return
			}
			errc <- c.remoteTouch(context.Background(), id, h)
		}(id)
	}
	var errs []error
	for range targets {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == len(targets) {
		return fmt.Errorf("touch chunk %s: no replica holds it: %w", h, errors.Join(errs...))
	}
	return nil
}

// sources returns the other nodes that may hold chunk h, in the order to ask
// them: its current targets first, then every other member. A copy can sit
// on a node that is no longer a target (the cluster grew, or placement
// moved while a node was away), and a chunk whose targets all lost it must
// still be found wherever a copy is left; a miss on every target is rare,
// so asking the rest then costs little.
func (c *Chunks) sources(h chunk.Hash) []uint64 {
	targets := c.Targets(h)
	out := make([]uint64, 0, len(targets))
	seen := map[uint64]bool{c.self: true}
	for _, id := range targets {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range c.members.IDs() {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// GetInto reads chunk h, from the local store if it has a good copy, else
// from the other nodes in the order of sources. Every copy read is verified;
// a node that should hold the chunk and lacks it, or holds a corrupt copy,
// stores the good copy it fetched (read repair).
func (c *Chunks) GetInto(h chunk.Hash, buf []byte) ([]byte, error) {
	data, err := c.local.GetInto(h, buf)
	if err == nil {
		return data, nil
	}
	localErr := err
	for _, id := range c.sources(h) {
		data, err := c.remoteGet(id, h, buf)
		if err != nil {
			c.log.Debug("chunk read from replica failed", "chunk", h, "node", id, "err", err)
			continue
		}
		if c.isTarget(h) {
			if _, err := c.local.Put(h, data); err != nil {
				c.log.Warn("read repair failed", "chunk", h, "err", err)
			} else {
				repairs.WithLabelValues("read").Inc()
			}
		}
		return data, nil
	}
	return nil, fmt.Errorf("chunk %s: no replica could serve it (local: %v)", h, localErr)
}

// ReadAt reads part of chunk h. Every copy verifies the blocks it returns
// (chunk.Store.ReadAt); when the local copy is missing or damaged, the
// range comes from another node, and a target that lost its copy is queued
// to fetch the whole chunk again (repair through the hint queue).
func (c *Chunks) ReadAt(h chunk.Hash, p []byte, off int64) (int, error) {
	n, err := c.local.ReadAt(h, p, off)
	if err == nil || err == io.EOF {
		return n, err
	}
	if c.isTarget(h) {
		c.hints.add(h, []uint64{c.self})
	}
	for _, id := range c.sources(h) {
		if n, err := c.remoteReadAt(id, h, p, off); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("chunk %s: no replica could serve a range of it", h)
}

func (c *Chunks) isTarget(h chunk.Hash) bool { return c.isTargetOf(h, c.self) }

func (c *Chunks) isTargetOf(h chunk.Hash, node uint64) bool {
	for _, id := range c.Targets(h) {
		if id == node {
			return true
		}
	}
	return false
}

// PendingHints returns how many chunk copies writes have left to the
// background and are not yet delivered.
func (c *Chunks) PendingHints() int { return c.hints.Len() }

// Repair makes sure this node holds every chunk in refs that placement
// assigns to it, fetching missing ones from any node that has a copy. It returns
// how many chunks it fetched and how many it could not.
func (c *Chunks) Repair(ctx context.Context, refs func(func(chunk.Hash))) (fetched, failed int64) {
	seen := make(map[chunk.Hash]struct{})
	refs(func(h chunk.Hash) {
		if ctx.Err() != nil {
			return
		}
		if _, ok := seen[h]; ok {
			return
		}
		seen[h] = struct{}{}
		if !c.isTarget(h) || c.local.Has(h) {
			return
		}
		for _, id := range c.sources(h) {
			data, err := c.remoteGet(id, h, nil)
			if err != nil {
				continue
			}
			if _, err := c.local.Put(h, data); err == nil {
				fetched++
				repairs.WithLabelValues("scrub").Inc()
				return
			}
		}
		failed++
		repairFailures.Inc()
	})
	return fetched, failed
}

func (c *Chunks) url(id uint64, h chunk.Hash, suffix string) (string, error) {
	addr, ok := c.members.Addr(id)
	if !ok {
		return "", fmt.Errorf("node %d is not a member", id)
	}
	return "https://" + addr + "/chunks/" + h.String() + suffix, nil
}

func (c *Chunks) do(parent context.Context, method, url string, to uint64, body []byte, hdr http.Header, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	peer.SetHeaders(req, peer.Identity{ClusterID: c.cluster, NodeID: c.self}, to)
	resp, err := c.client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error { err := c.ReadCloser.Close(); c.cancel(); return err }

// nodeError is a failed request to one replica.
type nodeError struct {
	id  uint64
	err error
}

func (e *nodeError) Error() string { return fmt.Sprintf("node %d: %v", e.id, e.err) }
func (e *nodeError) Unwrap() error { return e.err }

// Timeouts of one attempt of a chunk request to a replica. A write is not
// slowed by a slow replica once a majority has answered (Put), so these
// only bound how long a hung peer holds a connection.
const (
	touchTimeout = 10 * time.Second
	putTimeout   = 60 * time.Second
)

func (c *Chunks) remoteTouch(ctx context.Context, id uint64, h chunk.Hash) error {
	u, err := c.url(id, h, "/touch")
	if err != nil {
		return &nodeError{id, err}
	}
	resp, err := c.do(ctx, http.MethodPost, u, id, nil, nil, touchTimeout)
	if err != nil {
		return &nodeError{id, err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusNotFound:
		return &nodeError{id, chunk.ErrNotFound}
	}
	return &nodeError{id, fmt.Errorf("touch: %s", resp.Status)}
}

// remotePut stores chunk h on node id. With probe set it first asks the
// node to refresh a copy it may already hold, and sends the bytes only if
// it has none.
func (c *Chunks) remotePut(ctx context.Context, id uint64, h chunk.Hash, data []byte, probe bool) (bool, error) {
	if probe {
		if err := c.remoteTouch(ctx, id, h); err == nil {
			return false, nil
		}
	}
	u, err := c.url(id, h, "")
	if err != nil {
		return false, &nodeError{id, err}
	}
	resp, err := c.do(ctx, http.MethodPut, u, id, data, nil, putTimeout)
	if err != nil {
		return false, &nodeError{id, err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusOK:
		return false, nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return false, &nodeError{id, fmt.Errorf("put chunk: %s: %s", resp.Status, msg)}
}

func (c *Chunks) remoteGet(id uint64, h chunk.Hash, buf []byte) ([]byte, error) {
	u, err := c.url(id, h, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(context.Background(), http.MethodGet, u, id, nil, nil, putTimeout)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("node %d: get chunk: %s", id, resp.Status)
	}
	b := bytes.NewBuffer(buf[:0])
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if chunk.Hash(sha256.Sum256(b.Bytes())) != h {
		return nil, fmt.Errorf("node %d: chunk %s: %w", id, h, chunk.ErrCorrupt)
	}
	return b.Bytes(), nil
}

func (c *Chunks) remoteReadAt(id uint64, h chunk.Hash, p []byte, off int64) (int, error) {
	u, err := c.url(id, h, "")
	if err != nil {
		return 0, err
	}
	hdr := http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)}}
	resp, err := c.do(context.Background(), http.MethodGet, u, id, nil, hdr, putTimeout)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return 0, fmt.Errorf("node %d: read chunk range: %s", id, resp.Status)
	}
	n, err := io.ReadFull(resp.Body, p)
	if err == io.ErrUnexpectedEOF {
		return n, io.EOF
	}
	return n, err
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<20); return &b }}

// CheckSpace reports whether this node may take new data: the local
// store's free-space reserve and fail-stop state (chunk.Store.CheckSpace).
func (c *Chunks) CheckSpace() error { return c.local.CheckSpace() }
