package object

import (
	"context"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// BucketAccess is what authorization needs to know about a bucket: its
// owner, its bucket policy document (as stored, nil for none) and its
// public access block (nil for none).
type BucketAccess struct {
	Owner             string
	Policy            []byte
	PublicAccessBlock *meta.PublicAccessBlock
	ACL               []meta.Grant // nil: the owner's FULL_CONTROL only
}

// BucketAccess returns a bucket's access settings (linearizable).
func (s *Service) BucketAccess(ctx context.Context, bucket string) (*BucketAccess, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return &BucketAccess{Owner: b.Owner, Policy: b.Policy, PublicAccessBlock: b.PublicAccessBlock, ACL: b.ACL}, nil
}

// PutBucketPolicy stores a bucket's policy document (validated by the
// caller, which alone knows the policy language); nil removes it. check,
// when not nil, runs on the bucket's record as read, inside the
// compare-and-set loop (to refuse a public policy under a public access
// block that a concurrent change just set).
func (s *Service) PutBucketPolicy(ctx context.Context, bucket string, doc []byte, check func(*meta.PublicAccessBlock) error) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if check != nil {
			if err := check(b.PublicAccessBlock); err != nil {
				return err
			}
		}
		b.Policy = doc
		return nil
	})
}

// GetBucketPolicy returns a bucket's policy document, or NoSuchBucketPolicy.
func (s *Service) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if len(b.Policy) == 0 {
		return nil, s3err.NoSuchBucketPolicy
	}
	return b.Policy, nil
}

// PutPublicAccessBlock sets a bucket's public access block (nil removes it).
func (s *Service) PutPublicAccessBlock(ctx context.Context, bucket string, pab *meta.PublicAccessBlock) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.PublicAccessBlock = pab
		return nil
	})
}

// GetPublicAccessBlock returns a bucket's public access block, or
// NoSuchPublicAccessBlockConfiguration.
func (s *Service) GetPublicAccessBlock(ctx context.Context, bucket string) (*meta.PublicAccessBlock, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if b.PublicAccessBlock == nil {
		return nil, errNoSuchPublicAccessBlock
	}
	return b.PublicAccessBlock, nil
}

var errNoSuchPublicAccessBlock = &s3err.Error{Code: "NoSuchPublicAccessBlockConfiguration", Status: 404,
	Message: "The public access block configuration was not found"}

// PutBucketACL replaces a bucket's ACL (nil: the default). check, when not
// nil, runs on the record as read inside the compare-and-set loop (to
// refuse a public ACL under a public access block set concurrently).
func (s *Service) PutBucketACL(ctx context.Context, bucket string, acl []meta.Grant, check func(*meta.PublicAccessBlock) error) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if check != nil {
			if err := check(b.PublicAccessBlock); err != nil {
				return err
			}
		}
		b.ACL = acl
		return nil
	})
}
