package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anode/anode/internal/chunk"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/s3err"
)

// DefaultMinPartSize is S3's smallest part other than the last: 5 MiB.
const DefaultMinPartSize = 5 << 20

// Checksum types of a multipart object (x-amz-checksum-type).
const (
	ChecksumComposite  = "COMPOSITE"
	ChecksumFullObject = "FULL_OBJECT"
)

// CreateUploadInput is a CreateMultipartUpload request.
type CreateUploadInput struct {
	Bucket string
	Key    string
	Meta   ObjectMeta
	Tags   map[string]string
	// ChecksumAlgorithm is the checksum every part carries ("" for none);
	// ChecksumType is COMPOSITE or FULL_OBJECT ("" for the algorithm's
	// default: FULL_OBJECT for CRC64NVME, COMPOSITE for the others).
	ChecksumAlgorithm string
	ChecksumType      string
	// SSE is the encryption of the object to be (nil: the bucket's default).
	SSE *SSE
}

// UploadInfo describes a multipart upload.
type UploadInfo struct {
	Bucket            string
	Key               string
	UploadID          string
	Initiated         time.Time
	ChecksumAlgorithm string
	ChecksumType      string
	Encryption        *EncryptionInfo
}

// UploadPartInput is an UploadPart request.
type UploadPartInput struct {
	Bucket     string
	Key        string
	UploadID   string
	PartNumber int
	Body       io.Reader
	Size       int64 // decoded body length, or -1
	ContentMD5 []byte
	Checksum   *ChecksumInput
	// CustomerKey is the SSE-C key, which every part of an SSE-C upload carries.
	CustomerKey []byte
}

// UploadPartCopyInput is an UploadPartCopy request: a part made of a
// source object, or of a byte range of it.
type UploadPartCopyInput struct {
	Bucket        string
	Key           string
	UploadID      string
	PartNumber    int
	SrcBucket     string
	SrcKey        string
	SrcVersionID  string
	SrcConditions Conditions
	// Range is the source bytes to copy, inclusive (nil for all of it).
	Range *Range
	// CustomerKey is the upload's SSE-C key, SrcCustomerKey the source's.
	CustomerKey    []byte
	SrcCustomerKey []byte
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber   int
	Size         int64
	ETag         string // quoted
	LastModified time.Time
	Checksums    map[string]string
	Encryption   *EncryptionInfo
}

// CompletePart is one part named in a CompleteMultipartUpload request.
type CompletePart struct {
	PartNumber int
	ETag       string // quoted or not
	Checksums  map[string]string
}

// CompleteInput is a CompleteMultipartUpload request.
type CompleteInput struct {
	Bucket   string
	Key      string
	UploadID string
	Parts    []CompletePart
	// Conditional write, as for PutObject.
	IfMatch     string
	IfNoneMatch string
	// Checksum is the whole-object checksum the client sent, if any, and
	// ChecksumType the x-amz-checksum-type it announced ("" if none).
	Checksum     *ChecksumInput
	ChecksumType string
	// ObjectSize is x-amz-mp-object-size, or -1.
	ObjectSize int64
	// CustomerKey is the SSE-C key, if the client sent it: with it the
	// Parquet footer index of an SSE-C object is built.
	CustomerKey []byte
	// SSE, when the client repeated encryption headers, must match the
	// upload's encryption.
	SSE *SSE
}

// ListPartsInput is a ListParts request.
type ListPartsInput struct {
	Bucket, Key, UploadID string
	Marker                int // list parts numbered above this
	MaxParts              int
}

// ListPartsResult is a page of ListParts.
type ListPartsResult struct {
	Upload      UploadInfo
	Parts       []PartInfo
	IsTruncated bool
	NextMarker  int
}

// ListUploadsInput is a ListMultipartUploads request.
type ListUploadsInput struct {
	Bucket, Prefix, Delimiter string
	KeyMarker, UploadIDMarker string
	MaxUploads                int
}

// ListUploadsResult is a page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads                           []UploadInfo
	CommonPrefixes                    []string
	IsTruncated                       bool
	NextKeyMarker, NextUploadIDMarker string
}

