package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
)

// Fsck checks a stopped node's data directory: every metadata record
// decodes, group statistics match their records, and every referenced
// chunk exists and hashes to its name. Pebble and the chunk store lock the
// directory, so Fsck fails if a server is running on it.
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
	return meta.Check(db, groups, func(c meta.ChunkRef) error {
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
}
