package meta

import (
	"context"
	"encoding/json"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// Encryption describes how a version's data is encrypted (see
// docs/encryption.md). Metadata holds only sealed key material: the data
// key is wrapped by a KMS key version (SSE-S3, SSE-KMS) or by a key derived
// from the customer's key (SSE-C), and each chunk key is sealed by the data
// key. Apply treats all of it as opaque bytes.
type Encryption struct {
	// Mode is "AES256" (SSE-S3), "aws:kms" (SSE-KMS) or "SSE-C".
	Mode string `json:"m"`
	// KeyID and KeyVersion name the KMS key version that wraps DataKey
	// (SSE-S3 uses a built-in KMS key).
	KeyID      string `json:"kid,omitempty"`
	KeyVersion int    `json:"kv,omitempty"`
	// DataKey is the object's data key, sealed.
	DataKey []byte `json:"dk"`
	// Context is the x-amz-server-side-encryption-context the client sent
	// (base64 JSON), bound to DataKey as additional authenticated data.
	Context   string `json:"ctx,omitempty"`
	BucketKey bool   `json:"bk,omitempty"`
	// CustomerKeyHMAC identifies an SSE-C key without storing it.
	CustomerKeyHMAC []byte `json:"ckh,omitempty"`
	// ChunkKeys holds one sealed key per entry of the version's Chunks.
	ChunkKeys [][]byte `json:"cks,omitempty"`
}

// Encrypted data is stored in blocks of EncryptionBlock bytes of plaintext,
// each followed by an EncryptionTag-byte authentication tag (AES-256-GCM;
// internal/object/sse.go).
const (
	EncryptionBlock = 64 << 10
	EncryptionTag   = 16
)

// EncryptedSize is the stored size of n bytes of encrypted plaintext.
func EncryptedSize(n int64) int64 {
	return n + (n+EncryptionBlock-1)/EncryptionBlock*EncryptionTag
}

// BucketEncryption is a bucket's default encryption
// (PutBucketEncryption): applied to writes that ask for none.
type BucketEncryption struct {
	Algorithm string `json:"alg"` // AES256 or aws:kms
	KMSKeyID  string `json:"kid,omitempty"`
	BucketKey bool   `json:"bk,omitempty"`
}

// KMSKey is a named key of the built-in KMS, in the system group under
// 'm' 0 'K' id. Its material is wrapped by the master key, which is never
// stored; apply treats it as opaque bytes.
type KMSKey struct {
	ID          string `json:"id"`
	Created     int64  `json:"created"`
	Description string `json:"desc,omitempty"`
	// Enabled keys encrypt and decrypt; disabled ones refuse both.
	Enabled bool `json:"enabled"`
	// Versions are the key's backing keys, oldest first; new data keys
	// are wrapped by the last. Rotation appends one.
	Versions []KMSKeyVersion `json:"versions"`
	// Dedup is the wrapped secret from which chunk keys are derived; it
	// never changes, so rotation keeps deduplication.
	Dedup []byte `json:"dedup"`
	// Rev counts the record's updates: PutKMSKey is a compare-and-set on it.
	Rev uint64 `json:"rev,omitempty"`
}

// KMSKeyVersion is one backing key of a KMSKey.
type KMSKeyVersion struct {
	Version int    `json:"v"`
	Created int64  `json:"created"`
	Wrapped []byte `json:"wrapped"`
}

const kindKMSKey = 'K'

func kmsKeyKey(id string) []byte { return append(groupPrefix(SystemGroup, kindKMSKey), id...) }

// ErrKMSKeyChanged refuses a PutKMSKey made from a stale read (or a
// create of a key that exists).
var ErrKMSKeyChanged = s3err.ConditionalRequestConflict.WithMessage("The KMS key changed concurrently; retry.")

// putKMSKey writes a KMS key record if the stored one is still the
// revision the proposer read (0: the key must not exist yet).
func (sm *StateMachine) putKMSKey(b *pebble.Batch, cmd *Command) (*Result, error) {
	rec := cmd.KMSKey
	if rec == nil || rec.ID == "" {
		return &Result{Err: s3err.InvalidArgument.WithMessage("PutKMSKey needs a key")}, nil
	}
	var cur KMSKey
	found, err := getJSON(b, kmsKeyKey(rec.ID), &cur)
	if err != nil {
		return nil, err
	}
	if (!found && rec.Rev != 0) || (found && cur.Rev+1 != rec.Rev) {
		return &Result{Err: ErrKMSKeyChanged}, nil
	}
	return &Result{}, setJSON(b, kmsKeyKey(rec.ID), rec)
}

// KMSKey returns a KMS key record (linearizable), or nil when there is none.
func (s *Store) KMSKey(ctx context.Context, id string) (*KMSKey, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	var k KMSKey
	found, err := getJSON(s.db, kmsKeyKey(id), &k)
	if err != nil || !found {
		return nil, err
	}
	return &k, nil
}

// KMSKeys returns every KMS key record in ID order (linearizable).
func (s *Store) KMSKeys(ctx context.Context) ([]KMSKey, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	p := groupPrefix(SystemGroup, kindKMSKey)
	var out []KMSKey
	err := s.scan(p, prefixEnd(p), func(_, v []byte) error {
		var k KMSKey
		if err := json.Unmarshal(v, &k); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	return out, err
}

// PutKMSKey proposes a KMS key record: rec.Rev must be the stored
// revision plus one (1 to create).
func (s *Store) PutKMSKey(ctx context.Context, rec *KMSKey) error {
	res, err := s.Propose(ctx, SystemGroup, &Command{Op: OpPutKMSKey, KMSKey: rec})
	if err != nil {
		return err
	}
	return res.Err
}
