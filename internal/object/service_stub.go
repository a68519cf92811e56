package object

import (
	"context"

	"github.com/anode/anode/internal/s3err"
)

// Service is the object service. (Temporary stubs while the real
// implementation lands; every method answers NotImplemented.)
type Service struct{}

func (s *Service) CreateBucket(ctx context.Context, name string) error { return s3err.NotImplemented }
func (s *Service) DeleteBucket(ctx context.Context, name string) error { return s3err.NotImplemented }
func (s *Service) HeadBucket(ctx context.Context, name string) (BucketInfo, error) {
	return BucketInfo{}, s3err.NotImplemented
}
func (s *Service) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	return nil, s3err.NotImplemented
}
func (s *Service) PutObject(ctx context.Context, in PutInput) (ObjectInfo, error) {
	return ObjectInfo{}, s3err.NotImplemented
}
func (s *Service) GetObject(ctx context.Context, in GetInput) (*GetOutput, error) {
	return nil, s3err.NotImplemented
}
func (s *Service) HeadObject(ctx context.Context, in GetInput) (ObjectInfo, error) {
	return ObjectInfo{}, s3err.NotImplemented
}
func (s *Service) DeleteObject(ctx context.Context, bucket, key, versionID string) (DeleteResult, error) {
	return DeleteResult{}, s3err.NotImplemented
}
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (ObjectInfo, error) {
	return ObjectInfo{}, s3err.NotImplemented
}
func (s *Service) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	return ListResult{}, s3err.NotImplemented
}
