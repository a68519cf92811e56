package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// PutObject stores an object: it streams the body into chunks (or keeps a
// small body inline), then commits the new version through the key's
// placement group. The answer comes after the commit; nothing is visible
// before, and a failure leaves only unreferenced chunks that garbage
// collection removes.
func (s *Service) PutObject(ctx context.Context, in PutInput) (ObjectInfo, error) {
	if err := checkKey(in.Key); err != nil {
		return ObjectInfo{}, err
	}
	bucket, err := s.meta.Bucket(ctx, in.Bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	if in.Size > s.cfg.MaxObjectSize {
		return ObjectInfo{}, s3err.EntityTooLarge
	}
	if err := s.checkSpace(); err != nil {
		return ObjectInfo{}, err
	}
	lock, err := versionLock(bucket, in.Lock, s.now())
	if err != nil {
		return ObjectInfo{}, err
	}
	keys, err := s.newKeys(ctx, bucket, in.SSE)
	if err != nil {
		return ObjectInfo{}, err
	}
	body, err := s.ingest(in.Body, in.Size, in.Checksum, keys)
	if err != nil {
		return ObjectInfo{}, err
	}
	if in.ContentMD5 != nil && !bytes.Equal(in.ContentMD5, body.md5) {
		return ObjectInfo{}, s3err.BadDigest
	}
	v := body.version()
	v.Parquet = s.parquetIndex(v, body.plainKeys)
	v.Meta = in.Meta
	v.Tags = in.Tags
	keys.sealVersion(v, body.sealedKeys)
	v.Lock = lock
	now := s.now()
	v.Modified = now.UnixNano()
	info, err := s.commitVersion(ctx, bucket, in.Key, v, body.firstTouch, in.IfMatch, in.IfNoneMatch)
	if err == nil {
		name := EventPut
		if in.Event != "" {
			name = in.Event
		}
		s.emit(ctx, bucket, name, in.Key, info)
	}
	return info, err
}

// commitVersion proposes a new version of a key and returns its info.
// firstTouch is when the version's first chunk was stored or touched (zero
// for inline data): see gc.go for why the commit must follow it closely.
func (s *Service) commitVersion(ctx context.Context, bucket *meta.Bucket, key string, v *meta.Version, firstTouch time.Time, ifMatch, ifNoneMatch string) (ObjectInfo, error) {
	ctx, cancel := background(ctx)
	defer cancel()
	if !firstTouch.IsZero() {
		var cancel2 context.CancelFunc
		ctx, cancel2 = context.WithDeadline(ctx, s.gcDeadline(firstTouch))
		defer cancel2()
	}
	res, err := s.meta.Propose(ctx, s.meta.GroupOf(bucket.Name, key), &meta.Command{
		Op: meta.OpPutObject, Time: v.Modified, Bucket: bucket.Name, Key: key, Incarnation: bucket.Incarnation,
		Version: v, Versioning: bucket.Versioning, IfMatch: ifMatch, IfNoneMatch: ifNoneMatch,
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	if !firstTouch.IsZero() && s.now().Sub(firstTouch) >= s.cfg.GCGrace/2 {
		// Committed too late to be sure garbage collection spared the
		// chunks (the deadline above makes this all but impossible).
		if err := s.verifyChunks(res.Version); err != nil {
			return ObjectInfo{}, fmt.Errorf("object %s/%s committed after the GC grace window: %w", bucket.Name, key, err)
		}
	}
	return infoOf(bucket.Name, key, res.Version, true), nil
}

// gcDeadline is the latest a write whose first chunk was touched at
// firstTouch may commit: half the GC grace period later, less the clock
// margin apply allows (see internal/chunk/gc.go). The deadline travels in
// the command, and apply refuses it once passed (meta/fence.go).
func (s *Service) gcDeadline(firstTouch time.Time) time.Time {
	return firstTouch.Add(s.cfg.GCGrace/2 - meta.ClockMargin)
}

func (s *Service) verifyChunks(v *meta.Version) error {
	for _, c := range v.Chunks {
		if err := s.cfg.Chunks.Touch(chunk.Hash(c.Hash)); err != nil {
			return err
		}
	}
	return nil
}

// body is an ingested request body: its chunks or inline bytes, and the
// digests computed while reading it.
type body struct {
	size       int64
	md5        []byte
	inline     []byte
	chunks     []meta.ChunkRef
	checksums  map[string]string
	firstTouch time.Time
	// keys encrypt the chunks of an encrypted body (nil: plain); the
	// chunks' keys are kept in clear (for reading back, as the Parquet
	// index does) and sealed (for the metadata).
	keys       *objectKeys
	plainKeys  chunkKeys
	sealedKeys [][]byte
}

func (b *body) version() *meta.Version {
	v := &meta.Version{Size: b.size, ETag: b.etag(), Inline: b.inline, Chunks: b.chunks}
	if len(b.checksums) > 0 {
		v.Checksums = b.checksums
		v.ChecksumType = "FULL_OBJECT"
	}
	return v
}

// ingest reads r to its end in one pass: MD5 for the ETag, the requested
// checksum, and SHA-256 per chunk are all computed on each buffer as it is
// read, and full chunks are written to the chunk store. size is the
// announced length, or -1.
func (s *Service) ingest(r io.Reader, size int64, ck *ChecksumInput, keys *objectKeys) (*body, error) {
	var cksum hash.Hash
	if ck != nil {
		h, err := NewChecksum(ck.Algorithm)
		if err != nil {
			return nil, err
		}
		cksum = h
	}
	bufp := s.getBuf()
	defer s.putBuf(bufp)
	buf := *bufp
	md := md5.New()
	b := &body{keys: keys}
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			data := buf[:n]
			md.Write(data)
			if cksum != nil {
				cksum.Write(data)
			}
			b.size += int64(n)
			if b.size > s.cfg.MaxObjectSize {
				return nil, s3err.EntityTooLarge
			}
			last := err != nil
			if last && len(b.chunks) == 0 && int64(n) <= s.cfg.InlineThreshold {
				b.inline = append([]byte(nil), data...)
			} else if err := s.storeChunk(b, data); err != nil {
				return nil, err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, bodyError(err)
		}
	}
	if size >= 0 && b.size != size {
		return nil, s3err.IncompleteBody
	}
	countWritten(keys, b.size)
	b.md5 = md.Sum(nil)
	if cksum != nil {
		algo := strings.ToUpper(ck.Algorithm)
		got := EncodeChecksum(cksum.Sum(nil))
		want := ck.Value
		if ck.Trailer != nil {
			want = ck.Trailer()
		}
		if want != "" && want != got {
			return nil, s3err.BadDigest.WithMessage("The %s you specified did not match the calculated checksum.", algo)
		}
		b.checksums = map[string]string{algo: got}
	}
	return b, nil
}

func (s *Service) storeChunk(b *body, data []byte) error {
	size := int64(len(data))
	if b.keys != nil {
		bufp := s.getCipherBuf()
		defer s.putCipherBuf(bufp)
		ct, key := b.keys.encryptChunk(*bufp, data)
		*bufp = ct
		data = ct
		b.plainKeys = append(b.plainKeys, key)
	}
	h := chunk.Hash(sha256.Sum256(data))
	if len(b.chunks) == 0 {
		b.firstTouch = s.now()
	}
	if _, err := s.cfg.Chunks.Put(h, data); err != nil {
		return storageError(fmt.Errorf("store chunk %s: %w", h, err))
	}
	b.chunks = append(b.chunks, meta.ChunkRef{Hash: h, Size: size})
	if b.keys != nil {
		b.sealedKeys = append(b.sealedKeys, seal(b.keys.dk, b.plainKeys[len(b.plainKeys)-1], h[:]))
	}
	return nil
}

// bodyError maps a failure to read a request body to the S3 error: errors
// the auth layer raised (a bad chunk signature, a payload hash mismatch)
// pass through; anything else means the body ended early.
func bodyError(err error) error {
	var e *s3err.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%w: %w", s3err.IncompleteBody, err)
}

// checkKey enforces S3's limits on object keys.
func checkKey(key string) error {
	switch {
	case key == "":
		return s3err.InvalidArgument.WithMessage("Object key must not be empty.")
	case len(key) > 1024:
		return s3err.KeyTooLongError
	case !utf8.ValidString(key):
		return s3err.InvalidArgument.WithMessage("Object key must be valid UTF-8.")
	}
	return nil
}

// infoOf turns a stored version into the ObjectInfo S3 answers with.
func infoOf(bucket, key string, v *meta.Version, latest bool) ObjectInfo {
	info := ObjectInfo{
		Bucket: bucket, Key: key, VersionID: v.VersionID, IsLatest: latest,
		IsDeleteMarker: v.DeleteMarker, Size: v.Size,
		LastModified: time.Unix(0, v.Modified).UTC(),
		Meta:         v.Meta, Checksums: v.Checksums, ChecksumType: v.ChecksumType,
		TagCount: len(v.Tags), StorageClass: "STANDARD", Lock: v.Lock, Sequence: v.Seq,
		Encryption: infoEncryption(v.Encryption),
	}
	if v.ETag != "" {
		info.ETag = `"` + v.ETag + `"`
	}
	if len(v.Parts) > 0 {
		info.PartsCount = len(v.Parts)
	}
	return info
}
