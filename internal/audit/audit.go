// Package audit writes the audit trail: one JSON line per S3 or admin
// request (who, from where, what, the authorization decision and the
// statement that took it, the outcome), apart from the process log, to a
// rotated file and optionally to a webhook in batches.
//
// Writing never blocks a request on the webhook: entries wait in a bounded
// buffer, and when it is full they are dropped and counted
// (anode_audit_dropped_total). The file is written synchronously, one line
// per request as the request ends (just after its answer was sent).
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/anode/anode/internal/metrics"
)

// Entry is one audited request.
type Entry struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"` // "s3" or "admin"
	RequestID string    `json:"request_id,omitempty"`
	// Principal is "root", "anonymous", or the IAM user's name; empty when
	// the request failed authentication.
	Principal string `json:"principal"`
	AccessKey string `json:"access_key,omitempty"`
	SourceIP  string `json:"source_ip"`
	UserAgent string `json:"user_agent,omitempty"`
	Operation string `json:"operation"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	Path      string `json:"path,omitempty"` // admin requests
	// Decision is "allow", "deny" (an explicit Deny), "implicit-deny",
	// "root" (not checked), or "" when no authorization took place (the
	// request failed before, or needs none).
	Decision  string `json:"decision,omitempty"`
	Statement string `json:"statement,omitempty"`
	Status    int    `json:"status"`
	Error     string `json:"error,omitempty"`
	BytesIn   int64  `json:"bytes_in"`
	BytesOut  int64  `json:"bytes_out"`
	// DurationMS is the time to answer, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
}

// Config configures a Logger.
type Config struct {
	// File is the audit log; empty writes entries to Fallback instead.
	File string
	// MaxSizeMB and MaxBackups bound the file: it is rotated at MaxSizeMB
	// and MaxBackups old files are kept.
	MaxSizeMB, MaxBackups int
	// Fallback receives entries when File is empty (the process log).
	Fallback *slog.Logger
	// WebhookURL, when set, receives entries as JSON arrays of at most
	// BatchSize, POSTed at least every FlushInterval; at most BufferSize
	// entries wait, the rest are dropped.
	WebhookURL    string
	BatchSize     int
	BufferSize    int
	FlushInterval time.Duration
	// Client sends the webhook requests (default: 10 s timeout).
	Client *http.Client
	// Logger receives errors of the audit log itself.
	Logger *slog.Logger
}

// Logger writes audit entries. A nil *Logger discards them.
type Logger struct {
	cfg  Config
	mu   sync.Mutex
	w    io.WriteCloser
	hook chan Entry
	done chan struct{}
	wg   sync.WaitGroup
}

var (
	dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_audit_dropped_total",
		Help: "Audit entries dropped because the webhook buffer was full or the webhook failed.",
	})
	sent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_audit_webhook_sent_total",
		Help: "Audit entries delivered to the webhook.",
	})
	writeErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "anode_audit_write_errors_total",
		Help: "Audit entries that could not be written to the audit file.",
	})
)

func init() { metrics.Registry.MustRegister(dropped, sent, writeErrors) }

// New opens the audit log. The file is opened (and its directory made)
// now, so that an unwritable audit log stops the start instead of losing
// entries silently.
func New(cfg Config) (*Logger, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	l := &Logger{cfg: cfg, done: make(chan struct{})}
	if cfg.File != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.File), 0o750); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		f, err := os.OpenFile(cfg.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		f.Close()
		l.w = &lumberjack.Logger{Filename: cfg.File, MaxSize: max(cfg.MaxSizeMB, 1), MaxBackups: cfg.MaxBackups}
	}
	if cfg.WebhookURL != "" {
		if l.cfg.BatchSize <= 0 {
			l.cfg.BatchSize = 100
		}
		if l.cfg.BufferSize <= 0 {
			l.cfg.BufferSize = 10000
		}
		if l.cfg.FlushInterval <= 0 {
			l.cfg.FlushInterval = time.Second
		}
		if l.cfg.Client == nil {
			l.cfg.Client = &http.Client{Timeout: 10 * time.Second}
		}
		l.hook = make(chan Entry, l.cfg.BufferSize)
		l.wg.Add(1)
		go l.runWebhook()
	}
	return l, nil
}

// Log records one entry.
func (l *Logger) Log(e Entry) {
	if l == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if l.w != nil {
		line, err := json.Marshal(e)
		if err == nil {
			line = append(line, '\n')
			l.mu.Lock()
			_, err = l.w.Write(line)
			l.mu.Unlock()
		}
		if err != nil {
			writeErrors.Inc()
			l.cfg.Logger.Error("audit log write", "err", err)
		}
	} else if l.cfg.Fallback != nil {
		l.cfg.Fallback.LogAttrs(context.Background(), slog.LevelInfo, "audit",
			slog.String("kind", e.Kind), slog.String("request_id", e.RequestID),
			slog.String("principal", e.Principal), slog.String("access_key", e.AccessKey),
			slog.String("source_ip", e.SourceIP), slog.String("operation", e.Operation),
			slog.String("bucket", e.Bucket), slog.String("key", e.Key), slog.String("version_id", e.VersionID),
			slog.String("path", e.Path), slog.String("decision", e.Decision), slog.String("statement", e.Statement),
			slog.Int("status", e.Status), slog.String("error", e.Error),
			slog.Int64("bytes_in", e.BytesIn), slog.Int64("bytes_out", e.BytesOut), slog.Float64("duration_ms", e.DurationMS))
	}
	if l.hook != nil {
		select {
		case l.hook <- e:
		default:
			dropped.Inc()
		}
	}
}

// runWebhook sends the buffered entries in batches.
func (l *Logger) runWebhook() {
	defer l.wg.Done()
	t := time.NewTicker(l.cfg.FlushInterval)
	defer t.Stop()
	batch := make([]Entry, 0, l.cfg.BatchSize)
	flush := func() {
		if len(batch) > 0 {
			l.post(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case e := <-l.hook:
			batch = append(batch, e)
			if len(batch) >= l.cfg.BatchSize {
				flush()
			}
		case <-t.C:
			flush()
		case <-l.done:
			for {
				select {
				case e := <-l.hook:
					batch = append(batch, e)
					if len(batch) >= l.cfg.BatchSize {
						flush()
					}
				default:
					flush()
					return
				}
			}
		}
	}
}

// post sends one batch; a batch that fails is dropped (and counted)
// rather than retried forever, so a dead webhook cannot hold memory.
func (l *Logger) post(batch []Entry) {
	body, err := json.Marshal(batch)
	if err != nil {
		dropped.Add(float64(len(batch)))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		dropped.Add(float64(len(batch)))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.cfg.Client.Do(req)
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			err = fmt.Errorf("webhook answered %s", resp.Status)
		}
	}
	if err != nil {
		dropped.Add(float64(len(batch)))
		l.cfg.Logger.Warn("audit webhook", "err", err, "dropped", len(batch))
		return
	}
	sent.Add(float64(len(batch)))
}

// Close flushes the webhook buffer (one last batch) and closes the file.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	if l.hook != nil {
		close(l.done)
		l.wg.Wait()
	}
	if l.w != nil {
		return l.w.Close()
	}
	return nil
}
