package object

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// lookup returns the version a request names: the current one, or the one
// with in.VersionID. A delete marker answers NoSuchKey (or, asked for by
// version ID, MethodNotAllowed) together with its info, which the S3 layer
// uses for the x-amz-delete-marker header.
func (s *Service) lookup(ctx context.Context, bucket, key, versionID string) (*meta.Version, ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, ObjectInfo{}, err
	}
	if snap, err := s.snapshotOf(ctx, bucket); err != nil || snap != nil {
		if err != nil {
			return nil, ObjectInfo{}, err
		}
		return s.snapshotLookup(ctx, snap, bucket, key, versionID)
	}
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	var v *meta.Version
	latest := true
	if versionID == "" {
		v, err = s.meta.Current(ctx, bucket, key)
	} else {
		v, latest, err = s.meta.VersionOf(ctx, bucket, key, versionID)
	}
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	info := infoOf(bucket, key, v, latest)
	if b.Versioning != "" {
		// In a bucket that has or had versioning, a version written
		// without it is the "null" version, and AWS names it so.
		info.VersionID = meta.VersionIDOf(v)
	}
	if latest {
		info.Expiration = s.expirationOf(b, key, v)
	}
	if v.DeleteMarker {
		if versionID != "" {
			return nil, info, s3err.MethodNotAllowed.WithMessage("The specified method is not allowed against this resource.")
		}
		return nil, info, s3err.NoSuchKey
	}
	return v, info, nil
}

// HeadObject returns an object's info, checking the request's conditions.
func (s *Service) HeadObject(ctx context.Context, in GetInput) (ObjectInfo, error) {
	v, info, err := s.lookup(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return info, err
	}
	if err := CheckConditions(info, in.Conditions, false); err != nil {
		return info, err
	}
	if !in.NoKeyCheck {
		if err := s.checkCustomerKey(v.Encryption, in.CustomerKey); err != nil {
			return info, err
		}
	}
	if in.PartNumber > 0 {
		start, end, err := partRange(v, in.PartNumber)
		if err != nil {
			return info, err
		}
		info.PartStart, info.PartEnd = start, end
	}
	return info, nil
}

// GetObject opens an object (or a byte range of it) for reading.
func (s *Service) GetObject(ctx context.Context, in GetInput) (*GetOutput, error) {
	v, info, err := s.lookup(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return &GetOutput{Info: info}, err
	}
	if err := CheckConditions(info, in.Conditions, false); err != nil {
		return &GetOutput{Info: info}, err
	}
	v, keys, err := s.openVersion(ctx, v, in.CustomerKey)
	if err != nil {
		return &GetOutput{Info: info}, err
	}
	out := &GetOutput{Info: info, Start: 0, End: v.Size - 1}
	switch {
	case in.PartNumber > 0:
		start, end, err := partRange(v, in.PartNumber)
		if err != nil {
			return &GetOutput{Info: info}, err
		}
		// A part read is a ranged read, also of part 1 of an object
		// uploaded in one piece (AWS answers 206 with Content-Range,
		// versity/versitygw#2074); an empty object has no range.
		out.Start, out.End, out.Partial = start, end, v.Size > 0
	case in.Range != nil:
		start, end, err := ResolveRange(*in.Range, v.Size)
		if err != nil {
			return &GetOutput{Info: info}, err
		}
		out.Start, out.End, out.Partial = start, end, true
		// Footer reads of Parquet objects come from the tail cache.
		if b, ok := s.parquetTailRange(in.Bucket, in.Key, v, keys, start, end); ok {
			out.Body = io.NopCloser(bytes.NewReader(b))
			return out, nil
		}
	}
	out.Body = s.newReader(v, keys, out.Start, out.End+1)
	return out, nil
}

// errPartNotSatisfiable answers a part number beyond an object's parts:
// 400 InvalidPart, which ceph s3-tests test_multipart_get_part expects of
// AWS-compatible servers (and Apache Ozone adopted, HDDS-15740).
var errPartNotSatisfiable = s3err.InvalidPart.WithMessage("The requested partnumber is not satisfiable")

// partRange returns the byte range of part n of a multipart object. An
// object uploaded in one piece has one part, the whole object.
func partRange(v *meta.Version, n int) (start, end int64, err error) {
	if len(v.Parts) == 0 {
		if n != 1 {
			return 0, 0, errPartNotSatisfiable
		}
		return 0, v.Size - 1, nil
	}
	if n > len(v.Parts) {
		return 0, 0, errPartNotSatisfiable
	}
	for _, p := range v.Parts[:n-1] {
		start += p.Size
	}
	return start, start + v.Parts[n-1].Size - 1, nil
}

