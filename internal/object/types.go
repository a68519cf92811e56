package object

import (
	"io"
	"time"

	"github.com/anode/anode/internal/meta"
)

// ObjectMeta is what a client says about an object when it writes it and gets
// back when it reads it: the standard HTTP entity headers S3 stores, and the
// user metadata (x-amz-meta-*, keys lower-cased without the prefix).
type ObjectMeta = meta.ObjectMeta

// ObjectInfo describes one version of an object.
type ObjectInfo struct {
	Bucket         string
	Key            string
	VersionID      string // "" when the bucket never had versioning; "null" for the null version
	IsLatest       bool
	IsDeleteMarker bool
	Size           int64
	ETag           string // quoted, as S3 returns it: "\"<hex md5>\"" or "\"<hex>-N\""
	LastModified   time.Time
	Meta           ObjectMeta
	// Checksums holds the checksums stored with the object, by algorithm
	// name (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), base64 as S3 sends them.
	Checksums    map[string]string
	ChecksumType string // FULL_OBJECT or COMPOSITE, when Checksums is set
	PartsCount   int    // number of parts for a multipart object, 0 otherwise
	TagCount     int
	StorageClass string
	// Lock is the version's Object Lock retention and legal hold, if any.
	Lock *meta.Lock
	// Expiration is when a lifecycle rule expires this current version.
	Expiration *Expiration
	// Sequence is the raft index that made the version: it orders the
	// versions (and event records) of a key.
	Sequence uint64
	// PartStart and PartEnd are the inclusive offsets of the part a
	// HeadObject with a part number asked for.
	PartStart, PartEnd int64
	// Encryption is set for an encrypted object (sse.go).
	Encryption *EncryptionInfo
}

// Conditions are the HTTP preconditions of GET, HEAD and copy sources.
// Empty strings and nil times mean "not given".
type Conditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   *time.Time
	IfUnmodifiedSince *time.Time
}

// Range is a parsed HTTP byte range. Exactly one form is used:
// Start/End (End < 0 means "to the end"), or SuffixLength > 0 for "-n".
type Range struct {
	Start        int64
	End          int64
	SuffixLength int64
}

// ChecksumInput is a checksum the client asked for on a write. Algorithm is
// one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256. Value is the base64 value
// from a header, if the client sent one; Trailer, if set, is called after
// the body has been read to its end and returns the value sent in an
// aws-chunked trailer. With neither, the server computes and stores it.
type ChecksumInput struct {
	Algorithm string
	Value     string
	Trailer   func() string
}

// PutInput is a PutObject request.
type PutInput struct {
	Bucket string
	Key    string
	Body   io.Reader
	// Size is the decoded body length, or -1 when unknown. A body shorter
	// than Size fails with IncompleteBody and stores nothing.
	Size       int64
	ContentMD5 []byte // decoded Content-MD5, or nil
	Meta       ObjectMeta
	Checksum   *ChecksumInput
	Tags       map[string]string
	// Conditional write: IfNoneMatch "*" creates only if the key has no
	// current object; IfMatch writes only if the current ETag matches.
	IfMatch     string
	IfNoneMatch string
	// Lock is the Object Lock state asked for (nil: the bucket's default).
	Lock *LockRequest
	// Event is the name of the change for notifications ("" for
	// EventPut; a browser form upload is EventPost).
	Event string
	// SSE is the encryption asked for; nil means the bucket's default.
	SSE *SSE
}

// GetInput names an object (or version) to read, with optional range and
// preconditions.
type GetInput struct {
	Bucket     string
	Key        string
	VersionID  string
	Range      *Range
	PartNumber int
	Conditions Conditions
	// CustomerKey is the SSE-C key the request carried, if any.
	CustomerKey []byte
	// NoKeyCheck skips the SSE-C key check of HeadObject, for operations
	// that read neither data nor encryption details (the ACL answers).
	NoKeyCheck bool
}

// GetOutput is an object being read. The caller must close Body.
// When Range was given, Start and End are the inclusive byte offsets served.
type GetOutput struct {
	Info    ObjectInfo
	Body    io.ReadCloser
	Partial bool
	Start   int64
	End     int64
}

// DeleteResult says what a delete did.
type DeleteResult struct {
	VersionID    string
	DeleteMarker bool
}

// CopyInput is a CopyObject request. When ReplaceMeta is false the
// destination takes the source's metadata (MetadataDirective COPY).
type CopyInput struct {
	SrcBucket     string
	SrcKey        string
	SrcVersionID  string
	SrcConditions Conditions
	DstBucket     string
	DstKey        string
	ReplaceMeta   bool
	Meta          ObjectMeta
	ReplaceTags   bool
	Tags          map[string]string
	ChecksumAlgo  string
	// Lock is the destination's Object Lock state (nil: the bucket's default).
	Lock *LockRequest
	// SSE is the destination's encryption (nil: the bucket's default);
	// SrcCustomerKey the SSE-C key of the source, if any.
	SSE            *SSE
	SrcCustomerKey []byte
}

// ListInput is a ListObjects (v1 or v2) request. Marker is exclusive: the
// listing starts after it (v1 marker, v2 start-after or decoded
// continuation token, whichever is later).
type ListInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	Marker    string
	MaxKeys   int
}

// ListResult is one page of a listing in key order. NextMarker is the last
// key or common prefix returned, set when IsTruncated.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	NextMarker     string
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name       string
	Created    time.Time
	Versioning string // "", "Enabled" or "Suspended"
	Owner      string // the IAM user that created it, "" for the root user
	Region     string // location constraint; "" for us-east-1
}