func (s *Service) minPartSize() int64 {
	if s.cfg.MinPartSize > 0 {
		return s.cfg.MinPartSize
	}
	return DefaultMinPartSize
}

// CreateMultipartUpload starts a multipart upload. Its ID is 128 random
// bits chosen here, by the proposer, so that apply stays deterministic and
// IDs cannot be guessed or collide across groups.
func (s *Service) CreateMultipartUpload(ctx context.Context, in CreateUploadInput) (UploadInfo, error) {
	if err := checkKey(in.Key); err != nil {
		return UploadInfo{}, err
	}
	bucket, err := s.meta.Bucket(ctx, in.Bucket)
	if err != nil {
		return UploadInfo{}, err
	}
	if err := s.checkSpace(); err != nil {
		return UploadInfo{}, err
	}
	keys, err := s.newKeys(ctx, bucket, in.SSE)
	if err != nil {
		return UploadInfo{}, err
	}
	algo, typ := strings.ToUpper(in.ChecksumAlgorithm), strings.ToUpper(in.ChecksumType)
	if algo != "" {
		if _, err := NewChecksum(algo); err != nil {
			return UploadInfo{}, err
		}
	}
	switch {
	case typ != "" && typ != ChecksumComposite && typ != ChecksumFullObject:
		return UploadInfo{}, s3err.InvalidRequest.WithMessage("Value for x-amz-checksum-type header is invalid.")
	case typ != "" && algo == "":
		return UploadInfo{}, s3err.InvalidRequest.WithMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case typ == ChecksumFullObject && !isCRC(algo):
		return UploadInfo{}, s3err.InvalidRequest.WithMessage("The FULL_OBJECT checksum type cannot be used with the %s checksum algorithm.", algo)
	case typ == ChecksumComposite && algo == CRC64NVME:
		return UploadInfo{}, s3err.InvalidRequest.WithMessage("The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.")
	case typ == "" && algo == CRC64NVME:
		typ = ChecksumFullObject
	case typ == "" && algo != "":
		typ = ChecksumComposite
	}
	var id [16]byte
	rand.Read(id[:])
	now := s.now()
	u := &meta.Upload{
		ID: hex.EncodeToString(id[:]), Bucket: in.Bucket, Key: in.Key, Initiated: now.UnixNano(),
		Meta: in.Meta, Tags: in.Tags, ChecksumAlgorithm: algo, ChecksumType: typ,
	}
	if keys != nil {
		u.Encryption = keys.enc
	}
	_, err = s.meta.Propose(ctx, s.meta.GroupOf(in.Bucket, in.Key), &meta.Command{
		Op: meta.OpCreateUpload, Time: now.UnixNano(), Bucket: in.Bucket, Key: in.Key, Upload: u,
		Incarnation: bucket.Incarnation,
	})
	if err != nil {
		return UploadInfo{}, err
	}
	return uploadInfo(u), nil
}

func uploadInfo(u *meta.Upload) UploadInfo {
	return UploadInfo{
		Bucket: u.Bucket, Key: u.Key, UploadID: u.ID, Initiated: time.Unix(0, u.Initiated).UTC(),
		ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
		Encryption: infoEncryption(u.Encryption),
	}
}

// validUploadID reports whether id has the form CreateMultipartUpload
// gives (32 lower-case hex digits). Anything else names no upload.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// partUpload is the upload a part request names, with the incarnation of
// its bucket as the request read it.
type partUpload struct {
	*meta.Upload
	incarnation uint64
}

// upload returns the upload a part request names, after checking the key,
// the bucket and the part number.
func (s *Service) upload(ctx context.Context, bucket, key, id string, partNumber int) (partUpload, error) {
	if err := checkKey(key); err != nil {
		return partUpload{}, err
	}
	if partNumber < 1 || partNumber > meta.MaxParts {
		return partUpload{}, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive")
	}
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return partUpload{}, err
	}
	if !validUploadID(id) {
		return partUpload{}, s3err.NoSuchUpload
	}
	u, err := s.meta.Upload(ctx, bucket, key, id)
	return partUpload{u, b.Incarnation}, err
}

