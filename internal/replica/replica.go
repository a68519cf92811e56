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

// Put writes chunk h to its replica nodes in parallel; a node that already
// holds it only has its time refreshed (a dedup hit costs no transfer). It
// succeeds when a majority of the replicas have the chunk fsynced; the
// scrubber completes the others.
func (c *Chunks) Put(h chunk.Hash, data []byte) (bool, error) {
	targets := c.Targets(h)
	type result struct {
		created bool
		err     error
	}
	results := make(chan result, len(targets))
	for _, id := range targets {
		go func(id uint64) {
			if id == c.self {
				created, err := c.local.Put(h, data)
				results <- result{created, err}
				return
			}
			created, err := c.remotePut(id, h, data)
			results <- result{created, err}
		}(id)
	}
	ok, created := 0, false
	var errs []error
	for range targets {
		r := <-results
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		ok++
		created = created || r.created
	}
	if ok < quorum(len(targets)) {
		return false, fmt.Errorf("%w: chunk %s stored on %d of %d replicas: %w",
			s3err.ServiceUnavailable, h, ok, len(targets), errors.Join(errs...))
	}
	if len(errs) > 0 {
		c.log.Warn("chunk write missed replicas; the scrubber will complete it", "chunk", h, "stored", ok, "replicas", len(targets))
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
			errc <- c.remoteTouch(id, h)
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

// GetInto reads chunk h, from the local store if it has a good copy, else
// from the other replicas in placement order. Every copy read is verified;
// a node that should hold the chunk and lacks it, or holds a corrupt copy,
// stores the good copy it fetched (read repair).
func (c *Chunks) GetInto(h chunk.Hash, buf []byte) ([]byte, error) {
	data, err := c.local.GetInto(h, buf)
	if err == nil {
		return data, nil
	}
	localErr := err
	for _, id := range c.Targets(h) {
		if id == c.self {
			continue
		}
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

// ReadAt reads part of chunk h, unverified (see chunk.Store.ReadAt).
func (c *Chunks) ReadAt(h chunk.Hash, p []byte, off int64) (int, error) {
	n, err := c.local.ReadAt(h, p, off)
	if err == nil || !errors.Is(err, chunk.ErrNotFound) {
		return n, err
	}
	for _, id := range c.Targets(h) {
		if id == c.self {
			continue
		}
		if n, err := c.remoteReadAt(id, h, p, off); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("chunk %s: no replica could serve a range of it", h)
}

func (c *Chunks) isTarget(h chunk.Hash) bool {
	for _, id := range c.Targets(h) {
		if id == c.self {
			return true
		}
	}
	return false
}

// Repair makes sure this node holds every chunk in refs that placement
// assigns to it, fetching missing ones from the other replicas. It returns
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
		for _, id := range c.Targets(h) {
			if id == c.self {
				continue
			}
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

func (c *Chunks) do(method, url string, to uint64, body []byte, hdr http.Header, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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

func (c *Chunks) remoteTouch(id uint64, h chunk.Hash) error {
	u, err := c.url(id, h, "/touch")
	if err != nil {
		return err
	}
	resp, err := c.do(http.MethodPost, u, id, nil, nil, 10*time.Second)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("node %d: %w", id, chunk.ErrNotFound)
	}
	return fmt.Errorf("node %d: touch: %s", id, resp.Status)
}

func (c *Chunks) remotePut(id uint64, h chunk.Hash, data []byte) (bool, error) {
	if err := c.remoteTouch(id, h); err == nil {
		return false, nil
	}
	u, err := c.url(id, h, "")
	if err != nil {
		return false, err
	}
	resp, err := c.do(http.MethodPut, u, id, data, nil, 60*time.Second)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusOK:
		return false, nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return false, fmt.Errorf("node %d: put chunk: %s: %s", id, resp.Status, msg)
}

func (c *Chunks) remoteGet(id uint64, h chunk.Hash, buf []byte) ([]byte, error) {
	u, err := c.url(id, h, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(http.MethodGet, u, id, nil, nil, 60*time.Second)
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
	resp, err := c.do(http.MethodGet, u, id, nil, hdr, 60*time.Second)
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
