package object

import (
	"context"
	"strings"
	"time"

	"github.com/anode/anode/internal/meta"
)

// Events the object service reports after a change committed, named as in
// AWS's event records. The server hands them to the notifier
// (internal/notify), which matches them against the bucket's
// notification configuration.
const (
	EventPut          = "ObjectCreated:Put"
	EventPost         = "ObjectCreated:Post"
	EventCopy         = "ObjectCreated:Copy"
	EventComplete     = "ObjectCreated:CompleteMultipartUpload"
	EventDelete       = "ObjectRemoved:Delete"
	EventDeleteMarker = "ObjectRemoved:DeleteMarkerCreated"
	EventTaggingPut   = "ObjectTagging:Put"
	EventTaggingDel   = "ObjectTagging:Delete"
)

// ObjectEvent is one committed change of an object.
type ObjectEvent struct {
	Name    string
	Bucket  string
	Key     string
	Info    ObjectInfo
	Time    time.Time
	Config  []byte // the bucket's notification configuration, as stored
	Request RequestInfo
}

// RequestInfo identifies the request behind a change, for event records.
type RequestInfo struct {
	RequestID, AccessKey, SourceIP string
}

type requestInfoKey struct{}

// WithRequestInfo attaches the request's identity to ctx.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// emit reports a committed change of key in bucket b to Config.OnEvent,
// when the bucket has a notification configuration. It returns after the
// receiver returns (the notifier has queued the event durably), so a
// client's answer follows its event.
func (s *Service) emit(ctx context.Context, b *meta.Bucket, name, key string, info ObjectInfo) {
	if s.cfg.OnEvent == nil || len(b.Notification) == 0 {
		return
	}
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	info.ETag = strings.Trim(info.ETag, `"`)
	s.cfg.OnEvent(ObjectEvent{Name: name, Bucket: b.Name, Key: key, Info: info, Time: s.now(), Config: b.Notification, Request: ri})
}

// SetBucketNotification stores a bucket's notification configuration
// (encoded by internal/notify; nil removes it).
func (s *Service) SetBucketNotification(ctx context.Context, bucket string, enc []byte) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Notification = enc
		return nil
	})
}

// BucketNotification returns a bucket's stored notification configuration
// (nil for none).
func (s *Service) BucketNotification(ctx context.Context, bucket string) ([]byte, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return b.Notification, nil
}
