package server

import (
	"context"
	"path/filepath"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/lifecycle"
	"github.com/anode/anode/internal/notify"
	"github.com/anode/anode/internal/object"
)

// newNotifier opens the queues of the event notification targets the
// configuration names.
func newNotifier(cfg *config.Config, s *Server) (*notify.Notifier, error) {
	dir := cfg.Notify.QueueDir
	if dir == "" {
		dir = filepath.Join(cfg.Storage.DataDir, "notify")
	}
	return notify.New(notify.Config{
		QueueDir: dir, QueueLimit: cfg.Notify.QueueLimit,
		WebhookURL: cfg.Notify.WebhookEndpoint, WebhookAuthorization: cfg.Notify.WebhookAuthorization,
		RedisAddr: cfg.Notify.RedisAddr, RedisPassword: cfg.Notify.RedisPassword, RedisKey: cfg.Notify.RedisKey,
		Region: regionOr(cfg.S3.Region), Logger: s.log.With("component", "notify"),
	})
}

func regionOr(r string) string {
	if r == "" {
		return "us-east-1"
	}
	return r
}

// publishObjectEvent hands a committed change from the object service to
// the notifier.
func (s *Server) publishObjectEvent(e object.ObjectEvent) {
	s.notifier.Publish(notify.Event{
		Name: e.Name, Bucket: e.Bucket, Key: e.Key, Size: e.Info.Size, ETag: e.Info.ETag,
		VersionID: e.Info.VersionID, Sequence: e.Info.Sequence, Time: e.Time, Config: e.Config,
		RequestID: e.Request.RequestID, Principal: e.Request.AccessKey, SourceIP: e.Request.SourceIP,
	})
}

// publishLifecycleEvent reports a lifecycle removal
// (s3:LifecycleExpiration:*). Aborted uploads are not object events.
func (s *Server) publishLifecycleEvent(e lifecycle.Event) {
	if e.Kind == lifecycle.KindUploadAborted || e.Version == nil {
		return
	}
	name := notify.LifecycleExpirationDelete
	versionID := ""
	if e.Marker {
		name = notify.LifecycleExpirationDeleteMarker
	}
	if e.Version.VersionID != "" {
		versionID = e.Version.VersionID
	}
	s.notifier.Publish(notify.Event{
		Name: name, Bucket: e.Bucket, Key: e.Key, Size: e.Version.Size, ETag: e.Version.ETag,
		VersionID: versionID, Sequence: e.Version.Seq, Time: e.Time, Config: e.Config,
		Principal: "anode-lifecycle",
	})
}

// runNotifier delivers queued events until Shutdown.
func (s *Server) runNotifier() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.stopGC; cancel() }()
	s.notifier.Start(ctx)
	s.notifier.Wait()
}
