package chunk

import (
	"os"
	"sync"
)

// groupSyncer makes chunk writes durable in groups. Writing a chunk durably
// one by one costs two flushes (the file, then its directory after the
// rename); under concurrency most of that time is spent waiting for the
// disk. Instead, each writer writes and renames its file without flushing,
// then waits for one flush of the whole filesystem (syncfs(2) on Linux)
// that started after its rename: every chunk written meanwhile shares it,
// exactly like a database's group commit of its log.
type groupSyncer struct {
	dir *os.File // any file on the store's filesystem

	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // number of flushes started
	done    uint64 // number of flushes finished
	running bool
	errs    map[uint64]error // error of flush n, kept until every waiter saw it
}

// newGroupSyncer returns a syncer for the filesystem holding f; f stays
// owned by the caller.
func newGroupSyncer(f *os.File) *groupSyncer {
	g := &groupSyncer{dir: f, errs: make(map[uint64]error)}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Sync returns once a flush that started after the call has finished,
// with that flush's error.
func (g *groupSyncer) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A flush already running may have started before our writes: we need
	// the next one to start.
	target := g.started + 1
	for g.done < target {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		g.mu.Unlock()
		err := syncFS(g.dir)
		g.mu.Lock()
		g.running = false
		g.done = n
		if err != nil {
			g.errs[n] = err
		}
		for old := range g.errs {
			if old+1024 < n {
				delete(g.errs, old)
			}
		}
		g.cond.Broadcast()
	}
	// Flush `target` started after our writes: its result is ours.
	return g.errs[target]
}

// flush makes every chunk written so far durable (nothing with NoSync).
func (s *Store) flush() error {
	if s.noSync {
		return nil
	}
	return s.syncer.Sync()
}
