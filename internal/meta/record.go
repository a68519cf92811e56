package meta

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// ObjectMeta is what a client says about an object when it writes it and gets
// back when it reads it: the standard HTTP entity headers S3 stores, and the
// user metadata (x-amz-meta-*, keys lower-cased without the prefix).
type ObjectMeta struct {
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	User               map[string]string `json:"um,omitempty"`
}

// ChunkRef names one chunk of an object's data, in order.
type ChunkRef struct {
	Hash [32]byte
	Size int64
}

// MarshalText encodes a ChunkRef as "<hex sha256>:<size>".
func (c ChunkRef) MarshalText() ([]byte, error) {
	b := make([]byte, 0, 64+1+10)
	b = hex.AppendEncode(b, c.Hash[:])
	b = append(b, ':')
	return strconv.AppendInt(b, c.Size, 10), nil
}

// UnmarshalText decodes "<hex sha256>:<size>".
func (c *ChunkRef) UnmarshalText(b []byte) error {
	h, size, ok := strings.Cut(string(b), ":")
	if !ok || len(h) != 64 {
		return fmt.Errorf("chunk ref %q: want <sha256 hex>:<size>", b)
	}
	if _, err := hex.Decode(c.Hash[:], []byte(h)); err != nil {
		return fmt.Errorf("chunk ref %q: %w", b, err)
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("chunk ref %q: bad size", b)
	}
	c.Size = n
	return nil
}

// PartInfo records one part of a multipart object, for GET ?partNumber=
// and for composite checksums.
type PartInfo struct {
	Number    int               `json:"n"`
	Size      int64             `json:"size"`
	ETag      string            `json:"etag,omitempty"`
	Checksums map[string]string `json:"ck,omitempty"`
}

// Version is one version of an object: its data (inline or as chunks) and
// everything S3 returns about it. It is the value stored for a key.
type Version struct {
	// Seq is the raft index of the command that created the version. It
	// orders versions and is unique within a placement group.
	Seq          uint64            `json:"seq"`
	VersionID    string            `json:"vid,omitempty"` // "" for a bucket that never had versioning
	Size         int64             `json:"size"`
	ETag         string            `json:"etag,omitempty"` // unquoted
	Modified     int64             `json:"mtime"`          // unix nanoseconds, from the proposer's clock
	Meta         ObjectMeta        `json:"meta"`
	Checksums    map[string]string `json:"ck,omitempty"`
	ChecksumType string            `json:"ckt,omitempty"`
	Chunks       []ChunkRef        `json:"chunks,omitempty"`
	Inline       []byte            `json:"inline,omitempty"`
	Parts        []PartInfo        `json:"parts,omitempty"`
	DeleteMarker bool              `json:"dm,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	// Parquet holds the encoded footer index of a Parquet object (sealed
	// by the data key when the version is encrypted).
	Parquet []byte `json:"pq,omitempty"`
	// Lock is the version's Object Lock retention and legal hold (objectlock.go).
	Lock *Lock `json:"lock,omitempty"`
	// Encryption is set when the data is encrypted (encryption.go).
	Encryption *Encryption `json:"enc,omitempty"`
}

// IsNull reports whether v is the "null" version of its key: one written
// while versioning was never enabled or was suspended.
func (v *Version) IsNull() bool { return v.VersionID == "" || v.VersionID == NullVersion }

// NullVersion is the version ID S3 reports for unversioned writes.
const NullVersion = "null"

// versionIDFor derives a version ID from the raft index that created the
// version: unique within the group, increasing with time, and the same on
// every replica. 16 hex digits, never "null".
func versionIDFor(seq uint64) string {
	return fmt.Sprintf("%016x", seq)
}

// ValidVersionID reports whether id is a version ID this store makes
// (other than "null").
func ValidVersionID(id string) bool {
	_, ok := seqOfVersionID(id)
	return ok
}

// seqOfVersionID inverts versionIDFor.
func seqOfVersionID(id string) (uint64, bool) {
	if len(id) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(id, 16, 64)
	return n, err == nil
}

// Bucket is a bucket's record in the system group.
type Bucket struct {
	Name       string            `json:"name"`
	Created    int64             `json:"created"` // unix nanoseconds
	Owner      string            `json:"owner,omitempty"`
	Versioning string            `json:"versioning,omitempty"` // "", Enabled, Suspended
	Tags       map[string]string `json:"tags,omitempty"`
	CORS       []byte            `json:"cors,omitempty"` // the CORSConfiguration XML as given
	// ObjectLock is the bucket's Object Lock configuration (objectlock.go).
	ObjectLock *BucketLock `json:"lock,omitempty"`
	// Lifecycle and Notification are the bucket's lifecycle rules and
	// event notification configuration, encoded by internal/lifecycle and
	// internal/notify; opaque here.
	Lifecycle    []byte `json:"lc,omitempty"`
	Notification []byte `json:"ntf,omitempty"`
	// Policy is the bucket policy JSON as given; PublicAccessBlock the
	// bucket's PublicAccessBlockConfiguration (package iam reads both).
	Policy            []byte             `json:"policy,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"pab,omitempty"`
	// ACL is the bucket's access control list, the owner's grant
	// included; nil is the default (the owner's FULL_CONTROL).
	ACL []Grant `json:"acl,omitempty"`
	// Encryption is the bucket's default encryption, if any.
	Encryption *BucketEncryption `json:"enc,omitempty"`
	// Rev counts the record's updates (see UpdateBucket).
	Rev uint64 `json:"rev,omitempty"`
	// Incarnation is the system-group index of the CreateBucket that made
	// the bucket (set by apply): a bucket re-created under the same name
	// has a larger one (fence.go).
	Incarnation uint64 `json:"inc,omitempty"`
	// Deleting is the lease of a DeleteBucket in progress, if any.
	Deleting *deleteLease `json:"deleting,omitempty"`
	// Region is the bucket's location constraint ("" for us-east-1).
	Region string `json:"region,omitempty"`
}

// Grant is one ACL grant: to a canonical user ID, or to a group URI.
type Grant struct {
	ID         string `json:"id,omitempty"`
	URI        string `json:"uri,omitempty"`
	Permission string `json:"perm"` // READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL
}

// PublicAccessBlock is a bucket's public access block configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"bpa,omitempty"`
	IgnorePublicAcls      bool `json:"ipa,omitempty"`
	BlockPublicPolicy     bool `json:"bpp,omitempty"`
	RestrictPublicBuckets bool `json:"rpb,omitempty"`
}

// Stats are a group's object count and logical bytes, kept by apply.
type Stats struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}
