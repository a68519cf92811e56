package object

import (
	"context"
	"net/http"
	"time"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// Object Lock (WORM). The rules that protect a version — no removal and
// no in-place overwrite before its retain-until date, none at all under a
// legal hold, GOVERNANCE passable only with the bypass — are checked by
// the state machine when the command applies (meta/objectlock.go), against
// the time the proposer put in the command. This file validates requests,
// fills in a bucket's default retention, and proposes the commands.

// Errors of Object Lock requests, as S3 answers them.
var (
	errNoBucketLock = s3err.InvalidRequest.WithMessage("Bucket is missing Object Lock Configuration")
	// ErrNoObjectLockConfig answers GetObjectLockConfiguration for a bucket without Object Lock.
	ErrNoObjectLockConfig = &s3err.Error{Code: "ObjectLockConfigurationNotFoundError", Status: http.StatusNotFound,
		Message: "Object Lock configuration does not exist for this bucket"}
	// ErrNoObjectRetention answers GetObjectRetention for a version without retention.
	ErrNoObjectRetention = &s3err.Error{Code: "NoSuchObjectLockConfiguration", Status: http.StatusNotFound,
		Message: "The specified object does not have a ObjectLock configuration"}
)

type governanceBypassKey struct{}

// WithGovernanceBypass marks a request that asked to bypass GOVERNANCE
// retention (x-amz-bypass-governance-retention: true) and is allowed to.
// DeleteObject and PutObjectRetention read the mark from their context.
func WithGovernanceBypass(ctx context.Context) context.Context {
	return context.WithValue(ctx, governanceBypassKey{}, true)
}

func governanceBypass(ctx context.Context) bool {
	v, _ := ctx.Value(governanceBypassKey{}).(bool)
	return v
}

// CreateObjectLockBucket creates a bucket with Object Lock enabled, and
// therefore versioning Enabled for good (CreateBucket with
// x-amz-bucket-object-lock-enabled: true).
func (s *Service) CreateObjectLockBucket(ctx context.Context, name, region, owner string) error {
	now := s.now()
	_, err := s.meta.Propose(ctx, meta.SystemGroup, &meta.Command{
		Op: meta.OpCreateBucket, Time: now.UnixNano(), Bucket: name,
		BucketRecord: &meta.Bucket{Name: name, Created: now.UnixNano(), Region: region, Owner: owner, Versioning: VersioningEnabled,
			ObjectLock: &meta.BucketLock{Enabled: true}},
	})
	return err
}

// ObjectLockConfiguration returns a bucket's Object Lock configuration.
func (s *Service) ObjectLockConfiguration(ctx context.Context, bucket string) (meta.BucketLock, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return meta.BucketLock{}, err
	}
	if b.ObjectLock == nil || !b.ObjectLock.Enabled {
		return meta.BucketLock{}, ErrNoObjectLockConfig
	}
	return *b.ObjectLock, nil
}

// SetObjectLockConfiguration enables Object Lock on a bucket and sets (or
// clears) its default retention. A bucket without Object Lock must have
// versioning Enabled to get it, as in S3; once enabled it cannot be
// disabled (the state machine refuses).
func (s *Service) SetObjectLockConfiguration(ctx context.Context, bucket string, cfg meta.BucketLock) error {
	if err := validDefaultRetention(cfg); err != nil {
		return err
	}
	cfg.Enabled = true
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if (b.ObjectLock == nil || !b.ObjectLock.Enabled) && b.Versioning != VersioningEnabled {
			return s3err.InvalidBucketState.WithMessage("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		c := cfg
		b.ObjectLock = &c
		return nil
	})
}

func validDefaultRetention(cfg meta.BucketLock) error {
	if cfg.DefaultMode == "" {
		if cfg.DefaultDays != 0 || cfg.DefaultYears != 0 {
			return s3err.MalformedXML
		}
		return nil
	}
	if !validLockMode(cfg.DefaultMode) {
		return s3err.MalformedXML
	}
	if (cfg.DefaultDays != 0) == (cfg.DefaultYears != 0) {
		return s3err.MalformedXML
	}
	if cfg.DefaultDays < 0 || cfg.DefaultYears < 0 {
		return s3err.InvalidArgument.WithMessage("Default retention period must be a positive integer value.")
	}
	if cfg.DefaultDays > 36500 || cfg.DefaultYears > 100 {
		return s3err.InvalidArgument.WithMessage("Default retention period is too large.")
	}
	return nil
}

func validLockMode(m string) bool { return m == meta.LockGovernance || m == meta.LockCompliance }

// LockRequest is the Object Lock state a write asks for in its headers
// (x-amz-object-lock-mode, -retain-until-date, -legal-hold).
type LockRequest struct {
	Mode        string
	RetainUntil time.Time
	LegalHold   bool
}

