package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// queue is one target's persistent queue: one file per event,
// "<seq>.json" with a zero-padded sequence number, written and fsynced
// (file and directory) before Publish returns, and removed once the
// target acknowledged it. One sender delivers the files in sequence
// order, retrying each with backoff until it is delivered, so delivery is
// at least once and in the order the events were queued on this node.
type queue struct {
	name   string
	dir    string
	target Target
	limit  int
	log    *slog.Logger

	mu      sync.Mutex
	pending []uint64
	next    uint64
	wake    chan struct{}
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

func openQueue(dir, name string, t Target, limit int, log *slog.Logger) (*queue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("notification queue %s: %w", dir, err)
	}
	q := &queue{name: name, dir: dir, target: t, limit: limit, log: log, wake: make(chan struct{}, 1), next: 1}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("notification queue %s: %w", dir, err)
	}
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			if strings.HasSuffix(e.Name(), ".tmp") {
				os.Remove(filepath.Join(dir, e.Name())) // a write cut short: never acknowledged
			}
			continue
		}
		seq, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			continue
		}
		q.pending = append(q.pending, seq)
		if seq >= q.next {
			q.next = seq + 1
		}
	}
	sort.Slice(q.pending, func(i, j int) bool { return q.pending[i] < q.pending[j] })
	queueLength.WithLabelValues(name).Set(float64(len(q.pending)))
	return q, nil
}

func (q *queue) path(seq uint64) string {
	return filepath.Join(q.dir, fmt.Sprintf("%020d.json", seq))
}

// errQueueFull refuses an event when the queue holds its limit.
var errQueueFull = errors.New("notification queue full")

// put stores one message durably.
func (q *queue) put(msg []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) >= q.limit {
		return errQueueFull
	}
	seq := q.next
	q.next++
	final := q.path(seq)
	tmp := final + ".tmp"
	if err := writeSynced(tmp, msg); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	if err := syncDir(q.dir); err != nil {
		return err
	}
	q.pending = append(q.pending, seq)
	queueLength.WithLabelValues(q.name).Set(float64(len(q.pending)))
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (q *queue) head() (uint64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return 0, false
	}
	return q.pending[0], true
}

func (q *queue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = q.pending[1:]
	queueLength.WithLabelValues(q.name).Set(float64(len(q.pending)))
}

// run delivers queued messages until ctx ends.
func (q *queue) run(ctx context.Context) {
	for {
		seq, ok := q.head()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		msg, err := os.ReadFile(q.path(seq))
		if err != nil {
			q.log.Error("notification queue: unreadable event, dropped", "target", q.name, "seq", seq, "err", err)
			events.WithLabelValues(q.name, "dropped").Inc()
			q.pop()
			continue
		}
		for backoff := minBackoff; ; backoff = min(2*backoff, maxBackoff) {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := q.target.Send(sctx, msg)
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			deliveryFailures.WithLabelValues(q.name).Inc()
			q.log.Warn("notification delivery failed; retrying", "target", q.name, "seq", seq, "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		events.WithLabelValues(q.name, "delivered").Inc()
		if err := os.Remove(q.path(seq)); err != nil {
			q.log.Error("notification queue: cannot remove a delivered event (it will be sent again)", "target", q.name, "seq", seq, "err", err)
		}
		q.pop()
	}
}
