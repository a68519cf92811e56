package object

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/kms"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/metrics"
	"github.com/anode/anode/internal/s3err"
)

// Server-side encryption (docs/encryption.md).
//
// Each chunk is encrypted under its own key, derived from the chunk's
// plaintext and a secret of the KMS key (convergent encryption): the same
// plaintext under the same KMS key gives the same ciphertext, hence the
// same chunk (its identity is the SHA-256 of the ciphertext, which reveals
// nothing about the plaintext to whoever lacks the secret), so
// deduplication survives; under another key it is another chunk. Chunks
// are encrypted in independently authenticated 64 KiB blocks (AES-256-GCM,
// the block's index as nonce), so a range read decrypts only the blocks it
// returns. Each object has a random data key, wrapped by its KMS key
// version (or by a key derived from the SSE-C customer key); the chunk
// keys and the Parquet footer index are sealed by it, the inline data by a
// key derived from it.

// Encryption modes, as S3 names them (SSE-C has no name of its own in the
// x-amz-server-side-encryption header; its algorithm is AES256).
const (
	ModeS3  = "AES256"
	ModeKMS = "aws:kms"
	ModeC   = "SSE-C"
)

// SSE is the server-side encryption a write asks for.
type SSE struct {
	Mode      string
	KMSKeyID  string // aws:kms; "" means the default key
	Context   string // x-amz-server-side-encryption-context: base64 JSON
	BucketKey bool
	// CustomerKey is the SSE-C key (32 bytes); never stored.
	CustomerKey []byte
}

// EncryptionInfo is what S3 reports about an object's encryption.
type EncryptionInfo struct {
	Mode      string // ModeS3, ModeKMS or ModeC
	KMSKeyID  string
	Context   string
	BucketKey bool
}

// sseBlock is the unit of encryption: the plaintext size of one
// independently authenticated block; sseTag the GCM tag each gets.
const (
	sseBlock = meta.EncryptionBlock
	sseTag   = meta.EncryptionTag
)

// cipherLen is the stored size of n bytes of plaintext.
func cipherLen(n int64) int64 { return meta.EncryptedSize(n) }

var sseBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "anode_sse_written_bytes_total",
	Help: "Object bytes written (before dedup), by encryption mode: none, AES256, aws:kms, SSE-C.",
}, []string{"mode"})

// sseDecrypted counts the plaintext bytes of the blocks reads decrypted:
// a range read decrypts only the 64 KiB blocks that hold its bytes.
var sseDecrypted = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "anode_sse_decrypted_bytes_total",
	Help: "Plaintext bytes of the encrypted blocks that reads decrypted.",
})

func init() { metrics.Registry.MustRegister(sseBytes, sseDecrypted) }

func countWritten(k *objectKeys, n int64) {
	mode := "none"
	if k != nil {
		mode = k.enc.Mode
	}
	sseBytes.WithLabelValues(mode).Add(float64(n))
}

// objectKeys are the opened keys of one encrypted object (or upload).
type objectKeys struct {
	enc    *meta.Encryption // as stored, without chunk keys
	dk     cipher.AEAD      // seals chunk keys and the Parquet index
	inline cipher.AEAD      // encrypts inline data in blocks
	dedup  []byte           // chunk keys are HMAC-SHA256(dedup, plaintext)
	// etagKey makes the ETags of SSE-KMS and SSE-C objects (body.etag).
	etagKey []byte
}

// chunkKeys are the plaintext keys of a version's chunks, in order; nil
// for a plain version.
type chunkKeys [][]byte

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // keys are always 32 bytes
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

func mustDerive(secret []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, info, kms.KeySize)
	if err != nil {
		panic(err)
	}
	return k
}

func keysOf(enc *meta.Encryption, plain, dedup []byte) *objectKeys {
	e := *enc
	e.ChunkKeys = nil
	return &objectKeys{enc: &e, dk: gcm(plain), inline: gcm(mustDerive(plain, "anode inline v1")), dedup: dedup,
		etagKey: mustDerive(plain, "anode etag v1")}
}

var errNoKMS = s3err.NoMasterKey

func (s *Service) kms() (*kms.Service, error) {
	if !s.cfg.KMS.Enabled() {
		return nil, errNoKMS
	}
	return s.cfg.KMS, nil
}

