package replica

import (
	"context"
	"sync"
	"time"

	"github.com/anode/anode/internal/chunk"
)

// The hint queue completes chunk writes that returned once a majority of
// their replicas had the chunk (hinted handoff). A hint names a chunk and a
// replica that did not confirm it; a worker re-sends the chunk from a good
// copy (local, or any replica, verified) with a backoff per node, so a
// paused or partitioned node costs one attempt per backoff period, not one
// per chunk.
//
// Hints live in memory. They are an accelerator, not the only record: a
// node's repair passes (Repairer, repair.go) fetch every chunk placement
// assigns to it and it lacks, so a hint lost in a restart, dropped for
// age, or refused because the queue is full is still repaired by that pass.
type hintQueue struct {
	c *Chunks

	mu      sync.Mutex
	pending map[hintKey]time.Time // hint → when it was first queued
	backoff map[uint64]nodeBackoff
	running bool
}

type hintKey struct {
	h    chunk.Hash
	node uint64
}

type nodeBackoff struct {
	until time.Time
	delay time.Duration
}

const (
	maxHints       = 100_000          // beyond this, the repair pass completes the copies
	maxHintAge     = 10 * time.Minute // likewise for a node down this long
	hintAttempt    = 10 * time.Second // one delivery attempt
	hintBackoffMin = 500 * time.Millisecond
	hintBackoffMax = 30 * time.Second
)

func newHintQueue(c *Chunks) *hintQueue {
	return &hintQueue{c: c, pending: make(map[hintKey]time.Time), backoff: make(map[uint64]nodeBackoff)}
}

// add queues chunk h for the given replicas and starts the worker if it is
// not running. The worker stops once the queue is empty.
func (q *hintQueue) add(h chunk.Hash, nodes []uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	for _, id := range nodes {
		k := hintKey{h, id}
		if _, ok := q.pending[k]; ok {
			continue
		}
		if len(q.pending) >= maxHints {
			hintsDone.WithLabelValues("dropped").Inc()
			continue
		}
		q.pending[k] = now
	}
	hintsPending.Set(float64(len(q.pending)))
	if !q.running && len(q.pending) > 0 {
		q.running = true
		go q.run()
	}
}

// Len returns the number of queued hints.
func (q *hintQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// next picks a hint whose node is not backing off, or reports how long to
// wait for one; done is true when the queue is empty (the worker stops).
func (q *hintQueue) next() (k hintKey, wait time.Duration, done bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		q.running = false
		return k, 0, true
	}
	now := time.Now()
	wait = hintBackoffMax
	for key, queued := range q.pending {
		if now.Sub(queued) > maxHintAge {
			delete(q.pending, key)
			hintsDone.WithLabelValues("expired").Inc()
			continue
		}
		b := q.backoff[key.node]
		if d := b.until.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		return key, 0, false
	}
	hintsPending.Set(float64(len(q.pending)))
	if len(q.pending) == 0 {
		q.running = false
		return k, 0, true
	}
	return k, wait, false
}

func (q *hintQueue) run() {
	var buf []byte
	for {
		k, wait, done := q.next()
		if done {
			return
		}
		if wait > 0 {
			time.Sleep(wait) // the earliest moment a backed-off node may be retried
			continue
		}
		var err error
		buf, err = q.deliver(k, buf)
		q.finish(k, err)
	}
}

// deliver sends chunk k.h to node k.node, reading it from a good copy.
func (q *hintQueue) deliver(k hintKey, buf []byte) ([]byte, error) {
	c := q.c
	if !c.isTargetOf(k.h, k.node) {
		return buf, nil // placement moved on; the new targets repair themselves
	}
	data, err := c.GetInto(k.h, buf[:0])
	if err != nil {
		return buf, err
	}
	if k.node == c.self {
		// GetInto stored the copy it fetched (read repair), or found a
		// good local one.
		return data, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), hintAttempt)
	defer cancel()
	_, err = c.remotePut(ctx, k.node, k.h, data, true)
	return data, err
}

func (q *hintQueue) finish(k hintKey, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err == nil {
		delete(q.pending, k)
		delete(q.backoff, k.node)
		hintsDone.WithLabelValues("delivered").Inc()
		hintsPending.Set(float64(len(q.pending)))
		return
	}
	c := q.c
	c.log.Debug("chunk hint not delivered", "chunk", k.h, "node", k.node, "err", err)
	b := q.backoff[k.node]
	b.delay = min(max(2*b.delay, hintBackoffMin), hintBackoffMax)
	b.until = time.Now().Add(b.delay)
	q.backoff[k.node] = b
}