// versionLock returns the Object Lock state a new version of bucket gets
// at time now: what the request asked for, or else the bucket's default
// retention. Asking for a lock on a bucket without Object Lock is
// InvalidRequest; a retention date in the past is InvalidArgument.
func versionLock(b *meta.Bucket, req *LockRequest, now time.Time) (*meta.Lock, error) {
	enabled := b.ObjectLock != nil && b.ObjectLock.Enabled
	var l meta.Lock
	if req != nil {
		if !enabled {
			return nil, errNoBucketLock
		}
		if err := checkRetention(req.Mode, req.RetainUntil, now); err != nil {
			return nil, err
		}
		l.Mode, l.LegalHold = req.Mode, req.LegalHold
		if req.Mode != "" {
			l.RetainUntil = req.RetainUntil.UnixNano()
		}
	}
	return withDefaultRetention(b, l, now), nil
}

// withDefaultRetention gives l the bucket's default retention, from now,
// unless l has a retention of its own.
func withDefaultRetention(b *meta.Bucket, l meta.Lock, now time.Time) *meta.Lock {
	if d := b.ObjectLock; d != nil && d.Enabled && l.Mode == "" && d.DefaultMode != "" {
		until := now.AddDate(d.DefaultYears, 0, d.DefaultDays)
		l.Mode, l.RetainUntil = d.DefaultMode, until.UnixNano()
	}
	if l == (meta.Lock{}) {
		return nil
	}
	return &l
}

func checkRetention(mode string, until time.Time, now time.Time) error {
	if (mode == "") != until.IsZero() {
		return s3err.InvalidArgument.WithMessage("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if mode == "" {
		return nil
	}
	if !validLockMode(mode) {
		return s3err.InvalidArgument.WithMessage("Unknown wormMode directive.")
	}
	if !until.After(now) {
		return s3err.InvalidArgument.WithMessage("The retain until date must be in the future!")
	}
	return nil
}

// lockBucket reads a bucket and checks that it has Object Lock.
func (s *Service) lockBucket(ctx context.Context, bucket string) (*meta.Bucket, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if b.ObjectLock == nil || !b.ObjectLock.Enabled {
		return nil, errNoBucketLock
	}
	return b, nil
}

// PutObjectRetention sets the retention of a version (the current one
// when versionID is ""). An empty mode removes it, which, like any
// shortening, needs the governance bypass under GOVERNANCE and is refused
// under COMPLIANCE while the retention lasts.
func (s *Service) PutObjectRetention(ctx context.Context, bucket, key, versionID, mode string, until time.Time) (ObjectInfo, error) {
	b, err := s.lockBucket(ctx, bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	now := s.now()
	if (mode == "") != until.IsZero() || (mode != "" && !validLockMode(mode)) {
		return ObjectInfo{}, s3err.MalformedXML
	}
	if mode != "" && !until.After(now) {
		return ObjectInfo{}, s3err.InvalidArgument.WithMessage("The retain until date must be in the future!")
	}
	l := &meta.Lock{Mode: mode}
	if mode != "" {
		l.RetainUntil = until.UnixNano()
	}
	return s.proposeLock(ctx, meta.OpPutRetention, b, key, versionID, l, now)
}

// PutObjectLegalHold sets or clears the legal hold of a version.
func (s *Service) PutObjectLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (ObjectInfo, error) {
	b, err := s.lockBucket(ctx, bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	return s.proposeLock(ctx, meta.OpPutLegalHold, b, key, versionID, &meta.Lock{LegalHold: on}, s.now())
}

func (s *Service) proposeLock(ctx context.Context, op meta.Op, b *meta.Bucket, key, versionID string, l *meta.Lock, now time.Time) (ObjectInfo, error) {
	bucket := b.Name
	if err := checkKey(key); err != nil {
		return ObjectInfo{}, err
	}
	if versionID != "" && versionID != meta.NullVersion {
		if _, ok := parseVersionID(versionID); !ok {
			return ObjectInfo{}, s3err.InvalidArgument.WithMessage("Invalid version id specified")
		}
	}
	res, err := s.meta.Propose(ctx, s.meta.GroupOf(bucket, key), &meta.Command{
		Op: op, Time: now.UnixNano(), Bucket: bucket, Key: key, VersionID: versionID,
		Lock: l, BypassGovernance: governanceBypass(ctx), Incarnation: b.Incarnation,
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	return infoOf(bucket, key, res.Version, false), nil
}

// ObjectLock returns the Object Lock state of a version (nil for none),
// for GetObjectRetention and GetObjectLegalHold. The version is looked up
// first (NoSuchKey), then the bucket must have Object Lock.
func (s *Service) ObjectLock(ctx context.Context, bucket, key, versionID string) (*meta.Lock, error) {
	v, _, err := s.lookup(ctx, bucket, key, versionID)
	if err != nil {
		return nil, err
	}
	if _, err := s.lockBucket(ctx, bucket); err != nil {
		return nil, err
	}
	return v.Lock, nil
}

// bucketLockOnly is b's Object Lock configuration without its default
// retention.
func bucketLockOnly(b *meta.Bucket) *meta.BucketLock {
	if b.ObjectLock == nil {
		return nil
	}
	return &meta.BucketLock{Enabled: b.ObjectLock.Enabled}
}