// ResolveRange turns a requested range into inclusive offsets within an
// object of the given size, or InvalidRange when nothing of it exists.
func ResolveRange(r Range, size int64) (start, end int64, err error) {
	if r.SuffixLength > 0 {
		if size == 0 {
			return 0, 0, s3err.InvalidRange
		}
		start = size - r.SuffixLength
		if start < 0 {
			start = 0
		}
		return start, size - 1, nil
	}
	if r.Start >= size {
		return 0, 0, s3err.InvalidRange
	}
	end = r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	if end < r.Start {
		return 0, 0, s3err.InvalidRange
	}
	return r.Start, end, nil
}

// CheckConditions evaluates HTTP preconditions against an object, in the
// order of RFC 9110 section 13.2.2, as S3 does: If-Match, then
// If-Unmodified-Since (only without If-Match), then If-None-Match, then
// If-Modified-Since (only without If-None-Match). For a copy source every
// failure is PreconditionFailed; for GET and HEAD the None-Match and
// Modified-Since failures are NotModified (304).
func CheckConditions(info ObjectInfo, c Conditions, copySource bool) error {
	etag := trimETag(info.ETag)
	modified := info.LastModified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !meta.ETagMatches(c.IfMatch, etag) {
			return s3err.PreconditionFailed
		}
	} else if c.IfUnmodifiedSince != nil && modified.After(*c.IfUnmodifiedSince) {
		return s3err.PreconditionFailed
	}
	notModified := s3err.NotModified
	if copySource {
		notModified = s3err.PreconditionFailed
	}
	if c.IfNoneMatch != "" {
		if meta.ETagMatches(c.IfNoneMatch, etag) {
			return notModified
		}
	} else if c.IfModifiedSince != nil && !modified.After(*c.IfModifiedSince) {
		return notModified
	}
	return nil
}

func trimETag(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// newReader returns a reader of bytes [start, end) of a version (its
// plain view and chunk keys, when it is encrypted).
func (s *Service) newReader(v *meta.Version, keys chunkKeys, start, end int64) io.ReadCloser {
	if v.Inline != nil || len(v.Chunks) == 0 {
		data := v.Inline
		if end > int64(len(data)) {
			end = int64(len(data))
		}
		if start > end {
			start = end
		}
		return io.NopCloser(bytes.NewReader(data[start:end]))
	}
	return &chunkReader{s: s, chunks: v.Chunks, keys: keys, off: start, end: end}
}

// chunkReader reads a range of an object chunk by chunk. Each chunk is read
// whole and its SHA-256 verified before any of it is returned; the chunks
// of an encrypted object are read by the blocks the range needs, each
// authenticated by its GCM tag (readEncrypted).
type chunkReader struct {
	s      *Service
	chunks []meta.ChunkRef
	keys   chunkKeys
	off    int64 // next object offset to return
	end    int64 // object offset to stop at (exclusive)
	bufp   *[]byte
	cur    []byte // bytes of the current chunk not yet returned
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		if r.off >= r.end {
			return 0, io.EOF
		}
		if err := r.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.off += int64(n)
	return n, nil
}

// load reads the chunk holding offset r.off into r.cur.
func (r *chunkReader) load() error {
	var base int64
	for i, c := range r.chunks {
		if r.off < base+c.Size {
			if r.bufp == nil {
				r.bufp = r.s.getBuf()
			}
			if r.keys != nil {
				hi := min(c.Size, r.end-base)
				data, err := r.s.readEncrypted(c, r.keys[i], r.off-base, hi, (*r.bufp)[:0])
				if err != nil {
					return err
				}
				r.cur = data
				return nil
			}
			data, err := r.s.cfg.Chunks.GetInto(chunk.Hash(c.Hash), (*r.bufp)[:0])
			if err != nil {
				return fmt.Errorf("read chunk %x: %w", c.Hash[:8], err)
			}
			if int64(len(data)) != c.Size {
				return fmt.Errorf("read chunk %x: size %d, want %d", c.Hash[:8], len(data), c.Size)
			}
			if cap(data) == cap(*r.bufp) {
				*r.bufp = data[:cap(data)]
			}
			lo := r.off - base
			hi := c.Size
			if r.end < base+c.Size {
				hi = r.end - base
			}
			r.cur = data[lo:hi]
			return nil
		}
		base += c.Size
	}
	return io.ErrUnexpectedEOF
}

// WriteTo streams the range to w without an intermediate copy.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.cur) == 0 {
			if r.off >= r.end {
				return total, nil
			}
			if err := r.load(); err != nil {
				return total, err
			}
		}
		n, err := w.Write(r.cur)
		total += int64(n)
		r.cur = r.cur[n:]
		r.off += int64(n)
		if err != nil {
			return total, err
		}
	}
}

func (r *chunkReader) Close() error {
	if r.bufp != nil {
		r.s.putBuf(r.bufp)
		r.bufp = nil
		r.cur = nil
	}
	return nil
}
