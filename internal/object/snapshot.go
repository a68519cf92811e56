package object

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// Point-in-time bucket snapshots (docs/snapshots.md). A snapshot is read
// through S3 as the read-only virtual bucket BUCKET--NAME--snap; the
// object service answers GetObject, HeadObject, ListObjects and
// HeadBucket for it from the snapshot (the S3 layer refuses every other
// operation on such a name).

// SnapshotInfo describes one snapshot.
type SnapshotInfo struct {
	Bucket  string    `json:"bucket"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// VirtualBucket is the bucket name that reads the snapshot via S3.
	VirtualBucket string `json:"virtualBucket"`
}

func snapshotInfo(s *meta.Snapshot) SnapshotInfo {
	return SnapshotInfo{Bucket: s.Bucket, Name: s.Name, Created: time.Unix(0, s.Created).UTC(), VirtualBucket: s.VirtualBucket()}
}

// ErrInvalidSnapshotName refuses a snapshot name that would not make a
// valid virtual bucket name.
var ErrInvalidSnapshotName = s3err.InvalidArgument.WithMessage("A snapshot name is 1 to 20 lower-case letters, digits and single hyphens, and BUCKET--NAME--snap must be at most 63 characters.")

// CreateSnapshot takes a snapshot of bucket. An empty name is made from
// the time (UTC, to the second).
func (s *Service) CreateSnapshot(ctx context.Context, bucket, name string) (SnapshotInfo, error) {
	now := s.now()
	if name == "" {
		name = now.UTC().Format("20060102-150405")
	}
	if !meta.ValidSnapshotName(name) || len(bucket)+2+len(name)+len(meta.SnapshotSuffix) > 63 {
		return SnapshotInfo{}, ErrInvalidSnapshotName
	}
	snap, err := s.meta.CreateSnapshot(ctx, bucket, name, now.UnixNano())
	if err != nil {
		return SnapshotInfo{}, err
	}
	return snapshotInfo(snap), nil
}

// ListSnapshots lists the snapshots of bucket (of every bucket for "").
func (s *Service) ListSnapshots(ctx context.Context, bucket string) ([]SnapshotInfo, error) {
	snaps, err := s.meta.Snapshots(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out := make([]SnapshotInfo, len(snaps))
	for i := range snaps {
		out[i] = snapshotInfo(&snaps[i])
	}
	return out, nil
}

// DeleteSnapshot deletes a snapshot, releasing what only it kept.
func (s *Service) DeleteSnapshot(ctx context.Context, bucket, name string) error {
	return s.meta.DeleteSnapshot(ctx, bucket, name)
}

// IsSnapshotBucket reports whether name is a snapshot's virtual bucket
// name (whether or not the snapshot exists).
func IsSnapshotBucket(name string) bool {
	_, _, ok := meta.ParseSnapshotBucket(name)
	return ok
}

// snapshotOf returns the snapshot a virtual bucket name reads, or nil if
// name is not one. A virtual name whose snapshot does not exist answers
// NoSuchBucket.
func (s *Service) snapshotOf(ctx context.Context, name string) (*meta.Snapshot, error) {
	bucket, snapName, ok := meta.ParseSnapshotBucket(name)
	if !ok {
		return nil, nil
	}
	snap, err := s.meta.SnapshotOf(ctx, bucket, snapName)
	if errors.Is(err, meta.ErrNoSuchSnapshot) {
		return nil, s3err.NoSuchBucket
	}
	if err != nil {
		return nil, err
	}
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil || b.Incarnation != snap.Incarnation {
		return nil, s3err.NoSuchBucket
	}
	return snap, nil
}

// snapshotLookup is lookup for a snapshot's virtual bucket: the key's
// version at the snapshot. A version ID may name only that version.
func (s *Service) snapshotLookup(ctx context.Context, snap *meta.Snapshot, bucket, key, versionID string) (*meta.Version, ObjectInfo, error) {
	v, err := s.meta.SnapshotVersion(ctx, snap, key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	if versionID != "" && versionID != meta.VersionIDOf(v) {
		return nil, ObjectInfo{}, s3err.NoSuchVersion
	}
	return v, infoOf(bucket, key, v, true), nil
}

// snapshotList is ListObjects for a snapshot's virtual bucket.
func (s *Service) snapshotList(ctx context.Context, snap *meta.Snapshot, in ListInput) (ListResult, error) {
	if in.MaxKeys == 0 {
		return ListResult{}, nil
	}
	page, err := s.meta.SnapshotList(ctx, snap, in.Prefix, in.Delimiter, in.Marker, in.MaxKeys)
	if err != nil {
		return ListResult{}, err
	}
	out := ListResult{CommonPrefixes: page.Prefixes, IsTruncated: page.Truncated}
	if page.Truncated {
		out.NextMarker = page.Next
	}
	out.Objects = make([]ObjectInfo, len(page.Entries))
	for i, e := range page.Entries {
		out.Objects[i] = infoOf(in.Bucket, e.Key, e.Version, true)
	}
	return out, nil
}

// RestoreResult reports a restore: how many objects were written, and the
// keys that could not be (with why).
type RestoreResult struct {
	Restored int               `json:"restored"`
	Failed   map[string]string `json:"failed,omitempty"`
}

// maxRestoreFailures bounds the failures a restore reports (and goes on
// after).
const maxRestoreFailures = 100

// RestoreSnapshot writes every object of a snapshot whose key starts with
// prefix into target (the snapshot's own bucket for ""), as new current
// versions: nothing in target is deleted, and keys the snapshot does not
// hold are left as they are. Each object is a copy by reference
// (CopyObject: the chunks are touched, not copied), so objects larger
// than MaxCopySource, and SSE-C objects (whose key the server does not
// have), are reported as failed.
func (s *Service) RestoreSnapshot(ctx context.Context, bucket, name, prefix, target string) (RestoreResult, error) {
	snap, err := s.meta.SnapshotOf(ctx, bucket, name)
	if err != nil {
		return RestoreResult{}, err
	}
	if target == "" {
		target = bucket
	}
	if IsSnapshotBucket(target) {
		return RestoreResult{}, s3err.AccessDenied.WithMessage("A snapshot is read-only.")
	}
	if _, err := s.meta.Bucket(ctx, target); err != nil {
		return RestoreResult{}, err
	}
	virtual := snap.VirtualBucket()
	var out RestoreResult
	after := ""
	for {
		page, err := s.meta.SnapshotList(ctx, snap, prefix, "", after, 1000)
		if err != nil {
			return out, err
		}
		for _, e := range page.Entries {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			_, err := s.CopyObject(ctx, CopyInput{SrcBucket: virtual, SrcKey: e.Key, DstBucket: target, DstKey: e.Key})
			if err != nil {
				if out.Failed == nil {
					out.Failed = map[string]string{}
				}
				out.Failed[e.Key] = err.Error()
				if len(out.Failed) >= maxRestoreFailures {
					return out, fmt.Errorf("restore stopped after %d failures", len(out.Failed))
				}
				continue
			}
			out.Restored++
		}
		if !page.Truncated {
			return out, nil
		}
		after = page.Next
	}
}

// SnapshotUsage reports the objects and logical bytes a snapshot shows,
// and the bytes of the versions only it keeps (O(objects of the bucket)).
func (s *Service) SnapshotUsage(ctx context.Context, bucket, name string) (meta.SnapshotUsage, error) {
	snap, err := s.meta.SnapshotOf(ctx, bucket, name)
	if err != nil {
		return meta.SnapshotUsage{}, err
	}
	return s.meta.Usage(ctx, snap)
}
