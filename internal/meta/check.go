package meta

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// CheckReport is what a consistency check of the metadata found.
type CheckReport struct {
	Groups        int   // placement groups checked
	Versions      int64 // object versions and delete markers
	ChunkRefs     int64 // chunk references checked
	BadChunks     int64 // references to chunks that are missing or corrupt
	StatsMismatch int64 // groups whose stored Stats differ from a recount
	// Chunks in the store no reference names (filled by the caller that
	// walks the store, server.Fsck): garbage for the collector, not a problem.
	UnreferencedChunks int64
	UnreferencedBytes  int64
	Problems           []string
}

// OK reports whether the check found nothing wrong.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

func (r *CheckReport) problem(format string, args ...any) {
	if len(r.Problems) < 100 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check verifies the applied metadata of placement groups 1..groups in db:
// every record decodes, every group's Stats equal a recount of its
// versions, and checkChunk accepts every chunk reference (the caller reads
// and verifies the chunk). It reads a consistent snapshot; run it on a
// stopped node or accept that it sees one moment of a running one.
func Check(db *pebble.DB, groups int, checkChunk func(ChunkRef) error) (*CheckReport, error) {
	snap := db.NewSnapshot()
	defer snap.Close()
	r := &CheckReport{Groups: groups}
	for g := 1; g <= groups; g++ {
		gid := uint64(g)
		var count Stats
		for _, kind := range []byte{kindCurrent, kindNoncurrent} {
			p := groupPrefix(gid, kind)
			it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
			if err != nil {
				return nil, err
			}
			for it.First(); it.Valid(); it.Next() {
				var v Version
				if err := json.Unmarshal(it.Value(), &v); err != nil {
					r.problem("group %d: undecodable record %q: %v", gid, it.Key(), err)
					continue
				}
				r.Versions++
				if !v.DeleteMarker {
					count.Objects++
					count.Bytes += v.Size
				}
				var sum int64
				for _, c := range v.Chunks {
					r.ChunkRefs++
					sum += c.Size
					ref := c // checkChunk compares the stored size
					if v.Encryption != nil {
						ref.Size = EncryptedSize(c.Size)
					}
					if err := checkChunk(ref); err != nil {
						r.BadChunks++
						r.problem("group %d: %q: chunk %x: %v", gid, it.Key(), c.Hash[:8], err)
					}
				}
				if len(v.Chunks) > 0 && sum != v.Size {
					r.problem("group %d: %q: chunks hold %d bytes, size is %d", gid, it.Key(), sum, v.Size)
				}
				inline := v.Size
				if v.Encryption != nil {
					inline = EncryptedSize(v.Size)
				}
				if len(v.Chunks) == 0 && int64(len(v.Inline)) != inline {
					r.problem("group %d: %q: inline data has %d bytes, size is %d", gid, it.Key(), len(v.Inline), v.Size)
				}
			}
			if err := it.Close(); err != nil {
				return nil, err
			}
		}
		var stored Stats
		if _, err := getJSON(snap, statsKey(gid), &stored); err != nil {
			return nil, err
		}
		if stored != count {
			r.StatsMismatch++
			r.problem("group %d: stats say %d objects / %d bytes, records hold %d / %d",
				gid, stored.Objects, stored.Bytes, count.Objects, count.Bytes)
		}
	}
	return r, nil
}
