package object

import (
	"context"
	"errors"
	"time"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// MaxCopySource is the largest source CopyObject accepts, 5 GiB as on AWS
// ("CopyObject": larger objects are copied with UploadPartCopy), even
// though Anode copies by reference: clients rely on the limit to choose
// between the two.
const MaxCopySource = 5 << 30

// CopyObject makes a new version of the destination key from a source
// version. No data moves: the new version references the source's chunks
// (or copies its inline bytes), touching each chunk first so that garbage
// collection cannot take it between the read and the commit.
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (ObjectInfo, error) {
	if err := checkKey(in.DstKey); err != nil {
		return ObjectInfo{}, err
	}
	src, srcInfo, err := s.lookup(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID)
	if err != nil {
		if errors.Is(err, s3err.MethodNotAllowed) {
			return ObjectInfo{}, s3err.InvalidRequest.WithMessage("The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return ObjectInfo{}, err
	}
	if err := CheckConditions(srcInfo, in.SrcConditions, true); err != nil {
		return ObjectInfo{}, err
	}
	if src.Size > MaxCopySource {
		return ObjectInfo{}, s3err.InvalidRequest.WithMessage("The specified copy source is larger than the maximum allowable size for a copy source: %d", int64(MaxCopySource))
	}
	dst, err := s.meta.Bucket(ctx, in.DstBucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := s.checkSpace(); err != nil {
		return ObjectInfo{}, err
	}
	if in.SrcBucket == in.DstBucket && in.SrcKey == in.DstKey && in.SrcVersionID == "" &&
		!in.ReplaceMeta && !in.ReplaceTags && in.ChecksumAlgo == "" && dst.Versioning == "" && in.SSE == nil {
		return ObjectInfo{}, s3err.InvalidRequest.WithMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if src.Encryption != nil || in.SSE != nil || dst.Encryption != nil || in.SrcCustomerKey != nil {
		return s.copyEncrypted(ctx, in, src, dst)
	}
	v := &meta.Version{
		Size: src.Size, ETag: src.ETag, Meta: src.Meta, Inline: src.Inline, Chunks: src.Chunks,
		Checksums: src.Checksums, ChecksumType: src.ChecksumType, Parts: src.Parts, Tags: src.Tags,
		Parquet: src.Parquet,
	}
	if in.ReplaceMeta {
		v.Meta = in.Meta
	}
	if in.ReplaceTags {
		v.Tags = in.Tags
	}
	now := s.now()
	if v.Lock, err = versionLock(dst, in.Lock, now); err != nil {
		return ObjectInfo{}, err
	}
	v.Modified = now.UnixNano()
	var firstTouch time.Time
	for i, c := range src.Chunks {
		if i == 0 {
			firstTouch = s.now()
		}
		if err := s.cfg.Chunks.Touch(chunk.Hash(c.Hash)); err != nil {
			return ObjectInfo{}, err
		}
	}
	info, err := s.commitVersion(ctx, dst, in.DstKey, v, firstTouch, "", "")
	if err == nil {
		s.emit(ctx, dst, EventCopy, in.DstKey, info)
	}
	return info, err
}

// DeleteObject deletes a key (adding a delete marker when the bucket is
// versioned) or, with a version ID, one version for good. Deleting a key
// that does not exist succeeds, as in S3. A non-empty ifMatch (an ETag, a
// list of them, or "*") makes the delete conditional on the key's current
// version, checked atomically when the delete applies: a mismatch is
// s3err.PreconditionFailed, no live object s3err.NoSuchKey, and nothing is
// deleted.
func (s *Service) DeleteObject(ctx context.Context, bucket, key, versionID, ifMatch string) (DeleteResult, error) {
	if err := checkKey(key); err != nil {
		return DeleteResult{}, err
	}
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return DeleteResult{}, err
	}
	if versionID != "" && versionID != meta.NullVersion {
		if _, ok := parseVersionID(versionID); !ok {
			return DeleteResult{}, s3err.InvalidArgument.WithMessage("Invalid version id specified")
		}
	}
	ctx, cancel := background(ctx)
	defer cancel()
	res, err := s.meta.Propose(ctx, s.meta.GroupOf(bucket, key), &meta.Command{
		Op: meta.OpDeleteObject, Time: s.now().UnixNano(), Bucket: bucket, Key: key,
		Versioning: b.Versioning, VersionID: versionID, IfMatch: ifMatch, Incarnation: b.Incarnation,
		BypassGovernance: governanceBypass(ctx),
	})
	if err != nil {
		return DeleteResult{}, err
	}
	switch {
	case res.Version != nil: // a delete marker was created
		s.emit(ctx, b, EventDeleteMarker, key, infoOf(bucket, key, res.Version, true))
		return DeleteResult{VersionID: res.Version.VersionID, DeleteMarker: true}, nil
	case res.Deleted != nil:
		info := infoOf(bucket, key, res.Deleted, false)
		info.VersionID = versionID
		s.emit(ctx, b, EventDelete, key, info)
		return DeleteResult{VersionID: versionID, DeleteMarker: res.Deleted.DeleteMarker}, nil
	}
	return DeleteResult{VersionID: versionID}, nil
}

func parseVersionID(id string) (uint64, bool) {
	if len(id) != 16 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return n, true
}

// ListObjects lists a bucket's current objects in key order.
func (s *Service) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	if snap, err := s.snapshotOf(ctx, in.Bucket); err != nil || snap != nil {
		if err != nil {
			return ListResult{}, err
		}
		return s.snapshotList(ctx, snap, in)
	}
	if _, err := s.meta.Bucket(ctx, in.Bucket); err != nil {
		return ListResult{}, err
	}
	if in.MaxKeys == 0 {
		return ListResult{}, nil
	}
	page, err := s.meta.List(ctx, in.Bucket, in.Prefix, in.Delimiter, in.Marker, in.MaxKeys)
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
