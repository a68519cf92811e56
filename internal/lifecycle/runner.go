package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/s3err"
)

var (
	actionsDone = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_lifecycle_actions_total",
		Help: "Lifecycle actions applied by this node, by kind: expired (a current version expired), version_removed (a noncurrent version or an expired delete marker removed), upload_aborted.",
	}, []string{"kind"})
	actionsLocked = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_lifecycle_locked_total",
		Help: "Lifecycle removals refused because Object Lock protects the version (retried on later runs).",
	})
	passErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_lifecycle_errors_total",
		Help: "Lifecycle runs of a group and bucket cut short by an error (retried on the next run).",
	})
	lastRun = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "anode_lifecycle_last_run_timestamp_seconds",
		Help: "When this node last finished a lifecycle run over a bucket's placement groups it leads.",
	}, []string{"bucket"})
)

func init() { metrics.Registry.MustRegister(actionsDone, actionsLocked, passErrors, lastRun) }

// Action kinds.
const (
	KindExpired        = "expired"
	KindVersionRemoved = "version_removed"
	KindUploadAborted  = "upload_aborted"
)

// Event describes one lifecycle action that was applied, for event
// notifications (s3:LifecycleExpiration:*).
type Event struct {
	Kind    string
	Bucket  string
	Key     string
	Version *meta.Version // the version removed, or the delete marker created
	Marker  bool          // a delete marker was created (versioned expiration)
	Time    time.Time
	// Config is the bucket's notification configuration, as stored.
	Config []byte
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Meta *meta.Store
	// Leading returns the placement groups this node currently leads.
	Leading func(ctx context.Context) ([]uint64, error)
	Clock   Clock
	// Interval is the time between two runs.
	Interval time.Duration
	// Rate bounds the actions this node proposes per second.
	Rate   int
	Now    func() time.Time
	Logger *slog.Logger
	// OnAction, if set, is called after each applied action.
	OnAction func(Event)
}

// BucketStatus is what lifecycle did to one bucket, as seen by this node
// (the groups it led when it ran).
type BucketStatus struct {
	Bucket          string    `json:"bucket"`
	LastRun         time.Time `json:"last_run"`
	Expired         int64     `json:"objects_expired"`
	VersionsRemoved int64     `json:"versions_removed"`
	UploadsAborted  int64     `json:"uploads_aborted"`
	Locked          int64     `json:"locked_skipped"`
}

// Runner applies lifecycle rules in the background. Every node runs one;
// each acts only on the placement groups it leads, so each group's work is
// done by one node at a time. Every action is an idempotent command
// conditioned on the version the rule saw (meta.OpExpire, or the abort of
// a named upload), so a run cut short by a leader change or a restart is
// simply done again by the next leader: nothing is skipped (each run
// rescans the group's state) and nothing is applied twice.
type Runner struct {
	cfg  RunnerConfig
	log  *slog.Logger
	tick *time.Ticker // paces actions

	mu     sync.Mutex
	status map[string]*BucketStatus
}

// NewRunner returns a Runner; call Run to start it.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Hour
	}
	return &Runner{cfg: cfg, log: cfg.Logger, tick: time.NewTicker(time.Second / time.Duration(cfg.Rate)),
		status: map[string]*BucketStatus{}}
}

// Run runs lifecycle every Interval until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	defer r.tick.Stop()
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("lifecycle run", "err", err)
			}
		}
	}
}

// Status returns what lifecycle did per bucket, sorted by bucket.
func (r *Runner) Status() []BucketStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]BucketStatus, 0, len(r.status))
	for _, s := range r.status {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket < out[j].Bucket })
	return out
}

func (r *Runner) bucketStatus(name string) *BucketStatus {
	s := r.status[name]
	if s == nil {
		s = &BucketStatus{Bucket: name}
		r.status[name] = s
	}
	return s
}

