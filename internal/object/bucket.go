package object

import (
	"context"
	"time"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// CreateBucket creates a bucket in region ("" for us-east-1). The name and
// region must already be valid (the S3 layer checks the naming rules and
// the location constraint).
func (s *Service) CreateBucket(ctx context.Context, name, region string) error {
	now := s.now()
	_, err := s.meta.Propose(ctx, meta.SystemGroup, &meta.Command{
		Op: meta.OpCreateBucket, Time: now.UnixNano(), Bucket: name,
		BucketRecord: &meta.Bucket{Name: name, Created: now.UnixNano(), Region: region},
	})
	return err
}

// DeleteBucket deletes an empty bucket.
//
// Emptiness is checked across all placement groups, then the bucket record
// is deleted in the system group. A PUT racing with the delete can slip in
// between the two; its object is then unreachable until a bucket of the
// same name is created again. Closing that window needs a bucket
// "deleting" state honoured by every group, which comes with the cluster work.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	if _, err := s.meta.Bucket(ctx, name); err != nil {
		return err
	}
	empty, err := s.meta.BucketEmpty(ctx, name)
	if err != nil {
		return err
	}
	if !empty {
		return s3err.BucketNotEmpty
	}
	_, err = s.meta.Propose(ctx, meta.SystemGroup, &meta.Command{
		Op: meta.OpDeleteBucket, Time: s.now().UnixNano(), Bucket: name,
	})
	return err
}

// HeadBucket returns a bucket's description.
func (s *Service) HeadBucket(ctx context.Context, name string) (BucketInfo, error) {
	b, err := s.meta.Bucket(ctx, name)
	if err != nil {
		return BucketInfo{}, err
	}
	return bucketInfo(b), nil
}

// ListBuckets returns all buckets in name order.
func (s *Service) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	bs, err := s.meta.Buckets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BucketInfo, len(bs))
	for i := range bs {
		out[i] = bucketInfo(&bs[i])
	}
	return out, nil
}

func bucketInfo(b *meta.Bucket) BucketInfo {
	return BucketInfo{Name: b.Name, Created: time.Unix(0, b.Created).UTC(), Versioning: b.Versioning, Region: b.Region}
}
