package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/anode/anode/internal/metrics"
)

var (
	events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_notify_events_total",
		Help: "Event notifications by target and result: queued (stored in the target's queue), delivered (acknowledged by the target), dropped (the queue was full or could not be written).",
	}, []string{"target", "result"})
	deliveryFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_notify_delivery_failures_total",
		Help: "Failed delivery attempts by target (each is retried with backoff).",
	}, []string{"target"})
	queueLength = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "anode_notify_queue_length",
		Help: "Events waiting in a target's queue on this node.",
	}, []string{"target"})
)

func init() { metrics.Registry.MustRegister(events, deliveryFailures, queueLength) }

// Target is where a queue delivers messages.
type Target interface {
	// Send delivers one message; nil means the target has it.
	Send(ctx context.Context, msg []byte) error
}

// Webhook POSTs each message as JSON to URL, with an Authorization header
// when one is configured; any 2xx answer acknowledges it.
type Webhook struct {
	URL           string
	Authorization string
	Client        *http.Client
}

// Send implements Target.
func (w *Webhook) Send(ctx context.Context, msg []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if w.Authorization != "" {
		req.Header.Set("Authorization", w.Authorization)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Redis appends each message to a Redis list (RPUSH Key).
type Redis struct {
	Client *redis.Client
	Key    string
}

// Send implements Target.
func (r *Redis) Send(ctx context.Context, msg []byte) error {
	return r.Client.RPush(ctx, r.Key, msg).Err()
}

// Config configures a Notifier: the targets the operator set up.
type Config struct {
	// QueueDir holds one queue directory per target.
	QueueDir string
	// QueueLimit bounds the events waiting per target.
	QueueLimit int
	// WebhookURL and WebhookAuthorization configure the webhook target
	// (ARN WebhookARN); empty URL: none.
	WebhookURL           string
	WebhookAuthorization string
	// RedisAddr, RedisPassword and RedisKey configure the Redis target
	// (ARN RedisARN); empty address: none.
	RedisAddr, RedisPassword, RedisKey string
	Region                             string
	Logger                             *slog.Logger
}

// The ARNs of the targets, as bucket notification configurations name
// them (QueueConfiguration/Queue or TopicConfiguration/Topic).
const (
	WebhookARN = "arn:anode:sqs::1:webhook"
	RedisARN   = "arn:anode:sqs::1:redis"
)

// Notifier matches events against buckets' configurations and queues the
// messages for their targets.
type Notifier struct {
	region string
	log    *slog.Logger
	queues map[string]*queue // by ARN
	wg     sync.WaitGroup
	redis  *redis.Client
}

// New opens the queues of the configured targets (an empty Config has
// none: every bucket configuration naming a target is then refused).
func New(cfg Config) (*Notifier, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 100000
	}
	n := &Notifier{region: cfg.Region, log: cfg.Logger, queues: map[string]*queue{}}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("notify.webhook_endpoint %q: want an http:// or https:// URL", cfg.WebhookURL)
		}
		t := &Webhook{URL: cfg.WebhookURL, Authorization: cfg.WebhookAuthorization,
			Client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}}
		q, err := openQueue(filepath.Join(cfg.QueueDir, "webhook"), "webhook", t, cfg.QueueLimit, cfg.Logger)
		if err != nil {
			return nil, err
		}
		n.queues[WebhookARN] = q
	}
	if cfg.RedisAddr != "" {
		n.redis = redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, Password: cfg.RedisPassword,
			DialTimeout: 5 * time.Second, MaxRetries: -1})
		q, err := openQueue(filepath.Join(cfg.QueueDir, "redis"), "redis", &Redis{Client: n.redis, Key: cfg.RedisKey}, cfg.QueueLimit, cfg.Logger)
		if err != nil {
			return nil, err
		}
		n.queues[RedisARN] = q
	}
	return n, nil
}

// Start starts delivering; the senders stop when ctx ends (Wait waits).
func (n *Notifier) Start(ctx context.Context) {
	for _, q := range n.queues {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); q.run(ctx) }()
	}
}

// Wait waits for the senders to stop, then closes the targets' clients.
func (n *Notifier) Wait() {
	n.wg.Wait()
	if n.redis != nil {
		n.redis.Close()
	}
}

// Targets returns the ARNs of the configured targets.
func (n *Notifier) Targets() map[string]bool {
	out := map[string]bool{}
	for arn := range n.queues {
		out[arn] = true
	}
	return out
}

// TargetARNs returns the configured targets' ARNs, sorted.
func (n *Notifier) TargetARNs() []string {
	var out []string
	for arn := range n.queues {
		out = append(out, arn)
	}
	sort.Strings(out)
	return out
}

// Publish queues e for every target the bucket's configuration sends it
// to. It returns once the messages are durably queued. A message that
// cannot be queued (a full queue, a write error) is dropped, logged and
// counted: the change it describes is already committed.
func (n *Notifier) Publish(e Event) {
	if len(e.Config) == 0 {
		return
	}
	cfg, err := Decode(e.Config)
	if err != nil {
		n.log.Error("notify: bad stored configuration", "bucket", e.Bucket, "err", err)
		return
	}
	for _, r := range cfg.Match(e.Name, e.Key) {
		q := n.queues[r.ARN]
		if q == nil {
			n.log.Warn("notify: the bucket names a target that is no longer configured", "bucket", e.Bucket, "arn", r.ARN)
			events.WithLabelValues(r.ARN, "dropped").Inc()
			continue
		}
		msg, err := message(&e, r.ID, n.region)
		if err == nil {
			err = q.put(msg)
		}
		if err != nil {
			n.log.Error("notify: event dropped", "target", q.name, "bucket", e.Bucket, "key", e.Key, "event", e.Name, "err", err)
			events.WithLabelValues(q.name, "dropped").Inc()
			continue
		}
		events.WithLabelValues(q.name, "queued").Inc()
	}
}
