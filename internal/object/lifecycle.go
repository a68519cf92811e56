package object

import (
	"context"
	"net/http"
	"time"

	"github.com/anode/anode/internal/lifecycle"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// ErrNoLifecycle answers GetBucketLifecycleConfiguration for a bucket without rules.
var ErrNoLifecycle = &s3err.Error{Code: "NoSuchLifecycleConfiguration", Status: http.StatusNotFound,
	Message: "The lifecycle configuration does not exist"}

// BucketLifecycle returns a bucket's lifecycle rules.
func (s *Service) BucketLifecycle(ctx context.Context, bucket string) (*lifecycle.Config, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	cfg, err := lifecycle.Decode(b.Lifecycle)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, ErrNoLifecycle
	}
	return cfg, nil
}

// SetBucketLifecycle replaces a bucket's lifecycle rules (nil deletes
// them). The runner (internal/lifecycle) applies them in the background.
func (s *Service) SetBucketLifecycle(ctx context.Context, bucket string, cfg *lifecycle.Config) error {
	var enc []byte
	if cfg != nil {
		if err := cfg.Validate(); err != nil {
			return err
		}
		var err error
		if enc, err = cfg.Encode(); err != nil {
			return err
		}
	}
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Lifecycle = enc
		return nil
	})
}

// Expiration is when a lifecycle rule will expire a current version, for
// the x-amz-expiration header.
type Expiration struct {
	Date   time.Time
	RuleID string
}

// expirationOf returns the expiration of the current version v of key
// under the bucket's rules, if one applies.
func (s *Service) expirationOf(b *meta.Bucket, key string, v *meta.Version) *Expiration {
	if len(b.Lifecycle) == 0 {
		return nil
	}
	cfg, err := lifecycle.Decode(b.Lifecycle)
	if err != nil || cfg == nil {
		return nil
	}
	at, id, ok := cfg.Expiry(lifecycle.Clock{Day: s.cfg.LifecycleDay}, key, v)
	if !ok {
		return nil
	}
	return &Expiration{Date: at, RuleID: id}
}
