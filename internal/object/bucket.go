package object

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// CreateBucket creates a bucket in region ("" for us-east-1), owned by
// owner (an IAM user's name, or "" for the root user). The name and region
// must already be valid (the S3 layer checks the naming rules and the
// location constraint). A bucket of that name owned by someone else is
// BucketAlreadyExists; by the same owner, BucketAlreadyOwnedByYou.
func (s *Service) CreateBucket(ctx context.Context, name, region, owner string) error {
	if strings.HasSuffix(name, meta.SnapshotSuffix) {
		// Reserved for snapshots' virtual buckets (snapshot.go).
		return s3err.InvalidBucketName.WithMessage("Bucket names ending in --snap are reserved for snapshots.")
	}
	now := s.now()
	_, err := s.meta.Propose(ctx, meta.SystemGroup, &meta.Command{
		Op: meta.OpCreateBucket, Time: now.UnixNano(), Bucket: name,
		BucketRecord: &meta.Bucket{Name: name, Created: now.UnixNano(), Region: region, Owner: owner},
	})
	return err
}

// DeleteBucket deletes an empty bucket.
//
// A PUT racing the delete must not land in the dead bucket (where it would
// reappear when the name is created again), so emptiness is not merely
// checked: the delete takes the bucket's delete lease in the system group,
// closes the bucket in every placement group (each refuses if it holds
// anything of the bucket, and once closed refuses every command of this
// incarnation), and only then deletes the record, with the lease. A
// failure to close reopens the groups and releases the lease when that is
// safe (else it runs out). The rules are enforced in apply; meta/fence.go
// explains them.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	b, err := s.meta.Bucket(ctx, name)
	if err != nil {
		return err
	}
	empty, err := s.meta.BucketEmpty(ctx, name)
	if err != nil {
		return err
	}
	if !empty {
		return s3err.BucketNotEmpty
	}
	ctx, cancel := background(ctx)
	defer cancel()
	var id [16]byte
	rand.Read(id[:])
	closer := hex.EncodeToString(id[:])
	cmd := func(op meta.Op) *meta.Command {
		return &meta.Command{Op: op, Time: s.now().UnixNano(), Bucket: name, Incarnation: b.Incarnation, Closer: closer}
	}
	if _, err := s.meta.Propose(ctx, meta.SystemGroup, cmd(meta.OpLockBucket)); err != nil {
		return err
	}
	errc := make(chan error, s.meta.Groups())
	for g := 1; g <= s.meta.Groups(); g++ {
		go func(gid uint64) {
			_, err := s.meta.Propose(ctx, gid, cmd(meta.OpCloseBucket))
			errc <- err
		}(uint64(g))
	}
	var closeErr error
	definite := true // every close failed or succeeded for sure
	for g := 0; g < s.meta.Groups(); g++ {
		err := <-errc
		if err != nil && (closeErr == nil || errors.Is(err, s3err.BucketNotEmpty)) {
			closeErr = err
		}
		definite = definite && (err == nil || errors.Is(err, s3err.BucketNotEmpty))
	}
	if closeErr != nil {
		if s.reopenGroups(ctx, name, b.Incarnation) && definite {
			s.meta.Propose(ctx, meta.SystemGroup, cmd(meta.OpUnlockBucket))
		}
		return closeErr
	}
	// Not undone on failure: the record may be gone already (an unknown
	// outcome), and reopening the groups of a deleted bucket is what must
	// never happen. A retry finishes the job once the lease expires.
	_, err = s.meta.Propose(ctx, meta.SystemGroup, cmd(meta.OpDeleteBucket))
	return err
}

// reopenGroups reopens the placement groups a failed DeleteBucket closed,
// and reports whether every reopen surely applied. The reopens carry the
// DeleteBucket's deadline (the end of its lease): none can apply after
// another DeleteBucket, which may take the lease only well after that end
// or once it is released, has closed the groups again (meta/fence.go).
// A group left closed answers OperationAborted until the next DeleteBucket
// finishes or undoes.
func (s *Service) reopenGroups(ctx context.Context, name string, incarnation uint64) bool {
	errc := make(chan error, s.meta.Groups())
	for g := 1; g <= s.meta.Groups(); g++ {
		go func(gid uint64) {
			_, err := s.meta.Propose(ctx, gid, &meta.Command{Op: meta.OpOpenBucket, Time: s.now().UnixNano(), Bucket: name, Incarnation: incarnation})
			errc <- err
		}(uint64(g))
	}
	ok := true
	for g := 0; g < s.meta.Groups(); g++ {
		ok = <-errc == nil && ok
	}
	return ok
}

// HeadBucket returns a bucket's description.
func (s *Service) HeadBucket(ctx context.Context, name string) (BucketInfo, error) {
	if snap, err := s.snapshotOf(ctx, name); err != nil || snap != nil {
		if err != nil {
			return BucketInfo{}, err
		}
		return BucketInfo{Name: name, Created: time.Unix(0, snap.Created).UTC()}, nil
	}
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
	return BucketInfo{Name: b.Name, Created: time.Unix(0, b.Created).UTC(), Versioning: b.Versioning, Region: b.Region, Owner: b.Owner}
}
