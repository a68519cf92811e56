// Package kms is Anode's built-in key management service: the master key,
// named KMS keys (created, listed, rotated, disabled; stored in the system
// raft group with their material wrapped by the master key) and the
// wrapping of per-object data keys. docs/encryption.md describes the key
// hierarchy and its threat model.
package kms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/s3err"
)

// KeySize is the size of every key in the hierarchy: AES-256.
const KeySize = 32

// Built-in keys, created on first use. Their names contain '/', which
// the names of created keys may not, so they never collide; they can be
// rotated and disabled by name like any other key.
const (
	// SSES3Key wraps the data keys of SSE-S3 (AES256) objects.
	SSES3Key = "anode/sse-s3"
	// DefaultKMSKey is the key of SSE-KMS requests that name none (AWS's
	// aws/s3 managed key).
	DefaultKMSKey = "aws/s3"
)

var (
	ops = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_kms_operations_total", Help: "Built-in KMS operations by kind (generate, decrypt, rewrap, create, rotate, enable, disable).",
	}, []string{"op"})
	failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anode_kms_failures_total", Help: "Built-in KMS operations that failed, by kind.",
	}, []string{"op"})
)

func init() { metrics.Registry.MustRegister(ops, failures) }

// Store is where key records live: the system group (meta.Store).
type Store interface {
	KMSKey(ctx context.Context, id string) (*meta.KMSKey, error)
	KMSKeys(ctx context.Context) ([]meta.KMSKey, error)
	PutKMSKey(ctx context.Context, rec *meta.KMSKey) error
}

// Service is the built-in KMS of one node. It is safe for concurrent use.
type Service struct {
	store Store
	wrap  cipher.AEAD // wraps key material; nil without a master key
	check []byte      // HMAC key for SSE-C key checks
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]*openKey // unwrapped material, by key ID
}

// openKey is a key record's material, unwrapped.
type openKey struct {
	rev      uint64
	versions map[int]cipher.AEAD
	dedup    []byte
}

// New returns the KMS over store with the given master key (nil: every
// encryption request fails with s3err.NoMasterKey).
func New(store Store, master []byte) (*Service, error) {
	s := &Service{store: store, now: time.Now, cache: map[string]*openKey{}}
	if master == nil {
		return s, nil
	}
	if len(master) != KeySize {
		return nil, fmt.Errorf("kms: master key is %d bytes, want %d", len(master), KeySize)
	}
	wk, err := derive(master, "anode kms wrap v1")
	if err != nil {
		return nil, err
	}
	if s.wrap, err = newGCM(wk); err != nil {
		return nil, err
	}
	if s.check, err = derive(master, "anode sse-c key check v1"); err != nil {
		return nil, err
	}
	return s, nil
}

// Enabled reports whether the KMS has a master key.
func (s *Service) Enabled() bool { return s != nil && s.wrap != nil }

func derive(secret []byte, info string) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, info, KeySize)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Seal encrypts plaintext with AES-256-GCM under key and a random nonce,
// binding aad: nonce ‖ ciphertext ‖ tag.
func Seal(key, plaintext, aad []byte) ([]byte, error) {
	g, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return sealWith(g, plaintext, aad), nil
}

// Open reverses Seal.
func Open(key, sealed, aad []byte) ([]byte, error) {
	g, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return openWith(g, sealed, aad)
}

func sealWith(g cipher.AEAD, plaintext, aad []byte) []byte {
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plaintext)+g.Overhead())
	rand.Read(nonce)
	return g.Seal(nonce, nonce, plaintext, aad)
}

func openWith(g cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < g.NonceSize()+g.Overhead() {
		return nil, errors.New("kms: sealed value too short")
	}
	n := g.NonceSize()
	return g.Open(nil, sealed[:n], sealed[n:], aad)
}

// RandomKey returns a new random key.
func RandomKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// CustomerKeyHMAC identifies an SSE-C key without revealing it: an HMAC
// under a secret derived from the master key, so that even a stolen
// metadata store does not allow testing guesses offline.
func (s *Service) CustomerKeyHMAC(key []byte) ([]byte, error) {
	if !s.Enabled() {
		return nil, s3err.NoMasterKey
	}
	m := hmac.New(sha256.New, s.check)
	m.Write(key)
	return m.Sum(nil), nil
}