// newKeys makes the keys of a new object written with sse, or with the
// bucket's default encryption when sse is nil; nil for a plain object.
func (s *Service) newKeys(ctx context.Context, bucket *meta.Bucket, sse *SSE) (*objectKeys, error) {
	if sse == nil && bucket.Encryption != nil {
		sse = &SSE{Mode: bucket.Encryption.Algorithm, KMSKeyID: bucket.Encryption.KMSKeyID, BucketKey: bucket.Encryption.BucketKey}
	}
	if sse == nil || sse.Mode == "" {
		return nil, nil
	}
	k, err := s.kms()
	if err != nil {
		return nil, err
	}
	switch sse.Mode {
	case ModeS3:
		dk, err := k.NewDataKey(ctx, kms.SSES3Key, nil)
		if err != nil {
			return nil, err
		}
		enc := &meta.Encryption{Mode: ModeS3, KeyID: dk.KeyID, KeyVersion: dk.KeyVersion, DataKey: dk.Sealed, BucketKey: sse.BucketKey}
		return keysOf(enc, dk.Plain, dk.Dedup), nil
	case ModeKMS:
		id := kms.NormalizeKeyID(sse.KMSKeyID)
		if id == "" {
			id = kms.DefaultKMSKey
		}
		dk, err := k.NewDataKey(ctx, id, []byte(sse.Context))
		if err != nil {
			return nil, err
		}
		enc := &meta.Encryption{Mode: ModeKMS, KeyID: id, KeyVersion: dk.KeyVersion, DataKey: dk.Sealed, Context: sse.Context, BucketKey: sse.BucketKey}
		return keysOf(enc, dk.Plain, dk.Dedup), nil
	case ModeC:
		check, err := k.CustomerKeyHMAC(sse.CustomerKey)
		if err != nil {
			return nil, err
		}
		plain := kms.RandomKey()
		sealed, err := kms.Seal(mustDerive(sse.CustomerKey, "anode sse-c kek v1"), plain, []byte("anode sse-c data key v1"))
		if err != nil {
			return nil, err
		}
		enc := &meta.Encryption{Mode: ModeC, DataKey: sealed, CustomerKeyHMAC: check}
		return keysOf(enc, plain, mustDerive(sse.CustomerKey, "anode sse-c dedup v1")), nil
	}
	return nil, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported")
}

