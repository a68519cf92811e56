package object

import (
	"context"
	"errors"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// Bucket versioning states.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// updateBucket changes a bucket's record through the system group: fn
// edits a copy of the record as last read, and the update applies only if
// the record has not changed since (compare-and-set on its revision);
// otherwise it is read and edited again.
func (s *Service) updateBucket(ctx context.Context, name string, fn func(*meta.Bucket) error) error {
	for attempt := 0; ; attempt++ {
		b, err := s.meta.Bucket(ctx, name)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		_, err = s.meta.Propose(ctx, meta.SystemGroup, &meta.Command{
			Op: meta.OpUpdateBucket, Time: s.now().UnixNano(), Bucket: name, BucketRecord: b,
		})
		if !errors.Is(err, meta.ErrBucketChanged) || attempt == 9 {
			return err
		}
	}
}

// SetBucketVersioning sets a bucket's versioning to Enabled or Suspended.
// A bucket that had versioning can never go back to unversioned, as in S3.
func (s *Service) SetBucketVersioning(ctx context.Context, bucket, status string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return s3err.MalformedXML.WithMessage("The versioning status must be Enabled or Suspended.")
	}
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Versioning = status
		return nil
	})
}

// ListVersionsInput is a ListObjectVersions request.
type ListVersionsInput struct {
	Bucket, Prefix, Delimiter  string
	KeyMarker, VersionIDMarker string
	MaxKeys                    int
}

// ListVersionsResult is a page of ListObjectVersions. Versions holds
// versions and delete markers (IsDeleteMarker) in listing order.
type ListVersionsResult struct {
	Versions                           []ObjectInfo
	CommonPrefixes                     []string
	IsTruncated                        bool
	NextKeyMarker, NextVersionIDMarker string
}

// ListObjectVersions lists every version of a bucket's keys: by key,
// newest first. Versions written before versioning was enabled have the
// version ID "null".
func (s *Service) ListObjectVersions(ctx context.Context, in ListVersionsInput) (ListVersionsResult, error) {
	if _, err := s.meta.Bucket(ctx, in.Bucket); err != nil {
		return ListVersionsResult{}, err
	}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return ListVersionsResult{}, s3err.InvalidArgument.WithMessage("A version-id marker cannot be specified without a key marker.")
	}
	if m := in.VersionIDMarker; m != "" && m != meta.NullVersion && !meta.ValidVersionID(m) {
		return ListVersionsResult{}, s3err.InvalidArgument.WithMessage("Invalid version id specified")
	}
	if in.MaxKeys == 0 {
		return ListVersionsResult{}, nil
	}
	page, err := s.meta.ListVersions(ctx, in.Bucket, in.Prefix, in.Delimiter, in.KeyMarker, in.VersionIDMarker, in.MaxKeys)
	if err != nil {
		return ListVersionsResult{}, err
	}
	out := ListVersionsResult{CommonPrefixes: page.Prefixes, IsTruncated: page.Truncated}
	if page.Truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = page.NextKey, page.NextVersionID
	}
	for _, e := range page.Entries {
		info := infoOf(in.Bucket, e.Key, e.Version, e.IsLatest)
		info.VersionID = meta.VersionIDOf(e.Version)
		out.Versions = append(out.Versions, info)
	}
	return out, nil
}