var keyName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// NormalizeKeyID turns what a client names a key by (its ID, an ARN
// arn:aws:kms:region:account:key/ID, or alias/aws/s3) into its ID.
func NormalizeKeyID(s string) string {
	if strings.HasPrefix(s, "arn:") {
		if i := strings.Index(s, ":key/"); i >= 0 {
			return s[i+len(":key/"):]
		}
		if i := strings.Index(s, ":alias/"); i >= 0 {
			s = "alias/" + s[i+len(":alias/"):]
		}
	}
	if s == "alias/aws/s3" {
		return DefaultKMSKey
	}
	return s
}

func builtin(id string) bool { return id == SSES3Key || id == DefaultKMSKey }

// DataKey is an object's data key: its plaintext (never stored), its
// sealed form (stored with the object) and the secret its chunk keys are
// derived from.
type DataKey struct {
	KeyID      string
	KeyVersion int
	Plain      []byte
	Sealed     []byte
	Dedup      []byte
}

func dataKeyAAD(id string, version int, context []byte) []byte {
	return fmt.Appendf(nil, "anode data key v1\x00%s\x00%d\x00%s", id, version, context)
}

// NewDataKey makes a data key for a new object under KMS key id (a
// built-in key is created on first use), bound to the encryption context.
func (s *Service) NewDataKey(ctx context.Context, id string, context []byte) (*DataKey, error) {
	ops.WithLabelValues("generate").Inc()
	dk, err := s.newDataKey(ctx, id, context)
	if err != nil {
		failures.WithLabelValues("generate").Inc()
	}
	return dk, err
}

func (s *Service) newDataKey(ctx context.Context, id string, context []byte) (*DataKey, error) {
	rec, k, err := s.usable(ctx, id, true)
	if err != nil {
		return nil, err
	}
	v := rec.Versions[len(rec.Versions)-1].Version
	plain := RandomKey()
	return &DataKey{
		KeyID: id, KeyVersion: v, Plain: plain, Dedup: k.dedup,
		Sealed: sealWith(k.versions[v], plain, dataKeyAAD(id, v, context)),
	}, nil
}

// OpenDataKey unwraps an object's data key.
func (s *Service) OpenDataKey(ctx context.Context, id string, version int, sealed, context []byte) (*DataKey, error) {
	ops.WithLabelValues("decrypt").Inc()
	dk, err := s.openDataKey(ctx, id, version, sealed, context)
	if err != nil {
		failures.WithLabelValues("decrypt").Inc()
	}
	return dk, err
}

func (s *Service) openDataKey(ctx context.Context, id string, version int, sealed, context []byte) (*DataKey, error) {
	_, k, err := s.usable(ctx, id, false)
	if err != nil {
		return nil, err
	}
	g := k.versions[version]
	if g == nil {
		return nil, fmt.Errorf("kms: key %s has no version %d", id, version)
	}
	plain, err := openWith(g, sealed, dataKeyAAD(id, version, context))
	if err != nil {
		return nil, fmt.Errorf("kms: data key under %s/%d does not open: %w", id, version, err)
	}
	return &DataKey{KeyID: id, KeyVersion: version, Plain: plain, Sealed: sealed, Dedup: k.dedup}, nil
}