var (
	errSSECNeeded     = s3err.InvalidRequest.WithMessage("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	errSSECNotApplies = s3err.InvalidRequest.WithMessage("The encryption parameters are not applicable to this object.")
	errSSECWrongKey   = s3err.AccessDenied.WithMessage("The provided customer key does not match the key the object was encrypted with.")
)

// openKeys opens the keys of a stored object or upload. customerKey is
// the SSE-C key the request carried, if any: an SSE-C object needs the
// right one, any other object must not be given one.
func (s *Service) openKeys(ctx context.Context, enc *meta.Encryption, customerKey []byte) (*objectKeys, error) {
	if enc == nil {
		if customerKey != nil {
			return nil, errSSECNotApplies
		}
		return nil, nil
	}
	k, err := s.kms()
	if err != nil {
		return nil, err
	}
	if enc.Mode == ModeC {
		if customerKey == nil {
			return nil, errSSECNeeded
		}
		check, err := k.CustomerKeyHMAC(customerKey)
		if err != nil {
			return nil, err
		}
		if !hmac.Equal(check, enc.CustomerKeyHMAC) {
			return nil, errSSECWrongKey
		}
		plain, err := kms.Open(mustDerive(customerKey, "anode sse-c kek v1"), enc.DataKey, []byte("anode sse-c data key v1"))
		if err != nil {
			return nil, fmt.Errorf("SSE-C data key does not open: %w", err)
		}
		return keysOf(enc, plain, mustDerive(customerKey, "anode sse-c dedup v1")), nil
	}
	if customerKey != nil {
		return nil, errSSECNotApplies
	}
	dk, err := k.OpenDataKey(ctx, enc.KeyID, enc.KeyVersion, enc.DataKey, []byte(enc.Context))
	if err != nil {
		return nil, err
	}
	return keysOf(enc, dk.Plain, dk.Dedup), nil
}

// checkCustomerKey checks the SSE-C key of a request that reads only an
// object's metadata (HEAD): an SSE-C object needs its key, others none.
// No KMS key is used, so HEAD works while an object's KMS key is disabled.
func (s *Service) checkCustomerKey(enc *meta.Encryption, customerKey []byte) error {
	switch {
	case enc != nil && enc.Mode == ModeC && customerKey == nil:
		return errSSECNeeded
	case (enc == nil || enc.Mode != ModeC) && customerKey != nil:
		return errSSECNotApplies
	case customerKey == nil:
		return nil
	}
	k, err := s.kms()
	if err != nil {
		return err
	}
	check, err := k.CustomerKeyHMAC(customerKey)
	if err != nil {
		return err
	}
	if !hmac.Equal(check, enc.CustomerKeyHMAC) {
		return errSSECWrongKey
	}
	return nil
}

// openVersion returns the plain view of a stored version (inline data and
// Parquet index decrypted) and the keys of its chunks.
func (s *Service) openVersion(ctx context.Context, v *meta.Version, customerKey []byte) (*meta.Version, chunkKeys, error) {
	keys, err := s.openKeys(ctx, v.Encryption, customerKey)
	if err != nil || keys == nil {
		return v, nil, err
	}
	pv := *v
	if v.Inline != nil {
		if pv.Inline, err = openBlocks(keys.inline, nil, v.Inline, 0); err != nil {
			return nil, nil, fmt.Errorf("inline data of an encrypted object does not open: %w", err)
		}
	}
	if v.Parquet != nil {
		if pv.Parquet, err = openSealed(keys.dk, v.Parquet, []byte("anode parquet index v1")); err != nil {
			return nil, nil, fmt.Errorf("parquet index of an encrypted object does not open: %w", err)
		}
	}
	if len(v.Encryption.ChunkKeys) != len(v.Chunks) {
		return nil, nil, fmt.Errorf("encrypted object has %d chunk keys for %d chunks", len(v.Encryption.ChunkKeys), len(v.Chunks))
	}
	ck := make(chunkKeys, len(v.Chunks))
	for i, sealed := range v.Encryption.ChunkKeys {
		if ck[i], err = openSealed(keys.dk, sealed, v.Chunks[i].Hash[:]); err != nil {
			return nil, nil, fmt.Errorf("chunk key %d of an encrypted object does not open: %w", i, err)
		}
	}
	return &pv, ck, nil
}

// sealVersion encrypts what a plain view of a new version holds in its
// metadata (inline data, Parquet index) and records the encryption with
// the sealed chunk keys.
func (k *objectKeys) sealVersion(v *meta.Version, sealedChunkKeys [][]byte) {
	if k == nil {
		return
	}
	if v.Inline != nil {
		v.Inline = sealBlocks(k.inline, nil, v.Inline)
	}
	if v.Parquet != nil {
		v.Parquet = seal(k.dk, v.Parquet, []byte("anode parquet index v1"))
	}
	e := *k.enc
	e.ChunkKeys = sealedChunkKeys
	v.Encryption = &e
}

func seal(g cipher.AEAD, plain, aad []byte) []byte {
	sealed, err := kms.SealAEAD(g, plain, aad)
	if err != nil {
		panic(err)
	}
	return sealed
}

func openSealed(g cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	return kms.OpenAEAD(g, sealed, aad)
}

// encryptChunk encrypts one chunk's plaintext into dst (reused when large
// enough) and returns the ciphertext and the chunk's key.
func (k *objectKeys) encryptChunk(dst, plain []byte) (ct, key []byte) {
	m := hmac.New(sha256.New, k.dedup)
	m.Write(plain)
	key = m.Sum(nil)
	return sealBlocks(gcm(key), dst[:0], plain), key
}

// blockNonce is the nonce of block i: unique per key because a key
// encrypts one plaintext only (its own chunk, or one object's inline data).
func blockNonce(nonce []byte, i int64) []byte {
	clear(nonce[:4])
	binary.BigEndian.PutUint64(nonce[4:], uint64(i))
	return nonce
}

// sealBlocks appends the encryption of plain, block by block, to dst.
func sealBlocks(g cipher.AEAD, dst, plain []byte) []byte {
	var nonce [12]byte
	for i := int64(0); len(plain) > 0; i++ {
		n := min(len(plain), sseBlock)
		dst = g.Seal(dst, blockNonce(nonce[:], i), plain[:n], nil)
		plain = plain[n:]
	}
	return dst
}

// openBlocks appends the decryption of ct, whose first block is block
// number first of its chunk, to dst. Every block is authenticated.
func openBlocks(g cipher.AEAD, dst, ct []byte, first int64) ([]byte, error) {
	var nonce [12]byte
	for i := first; len(ct) > 0; i++ {
		n := min(len(ct), sseBlock+sseTag)
		var err error
		if dst, err = g.Open(dst, blockNonce(nonce[:], i), ct[:n], nil); err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		ct = ct[n:]
	}
	return dst, nil
}

// readEncrypted returns plaintext bytes [lo, hi) of an encrypted chunk,
// appended to dst. It reads and decrypts only the blocks that hold them;
// GCM authenticates each. Should a block not authenticate (a corrupt
// copy), the whole chunk is read again through the verified path, which
// checks its SHA-256 and falls back to another copy.
func (s *Service) readEncrypted(c meta.ChunkRef, key []byte, lo, hi int64, dst []byte) ([]byte, error) {
	g := gcm(key)
	b0, b1 := lo/sseBlock, (hi-1)/sseBlock+1
	off := b0 * (sseBlock + sseTag)
	end := min(b1*(sseBlock+sseTag), cipherLen(c.Size))
	bufp := s.getCipherBuf()
	defer s.putCipherBuf(bufp)
	if int64(cap(*bufp)) < end-off {
		*bufp = make([]byte, 0, end-off)
	}
	ct := (*bufp)[:end-off]
	n, err := s.cfg.Chunks.ReadAt(chunk.Hash(c.Hash), ct, off)
	var plain []byte
	if err == nil && n == len(ct) {
		plain, err = openBlocks(g, dst, ct, b0)
	} else if err == nil {
		err = errors.New("short read")
	}
	if err != nil {
		whole, gerr := s.cfg.Chunks.GetInto(chunk.Hash(c.Hash), nil)
		if gerr != nil {
			return nil, fmt.Errorf("read chunk %x: %w", c.Hash[:8], gerr)
		}
		if int64(len(whole)) != cipherLen(c.Size) {
			return nil, fmt.Errorf("read chunk %x: size %d, want %d", c.Hash[:8], len(whole), cipherLen(c.Size))
		}
		if plain, err = openBlocks(g, dst, whole[off:end], b0); err != nil {
			return nil, fmt.Errorf("decrypt chunk %x: %w", c.Hash[:8], err)
		}
	}
	base := int64(len(dst))
	sseDecrypted.Add(float64(int64(len(plain)) - base))
	return plain[base+lo-b0*sseBlock : base+hi-b0*sseBlock], nil
}

// infoEncryption is the EncryptionInfo of a stored version.
func infoEncryption(e *meta.Encryption) *EncryptionInfo {
	if e == nil {
		return nil
	}
	return &EncryptionInfo{Mode: e.Mode, KMSKeyID: e.KeyID, Context: e.Context, BucketKey: e.BucketKey}
}

// CheckEncryptionContext validates an x-amz-server-side-encryption-context
// value: base64 of a JSON object of string values.
func CheckEncryptionContext(s string) error {
	b, err := base64.StdEncoding.DecodeString(s)
	var m map[string]string
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return s3err.InvalidArgument.WithMessage("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
	}
	return nil
}

// copyEncrypted serves a CopyObject whose source or destination is
// encrypted: the source is decrypted and written again under the
// destination's encryption (chunks deduplicate where the keys and chunk
// boundaries are the same). The copy is a single-part object; its ETag is
// the MD5 of the data.
func (s *Service) copyEncrypted(ctx context.Context, in CopyInput, src *meta.Version, dst *meta.Bucket) (ObjectInfo, error) {
	pv, srcKeys, err := s.openVersion(ctx, src, in.SrcCustomerKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	keys, err := s.newKeys(ctx, dst, in.SSE)
	if err != nil {
		return ObjectInfo{}, err
	}
	algo := in.ChecksumAlgo
	if algo == "" {
		for a := range src.Checksums {
			algo = a
		}
	}
	var ck *ChecksumInput
	if algo != "" {
		ck = &ChecksumInput{Algorithm: algo}
	}
	r := s.newReader(pv, srcKeys, 0, pv.Size)
	defer r.Close()
	body, err := s.ingest(r, pv.Size, ck, keys)
	if err != nil {
		return ObjectInfo{}, err
	}
	v := body.version()
	v.Parquet = s.parquetIndex(v, body.plainKeys)
	v.Meta, v.Tags = src.Meta, src.Tags
	if in.ReplaceMeta {
		v.Meta = in.Meta
	}
	if in.ReplaceTags {
		v.Tags = in.Tags
	}
	v.Modified = s.now().UnixNano()
	keys.sealVersion(v, body.sealedKeys)
	return s.commitVersion(ctx, dst, in.DstKey, v, body.firstTouch, "", "")
}

// BucketEncryption is a bucket's default encryption.
type BucketEncryption = meta.BucketEncryption

// PutBucketEncryption sets (or, with nil, removes) a bucket's default
// encryption. Setting one needs the KMS's master key, so that no default
// is accepted that writes could not honour.
func (s *Service) PutBucketEncryption(ctx context.Context, bucket string, enc *BucketEncryption) error {
	if enc != nil {
		if _, err := s.kms(); err != nil {
			return err
		}
	}
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Encryption = enc
		return nil
	})
}