// partChecksum reconciles the checksum a part request carries with the
// upload's algorithm: a part of an upload with an algorithm always gets
// that checksum (computed here when the client sent none), and may not
// carry another.
func partChecksum(u *meta.Upload, ck *ChecksumInput) (*ChecksumInput, error) {
	if u.ChecksumAlgorithm == "" {
		return ck, nil
	}
	if ck == nil {
		return &ChecksumInput{Algorithm: u.ChecksumAlgorithm}, nil
	}
	if !strings.EqualFold(ck.Algorithm, u.ChecksumAlgorithm) {
		return nil, s3err.InvalidRequest.WithMessage("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(u.ChecksumAlgorithm), strings.ToLower(ck.Algorithm))
	}
	return ck, nil
}

// UploadPart stores one part of a multipart upload. The body is cut into
// chunks as a PutObject body is (chunk boundaries restart at each part),
// with its MD5 (the part's ETag) and checksum computed in the same pass.
func (s *Service) UploadPart(ctx context.Context, in UploadPartInput) (PartInfo, error) {
	u, err := s.upload(ctx, in.Bucket, in.Key, in.UploadID, in.PartNumber)
	if err != nil {
		return PartInfo{}, err
	}
	ck, err := partChecksum(u.Upload, in.Checksum)
	if err != nil {
		return PartInfo{}, err
	}
	if in.Size > s.cfg.MaxObjectSize {
		return PartInfo{}, s3err.EntityTooLarge
	}
	if err := s.checkSpace(); err != nil {
		return PartInfo{}, err
	}
	keys, err := s.openKeys(ctx, u.Encryption, in.CustomerKey)
	if err != nil {
		return PartInfo{}, err
	}
	body, err := s.ingestPart(in.Body, in.Size, ck, keys)
	if err != nil {
		return PartInfo{}, err
	}
	if in.ContentMD5 != nil && !bytes.Equal(in.ContentMD5, body.md5) {
		return PartInfo{}, s3err.BadDigest
	}
	p := &meta.Part{
		Number: in.PartNumber, Size: body.size, ETag: body.etag(),
		Modified: s.now().UnixNano(), Checksums: body.checksums, Chunks: body.chunks, ChunkKeys: body.sealedKeys,
	}
	return s.commitPart(ctx, u, p, body.firstTouch)
}

// ingestPart reads a part body like ingest, but never keeps it inline:
// the object a completion assembles is the concatenation of its parts'
// chunks, so every byte of a part must be in a chunk.
func (s *Service) ingestPart(r io.Reader, size int64, ck *ChecksumInput, keys *objectKeys) (*body, error) {
	b, err := s.ingest(r, size, ck, keys)
	if err != nil {
		return nil, err
	}
	if b.inline != nil {
		data := b.inline
		b.inline = nil
		if err := s.storeChunk(b, data); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// commitPart proposes a part. Like commitVersion it must commit within
// half the GC grace period of touching the part's first chunk.
func (s *Service) commitPart(ctx context.Context, u partUpload, p *meta.Part, firstTouch time.Time) (PartInfo, error) {
	ctx, cancel := background(ctx)
	defer cancel()
	if !firstTouch.IsZero() {
		var cancel2 context.CancelFunc
		ctx, cancel2 = context.WithDeadline(ctx, s.gcDeadline(firstTouch))
		defer cancel2()
	}
	_, err := s.meta.Propose(ctx, s.meta.GroupOf(u.Bucket, u.Key), &meta.Command{
		Op: meta.OpPutPart, Time: p.Modified, Bucket: u.Bucket, Key: u.Key, UploadID: u.ID, Part: p,
		Incarnation: u.incarnation,
	})
	if err != nil {
		return PartInfo{}, err
	}
	if !firstTouch.IsZero() && s.now().Sub(firstTouch) >= s.cfg.GCGrace/2 {
		if err := s.verifyChunks(&meta.Version{Chunks: p.Chunks}); err != nil {
			return PartInfo{}, fmt.Errorf("part %d of upload %s committed after the GC grace window: %w", p.Number, u.ID, err)
		}
	}
	info := partInfo(p)
	info.Encryption = infoEncryption(u.Encryption)
	return info, nil
}

func partInfo(p *meta.Part) PartInfo {
	return PartInfo{
		PartNumber: p.Number, Size: p.Size, ETag: `"` + p.ETag + `"`,
		LastModified: time.Unix(0, p.Modified).UTC(), Checksums: p.Checksums,
	}
}

// UploadPartCopy makes a part from a source object or a range of it. A
// whole single-part source whose checksum the upload can use becomes a
// part that references the source's chunks (touched first, as CopyObject
// does); anything else is read and ingested like an uploaded part, which
// stores no new data where chunk boundaries line up (deduplication).
// It returns the part and the source's info.
func (s *Service) UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (PartInfo, ObjectInfo, error) {
	u, err := s.upload(ctx, in.Bucket, in.Key, in.UploadID, in.PartNumber)
	if err != nil {
		return PartInfo{}, ObjectInfo{}, err
	}
	if err := s.checkSpace(); err != nil {
		return PartInfo{}, ObjectInfo{}, err
	}
	src, srcInfo, err := s.lookup(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID)
	if err != nil {
		if s3err.As(err).Code == s3err.MethodNotAllowed.Code {
			err = s3err.InvalidRequest.WithMessage("The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return PartInfo{}, srcInfo, err
	}
	if err := CheckConditions(srcInfo, in.SrcConditions, true); err != nil {
		if s3err.As(err).Code == s3err.NotModified.Code {
			err = s3err.PreconditionFailed
		}
		return PartInfo{}, srcInfo, err
	}
	start, end := int64(0), src.Size-1
	if in.Range != nil {
		if in.Range.Start >= src.Size || in.Range.End >= src.Size || in.Range.End < in.Range.Start {
			// AWS answers InvalidRange (ceph s3-tests
			// test_multipart_copy_invalid_range accepts 400 or 416 with it).
			return PartInfo{}, srcInfo, s3err.InvalidRange.WithMessage("The requested range is not satisfiable: the source object has %d bytes", src.Size)
		}
		start, end = in.Range.Start, in.Range.End
	}
	if end-start+1 > s.cfg.MaxObjectSize {
		return PartInfo{}, srcInfo, s3err.InvalidRequest.WithMessage("The specified copy source is larger than the maximum allowable size for a copy source: %d", s.cfg.MaxObjectSize)
	}
	keys, err := s.openKeys(ctx, u.Encryption, in.CustomerKey)
	if err != nil {
		return PartInfo{}, srcInfo, err
	}
	src, srcKeys, err := s.openVersion(ctx, src, in.SrcCustomerKey)
	if err != nil {
		return PartInfo{}, srcInfo, err
	}
	algo := u.ChecksumAlgorithm
	whole := start == 0 && end == src.Size-1
	// Chunks are shared only between plain objects: encrypted chunks are
	// re-encrypted under the upload's keys (deduplicated where they are
	// the same keys and chunk boundaries line up).
	reuse := keys == nil && srcKeys == nil && whole && len(src.Parts) == 0 && src.Inline == nil && len(src.Chunks) > 0 &&
		(algo == "" || (src.ChecksumType == ChecksumFullObject && src.Checksums[algo] != ""))
	now := s.now()
	if reuse {
		p := &meta.Part{Number: in.PartNumber, Size: src.Size, ETag: src.ETag, Modified: now.UnixNano(), Chunks: src.Chunks}
		if algo != "" {
			p.Checksums = map[string]string{algo: src.Checksums[algo]}
		}
		firstTouch := s.now()
		for _, c := range src.Chunks {
			if err := s.cfg.Chunks.Touch(chunk.Hash(c.Hash)); err != nil {
				return PartInfo{}, srcInfo, err
			}
		}
		info, err := s.commitPart(ctx, u, p, firstTouch)
		return info, srcInfo, err
	}
	var ck *ChecksumInput
	if algo != "" {
		ck = &ChecksumInput{Algorithm: algo}
	}
	r := s.newReader(src, srcKeys, start, end+1)
	defer r.Close()
	body, err := s.ingestPart(r, end-start+1, ck, keys)
	if err != nil {
		return PartInfo{}, srcInfo, err
	}
	p := &meta.Part{
		Number: in.PartNumber, Size: body.size, ETag: body.etag(),
		Modified: now.UnixNano(), Checksums: body.checksums, Chunks: body.chunks, ChunkKeys: body.sealedKeys,
	}
	info, err := s.commitPart(ctx, u, p, body.firstTouch)
	return info, srcInfo, err
}

// CompleteMultipartUpload assembles the listed parts into the key's new
// version. No data is copied: the object lists the parts' chunks in
// order. The commit removes the upload and every part, listed or not, in
// the same batch, so the object appears atomically and unlisted parts
// become garbage. Its ETag is the MD5 of the parts' binary MD5s followed
// by "-N"; its checksum is derived from the parts' checksums, COMPOSITE or
// FULL_OBJECT as the upload asked.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in CompleteInput) (ObjectInfo, error) {
	if err := checkKey(in.Key); err != nil {
		return ObjectInfo{}, err
	}
	bucket, err := s.meta.Bucket(ctx, in.Bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	if !validUploadID(in.UploadID) {
		return ObjectInfo{}, s3err.NoSuchUpload
	}
	if len(in.Parts) == 0 {
		return ObjectInfo{}, s3err.MalformedXML.WithMessage("You must specify at least one part")
	}
	for i, p := range in.Parts {
		if p.PartNumber < 1 || p.PartNumber > meta.MaxParts {
			return ObjectInfo{}, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive")
		}
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return ObjectInfo{}, s3err.InvalidPartOrder
		}
	}
	u, stored, _, err := s.meta.Parts(ctx, in.Bucket, in.Key, in.UploadID, 0, meta.MaxParts)
	if errors.Is(err, s3err.NoSuchUpload) {
		// A retry of a completion that succeeded gets the same answer.
		if v, cerr := s.meta.CompletedVersion(ctx, in.Bucket, in.Key, in.UploadID); cerr == nil {
			return infoOf(in.Bucket, in.Key, v, true), nil
		}
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := checkUploadSSE(u.Encryption, in.SSE); err != nil {
		return ObjectInfo{}, err
	}
	if in.ChecksumType != "" && u.ChecksumType != "" && !strings.EqualFold(in.ChecksumType, u.ChecksumType) {
		return ObjectInfo{}, s3err.InvalidRequest.WithMessage("The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", u.ChecksumType)
	}
	byNumber := make(map[int]*meta.Part, len(stored))
	for i := range stored {
		byNumber[stored[i].Number] = &stored[i]
	}
	// The keys of an encrypted upload open its parts' chunk keys, so the
	// Parquet index can be built; an SSE-C upload completed without its
	// key (S3 does not require it) gets no index.
	var keys *objectKeys
	var ckeys chunkKeys
	if u.Encryption != nil {
		keys, err = s.openKeys(ctx, u.Encryption, in.CustomerKey)
		if errors.Is(err, errSSECNeeded) {
			keys, err = nil, nil
		}
		if err != nil {
			return ObjectInfo{}, err
		}
	}
	v := &meta.Version{Meta: u.Meta, Tags: u.Tags}
	md := md5.New()
	pieces := make([]checksumPiece, 0, len(in.Parts))
	for i, cp := range in.Parts {
		p := byNumber[cp.PartNumber]
		if p == nil || trimETag(cp.ETag) != p.ETag {
			return ObjectInfo{}, s3err.InvalidPart
		}
		for algo, want := range cp.Checksums {
			if want != "" && p.Checksums[algo] != want {
				return ObjectInfo{}, s3err.InvalidPart.WithMessage("The %s you specified for part %d did not match what we received.", algo, cp.PartNumber)
			}
		}
		if i < len(in.Parts)-1 && p.Size < s.minPartSize() {
			return ObjectInfo{}, s3err.EntityTooSmall
		}
		sum, err := hex.DecodeString(p.ETag)
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("part %d of upload %s: bad ETag %q", p.Number, u.ID, p.ETag)
		}
		md.Write(sum)
		v.Size += p.Size
		v.Parts = append(v.Parts, meta.PartInfo{Number: p.Number, Size: p.Size, ETag: p.ETag, Checksums: p.Checksums})
		v.Chunks = append(v.Chunks, p.Chunks...)
		if keys != nil {
			for j, sealed := range p.ChunkKeys {
				k, err := openSealed(keys.dk, sealed, p.Chunks[j].Hash[:])
				if err != nil {
					return ObjectInfo{}, fmt.Errorf("part %d of upload %s: chunk key %d does not open: %w", p.Number, u.ID, j, err)
				}
				ckeys = append(ckeys, k)
			}
		}
		pieces = append(pieces, checksumPiece{size: p.Size})
	}
	if in.ObjectSize >= 0 && in.ObjectSize != v.Size {
		return ObjectInfo{}, s3err.InvalidRequest.WithMessage("The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", in.ObjectSize, v.Size)
	}
	v.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(md.Sum(nil)), len(in.Parts))
	if err := s.objectChecksum(u, v, pieces, in.Checksum); err != nil {
		return ObjectInfo{}, err
	}
	switch {
	case u.Encryption == nil:
		v.Parquet = s.parquetIndex(v, nil)
	case keys != nil && len(ckeys) == len(v.Chunks):
		v.Parquet = s.parquetIndex(v, ckeys)
		keys.sealVersion(v, nil) // apply adds the parts' chunk keys
	default:
		v.Encryption = u.Encryption
	}
	// Apply takes the chunk list from the stored parts: the command need
	// not carry it.
	v.Chunks = nil
	now := s.now()
	v.Modified = now.UnixNano()
	ctx, cancel := background(ctx)
	defer cancel()
	res, err := s.meta.Propose(ctx, s.meta.GroupOf(in.Bucket, in.Key), &meta.Command{
		Op: meta.OpCompleteUpload, Time: v.Modified, Bucket: in.Bucket, Key: in.Key, UploadID: u.ID,
		Version: v, Versioning: bucket.Versioning, IfMatch: in.IfMatch, IfNoneMatch: in.IfNoneMatch,
		Incarnation: bucket.Incarnation,
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	return infoOf(in.Bucket, in.Key, res.Version, true), nil
}

// objectChecksum sets the checksum of a multipart object from its parts'
// (v.Parts), and checks it against the one the client sent, if any. An
// upload created without an algorithm still gets a FULL_OBJECT checksum
// when every part carries a CRC of the same kind, which combines exactly.
func (s *Service) objectChecksum(u *meta.Upload, v *meta.Version, pieces []checksumPiece, sent *ChecksumInput) error {
	algo, typ := u.ChecksumAlgorithm, u.ChecksumType
	if algo == "" {
		algo = commonCRC(v.Parts)
		typ = ChecksumFullObject
	}
	if algo == "" {
		return nil
	}
	for i, p := range v.Parts {
		if p.Checksums[algo] == "" {
			return s3err.InvalidPart.WithMessage("Part %d has no %s checksum.", p.Number, algo)
		}
		pieces[i].sum = p.Checksums[algo]
	}
	var sum string
	var err error
	if typ == ChecksumFullObject {
		sum, err = fullObjectCRC(algo, pieces)
	} else {
		sum, err = compositeChecksum(algo, pieces)
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", u.ID, err)
	}
	if sent != nil && sent.Value != "" {
		if !strings.EqualFold(sent.Algorithm, algo) {
			return s3err.InvalidRequest.WithMessage("The upload was created using the %s checksum algorithm; the complete request sent %s.", algo, sent.Algorithm)
		}
		if base, _, _ := strings.Cut(sum, "-"); sent.Value != sum && sent.Value != base {
			return s3err.BadDigest.WithMessage("The %s you specified did not match the calculated checksum.", algo)
		}
	}
	v.Checksums = map[string]string{algo: sum}
	v.ChecksumType = typ
	return nil
}

// commonCRC returns the CRC algorithm every part has a checksum of, or "".
func commonCRC(parts []meta.PartInfo) string {
	for _, algo := range []string{CRC64NVME, CRC32C, CRC32} {
		all := true
		for _, p := range parts {
			if p.Checksums[algo] == "" {
				all = false
				break
			}
		}
		if all && len(parts) > 0 {
			return algo
		}
	}
	return ""
}

// AbortMultipartUpload discards an upload and its parts; their chunks
// become garbage unless something else references them.
func (s *Service) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	b, err := s.meta.Bucket(ctx, bucket)
	if err != nil {
		return err
	}
	if !validUploadID(uploadID) {
		return s3err.NoSuchUpload
	}
	ctx, cancel := background(ctx)
	defer cancel()
	_, err = s.meta.Propose(ctx, s.meta.GroupOf(bucket, key), &meta.Command{
		Op: meta.OpAbortUpload, Time: s.now().UnixNano(), Bucket: bucket, Key: key, UploadID: uploadID,
		Incarnation: b.Incarnation,
	})
	return err
}

// ListParts lists an upload's parts in part number order.
func (s *Service) ListParts(ctx context.Context, in ListPartsInput) (ListPartsResult, error) {
	if err := checkKey(in.Key); err != nil {
		return ListPartsResult{}, err
	}
	if _, err := s.meta.Bucket(ctx, in.Bucket); err != nil {
		return ListPartsResult{}, err
	}
	if !validUploadID(in.UploadID) {
		return ListPartsResult{}, s3err.NoSuchUpload
	}
	u, parts, truncated, err := s.meta.Parts(ctx, in.Bucket, in.Key, in.UploadID, in.Marker, in.MaxParts)
	if err != nil {
		return ListPartsResult{}, err
	}
	out := ListPartsResult{Upload: uploadInfo(u), IsTruncated: truncated}
	for i := range parts {
		out.Parts = append(out.Parts, partInfo(&parts[i]))
	}
	if len(parts) > 0 {
		out.NextMarker = parts[len(parts)-1].Number
	}
	return out, nil
}

// ListMultipartUploads lists a bucket's uploads in progress.
func (s *Service) ListMultipartUploads(ctx context.Context, in ListUploadsInput) (ListUploadsResult, error) {
	if _, err := s.meta.Bucket(ctx, in.Bucket); err != nil {
		return ListUploadsResult{}, err
	}
	if in.MaxUploads == 0 {
		return ListUploadsResult{}, nil
	}
	page, err := s.meta.ListUploads(ctx, in.Bucket, in.Prefix, in.Delimiter, in.KeyMarker, in.UploadIDMarker, in.MaxUploads)
	if err != nil {
		return ListUploadsResult{}, err
	}
	out := ListUploadsResult{CommonPrefixes: page.Prefixes, IsTruncated: page.Truncated}
	if page.Truncated {
		out.NextKeyMarker, out.NextUploadIDMarker = page.NextKey, page.NextUploadID
	}
	for i := range page.Uploads {
		out.Uploads = append(out.Uploads, uploadInfo(&page.Uploads[i]))
	}
	return out, nil
}

// AbortStaleUploads aborts every multipart upload of this node's groups
// initiated more than maxAge ago, so that abandoned uploads do not keep
// their parts' chunks forever. It returns how many it aborted. The server
// runs it periodically.
func (s *Service) AbortStaleUploads(ctx context.Context, maxAge time.Duration) (int, error) {
	cutoff := s.now().Add(-maxAge).UnixNano()
	var stale []meta.Upload
	err := s.meta.EachUpload(func(u meta.Upload) error {
		if u.Initiated < cutoff {
			stale = append(stale, u)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range stale {
		err := s.AbortMultipartUpload(ctx, u.Bucket, u.Key, u.ID)
		if err != nil && s3err.As(err).Code != s3err.NoSuchUpload.Code && s3err.As(err).Code != s3err.NoSuchBucket.Code {
			return n, fmt.Errorf("abort stale upload %s of %s/%s: %w", u.ID, u.Bucket, u.Key, err)
		}
		n++
	}
	return n, nil
}
