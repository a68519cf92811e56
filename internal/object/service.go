// Package object is the object service: the one place that knows how an
// object is made of chunks and metadata. It streams bodies into
// content-addressed chunks, proposes metadata commands to the placement
// group that owns a key, and reads objects back. It knows nothing of HTTP or
// S3 XML; it returns *s3err.Error values the S3 layer renders.
package object

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/kms"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// ChunkStore is where object data goes: the node's chunk store, or in a
// cluster the layer that replicates chunks to their nodes.
type ChunkStore interface {
	// Put stores a chunk (or refreshes the time of one already there).
	Put(h chunk.Hash, data []byte) (created bool, err error)
	// Touch refreshes a chunk's time, protecting it from garbage
	// collection, or fails if the chunk is missing.
	Touch(h chunk.Hash) error
	// GetInto reads and verifies a chunk, reusing buf.
	GetInto(h chunk.Hash, buf []byte) ([]byte, error)
	// ReadAt reads part of a chunk without verifying it (range reads of
	// large chunks, such as Parquet column chunks; the scrubber verifies).
	ReadAt(h chunk.Hash, p []byte, off int64) (int, error)
}

// spaceChecker is implemented by chunk stores that can say the node must
// not take new data (a disk nearly full, a failed flush): see
// chunk.Store.CheckSpace.
type spaceChecker interface {
	CheckSpace() error
}

// checkSpace refuses new data on a node that cannot store it durably,
// with 507 InsufficientStorage; reads and deletes never call it.
func (s *Service) checkSpace() error {
	sc, ok := s.cfg.Chunks.(spaceChecker)
	if !ok {
		return nil
	}
	if err := sc.CheckSpace(); err != nil {
		return storageError(err)
	}
	return nil
}

// storageError maps the chunk store's refusals to the S3 error clients
// see: InsufficientStorage (507) for a full disk or a failed flush.
func storageError(err error) error {
	if errors.Is(err, chunk.ErrNoSpace) || errors.Is(err, chunk.ErrFailed) {
		return fmt.Errorf("%w: %w", s3err.InsufficientStorage, err)
	}
	return err
}

// ParquetConfig is the [parquet] configuration the object service uses.
type ParquetConfig struct {
	EnableCache       bool
	CacheSize         int64
	PredicatePushdown bool
	ColumnPruning     bool
}

// Config configures a Service.
type Config struct {
	Meta   *meta.Store
	Chunks ChunkStore
	// ChunkSize is the size objects are cut into.
	ChunkSize int
	// InlineThreshold: objects of at most this many bytes are stored in
	// their metadata record instead of in chunks.
	InlineThreshold int64
	// GCGrace is the garbage collector's grace period (see gc.go): a write
	// must commit within half of it after touching its first chunk.
	GCGrace time.Duration
	// MaxObjectSize is the largest single PUT accepted.
	MaxObjectSize int64
	// MinPartSize is the smallest size of a multipart part other than the
	// last (s3.min_part_size); zero means DefaultMinPartSize.
	MinPartSize int64
	Logger      *slog.Logger
	// Now is the clock for LastModified times; nil means time.Now.
	Now     func() time.Time
	Parquet ParquetConfig
	// LifecycleDay is the length of a lifecycle rule's day (24h unless
	// lifecycle.day_seconds shortens it for tests).
	LifecycleDay time.Duration
	// OnEvent, if set, receives every committed change of an object in a
	// bucket with a notification configuration (events.go).
	OnEvent func(ObjectEvent)
	// KMS wraps the data keys of encrypted objects; without it (or
	// without its master key) encryption requests are refused.
	KMS *kms.Service
}

// Service is the object service. It is safe for concurrent use.
type Service struct {
	cfg  Config
	meta *meta.Store
	log  *slog.Logger
	now  func() time.Time
	bufs sync.Pool // chunk-sized buffers
	// cipherBufs hold encrypted chunks (sse.go).
	cipherBufs sync.Pool
	owner      string
	// pqTails caches Parquet object tails (see parquet.go).
	pqTails tailCache
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, meta: cfg.Meta, log: cfg.Logger, now: cfg.Now}
	s.bufs.New = func() any {
		b := make([]byte, cfg.ChunkSize)
		return &b
	}
	return s
}

func (s *Service) getBuf() *[]byte { return s.bufs.Get().(*[]byte) }

func (s *Service) getCipherBuf() *[]byte {
	if b, ok := s.cipherBufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, cipherLen(int64(s.cfg.ChunkSize)))
	return &b
}
func (s *Service) putCipherBuf(b *[]byte) { s.cipherBufs.Put(b) }
func (s *Service) putBuf(b *[]byte)       { s.bufs.Put(b) }

// commitTimeout bounds a commit whose request has no earlier deadline. It
// is also the bound on a write whose client got no answer: the deadline
// travels in the command, the raft host drops the proposal if it reaches
// the leader later, and apply refuses it once its group has applied a
// command stamped more than meta.ClockMargin after it (meta/fence.go). A
// commit takes milliseconds, an election about a second: ten seconds is a
// generous budget that still keeps late writes near their client's time.
const commitTimeout = 10 * time.Second

// background returns a context for work that must finish once started
// (committing metadata after the body was stored), bounded by the
// request's own deadline (or commitTimeout) but not cancelled when the
// client goes away.
func background(ctx context.Context) (context.Context, context.CancelFunc) {
	c := context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok && time.Until(d) < commitTimeout {
		return context.WithDeadline(c, d)
	}
	return context.WithTimeout(c, commitTimeout)
}
