package server

import (
	"context"

	"github.com/anode/anode/internal/lifecycle"
)

// runLifecycle runs the buckets' lifecycle rules on the placement groups
// this node leads, every lifecycle.interval_secs, until Shutdown.
func (s *Server) runLifecycle() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.stopGC; cancel() }()
	s.lifecycle.Run(ctx)
}

// newLifecycleRunner builds the node's lifecycle runner.
func (s *Server) newLifecycleRunner() *lifecycle.Runner {
	return lifecycle.NewRunner(lifecycle.RunnerConfig{
		Meta: s.meta,
		Leading: func(ctx context.Context) ([]uint64, error) {
			st, err := s.host.Status(ctx)
			if err != nil {
				return nil, err
			}
			var out []uint64
			for _, g := range st {
				if g.IsLeader && g.ID != 0 {
					out = append(out, g.ID)
				}
			}
			return out, nil
		},
		Clock:    lifecycle.Clock{Day: s.cfg.Lifecycle.Day()},
		Interval: s.cfg.Lifecycle.Interval(),
		Rate:     s.cfg.Lifecycle.Rate,
		Logger:   s.log.With("component", "lifecycle"),
		OnAction: s.publishLifecycleEvent,
	})
}

// Lifecycle returns the node's lifecycle runner.
func (s *Server) Lifecycle() *lifecycle.Runner { return s.lifecycle }