// GetBucketEncryption returns a bucket's default encryption, or
// ServerSideEncryptionConfigurationNotFoundError.
func (s *Service) GetBucketEncryption(ctx context.Context, bucket string) (*BucketEncryption, error) {
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if b.Encryption == nil {
		return nil, s3err.NoEncryptionConfiguration
	}
	return b.Encryption, nil
}

// RewrapKey wraps again, by the latest version of KMS key id, the data key
// of every stored version wrapped by an older one (after a rotation). No
// object data or chunk key changes: each version's record gets its new
// wrapped data key through its group (OpRewrapDataKey). It returns how
// many versions were rewrapped. Multipart uploads in progress keep the
// wrap they were created with.
func (s *Service) RewrapKey(ctx context.Context, id string) (int, error) {
	k, err := s.kms()
	if err != nil {
		return 0, err
	}
	latest, err := k.LatestVersion(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.meta.EachWrappedVersion(ctx, id, latest, func(wv meta.WrappedVersion) error {
		e := wv.Version.Encryption
		to, sealed, err := k.Rewrap(ctx, id, e.KeyVersion, e.DataKey, []byte(e.Context))
		if err != nil {
			return fmt.Errorf("rewrap %s/%s: %w", wv.Bucket, wv.Key, err)
		}
		res, err := s.meta.Propose(ctx, wv.Group, &meta.Command{
			Op: meta.OpRewrapDataKey, Time: s.now().UnixNano(), Bucket: wv.Bucket, Key: wv.Key,
			Rewrap: &meta.Rewrap{Seq: wv.Version.Seq, KeyID: id, From: e.KeyVersion, To: to, DataKey: sealed},
		})
		if err != nil {
			return fmt.Errorf("rewrap %s/%s: %w", wv.Bucket, wv.Key, err)
		}
		if res.Version != nil {
			n++
		}
		return nil
	})
	return n, err
}

// etag returns the ETag of an ingested body: the hex MD5 of its data, as
// S3 answers for plain and SSE-S3 objects; for SSE-KMS and SSE-C, as in
// AWS, a value that is not the MD5 (an HMAC of it under a key derived from
// the object's data key), so that the stored metadata does not reveal the
// MD5 of the plaintext. Content-MD5 is still checked against the real MD5.
func (b *body) etag() string {
	if b.keys == nil || b.keys.enc.Mode == ModeS3 {
		return hex.EncodeToString(b.md5)
	}
	m := hmac.New(sha256.New, b.keys.etagKey)
	m.Write(b.md5)
	return hex.EncodeToString(m.Sum(nil)[:md5Size])
}

const md5Size = 16

// checkUploadSSE checks encryption headers a completion repeated against
// the upload's encryption: they may restate it, never change it.
func checkUploadSSE(enc *meta.Encryption, sse *SSE) error {
	if sse == nil {
		return nil
	}
	mismatch := s3err.InvalidArgument.WithMessage("The encryption headers of the completion do not match those the multipart upload was created with.")
	if enc == nil || enc.Mode != sse.Mode {
		return mismatch
	}
	if sse.Mode == ModeKMS {
		id := kms.NormalizeKeyID(sse.KMSKeyID)
		if id == "" {
			id = kms.DefaultKMSKey
		}
		if id != enc.KeyID || (sse.Context != "" && sse.Context != enc.Context) {
			return mismatch
		}
	}
	return nil
}
