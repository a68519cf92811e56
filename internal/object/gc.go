package object

import (
	"context"
	"fmt"
	"time"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
)

// CollectGarbage runs one mark-and-sweep pass over the node's chunk store:
// it reads the clock, marks every chunk referenced by committed metadata
// (all versions and multipart parts), and sweeps the chunks that are
// neither marked nor younger than the grace period. The argument for why
// this is safe against concurrent writes and dedup hits is in
// internal/chunk/gc.go; the writer's half of it is commitVersion's deadline.
//
// Every node holds every placement group (as a voter or a learner), so
// the local metadata gives a complete mark set.
func CollectGarbage(ctx context.Context, m *meta.Store, store *chunk.Store, now func() time.Time, grace time.Duration) (chunk.SweepStats, error) {
	markedAt := now()
	// A fence stamped markedAt in every group: once this node has applied
	// them, its snapshot below includes every commit made before markedAt
	// (the fence is a barrier too; every node holds every group), and any
	// command applied after a fence has a deadline no earlier than
	// markedAt - meta.ClockMargin, or apply refused it. That bounds a late
	// commit, which internal/chunk/gc.go's argument needs.
	if err := m.Fence(ctx, markedAt); err != nil {
		return chunk.SweepStats{}, fmt.Errorf("gc mark: %w", err)
	}
	marked := make(map[chunk.Hash]struct{})
	if err := m.EachChunkRef(func(c meta.ChunkRef) { marked[chunk.Hash(c.Hash)] = struct{}{} }); err != nil {
		return chunk.SweepStats{}, fmt.Errorf("gc mark: %w", err)
	}
	st, err := store.Sweep(ctx, markedAt, func(h chunk.Hash) bool {
		_, ok := marked[h]
		return ok
	}, grace)
	if err != nil {
		return st, fmt.Errorf("gc sweep: %w", err)
	}
	return st, nil
}
