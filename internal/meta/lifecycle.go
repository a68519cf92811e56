package meta

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Reads for the lifecycle runner (internal/lifecycle): one placement
// group's keys of one bucket, after a read barrier on that group, so that
// the runner of the group's leader sees every command committed before
// its pass began.

// KeyVersions is one key as a lifecycle rule sees it: its current version
// (which may be a delete marker) and its noncurrent versions, newest
// first, all without their data.
type KeyVersions struct {
	Key        string
	Current    *Version
	Noncurrent []*Version
}

// ScanGroup calls fn for every key of bucket held by group gid, in key
// order, starting after `after` (the key where an earlier call stopped;
// "" for the start). It reads a snapshot taken after a read barrier.
func (s *Store) ScanGroup(ctx context.Context, gid uint64, bucket, after string, fn func(KeyVersions) error) error {
	if err := s.barrier(ctx, gid); err != nil {
		return err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	p := bucketObjectsPrefix(gid, kindCurrent, bucket)
	lo := p
	if after != "" {
		lo = append(append([]byte(nil), p...), after...)
		lo = append(lo, 0)
	}
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := string(it.Key()[len(p):])
		var cur Version
		if err := json.Unmarshal(it.Value(), (*listVersion)(&cur)); err != nil {
			return fmt.Errorf("lifecycle scan %s/%s: %w", bucket, key, err)
		}
		older, err := s.noncurrentIn(snap, gid, bucket, key)
		if err != nil {
			return err
		}
		if err := fn(KeyVersions{Key: key, Current: &cur, Noncurrent: older}); err != nil {
			return err
		}
	}
	return it.Error()
}

func (s *Store) noncurrentIn(snap *pebble.Snapshot, gid uint64, bucket, key string) ([]*Version, error) {
	p := noncurrentPrefix(gid, bucket, key)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []*Version
	for it.First(); it.Valid(); it.Next() {
		var v Version
		if err := json.Unmarshal(it.Value(), (*listVersion)(&v)); err != nil {
			return nil, fmt.Errorf("noncurrent version of %s/%s: %w", bucket, key, err)
		}
		out = append(out, &v)
	}
	return out, it.Error()
}

// GroupUploads returns the multipart uploads of bucket held by group gid
// (linearizable).
func (s *Store) GroupUploads(ctx context.Context, gid uint64, bucket string) ([]Upload, error) {
	if err := s.barrier(ctx, gid); err != nil {
		return nil, err
	}
	p := bucketObjectsPrefix(gid, kindUpload, bucket)
	var out []Upload
	err := s.scan(p, prefixEnd(p), func(_, v []byte) error {
		var u Upload
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	return out, err
}
