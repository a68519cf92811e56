package object

import (
	"context"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// GetObjectTagging returns the tags of an object version (the current one
// when versionID is empty) and the version's info.
func (s *Service) GetObjectTagging(ctx context.Context, bucket, key, versionID string) (map[string]string, ObjectInfo, error) {
	v, info, err := s.lookup(ctx, bucket, key, versionID)
	if err != nil {
		return nil, info, err
	}
	return v.Tags, info, nil
}

// PutObjectTagging replaces the tags of an object version in place (nil
// or empty removes them). The version keeps its ID, ETag and time.
func (s *Service) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags map[string]string) (ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return ObjectInfo{}, err
	}
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	if versionID != "" && versionID != meta.NullVersion {
		if _, ok := parseVersionID(versionID); !ok {
			return ObjectInfo{}, s3err.InvalidArgument.WithMessage("Invalid version id specified")
		}
	}
	ctx, cancel := background(ctx)
	defer cancel()
	res, err := s.meta.Propose(ctx, s.meta.GroupOf(bucket, key), &meta.Command{
		Op: meta.OpPutTags, Time: s.now().UnixNano(), Bucket: bucket, Key: key, VersionID: versionID, Tags: tags,
		Incarnation: b.Incarnation,
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := infoOf(bucket, key, res.Version, versionID == "")
	name := EventTaggingPut
	if len(tags) == 0 {
		name = EventTaggingDel
	}
	s.emit(ctx, b, name, key, info)
	return info, nil
}

// GetBucketTagging returns a bucket's tags, or NoSuchTagSet.
func (s *Service) GetBucketTagging(ctx context.Context, bucket string) (map[string]string, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if len(b.Tags) == 0 {
		return nil, s3err.NoSuchTagSet
	}
	return b.Tags, nil
}

// PutBucketTagging replaces a bucket's tags (nil removes them).
func (s *Service) PutBucketTagging(ctx context.Context, bucket string, tags map[string]string) error {
	if len(tags) == 0 {
		tags = nil
	}
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Tags = tags
		return nil
	})
}

// GetBucketCORS returns a bucket's CORS configuration document as it was
// stored, or NoSuchCORSConfiguration.
func (s *Service) GetBucketCORS(ctx context.Context, bucket string) ([]byte, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if len(b.CORS) == 0 {
		return nil, s3err.NoSuchCORSConfiguration
	}
	return b.CORS, nil
}

// PutBucketCORS stores a bucket's CORS configuration document (already
// validated by the S3 layer, which alone knows its XML); nil removes it.
func (s *Service) PutBucketCORS(ctx context.Context, bucket string, doc []byte) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.CORS = doc
		return nil
	})
}

// ObjectAttributes is what GetObjectAttributes reports about a version.
type ObjectAttributes struct {
	Info  ObjectInfo
	Parts []PartInfo // the parts of a multipart object, in order
}

// GetObjectAttributes returns an object version's info and its parts.
func (s *Service) GetObjectAttributes(ctx context.Context, in GetInput) (ObjectAttributes, error) {
	v, info, err := s.lookup(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return ObjectAttributes{Info: info}, err
	}
	if err := CheckConditions(info, in.Conditions, false); err != nil {
		return ObjectAttributes{Info: info}, err
	}
	out := ObjectAttributes{Info: info}
	for _, p := range v.Parts {
		out.Parts = append(out.Parts, PartInfo{PartNumber: p.Number, Size: p.Size, ETag: `"` + p.ETag + `"`, Checksums: p.Checksums})
	}
	return out, nil
}
