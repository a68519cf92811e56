package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
)

// Fsck checks a stopped node's data directory: every metadata record
// decodes, group statistics match their records, and every referenced
// chunk exists and hashes to its name. It also counts the chunks no
// reference names (unreferenced: garbage, reported but not a problem).
// Pebble and the chunk store lock the directory, so Fsck fails if a server
// is running on it.
func Fsck(dataDir string) (*meta.CheckReport, error) {
	db, err := pebble.Open(filepath.Join(dataDir, "meta"), &pebble.Options{ReadOnly: true, Logger: pebbleLogger{slog.New(slog.DiscardHandler)}})
	if err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}
	defer db.Close()
	v, closer, err := db.Get([]byte("c/placement_groups"))
	if err != nil {
		return nil, fmt.Errorf("read layout: %w", err)
	}
	groups := int(binary.BigEndian.Uint64(v))
	closer.Close()
	store, err := chunk.Open(chunk.Options{Dir: filepath.Join(dataDir, "chunks")})
	if err != nil {
		return nil, fmt.Errorf("open chunks: %w", err)
	}
	defer store.Close()
	var buf []byte
	referenced := make(map[chunk.Hash]struct{})
	rep, err := meta.Check(db, groups, func(c meta.ChunkRef) error {
		referenced[chunk.Hash(c.Hash)] = struct{}{}
		data, err := store.GetInto(chunk.Hash(c.Hash), buf[:0])
		if err != nil {
			return err
		}
		buf = data
		if int64(len(data)) != c.Size {
			return errors.New("wrong size")
		}
		// GetInto verified the block checksums; fsck also checks the
		// chunk's identity.
		if chunk.Sum(data) != chunk.Hash(c.Hash) {
			return chunk.ErrCorrupt
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	// Chunks no reference names: space garbage collection will reclaim
	// once their grace period has passed.
	err = store.Walk(func(h chunk.Hash, size int64, _ time.Time) error {
		if _, ok := referenced[h]; !ok {
			rep.UnreferencedChunks++
			rep.UnreferencedBytes += size
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("walk chunks: %w", err)
	}
	return rep, nil
}