// usable returns an enabled key's record and material (create: make a
// missing built-in key).
func (s *Service) usable(ctx context.Context, id string, create bool) (*meta.KMSKey, *openKey, error) {
	if !s.Enabled() {
		return nil, nil, s3err.NoMasterKey
	}
	rec, err := s.store.KMSKey(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if rec == nil && builtin(id) && create {
		if _, err := s.create(ctx, id, "built-in"); err != nil && !errors.Is(err, meta.ErrKMSKeyChanged) {
			return nil, nil, err
		}
		if rec, err = s.store.KMSKey(ctx, id); err != nil {
			return nil, nil, err
		}
	}
	if rec == nil {
		return nil, nil, s3err.KMSNotFound.WithMessage("The KMS key %q does not exist.", id)
	}
	if !rec.Enabled {
		return nil, nil, s3err.KMSDisabled.WithMessage("The KMS key %q is disabled.", id)
	}
	k, err := s.open(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, k, nil
}

func versionAAD(id string, v int) []byte {
	return fmt.Appendf(nil, "anode kms key v1\x00%s\x00%d", id, v)
}
func dedupAAD(id string) []byte { return fmt.Appendf(nil, "anode kms dedup v1\x00%s", id) }

// open unwraps a record's material, cached by revision.
func (s *Service) open(rec *meta.KMSKey) (*openKey, error) {
	s.mu.Lock()
	k := s.cache[rec.ID]
	s.mu.Unlock()
	if k != nil && k.rev == rec.Rev {
		return k, nil
	}
	k = &openKey{rev: rec.Rev, versions: map[int]cipher.AEAD{}}
	var err error
	if k.dedup, err = openWith(s.wrap, rec.Dedup, dedupAAD(rec.ID)); err != nil {
		return nil, fmt.Errorf("kms: key %s does not open with this master key: %w", rec.ID, err)
	}
	for _, v := range rec.Versions {
		plain, err := openWith(s.wrap, v.Wrapped, versionAAD(rec.ID, v.Version))
		if err != nil {
			return nil, fmt.Errorf("kms: key %s version %d does not open with this master key: %w", rec.ID, v.Version, err)
		}
		if k.versions[v.Version], err = newGCM(plain); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.cache[rec.ID] = k
	s.mu.Unlock()
	return k, nil
}

// KeyInfo describes a KMS key to an operator (no material).
type KeyInfo struct {
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	Enabled     bool      `json:"enabled"`
	Versions    int       `json:"versions"`
	Created     time.Time `json:"created"`
	Rotated     time.Time `json:"rotated"`
}

func infoOf(rec *meta.KMSKey) KeyInfo {
	return KeyInfo{
		ID: rec.ID, Description: rec.Description, Enabled: rec.Enabled, Versions: len(rec.Versions),
		Created: time.Unix(0, rec.Created).UTC(), Rotated: time.Unix(0, rec.Versions[len(rec.Versions)-1].Created).UTC(),
	}
}

// ErrBadKeyName refuses a key name that is not 1-64 letters, digits, '-' or '_'.
var ErrBadKeyName = errors.New("kms: a key name is 1 to 64 letters, digits, '-' or '_'")

// ErrKeyExists refuses creating a key that exists.
var ErrKeyExists = errors.New("kms: the key exists")

// ErrNoSuchKey names a key that does not exist.
var ErrNoSuchKey = errors.New("kms: no such key")

// CreateKey creates a named key.
func (s *Service) CreateKey(ctx context.Context, id, description string) (KeyInfo, error) {
	if !keyName.MatchString(id) {
		return KeyInfo{}, ErrBadKeyName
	}
	info, err := s.counted("create", func() (KeyInfo, error) { return s.create(ctx, id, description) })
	if errors.Is(err, meta.ErrKMSKeyChanged) {
		return KeyInfo{}, ErrKeyExists
	}
	return info, err
}

func (s *Service) create(ctx context.Context, id, description string) (KeyInfo, error) {
	if !s.Enabled() {
		return KeyInfo{}, s3err.NoMasterKey
	}
	now := s.now().UnixNano()
	rec := &meta.KMSKey{
		ID: id, Created: now, Description: description, Enabled: true, Rev: 0,
		Versions: []meta.KMSKeyVersion{{Version: 1, Created: now, Wrapped: sealWith(s.wrap, RandomKey(), versionAAD(id, 1))}},
		Dedup:    sealWith(s.wrap, RandomKey(), dedupAAD(id)),
	}
	if err := s.store.PutKMSKey(ctx, rec); err != nil {
		return KeyInfo{}, err
	}
	return infoOf(rec), nil
}

func (s *Service) counted(op string, fn func() (KeyInfo, error)) (KeyInfo, error) {
	ops.WithLabelValues(op).Inc()
	info, err := fn()
	if err != nil {
		failures.WithLabelValues(op).Inc()
	}
	return info, err
}

// ListKeys lists every key, built-in ones included.
func (s *Service) ListKeys(ctx context.Context) ([]KeyInfo, error) {
	recs, err := s.store.KMSKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(recs))
	for i := range recs {
		out = append(out, infoOf(&recs[i]))
	}
	return out, nil
}

// RotateKey adds a new backing key version: new data keys are wrapped by
// it; data keys wrapped by older versions still open until they are
// rewrapped (Rewrap, driven by object.Service.RewrapKey). No object data
// is rewritten, and the dedup secret is kept, so new writes still
// deduplicate against old ones.
func (s *Service) RotateKey(ctx context.Context, id string) (KeyInfo, error) {
	return s.counted("rotate", func() (KeyInfo, error) {
		return s.update(ctx, id, func(rec *meta.KMSKey) {
			v := rec.Versions[len(rec.Versions)-1].Version + 1
			rec.Versions = append(rec.Versions, meta.KMSKeyVersion{
				Version: v, Created: s.now().UnixNano(), Wrapped: sealWith(s.wrap, RandomKey(), versionAAD(id, v)),
			})
		})
	})
}

// SetEnabled enables or disables a key. A disabled key neither encrypts
// nor decrypts: objects under it cannot be read until it is enabled again.
func (s *Service) SetEnabled(ctx context.Context, id string, enabled bool) (KeyInfo, error) {
	op := "disable"
	if enabled {
		op = "enable"
	}
	return s.counted(op, func() (KeyInfo, error) {
		return s.update(ctx, id, func(rec *meta.KMSKey) { rec.Enabled = enabled })
	})
}

// update applies fn to a key's record with compare-and-set, retrying a
// few times when it changed concurrently.
func (s *Service) update(ctx context.Context, id string, fn func(*meta.KMSKey)) (KeyInfo, error) {
	if !s.Enabled() {
		return KeyInfo{}, s3err.NoMasterKey
	}
	for range 10 {
		rec, err := s.store.KMSKey(ctx, id)
		if err != nil {
			return KeyInfo{}, err
		}
		if rec == nil {
			return KeyInfo{}, ErrNoSuchKey
		}
		if _, err := s.open(rec); err != nil {
			return KeyInfo{}, err
		}
		fn(rec)
		rec.Rev++
		err = s.store.PutKMSKey(ctx, rec)
		if errors.Is(err, meta.ErrKMSKeyChanged) {
			continue
		}
		if err != nil {
			return KeyInfo{}, err
		}
		return infoOf(rec), nil
	}
	return KeyInfo{}, meta.ErrKMSKeyChanged
}

// SealAEAD is Seal with an AEAD already made.
func SealAEAD(g cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	return sealWith(g, plaintext, aad), nil
}

// OpenAEAD is Open with an AEAD already made.
func OpenAEAD(g cipher.AEAD, sealed, aad []byte) ([]byte, error) { return openWith(g, sealed, aad) }

// Rewrap opens a data key wrapped by an older version of KMS key id and
// wraps it again by the key's latest version, returning that version and
// the new wrapped key. The data key itself does not change.
func (s *Service) Rewrap(ctx context.Context, id string, version int, sealed, context []byte) (int, []byte, error) {
	ops.WithLabelValues("rewrap").Inc()
	v, out, err := s.rewrap(ctx, id, version, sealed, context)
	if err != nil {
		failures.WithLabelValues("rewrap").Inc()
	}
	return v, out, err
}

func (s *Service) rewrap(ctx context.Context, id string, version int, sealed, context []byte) (int, []byte, error) {
	rec, k, err := s.usable(ctx, id, false)
	if err != nil {
		return 0, nil, err
	}
	old := k.versions[version]
	if old == nil {
		return 0, nil, fmt.Errorf("kms: key %s has no version %d", id, version)
	}
	plain, err := openWith(old, sealed, dataKeyAAD(id, version, context))
	if err != nil {
		return 0, nil, fmt.Errorf("kms: data key under %s/%d does not open: %w", id, version, err)
	}
	latest := rec.Versions[len(rec.Versions)-1].Version
	return latest, sealWith(k.versions[latest], plain, dataKeyAAD(id, latest, context)), nil
}

// LatestVersion returns the version new data keys of key id are wrapped by.
func (s *Service) LatestVersion(ctx context.Context, id string) (int, error) {
	rec, _, err := s.usable(ctx, id, false)
	if err != nil {
		return 0, err
	}
	return rec.Versions[len(rec.Versions)-1].Version, nil
}