// RunOnce runs every bucket's rules once over the groups this node leads.
func (r *Runner) RunOnce(ctx context.Context) error {
	buckets, err := r.cfg.Meta.Buckets(ctx)
	if err != nil {
		return err
	}
	type ruled struct {
		b   meta.Bucket
		cfg *Config
	}
	var todo []ruled
	for _, b := range buckets {
		cfg, err := Decode(b.Lifecycle)
		if err != nil {
			r.log.Warn("lifecycle: bad stored configuration", "bucket", b.Name, "err", err)
			continue
		}
		if cfg != nil {
			todo = append(todo, ruled{b, cfg})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	groups, err := r.cfg.Leading(ctx)
	if err != nil {
		return err
	}
	var firstErr error
	for _, t := range todo {
		ok := true
		for _, gid := range groups {
			if err := r.runGroup(ctx, gid, &t.b, t.cfg); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				passErrors.Inc()
				r.log.Warn("lifecycle: group run cut short", "bucket", t.b.Name, "group", gid, "err", err)
				ok = false
				if firstErr == nil {
					firstErr = err
				}
			}
		}
		if ok {
			now := r.cfg.Now()
			r.mu.Lock()
			r.bucketStatus(t.b.Name).LastRun = now
			r.mu.Unlock()
			lastRun.WithLabelValues(t.b.Name).Set(float64(now.Unix()))
		}
	}
	return firstErr
}

// action is one lifecycle decision, to be proposed.
type action struct {
	kind      string
	key       string
	versionID string // "" for the current version
	seq       uint64
	uploadID  string
}

// batch bounds the actions collected from one scan before they are
// carried out, so that a run holds neither a long snapshot nor a long list.
const batch = 256

var errBatchFull = errors.New("batch full")

func (r *Runner) runGroup(ctx context.Context, gid uint64, b *meta.Bucket, cfg *Config) error {
	after := ""
	for {
		now := r.cfg.Now()
		var acts []action
		last := ""
		err := r.cfg.Meta.ScanGroup(ctx, gid, b.Name, after, func(kv meta.KeyVersions) error {
			acts = append(acts, decide(cfg, r.cfg.Clock, kv, now)...)
			last = kv.Key
			if len(acts) >= batch {
				return errBatchFull
			}
			return nil
		})
		full := errors.Is(err, errBatchFull)
		if err != nil && !full {
			return err
		}
		if err := r.apply(ctx, gid, b, acts); err != nil {
			return err
		}
		if !full {
			break
		}
		after = last
	}
	uploads, err := r.cfg.Meta.GroupUploads(ctx, gid, b.Name)
	if err != nil {
		return err
	}
	now := r.cfg.Now()
	var acts []action
	for i := range uploads {
		if _, due := cfg.UploadDue(r.cfg.Clock, &uploads[i], now); due {
			acts = append(acts, action{kind: KindUploadAborted, key: uploads[i].Key, uploadID: uploads[i].ID})
		}
	}
	return r.apply(ctx, gid, b, acts)
}

// decide returns the actions the rules take on one key at now.
func decide(cfg *Config, clk Clock, kv meta.KeyVersions, now time.Time) []action {
	var out []action
	cur := kv.Current
	if cur.DeleteMarker {
		if _, ok := cfg.MarkerExpired(kv.Key); ok && len(kv.Noncurrent) == 0 {
			out = append(out, action{kind: KindVersionRemoved, key: kv.Key, versionID: meta.VersionIDOf(cur), seq: cur.Seq})
		}
	} else if at, _, ok := cfg.Expiry(clk, kv.Key, cur); ok && !now.Before(at) {
		out = append(out, action{kind: KindExpired, key: kv.Key, seq: cur.Seq})
	}
	since := cur.Modified
	for i, v := range kv.Noncurrent {
		if _, ok := cfg.NoncurrentDue(clk, kv.Key, v, since, i, now); ok {
			out = append(out, action{kind: KindVersionRemoved, key: kv.Key, versionID: meta.VersionIDOf(v), seq: v.Seq})
		}
		since = v.Modified
	}
	return out
}

// apply proposes the actions at the configured rate.
func (r *Runner) apply(ctx context.Context, gid uint64, b *meta.Bucket, acts []action) error {
	for _, a := range acts {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.tick.C:
		}
		now := r.cfg.Now()
		cmd := &meta.Command{Op: meta.OpExpire, Time: now.UnixNano(), Bucket: b.Name, Key: a.key,
			Versioning: b.Versioning, VersionID: a.versionID, IfSeq: a.seq, Incarnation: b.Incarnation}
		if a.kind == KindUploadAborted {
			cmd = &meta.Command{Op: meta.OpAbortUpload, Time: now.UnixNano(), Bucket: b.Name, Key: a.key, UploadID: a.uploadID,
				Incarnation: b.Incarnation}
		}
		res, err := r.cfg.Meta.Propose(ctx, gid, cmd)
		switch {
		case err == nil:
		case errors.Is(err, meta.ErrExpireStale), a.kind == KindUploadAborted && isNoSuchUpload(err):
			continue // already done, or the version changed: nothing to do
		case errors.Is(err, meta.ErrObjectLocked):
			actionsLocked.Inc()
			r.mu.Lock()
			r.bucketStatus(b.Name).Locked++
			r.mu.Unlock()
			continue
		default:
			return err
		}
		actionsDone.WithLabelValues(a.kind).Inc()
		r.mu.Lock()
		s := r.bucketStatus(b.Name)
		switch a.kind {
		case KindExpired:
			s.Expired++
		case KindVersionRemoved:
			s.VersionsRemoved++
		case KindUploadAborted:
			s.UploadsAborted++
		}
		r.mu.Unlock()
		if r.cfg.OnAction != nil {
			ev := Event{Kind: a.kind, Bucket: b.Name, Key: a.key, Time: now, Config: b.Notification}
			if res.Version != nil {
				ev.Version, ev.Marker = res.Version, res.Version.DeleteMarker
			} else {
				ev.Version = res.Deleted
			}
			r.cfg.OnAction(ev)
		}
	}
	return nil
}

func isNoSuchUpload(err error) bool { return errors.Is(err, s3err.NoSuchUpload) }
